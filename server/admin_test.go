package server_test

import (
	"context"
	"errors"
	"go/ast"
	"go/parser"
	"go/token"
	"html"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/barnteam/barnteam/server/board"
	"github.com/barnteam/barnteam/server/demo"
	"github.com/barnteam/barnteam/server/secret"
	"github.com/barnteam/barnteam/server/servertest"
)

// The administration's tests: who may reach it, organisations and staff end to end,
// disabling and forced password changes with their effect on sessions and sockets, the
// last-administrator rules, exactly one audit row per change, the audit viewer, and CSRF.

const adminTestPassword = "ett långt lösenord för test"

// adminStaff writes a staff account with a password straight into the store.
func adminStaff(t *testing.T, env *servertest.Env, name string, admin bool) board.User {
	t.Helper()
	id := "u" + strings.ToLower(secret.ID(10))
	id = strings.NewReplacer("-", "x", "_", "y").Replace(id)
	return env.StaffUser(t, board.User{ID: id, Email: id + "@kommun.example", Name: name, OrgID: "demo-ifo", Title: "Testare", Admin: admin}, adminTestPassword)
}

// adminNoRedirect is a client that shares c's cookies but stops at every redirect.
func adminNoRedirect(c *http.Client) *http.Client {
	return &http.Client{Jar: c.Jar, Timeout: 10 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// adminLogin signs a staff user in without depending on the page after login: it checks
// the 303 to want and returns the client holding the session.
func adminLogin(t *testing.T, env *servertest.Env, email, password, want string) *http.Client {
	t.Helper()
	c := servertest.NewClient()
	status, loc, _ := adminReq(t, c, http.MethodPost, env.URL+"/login", url.Values{"email": {email}, "password": {password}, "next": {"/account/password"}})
	if status != http.StatusSeeOther || loc != want {
		t.Fatalf("login %s: status %d to %q, want 303 to %q", email, status, loc, want)
	}
	return c
}

// adminSignIn makes an administrator and signs them in.
func adminSignIn(t *testing.T, env *servertest.Env) (board.User, *http.Client) {
	t.Helper()
	u := adminStaff(t, env, "Ada Admin", true)
	return u, adminLogin(t, env, u.Email, adminTestPassword, "/account/password")
}

// adminReq makes one request without following redirects; form is sent as a POST body.
func adminReq(t *testing.T, c *http.Client, method, u string, form url.Values, header ...string) (int, string, string) {
	t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, u, body)
	if err != nil {
		t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := adminNoRedirect(c).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, resp.Header.Get("Location"), string(b)
}

// adminPage GETs a page and expects 200.
func adminPage(t *testing.T, env *servertest.Env, c *http.Client, path string) string {
	t.Helper()
	status, loc, body := adminReq(t, c, http.MethodGet, env.URL+path, nil)
	if status != http.StatusOK {
		t.Fatalf("GET %s: status %d (to %q)", path, status, loc)
	}
	return body
}

// adminPost POSTs a form and expects status.
func adminPost(t *testing.T, env *servertest.Env, c *http.Client, path string, form url.Values, status int) (string, string) {
	t.Helper()
	if form == nil {
		form = url.Values{}
	}
	got, loc, body := adminReq(t, c, http.MethodPost, env.URL+path, form)
	if got != status {
		t.Fatalf("POST %s: status %d (to %q), want %d", path, got, loc, status)
	}
	return loc, body
}

// adminCount counts the audit rows of one action.
func adminCount(t *testing.T, env *servertest.Env, action board.AuditAction) int {
	t.Helper()
	rows, err := env.Store.Audit(context.Background(), board.AuditFilter{Action: action, Limit: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	return len(rows)
}

// adminLastRow is the newest audit row of one action.
func adminLastRow(t *testing.T, env *servertest.Env, action board.AuditAction) board.AuditEntry {
	t.Helper()
	rows, err := env.Store.Audit(context.Background(), board.AuditFilter{Action: action, Limit: 1})
	if err != nil || len(rows) == 0 {
		t.Fatalf("no %s row: %v", action, err)
	}
	return rows[0]
}

func adminUserOf(t *testing.T, env *servertest.Env, id string) board.User {
	t.Helper()
	u, err := env.Store.User(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

var adminLinkRE = regexp.MustCompile(`/a/[A-Za-z0-9_-]{40,}`)

// adminLinkOf finds the one-time link on a page.
func adminLinkOf(t *testing.T, env *servertest.Env, body string) string {
	t.Helper()
	m := regexp.MustCompile(regexp.QuoteMeta(env.URL)+`/a/[A-Za-z0-9_-]{40,}`).FindAllString(body, -1)
	if len(m) != 1 {
		t.Fatalf("want the one-time link exactly once on the page, found %d", len(m))
	}
	return m[0]
}

// adminUseLink sets a password with a one-time link in a fresh browser.
func adminUseLink(t *testing.T, env *servertest.Env, link, password string) {
	t.Helper()
	c := servertest.NewClient()
	status, loc, _ := adminReq(t, c, http.MethodGet, link, nil)
	if status != http.StatusSeeOther || loc != "/account/link" {
		t.Fatalf("GET link: status %d to %q, want 303 to /account/link", status, loc)
	}
	if got := adminPage(t, env, c, "/account/link"); !strings.Contains(got, `name="password2"`) {
		t.Fatal("the link's page has no password form")
	}
	status, loc, body := adminReq(t, c, http.MethodPost, env.URL+"/account/link", url.Values{"password": {password}, "password2": {password}})
	if status != http.StatusSeeOther {
		t.Fatalf("POST /account/link: status %d to %q: %s", status, loc, body)
	}
	// The link works once.
	if status, _, _ := adminReq(t, servertest.NewClient(), http.MethodGet, link, nil); status != http.StatusNotFound {
		t.Errorf("a used link answers %d, want 404", status)
	}
}

// adminRoutes are every administration route with real ids.
func adminRoutes(userID string) [][2]string {
	return [][2]string{
		{"GET", "/admin"},
		{"GET", "/admin/orgs"},
		{"POST", "/admin/orgs"},
		{"GET", "/admin/orgs/demo-skola"},
		{"POST", "/admin/orgs/demo-skola"},
		{"GET", "/admin/users"},
		{"POST", "/admin/users"},
		{"GET", "/admin/users/new"},
		{"GET", "/admin/users/" + userID},
		{"POST", "/admin/users/" + userID},
		{"POST", "/admin/users/" + userID + "/disable"},
		{"POST", "/admin/users/" + userID + "/enable"},
		{"POST", "/admin/users/" + userID + "/password"},
		{"GET", "/admin/audit"},
	}
}

// TestAdminOnlyForAdministrators: a signed-in non-administrator gets the plain 404 on
// every administration route and method (the same page as any unknown address), a
// visitor is sent to the login page, and an administrator sees every page in every
// language with no message missing from the catalog.
func TestAdminOnlyForAdministrators(t *testing.T) {
	env := servertest.Start(t, servertest.Options{})
	env.Catalog.Missing = func(lang, key string) { t.Errorf("missing message %q (%s)", key, lang) }
	coord := adminLogin(t, env, env.CoordinatorEmail, env.CoordinatorPassword, "/account/password")
	visitor := servertest.NewClient()
	_, _, notFound := adminReq(t, coord, http.MethodGet, env.URL+"/no-such-page", nil)
	for _, r := range adminRoutes("demo-user-coord") {
		var form url.Values
		if r[0] == "POST" {
			form = url.Values{"name": {"X"}, "huvudman": {"kommun"}, "email": {"x@example.se"}}
		}
		status, _, body := adminReq(t, coord, r[0], env.URL+r[1], form)
		if status != http.StatusNotFound || body != notFound {
			t.Errorf("coordinator %s %s: status %d, want the plain 404", r[0], r[1], status)
		}
		status, loc, _ := adminReq(t, visitor, r[0], env.URL+r[1], form)
		if status != http.StatusSeeOther || !strings.HasPrefix(loc, "/login?") {
			t.Errorf("visitor %s %s: status %d to %q, want 303 to /login", r[0], r[1], status, loc)
		}
	}
	// A method a path does not answer tells a non-administrator nothing either.
	for _, r := range [][2]string{{"GET", "/admin/users/demo-user-coord/disable"}, {"PUT", "/admin/orgs"}, {"DELETE", "/admin/users/demo-user-coord"}} {
		if status, _, _ := adminReq(t, coord, r[0], env.URL+r[1], nil); status != http.StatusNotFound {
			t.Errorf("coordinator %s %s: status %d, want 404", r[0], r[1], status)
		}
	}
	// Nothing was changed by the refused requests.
	if u := adminUserOf(t, env, "demo-user-coord"); u.Disabled || u.MustChangePassword || u.Admin {
		t.Errorf("a refused request changed the user: %+v", u)
	}
	if n := adminCount(t, env, board.AuditOrgCreated) + adminCount(t, env, board.AuditUserCreated) + adminCount(t, env, board.AuditAuditExtract); n != 0 {
		t.Errorf("refused requests left %d audit rows", n)
	}

	_, admin := adminSignIn(t, env)
	if status, _, _ := adminReq(t, admin, "GET", env.URL+"/admin/users/demo-user-coord/disable", nil); status != http.StatusMethodNotAllowed {
		t.Errorf("administrator GET on a POST route: status %d, want 405", status)
	}
	for _, lang := range env.Catalog.Languages() {
		for _, r := range adminRoutes("demo-user-coord") {
			if r[0] != "GET" {
				continue
			}
			body := adminPage(t, env, admin, r[1]+"?lang="+lang)
			if !strings.Contains(body, `<html lang="`+lang+`" dir="ltr">`) {
				t.Errorf("%s (%s): page lacks lang and dir", r[1], lang)
			}
			if !strings.Contains(body, `href="/admin"`) {
				t.Errorf("%s (%s): no link to the administration", r[1], lang)
			}
		}
	}
	// Unknown ids are the plain 404 for administrators too.
	for _, p := range []string{"/admin/orgs/nope", "/admin/users/nope", "/admin/orgs/bad%20id"} {
		if status, _, _ := adminReq(t, admin, "GET", env.URL+p, nil); status != http.StatusNotFound {
			t.Errorf("GET %s: status %d, want 404", p, status)
		}
	}
}

// TestAdminOrganisationAndUserEndToEnd: an administrator adds an organisation and a staff
// member of it; the one-time link shown once lets the new person choose a password in
// their own browser and sign in.
func TestAdminOrganisationAndUserEndToEnd(t *testing.T) {
	env := servertest.Start(t, servertest.Options{})
	env.Catalog.Missing = func(lang, key string) { t.Errorf("missing message %q (%s)", key, lang) }
	_, admin := adminSignIn(t, env)
	ctx := context.Background()

	loc, _ := adminPost(t, env, admin, "/admin/orgs", url.Values{"name": {"  BUP Västra  "}, "huvudman": {"region"}}, http.StatusSeeOther)
	if loc != "/admin/orgs?done=org_created" {
		t.Errorf("after creating: to %q", loc)
	}
	orgs, err := env.Store.Organisations(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var org board.Organisation
	for _, o := range orgs {
		if o.Name == "BUP Västra" {
			org = o
		}
	}
	if org.ID == "" || org.Huvudman != board.HuvudmanRegion || len(org.ID) != 12 {
		t.Fatalf("organisation not stored as typed: %+v", org)
	}
	body := adminPage(t, env, admin, loc)
	if !strings.Contains(body, "<bdi>BUP Västra</bdi>") || !strings.Contains(body, env.Catalog.T("sv", "admin.huvudman.region")) || !strings.Contains(body, env.Catalog.T("sv", "admin.done.org_created")) {
		t.Error("the list does not show the new organisation with its huvudman in words and a confirmation")
	}

	// Edit it.
	adminPost(t, env, admin, "/admin/orgs/"+org.ID, url.Values{"name": {"BUP Väst"}, "huvudman": {"privat"}}, http.StatusSeeOther)
	if o, _ := env.Store.Organisation(ctx, org.ID); o.Name != "BUP Väst" || o.Huvudman != board.HuvudmanPrivat {
		t.Errorf("edit not stored: %+v", o)
	}

	// A staff member of it.
	newForm := adminPage(t, env, admin, "/admin/users/new")
	if !strings.Contains(newForm, `<option value="`+org.ID+`">BUP Väst</option>`) {
		t.Error("the new-user form does not offer the organisation")
	}
	_, body = adminPost(t, env, admin, "/admin/users", url.Values{"email": {"Lisa.Ek@Region.example"}, "name": {"Lisa Ek"}, "org": {org.ID}, "title": {"Psykolog"}}, http.StatusOK)
	link := adminLinkOf(t, env, body)
	if !strings.Contains(body, env.Catalog.T("sv", "admin.link.shown_once")) || !strings.Contains(body, adminBefore(env.Catalog.T("sv", "admin.link.once", "count", 72, "time", "x"), "\u2068")) {
		t.Error("the link page does not say the link works once and when it expires")
	}
	if !strings.Contains(body, `data-copy="link"`) || !strings.Contains(body, "js/copy.js") {
		t.Error("the link page has no copy button")
	}
	u, err := env.Store.UserByEmail(ctx, "lisa.ek@region.example")
	if err != nil {
		t.Fatal(err)
	}
	if u.Name != "Lisa Ek" || u.OrgID != org.ID || u.Title != "Psykolog" || u.Admin || u.PasswordHash != "" {
		t.Errorf("user not stored as typed: %+v", u)
	}
	// The link is nowhere else: not on the user's page nor in the list.
	for _, p := range []string{"/admin/users", "/admin/users/" + u.ID, "/admin/audit"} {
		if adminLinkRE.MatchString(adminPage(t, env, admin, p)) {
			t.Errorf("%s shows a one-time link", p)
		}
	}
	list := adminPage(t, env, admin, "/admin/users")
	if !strings.Contains(list, "<bdi>Lisa Ek</bdi>") || !strings.Contains(list, "<bdi>BUP Väst</bdi>") {
		t.Error("the staff list lacks the new person or their organisation")
	}

	const pw = "Lisas eget långa lösenord"
	adminUseLink(t, env, link, pw)
	lisa := adminLogin(t, env, "lisa.ek@region.example", pw, "/account/password")
	if status, _, _ := adminReq(t, lisa, "GET", env.URL+"/admin", nil); status != http.StatusNotFound {
		t.Errorf("the new (non-admin) user reaches the administration: %d", status)
	}

	// The same e-mail address again is refused with the form kept.
	_, body = adminPost(t, env, admin, "/admin/users", url.Values{"email": {"lisa.ek@region.example"}, "name": {"Lisa Två"}, "org": {org.ID}}, http.StatusUnprocessableEntity)
	if !strings.Contains(body, env.Catalog.T("sv", "account.invalid.email_taken")) || !strings.Contains(body, `value="Lisa Två"`) || adminLinkRE.MatchString(body) {
		t.Error("a taken e-mail address is not refused with the message and the typed name")
	}
}

// TestAdminFormErrors: refused forms answer 422 with the message at the top and on the
// field, aria-invalid, and what was typed.
func TestAdminFormErrors(t *testing.T) {
	env := servertest.Start(t, servertest.Options{})
	_, admin := adminSignIn(t, env)
	for _, tc := range []struct {
		path  string
		form  url.Values
		field string
		key   string
		kept  string
	}{
		{"/admin/orgs", url.Values{"name": {"   "}, "huvudman": {"kommun"}}, "name", "admin.org.invalid.name", ""},
		{"/admin/orgs", url.Values{"name": {strings.Repeat("å", 201)}, "huvudman": {"kommun"}}, "name", "admin.org.invalid.name", ""},
		{"/admin/orgs", url.Values{"name": {"Skolan <Ö>"}, "huvudman": {"kungen"}}, "huvudman", "admin.org.invalid.huvudman", `value="Skolan &lt;Ö&gt;"`},
		{"/admin/orgs/demo-skola", url.Values{"name": {""}, "huvudman": {"kommun"}}, "name", "admin.org.invalid.name", ""},
		{"/admin/users", url.Values{"email": {"inte en adress"}, "name": {"Per Persson"}}, "email", "account.invalid.email", `value="Per Persson"`},
		{"/admin/users", url.Values{"email": {"per@kommun.example"}, "name": {""}, "title": {"Kurator"}}, "name", "account.invalid.name", `value="Kurator"`},
		{"/admin/users", url.Values{"email": {"per@kommun.example"}, "name": {"Per"}, "org": {"no-such-org"}}, "org", "account.invalid.org", `value="per@kommun.example"`},
		{"/admin/users/demo-user-coord", url.Values{"name": {"Maria"}, "title": {strings.Repeat("x", 101)}}, "title", "account.invalid.title", `value="Maria"`},
		{"/admin/audit?from=2026-13-01", nil, "from", "admin.audit.invalid.date", `value="2026-13-01"`},
		{"/admin/audit?from=2026-03-05&to=2026-03-04", nil, "to", "admin.audit.invalid.period", ""},
		{"/admin/audit?action=nonsense", nil, "action", "admin.audit.invalid.action", ""},
	} {
		var body string
		if tc.form == nil {
			status, _, b := adminReq(t, admin, "GET", env.URL+tc.path, nil)
			if status != http.StatusUnprocessableEntity {
				t.Errorf("GET %s: status %d, want 422", tc.path, status)
			}
			body = b
		} else {
			_, body = adminPost(t, env, admin, tc.path, tc.form, http.StatusUnprocessableEntity)
		}
		msg := html.EscapeString(env.Catalog.T("sv", tc.key, "count", 200))
		if !strings.Contains(body, `<a href="#`+tc.field+`">`+msg+`</a>`) {
			t.Errorf("%s: no error summary linking to #%s with %q", tc.path, tc.field, tc.key)
		}
		if !strings.Contains(body, `id="`+tc.field+`-error"`) {
			t.Errorf("%s: no message on the field %s", tc.path, tc.field)
		}
		if !regexp.MustCompile(`id="` + tc.field + `"[^>]*aria-invalid="true"`).MatchString(body) {
			t.Errorf("%s: field %s lacks aria-invalid", tc.path, tc.field)
		}
		if tc.kept != "" && !strings.Contains(body, tc.kept) {
			t.Errorf("%s: what was typed is lost (want %s)", tc.path, tc.kept)
		}
	}
	if n := adminCount(t, env, board.AuditOrgCreated) + adminCount(t, env, board.AuditOrgChanged) + adminCount(t, env, board.AuditUserCreated) + adminCount(t, env, board.AuditUserChanged); n != 0 {
		t.Errorf("refused forms left %d audit rows", n)
	}
	if o, _ := env.Store.Organisation(context.Background(), "demo-skola"); o.Name != "Solrosskolan" {
		t.Errorf("a refused edit changed the organisation: %+v", o)
	}
}

// TestAdminDisableEndsSessionAndSocket: disabling a user ends their session (the next
// request goes to the login page) and closes their open board WebSocket with the "stop"
// code for an ended session within 2 seconds; they cannot log in again until enabled.
func TestAdminDisableEndsSessionAndSocket(t *testing.T) {
	env := servertest.Start(t, servertest.Options{})
	_, admin := adminSignIn(t, env)
	coord := adminLogin(t, env, env.CoordinatorEmail, env.CoordinatorPassword, "/account/password")

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	ws, _, err := env.Dial(ctx, coord, "demo-coord", -1, "")
	if err != nil {
		t.Fatalf("dial the coordinator's board: %v", err)
	}
	defer ws.CloseNow()
	// The first message (the snapshot) shows the connection is in the room.
	if _, _, err := ws.Read(ctx); err != nil {
		t.Fatalf("first message: %v", err)
	}
	closed := make(chan error, 1)
	go func() {
		for {
			if _, _, err := ws.Read(ctx); err != nil {
				closed <- err
				return
			}
		}
	}()

	start := time.Now()
	loc, _ := adminPost(t, env, admin, "/admin/users/demo-user-coord/disable", nil, http.StatusSeeOther)
	if loc != "/admin/users/demo-user-coord?done=user_disabled" {
		t.Errorf("after disabling: to %q", loc)
	}
	select {
	case err := <-closed:
		if elapsed := time.Since(start); elapsed >= 2*time.Second {
			t.Errorf("socket closed after %v, want within 2 s", elapsed)
		}
		if got := websocket.CloseStatus(err); got != 4401 {
			t.Errorf("close status %d (%v), want 4401", got, err)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("the disabled user's socket is still open after 2 s")
	}
	if !adminUserOf(t, env, "demo-user-coord").Disabled {
		t.Error("the user is not disabled in the store")
	}
	status, loc, _ := adminReq(t, coord, "GET", env.URL+"/account/password", nil)
	if status != http.StatusSeeOther || !strings.HasPrefix(loc, "/login") {
		t.Errorf("the disabled user's next request: status %d to %q, want the login page", status, loc)
	}
	status, _, _ = adminReq(t, servertest.NewClient(), "POST", env.URL+"/login", url.Values{"email": {env.CoordinatorEmail}, "password": {env.CoordinatorPassword}})
	if status != http.StatusUnauthorized {
		t.Errorf("a disabled user logs in: status %d", status)
	}
	body := adminPage(t, env, admin, "/admin/users/demo-user-coord?done=user_disabled")
	if !strings.Contains(body, `action="/admin/users/demo-user-coord/enable"`) {
		t.Error("the disabled user's page offers no way to enable the account")
	}

	adminPost(t, env, admin, "/admin/users/demo-user-coord/enable", nil, http.StatusSeeOther)
	adminLogin(t, env, env.CoordinatorEmail, env.CoordinatorPassword, "/account/password")
}

// TestAdminForcePasswordChange: the user is signed out at once, their next sign-in leads
// to the password page and nowhere else, and the fresh one-time link shown once sets a
// new password and clears the demand.
func TestAdminForcePasswordChange(t *testing.T) {
	env := servertest.Start(t, servertest.Options{})
	_, admin := adminSignIn(t, env)
	bob := adminStaff(t, env, "Bob Berg", true)
	bobClient := adminLogin(t, env, bob.Email, adminTestPassword, "/account/password")
	if got := adminPage(t, env, bobClient, "/admin"); !strings.Contains(got, `href="/admin/audit"`) {
		t.Fatal("the second administrator cannot open the administration")
	}

	_, body := adminPost(t, env, admin, "/admin/users/"+bob.ID+"/password", nil, http.StatusOK)
	link := adminLinkOf(t, env, body)
	if !adminUserOf(t, env, bob.ID).MustChangePassword {
		t.Error("MustChangePassword is not set")
	}
	// Signed out at once.
	if status, loc, _ := adminReq(t, bobClient, "GET", env.URL+"/admin", nil); status != http.StatusSeeOther || !strings.HasPrefix(loc, "/login") {
		t.Errorf("after the forced change, the old session: status %d to %q, want the login page", status, loc)
	}
	// Signing in again leads to the password page, and every other page sends them there.
	again := adminLogin(t, env, bob.Email, adminTestPassword, "/account/password")
	for _, p := range []string{"/admin", "/admin/users"} {
		if status, loc, _ := adminReq(t, again, "GET", env.URL+p, nil); status != http.StatusSeeOther || loc != "/account/password" {
			t.Errorf("GET %s with a forced change: status %d to %q, want /account/password", p, status, loc)
		}
	}
	if got := adminPage(t, env, again, "/account/password"); !strings.Contains(got, env.Catalog.T("sv", "password.forced")) {
		t.Error("the password page does not say an administrator asked for a new password")
	}
	// The users list says so.
	if list := adminPage(t, env, admin, "/admin/users"); !regexp.MustCompile(`(?s)<bdi>Bob Berg</bdi>.*?` + env.Catalog.T("sv", "admin.yes") + `</td>\s*</tr>`).MatchString(list) {
		t.Error("the staff list does not show that Bob must change his password")
	}

	const pw = "Bobs nya och långa lösenord"
	adminUseLink(t, env, link, pw)
	if adminUserOf(t, env, bob.ID).MustChangePassword {
		t.Error("setting a password with the link did not clear the demand")
	}
	fresh := adminLogin(t, env, bob.Email, pw, "/account/password")
	adminPage(t, env, fresh, "/admin")

	// Not for a disabled account (its link could not be used); for oneself, see
	// TestAdminLastAndSelf.
	dora := adminStaff(t, env, "Dora Disabled", false)
	adminPost(t, env, admin, "/admin/users/"+dora.ID+"/disable", nil, http.StatusSeeOther)
	_, body = adminPost(t, env, admin, "/admin/users/"+dora.ID+"/password", nil, http.StatusUnprocessableEntity)
	if adminLinkRE.MatchString(body) || adminUserOf(t, env, dora.ID).MustChangePassword {
		t.Error("a disabled user got a password link or a forced change")
	}
}

// TestAdminLastAndSelf: an administrator cannot disable or demote themselves, and the last
// enabled administrator can be neither disabled nor demoted; refusals change nothing and
// leave no audit row.
func TestAdminLastAndSelf(t *testing.T) {
	env := servertest.Start(t, servertest.Options{})
	ada, admin := adminSignIn(t, env)
	self := "/admin/users/" + ada.ID
	demote := url.Values{"name": {ada.Name}, "org": {ada.OrgID}, "title": {ada.Title}} // admin unchecked
	refused := func(path string, form url.Values, key string) {
		t.Helper()
		before := adminCount(t, env, board.AuditUserChanged)
		_, body := adminPost(t, env, admin, path, form, http.StatusUnprocessableEntity)
		if !strings.Contains(body, html.EscapeString(env.Catalog.T("sv", key))) {
			t.Errorf("POST %s: the page does not say %q", path, key)
		}
		if n := adminCount(t, env, board.AuditUserChanged); n != before {
			t.Errorf("POST %s: a refusal left an audit row", path)
		}
	}

	// Ada is the only administrator.
	refused(self+"/disable", nil, "admin.user.invalid.last_admin_disable")
	refused(self, demote, "admin.user.invalid.last_admin")
	refused(self+"/password", nil, "admin.user.invalid.self_password")

	// With a second administrator, Ada still cannot act on herself.
	bea := adminStaff(t, env, "Bea Bengtsson", true)
	refused(self+"/disable", nil, "admin.user.invalid.self_disable")
	refused(self, demote, "admin.user.invalid.self_admin")
	if u := adminUserOf(t, env, ada.ID); !u.Admin || u.Disabled {
		t.Fatalf("a refusal changed Ada: %+v", u)
	}
	// The demotion refusal marks the checkbox and keeps it as typed.
	_, body := adminPost(t, env, admin, self, demote, http.StatusUnprocessableEntity)
	if !regexp.MustCompile(`id="admin"[^>]*aria-invalid="true"`).MatchString(body) {
		t.Error("the admin checkbox is not marked invalid")
	}
	// Her own page offers no disabling.
	if strings.Contains(adminPage(t, env, admin, self), self+"/disable") {
		t.Error("an administrator's own page offers to disable them")
	}

	// Ada may disable Bea; then Ada is the last one again.
	adminPost(t, env, admin, "/admin/users/"+bea.ID+"/disable", nil, http.StatusSeeOther)
	refused(self+"/disable", nil, "admin.user.invalid.last_admin_disable")
	// A disabled administrator does not count, and may be demoted.
	adminPost(t, env, admin, "/admin/users/"+bea.ID, url.Values{"name": {bea.Name}, "org": {bea.OrgID}, "title": {bea.Title}}, http.StatusSeeOther)
	if u := adminUserOf(t, env, bea.ID); u.Admin {
		t.Error("the disabled administrator was not demoted")
	}
	if n, _ := env.Store.CountAdmins(context.Background()); n != 1 {
		t.Errorf("%d enabled administrators, want 1", n)
	}
}

// TestAdminEachChangeLeavesItsAuditRow: every administrative change writes exactly one
// row of its action, naming what changed by id; a save without changes writes none; and
// looking at the audit log writes one "admin view" row.
func TestAdminEachChangeLeavesItsAuditRow(t *testing.T) {
	env := servertest.Start(t, servertest.Options{})
	ada, admin := adminSignIn(t, env)
	actions := []board.AuditAction{board.AuditOrgCreated, board.AuditOrgChanged, board.AuditUserCreated, board.AuditUserChanged, board.AuditAuditExtract}
	counts := func() map[board.AuditAction]int {
		m := map[board.AuditAction]int{}
		for _, a := range actions {
			m[a] = adminCount(t, env, a)
		}
		return m
	}
	// step does something and checks that exactly one row of action (none if "") was
	// added, with target (unless "") and the administrator as who.
	step := func(what string, action board.AuditAction, target string, do func()) {
		t.Helper()
		before := counts()
		do()
		after := counts()
		for _, a := range actions {
			want := before[a]
			if a == action {
				want++
			}
			if after[a] != want {
				t.Errorf("%s: %d new %s rows, want %d", what, after[a]-before[a], a, want-before[a])
			}
		}
		if action == "" {
			return
		}
		e := adminLastRow(t, env, action)
		if (target != "" && e.Target != target) || e.UserID != ada.ID || e.ActorName != ada.Name || e.OrgName == "" {
			t.Errorf("%s: row %+v, want target %q by %s with organisation", what, e, target, ada.ID)
		}
	}

	var orgID string
	step("create organisation", board.AuditOrgCreated, "", func() {
		adminPost(t, env, admin, "/admin/orgs", url.Values{"name": {"Habiliteringen"}, "huvudman": {"region"}}, http.StatusSeeOther)
	})
	orgID = adminLastRow(t, env, board.AuditOrgCreated).Target
	if !strings.HasPrefix(orgID, "org ") {
		t.Fatalf("org_created target %q, want \"org <id>\"", orgID)
	}
	orgID = strings.TrimPrefix(orgID, "org ")
	if _, err := env.Store.Organisation(context.Background(), orgID); err != nil {
		t.Fatalf("the org_created row names %q: %v", orgID, err)
	}
	step("edit organisation", board.AuditOrgChanged, "org "+orgID, func() {
		adminPost(t, env, admin, "/admin/orgs/"+orgID, url.Values{"name": {"Habiliteringen Syd"}, "huvudman": {"region"}}, http.StatusSeeOther)
	})
	step("save organisation unchanged", "", "", func() {
		adminPost(t, env, admin, "/admin/orgs/"+orgID, url.Values{"name": {"Habiliteringen Syd"}, "huvudman": {"region"}}, http.StatusSeeOther)
	})
	var userID string
	step("create user", board.AuditUserCreated, "", func() {
		adminPost(t, env, admin, "/admin/users", url.Values{"email": {"nils@region.example"}, "name": {"Nils"}, "org": {orgID}}, http.StatusOK)
	})
	u, err := env.Store.UserByEmail(context.Background(), "nils@region.example")
	if err != nil {
		t.Fatal(err)
	}
	userID = u.ID
	if e := adminLastRow(t, env, board.AuditUserCreated); e.Target != "user "+userID {
		t.Errorf("user_created target %q", e.Target)
	}
	base := "/admin/users/" + userID
	step("edit user", board.AuditUserChanged, "user "+userID+" name title admin_granted", func() {
		adminPost(t, env, admin, base, url.Values{"name": {"Nils Nilsson"}, "org": {orgID}, "title": {"Arbetsterapeut"}, "admin": {"1"}}, http.StatusSeeOther)
	})
	step("save user unchanged", "", "", func() {
		adminPost(t, env, admin, base, url.Values{"name": {"Nils Nilsson"}, "org": {orgID}, "title": {"Arbetsterapeut"}, "admin": {"1"}}, http.StatusSeeOther)
	})
	step("demote user", board.AuditUserChanged, "user "+userID+" org admin_revoked", func() {
		adminPost(t, env, admin, base, url.Values{"name": {"Nils Nilsson"}, "org": {""}, "title": {"Arbetsterapeut"}}, http.StatusSeeOther)
	})
	step("force password change", board.AuditUserChanged, "user "+userID+" must_change_password", func() {
		adminPost(t, env, admin, base+"/password", nil, http.StatusOK)
	})
	step("disable user", board.AuditUserChanged, "user "+userID+" disabled", func() {
		adminPost(t, env, admin, base+"/disable", nil, http.StatusSeeOther)
	})
	step("disable again", "", "", func() {
		adminPost(t, env, admin, base+"/disable", nil, http.StatusSeeOther)
	})
	step("enable user", board.AuditUserChanged, "user "+userID+" enabled", func() {
		adminPost(t, env, admin, base+"/enable", nil, http.StatusSeeOther)
	})
	step("view the audit log", board.AuditAuditExtract, "admin view", func() {
		adminPage(t, env, admin, "/admin/audit")
	})
	step("view a child's audit log", board.AuditAuditExtract, "admin view", func() {
		adminPage(t, env, admin, "/admin/audit?team="+demo.TeamID)
	})
	if e := adminLastRow(t, env, board.AuditAuditExtract); e.TeamID != demo.TeamID {
		t.Errorf("viewing one child's log is not recorded for that child: %+v", e)
	}
	step("view the other pages", "", "", func() {
		for _, p := range []string{"/admin", "/admin/orgs", "/admin/users", base, "/admin/users/new", "/admin/orgs/" + orgID} {
			adminPage(t, env, admin, p)
		}
	})
}

var adminRowRE = regexp.MustCompile(`<tr id="audit-(\d+)">`)

// adminShown lists the audit row ids a viewer page shows.
func adminShown(t *testing.T, body string) []int64 {
	t.Helper()
	var ids []int64
	for _, m := range adminRowRE.FindAllStringSubmatch(body, -1) {
		n, err := strconv.ParseInt(m[1], 10, 64)
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, n)
	}
	return ids
}

// adminExpect is what the store holds for a filter, newest first, at most one page.
func adminExpect(t *testing.T, env *servertest.Env, f board.AuditFilter, keep func(board.AuditEntry) bool) []int64 {
	t.Helper()
	f.Limit = 1 << 20
	rows, err := env.Store.Audit(context.Background(), f)
	if err != nil {
		t.Fatal(err)
	}
	var ids []int64
	for _, e := range rows {
		if keep == nil || keep(e) {
			ids = append(ids, e.ID)
		}
	}
	if len(ids) > 100 {
		ids = ids[:100]
	}
	return ids
}

// TestAdminAuditViewer: the viewer filters by child, user, action and Swedish dates, pages
// 100 rows at a time with "older", shows who, the child by first name and birth year, and
// never shows what anyone wrote on the board.
func TestAdminAuditViewer(t *testing.T) {
	env := servertest.Start(t, servertest.Options{})
	env.Catalog.Missing = func(lang, key string) { t.Errorf("missing message %q (%s)", key, lang) }
	ctx := context.Background()
	_, admin := adminSignIn(t, env)
	ulf := adminStaff(t, env, "Ulf Ulfsson", false)

	// Board content with a unique marker, written by the coordinator (an edit row) and
	// viewed (view rows).
	marker := "MARKÖR " + secret.ID(12)
	coordGuest := env.Client(t, "demo-coord")
	resp, err := coordGuest.PostForm(env.BoardURL("demo-coord")+"op", url.Values{"op": {"set"}, "entity": {"compass/fritid"}, "base": {"0"}, "field": {"works"}, "value": {marker}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("posting the marker: status %d", resp.StatusCode)
	}
	b, err := env.Store.LoadBoard(ctx, env.MeetingID)
	if err != nil || b.Compass["fritid"].Works.Value != marker {
		t.Fatalf("the marker is not on the board: %v", err)
	}

	// 130 failed logins of Ulf's, and one logout just after midnight Swedish time on
	// 11 January 2025 (23:30 UTC on the 10th).
	for i := range 130 {
		if err := env.Store.AppendAudit(ctx, board.AuditEntry{At: time.Now(), UserID: ulf.ID, ActorName: ulf.Name, Action: board.AuditLoginFailed, Address: "192.0.2." + strconv.Itoa(i%250)}); err != nil {
			t.Fatal(err)
		}
	}
	night := time.Date(2025, 1, 10, 23, 30, 0, 0, time.UTC)
	if err := env.Store.AppendAudit(ctx, board.AuditEntry{At: night, UserID: ulf.ID, ActorName: ulf.Name, OrgName: "IFO", Action: board.AuditLogout}); err != nil {
		t.Fatal(err)
	}

	check := func(query string, f board.AuditFilter, keep func(board.AuditEntry) bool) string {
		t.Helper()
		body := adminPage(t, env, admin, "/admin/audit"+query)
		got, want := adminShown(t, body), adminExpect(t, env, f, keep)
		if !slices.Equal(got, want) {
			t.Errorf("audit%s: shows %d rows %v…, want %d rows %v…", query, len(got), adminHead(got), len(want), adminHead(want))
		}
		if strings.Contains(body, marker) || strings.Contains(body, "ont i magen") {
			t.Errorf("audit%s shows board content", query)
		}
		return body
	}

	// Everything, newest first: the viewer's own row is on top.
	body := check("", board.AuditFilter{}, nil)
	if ids := adminShown(t, body); len(ids) != 100 || !slices.IsSortedFunc(ids, func(a, b int64) int { return int(b - a) }) {
		t.Errorf("the first page shows %d rows, want 100 newest first", len(ids))
	}

	// One child: the edit and the views are there, with the child's first name and birth year.
	body = check("?team="+demo.TeamID, board.AuditFilter{TeamID: demo.TeamID}, nil)
	edit := adminLastRow(t, env, board.AuditEdit)
	if edit.TeamID != demo.TeamID || !slices.Contains(adminShown(t, body), edit.ID) {
		t.Errorf("the child's log lacks the edit row %+v", edit)
	}
	team, err := env.Store.Team(ctx, demo.TeamID)
	if err != nil {
		t.Fatal(err)
	}
	child := env.Catalog.T("sv", "admin.audit.child", "name", team.ChildFirstName, "year", team.ChildBirthYear)
	if !strings.Contains(body, child) || !strings.Contains(body, env.Catalog.T("sv", "admin.action.edit")) || !strings.Contains(body, "<bdi>Maria Lind</bdi>") {
		t.Error("the child's rows do not show the child, the readable action and who")
	}
	if !strings.Contains(body, `<option value="`+demo.TeamID+`" selected>`+child+`</option>`) {
		t.Error("the team filter does not offer and keep the chosen child")
	}

	// One user and one action, over two pages.
	q := "?user=" + ulf.ID + "&action=login_failed"
	body = check(q, board.AuditFilter{UserID: ulf.ID, Action: board.AuditLoginFailed}, nil)
	first := adminShown(t, body)
	older := regexp.MustCompile(`<a href="([^"]+)" rel="next">`).FindStringSubmatch(body)
	if len(first) != 100 || older == nil {
		t.Fatalf("first page: %d rows, older link %v", len(first), older)
	}
	next := html.UnescapeString(older[1])
	if !strings.Contains(next, "before="+strconv.FormatInt(first[99], 10)) || !strings.Contains(next, "user="+ulf.ID) || !strings.Contains(next, "action=login_failed") {
		t.Errorf("older link %q does not keep the filter and page by id", next)
	}
	body = adminPage(t, env, admin, next)
	second := adminShown(t, body)
	if len(second) != 30 || second[0] >= first[99] || strings.Contains(body, `rel="next"`) {
		t.Errorf("second page: %d rows (want the 30 older ones, no further link)", len(second))
	}
	if !strings.Contains(body, env.Catalog.T("sv", "admin.audit.newest")) {
		t.Error("the older page has no way back to the newest")
	}
	if all := append(first, second...); len(all) != 130 || len(slices.Compact(slices.Clone(all))) != 130 {
		t.Error("the two pages do not show the 130 rows exactly once")
	}
	if !strings.Contains(body, html.EscapeString(env.Catalog.T("sv", "admin.audit.address", "address", "192.0.2.0"))) {
		t.Error("failed logins do not show the address")
	}

	// Dates are Swedish days: 23:30 UTC on 10 January is 11 January in Stockholm.
	inDay := func(from, to time.Time) func(board.AuditEntry) bool {
		return func(e board.AuditEntry) bool { return !e.At.Before(from) && e.At.Before(to) }
	}
	jan11 := time.Date(2025, 1, 10, 23, 0, 0, 0, time.UTC) // 00:00 CET
	body = check("?user="+ulf.ID+"&from=2025-01-11&to=2025-01-11", board.AuditFilter{UserID: ulf.ID}, inDay(jan11, jan11.Add(24*time.Hour)))
	if len(adminShown(t, body)) != 1 || !strings.Contains(body, "2025-01-11 00:30:00") {
		t.Error("11 January (Swedish time) does not show the logout at 00:30")
	}
	body = check("?user="+ulf.ID+"&from=2025-01-10&to=2025-01-10", board.AuditFilter{UserID: ulf.ID}, inDay(jan11.Add(-24*time.Hour), jan11))
	if len(adminShown(t, body)) != 0 || !strings.Contains(body, env.Catalog.T("sv", "admin.audit.none")) {
		t.Error("10 January shows rows or no 'none' message")
	}
	check("?from=2025-01-11", board.AuditFilter{}, func(e board.AuditEntry) bool { return !e.At.Before(jan11) })
	check("?to=2025-01-11", board.AuditFilter{}, func(e board.AuditEntry) bool { return e.At.Before(jan11.Add(24 * time.Hour)) })

	// In English too, with readable actions.
	body = adminPage(t, env, admin, "/admin/audit?lang=en&action=edit")
	if !strings.Contains(body, env.Catalog.T("en", "admin.action.edit")) || strings.Contains(body, marker) {
		t.Error("the English viewer lacks readable actions or shows content")
	}
}

// adminBefore is s up to sep (a message up to where an argument goes).
func adminBefore(s, sep string) string {
	b, _, _ := strings.Cut(s, sep)
	return b
}

func adminHead(ids []int64) []int64 {
	if len(ids) > 5 {
		return ids[:5]
	}
	return ids
}

// TestAdminCrossSitePostRefused: every administration POST from another site is refused
// with 403 before it changes anything (CSRF protection by Origin / Sec-Fetch-Site).
func TestAdminCrossSitePostRefused(t *testing.T) {
	env := servertest.Start(t, servertest.Options{})
	_, admin := adminSignIn(t, env)
	victim := adminStaff(t, env, "Vera Victim", true)
	before, err := env.Store.Audit(context.Background(), board.AuditFilter{Limit: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, r := range adminRoutes(victim.ID) {
		if r[0] != "POST" {
			continue
		}
		n++
		form := url.Values{"name": {"Evil"}, "huvudman": {"privat"}, "email": {"evil@evil.example"}, "org": {""}}
		for _, h := range [][]string{
			{"Origin", "http://evil.example", "Sec-Fetch-Site", "cross-site"},
			{"Origin", "http://evil.example"},
			{"Sec-Fetch-Site", "cross-site"},
		} {
			status, _, _ := adminReq(t, admin, "POST", env.URL+r[1], form, h...)
			if status != http.StatusForbidden {
				t.Errorf("cross-site POST %s %v: status %d, want 403", r[1], h, status)
			}
		}
	}
	if n < 6 {
		t.Fatalf("only %d POST routes tested", n)
	}
	after, err := env.Store.Audit(context.Background(), board.AuditFilter{Limit: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	if len(after) != len(before) {
		t.Errorf("refused cross-site POSTs left %d audit rows", len(after)-len(before))
	}
	if u := adminUserOf(t, env, victim.ID); u.Disabled || u.MustChangePassword || u.Name != "Vera Victim" {
		t.Errorf("a cross-site POST changed the user: %+v", u)
	}
	if _, err := env.Store.UserByEmail(context.Background(), "evil@evil.example"); !errors.Is(err, board.ErrNotFound) {
		t.Errorf("a cross-site POST created a user: %v", err)
	}
	// The same POST from the site itself works (the test is not refusing everything).
	adminPost(t, env, admin, "/admin/users/"+victim.ID+"/disable", nil, http.StatusSeeOther)
}

// TestAdminAuditActionsAllOffered: every board.AuditAction constant (read from the
// domain's source, so a new action cannot be forgotten) is offered by the viewer's filter
// with a readable label in every language.
func TestAdminAuditActionsAllOffered(t *testing.T) {
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "board/access.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	var actions []string
	for _, d := range f.Decls {
		g, ok := d.(*ast.GenDecl)
		if !ok || g.Tok != token.CONST {
			continue
		}
		for _, spec := range g.Specs {
			v := spec.(*ast.ValueSpec)
			if id, ok := v.Type.(*ast.Ident); !ok || id.Name != "AuditAction" {
				continue
			}
			for _, val := range v.Values {
				lit, ok := val.(*ast.BasicLit)
				if !ok {
					t.Fatalf("audit action %v is not a string literal", val)
				}
				s, err := strconv.Unquote(lit.Value)
				if err != nil {
					t.Fatal(err)
				}
				actions = append(actions, s)
			}
		}
	}
	if len(actions) < 20 {
		t.Fatalf("found only %d audit actions in board/access.go; is the scan broken?", len(actions))
	}
	env := servertest.Start(t, servertest.Options{})
	env.Catalog.Missing = func(lang, key string) { t.Errorf("missing message %q (%s)", key, lang) }
	_, admin := adminSignIn(t, env)
	for _, lang := range env.Catalog.Languages() {
		body := adminPage(t, env, admin, "/admin/audit?lang="+lang)
		for _, a := range actions {
			label := env.Catalog.T(lang, "admin.action."+a)
			if !strings.Contains(body, `<option value="`+a+`">`+html.EscapeString(label)+`</option>`) {
				t.Errorf("%s: the action filter does not offer %q as %q", lang, a, label)
			}
		}
	}
}
