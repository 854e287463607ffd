package server_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/xml"
	"fmt"
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
	"rsc.io/qr"

	"github.com/barnteam/barnteam/server/board"
	"github.com/barnteam/barnteam/server/demo"
	"github.com/barnteam/barnteam/server/realtime"
	"github.com/barnteam/barnteam/server/servertest"
)

// The Stödsamordnare's pages (server/teams.go): teams, members, consent, meetings,
// personal links and the audit extract, driven as a browser drives them.

// teamHTTP sends one request and returns the response with its body read. follow=false
// returns redirects as they are.
func teamHTTP(t *testing.T, c *http.Client, method, u string, form url.Values, follow bool) (*http.Response, string) {
	t.Helper()
	cl := *c
	if !follow {
		cl.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	}
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
	resp, err := cl.Do(req)
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

// teamPost posts a form without following the redirect and wants 303 to a path that
// starts with wantPrefix; it returns the redirect's path (with query).
func teamPost(t *testing.T, env *servertest.Env, c *http.Client, path string, form url.Values, wantPrefix string) string {
	t.Helper()
	resp, body := teamHTTP(t, c, http.MethodPost, env.URL+path, form, false)
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("POST %s: status %d, want 303; body:\n%s", path, resp.StatusCode, teamExcerpt(body))
	}
	loc := resp.Header.Get("Location")
	if !strings.HasPrefix(loc, wantPrefix) {
		t.Fatalf("POST %s: redirect to %q, want a path starting %q", path, loc, wantPrefix)
	}
	return loc
}

// teamExcerpt is the error summary of a page, or its start.
func teamExcerpt(body string) string {
	if i := strings.Index(body, `class="error-summary"`); i >= 0 {
		return body[i:min(len(body), i+800)]
	}
	return body[:min(len(body), 800)]
}

// teamStaff creates a staff account in an organisation and signs it in.
func teamStaff(t *testing.T, env *servertest.Env, id, name, orgID string) *http.Client {
	t.Helper()
	pw := "ett långt lösenord för " + id
	u := env.StaffUser(t, board.User{ID: id, Email: id + "@test.barnteam.se", Name: name, OrgID: orgID, Title: "Kurator"}, pw)
	return env.Login(t, u.Email, pw)
}

// teamAudit returns every audit row of a team, newest first.
func teamAudit(t *testing.T, env *servertest.Env, teamID string) []board.AuditEntry {
	t.Helper()
	var out []board.AuditEntry
	for before := int64(0); ; {
		rows, err := env.Store.Audit(context.Background(), board.AuditFilter{TeamID: teamID, BeforeID: before, Limit: 100})
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, rows...)
		if len(rows) < 100 {
			return out
		}
		before = rows[len(rows)-1].ID
	}
}

// auditMark remembers the newest audit row, so that a step's own rows can be checked.
type auditMark struct {
	t    *testing.T
	env  *servertest.Env
	last int64
}

func newAuditMark(t *testing.T, env *servertest.Env) *auditMark {
	m := &auditMark{t: t, env: env}
	m.since()
	return m
}

// since returns the rows written since the last call (oldest first), views of pages
// left out: they are reads, written by every GET of a team's page.
func (m *auditMark) since() []board.AuditEntry {
	m.t.Helper()
	rows, err := m.env.Store.Audit(context.Background(), board.AuditFilter{Limit: 10000})
	if err != nil {
		m.t.Fatal(err)
	}
	var out []board.AuditEntry
	for _, r := range rows {
		if r.ID > m.last && r.Action != board.AuditView {
			out = append(out, r)
		}
	}
	if len(rows) > 0 {
		m.last = rows[0].ID
	}
	slices.Reverse(out)
	return out
}

// expect checks that exactly one row was written since the last mark, with this action,
// team, meeting and target, by this user.
func (m *auditMark) expect(action board.AuditAction, teamID, meetingID, target, userID string) {
	m.t.Helper()
	rows := m.since()
	if len(rows) != 1 {
		var got []string
		for _, r := range rows {
			got = append(got, fmt.Sprintf("%s %q", r.Action, r.Target))
		}
		m.t.Fatalf("audit rows after %s: %v, want exactly one", action, got)
	}
	r := rows[0]
	if r.Action != action || r.TeamID != teamID || r.MeetingID != meetingID || r.Target != target || r.UserID != userID {
		m.t.Errorf("audit row %+v, want action %s team %s meeting %q target %q user %s", r, action, teamID, meetingID, target, userID)
	}
	if r.ActorName == "" || r.OrgName == "" {
		m.t.Errorf("audit row %+v lacks who or organisation", r)
	}
}

// stockholmDay is the date in Sweden days from today (the server's consent dates and
// defaults are Swedish dates).
func stockholmDay(t *testing.T, days int) string {
	t.Helper()
	loc, err := time.LoadLocation("Europe/Stockholm")
	if err != nil {
		t.Fatal(err)
	}
	return time.Now().In(loc).AddDate(0, 0, days).Format(time.DateOnly)
}

// stockholmTomorrow is tomorrow's date in Sweden.
func stockholmTomorrow(t *testing.T) string { return stockholmDay(t, 1) }

// memberByName finds a team's member.
func memberByName(t *testing.T, env *servertest.Env, teamID, name string) board.Member {
	t.Helper()
	ms, err := env.Store.Members(context.Background(), teamID)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range ms {
		if m.Name == name {
			return m
		}
	}
	t.Fatalf("team %s has no member %q", teamID, name)
	return board.Member{}
}

var linkField = regexp.MustCompile(`id="invite-link"[^>]*\bvalue="([^"]+)"`)

// makeLink creates a member's personal link from the meeting's page and returns the
// link and the page that shows it.
func makeLink(t *testing.T, env *servertest.Env, c *http.Client, teamID, meetingID, memberID string) (string, string) {
	t.Helper()
	path := "/teams/" + teamID + "/meetings/" + meetingID + "/links/" + memberID
	teamPost(t, env, c, path, url.Values{}, path)
	resp, body := teamHTTP(t, c, http.MethodGet, env.URL+path, nil, false)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("the page showing the new link: status %d", resp.StatusCode)
	}
	m := linkField.FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no link on the page:\n%s", teamExcerpt(body))
	}
	return html.UnescapeString(m[1]), body
}

// createTeam makes a team as c's user and returns its id.
func createTeam(t *testing.T, env *servertest.Env, c *http.Client, name string) string {
	t.Helper()
	loc := teamPost(t, env, c, "/teams/new", url.Values{"name": {name}, "birth_year": {"2017"}, "reason": {"Behöver samordnat stöd i skolan."}}, "/teams/")
	id := strings.TrimPrefix(loc, "/teams/")
	if !board.ValidID(id) {
		t.Fatalf("new team redirects to %q", loc)
	}
	return id
}

// scheduleMeeting schedules a meeting tomorrow at 13:30 and returns its id.
func scheduleMeeting(t *testing.T, env *servertest.Env, c *http.Client, teamID string) string {
	t.Helper()
	loc := teamPost(t, env, c, "/teams/"+teamID+"/meetings", url.Values{"title": {"Första mötet"}, "date": {stockholmTomorrow(t)}, "time": {"13:30"}}, "/teams/"+teamID+"/meetings/")
	id, _, _ := strings.Cut(strings.TrimPrefix(loc, "/teams/"+teamID+"/meetings/"), "?")
	return id
}

// TestTeamPrepareMeeting is the coordinator's path from an empty list to a guest in the
// lobby: create a team, add a professional and a guardian, schedule a meeting, make a
// personal link; the link works in a fresh browser and leads to the lobby, which shows no
// board content. Each change leaves exactly its audit row.
func TestTeamPrepareMeeting(t *testing.T) {
	env := servertest.Start(t, servertest.Options{})
	env.Catalog.Missing = func(lang, key string) { t.Errorf("missing message %q (%s)", key, lang) }
	coord := env.CoordinatorClient(t)
	teamStaff(t, env, "u-lena", "Lena Ek", "demo-elevhalsa")
	audit := newAuditMark(t, env)
	sv := func(key string, args ...any) string { return html.EscapeString(env.Catalog.T("sv", key, args...)) }

	resp, body := teamHTTP(t, coord, http.MethodGet, env.URL+"/teams", nil, true)
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, "Alva") || !strings.Contains(body, `href="/teams/new"`) {
		t.Fatalf("/teams: status %d; want the demo team and a link to create one", resp.StatusCode)
	}

	// A form with errors answers 422, keeps what was typed and makes nothing.
	resp, body = teamHTTP(t, coord, http.MethodPost, env.URL+"/teams/new", url.Values{"name": {"Nora"}, "birth_year": {"1999"}, "reason": {"Personnummer 20170412-1234 behövs inte."}}, false)
	if resp.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("invalid team: status %d, want 422", resp.StatusCode)
	}
	for _, want := range []string{`value="Nora"`, `href="#team-birth-year"`, `href="#team-reason"`, sv("teams.invalid.personnummer"), `aria-invalid="true"`} {
		if !strings.Contains(body, want) {
			t.Errorf("invalid team page lacks %s", want)
		}
	}
	if rows := audit.since(); len(rows) != 0 {
		t.Fatalf("a refused form left audit rows %v", rows)
	}

	teamID := createTeam(t, env, coord, "Nora")
	audit.expect(board.AuditTeamCreated, teamID, "", "team "+teamID, "demo-user-coord")
	me := memberByName(t, env, teamID, "Maria Lind")
	if me.Role != board.RoleCoordinator || me.UserID != "demo-user-coord" || me.OrgID != "demo-stod" || me.Title != "Stödsamordnare" {
		t.Errorf("the creator's member %+v, want the coordinator linked to the account", me)
	}
	if _, body = teamHTTP(t, coord, http.MethodGet, env.URL+"/teams", nil, true); !strings.Contains(body, "Nora") {
		t.Errorf("/teams does not list the new team")
	}

	// Staff from the directory, with the Upptäckare flag.
	resp, body = teamHTTP(t, coord, http.MethodGet, env.URL+"/teams/"+teamID, nil, true)
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, `<option value="u-lena">Lena Ek – Elevhälsan, Solrosskolan, Kurator</option>`) {
		t.Fatalf("team page: status %d; want Lena Ek among the staff to add", resp.StatusCode)
	}
	teamPost(t, env, coord, "/teams/"+teamID+"/members/staff", url.Values{"user": {"u-lena"}, "role": {"professional"}, "discoverer": {"1"}}, "/teams/"+teamID+"?saved=member")
	lena := memberByName(t, env, teamID, "Lena Ek")
	if lena.UserID != "u-lena" || lena.OrgID != "demo-elevhalsa" || lena.Title != "Kurator" || !lena.Discoverer || lena.Role != board.RoleProfessional {
		t.Errorf("added staff member %+v", lena)
	}
	audit.expect(board.AuditMemberAdded, teamID, "", "member "+lena.ID, "demo-user-coord")
	// Not twice.
	if resp, _ := teamHTTP(t, coord, http.MethodPost, env.URL+"/teams/"+teamID+"/members/staff", url.Values{"user": {"u-lena"}, "role": {"professional"}}, false); resp.StatusCode != http.StatusUnprocessableEntity {
		t.Errorf("adding a member twice: status %d, want 422", resp.StatusCode)
	}

	// A guest; a bad role is refused.
	if resp, _ := teamHTTP(t, coord, http.MethodPost, env.URL+"/teams/"+teamID+"/members/guest", url.Values{"name": {"Sara"}, "role": {"coordinator"}, "lang": {"sv"}}, false); resp.StatusCode != http.StatusUnprocessableEntity {
		t.Errorf("a guest as coordinator: status %d, want 422", resp.StatusCode)
	}
	teamPost(t, env, coord, "/teams/"+teamID+"/members/guest", url.Values{"name": {"Sara Holm"}, "role": {"guardian"}, "lang": {"en"}, "contact": {"070-123 45 67"}}, "/teams/"+teamID+"?saved=member")
	sara := memberByName(t, env, teamID, "Sara Holm")
	if sara.Role != board.RoleGuardian || sara.Lang != "en" || sara.Contact != "070-123 45 67" || sara.UserID != "" || sara.OrgID != "" {
		t.Errorf("added guest %+v", sara)
	}
	audit.expect(board.AuditMemberAdded, teamID, "", "member "+sara.ID, "demo-user-coord")

	// The page shows the members with role, organisation, title and the guest's contact.
	_, body = teamHTTP(t, coord, http.MethodGet, env.URL+"/teams/"+teamID+"?saved=member", nil, true)
	for _, want := range []string{"<bdi>Lena Ek</bdi>", sv("role.professional"), "Elevhälsan, Solrosskolan", sv("teams.members.discoverer"), "<bdi>Sara Holm</bdi>", "070-123 45 67", sv("teams.saved.member")} {
		if !strings.Contains(body, want) {
			t.Errorf("team page lacks %q", want)
		}
	}

	// A meeting at a Swedish time.
	if resp, body := teamHTTP(t, coord, http.MethodPost, env.URL+"/teams/"+teamID+"/meetings", url.Values{"title": {"Möte"}, "date": {"2026-13-01"}, "time": {"25:00"}}, false); resp.StatusCode != http.StatusUnprocessableEntity ||
		!strings.Contains(body, `href="#meeting-date"`) || !strings.Contains(body, `href="#meeting-time"`) {
		t.Errorf("an impossible date and time: status %d, want 422 naming both fields", resp.StatusCode)
	}
	meetingID := scheduleMeeting(t, env, coord, teamID)
	audit.expect(board.AuditMeetingCreated, teamID, meetingID, "meeting "+meetingID, "demo-user-coord")
	meeting, err := env.Store.Meeting(context.Background(), meetingID)
	if err != nil {
		t.Fatal(err)
	}
	loc, _ := time.LoadLocation("Europe/Stockholm")
	if got := meeting.ScheduledAt.In(loc).Format("2006-01-02 15:04"); got != stockholmTomorrow(t)+" 13:30" || meeting.TeamID != teamID || meeting.Epoch == "" {
		t.Errorf("meeting %+v at %s, want tomorrow 13:30 Swedish time", meeting, got)
	}

	// The meeting's links page: nobody has a link yet.
	resp, body = teamHTTP(t, coord, http.MethodGet, env.URL+"/teams/"+teamID+"/meetings/"+meetingID, nil, true)
	if resp.StatusCode != http.StatusOK || strings.Count(body, sv("teams.invites.no_link")) != 3 {
		t.Fatalf("links page: status %d, want three members without a link", resp.StatusCode)
	}

	// A personal link for the guardian, shown once.
	link, page := makeLink(t, env, coord, teamID, meetingID, sara.ID)
	audit.expect(board.AuditInviteCreated, teamID, meetingID, "member "+sara.ID, "demo-user-coord")
	if !strings.HasPrefix(link, env.URL+"/j/") || len(link) < len(env.URL+"/j/")+40 {
		t.Fatalf("link %q", link)
	}
	checkQR(t, page, link)
	if !strings.Contains(page, sv("teams.link.once")) || !strings.Contains(page, "js/copy.js") {
		t.Errorf("the link page lacks the shown-once note or the copy script")
	}
	if resp, _ := teamHTTP(t, coord, http.MethodGet, env.URL+"/teams/"+teamID+"/meetings/"+meetingID+"/links/"+sara.ID, nil, false); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("the link page again: status %d, want 303 back to the links (shown once)", resp.StatusCode)
	}
	_, body = teamHTTP(t, coord, http.MethodGet, env.URL+"/teams/"+teamID+"/meetings/"+meetingID, nil, true)
	if strings.Count(body, sv("teams.invites.active")) != 1 || strings.Contains(body, strings.TrimPrefix(link, env.URL)) {
		t.Errorf("links page after making one: want one active link and no token")
	}

	// The link works in a fresh browser: /join, "this is me", then the lobby.
	guest := servertest.NewClient()
	resp, _ = teamHTTP(t, guest, http.MethodGet, link, nil, false)
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/join" {
		t.Fatalf("GET link: %d to %q, want 303 to /join", resp.StatusCode, resp.Header.Get("Location"))
	}
	if resp, body := teamHTTP(t, guest, http.MethodGet, env.URL+"/join", nil, true); resp.StatusCode != http.StatusOK || !strings.Contains(body, "Sara Holm") {
		t.Fatalf("/join: status %d, want the guardian's confirmation page", resp.StatusCode)
	}
	resp, body = teamHTTP(t, guest, http.MethodPost, env.URL+"/join", url.Values{}, true)
	if resp.StatusCode != http.StatusOK || resp.Request.URL.Path != "/b/"+meetingID+"/"+sara.ID+"/" {
		t.Fatalf("POST /join: status %d at %s, want the guardian's board address", resp.StatusCode, resp.Request.URL.Path)
	}
	lobby := html.EscapeString(env.Catalog.T("en", "lobby.title")) // Sara prefers English
	if !strings.Contains(body, lobby) || strings.Contains(body, `id="area-`) || strings.Contains(body, `id="agenda"`) {
		t.Errorf("after joining, the board address must answer the lobby with no board content")
	}
	rows := audit.since()
	if len(rows) != 1 || rows[0].Action != board.AuditJoin || rows[0].MemberID != sara.ID || rows[0].TeamID != teamID {
		t.Errorf("joining left audit rows %+v, want one join row", rows)
	}
}

// checkQR: the QR code is well-formed SVG with an accessible name, and its modules are
// exactly rsc.io/qr's encoding of the link.
func checkQR(t *testing.T, page, link string) {
	t.Helper()
	start, end := strings.Index(page, "<svg"), strings.Index(page, "</svg>")
	if start < 0 || end < start {
		t.Fatal("no <svg> on the link page")
	}
	var svg struct {
		XMLName xml.Name `xml:"svg"`
		Role    string   `xml:"role,attr"`
		Label   string   `xml:"aria-label,attr"`
		ViewBox string   `xml:"viewBox,attr"`
		Width   string   `xml:"width,attr"`
		Title   string   `xml:"title"`
		Path    struct {
			D string `xml:"d,attr"`
		} `xml:"path"`
	}
	dec := xml.NewDecoder(strings.NewReader(page[start : end+len("</svg>")]))
	dec.Strict = true
	if err := dec.Decode(&svg); err != nil {
		t.Fatalf("the QR code is not well-formed XML: %v", err)
	}
	if svg.Role != "img" || svg.Label == "" || svg.Title == "" || svg.Width != "240" {
		t.Errorf("svg role=%q aria-label=%q title=%q width=%q", svg.Role, svg.Label, svg.Title, svg.Width)
	}
	code, err := qr.Encode(link, qr.M)
	if err != nil {
		t.Fatal(err)
	}
	const quiet = 4
	if want := fmt.Sprintf("0 0 %d %d", code.Size+2*quiet, code.Size+2*quiet); svg.ViewBox != want {
		t.Errorf("viewBox %q, want %q (%d modules and the quiet zone)", svg.ViewBox, want, code.Size)
	}
	// Draw the path's runs ("M x y h n v1 h-n z") and compare module by module.
	dark := map[[2]int]bool{}
	run := regexp.MustCompile(`M(\d+) (\d+)h(\d+)v1h-(\d+)z`)
	all := run.FindAllStringSubmatch(svg.Path.D, -1)
	if strings.Join(func() []string {
		var s []string
		for _, m := range all {
			s = append(s, m[0])
		}
		return s
	}(), "") != svg.Path.D {
		t.Fatalf("path data is not a sequence of runs: %.80s…", svg.Path.D)
	}
	for _, m := range all {
		x, _ := strconv.Atoi(m[1])
		y, _ := strconv.Atoi(m[2])
		n, _ := strconv.Atoi(m[3])
		for i := range n {
			dark[[2]int{x + i - quiet, y - quiet}] = true
		}
	}
	for y := range code.Size {
		for x := range code.Size {
			if dark[[2]int{x, y}] != code.Black(x, y) {
				t.Fatalf("module (%d,%d) differs from rsc.io/qr's encoding of the link", x, y)
			}
		}
	}
	n := 0
	for y := range code.Size {
		for x := range code.Size {
			if code.Black(x, y) {
				n++
			}
		}
	}
	if len(dark) != n {
		t.Errorf("%d dark modules drawn, want %d", len(dark), n)
	}
}

// teamRoutes lists every route of a team with a valid shape for teamID, meetingID,
// memberID and consentID.
func teamRoutesFor(teamID, meetingID, memberID, consentID string) (gets, posts []string) {
	t := "/teams/" + teamID
	m := t + "/meetings/" + meetingID
	gets = []string{t, m, m + "/links/" + memberID, t + "/audit.csv"}
	posts = []string{t + "/members/staff", t + "/members/guest", t + "/consents", t + "/consents/" + consentID + "/withdraw",
		t + "/meetings", m + "/links/" + memberID, m + "/links/" + memberID + "/revoke"}
	return gets, posts
}

// TestTeamOnlyCoordinatorManages: a professional in the team may view the team (only that
// it exists until consent covers their organisation) but every change and the
// coordinator's pages answer 403; a staff user outside the team gets the plain 404 on
// every route, as for a team that does not exist; nobody signed in is sent to log in.
func TestTeamOnlyCoordinatorManages(t *testing.T) {
	env := servertest.Start(t, servertest.Options{})
	env.Catalog.Missing = func(lang, key string) { t.Errorf("missing message %q (%s)", key, lang) }
	coord := env.CoordinatorClient(t)
	prof := teamStaff(t, env, "u-prof", "Per Ström", "demo-skola")
	outsider := teamStaff(t, env, "u-out", "Olle Utan", "demo-ifo")
	sv := func(key string, args ...any) string { return html.EscapeString(env.Catalog.T("sv", key, args...)) }

	teamID := createTeam(t, env, coord, "Nora")
	teamPost(t, env, coord, "/teams/"+teamID+"/members/staff", url.Values{"user": {"u-prof"}, "role": {"professional"}}, "/teams/"+teamID)
	for _, g := range []string{"Sara Holm", "Sam Holm"} {
		teamPost(t, env, coord, "/teams/"+teamID+"/members/guest", url.Values{"name": {g}, "role": {"guardian"}, "lang": {"sv"}}, "/teams/"+teamID)
	}
	meetingID := scheduleMeeting(t, env, coord, teamID)
	sara := memberByName(t, env, teamID, "Sara Holm")
	makeLink(t, env, coord, teamID, meetingID, sara.ID)
	teamPost(t, env, coord, "/teams/"+teamID+"/consents", url.Values{"given_by": {sara.ID}, "org": {"demo-skola"}, "purpose": {"Samordning"},
		"valid_from": {stockholmDay(t, 0)}, "valid_to": {stockholmDay(t, 30)}, "method": {"oral"}}, "/teams/"+teamID)
	consents, _ := env.Store.Consents(context.Background(), teamID)
	if len(consents) != 1 {
		t.Fatalf("%d consents", len(consents))
	}
	gets, posts := teamRoutesFor(teamID, meetingID, sara.ID, consents[0].ID)

	// The professional: in the list, the team page (restricted before consent covers
	// their school), and 403 on everything else.
	if _, body := teamHTTP(t, prof, http.MethodGet, env.URL+"/teams", nil, true); !strings.Contains(body, "/teams/"+teamID) {
		t.Errorf("the professional's /teams does not list the team")
	}
	resp, body := teamHTTP(t, prof, http.MethodGet, env.URL+gets[0], nil, true)
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, sv("teams.restricted.heading")) || strings.Contains(body, "Behöver samordnat stöd") || strings.Contains(body, "Sara Holm") {
		t.Errorf("uncovered professional's team page: status %d; want only that consent is awaited, no reason, no members", resp.StatusCode)
	}
	audit := newAuditMark(t, env)
	for _, p := range gets[1:] {
		if resp, _ := teamHTTP(t, prof, http.MethodGet, env.URL+p, nil, false); resp.StatusCode != http.StatusForbidden {
			t.Errorf("professional GET %s: status %d, want 403", p, resp.StatusCode)
		}
	}
	form := url.Values{"user": {"u-out"}, "role": {"professional"}, "name": {"X"}, "lang": {"sv"}, "title": {"X"}, "date": {stockholmTomorrow(t)}, "time": {"10:00"}}
	for _, p := range posts {
		if resp, _ := teamHTTP(t, prof, http.MethodPost, env.URL+p, form, false); resp.StatusCode != http.StatusForbidden {
			t.Errorf("professional POST %s: status %d, want 403", p, resp.StatusCode)
		}
	}

	// With both guardians' consent the professional sees the team, without the forms.
	sam := memberByName(t, env, teamID, "Sam Holm")
	teamPost(t, env, coord, "/teams/"+teamID+"/consents", url.Values{"given_by": {sam.ID}, "org": {"demo-skola"}, "purpose": {"Samordning"},
		"valid_from": {stockholmDay(t, 0)}, "valid_to": {stockholmDay(t, 30)}, "method": {"written"}}, "/teams/"+teamID)
	audit.since()
	resp, body = teamHTTP(t, prof, http.MethodGet, env.URL+gets[0], nil, true)
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, "Behöver samordnat stöd") || !strings.Contains(body, "Sara Holm") {
		t.Errorf("covered professional's team page: status %d; want the reason and the members", resp.StatusCode)
	}
	if strings.Contains(body, "<form method=\"post\" action=\"/teams/") || strings.Contains(body, "audit.csv") || strings.Contains(body, "/meetings/"+meetingID+"\"") {
		t.Errorf("the professional's team page offers the coordinator's forms or pages")
	}
	if !strings.Contains(body, `href="/b/`+meetingID+"/"+memberByName(t, env, teamID, "Per Ström").ID+`/"`) {
		t.Errorf("the professional's team page lacks a link to their own board")
	}
	for _, p := range posts {
		if resp, _ := teamHTTP(t, prof, http.MethodPost, env.URL+p, form, false); resp.StatusCode != http.StatusForbidden {
			t.Errorf("covered professional POST %s: status %d, want 403", p, resp.StatusCode)
		}
	}

	// Even the coordinator reaches another team's meeting, member or consent only through
	// that team.
	for _, p := range []string{"/teams/" + teamID + "/meetings/" + demo.MeetingID, "/teams/" + teamID + "/meetings/" + meetingID + "/links/demo-guardian1"} {
		if resp, _ := teamHTTP(t, coord, http.MethodGet, env.URL+p, nil, false); resp.StatusCode != http.StatusNotFound {
			t.Errorf("coordinator GET %s (of another team): status %d, want 404", p, resp.StatusCode)
		}
	}
	for _, p := range []string{"/teams/" + teamID + "/meetings/" + demo.MeetingID + "/links/demo-guardian1", "/teams/" + teamID + "/meetings/" + demo.MeetingID + "/links/demo-guardian1/revoke",
		"/teams/" + teamID + "/meetings/" + meetingID + "/links/demo-guardian1", "/teams/" + teamID + "/consents/demo-consent-1/withdraw"} {
		if resp, _ := teamHTTP(t, coord, http.MethodPost, env.URL+p, url.Values{}, false); resp.StatusCode != http.StatusNotFound {
			t.Errorf("coordinator POST %s (of another team): status %d, want 404", p, resp.StatusCode)
		}
	}

	// Someone outside the team: the same 404 as for a team that does not exist.
	_, unknown := teamHTTP(t, outsider, http.MethodGet, env.URL+"/teams/no-such-team", nil, false)
	for _, p := range gets {
		resp, body := teamHTTP(t, outsider, http.MethodGet, env.URL+p, nil, false)
		if resp.StatusCode != http.StatusNotFound || body != unknown {
			t.Errorf("outsider GET %s: status %d, want the plain 404", p, resp.StatusCode)
		}
	}
	for _, p := range posts {
		if resp, _ := teamHTTP(t, outsider, http.MethodPost, env.URL+p, form, false); resp.StatusCode != http.StatusNotFound {
			t.Errorf("outsider POST %s: status %d, want 404", p, resp.StatusCode)
		}
	}
	if _, body := teamHTTP(t, outsider, http.MethodGet, env.URL+"/teams", nil, true); strings.Contains(body, teamID) {
		t.Errorf("the outsider's /teams lists the team")
	}
	// Signed out: to the login page; nothing changes.
	anon := servertest.NewClient()
	for _, p := range append(append([]string{"/teams", "/teams/new"}, gets...), posts...) {
		method := http.MethodGet
		if slices.Contains(posts, p) {
			method = http.MethodPost
		}
		resp, _ := teamHTTP(t, anon, method, env.URL+p, form, false)
		if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/login") {
			t.Errorf("signed out %s %s: %d to %q, want 303 to /login", method, p, resp.StatusCode, resp.Header.Get("Location"))
		}
	}
	if rows := audit.since(); len(rows) != 0 {
		var got []string
		for _, r := range rows {
			got = append(got, string(r.Action)+" by "+r.ActorName)
		}
		t.Errorf("refused requests left audit rows: %v", got)
	}
	if ms, _ := env.Store.Members(context.Background(), teamID); len(ms) != 4 {
		t.Errorf("the team has %d members after refused changes, want 4", len(ms))
	}
}

// waitClose reads a WebSocket until it closes and reports the close code.
func waitClose(ws *websocket.Conn) <-chan websocket.StatusCode {
	ch := make(chan websocket.StatusCode, 1)
	go func() {
		for {
			if _, _, err := ws.Read(context.Background()); err != nil {
				ch <- websocket.CloseStatus(err)
				return
			}
		}
	}()
	return ch
}

// expectClosed waits at most 2 s for the socket to close with code.
func expectClosed(t *testing.T, closed <-chan websocket.StatusCode, code websocket.StatusCode, what string) {
	t.Helper()
	timer := time.NewTimer(2 * time.Second)
	defer timer.Stop()
	select {
	case got := <-closed:
		if got != code {
			t.Errorf("%s: socket closed with %d, want %d", what, got, code)
		}
	case <-timer.C:
		t.Errorf("%s: socket still open after 2 s", what)
	}
}

// TestTeamRevokeLink: revoking a personal link makes it 404 exactly like an unknown one
// and closes the member's open link-based WebSocket with 4403 within 2 s.
func TestTeamRevokeLink(t *testing.T) {
	env := servertest.Start(t, servertest.Options{})
	coord := env.CoordinatorClient(t)
	guardian := env.Client(t, "demo-guardian1")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	ws, _, err := env.Dial(ctx, guardian, "demo-guardian1", -1, "")
	if err != nil {
		t.Fatal(err)
	}
	defer ws.CloseNow()
	closed := waitClose(ws)
	// Someone else's socket stays open.
	other := env.Client(t, "demo-guardian2")
	ws2, _, err := env.Dial(ctx, other, "demo-guardian2", -1, "")
	if err != nil {
		t.Fatal(err)
	}
	defer ws2.CloseNow()
	otherClosed := waitClose(ws2)

	audit := newAuditMark(t, env)
	teamPost(t, env, coord, "/teams/"+demo.TeamID+"/meetings/"+demo.MeetingID+"/links/demo-guardian1/revoke", url.Values{}, "/teams/"+demo.TeamID+"/meetings/"+demo.MeetingID+"?saved=revoked")
	expectClosed(t, closed, realtime.CloseForbidden, "the guardian's socket")
	audit.expect(board.AuditInviteRevoked, demo.TeamID, demo.MeetingID, "member demo-guardian1", "demo-user-coord")

	unknownResp, unknown := teamHTTP(t, servertest.NewClient(), http.MethodGet, env.URL+"/j/"+strings.Repeat("A", 43), nil, false)
	resp, body := teamHTTP(t, servertest.NewClient(), http.MethodGet, env.Links["demo-guardian1"], nil, false)
	if resp.StatusCode != http.StatusNotFound || unknownResp.StatusCode != http.StatusNotFound || body != unknown {
		t.Errorf("revoked link: status %d, unknown link %d; want identical 404 pages", resp.StatusCode, unknownResp.StatusCode)
	}
	// Their session is gone too: the board answers 404.
	if resp, _ := teamHTTP(t, guardian, http.MethodGet, env.BoardURL("demo-guardian1"), nil, false); resp.StatusCode != http.StatusNotFound {
		t.Errorf("the revoked guardian's board: status %d, want 404", resp.StatusCode)
	}
	select {
	case code := <-otherClosed:
		t.Errorf("the other guardian's socket closed too (%d)", code)
	default:
	}
	if resp, _ := teamHTTP(t, other, http.MethodGet, env.BoardURL("demo-guardian2"), nil, false); resp.StatusCode != http.StatusOK {
		t.Errorf("the other guardian's board: status %d, want 200", resp.StatusCode)
	}

	// A new link works again; it replaces the old one (one active link per member).
	link, _ := makeLink(t, env, coord, demo.TeamID, demo.MeetingID, "demo-guardian1")
	audit.expect(board.AuditInviteCreated, demo.TeamID, demo.MeetingID, "member demo-guardian1", "demo-user-coord")
	link2, _ := makeLink(t, env, coord, demo.TeamID, demo.MeetingID, "demo-guardian1")
	audit.expect(board.AuditInviteCreated, demo.TeamID, demo.MeetingID, "member demo-guardian1", "demo-user-coord")
	if resp, _ := teamHTTP(t, servertest.NewClient(), http.MethodGet, link, nil, false); resp.StatusCode != http.StatusNotFound {
		t.Errorf("the replaced link: status %d, want 404", resp.StatusCode)
	}
	if resp, _ := teamHTTP(t, servertest.NewClient(), http.MethodGet, link2, nil, false); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("the new link: status %d, want 303 to /join", resp.StatusCode)
	}
	invites, err := env.Store.Invites(context.Background(), demo.MeetingID, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, inv := range invites {
		if inv.MemberID == "demo-guardian1" {
			n++
			if d := time.Until(inv.ExpiresAt); d < 13*24*time.Hour || d > 14*24*time.Hour {
				t.Errorf("the new link expires in %v, want 14 days", d)
			}
		}
	}
	if n != 1 {
		t.Errorf("demo-guardian1 has %d active links, want 1", n)
	}
}

// TestTeamConsent: consent from one guardian of two leaves the organisation uncovered (its
// professional waits in the lobby); from both it covers it. Withdrawing one closes the
// connected professional's socket with 4403 within 2 s and their board becomes the lobby.
func TestTeamConsent(t *testing.T) {
	env := servertest.Start(t, servertest.Options{})
	env.Catalog.Missing = func(lang, key string) { t.Errorf("missing message %q (%s)", key, lang) }
	coord := env.CoordinatorClient(t)
	sv := func(key string, args ...any) string { return html.EscapeString(env.Catalog.T("sv", key, args...)) }

	t.Run("both guardians", func(t *testing.T) {
		prof := teamStaff(t, env, "u-prof", "Per Ström", "demo-skola")
		teamID := createTeam(t, env, coord, "Nora")
		teamPost(t, env, coord, "/teams/"+teamID+"/members/staff", url.Values{"user": {"u-prof"}, "role": {"child_contact"}}, "/teams/"+teamID)
		for _, g := range []string{"Sara Holm", "Sam Holm"} {
			teamPost(t, env, coord, "/teams/"+teamID+"/members/guest", url.Values{"name": {g}, "role": {"guardian"}, "lang": {"sv"}}, "/teams/"+teamID)
		}
		meetingID := scheduleMeeting(t, env, coord, teamID)
		per, sara, sam := memberByName(t, env, teamID, "Per Ström"), memberByName(t, env, teamID, "Sara Holm"), memberByName(t, env, teamID, "Sam Holm")
		perBoard := "/b/" + meetingID + "/" + per.ID + "/"
		inLobby := func(what string, want bool) {
			t.Helper()
			resp, body := teamHTTP(t, prof, http.MethodGet, env.URL+perBoard, nil, true)
			lobby := strings.Contains(body, sv("lobby.waiting_consent"))
			if resp.StatusCode != http.StatusOK || lobby != want || strings.Contains(body, `id="area-trygghet"`) == want {
				t.Errorf("%s: the professional's board answers %d, lobby=%v, want lobby=%v", what, resp.StatusCode, lobby, want)
			}
		}
		inLobby("without consent", true)

		// The form starts with today and half a year, no organisation ticked.
		_, page := teamHTTP(t, coord, http.MethodGet, env.URL+"/teams/"+teamID, nil, true)
		if !strings.Contains(page, `value="`+stockholmDay(t, 0)+`"`) || strings.Contains(page, `name="org" value="demo-skola" checked`) {
			t.Errorf("consent form defaults: want today's date and no organisation ticked")
		}
		if !strings.Contains(page, sv("teams.consent.rule")) {
			t.Errorf("the team page does not explain the consent rule")
		}

		// Refused: no organisation; the catalog's message is shown.
		today, later := stockholmDay(t, 0), stockholmDay(t, 180)
		audit := newAuditMark(t, env)
		resp, body := teamHTTP(t, coord, http.MethodPost, env.URL+"/teams/"+teamID+"/consents", url.Values{"given_by": {sara.ID}, "purpose": {"Samordning"}, "valid_from": {today}, "valid_to": {later}, "method": {"written"}}, false)
		if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, sv("consent.invalid.orgs")) || !strings.Contains(body, `href="#consent-org-`) {
			t.Errorf("consent without organisations: status %d, want 422 with the catalog's message", resp.StatusCode)
		}
		for _, bad := range []url.Values{
			{"given_by": {per.ID}, "org": {"demo-skola"}, "purpose": {"S"}, "valid_from": {today}, "valid_to": {later}, "method": {"written"}},
			{"given_by": {sara.ID}, "org": {"demo-ifo"}, "purpose": {"S"}, "valid_from": {today}, "valid_to": {later}, "method": {"written"}},
			{"given_by": {sara.ID}, "org": {"demo-skola"}, "purpose": {"S"}, "valid_from": {"1/1/2026"}, "valid_to": {later}, "method": {"written"}},
			{"given_by": {sara.ID}, "org": {"demo-skola"}, "purpose": {"S"}, "valid_from": {today}, "valid_to": {stockholmDay(t, 400)}, "method": {"written"}},
			{"given_by": {sara.ID}, "org": {"demo-skola"}, "purpose": {"S"}, "valid_from": {today}, "valid_to": {later}, "method": {"telepathy"}},
		} {
			if resp, _ := teamHTTP(t, coord, http.MethodPost, env.URL+"/teams/"+teamID+"/consents", bad, false); resp.StatusCode != http.StatusUnprocessableEntity {
				t.Errorf("consent %v: status %d, want 422", bad, resp.StatusCode)
			}
		}
		if rows := audit.since(); len(rows) != 0 {
			t.Errorf("refused consents left audit rows")
		}

		// One guardian: not covered.
		teamPost(t, env, coord, "/teams/"+teamID+"/consents", url.Values{"given_by": {sara.ID}, "org": {"demo-skola"}, "purpose": {"Samordning av stöd"},
			"valid_from": {today}, "valid_to": {later}, "method": {"written"}}, "/teams/"+teamID+"?saved=consent")
		consents, _ := env.Store.Consents(context.Background(), teamID)
		if len(consents) != 1 || consents[0].RecordedBy != "demo-user-coord" || consents[0].Method != board.ConsentWritten || consents[0].Purpose != "Samordning av stöd" {
			t.Fatalf("recorded consents %+v", consents)
		}
		audit.expect(board.AuditConsentGiven, teamID, "", "consent "+consents[0].ID, "demo-user-coord")
		inLobby("with one guardian's consent", true)
		_, page = teamHTTP(t, coord, http.MethodGet, env.URL+"/teams/"+teamID, nil, true)
		if !strings.Contains(page, "<bdi>Solrosskolan</bdi>: <strong>"+sv("teams.consent.not_covered")) || !strings.Contains(page, sv("teams.consent.missing_from")+" <bdi>Sam Holm</bdi>") {
			t.Errorf("the team page must say the school is not covered and whose consent is missing")
		}

		// Both: covered; the professional is let in at once.
		teamPost(t, env, coord, "/teams/"+teamID+"/consents", url.Values{"given_by": {sam.ID}, "org": {"demo-skola", "demo-stod"}, "purpose": {"Samordning av stöd"},
			"valid_from": {today}, "valid_to": {later}, "method": {"digital"}}, "/teams/"+teamID+"?saved=consent")
		audit.since()
		inLobby("with both guardians' consent", false)
		_, page = teamHTTP(t, coord, http.MethodGet, env.URL+"/teams/"+teamID, nil, true)
		if !strings.Contains(page, "<bdi>Solrosskolan</bdi>: <strong>"+sv("teams.consent.covered")) || !strings.Contains(page, sv("teams.consent.nobody_kept_out")) {
			t.Errorf("the team page must say the school is covered and nobody is kept out")
		}
	})

	t.Run("withdrawal", func(t *testing.T) {
		teacher := env.Client(t, "demo-teacher")
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		ws, _, err := env.Dial(ctx, teacher, "demo-teacher", -1, "")
		if err != nil {
			t.Fatal(err)
		}
		defer ws.CloseNow()
		closed := waitClose(ws)
		nurse := env.Client(t, "demo-nurse")
		ws2, _, err := env.Dial(ctx, nurse, "demo-nurse", -1, "")
		if err != nil {
			t.Fatal(err)
		}
		defer ws2.CloseNow()
		nurseClosed := waitClose(ws2)

		// A second consent of the first guardian, for the school nurse's organisation
		// only: withdrawing the first leaves the school uncovered, the nurse's covered.
		loc, _ := time.LoadLocation("Europe/Stockholm")
		today := time.Now().In(loc).Format(time.DateOnly)
		if err := env.Store.CreateConsent(ctx, board.Consent{ID: "test-consent", TeamID: demo.TeamID, GivenBy: "demo-guardian1", OrgIDs: []string{"demo-elevhalsa"},
			Purpose: "Samordning", ValidFrom: today, ValidTo: today, Method: board.ConsentOral, RecordedBy: "demo-user-coord", RecordedAt: time.Now()}); err != nil {
			t.Fatal(err)
		}
		audit := newAuditMark(t, env)
		teamPost(t, env, coord, "/teams/"+demo.TeamID+"/consents/demo-consent-1/withdraw", url.Values{}, "/teams/"+demo.TeamID+"?saved=withdrawn")
		expectClosed(t, closed, realtime.CloseForbidden, "the teacher's socket")
		audit.expect(board.AuditConsentWithdrawn, demo.TeamID, "", "consent demo-consent-1", "demo-user-coord")
		cs, _ := env.Store.Consents(ctx, demo.TeamID)
		for _, c := range cs {
			if c.ID == "demo-consent-1" && (c.WithdrawnAt.IsZero() || c.WithdrawnBy != "demo-user-coord") {
				t.Errorf("demo-consent-1 after withdrawal: %+v", c)
			}
		}
		resp, body := teamHTTP(t, teacher, http.MethodGet, env.BoardURL("demo-teacher"), nil, true)
		if resp.StatusCode != http.StatusOK || !strings.Contains(body, sv("lobby.waiting_consent")) || strings.Contains(body, `id="area-`) {
			t.Errorf("the teacher's board after withdrawal: status %d; want the lobby, waiting for consent, no board content", resp.StatusCode)
		}
		// Withdrawing again changes nothing and writes nothing.
		teamPost(t, env, coord, "/teams/"+demo.TeamID+"/consents/demo-consent-1/withdraw", url.Values{}, "/teams/"+demo.TeamID)
		if rows := audit.since(); len(rows) != 0 {
			t.Errorf("a second withdrawal left audit rows")
		}
		// The team page shows it withdrawn, by whom.
		_, page := teamHTTP(t, coord, http.MethodGet, env.URL+"/teams/"+demo.TeamID, nil, true)
		if !strings.Contains(page, sv("teams.consent.status.withdrawn")) || strings.Contains(page, "/consents/demo-consent-1/withdraw") ||
			!strings.Contains(page, "/consents/demo-consent-2/withdraw") || !strings.Contains(page, "/consents/test-consent/withdraw") {
			t.Errorf("the team page must show the withdrawn consent and offer withdrawal only for the one in force")
		}
		// Another team's consent cannot be withdrawn through this team.
		if resp, _ := teamHTTP(t, coord, http.MethodPost, env.URL+"/teams/"+demo.TeamID+"/consents/no-such-consent/withdraw", url.Values{}, false); resp.StatusCode != http.StatusNotFound {
			t.Errorf("withdrawing an unknown consent: status %d, want 404", resp.StatusCode)
		}
		select {
		case code := <-nurseClosed:
			t.Errorf("the nurse's socket closed (%d), but her organisation is still covered", code)
		default:
		}
		if _, body := teamHTTP(t, nurse, http.MethodGet, env.BoardURL("demo-nurse"), nil, true); !strings.Contains(body, `id="area-trygghet"`) {
			t.Errorf("the nurse's board is not the board any more, but her organisation is still covered")
		}
	})
}

// TestTeamAuditExtract: the loggutdrag holds one header and one row per audit row of the
// team, none of another team, no board content, and cells that cannot run as formulas.
// Only the coordinator may produce it, and producing it is audited.
func TestTeamAuditExtract(t *testing.T) {
	env := servertest.Start(t, servertest.Options{})
	coord := env.CoordinatorClient(t)
	const marker = "MARKÖRTEXT-på-tavlan-4711"

	// Board content, through the board's own form.
	resp, _ := teamHTTP(t, coord, http.MethodPost, env.BoardURL("demo-coord")+"op", url.Values{"op": {"set"}, "entity": {"compass/fritid"}, "base": {"0"}, "field": {"works"}, "value": {marker}}, false)
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("writing the marker: status %d", resp.StatusCode)
	}
	// Names that a spreadsheet would run as formulas.
	mallory := teamStaff(t, env, "u-mal", "-2+3 Mallory", "demo-skola")
	teamPost(t, env, coord, "/teams/"+demo.TeamID+"/members/staff", url.Values{"user": {"u-mal"}, "role": {"professional"}}, "/teams/"+demo.TeamID)
	teamPost(t, env, coord, "/teams/"+demo.TeamID+"/members/guest", url.Values{"name": {`=HYPERLINK("http://evil","x")`}, "role": {"network"}, "lang": {"sv"}}, "/teams/"+demo.TeamID)
	teamPost(t, env, coord, "/teams/"+demo.TeamID+"/members/guest", url.Values{"name": {"@SUM(1)"}, "role": {"network"}, "lang": {"sv"}}, "/teams/"+demo.TeamID)
	if resp, _ := teamHTTP(t, mallory, http.MethodGet, env.URL+"/teams/"+demo.TeamID, nil, false); resp.StatusCode != http.StatusOK {
		t.Fatalf("Mallory's team page: %d", resp.StatusCode)
	}
	// Another child's team, with its own rows.
	other := createTeam(t, env, coord, "Otto")
	scheduleMeeting(t, env, coord, other)

	// Not for a professional in the team.
	if resp, _ := teamHTTP(t, mallory, http.MethodGet, env.URL+"/teams/"+demo.TeamID+"/audit.csv", nil, false); resp.StatusCode != http.StatusForbidden {
		t.Errorf("a professional's extract: status %d, want 403", resp.StatusCode)
	}

	audit := newAuditMark(t, env)
	resp, body := teamHTTP(t, coord, http.MethodGet, env.URL+"/teams/"+demo.TeamID+"/audit.csv", nil, true)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("extract: status %d", resp.StatusCode)
	}
	audit.expect(board.AuditAuditExtract, demo.TeamID, "", "team "+demo.TeamID, "demo-user-coord")
	loc, _ := time.LoadLocation("Europe/Stockholm")
	wantName := `attachment; filename="loggutdrag-Alva-` + time.Now().In(loc).Format(time.DateOnly) + `.csv"`
	if cd := resp.Header.Get("Content-Disposition"); !strings.HasPrefix(cd, wantName) {
		t.Errorf("Content-Disposition %q, want it to start %q", cd, wantName)
	}
	if cc := resp.Header.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("Cache-Control %q, want no-store", cc)
	}
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/csv") {
		t.Errorf("Content-Type %q", ct)
	}

	rd := csv.NewReader(strings.NewReader(strings.TrimPrefix(body, "\uFEFF")))
	records, err := rd.ReadAll()
	if err != nil {
		t.Fatalf("the extract is not CSV: %v", err)
	}
	rows := teamAudit(t, env, demo.TeamID)
	if len(records) != 1+len(rows) {
		t.Fatalf("%d CSV records, want a header and %d rows", len(records), len(rows))
	}
	header := []string{"Tid", "Vem", "Verksamhet", "Händelse", "Möte", "Gäller"}
	if !slices.Equal(records[0], header) {
		t.Errorf("header %q, want %q", records[0], header)
	}
	// Oldest first, one record per row, with the Swedish time and the action in words.
	slices.Reverse(rows)
	for i, r := range rows {
		rec := records[i+1]
		if len(rec) != len(header) {
			t.Fatalf("record %d has %d cells", i+1, len(rec))
		}
		if want := r.At.In(loc).Format(time.RFC3339); rec[0] != want {
			t.Errorf("record %d time %q, want %q", i+1, rec[0], want)
		}
		if want := env.Catalog.T("sv", "teams.audit.action."+string(r.Action)); rec[3] != want {
			t.Errorf("record %d action %q, want %q", i+1, rec[3], want)
		}
		if !strings.Contains(rec[5], r.Target) {
			t.Errorf("record %d target %q, want it to hold %q", i+1, rec[5], r.Target)
		}
	}
	for _, a := range []board.AuditAction{board.AuditEdit, board.AuditMemberAdded, board.AuditView, board.AuditAuditExtract} {
		if !slices.ContainsFunc(rows, func(r board.AuditEntry) bool { return r.Action == a }) {
			t.Errorf("no %s row in the extract; the test needs one", a)
		}
	}
	if strings.Contains(body, marker) {
		t.Errorf("the extract holds board content")
	}
	otherMeetings, _ := env.Store.MeetingsOfTeam(context.Background(), other)
	if strings.Contains(body, other) || strings.Contains(body, "Otto") || strings.Contains(body, otherMeetings[0].ID) {
		t.Errorf("the extract holds another team's rows")
	}
	for i, rec := range records {
		for _, cell := range rec {
			if cell != "" && strings.ContainsRune("=+-@\t\r", rune(cell[0])) {
				t.Errorf("record %d: cell %q starts with a formula character", i, cell)
			}
		}
	}
	for _, want := range []string{"'-2+3 Mallory", `'=HYPERLINK("http://evil","x") (member `, "'@SUM(1) (member "} {
		if !strings.Contains(strings.Join(slices.Concat(records...), "\n"), want) {
			t.Errorf("the extract lacks the neutralised cell %q", want)
		}
	}
	if !bytes.HasPrefix([]byte(body), []byte("\uFEFF")) {
		t.Errorf("the extract lacks the UTF-8 byte order mark spreadsheet programs need")
	}
}

// TestTeamPagesRender renders every page of the teams area in every language with the
// catalog watching for missing keys, with user text that must be escaped.
func TestTeamPagesRender(t *testing.T) {
	env := servertest.Start(t, servertest.Options{})
	env.Catalog.Missing = func(lang, key string) { t.Errorf("missing message %q (%s)", key, lang) }
	coord := env.CoordinatorClient(t)
	evil := `<script>alert(1)</script>`
	teamPost(t, env, coord, "/teams/"+demo.TeamID+"/members/guest", url.Values{"name": {evil}, "role": {"child"}, "lang": {"en"}, "contact": {evil}}, "/teams/"+demo.TeamID)
	for _, lang := range env.Catalog.Languages() {
		for _, p := range []string{"/teams", "/teams/new", "/teams/" + demo.TeamID, "/teams/" + demo.TeamID + "/meetings/" + demo.MeetingID} {
			resp, body := teamHTTP(t, coord, http.MethodGet, env.URL+p+"?lang="+lang, nil, true)
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("%s (%s): status %d", p, lang, resp.StatusCode)
			}
			if !strings.Contains(body, `<html lang="`+lang+`"`) {
				t.Errorf("%s (%s): wrong language", p, lang)
			}
			if strings.Contains(body, evil) {
				t.Errorf("%s (%s): user text not escaped", p, lang)
			}
		}
		_, page := makeLink(t, env, coord, demo.TeamID, demo.MeetingID, "demo-child")
		if !strings.Contains(page, `<html lang="`+lang+`"`) {
			t.Errorf("the link page is not in %s", lang)
		}
	}
	// Each consent status and the extract render in both languages too.
	ctx := context.Background()
	for i, c := range []struct{ from, to string }{{"2000-01-01", "2000-06-01"}, {"2099-01-01", "2099-06-01"}} {
		if err := env.Store.CreateConsent(ctx, board.Consent{ID: fmt.Sprintf("c%d", i), TeamID: demo.TeamID, GivenBy: "demo-guardian1", OrgIDs: []string{"demo-skola"},
			Purpose: evil, ValidFrom: c.from, ValidTo: c.to, Method: board.ConsentDigital, RecordedBy: "demo-user-coord", RecordedAt: time.Now()}); err != nil {
			t.Fatal(err)
		}
	}
	for _, lang := range env.Catalog.Languages() {
		_, body := teamHTTP(t, coord, http.MethodGet, env.URL+"/teams/"+demo.TeamID+"?lang="+lang, nil, true)
		for _, st := range []string{"in_force", "upcoming", "expired"} {
			if !strings.Contains(body, html.EscapeString(env.Catalog.T(lang, "teams.consent.status."+st))) {
				t.Errorf("%s: consent status %s not shown", lang, st)
			}
		}
		if strings.Contains(body, evil) {
			t.Errorf("%s: consent purpose not escaped", lang)
		}
		if resp, _ := teamHTTP(t, coord, http.MethodGet, env.URL+"/teams/"+demo.TeamID+"/audit.csv?lang="+lang, nil, true); resp.StatusCode != http.StatusOK {
			t.Errorf("%s: extract status %d", lang, resp.StatusCode)
		}
	}
}
