package server_test

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/barnteam/barnteam/server/board"
	"github.com/barnteam/barnteam/server/demo"
	"github.com/barnteam/barnteam/server/secret"
	"github.com/barnteam/barnteam/server/servertest"
)

func get(t *testing.T, c *http.Client, u string) (*http.Response, string) {
	t.Helper()
	resp, err := c.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, string(b)
}

// TestBoardRendersForEveryMemberAndLanguage renders the whole board as each demo member in
// each language and fails on any message key that is in no catalog.
func TestBoardRendersForEveryMemberAndLanguage(t *testing.T) {
	env := servertest.Start(t, servertest.Options{})
	env.Catalog.Missing = func(lang, key string) { t.Errorf("missing message %q (%s)", key, lang) }
	for id := range env.Links {
		c := env.Client(t, id)
		for _, lang := range env.Catalog.Languages() {
			resp, body := get(t, c, env.BoardURL(id)+"?lang="+lang)
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("%s %s: status %d", id, lang, resp.StatusCode)
			}
			if !strings.Contains(body, `<html lang="`+lang+`" dir="ltr">`) {
				t.Errorf("%s %s: page lacks lang and dir", id, lang)
			}
			// The child gets the child view: a question per area, not the board's areas.
			region := "area-"
			if id == "demo-child" {
				region = "q-"
			}
			for _, area := range board.Areas {
				if !strings.Contains(body, `id="`+region+string(area)+`"`) {
					t.Errorf("%s %s: area %s missing", id, lang, area)
				}
			}
			if !strings.Contains(body, "Rastvärd som Alva känner") {
				t.Errorf("%s %s: the demo action is not shown", id, lang)
			}
		}
	}
}

// TestControlsFollowRoles: the page offers only what the role may do (the server checks
// again on every op).
func TestControlsFollowRoles(t *testing.T) {
	env := servertest.Start(t, servertest.Options{})
	_, coord := get(t, env.Client(t, "demo-coord"), env.BoardURL("demo-coord"))
	_, guardian := get(t, env.Client(t, "demo-guardian1"), env.BoardURL("demo-guardian1"))
	_, child := get(t, env.Client(t, "demo-child"), env.BoardURL("demo-child"))
	if !strings.Contains(coord, `name="op" value="goto"`) {
		t.Error("the coordinator has no control to move the meeting on")
	}
	if strings.Contains(guardian, `name="op" value="goto"`) || strings.Contains(child, `name="op" value="goto"`) {
		t.Error("a guardian or the child is offered a control to move the meeting on")
	}
	if !strings.Contains(guardian, `value="guardian:demo-guardian1"`) {
		t.Error("a guardian cannot rate from their own perspective")
	}
	if strings.Contains(child, `id="action-new-what"`) {
		t.Error("the child is offered the form to add an action")
	}
}

// TestSecurityHeadersAndJoin follows a personal link step by step (PROTOCOL.md "Getting
// in"): the link moves its token into a short-lived cookie and leaves the address bar at
// once, the "this is me" POST starts the guest session, and the board address is the lobby
// until the coordinator lets the person in. Then the headers of the board page, and one
// identical 404 for every link or address that leads nowhere.
func TestSecurityHeadersAndJoin(t *testing.T) {
	env := servertest.Start(t, servertest.Options{})
	link := env.Links["demo-guardian1"]
	token := link[strings.LastIndex(link, "/")+1:]
	// A browser that shows each step instead of following redirects.
	browser := servertest.NewClient()
	browser.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	hostOnly := func(t *testing.T, what string, ck *http.Cookie) {
		t.Helper()
		if ck == nil || !ck.HttpOnly || !ck.Secure || ck.Path != "/" || ck.SameSite != http.SameSiteLaxMode || ck.Domain != "" {
			t.Fatalf("%s cookie = %+v, want __Host-, HttpOnly, Secure, Path=/, SameSite=Lax, no Domain", what, ck)
		}
	}
	cookieNamed := func(resp *http.Response, name string) *http.Cookie {
		for _, ck := range resp.Cookies() {
			if ck.Name == name {
				return ck
			}
		}
		return nil
	}

	// The link: 303 to /join; the token goes into the __Host-cap cookie, not the address.
	// A GET creates nothing: no session cookie.
	resp, _ := get(t, browser, link)
	loc := resp.Header.Get("Location")
	if resp.StatusCode != http.StatusSeeOther || loc != "/join" {
		t.Fatalf("link: status %d location %q, want 303 to /join", resp.StatusCode, loc)
	}
	if strings.Contains(loc, token) {
		t.Fatalf("the redirect carries the token: %q", loc)
	}
	if got := resp.Header.Get("Referrer-Policy"); got != "no-referrer" {
		t.Errorf("link Referrer-Policy = %q", got)
	}
	capCookie := cookieNamed(resp, "__Host-cap")
	hostOnly(t, "link", capCookie)
	if capCookie.Value == "" {
		t.Fatal("the cap cookie is empty")
	}
	lifetime := time.Duration(capCookie.MaxAge) * time.Second
	if capCookie.MaxAge == 0 {
		lifetime = time.Until(capCookie.Expires)
	}
	if lifetime <= 0 || lifetime > time.Hour {
		t.Errorf("cap cookie lives %v (Expires %v, Max-Age %d); want short-lived, at most an hour", lifetime, capCookie.Expires, capCookie.MaxAge)
	}
	for _, ck := range resp.Cookies() {
		if ck.Name != "__Host-cap" {
			t.Errorf("the link's GET set cookie %s: nothing is created by this GET", ck.Name)
		}
	}

	// /join: who the link is for and the confirmation; the token is nowhere on the page.
	resp, body := get(t, browser, env.URL+"/join")
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, "Sara Nilsson") || !strings.Contains(body, `action="/join"`) {
		t.Fatalf("/join: status %d, want the confirmation page for Sara Nilsson", resp.StatusCode)
	}
	if strings.Contains(body, token) {
		t.Error("the /join page contains the token")
	}
	if cookieNamed(resp, "__Host-bt-demo-guardian1") != nil {
		t.Error("GET /join started a session")
	}
	if got := resp.Header.Get("Referrer-Policy"); got != "no-referrer" {
		t.Errorf("/join Referrer-Policy = %q", got)
	}

	// "This is me": the guest session for that member, and 303 to the board; the cap
	// cookie is cleared.
	resp, err := browser.PostForm(env.URL+"/join", url.Values{})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if want := "/b/" + demo.MeetingID + "/demo-guardian1/"; resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != want {
		t.Fatalf("POST /join: status %d location %q, want 303 to %s", resp.StatusCode, resp.Header.Get("Location"), want)
	}
	session := cookieNamed(resp, "__Host-bt-demo-guardian1")
	hostOnly(t, "session", session)
	if len(session.Value) < 43 {
		t.Errorf("session token has %d characters; want at least 256 bits", len(session.Value))
	}
	if session.Value == token || session.Value == capCookie.Value {
		t.Error("the session token is the link's token")
	}
	if ck := cookieNamed(resp, "__Host-cap"); ck == nil || ck.MaxAge >= 0 {
		t.Errorf("POST /join left the cap cookie (%+v); want it cleared", ck)
	}

	// The board address is the lobby: the socket to wait on, no board content.
	resp, body = get(t, browser, env.BoardURL("demo-guardian1"))
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, `data-ws="/b/`+demo.MeetingID+`/demo-guardian1/ws"`) {
		t.Fatalf("board address before admission: status %d, want the lobby page", resp.StatusCode)
	}
	for _, content := range []string{`id="area-`, "Rastvärd som Alva känner", `data-seq=`} {
		if strings.Contains(body, content) {
			t.Errorf("the lobby page shows board content (%q)", content)
		}
	}

	// Let in: the board, with the security headers.
	c := env.Client(t, "demo-guardian1")
	resp, body = get(t, c, env.BoardURL("demo-guardian1"))
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, `id="area-trygghet"`) {
		t.Fatalf("board after admission: status %d", resp.StatusCode)
	}
	h := resp.Header
	csp := h.Get("Content-Security-Policy")
	for _, want := range []string{"default-src 'self'", "script-src 'self'", "object-src 'none'", "base-uri 'none'", "frame-ancestors 'none'"} {
		if !strings.Contains(csp, want) {
			t.Errorf("CSP %q lacks %q", csp, want)
		}
	}
	if strings.Contains(csp, "unsafe-inline") || strings.Contains(csp, "unsafe-eval") {
		t.Errorf("CSP allows unsafe code: %q", csp)
	}
	for name, want := range map[string]string{
		"X-Content-Type-Options": "nosniff",
		"Referrer-Policy":        "no-referrer",
		"Cache-Control":          "no-store",
	} {
		if got := h.Get(name); got != want {
			t.Errorf("%s = %q, want %q", name, got, want)
		}
	}
	if h.Get("X-XSS-Protection") == "1; mode=block" {
		t.Error("X-XSS-Protection: 1; mode=block is harmful (OWASP)")
	}

	// Unknown, malformed, expired and revoked links, /join without a link, and
	// cross-member requests all get the same plain 404.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	expired, hash := secret.NewToken()
	now := time.Now()
	if err := env.Store.CreateInvite(ctx, board.Invite{TokenHash: hash, MemberID: "demo-guardian2", MeetingID: demo.MeetingID,
		CreatedAt: now.Add(-8 * 24 * time.Hour), ExpiresAt: now.Add(-time.Hour)}); err != nil {
		t.Fatal(err)
	}
	if err := env.Store.RevokeInvites(ctx, demo.MeetingID, "demo-child"); err != nil {
		t.Fatal(err)
	}
	var bodies []string
	for _, u := range []string{
		env.URL + "/j/" + strings.Repeat("A", 43),
		env.URL + "/j/short",
		env.URL + "/j/" + expired,
		env.Links["demo-child"],    // revoked
		env.URL + "/join",          // no link behind it
		env.BoardURL("demo-coord"), // a guardian's cookies, the coordinator's board
		env.URL + "/b/" + demo.MeetingID + "/nobody/",
	} {
		resp, body := get(t, c, u)
		if resp.StatusCode != http.StatusNotFound {
			t.Errorf("%s: status %d, want 404", u, resp.StatusCode)
		}
		if len(resp.Cookies()) > 0 {
			t.Errorf("%s: the 404 sets cookies %v", u, resp.Cookies())
		}
		bodies = append(bodies, body)
	}
	for _, b := range bodies[1:] {
		if b != bodies[0] {
			t.Error("404 pages differ: a response must not tell an expired link from an unknown one")
		}
	}
}

// TestUserTextIsEscaped: Markdown notes render safely (no raw HTML, no javascript: links),
// and plain fields are escaped.
func TestUserTextIsEscaped(t *testing.T) {
	env := servertest.Start(t, servertest.Options{})
	c := env.Client(t, "demo-coord")
	evil := `<script>alert(1)</script> <img src=x onerror=alert(2)> [klick](javascript:alert(3))` + "\n\n**fet** <b onclick=alert(4)>x</b>"
	post := func(form url.Values) {
		t.Helper()
		resp, err := c.PostForm(env.BoardURL("demo-coord")+"op", form)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK { // the client follows the 303 to the board
			t.Fatalf("post %v: status %d", form, resp.StatusCode)
		}
	}
	b, err := env.Store.LoadBoard(context.Background(), env.MeetingID)
	if err != nil {
		t.Fatal(err)
	}
	notesRev := strconv.FormatInt(b.Agenda["inledning"].Notes.Rev, 10)
	post(url.Values{"op": {"set"}, "entity": {"agenda/inledning"}, "base": {notesRev}, "field": {"notes"}, "value": {evil}})
	post(url.Values{"op": {"set"}, "entity": {"compass/fritid"}, "base": {"0"}, "field": {"works"}, "value": {evil}})
	// The guardian sees notes as rendered Markdown (read-only).
	_, body := get(t, env.Client(t, "demo-guardian1"), env.BoardURL("demo-guardian1"))
	for _, bad := range []string{"<script>alert", "<img", `href="javascript:`, "<b onclick"} {
		if strings.Contains(body, bad) {
			t.Errorf("page contains %q", bad)
		}
	}
	if !strings.Contains(body, "<strong>fet</strong>") {
		t.Error("Markdown was not rendered")
	}
}

// TestFormPostKeepsTextOnRefusal: without JavaScript, a refused edit re-renders the board
// with the message and the person's text, and nothing saved is lost.
func TestFormPostKeepsTextOnRefusal(t *testing.T) {
	env := servertest.Start(t, servertest.Options{})
	c := env.Client(t, "demo-guardian1")
	text := "Min text som inte får försvinna"
	resp, err := c.PostForm(env.BoardURL("demo-guardian1")+"op", url.Values{
		"op": {"set"}, "entity": {"agenda/inledning"}, "base": {"0"}, "field": {"notes"}, "value": {text},
	})
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("status %d, want 422 (guardians may not write agenda notes)", resp.StatusCode)
	}
	if !strings.Contains(string(body), text) || !strings.Contains(string(body), env.Catalog.T("sv", "op.forbidden")) {
		t.Error("the refusal page lacks the message or the person's text")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	b, err := env.Store.LoadBoard(ctx, env.MeetingID)
	if err != nil {
		t.Fatal(err)
	}
	if b.Agenda["inledning"].Notes.Value == text {
		t.Error("a refused op was saved")
	}
}

func TestStaticAssetsAreHashedAndCached(t *testing.T) {
	env := servertest.Start(t, servertest.Options{})
	_, page := get(t, http.DefaultClient, env.URL+"/")
	i := strings.Index(page, `/static/`)
	if i < 0 {
		t.Fatal("home page links no static asset")
	}
	href := page[i:]
	href = href[:strings.IndexByte(href, '"')]
	resp, body := get(t, http.DefaultClient, env.URL+href)
	if resp.StatusCode != http.StatusOK || len(body) == 0 {
		t.Fatalf("%s: status %d", href, resp.StatusCode)
	}
	if cc := resp.Header.Get("Cache-Control"); !strings.Contains(cc, "immutable") {
		t.Errorf("hashed asset Cache-Control = %q", cc)
	}
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/css") {
		t.Errorf("stylesheet Content-Type = %q", ct)
	}
	resp, _ = get(t, http.DefaultClient, env.URL+"/static/x/embed.go")
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("Go source served as an asset: %d", resp.StatusCode)
	}
}

// TestShuttingDownAnswers503: a request that races the shutdown is told to come back,
// not shown an internal error.
func TestShuttingDownAnswers503(t *testing.T) {
	env := servertest.Start(t, servertest.Options{})
	env.Catalog.Missing = func(lang, key string) { t.Errorf("missing message %q (%s)", key, lang) }
	c := env.Client(t, "demo-teacher")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	env.Server.Shutdown(ctx)
	resp, body := get(t, c, env.BoardURL("demo-teacher"))
	if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") == "" {
		t.Errorf("status %d, Retry-After %q; want 503 with Retry-After", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	if !strings.Contains(body, env.Catalog.T("sv", "error.unavailable.title")) {
		t.Error("the page does not say the server is restarting")
	}
	if resp, _ := get(t, http.DefaultClient, env.URL+"/readyz"); resp.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("/readyz while shutting down: %d", resp.StatusCode)
	}
}
