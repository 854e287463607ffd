// Package servertest starts a real barnteam server for tests: the Echo HTTP layer, the
// realtime hub and a SQLite store in a temporary directory, seeded with the demo team,
// listening on a loopback port. Tests reach it exactly as browsers do: join links,
// cookies, WebSockets.
package servertest

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/barnteam/barnteam/exports"
	"github.com/barnteam/barnteam/server"
	"github.com/barnteam/barnteam/server/auth"
	"github.com/barnteam/barnteam/server/board"
	"github.com/barnteam/barnteam/server/demo"
	"github.com/barnteam/barnteam/server/i18n"
	"github.com/barnteam/barnteam/server/realtime"
	"github.com/barnteam/barnteam/server/secret"
	"github.com/barnteam/barnteam/server/store/sqlite"
)

// Env is one running server.
type Env struct {
	URL       string // http://127.0.0.1:<port>
	MeetingID string
	Store     board.Store
	Server    *server.Server
	Catalog   *i18n.Catalog
	// Links are the demo members' join links by member id.
	Links map[string]string
	// The demo coordinator's (demo-coord's) login.
	CoordinatorEmail, CoordinatorPassword string

	http     *httptest.Server
	stopOnce sync.Once
}

// Options tune the server under test.
type Options struct {
	Hub realtime.Options
	// Log receives the server's log; nil discards it.
	Log io.Writer
	// Now is the server's clock (to test expiry); nil is time.Now.
	Now func() time.Time
	// PseudoRTL adds the right-to-left test language i18n.PseudoRTL ("ar-XB").
	PseudoRTL bool
	// Store is the server's store (nil: a new SQLite database). The server closes it.
	Store board.Store
	// Join makes this server a second instance beside a running one: Store must be a
	// store on the same database (a PostgreSQL one), which is not seeded again; the demo
	// meeting, the join links and the coordinator's login are the first one's.
	Join *Env
}

// Start starts a server with the demo team and meeting; it stops when the test ends.
func Start(t testing.TB, opt Options) *Env {
	t.Helper()
	st := opt.Store
	if st == nil {
		var err error
		if st, err = sqlite.Open(filepath.Join(t.TempDir(), "barnteam.db"), sqlite.Options{}); err != nil {
			t.Fatal(err)
		}
	}
	cat, err := i18n.Load()
	if err != nil {
		t.Fatal(err)
	}
	if opt.PseudoRTL {
		cat.AddPseudoRTL()
	}
	hs := httptest.NewUnstartedServer(nil)
	base := "http://" + hs.Listener.Addr().String()
	w := opt.Log
	if w == nil {
		w = io.Discard
	}
	signer, err := exports.LoadOrCreateSigner(filepath.Join(t.TempDir(), "keys"))
	if err != nil {
		t.Fatal(err)
	}
	srv, err := server.New(server.Config{BaseURL: base, Store: st, Catalog: cat, Log: slog.New(slog.NewTextHandler(w, nil)), Hub: opt.Hub, Now: opt.Now, Signer: signer})
	if err != nil {
		t.Fatal(err)
	}
	hs.Config.Handler = srv.Handler()
	hs.Start()
	if opt.Join != nil {
		e := &Env{URL: base, MeetingID: opt.Join.MeetingID, Store: st, Server: srv, Catalog: cat, Links: opt.Join.Links, http: hs,
			CoordinatorEmail: opt.Join.CoordinatorEmail, CoordinatorPassword: opt.Join.CoordinatorPassword}
		t.Cleanup(e.Stop)
		return e
	}
	res, err := demo.Seed(context.Background(), st, base, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	e := &Env{URL: base, MeetingID: demo.MeetingID, Store: st, Server: srv, Catalog: cat, Links: map[string]string{}, http: hs,
		CoordinatorEmail: res.Email, CoordinatorPassword: res.Password}
	for _, l := range res.Links {
		e.Links[l.Member.ID] = l.URL
	}
	// The demo gives the coordinator no link (she signs in); tests may still want her as
	// a link-joined client, let in like any other.
	token, hash := secret.NewToken()
	if err := st.CreateInvite(context.Background(), board.Invite{TokenHash: hash, MemberID: "demo-coord", MeetingID: demo.MeetingID,
		CreatedAt: time.Now(), ExpiresAt: time.Now().Add(demo.InviteTTL)}); err != nil {
		t.Fatal(err)
	}
	e.Links["demo-coord"] = base + "/j/" + token
	t.Cleanup(e.Stop)
	return e
}

// Stop shuts the server down as the command does on SIGTERM (live sockets first, with a
// "reconnect" code), and closes its store. Stopping twice is harmless.
func (e *Env) Stop() {
	e.stopOnce.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		e.Server.Shutdown(ctx)
		e.http.Close()
		e.Store.Close()
	})
}

// Client returns an HTTP client for a member who has joined with their link and been let
// in from the lobby (as the coordinator would): its cookie jar holds the member's session.
func (e *Env) Client(t testing.TB, memberID string) *http.Client {
	t.Helper()
	c := e.LobbyClient(t, memberID)
	u, _ := url.Parse(e.URL)
	for _, ck := range c.Jar.Cookies(u) {
		if strings.HasSuffix(ck.Name, "bt-"+memberID) {
			if err := e.Store.Admit(context.Background(), secret.Hash(ck.Value), true, time.Now()); err != nil {
				t.Fatalf("admit %s: %v", memberID, err)
			}
			return c
		}
	}
	t.Fatalf("join %s: no session cookie", memberID)
	return nil
}

// LobbyClient returns an HTTP client for a member who has followed their link and
// confirmed "this is me", and now waits in the lobby.
func (e *Env) LobbyClient(t testing.TB, memberID string) *http.Client {
	t.Helper()
	c := NewClient()
	link, ok := e.Links[memberID]
	if !ok {
		t.Fatalf("no demo member %q", memberID)
	}
	resp, err := c.Get(link)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.Request.URL.Path != "/join" {
		t.Fatalf("join %s: status %d at %s", memberID, resp.StatusCode, resp.Request.URL.Path)
	}
	resp, err = c.PostForm(e.URL+"/join", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("confirm %s: status %d", memberID, resp.StatusCode)
	}
	return c
}

// CoordinatorClient returns an HTTP client signed in as the demo coordinator (demo-coord),
// who goes straight to the board.
func (e *Env) CoordinatorClient(t testing.TB) *http.Client {
	t.Helper()
	return e.Login(t, e.CoordinatorEmail, e.CoordinatorPassword)
}

// Login signs a staff user in and returns the client holding their session.
func (e *Env) Login(t testing.TB, email, password string) *http.Client {
	t.Helper()
	c := NewClient()
	resp, err := c.PostForm(e.URL+"/login", url.Values{"email": {email}, "password": {password}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("login %s: status %d", email, resp.StatusCode)
	}
	return c
}

// NewClient is an HTTP client with a cookie jar, as a browser.
func NewClient() *http.Client {
	jar, _ := cookiejar.New(nil)
	return &http.Client{Jar: jar, Timeout: 10 * time.Second}
}

// BoardURL is the member's board page.
func (e *Env) BoardURL(memberID string) string {
	return e.URL + "/b/" + e.MeetingID + "/" + memberID + "/"
}

// WSURL is the member's WebSocket address with a resume position (since < 0: snapshot).
func (e *Env) WSURL(memberID string, since int64, epoch string) string {
	u := strings.Replace(e.BoardURL(memberID), "http://", "ws://", 1) + "ws"
	if since >= 0 {
		u += "?since=" + strconv.FormatInt(since, 10) + "&epoch=" + epoch
	}
	return u
}

// Dial opens member's WebSocket with the session of client c and a same-origin Origin.
// Server messages (snapshots above all) may be far larger than the 32 KiB a client may
// send, so the client's read limit is raised.
func (e *Env) Dial(ctx context.Context, c *http.Client, memberID string, since int64, epoch string) (*websocket.Conn, *http.Response, error) {
	ws, resp, err := websocket.Dial(ctx, e.WSURL(memberID, since, epoch), &websocket.DialOptions{
		HTTPClient: c,
		HTTPHeader: http.Header{"Origin": {e.URL}},
	})
	if err == nil {
		ws.SetReadLimit(16 << 20)
	}
	return ws, resp, err
}

// LogBuffer collects the server's log from all its goroutines, for tests that read it.
type LogBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *LogBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// String returns everything logged so far.
func (b *LogBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// StaffUser writes a staff account with a password straight into the store (as an
// administrator would make it and its owner set the password) and returns it.
func (e *Env) StaffUser(t testing.TB, u board.User, password string) board.User {
	t.Helper()
	u.PasswordHash = auth.Hash(password)
	if u.CreatedAt.IsZero() {
		u.CreatedAt = time.Now()
	}
	if err := e.Store.CreateUser(context.Background(), u); err != nil {
		t.Fatalf("create user %s: %v", u.Email, err)
	}
	return u
}
