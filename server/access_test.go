package server_test

// The access-rule suite (issue 3, point 9): who may see and do what, proven over the wire
// against a real server (servertest). The tests are in access_*_test.go; this file holds
// their small helpers: a WebSocket client that reads every message into a typed struct,
// HTTP helpers that do not follow redirects unless asked, a clock the tests move, and
// store shortcuts for setting a scene up.
//
// Every helper here is prefixed "acc" so that it cannot collide with the helpers of the
// other test files of the package. No test sleeps to wait for something: each waits on a
// condition (a message, a close, a store row) with a deadline.
//
// What is enforced, and which test proves it:
//
//	every role × every op kind, lobby, removed        TestAccessEveryRoleEveryOp
//	CSRF on every POST route; no GET changes state     TestAccessCSRF, TestAccessGetChangesNothing
//	WebSocket upgrade checks Origin and session        TestAccessUpgradeOriginAndSession
//	a lobby member receives zero board events          TestAccessLobbyGetsNoBoardEvents
//	unknown/expired/revoked links answer identically   TestAccessDeadLinksLookAlike
//	the setup link works once                          TestAccessSetupLinkWorksOnce
//	login rate limits (account, address)               TestAccessLoginRateLimit
//	idle and absolute session expiry                   TestAccessSessionExpiry, TestAccessSessionEndClosesSockets
//	logout closes that session's sockets (4401, 2 s)   TestAccessLogoutClosesSockets
//	consent gating and withdrawal (4403, 2 s)          TestAccessConsentGating, TestAccessLeadingCofacilitatorIsGatedByConsent
//	removal and link revocation (4403, 2 s)            TestAccessRemovalClosesSockets, TestAccessRevokedLinkClosesSockets
//	room control is the leader's only                  TestAccessRoomControlIsLeaderOnly
//	co-facilitator and hand-over                       TestAccessCofacilitatorAndHandover
//	each audited action leaves exactly its row         TestAccessAuditRows
//
// The browser half (the token leaves the address bar and never reaches a Referer; axe-core
// on the account pages) is in e2e/access_test.go.

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/barnteam/barnteam/server/board"
	"github.com/barnteam/barnteam/server/demo"
	"github.com/barnteam/barnteam/server/secret"
	"github.com/barnteam/barnteam/server/servertest"
)

// accWait bounds one wait for a message, a close or a condition. Generous: the
// assertions about speed ("within 2 seconds") are measured separately.
const accWait = 10 * time.Second

// accCloseLimit is how fast a revoked session's sockets must close (issue 3, point 6).
const accCloseLimit = 2 * time.Second

// ---------------------------------------------------------------------------------------
// WebSocket client.

// accFragment is one server-rendered HTML fragment.
type accFragment struct {
	Target string `json:"target"`
	HTML   string `json:"html"`
}

// accMsg is one server → client message, with the fields these tests look at. State is
// raw because it is a string in lobby messages ("waiting") and an object in snapshots.
type accMsg struct {
	T        string          `json:"t"`
	Seq      int64           `json:"seq"`
	State    json.RawMessage `json:"state"`
	Reason   string          `json:"reason"`
	Code     string          `json:"code"`
	CID      string          `json:"cid"`
	Message  string          `json:"message"`
	Meeting  string          `json:"meeting"`
	Member   string          `json:"member"`
	Role     string          `json:"role"`
	Resume   string          `json:"resume"`
	Epoch    string          `json:"epoch"`
	Announce string          `json:"announce"`
	HTML     []accFragment   `json:"html"`
	People   []struct {
		Member string `json:"member"`
	} `json:"people"`
	Change *struct {
		Seq    int64  `json:"seq"`
		CID    string `json:"cid"`
		Actor  string `json:"actor"`
		Op     string `json:"op"`
		Entity string `json:"entity"`
	} `json:"change"`

	Raw string `json:"-"` // the frame as sent
}

// LobbyState is the state of a lobby message ("waiting", "admitted", "turned_away").
func (m accMsg) LobbyState() string {
	var s string
	if json.Unmarshal(m.State, &s) != nil {
		return ""
	}
	return s
}

// HTMLText is every fragment's HTML joined.
func (m accMsg) HTMLText() string {
	var b strings.Builder
	for _, f := range m.HTML {
		b.WriteString(f.HTML)
	}
	return b.String()
}

// PeopleIDs lists the members of a presence message.
func (m accMsg) PeopleIDs() []string {
	var out []string
	for _, p := range m.People {
		out = append(out, p.Member)
	}
	return out
}

// accWS is one open WebSocket. A goroutine reads every message as it arrives (so the
// server never sees a slow reader) into a queue; the test takes them with next.
type accWS struct {
	t    testing.TB
	name string
	ws   *websocket.Conn

	msgs chan accMsg
	done chan struct{} // closed when the connection has ended

	// Valid once done is closed.
	code     websocket.StatusCode // the close code the server sent (-1: none)
	err      error
	closedAt time.Time

	mu   sync.Mutex
	seen []accMsg // every message taken with next, for checks over the whole stream
}

// accDial opens member's socket with client c and a same-origin Origin, resuming from
// nothing (a snapshot). It fails the test if the upgrade is refused.
func accDial(t testing.TB, env *servertest.Env, c *http.Client, member string) *accWS {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), accWait)
	defer cancel()
	ws, resp, err := env.Dial(ctx, c, member, -1, "")
	if err != nil {
		status := 0
		if resp != nil {
			status = resp.StatusCode
		}
		t.Fatalf("open %s's socket: %v (HTTP %d)", member, err, status)
	}
	return accWrap(t, member, ws)
}

// accWrap starts reading an open socket.
func accWrap(t testing.TB, name string, ws *websocket.Conn) *accWS {
	w := &accWS{t: t, name: name, ws: ws, msgs: make(chan accMsg, 4096), done: make(chan struct{})}
	go w.read()
	t.Cleanup(func() { ws.CloseNow() })
	return w
}

func (w *accWS) read() {
	defer close(w.done)
	for {
		_, data, err := w.ws.Read(context.Background())
		if err != nil {
			w.code, w.err, w.closedAt = websocket.CloseStatus(err), err, time.Now()
			return
		}
		var m accMsg
		if err := json.Unmarshal(data, &m); err != nil {
			m.T = "!unparsable"
		}
		m.Raw = string(data)
		w.msgs <- m
	}
}

// accDialStatus tries to open member's socket with the given Origin ("" for none) and
// returns the HTTP status of a refused upgrade, or 101 if it was accepted; an accepted
// socket is closed after its first message (by then the server has done its bookkeeping,
// audit row included).
func accDialStatus(t testing.TB, env *servertest.Env, c *http.Client, member, origin string) int {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), accWait)
	defer cancel()
	h := http.Header{}
	if origin != "" {
		h.Set("Origin", origin)
	}
	ws, resp, err := websocket.Dial(ctx, env.WSURL(member, -1, ""), &websocket.DialOptions{HTTPClient: c, HTTPHeader: h})
	if err == nil {
		defer ws.CloseNow()
		ws.SetReadLimit(16 << 20)
		if _, _, err := ws.Read(ctx); err != nil {
			t.Fatalf("dial %s: accepted, but no first message: %v", member, err)
		}
		return http.StatusSwitchingProtocols
	}
	if resp == nil {
		t.Fatalf("dial %s: %v (no HTTP response)", member, err)
	}
	return resp.StatusCode
}

// next returns the next message, or ok=false when the connection has ended and every
// message before the end has been taken. It fails the test after accWait.
func (w *accWS) next() (accMsg, bool) {
	w.t.Helper()
	take := func(m accMsg) (accMsg, bool) {
		w.mu.Lock()
		w.seen = append(w.seen, m)
		w.mu.Unlock()
		return m, true
	}
	select {
	case m := <-w.msgs:
		return take(m)
	default:
	}
	timer := time.NewTimer(accWait)
	defer timer.Stop()
	select {
	case m := <-w.msgs:
		return take(m)
	case <-w.done:
		select {
		case m := <-w.msgs:
			return take(m)
		default:
			return accMsg{}, false
		}
	case <-timer.C:
		w.t.Fatalf("%s's socket: no message within %v (seen so far: %s)", w.name, accWait, w.summary())
		return accMsg{}, false
	}
}

// until returns the first message for which ok is true, skipping others. The
// connection ending first fails the test.
func (w *accWS) until(what string, ok func(accMsg) bool) accMsg {
	w.t.Helper()
	for {
		m, open := w.next()
		if !open {
			w.t.Fatalf("%s's socket closed with %d while waiting for %s (seen: %s)", w.name, w.code, what, w.summary())
		}
		if ok(m) {
			return m
		}
	}
}

// nextOf returns the first message of one of the types, skipping others.
func (w *accWS) nextOf(types ...string) accMsg {
	w.t.Helper()
	return w.until(strings.Join(types, " or "), func(m accMsg) bool {
		for _, t := range types {
			if m.T == t {
				return true
			}
		}
		return false
	})
}

// waitClose waits until the server has closed the connection, taking every message
// before it, and returns the close code.
func (w *accWS) waitClose() websocket.StatusCode {
	w.t.Helper()
	for {
		if _, open := w.next(); !open {
			return w.code
		}
	}
}

// isOpen reports whether the connection has not ended (without waiting).
func (w *accWS) isOpen() bool {
	select {
	case <-w.done:
		return false
	default:
		return true
	}
}

// close ends the connection from the client side, normally, and waits for the end.
func (w *accWS) close() {
	w.ws.Close(websocket.StatusNormalClosure, "")
	<-w.done
}

// all returns every message taken so far.
func (w *accWS) all() []accMsg {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]accMsg(nil), w.seen...)
}

// summary lists the types of the messages taken so far, for failure messages.
func (w *accWS) summary() string {
	var ts []string
	for _, m := range w.all() {
		s := m.T
		if m.T == "lobby" {
			s += "(" + m.LobbyState() + ")"
		}
		if m.T == "reject" {
			s += "(" + m.Code + ")"
		}
		ts = append(ts, s)
	}
	return "[" + strings.Join(ts, " ") + "]"
}

// accOp is a client op message.
type accOp struct {
	T      string         `json:"t"`
	CID    string         `json:"cid"`
	Op     string         `json:"op"`
	Entity string         `json:"entity"`
	Base   int64          `json:"base,omitempty"`
	Data   map[string]any `json:"data"`
}

var accCIDs atomic.Int64

// accNewOp makes an op with a fresh cid.
func accNewOp(kind, entity string, base int64, data map[string]any) accOp {
	if data == nil {
		data = map[string]any{}
	}
	return accOp{T: "op", CID: fmt.Sprintf("acc-%d", accCIDs.Add(1)), Op: kind, Entity: entity, Base: base, Data: data}
}

// send sends an op (or any message).
func (w *accWS) send(v any) {
	w.t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		w.t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), accWait)
	defer cancel()
	if err := w.ws.Write(ctx, websocket.MessageText, b); err != nil {
		w.t.Fatalf("%s: send: %v", w.name, err)
	}
}

// do sends an op and returns its outcome: the event carrying its cid, or the reject or
// ack naming it. Other messages on the way are skipped.
func (w *accWS) do(op accOp) accMsg {
	w.t.Helper()
	w.send(op)
	return w.until("the outcome of op "+op.CID, func(m accMsg) bool {
		switch m.T {
		case "event":
			return m.Change != nil && m.Change.CID == op.CID
		case "reject", "ack":
			return m.CID == op.CID
		}
		return false
	})
}

// ---------------------------------------------------------------------------------------
// HTTP.

// accNoRedirect returns a client sharing c's cookies that does not follow redirects.
func accNoRedirect(c *http.Client) *http.Client {
	return &http.Client{Jar: c.Jar, Transport: c.Transport, Timeout: c.Timeout, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}
}

// accDo sends a request and returns the response with its body read.
func accDo(t testing.TB, c *http.Client, req *http.Request) (*http.Response, string) {
	t.Helper()
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL.Path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, string(b)
}

// accGet gets a URL with c, following redirects.
func accGet(t testing.TB, c *http.Client, u string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, u, nil)
	if err != nil {
		t.Fatal(err)
	}
	return accDo(t, c, req)
}

// accGetNoRedirect gets a URL with c's cookies without following a redirect.
func accGetNoRedirect(t testing.TB, c *http.Client, u string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, u, nil)
	if err != nil {
		t.Fatal(err)
	}
	return accDo(t, accNoRedirect(c), req)
}

// accPost posts a form with c's cookies without following the redirect. header adds
// request headers (Origin, Sec-Fetch-Site).
func accPost(t testing.TB, c *http.Client, u string, form url.Values, header http.Header) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, u, strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for k, vs := range header {
		req.Header[k] = vs
	}
	return accDo(t, accNoRedirect(c), req)
}

// accLogin signs a staff user in and returns their client. It does not follow the
// redirect after login (the page it leads to is not this suite's business).
func accLogin(t testing.TB, env *servertest.Env, email, password string) *http.Client {
	t.Helper()
	c := servertest.NewClient()
	resp, body := accPost(t, c, env.URL+"/login", url.Values{"email": {email}, "password": {password}}, nil)
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("login %s: status %d, want 303\n%s", email, resp.StatusCode, accShort(body))
	}
	if accCookie(env, c, "staff") == "" {
		t.Fatalf("login %s: no session cookie", email)
	}
	return c
}

// accCoordinator signs the demo coordinator in.
func accCoordinator(t testing.TB, env *servertest.Env) *http.Client {
	t.Helper()
	return accLogin(t, env, env.CoordinatorEmail, env.CoordinatorPassword)
}

// accJoin follows a personal link and confirms "this is me": the returned client's
// session waits in the lobby.
func accJoin(t testing.TB, env *servertest.Env, link string) *http.Client {
	t.Helper()
	c := servertest.NewClient()
	resp, body := accGet(t, c, link)
	if resp.StatusCode != http.StatusOK || resp.Request.URL.Path != "/join" {
		t.Fatalf("follow link: status %d at %s\n%s", resp.StatusCode, resp.Request.URL.Path, accShort(body))
	}
	resp, body = accPost(t, c, env.URL+"/join", nil, nil)
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("confirm link: status %d, want 303\n%s", resp.StatusCode, accShort(body))
	}
	return c
}

// accCookie is the value of one of the server's cookies in c's jar ("" if none), by its
// name without the __Host- prefix.
func accCookie(env *servertest.Env, c *http.Client, name string) string {
	u, _ := url.Parse(env.URL)
	for _, ck := range c.Jar.Cookies(u) {
		if ck.Name == name || ck.Name == "__Host-"+name {
			return ck.Value
		}
	}
	return ""
}

// accLobbyKey is the lobby key of a guest session: the hex of its token's hash (what
// the coordinator's lobby list names it by).
func accLobbyKey(t testing.TB, env *servertest.Env, c *http.Client, member string) string {
	t.Helper()
	token := accCookie(env, c, "bt-"+member)
	if token == "" {
		t.Fatalf("%s has no guest session cookie", member)
	}
	return hex.EncodeToString(secret.Hash(token))
}

// accAdmit lets a waiting guest session in directly in the store (scene setting; the
// admission itself is tested through the coordinator's form).
func accAdmit(t testing.TB, env *servertest.Env, c *http.Client, member string) {
	t.Helper()
	token := accCookie(env, c, "bt-"+member)
	if err := env.Store.Admit(context.Background(), secret.Hash(token), true, time.Now()); err != nil {
		t.Fatalf("admit %s: %v", member, err)
	}
}

// accGuest joins with a demo member's link and is let in.
func accGuest(t testing.TB, env *servertest.Env, member string) *http.Client {
	t.Helper()
	link, ok := env.Links[member]
	if !ok {
		t.Fatalf("no demo link for %s", member)
	}
	c := accJoin(t, env, link)
	accAdmit(t, env, c, member)
	return c
}

// accRoomPath is a path under a member's board.
func accRoomPath(env *servertest.Env, member, rest string) string {
	return env.BoardURL(member) + rest
}

// accShort shortens a page for a failure message.
func accShort(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > 300 {
		return s[:300] + "…"
	}
	return s
}

// ---------------------------------------------------------------------------------------
// Scene setting in the store.

// accInvite makes a personal link for a member to the demo meeting, valid until expires.
func accInvite(t testing.TB, env *servertest.Env, member string, expires time.Time) string {
	t.Helper()
	token, hash := secret.NewToken()
	inv := board.Invite{TokenHash: hash, MemberID: member, MeetingID: env.MeetingID, CreatedAt: time.Now(), ExpiresAt: expires}
	if err := env.Store.CreateInvite(context.Background(), inv); err != nil {
		t.Fatal(err)
	}
	return env.URL + "/j/" + token
}

// accAddMember adds a member to the demo team and waits until the live room knows them.
func accAddMember(t testing.TB, env *servertest.Env, m board.Member) {
	t.Helper()
	ctx := context.Background()
	m.TeamID = demo.TeamID
	if m.Lang == "" {
		m.Lang = "sv"
	}
	if err := env.Store.AddMember(ctx, m); err != nil {
		t.Fatalf("add member %s: %v", m.ID, err)
	}
	env.Server.Hub().Reload(ctx, env.MeetingID)
	accWaitFor(t, "the room to know "+m.ID, func() bool {
		dir, err := env.Server.Hub().Directory(ctx, env.MeetingID)
		if err != nil {
			t.Fatal(err)
		}
		got, ok := dir.Member(m.ID)
		return ok && got.Role == m.Role
	})
}

// accUser creates a staff account with a password and returns its e-mail and password.
func accUser(t testing.TB, env *servertest.Env, id, name, orgID string) (string, string) {
	t.Helper()
	email, pw := id+"@acc.example.se", "lösenord-för-"+id
	env.StaffUser(t, board.User{ID: id, Email: email, Name: name, OrgID: orgID}, pw)
	return email, pw
}

// accStaffMember creates a staff account and a team member bound to it, and signs them in.
func accStaffMember(t testing.TB, env *servertest.Env, id, name string, role board.Role, orgID string) *http.Client {
	t.Helper()
	email, pw := accUser(t, env, "user-"+id, name, orgID)
	accAddMember(t, env, board.Member{ID: id, Name: name, Role: role, OrgID: orgID, UserID: "user-" + id})
	return accLogin(t, env, email, pw)
}

// accWaitFor polls cond until it holds, failing the test after accWait.
func accWaitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(accWait)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("waiting for %s: not within %v", what, accWait)
		}
		time.Sleep(5 * time.Millisecond) // a poll interval, not a wait for the event
	}
}

// accBoard is the meeting's board as the store has it now.
func accBoard(t testing.TB, env *servertest.Env) *board.Board {
	t.Helper()
	b, err := env.Store.LoadBoard(context.Background(), env.MeetingID)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// accSeqs remembers the last seq seen per server, so that accSeq reads only the op log's
// tail (loading the whole board each time is slow under the race detector).
var accSeqs sync.Map // *servertest.Env → int64

// accSeq is the meeting's seq in the store: the length of its op log.
func accSeq(t testing.TB, env *servertest.Env) int64 {
	t.Helper()
	var seq int64
	if v, ok := accSeqs.Load(env); ok {
		seq = v.(int64)
	}
	for {
		chs, err := env.Store.ChangesSince(context.Background(), env.MeetingID, seq, 1000)
		if err != nil {
			t.Fatal(err)
		}
		for _, ch := range chs {
			if ch.Seq != seq+1 {
				t.Fatalf("op log has seq %d after %d", ch.Seq, seq)
			}
			seq = ch.Seq
		}
		if len(chs) < 1000 {
			break
		}
	}
	accSeqs.Store(env, seq)
	return seq
}

// accAudit returns every audit row, newest first.
func accAudit(t testing.TB, env *servertest.Env) []board.AuditEntry {
	t.Helper()
	rows, err := env.Store.Audit(context.Background(), board.AuditFilter{Limit: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

// accAuditCounts counts the audit rows by action.
func accAuditCounts(t testing.TB, env *servertest.Env) map[board.AuditAction]int {
	t.Helper()
	n := map[board.AuditAction]int{}
	for _, r := range accAudit(t, env) {
		n[r.Action]++
	}
	return n
}

// accAuditOf returns the audit rows of one action, newest first (through the store's
// filter, as an administrator's filter would).
func accAuditOf(t testing.TB, env *servertest.Env, action board.AuditAction) []board.AuditEntry {
	t.Helper()
	rows, err := env.Store.Audit(context.Background(), board.AuditFilter{Action: action, Limit: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

// accDelta is after − before for every action that changed.
func accDelta(before, after map[board.AuditAction]int) map[board.AuditAction]int {
	d := map[board.AuditAction]int{}
	for a, n := range after {
		if n != before[a] {
			d[a] = n - before[a]
		}
	}
	for a, n := range before {
		if _, ok := after[a]; !ok {
			d[a] = -n
		}
	}
	return d
}

// accCovered is what valid consent covers today, by the product's rule, computed from the
// store (what the team pages will hand to the hub when consent changes).
func accCovered(t testing.TB, env *servertest.Env) map[string]bool {
	t.Helper()
	ctx := context.Background()
	consents, err := env.Store.Consents(ctx, demo.TeamID)
	if err != nil {
		t.Fatal(err)
	}
	members, err := env.Store.Members(ctx, demo.TeamID)
	if err != nil {
		t.Fatal(err)
	}
	loc, err := time.LoadLocation("Europe/Stockholm")
	if err != nil {
		t.Fatal(err)
	}
	return board.CoveredOrgs(consents, members, time.Now().In(loc).Format(time.DateOnly))
}

// accConsent records a guardian's consent for organisations, valid from today for a month.
func accConsent(t testing.TB, env *servertest.Env, id, guardian string, orgs ...string) {
	t.Helper()
	now := time.Now()
	c := board.Consent{ID: id, TeamID: demo.TeamID, GivenBy: guardian, OrgIDs: orgs, Purpose: "Samordning i barnteamet",
		ValidFrom: now.AddDate(0, 0, -1).Format(time.DateOnly), ValidTo: now.AddDate(0, 1, 0).Format(time.DateOnly),
		Method: board.ConsentWritten, RecordedBy: "demo-user-coord", RecordedAt: now}
	if err := env.Store.CreateConsent(context.Background(), c); err != nil {
		t.Fatalf("record consent %s: %v", id, err)
	}
}

// accClock is a server clock the test moves.
type accClock struct {
	mu  sync.Mutex
	now time.Time
}

func newAccClock() *accClock { return &accClock{now: time.Now()} }

func (c *accClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *accClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// accClosedWithin waits for w to be closed by the server and checks the code and that it
// happened within accCloseLimit of start. It returns how long it took.
func accClosedWithin(t testing.TB, w *accWS, start time.Time, want websocket.StatusCode) time.Duration {
	t.Helper()
	// Wait a little longer than the limit, so that a slow close is reported with its time,
	// and a missing one does not hold the suite up.
	timer := time.NewTimer(accCloseLimit + 3*time.Second)
	defer timer.Stop()
	select {
	case <-w.done:
	case <-timer.C:
		t.Errorf("%s's socket is still open %v after the action, want closed with %d within %v (seen: %s)",
			w.name, time.Since(start).Round(time.Millisecond), want, accCloseLimit, w.summary())
		return time.Since(start)
	}
	took := time.Since(start)
	code := w.waitClose()
	if code != want {
		t.Errorf("%s's socket closed with %d (%v), want %d", w.name, code, w.err, want)
	}
	if took > accCloseLimit {
		t.Errorf("%s's socket closed %v after the action, want within %v", w.name, took, accCloseLimit)
	}
	t.Logf("%s's socket closed with %d after %v", w.name, code, took.Round(100*time.Microsecond))
	return took
}

// accBoardContent reports whether a page holds board content (any of the demo board's
// texts or regions).
func accBoardContent(page string) []string {
	var found []string
	for _, s := range []string{
		`id="area-`, `id="agenda"`, `id="actions"`, "data-seq=",
		"Rastvärd som Alva känner", "Frånvaro på måndagar", "Ont i magen på morgnarna",
		"Alva känner sig trygg i skolan", "Syftet med mötet",
	} {
		if strings.Contains(page, s) {
			found = append(found, s)
		}
	}
	return found
}
