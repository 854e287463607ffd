package server_test

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/barnteam/barnteam/server/board"
	"github.com/barnteam/barnteam/server/demo"
	"github.com/barnteam/barnteam/server/secret"
	"github.com/barnteam/barnteam/server/servertest"
)

// accReadActions are the audit actions that record a read: a GET may add these and
// nothing else. Every other action records a change of state.
var accReadActions = map[board.AuditAction]bool{
	board.AuditView: true, board.AuditAuditExtract: true, board.AuditExport: true, board.AuditDownload: true,
}

// accPath fills a route's parameters with real ids of the demo team. Unknown parameters
// get "unknown" and are reported, so that a new route is not silently tested with
// nonsense.
func accPath(t testing.TB, env *servertest.Env, route string, tokens map[string]string) string {
	t.Helper()
	segs := strings.Split(route, "/")
	for i, s := range segs {
		prev := ""
		if i > 0 {
			prev = segs[i-1]
		}
		switch {
		case s == "*":
			segs[i] = "css/app.css"
		case !strings.HasPrefix(s, ":"):
		case s == ":meeting":
			segs[i] = env.MeetingID
		case s == ":member" && strings.HasPrefix(route, "/b/"):
			segs[i] = "demo-coord"
		case s == ":member":
			segs[i] = "demo-child"
		case s == ":team":
			segs[i] = demo.TeamID
		case s == ":consent":
			segs[i] = "demo-consent-1"
		case s == ":token" && prev == "j":
			segs[i] = tokens["j"]
		case s == ":token" && prev == "a":
			segs[i] = tokens["a"]
		case s == ":hash":
			segs[i] = "x"
		case s == ":id" && prev == "orgs":
			segs[i] = "demo-skola"
		case s == ":id" && prev == "users":
			segs[i] = "demo-user-coord"
		default:
			t.Logf("route %s: parameter %s is unknown to this test; using \"unknown\"", route, s)
			segs[i] = "unknown"
		}
	}
	return env.URL + strings.Join(segs, "/")
}

// accRoutes lists the server's routes of one method, sorted by path, without the
// catch-all method routes (Echo lists an Any route once per method).
func accRoutes(env *servertest.Env, method string) []string {
	seen := map[string]bool{}
	var out []string
	for _, r := range env.Server.Routes() {
		if r.Method == method && !seen[r.Path] {
			seen[r.Path] = true
			out = append(out, r.Path)
		}
	}
	sort.Strings(out)
	return out
}

// accStateOf is everything a state-changing request could change, as the store has it.
type accStateOf struct {
	Audit    map[board.AuditAction]int
	Seq      int64
	Members  string
	Removed  string
	Meeting  string
	Consents string
	Users    string
	Orgs     string
	Teams    string
	Meetings string
	Invites  int
}

func accSnapshot(t testing.TB, env *servertest.Env) accStateOf {
	t.Helper()
	ctx := context.Background()
	var s accStateOf
	s.Audit = accAuditCounts(t, env)
	s.Seq = accSeq(t, env)
	must := func(err error) {
		if err != nil {
			t.Fatal(err)
		}
	}
	members, err := env.Store.Members(ctx, demo.TeamID)
	must(err)
	s.Members = fmt.Sprint(members)
	removed, err := env.Store.Removed(ctx, env.MeetingID)
	must(err)
	s.Removed = fmt.Sprint(removed)
	m, err := env.Store.Meeting(ctx, env.MeetingID)
	must(err)
	s.Meeting = fmt.Sprint(m)
	consents, err := env.Store.Consents(ctx, demo.TeamID)
	must(err)
	s.Consents = fmt.Sprint(consents)
	users, err := env.Store.Users(ctx)
	must(err)
	var us []string
	for _, u := range users {
		us = append(us, fmt.Sprint(u.ID, u.Email, u.Name, u.OrgID, u.Admin, u.Disabled, u.MustChangePassword, u.PasswordHash))
	}
	s.Users = strings.Join(us, "\n")
	orgs, err := env.Store.Organisations(ctx)
	must(err)
	s.Orgs = fmt.Sprint(orgs)
	teams, err := env.Store.TeamsOfUser(ctx, "demo-user-coord")
	must(err)
	s.Teams = fmt.Sprint(teams)
	meetings, err := env.Store.MeetingsOfTeam(ctx, demo.TeamID)
	must(err)
	s.Meetings = fmt.Sprint(meetings)
	invites, err := env.Store.Invites(ctx, env.MeetingID, time.Now())
	must(err)
	s.Invites = len(invites)
	return s
}

// diff describes what changed between two snapshots.
func (s accStateOf) diff(o accStateOf) []string {
	var out []string
	if d := accDelta(s.Audit, o.Audit); len(d) > 0 {
		out = append(out, fmt.Sprintf("audit rows %v", d))
	}
	if s.Seq != o.Seq {
		out = append(out, fmt.Sprintf("op log %d → %d", s.Seq, o.Seq))
	}
	for _, f := range []struct{ name, a, b string }{
		{"members", s.Members, o.Members}, {"removals", s.Removed, o.Removed}, {"meeting", s.Meeting, o.Meeting},
		{"consents", s.Consents, o.Consents}, {"users", s.Users, o.Users}, {"organisations", s.Orgs, o.Orgs},
		{"teams", s.Teams, o.Teams}, {"meetings", s.Meetings, o.Meetings},
	} {
		if f.a != f.b {
			out = append(out, f.name+" changed")
		}
	}
	if s.Invites != o.Invites {
		out = append(out, fmt.Sprintf("invites %d → %d", s.Invites, o.Invites))
	}
	return out
}

// TestAccessCSRF: every POST route refuses a cross-site request with 403 and changes
// nothing, though the request carries a valid session of the coordinator (an
// administrator too, so the administration's forms would work) and a well-formed form;
// the same request from the same site gets past the CSRF layer.
func TestAccessCSRF(t *testing.T) {
	t.Parallel()
	env := servertest.Start(t, servertest.Options{})
	ctx := context.Background()

	// Make the coordinator an administrator, so that every form would do something.
	u, err := env.Store.User(ctx, "demo-user-coord")
	if err != nil {
		t.Fatal(err)
	}
	u.Admin = true
	if err := env.Store.UpdateUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	coord := accCoordinator(t, env)
	// A staff member with an account who could be co-facilitator or take over.
	accStaffMember(t, env, "acc-staff", "Stina Stöd", board.RoleProfessional, "demo-skola")
	// Someone waiting in the lobby, for the admission form.
	waiting := accJoin(t, env, env.Links["demo-guardian2"])
	key := accLobbyKey(t, env, waiting, "demo-guardian2")
	passwordLink, err := env.Server.Accounts().PasswordLink(ctx, "demo-user-coord")
	if err != nil {
		t.Fatal(err)
	}
	aToken := passwordLink[strings.LastIndex(passwordLink, "/")+1:]
	jLink := env.Links["demo-child"]
	tokens := map[string]string{"a": aToken, "j": jLink[strings.LastIndex(jLink, "/")+1:]}
	today := time.Now().Format(time.DateOnly)

	// A form per route that would change something if it got through; routes not listed
	// get an empty form. prepare runs first (it puts a one-time token in the cap cookie).
	forms := map[string]struct {
		form    url.Values
		prepare func()
	}{
		"/login":            {form: url.Values{"email": {env.CoordinatorEmail}, "password": {env.CoordinatorPassword}}},
		"/account/link":     {form: url.Values{"password": {"ett helt nytt lösenord"}, "password2": {"ett helt nytt lösenord"}}, prepare: func() { accGet(t, coord, env.URL+"/a/"+aToken) }},
		"/account/password": {form: url.Values{"current": {env.CoordinatorPassword}, "password": {"ett annat nytt lösenord"}, "password2": {"ett annat nytt lösenord"}}},
		"/join":             {prepare: func() { accGet(t, coord, jLink) }},
		"/b/:meeting/:member/op": {form: url.Values{"op": {"set"}, "entity": {"compass/omsorg"}, "base": {"0"},
			"field": {"works"}, "value": {"Skrivet från en annan webbplats"}}},
		"/b/:meeting/:member/lobby":         {form: url.Values{"key": {key}, "decision": {"admit"}}},
		"/b/:meeting/:member/remove":        {form: url.Values{"member": {"demo-ifo"}}},
		"/b/:meeting/:member/cofacilitator": {form: url.Values{"member": {"acc-staff"}}},
		"/b/:meeting/:member/handover":      {form: url.Values{"member": {"acc-staff"}}},
		"/teams/new":                        {form: url.Values{"child": {"Kalle"}, "child_first_name": {"Kalle"}, "birth_year": {"2016"}, "child_birth_year": {"2016"}, "reason": {"Skolfrånvaro"}}},
		"/teams/:team/members/guest":        {form: url.Values{"name": {"Nora Granne"}, "role": {"network"}, "lang": {"sv"}}},
		"/teams/:team/members/staff":        {form: url.Values{"user": {"user-acc-staff"}, "role": {"professional"}}},
		"/teams/:team/consents": {form: url.Values{"given_by": {"demo-guardian1"}, "org": {"demo-skola"}, "purpose": {"Samordning"},
			"valid_from": {today}, "valid_to": {today}, "method": {"written"}}},
		"/teams/:team/meetings":   {form: url.Values{"title": {"Uppföljning"}, "date": {time.Now().AddDate(0, 0, 7).Format(time.DateOnly)}, "time": {"10:00"}}},
		"/admin/orgs":             {form: url.Values{"name": {"Ny verksamhet"}, "huvudman": {"kommun"}}},
		"/admin/orgs/:id":         {form: url.Values{"name": {"Omdöpt skola"}, "huvudman": {"region"}}},
		"/admin/users":            {form: url.Values{"email": {"ny@acc.example.se"}, "name": {"Ny Person"}, "org": {"demo-skola"}}},
		"/admin/users/:id":        {form: url.Values{"name": {"Omdöpt Person"}, "org": {"demo-skola"}}},
		"/admin/users/:id/enable": {},
	}

	// Routes whose same-site request ends the session or the coordinator role go last.
	posts := accRoutes(env, http.MethodPost)
	last := func(p string) int {
		switch {
		case p == "/logout":
			return 3
		case strings.HasSuffix(p, "/handover"), strings.HasSuffix(p, "/disable"), strings.HasSuffix(p, "/password") && strings.HasPrefix(p, "/admin"):
			return 2
		}
		return 0
	}
	sort.SliceStable(posts, func(i, j int) bool { return last(posts[i]) < last(posts[j]) })
	if !slices.Contains(posts, "/b/:meeting/:member/op") || !slices.Contains(posts, "/logout") {
		t.Fatalf("POST routes %v lack the board's form path or /logout", posts)
	}
	t.Logf("%d POST routes: %v", len(posts), posts)

	crossSite := http.Header{"Origin": {"http://evil.example"}, "Sec-Fetch-Site": {"cross-site"}}
	sameSite := http.Header{"Origin": {env.URL}, "Sec-Fetch-Site": {"same-origin"}}
	type refusal struct {
		route string
		body  string
	}
	var refusals []refusal
	for _, route := range posts {
		f := forms[route]
		if f.prepare != nil {
			f.prepare()
		}
		u := accPath(t, env, route, tokens)
		before := accSnapshot(t, env)
		resp, body := accPost(t, coord, u, f.form, crossSite)
		if resp.StatusCode != http.StatusForbidden {
			t.Errorf("cross-site POST %s: status %d, want 403\n%s", route, resp.StatusCode, accShort(body))
		}
		if d := before.diff(accSnapshot(t, env)); len(d) > 0 {
			t.Errorf("cross-site POST %s changed state: %s", route, strings.Join(d, "; "))
		}
		if loc := resp.Header.Get("Location"); loc != "" {
			t.Errorf("cross-site POST %s redirects to %s", route, loc)
		}
		refusals = append(refusals, refusal{route, body})
	}
	// The coordinator's session survived every cross-site request (logout included).
	if resp, _ := accGetNoRedirect(t, coord, env.URL+"/account/password"); resp.StatusCode != http.StatusOK {
		t.Fatalf("after the cross-site requests the coordinator's session is gone: status %d", resp.StatusCode)
	}

	for _, r := range refusals {
		f := forms[r.route]
		if f.prepare != nil {
			f.prepare()
		}
		resp, body := accPost(t, coord, accPath(t, env, r.route, tokens), f.form, sameSite)
		// The CSRF layer's refusal is the body every cross-site request got; a handler may
		// still refuse (403 included), but not with that.
		if resp.StatusCode == http.StatusForbidden && body == r.body {
			t.Errorf("same-site POST %s: refused like the cross-site request (403 %q)", r.route, accShort(body))
		}
		t.Logf("same-site POST %s: %d", r.route, resp.StatusCode)
	}
}

// TestAccessGetChangesNothing: GET every GET route (with real parameters), as the
// coordinator (an administrator too) and as a guest who is let in, and as nobody. The
// audit log may gain read rows (view, audit extract) and nothing else; the op log, the
// links and the one-time tokens are untouched.
func TestAccessGetChangesNothing(t *testing.T) {
	t.Parallel()
	env := servertest.Start(t, servertest.Options{})
	ctx := context.Background()
	u, err := env.Store.User(ctx, "demo-user-coord")
	if err != nil {
		t.Fatal(err)
	}
	u.Admin = true
	if err := env.Store.UpdateUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	passwordLink, err := env.Server.Accounts().PasswordLink(ctx, "demo-user-coord")
	if err != nil {
		t.Fatal(err)
	}
	aToken := passwordLink[strings.LastIndex(passwordLink, "/")+1:]
	jLink := env.Links["demo-child"]
	tokens := map[string]string{"a": aToken, "j": jLink[strings.LastIndex(jLink, "/")+1:]}

	clients := map[string]*http.Client{
		"coordinator": accCoordinator(t, env),
		"guardian":    accGuest(t, env, "demo-guardian1"),
		"nobody":      servertest.NewClient(),
	}
	gets := accRoutes(env, http.MethodGet)
	t.Logf("%d GET routes: %v", len(gets), gets)
	for _, who := range []string{"coordinator", "guardian", "nobody"} {
		for _, route := range gets {
			u := accPath(t, env, route, tokens)
			if strings.HasPrefix(route, "/b/") && who == "guardian" {
				u = strings.Replace(u, "/demo-coord/", "/demo-guardian1/", 1)
			}
			before := accSnapshot(t, env)
			resp, _ := accGet(t, clients[who], u)
			after := accSnapshot(t, env)
			for a, n := range accDelta(before.Audit, after.Audit) {
				if !accReadActions[a] {
					t.Errorf("GET %s as %s (status %d): %+d %q audit rows", route, who, resp.StatusCode, n, a)
				}
			}
			before.Audit, after.Audit = nil, nil
			if d := before.diff(after); len(d) > 0 {
				t.Errorf("GET %s as %s (status %d) changed state: %s", route, who, resp.StatusCode, strings.Join(d, "; "))
			}
		}
	}
	// The one-time links looked at are still unused.
	if _, _, err := env.Server.Accounts().TokenInfo(ctx, aToken); err != nil {
		t.Errorf("GET /a/<token> used the password link up: %v", err)
	}
	if inv, err := env.Store.InviteByHash(ctx, secret.Hash(tokens["j"]), time.Now()); err != nil || inv.MemberID != "demo-child" {
		t.Errorf("GET /j/<token> used the personal link up: %v", err)
	}
	if n := accAuditCounts(t, env)[board.AuditJoin]; n != 1 {
		t.Errorf("%d join rows; want 1 (the guardian's confirming POST): a GET made a session", n)
	}
}

// TestAccessUpgradeOriginAndSession: a foreign Origin is refused (403) on a board socket
// and on a lobby socket, though the session is valid; without a session the upgrade is a
// 404.
func TestAccessUpgradeOriginAndSession(t *testing.T) {
	t.Parallel()
	env := servertest.Start(t, servertest.Options{})
	teacher := accGuest(t, env, "demo-teacher")
	waiting := accJoin(t, env, env.Links["demo-guardian2"])
	coord := accCoordinator(t, env)
	turnedAway := accJoin(t, env, env.Links["demo-child"])
	if err := env.Store.Admit(context.Background(), secret.Hash(accCookie(env, turnedAway, "bt-demo-child")), false, time.Now()); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name   string
		c      *http.Client
		member string
		origin string
		want   int
	}{
		{"board socket, foreign origin", teacher, "demo-teacher", "http://evil.example", http.StatusForbidden},
		{"staff board socket, foreign origin", coord, "demo-coord", "http://evil.example", http.StatusForbidden},
		{"lobby socket, foreign origin", waiting, "demo-guardian2", "http://evil.example", http.StatusForbidden},
		{"lobby socket, foreign origin on the same host", waiting, "demo-guardian2", "http://127.0.0.1:1", http.StatusForbidden},
		{"no session", servertest.NewClient(), "demo-teacher", env.URL, http.StatusNotFound},
		{"no session, foreign origin", servertest.NewClient(), "demo-teacher", "http://evil.example", http.StatusNotFound},
		{"another member's session", teacher, "demo-guardian2", env.URL, http.StatusNotFound},
		{"turned away", turnedAway, "demo-child", env.URL, http.StatusForbidden},
		// The refusals above are about the origin: the same sessions get in from their own.
		{"board socket, own origin", teacher, "demo-teacher", env.URL, http.StatusSwitchingProtocols},
		{"lobby socket, own origin", waiting, "demo-guardian2", env.URL, http.StatusSwitchingProtocols},
	} {
		before := accAuditCounts(t, env)
		got := accDialStatus(t, env, tc.c, tc.member, tc.origin)
		if got != tc.want {
			t.Errorf("%s: HTTP %d, want %d", tc.name, got, tc.want)
		}
		// A refused upgrade is no view of the child's board: the audit log must not say
		// it was one (it would also let any site write rows in a member's name).
		wantRows := map[board.AuditAction]int{}
		if tc.want == http.StatusSwitchingProtocols && !strings.HasPrefix(tc.name, "lobby") {
			wantRows[board.AuditView] = 1
		}
		if d := accDelta(before, accAuditCounts(t, env)); fmt.Sprint(d) != fmt.Sprint(wantRows) {
			t.Errorf("%s: audit rows added %v, want %v", tc.name, d, wantRows)
		}
	}
}

// accRaw gets a URL with a fresh client that neither follows redirects nor asks for
// compression, and returns status, headers (without Date) and body bytes.
func accRaw(t testing.TB, u string) (int, http.Header, []byte) {
	t.Helper()
	c := &http.Client{Transport: &http.Transport{DisableCompression: true}, Timeout: accWait,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	req, err := http.NewRequest(http.MethodGet, u, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Accept-Language", "sv")
	resp, body := accDo(t, c, req)
	h := resp.Header.Clone()
	h.Del("Date")
	return resp.StatusCode, h, []byte(body)
}

// TestAccessDeadLinksLookAlike: an unknown, an expired and a revoked personal link get
// byte-identical answers (status, headers but Date, body), and so do an unknown, an
// expired and a used one-time account link; both kinds answer like each other.
func TestAccessDeadLinksLookAlike(t *testing.T) {
	t.Parallel()
	env := servertest.Start(t, servertest.Options{})
	ctx := context.Background()

	random, _ := secret.NewToken()
	expired := accInvite(t, env, "demo-child", time.Now().Add(-time.Minute))
	revoked := accInvite(t, env, "demo-child", time.Now().Add(time.Hour))
	if status, _, _ := accRaw(t, revoked); status != http.StatusSeeOther {
		t.Fatalf("the link to be revoked does not work before: status %d", status)
	}
	if err := env.Store.RevokeInvites(ctx, env.MeetingID, "demo-child"); err != nil {
		t.Fatal(err)
	}

	aRandom, _ := secret.NewToken()
	aExpired, aHash := secret.NewToken()
	if err := env.Store.CreateAccountToken(ctx, board.AccountToken{TokenHash: aHash, Purpose: board.TokenPassword, UserID: "demo-user-coord",
		CreatedAt: time.Now().Add(-2 * time.Hour), ExpiresAt: time.Now().Add(-time.Hour)}); err != nil {
		t.Fatal(err)
	}
	used, err := env.Server.Accounts().PasswordLink(ctx, "demo-user-coord")
	if err != nil {
		t.Fatal(err)
	}
	usedToken := used[strings.LastIndex(used, "/")+1:]
	if _, _, err := env.Server.Accounts().SetPasswordWithLink(ctx, usedToken, "ett nytt långt lösenord", "127.0.0.1"); err != nil {
		t.Fatalf("use the password link: %v", err)
	}

	links := []struct{ name, url string }{
		{"unknown personal link", env.URL + "/j/" + random},
		{"expired personal link", expired},
		{"revoked personal link", revoked},
		{"unknown account link", env.URL + "/a/" + aRandom},
		{"expired account link", env.URL + "/a/" + aExpired},
		{"used account link", used},
	}
	s0, h0, b0 := accRaw(t, links[0].url)
	if s0 != http.StatusNotFound {
		t.Fatalf("%s: status %d, want 404", links[0].name, s0)
	}
	for _, l := range links[1:] {
		s, h, b := accRaw(t, l.url)
		if s != s0 {
			t.Errorf("%s: status %d, %s: %d", l.name, s, links[0].name, s0)
		}
		if !bytes.Equal(b, b0) {
			t.Errorf("%s: body differs from the %s's (%d vs %d bytes)", l.name, links[0].name, len(b), len(b0))
		}
		for k := range accMergeKeys(h, h0) {
			if fmt.Sprint(h[k]) != fmt.Sprint(h0[k]) {
				t.Errorf("%s: header %s = %q, %s: %q", l.name, k, h[k], links[0].name, h0[k])
			}
		}
	}
}

func accMergeKeys(a, b http.Header) map[string]bool {
	m := map[string]bool{}
	for k := range a {
		m[k] = true
	}
	for k := range b {
		m[k] = true
	}
	return m
}

// TestAccessSetupLinkWorksOnce: the first administrator's setup link creates one
// administrator; used again (even by a browser that opened it before it was used) it is
// the plain 404, identical to an unknown link's, and no second administrator appears.
func TestAccessSetupLinkWorksOnce(t *testing.T) {
	t.Parallel()
	env := servertest.Start(t, servertest.Options{})
	ctx := context.Background()
	link, err := env.Server.Accounts().SetupLink(ctx)
	if err != nil || link == "" {
		t.Fatalf("setup link on a fresh server: %q, %v", link, err)
	}
	first, second := servertest.NewClient(), servertest.NewClient()
	for _, c := range []*http.Client{first, second} {
		resp, body := accGet(t, c, link)
		if resp.StatusCode != http.StatusOK || resp.Request.URL.Path != "/account/link" {
			t.Fatalf("setup link: status %d at %s\n%s", resp.StatusCode, resp.Request.URL.Path, accShort(body))
		}
		if strings.Contains(resp.Request.URL.String(), link[strings.LastIndex(link, "/")+1:]) {
			t.Errorf("the setup token is still in the address: %s", resp.Request.URL)
		}
	}
	form := url.Values{"name": {"Ada Admin"}, "email": {"ada@acc.example.se"}, "password": {"ett långt lösenord"}, "password2": {"ett långt lösenord"}}
	resp, body := accPost(t, first, env.URL+"/account/link", form, nil)
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("complete setup: status %d\n%s", resp.StatusCode, accShort(body))
	}
	if n, _ := env.Store.CountAdmins(ctx); n != 1 {
		t.Fatalf("%d administrators after setup, want 1", n)
	}

	// The second browser still holds the token in its cookie: its POST is refused.
	form.Set("email", "eve@acc.example.se")
	resp, _ = accPost(t, second, env.URL+"/account/link", form, nil)
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("second use (POST): status %d, want 404", resp.StatusCode)
	}
	if n, _ := env.Store.CountAdmins(ctx); n != 1 {
		t.Errorf("%d administrators after a second use, want 1", n)
	}
	if _, err := env.Store.UserByEmail(ctx, "eve@acc.example.se"); err == nil {
		t.Errorf("the second use created an account")
	}
	// Opened again: the plain 404, as an unknown link.
	random, _ := secret.NewToken()
	s1, h1, b1 := accRaw(t, link)
	s0, h0, b0 := accRaw(t, env.URL+"/a/"+random)
	if s1 != http.StatusNotFound || s1 != s0 || !bytes.Equal(b1, b0) || fmt.Sprint(h1) != fmt.Sprint(h0) {
		t.Errorf("used setup link: status %d (unknown: %d), same body %v, headers %v vs %v", s1, s0, bytes.Equal(b1, b0), h1, h0)
	}
	// And no further setup link is offered once an administrator exists.
	if again, err := env.Server.Accounts().SetupLink(ctx); err != nil || again != "" {
		t.Errorf("setup link after setup: %q, %v; want none", again, err)
	}
}

// accLocalClient is a client whose connections come from another loopback address (to
// test per-address limits); nil when the system cannot bind it.
func accLocalClient(t testing.TB, ip string) *http.Client {
	t.Helper()
	ln, err := net.Listen("tcp", ip+":0")
	if err != nil {
		return nil
	}
	ln.Close()
	c := servertest.NewClient()
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}, Timeout: accWait}
	c.Transport = &http.Transport{DialContext: d.DialContext}
	return c
}
