package store

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/barnteam/barnteam/server/board"
)

// The contract of the access and audit parts of board.Store.

var t0 = time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)

func testUsers(t *testing.T, s board.Store) {
	f := Seed(t, s, "1")
	u := board.User{ID: "u1", Email: "Maria.Lind@Example.se", Name: "Maria Lind", OrgID: f.Org.ID, Title: "Kurator", Admin: true, PasswordHash: "$argon2id$x", CreatedAt: t0}
	must(t, s.CreateUser(ctx, u))
	if err := s.CreateUser(ctx, board.User{ID: "u2", Email: "maria.lind@example.se", Name: "Dubblett", CreatedAt: t0}); !errors.Is(err, board.ErrExists) {
		t.Errorf("a second user with the same e-mail (other case): err %v, want ErrExists", err)
	}
	got, err := s.UserByEmail(ctx, "MARIA.LIND@example.se")
	must(t, err)
	want := u
	want.Email = "maria.lind@example.se" // stored lower-case
	if got != want {
		t.Errorf("user = %+v, want %+v", got, want)
	}
	n, err := s.CountAdmins(ctx)
	must(t, err)
	if n != 1 {
		t.Errorf("CountAdmins = %d, want 1", n)
	}
	got.Disabled, got.MustChangePassword, got.Title, got.PasswordHash = true, true, "Socionom", "$argon2id$y"
	must(t, s.UpdateUser(ctx, got))
	again, err := s.User(ctx, "u1")
	must(t, err)
	if again != got {
		t.Errorf("after update = %+v, want %+v", again, got)
	}
	if n, _ := s.CountAdmins(ctx); n != 0 {
		t.Errorf("a disabled administrator still counts: %d", n)
	}
	if err := s.UpdateUser(ctx, board.User{ID: "nobody"}); !errors.Is(err, board.ErrNotFound) {
		t.Errorf("updating a missing user: %v", err)
	}
	must(t, s.CreateUser(ctx, board.User{ID: "u0", Email: "anna@example.se", Name: "Anna Berg", CreatedAt: t0}))
	users, err := s.Users(ctx)
	must(t, err)
	if len(users) != 2 || users[0].Name != "Anna Berg" {
		t.Errorf("Users = %+v, want two, by name", users)
	}
	must(t, s.CreateTeam(ctx, board.Team{ID: "team0", ChildFirstName: "Adam", ChildBirthYear: 2015, Reason: "x", CreatedAt: t0}))
	all, err := s.Teams(ctx)
	must(t, err)
	if len(all) != 2 || all[0].ID != "team0" || all[1].ID != f.Team.ID {
		t.Errorf("Teams = %+v, want both, by child's name", all)
	}
	// Staff members link to their accounts; "my teams" follows the link.
	m := board.Member{ID: "staff1", TeamID: f.Team.ID, Name: "Maria Lind", Role: board.RoleProfessional, OrgID: f.Org.ID, Lang: "sv", UserID: "u1"}
	must(t, s.AddMember(ctx, m))
	teams, err := s.TeamsOfUser(ctx, "u1")
	must(t, err)
	if len(teams) != 1 || teams[0] != f.Team {
		t.Errorf("TeamsOfUser = %+v", teams)
	}
	mm, err := s.Member(ctx, "staff1")
	must(t, err)
	if mm != m {
		t.Errorf("member = %+v, want %+v", mm, m)
	}
	must(t, s.SetMemberRole(ctx, "staff1", board.RoleCoordinator))
	if mm, _ := s.Member(ctx, "staff1"); mm.Role != board.RoleCoordinator {
		t.Errorf("role after SetMemberRole = %s", mm.Role)
	}
}

func testUserSessions(t *testing.T, s board.Store) {
	must(t, s.CreateUser(ctx, board.User{ID: "u1", Email: "a@example.se", Name: "A", CreatedAt: t0}))
	ss := board.UserSession{TokenHash: []byte("h1"), UserID: "u1", CreatedAt: t0, LastSeen: t0, ExpiresAt: t0.Add(12 * time.Hour)}
	must(t, s.CreateUserSession(ctx, ss))
	must(t, s.CreateUserSession(ctx, board.UserSession{TokenHash: []byte("h2"), UserID: "u1", CreatedAt: t0, LastSeen: t0, ExpiresAt: t0.Add(time.Hour)}))
	got, err := s.UserSessionByHash(ctx, []byte("h1"), t0.Add(time.Minute))
	must(t, err)
	if got.UserID != "u1" || !got.LastSeen.Equal(t0) || !got.ExpiresAt.Equal(ss.ExpiresAt) {
		t.Errorf("session = %+v", got)
	}
	must(t, s.TouchUserSession(ctx, []byte("h1"), t0.Add(10*time.Minute)))
	got, _ = s.UserSessionByHash(ctx, []byte("h1"), t0.Add(11*time.Minute))
	if !got.LastSeen.Equal(t0.Add(10 * time.Minute)) {
		t.Errorf("last seen after touch = %v", got.LastSeen)
	}
	if !got.Expired(t0.Add(41*time.Minute), 30*time.Minute) || got.Expired(t0.Add(39*time.Minute), 30*time.Minute) {
		t.Error("idle expiry is wrong")
	}
	if _, err := s.UserSessionByHash(ctx, []byte("h2"), t0.Add(2*time.Hour)); !errors.Is(err, board.ErrNotFound) {
		t.Errorf("a session past its absolute expiry: %v", err)
	}
	must(t, s.DeleteUserSession(ctx, []byte("h1")))
	if _, err := s.UserSessionByHash(ctx, []byte("h1"), t0); !errors.Is(err, board.ErrNotFound) {
		t.Errorf("deleted session: %v", err)
	}
	must(t, s.CreateUserSession(ctx, ss))
	must(t, s.DeleteUserSessions(ctx, "u1"))
	for _, h := range []string{"h1", "h2"} {
		if _, err := s.UserSessionByHash(ctx, []byte(h), t0); !errors.Is(err, board.ErrNotFound) {
			t.Errorf("session %s survived DeleteUserSessions", h)
		}
	}
}

func testAccountTokens(t *testing.T, s board.Store) {
	must(t, s.CreateUser(ctx, board.User{ID: "u1", Email: "a@example.se", Name: "A", CreatedAt: t0}))
	must(t, s.CreateAccountToken(ctx, board.AccountToken{TokenHash: []byte("setup"), Purpose: board.TokenSetup, CreatedAt: t0, ExpiresAt: t0.Add(time.Hour)}))
	must(t, s.CreateAccountToken(ctx, board.AccountToken{TokenHash: []byte("pw"), Purpose: board.TokenPassword, UserID: "u1", CreatedAt: t0, ExpiresAt: t0.Add(time.Hour)}))
	if _, err := s.AccountToken(ctx, []byte("setup"), board.TokenPassword, t0); !errors.Is(err, board.ErrNotFound) {
		t.Errorf("a token used for another purpose: %v", err)
	}
	tok, err := s.AccountToken(ctx, []byte("pw"), board.TokenPassword, t0)
	must(t, err)
	if tok.UserID != "u1" {
		t.Errorf("token user = %q", tok.UserID)
	}
	// Looking does not use it; using does, once.
	tok, err = s.UseAccountToken(ctx, []byte("pw"), board.TokenPassword, t0.Add(time.Minute))
	must(t, err)
	if tok.UserID != "u1" || tok.Purpose != board.TokenPassword {
		t.Errorf("used token = %+v", tok)
	}
	if _, err := s.UseAccountToken(ctx, []byte("pw"), board.TokenPassword, t0.Add(2*time.Minute)); !errors.Is(err, board.ErrNotFound) {
		t.Errorf("a token used twice: %v", err)
	}
	if _, err := s.AccountToken(ctx, []byte("pw"), board.TokenPassword, t0); !errors.Is(err, board.ErrNotFound) {
		t.Errorf("a used token is still shown: %v", err)
	}
	if _, err := s.UseAccountToken(ctx, []byte("setup"), board.TokenSetup, t0.Add(2*time.Hour)); !errors.Is(err, board.ErrNotFound) {
		t.Errorf("an expired token: %v", err)
	}
	// Revoking a user's password tokens leaves other purposes and users alone.
	must(t, s.CreateUser(ctx, board.User{ID: "u2", Email: "b@example.se", Name: "B", CreatedAt: t0}))
	for _, tk := range []board.AccountToken{
		{TokenHash: []byte("p1"), Purpose: board.TokenPassword, UserID: "u1", CreatedAt: t0, ExpiresAt: t0.Add(time.Hour)},
		{TokenHash: []byte("p2"), Purpose: board.TokenPassword, UserID: "u2", CreatedAt: t0, ExpiresAt: t0.Add(time.Hour)},
	} {
		must(t, s.CreateAccountToken(ctx, tk))
	}
	must(t, s.RevokeAccountTokens(ctx, "u1", board.TokenPassword))
	if _, err := s.AccountToken(ctx, []byte("p1"), board.TokenPassword, t0); !errors.Is(err, board.ErrNotFound) {
		t.Errorf("a revoked password token: %v", err)
	}
	if _, err := s.AccountToken(ctx, []byte("p2"), board.TokenPassword, t0); err != nil {
		t.Errorf("another user's token was revoked: %v", err)
	}
}

func testInvitesAndSessions(t *testing.T, s board.Store) {
	f := Seed(t, s, "1")
	inv := func(h string, exp time.Duration) board.Invite {
		return board.Invite{TokenHash: []byte(h), MemberID: f.Guardian.ID, MeetingID: f.Meeting.ID, CreatedAt: t0, ExpiresAt: t0.Add(exp)}
	}
	must(t, s.CreateInvite(ctx, inv("i1", time.Hour)))
	must(t, s.CreateInvite(ctx, inv("i2", 2*time.Hour)))
	list, err := s.Invites(ctx, f.Meeting.ID, t0.Add(90*time.Minute))
	must(t, err)
	if len(list) != 1 || string(list[0].TokenHash) != "i2" {
		t.Errorf("unexpired invites = %+v", list)
	}
	must(t, s.RevokeInvites(ctx, f.Meeting.ID, f.Guardian.ID))
	if _, err := s.InviteByHash(ctx, []byte("i2"), t0); !errors.Is(err, board.ErrNotFound) {
		t.Errorf("a revoked invite: %v", err)
	}

	sess := board.Session{TokenHash: []byte("s1"), MemberID: f.Guardian.ID, MeetingID: f.Meeting.ID, CreatedAt: t0, ExpiresAt: t0.Add(12 * time.Hour)}
	must(t, s.CreateSession(ctx, sess))
	got, err := s.SessionByHash(ctx, []byte("s1"), t0)
	must(t, err)
	if !got.Waiting() {
		t.Errorf("a new guest session must wait in the lobby: %+v", got)
	}
	must(t, s.Admit(ctx, []byte("s1"), true, t0.Add(time.Minute)))
	got, _ = s.SessionByHash(ctx, []byte("s1"), t0)
	if got.Waiting() || !got.AdmittedAt.Equal(t0.Add(time.Minute)) || !got.DeniedAt.IsZero() {
		t.Errorf("after admit: %+v", got)
	}
	if err := s.Admit(ctx, []byte("s1"), false, t0.Add(2*time.Minute)); !errors.Is(err, board.ErrNotFound) {
		t.Errorf("turning away an admitted session: %v, want ErrNotFound", err)
	}
	must(t, s.CreateSession(ctx, board.Session{TokenHash: []byte("s2"), MemberID: f.Guardian.ID, MeetingID: f.Meeting.ID, CreatedAt: t0, ExpiresAt: t0.Add(time.Hour)}))
	must(t, s.Admit(ctx, []byte("s2"), false, t0))
	got, _ = s.SessionByHash(ctx, []byte("s2"), t0)
	if got.Waiting() || got.DeniedAt.IsZero() {
		t.Errorf("after turning away: %+v", got)
	}
	must(t, s.DeleteSessions(ctx, f.Meeting.ID, f.Guardian.ID))
	for _, h := range []string{"s1", "s2"} {
		if _, err := s.SessionByHash(ctx, []byte(h), t0); !errors.Is(err, board.ErrNotFound) {
			t.Errorf("session %s survived DeleteSessions", h)
		}
	}
}

func testRemovals(t *testing.T, s board.Store) {
	f := Seed(t, s, "1")
	r := board.Removal{MeetingID: f.Meeting.ID, MemberID: f.Guardian.ID, By: f.Coord.ID, At: t0}
	must(t, s.RemoveFromMeeting(ctx, r))
	must(t, s.RemoveFromMeeting(ctx, r)) // twice is fine
	got, err := s.Removed(ctx, f.Meeting.ID)
	must(t, err)
	if len(got) != 1 || got[f.Guardian.ID] != r {
		t.Errorf("removed = %+v", got)
	}
	must(t, s.Readmit(ctx, f.Meeting.ID, f.Guardian.ID))
	got, _ = s.Removed(ctx, f.Meeting.ID)
	if len(got) != 0 {
		t.Errorf("after readmit: %+v", got)
	}
}

func testConsents(t *testing.T, s board.Store) {
	f := Seed(t, s, "1")
	bup := board.Organisation{ID: "bup1", Name: "BUP", Huvudman: board.HuvudmanRegion}
	must(t, s.CreateOrganisation(ctx, bup))
	c := board.Consent{ID: "c1", TeamID: f.Team.ID, GivenBy: f.Guardian.ID, OrgIDs: []string{bup.ID, f.Org.ID}, Purpose: "Samordning i barnteamet",
		ValidFrom: "2026-11-01", ValidTo: "2027-05-01", Method: board.ConsentWritten, RecordedBy: "u1", RecordedAt: t0}
	must(t, s.CreateConsent(ctx, c))
	if err := s.CreateConsent(ctx, board.Consent{ID: "c2", TeamID: f.Team.ID, GivenBy: f.Guardian.ID, OrgIDs: []string{"nope"}, Purpose: "x",
		ValidFrom: "2026-11-01", ValidTo: "2026-12-01", Method: board.ConsentOral, RecordedAt: t0}); err == nil {
		t.Error("a consent naming an unknown organisation was stored")
	}
	list, err := s.Consents(ctx, f.Team.ID)
	must(t, err)
	if len(list) != 1 {
		t.Fatalf("consents = %+v (a failed create must leave nothing)", list)
	}
	slices.Sort(c.OrgIDs)
	got := list[0]
	slices.Sort(got.OrgIDs)
	if got.ID != c.ID || !slices.Equal(got.OrgIDs, c.OrgIDs) || got.Purpose != c.Purpose || got.ValidTo != c.ValidTo ||
		got.Method != c.Method || !got.RecordedAt.Equal(t0) || !got.WithdrawnAt.IsZero() {
		t.Errorf("consent = %+v, want %+v", got, c)
	}
	must(t, s.WithdrawConsent(ctx, "c1", "u1", t0.Add(time.Hour)))
	if err := s.WithdrawConsent(ctx, "c1", "u1", t0.Add(2*time.Hour)); !errors.Is(err, board.ErrNotFound) {
		t.Errorf("withdrawing twice: %v", err)
	}
	list, _ = s.Consents(ctx, f.Team.ID)
	if !list[0].WithdrawnAt.Equal(t0.Add(time.Hour)) || list[0].WithdrawnBy != "u1" || list[0].ValidOn("2026-12-01") {
		t.Errorf("after withdrawal: %+v", list[0])
	}
}

func testAudit(t *testing.T, s board.Store) {
	f := Seed(t, s, "1")
	g := Seed(t, s, "2")
	for i, e := range []board.AuditEntry{
		{At: t0, UserID: "u1", ActorName: "Maria", Action: board.AuditLogin, Address: "192.0.2.1"},
		{At: t0.Add(time.Minute), UserID: "u1", MemberID: f.Coord.ID, ActorName: "Maria", OrgID: f.Org.ID, OrgName: f.Org.Name, Action: board.AuditView, TeamID: f.Team.ID, MeetingID: f.Meeting.ID},
		{At: t0.Add(2 * time.Minute), MemberID: g.Guardian.ID, ActorName: "Samir", Action: board.AuditAdmitted, TeamID: g.Team.ID, MeetingID: g.Meeting.ID, Target: "member " + g.Guardian.ID},
	} {
		if err := s.AppendAudit(ctx, e); err != nil {
			t.Fatalf("entry %d: %v", i, err)
		}
	}
	// An edit writes its own audit row with the op's seq, in the same transaction.
	must(t, s.Commit(ctx, f.Meeting.ID, agendaChange(1, "c1", "a1", "Hemlig rubrik")))
	all, err := s.Audit(ctx, board.AuditFilter{})
	must(t, err)
	if len(all) != 4 || all[0].Action != board.AuditEdit || all[3].Action != board.AuditLogin {
		t.Fatalf("audit = %+v, want 4 rows newest first", all)
	}
	edit := all[0]
	if edit.TeamID != f.Team.ID || edit.MeetingID != f.Meeting.ID || edit.MemberID != "coord1" || edit.ActorName != f.Coord.Name ||
		edit.OrgName != f.Org.Name || edit.Target != "op 1: create agenda/a1" {
		t.Errorf("edit row = %+v", edit)
	}
	for _, e := range all {
		if e.Target == "Hemlig rubrik" || e.ActorName == "Hemlig rubrik" {
			t.Error("board content in the audit log")
		}
	}
	byTeam, _ := s.Audit(ctx, board.AuditFilter{TeamID: f.Team.ID})
	byUser, _ := s.Audit(ctx, board.AuditFilter{UserID: "u1"})
	byAction, _ := s.Audit(ctx, board.AuditFilter{Action: board.AuditAdmitted})
	byTime, _ := s.Audit(ctx, board.AuditFilter{From: t0.Add(30 * time.Second), To: t0.Add(90 * time.Second)})
	page, _ := s.Audit(ctx, board.AuditFilter{BeforeID: all[1].ID, Limit: 1})
	for name, c := range map[string]struct {
		got  []board.AuditEntry
		want int
	}{"team": {byTeam, 2}, "user": {byUser, 2}, "action": {byAction, 1}, "time": {byTime, 1}, "page": {page, 1}} {
		if len(c.got) != c.want {
			t.Errorf("filter by %s: %d rows, want %d", name, len(c.got), c.want)
		}
	}
	if len(page) == 1 && page[0].ID != all[2].ID {
		t.Errorf("paging returned %d, want %d", page[0].ID, all[2].ID)
	}
	if len(byTime) == 1 && byTime[0].Action != board.AuditView {
		t.Errorf("time filter returned %s", byTime[0].Action)
	}
}

func testDirectoryChanges(t *testing.T, s board.Store) {
	f := Seed(t, s, "1")
	must(t, s.CreateOrganisation(ctx, board.Organisation{ID: "a-org", Name: "Abc-skolan", Huvudman: board.HuvudmanPrivat}))
	if err := s.CreateOrganisation(ctx, board.Organisation{ID: "a-org", Name: "Igen", Huvudman: board.HuvudmanKommun}); !errors.Is(err, board.ErrExists) {
		t.Errorf("duplicate organisation id: %v", err)
	}
	orgs, err := s.Organisations(ctx)
	must(t, err)
	if len(orgs) != 2 || orgs[0].Name != "Abc-skolan" {
		t.Errorf("organisations = %+v, want two by name", orgs)
	}
	o := f.Org
	o.Name, o.Huvudman = "Solskolan F-6", board.HuvudmanIdeburen
	must(t, s.UpdateOrganisation(ctx, o))
	if got, _ := s.Organisation(ctx, o.ID); got != o {
		t.Errorf("after update: %+v", got)
	}
	later := board.Meeting{ID: "later", TeamID: f.Team.ID, Title: "Uppföljning", ScheduledAt: f.Meeting.ScheduledAt.Add(30 * 24 * time.Hour), Epoch: "e2"}
	must(t, s.CreateMeeting(ctx, later))
	ms, err := s.MeetingsOfTeam(ctx, f.Team.ID)
	must(t, err)
	if len(ms) != 2 || ms[0].ID != f.Meeting.ID || ms[1].ID != "later" {
		t.Errorf("meetings = %+v, want by time", ms)
	}
	must(t, s.SetFaceScale(ctx, f.Team.ID, 3))
	if tm, _ := s.Team(ctx, f.Team.ID); tm.FaceScale != 3 {
		t.Errorf("face scale = %d, want 3", tm.FaceScale)
	}
	must(t, s.SetCofacilitator(ctx, f.Meeting.ID, f.Guardian.ID))
	if m, _ := s.Meeting(ctx, f.Meeting.ID); m.Cofacilitator != f.Guardian.ID {
		t.Errorf("cofacilitator = %q", m.Cofacilitator)
	}
}

func testDisplays(t *testing.T, s board.Store) {
	f := Seed(t, s, "1")
	d := board.Display{TokenHash: []byte("screen-1"), CodeHash: []byte("code-1"), MeetingID: f.Meeting.ID, CreatedBy: f.Coord.ID,
		CreatedAt: t0, CodeExpiresAt: t0.Add(10 * time.Minute), ExpiresAt: t0.Add(12 * time.Hour)}
	must(t, s.CreateDisplay(ctx, d))
	got, err := s.DisplayByHash(ctx, []byte("screen-1"), t0.Add(time.Hour))
	must(t, err)
	if got.MeetingID != f.Meeting.ID || got.CreatedBy != f.Coord.ID || !got.ExpiresAt.Equal(d.ExpiresAt) {
		t.Errorf("display = %+v", got)
	}
	if _, err := s.UseDisplayCode(ctx, []byte("code-1"), t0.Add(11*time.Minute)); !errors.Is(err, board.ErrNotFound) {
		t.Errorf("an expired code: %v", err)
	}
	got, err = s.UseDisplayCode(ctx, []byte("code-1"), t0.Add(time.Minute))
	must(t, err)
	if string(got.TokenHash) != "screen-1" {
		t.Errorf("code gave %q", got.TokenHash)
	}
	if _, err := s.UseDisplayCode(ctx, []byte("code-1"), t0.Add(2*time.Minute)); !errors.Is(err, board.ErrNotFound) {
		t.Errorf("a code used twice: %v", err)
	}
	if _, err := s.DisplayByHash(ctx, []byte("screen-1"), t0.Add(13*time.Hour)); !errors.Is(err, board.ErrNotFound) {
		t.Errorf("an expired display: %v", err)
	}
	must(t, s.DeleteDisplays(ctx, f.Meeting.ID))
	if _, err := s.DisplayByHash(ctx, []byte("screen-1"), t0); !errors.Is(err, board.ErrNotFound) {
		t.Errorf("a closed display: %v", err)
	}
	// A child-mode session keeps its unlock code's hash and where to return.
	ss := board.Session{TokenHash: []byte("child-1"), MemberID: f.Guardian.ID, MeetingID: f.Meeting.ID, CreatedAt: t0, ExpiresAt: t0.Add(time.Hour),
		AdmittedAt: t0, UnlockHash: "$argon2id$x", ReturnTo: f.Coord.ID}
	must(t, s.CreateSession(ctx, ss))
	gotS, err := s.SessionByHash(ctx, []byte("child-1"), t0)
	must(t, err)
	if gotS.UnlockHash != ss.UnlockHash || gotS.ReturnTo != ss.ReturnTo || gotS.Waiting() {
		t.Errorf("child-mode session = %+v", gotS)
	}
}
