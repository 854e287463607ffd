package server_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/barnteam/barnteam/server/board"
	"github.com/barnteam/barnteam/server/demo"
	"github.com/barnteam/barnteam/server/servertest"
)

// accRowWant is what one audit row must say; empty fields must be empty in the row too,
// except Address, which is checked only when set.
type accRowWant struct {
	UserID, MemberID, ActorName, OrgID, OrgName, TeamID, MeetingID, Target, Address string
}

func accCheckRow(t testing.TB, what string, got board.AuditEntry, want accRowWant) {
	t.Helper()
	g := accRowWant{got.UserID, got.MemberID, got.ActorName, got.OrgID, got.OrgName, got.TeamID, got.MeetingID, got.Target, got.Address}
	if want.Address == "" {
		g.Address = ""
	}
	if g != want {
		t.Errorf("%s: audit row\n got %+v\nwant %+v", what, g, want)
	}
	if got.At.IsZero() || time.Since(got.At) > time.Minute || time.Until(got.At) > time.Second {
		t.Errorf("%s: audit row time %v is not now", what, got.At)
	}
}

// TestAccessAuditRows: each audited action leaves exactly its own audit row (the counts of
// every action before and after it differ by exactly that row), naming who, their
// organisation, which child and what, by id; and no row holds board content.
func TestAccessAuditRows(t *testing.T) {
	t.Parallel()
	log := &servertest.LogBuffer{}
	env := servertest.Start(t, servertest.Options{Log: log})
	ctx := context.Background()
	const stod = "Stödsamordning, Barn- och utbildningsförvaltningen"
	marker := fmt.Sprintf("MARKÖR-%d-hemligt", time.Now().UnixNano())

	// step runs an action and checks that the audit log grew by exactly want. It returns
	// the newest row of each action in want.
	step := func(name string, want map[board.AuditAction]int, action func()) map[board.AuditAction]board.AuditEntry {
		t.Helper()
		before := accAuditCounts(t, env)
		action()
		got := accDelta(before, accAuditCounts(t, env))
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("%s: audit rows added %v, want %v", name, got, want)
		}
		rows := map[board.AuditAction]board.AuditEntry{}
		for a := range want {
			if r := accAuditOf(t, env, a); len(r) > 0 {
				rows[a] = r[0]
			}
		}
		return rows
	}
	one := func(a board.AuditAction) map[board.AuditAction]int { return map[board.AuditAction]int{a: 1} }
	status := func(what string, resp *http.Response, want int) {
		t.Helper()
		if resp.StatusCode != want {
			t.Fatalf("%s: status %d, want %d", what, resp.StatusCode, want)
		}
	}

	// Setup of the first administrator (the demo coordinator is not one).
	link, err := env.Server.Accounts().SetupLink(ctx)
	if err != nil || link == "" {
		t.Fatalf("setup link: %q %v", link, err)
	}
	admin := servertest.NewClient()
	rows := step("setup", one(board.AuditSetup), func() {
		resp, _ := accGet(t, admin, link)
		status("open the setup link", resp, http.StatusOK)
		resp, _ = accPost(t, admin, env.URL+"/account/link", url.Values{"name": {"Ada Admin"}, "email": {"ada@acc.example.se"},
			"password": {"ett långt lösenord"}, "password2": {"ett långt lösenord"}}, nil)
		status("complete setup", resp, http.StatusSeeOther)
	})
	ada, err := env.Store.UserByEmail(ctx, "ada@acc.example.se")
	if err != nil {
		t.Fatal(err)
	}
	accCheckRow(t, "setup", rows[board.AuditSetup], accRowWant{UserID: ada.ID, ActorName: "Ada Admin", Target: "user " + ada.ID})

	// Login, failed login (known and unknown account), logout.
	var coordHTTP *http.Client
	rows = step("login", one(board.AuditLogin), func() { coordHTTP = accCoordinator(t, env) })
	coordRow := accRowWant{UserID: "demo-user-coord", ActorName: "Maria Lind", OrgID: "demo-stod", OrgName: stod, Address: "127.0.0.1"}
	loginRow := rows[board.AuditLogin]
	accCheckRow(t, "login", loginRow, accRowWant{UserID: "demo-user-coord", ActorName: "Maria Lind", OrgID: "demo-stod", OrgName: stod})
	t.Run("login row keeps the address", func(t *testing.T) {
		// AuditEntry.Address: "the client's network address, kept for logins only (to see
		// attacks)"; failed logins keep it, a successful one must too.
		if loginRow.Address != "127.0.0.1" {
			t.Errorf("login row's address %q, want 127.0.0.1", loginRow.Address)
		}
	})
	rows = step("failed login", one(board.AuditLoginFailed), func() {
		resp, _ := accTryLogin(t, env, nil, env.CoordinatorEmail, "fel lösenord")
		status("wrong password", resp, http.StatusUnauthorized)
	})
	accCheckRow(t, "failed login", rows[board.AuditLoginFailed], coordRow)
	rows = step("failed login, unknown account", one(board.AuditLoginFailed), func() {
		resp, _ := accTryLogin(t, env, nil, "ingen@acc.example.se", "fel lösenord")
		status("unknown account", resp, http.StatusUnauthorized)
	})
	accCheckRow(t, "failed login, unknown account", rows[board.AuditLoginFailed], accRowWant{ActorName: "ingen@acc.example.se", Address: "127.0.0.1"})
	rows = step("logout", one(board.AuditLogout), func() {
		resp, _ := accPost(t, coordHTTP, env.URL+"/logout", nil, nil)
		status("logout", resp, http.StatusSeeOther)
	})
	accCheckRow(t, "logout", rows[board.AuditLogout], accRowWant{UserID: "demo-user-coord", ActorName: "Maria Lind", OrgID: "demo-stod", OrgName: stod})
	step("login again", one(board.AuditLogin), func() { coordHTTP = accCoordinator(t, env) })

	// Password set: by the signed-in user, and with a one-time link.
	newPW := "ett nytt och långt lösenord"
	rows = step("password change", one(board.AuditPasswordSet), func() {
		resp, _ := accPost(t, coordHTTP, env.URL+"/account/password", url.Values{"current": {env.CoordinatorPassword}, "password": {newPW}, "password2": {newPW}}, nil)
		status("change password", resp, http.StatusSeeOther)
	})
	accCheckRow(t, "password change", rows[board.AuditPasswordSet], accRowWant{UserID: "demo-user-coord", ActorName: "Maria Lind", OrgID: "demo-stod", OrgName: stod, Target: "user demo-user-coord"})
	email, _ := accUser(t, env, "acc-linked", "Lena Länk", "demo-skola")
	pwLink, err := env.Server.Accounts().PasswordLink(ctx, "acc-linked")
	if err != nil {
		t.Fatal(err)
	}
	rows = step("password link", one(board.AuditPasswordSet), func() {
		c := servertest.NewClient()
		resp, _ := accGet(t, c, pwLink)
		status("open the password link", resp, http.StatusOK)
		resp, _ = accPost(t, c, env.URL+"/account/link", url.Values{"email": {email}, "password": {newPW}, "password2": {newPW}}, nil)
		status("set the password", resp, http.StatusSeeOther)
	})
	accCheckRow(t, "password link", rows[board.AuditPasswordSet], accRowWant{UserID: "acc-linked", ActorName: "Lena Länk", OrgID: "demo-skola", OrgName: "Solrosskolan", Target: "user acc-linked"})

	// Joining, admission, turning away.
	room := func(memberID, name, orgID, orgName, target string) accRowWant {
		return accRowWant{MemberID: memberID, ActorName: name, OrgID: orgID, OrgName: orgName, TeamID: demo.TeamID, MeetingID: env.MeetingID, Target: target}
	}
	coordRoom := func(target string) accRowWant {
		w := room("demo-coord", "Maria Lind", "demo-stod", stod, target)
		w.UserID = "demo-user-coord"
		return w
	}
	var g1, g2 *http.Client
	rows = step("join", one(board.AuditJoin), func() { g1 = accJoin(t, env, env.Links["demo-guardian1"]) })
	accCheckRow(t, "join", rows[board.AuditJoin], room("demo-guardian1", "Sara Nilsson", "", "", "member demo-guardian1"))
	step("the lobby page", nil, func() {
		resp, _ := accGet(t, g1, env.BoardURL("demo-guardian1"))
		status("lobby page", resp, http.StatusOK)
		w := accDial(t, env, g1, "demo-guardian1")
		w.nextOf("lobby")
		w.close()
	})
	rows = step("admitted", one(board.AuditAdmitted), func() {
		resp, _ := accPost(t, coordHTTP, accRoomPath(env, "demo-coord", "lobby"), url.Values{"key": {accLobbyKey(t, env, g1, "demo-guardian1")}, "decision": {"admit"}}, nil)
		status("admit", resp, http.StatusSeeOther)
	})
	accCheckRow(t, "admitted", rows[board.AuditAdmitted], coordRoom("member demo-guardian1"))
	step("join 2", one(board.AuditJoin), func() { g2 = accJoin(t, env, env.Links["demo-guardian2"]) })
	rows = step("turned away", one(board.AuditTurnedAway), func() {
		resp, _ := accPost(t, coordHTTP, accRoomPath(env, "demo-coord", "lobby"), url.Values{"key": {accLobbyKey(t, env, g2, "demo-guardian2")}, "decision": {"turn_away"}}, nil)
		status("turn away", resp, http.StatusSeeOther)
	})
	accCheckRow(t, "turned away", rows[board.AuditTurnedAway], coordRoom("member demo-guardian2"))
	step("the turned-away page", nil, func() {
		if resp, _ := accGet(t, g2, env.BoardURL("demo-guardian2")); resp.StatusCode != http.StatusForbidden {
			t.Errorf("turned-away page: status %d, want 403", resp.StatusCode)
		}
	})

	// Views: the page and the live connection.
	rows = step("view (page)", one(board.AuditView), func() {
		resp, _ := accGet(t, g1, env.BoardURL("demo-guardian1"))
		status("board page", resp, http.StatusOK)
	})
	accCheckRow(t, "view (page)", rows[board.AuditView], room("demo-guardian1", "Sara Nilsson", "", "", "page"))
	rows = step("view (page), staff", one(board.AuditView), func() {
		resp, _ := accGet(t, coordHTTP, env.BoardURL("demo-coord"))
		status("board page", resp, http.StatusOK)
	})
	accCheckRow(t, "view (page), staff", rows[board.AuditView], coordRoom("page"))
	var gw *accWS
	rows = step("view (live)", one(board.AuditView), func() {
		gw = accDial(t, env, g1, "demo-guardian1")
		gw.nextOf("welcome")
	})
	accCheckRow(t, "view (live)", rows[board.AuditView], room("demo-guardian1", "Sara Nilsson", "", "", "live"))

	// Edits: one row per op, by its seq, never its text; none for a refused op.
	var teacherHTTP *http.Client
	step("the teacher joins", one(board.AuditJoin), func() { teacherHTTP = accGuest(t, env, "demo-teacher") })
	var tw *accWS
	step("the teacher connects", one(board.AuditView), func() { tw = accDial(t, env, teacherHTTP, "demo-teacher"); tw.nextOf("welcome") })
	for i, entity := range []string{"compass/trygghet", "compass/halsa", "compass/fritid"} {
		var seq int64
		rows = step(fmt.Sprintf("edit %d", i+1), one(board.AuditEdit), func() {
			m := tw.do(accNewOp("set", entity, accSeq(t, env), map[string]any{"field": "worries", "value": marker + " " + entity}))
			if m.T != "event" {
				t.Fatalf("edit: %s", m.Raw)
			}
			seq = m.Seq
		})
		accCheckRow(t, "edit", rows[board.AuditEdit], room("demo-teacher", "Johan Berg", "demo-skola", "Solrosskolan",
			fmt.Sprintf("op %d: set %s#worries", seq, entity)))
	}
	step("refused edit", nil, func() {
		if m := gw.do(accNewOp("goto", "meeting", 0, map[string]any{"from": accBoard(t, env).Meeting.CurrentItem, "to": "behov"})); m.T != "reject" {
			t.Fatalf("guardian's goto: %s", m.Raw)
		}
	})
	rows = step("edit by form", one(board.AuditEdit), func() {
		resp, _ := accPost(t, g1, accRoomPath(env, "demo-guardian1", "op"), url.Values{"op": {"set"}, "entity": {"compass/omsorg"},
			"base": {fmt.Sprint(accSeq(t, env))}, "field": {"guardians_view"}, "value": {marker + " formulär"}}, nil)
		status("form edit", resp, http.StatusSeeOther)
	})
	if r := rows[board.AuditEdit]; !strings.HasSuffix(r.Target, ": set compass/omsorg#guardians_view") || r.MemberID != "demo-guardian1" {
		t.Errorf("form edit's audit row: %+v", r)
	}

	// Removal, co-facilitator, hand-over.
	step("the child joins", one(board.AuditJoin), func() { accGuest(t, env, "demo-child") })
	rows = step("removed", one(board.AuditRemoved), func() {
		resp, _ := accPost(t, coordHTTP, accRoomPath(env, "demo-coord", "remove"), url.Values{"member": {"demo-child"}}, nil)
		status("remove", resp, http.StatusSeeOther)
	})
	accCheckRow(t, "removed", rows[board.AuditRemoved], coordRoom("member demo-child"))
	step("a staff member signs in", one(board.AuditLogin), func() {
		accStaffMember(t, env, "acc-cofac", "Cecilia Medledare", board.RoleProfessional, "demo-skola")
	})

	// Consent, through the team page's forms where they exist.
	if posts := accRoutes(env, http.MethodPost); slices.Contains(posts, "/teams/:team/consents") {
		today := time.Now().Format(time.DateOnly)
		rows = step("consent recorded", one(board.AuditConsentGiven), func() {
			resp, body := accPost(t, coordHTTP, env.URL+"/teams/"+demo.TeamID+"/consents", url.Values{"given_by": {"demo-guardian1"},
				"org": {"demo-skola"}, "purpose": {"Samordning"}, "valid_from": {today}, "valid_to": {today}, "method": {"oral"}}, nil)
			if resp.StatusCode != http.StatusSeeOther {
				t.Fatalf("record consent: status %d\n%s", resp.StatusCode, accShort(body))
			}
		})
		r := rows[board.AuditConsentGiven]
		if r.UserID != "demo-user-coord" || r.TeamID != demo.TeamID || r.OrgID != "demo-stod" || !strings.HasPrefix(r.Target, "consent ") {
			t.Errorf("consent row: %+v", r)
		}
		id := strings.TrimPrefix(r.Target, "consent ")
		rows = step("consent withdrawn", one(board.AuditConsentWithdrawn), func() {
			resp, body := accPost(t, coordHTTP, env.URL+"/teams/"+demo.TeamID+"/consents/"+id+"/withdraw", nil, nil)
			if resp.StatusCode != http.StatusSeeOther {
				t.Fatalf("withdraw consent: status %d\n%s", resp.StatusCode, accShort(body))
			}
		})
		if r := rows[board.AuditConsentWithdrawn]; r.UserID != "demo-user-coord" || r.TeamID != demo.TeamID || r.Target != "consent "+id {
			t.Errorf("withdrawal row: %+v", r)
		}
	} else {
		t.Log("no consent route yet: consent audit rows are not tested here")
	}

	rows = step("co-facilitator", one(board.AuditCofacilitator), func() {
		resp, _ := accPost(t, coordHTTP, accRoomPath(env, "demo-coord", "cofacilitator"), url.Values{"member": {"acc-cofac"}}, nil)
		status("name co-facilitator", resp, http.StatusSeeOther)
	})
	accCheckRow(t, "co-facilitator", rows[board.AuditCofacilitator], coordRoom("member acc-cofac"))
	rows = step("hand-over", one(board.AuditCoordinatorHandover), func() {
		resp, _ := accPost(t, coordHTTP, accRoomPath(env, "demo-coord", "handover"), url.Values{"member": {"acc-cofac"}}, nil)
		status("hand over", resp, http.StatusSeeOther)
	})
	accCheckRow(t, "hand-over", rows[board.AuditCoordinatorHandover], coordRoom("member acc-cofac"))

	// Never content.
	for _, r := range accAudit(t, env) {
		if strings.Contains(fmt.Sprintf("%+v", r), "MARKÖR") {
			t.Errorf("audit row %d holds board text: %+v", r.ID, r)
		}
	}
	if strings.Contains(log.String(), "MARKÖR") {
		t.Errorf("the server log holds board text")
	}
}
