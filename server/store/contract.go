// Package store holds the contract every board.Store implementation must meet, as one
// test suite that each implementation runs against a real database: SQLite always,
// PostgreSQL when BARNTEAM_TEST_DATABASE_URL is set.
package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/barnteam/barnteam/server/board"
)

// Factory returns a new, empty, migrated store for one test. The suite closes it.
type Factory func(t *testing.T) board.Store

// RunContract runs the whole contract suite against stores made by newStore.
func RunContract(t *testing.T, newStore Factory) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s board.Store)
	}{
		{"Directory", testDirectory},
		{"NotFound", testNotFound},
		{"InvitesExpire", testInvites},
		{"Sessions", testSessions},
		{"CommitAndLoad", testCommitAndLoad},
		{"SeqIsGapFree", testSeqConflict},
		{"DuplicateCID", testDuplicateCID},
		{"ChangesSince", testChangesSince},
		{"ConcurrentMeetings", testConcurrentMeetings},
		{"DirectoryChanges", testDirectoryChanges},
		{"Users", testUsers},
		{"UserSessions", testUserSessions},
		{"AccountTokens", testAccountTokens},
		{"InvitesAndSessions", testInvitesAndSessions},
		{"Removals", testRemovals},
		{"Consents", testConsents},
		{"Audit", testAudit},
		{"Displays", testDisplays},
		{"PlanVersions", testPlanVersions},
		{"PlanPDFs", testPlanPDFs},
		{"DownloadLinks", testDownloadLinks},
		{"AgendaTemplates", testAgendaTemplates},
		// Added with the PostgreSQL store (race_contract.go).
		{"CommitRace", testCommitRace},
		{"RefusedCommitsLeaveNoTrace", testRefusedCommitsLeaveNoTrace},
		{"TimesRoundTrip", testTimesRoundTrip},
		{"OneTimeRace", testOneTimeRace},
		// Added with group commit (batch_contract.go).
		{"CommitBatch", testCommitBatch},
		{"SigningKey", testSigningKey},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := newStore(t)
			defer func() {
				if err := s.Close(); err != nil {
					t.Errorf("close: %v", err)
				}
			}()
			tc.fn(t, s)
		})
	}
}

var ctx = context.Background()

// Fixture is a small team with one meeting, used across the suite.
type Fixture struct {
	Org      board.Organisation
	Team     board.Team
	Coord    board.Member
	Guardian board.Member
	Meeting  board.Meeting
}

// Seed writes a fixture with ids made unique by suffix.
func Seed(t testing.TB, s board.Store, suffix string) Fixture {
	t.Helper()
	f := Fixture{
		Org:     board.Organisation{ID: "org" + suffix, Name: "Solskolan", Huvudman: board.HuvudmanKommun},
		Team:    board.Team{ID: "team" + suffix, ChildFirstName: "Alva", ChildBirthYear: 2017, Reason: "Oro för skolfrånvaro", CreatedAt: time.Date(2026, 11, 1, 9, 0, 0, 0, time.UTC)},
		Meeting: board.Meeting{ID: "meet" + suffix, Title: "Första barnteamsmötet", ScheduledAt: time.Date(2026, 11, 24, 13, 0, 0, 0, time.UTC), Epoch: "ep" + suffix},
	}
	f.Coord = board.Member{ID: "coord" + suffix, TeamID: f.Team.ID, Name: "Maria Lind", Role: board.RoleCoordinator, OrgID: f.Org.ID, Title: "Kurator", Lang: "sv"}
	f.Guardian = board.Member{ID: "guard" + suffix, TeamID: f.Team.ID, Name: "Samir Haddad", Role: board.RoleGuardian, Lang: "ar"}
	f.Meeting.TeamID = f.Team.ID
	must(t, s.CreateOrganisation(ctx, f.Org))
	must(t, s.CreateTeam(ctx, f.Team))
	must(t, s.AddMember(ctx, f.Coord))
	must(t, s.AddMember(ctx, f.Guardian))
	must(t, s.CreateMeeting(ctx, f.Meeting))
	return f
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func testDirectory(t *testing.T, s board.Store) {
	f := Seed(t, s, "1")
	o, err := s.Organisation(ctx, f.Org.ID)
	must(t, err)
	if o != f.Org {
		t.Errorf("organisation = %+v, want %+v", o, f.Org)
	}
	team, err := s.Team(ctx, f.Team.ID)
	must(t, err)
	if team != f.Team {
		t.Errorf("team = %+v, want %+v", team, f.Team)
	}
	members, err := s.Members(ctx, f.Team.ID)
	must(t, err)
	if len(members) != 2 || members[0] != f.Coord || members[1] != f.Guardian {
		t.Errorf("members = %+v, want coordinator then guardian", members)
	}
	m, err := s.Meeting(ctx, f.Meeting.ID)
	must(t, err)
	if m != f.Meeting {
		t.Errorf("meeting = %+v, want %+v", m, f.Meeting)
	}
	dir, err := board.LoadDirectory(ctx, s, f.Meeting.ID)
	must(t, err)
	if dir.Team != f.Team || len(dir.Members) != 2 || len(dir.Orgs) != 1 || dir.Orgs[0] != f.Org {
		t.Errorf("directory = %+v", dir)
	}
	// A member of an unknown team or organisation is refused by the schema.
	if err := s.AddMember(ctx, board.Member{ID: "x", TeamID: "nope", Name: "X", Role: board.RoleNetwork, Lang: "sv"}); err == nil {
		t.Error("member of unknown team was stored")
	}
	if err := s.AddMember(ctx, board.Member{ID: "y", TeamID: f.Team.ID, Name: "Y", Role: board.RoleProfessional, OrgID: "nope", Lang: "sv"}); err == nil {
		t.Error("member of unknown organisation was stored")
	}
	if err := s.CreateTeam(ctx, f.Team); err == nil {
		t.Error("duplicate team id was stored")
	}
}

func testNotFound(t *testing.T, s board.Store) {
	checks := map[string]error{}
	_, checks["Organisation"] = s.Organisation(ctx, "nope")
	_, checks["Team"] = s.Team(ctx, "nope")
	_, checks["Meeting"] = s.Meeting(ctx, "nope")
	_, checks["LoadBoard"] = s.LoadBoard(ctx, "nope")
	_, checks["SeqByCID"] = s.SeqByCID(ctx, "nope", "c")
	_, checks["InviteByHash"] = s.InviteByHash(ctx, []byte("nope"), time.Now())
	_, checks["SessionByHash"] = s.SessionByHash(ctx, []byte("nope"), time.Now())
	checks["Commit"] = s.Commit(ctx, "nope", agendaChange(1, "c1", "a1", "x"))
	for name, err := range checks {
		if !errors.Is(err, board.ErrNotFound) {
			t.Errorf("%s on a missing row: err = %v, want ErrNotFound", name, err)
		}
	}
	members, err := s.Members(ctx, "nope")
	if err != nil || len(members) != 0 {
		t.Errorf("Members of missing team = %v, %v; want empty, nil", members, err)
	}
}

func testInvites(t *testing.T, s board.Store) {
	f := Seed(t, s, "1")
	now := time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)
	inv := board.Invite{TokenHash: []byte("hash-1"), MemberID: f.Guardian.ID, MeetingID: f.Meeting.ID, CreatedAt: now, ExpiresAt: now.Add(time.Hour)}
	must(t, s.CreateInvite(ctx, inv))
	got, err := s.InviteByHash(ctx, inv.TokenHash, now)
	must(t, err)
	if got.MemberID != inv.MemberID || got.MeetingID != inv.MeetingID || !got.ExpiresAt.Equal(inv.ExpiresAt) || !got.CreatedAt.Equal(inv.CreatedAt) {
		t.Errorf("invite = %+v, want %+v", got, inv)
	}
	if _, err := s.InviteByHash(ctx, inv.TokenHash, now.Add(time.Hour)); !errors.Is(err, board.ErrNotFound) {
		t.Errorf("expired invite: err = %v, want ErrNotFound", err)
	}
	if _, err := s.InviteByHash(ctx, []byte("hash-2"), now); !errors.Is(err, board.ErrNotFound) {
		t.Errorf("unknown invite: err = %v, want ErrNotFound", err)
	}
}

func testSessions(t *testing.T, s board.Store) {
	f := Seed(t, s, "1")
	now := time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)
	ss := board.Session{TokenHash: []byte("sess-1"), MemberID: f.Coord.ID, MeetingID: f.Meeting.ID, CreatedAt: now, ExpiresAt: now.Add(12 * time.Hour)}
	must(t, s.CreateSession(ctx, ss))
	got, err := s.SessionByHash(ctx, ss.TokenHash, now.Add(time.Minute))
	must(t, err)
	if got.MemberID != ss.MemberID || got.MeetingID != ss.MeetingID || !got.ExpiresAt.Equal(ss.ExpiresAt) {
		t.Errorf("session = %+v, want %+v", got, ss)
	}
	if _, err := s.SessionByHash(ctx, ss.TokenHash, now.Add(13*time.Hour)); !errors.Is(err, board.ErrNotFound) {
		t.Errorf("expired session: err = %v, want ErrNotFound", err)
	}
	must(t, s.DeleteSession(ctx, ss.TokenHash))
	if _, err := s.SessionByHash(ctx, ss.TokenHash, now); !errors.Is(err, board.ErrNotFound) {
		t.Errorf("deleted session: err = %v, want ErrNotFound", err)
	}
}

// applyAll applies ops through the real domain (as the room does) and commits each change.
func applyAll(t *testing.T, s board.Store, b *board.Board, dir *board.Directory, actor board.Actor, ops ...string) {
	t.Helper()
	for _, raw := range ops {
		op, err := board.DecodeOp([]byte(raw))
		if err != nil {
			t.Fatalf("decode %s: %v", raw, err)
		}
		ch, err := b.Apply(dir, actor, op, b.Seq+1)
		if err != nil {
			t.Fatalf("apply %s: %v", raw, err)
		}
		must(t, s.Commit(ctx, b.MeetingID, ch))
		b.Commit(ch)
	}
}

func testCommitAndLoad(t *testing.T, s board.Store) {
	f := Seed(t, s, "1")
	dir, err := board.LoadDirectory(ctx, s, f.Meeting.ID)
	must(t, err)
	b, err := s.LoadBoard(ctx, f.Meeting.ID)
	must(t, err)
	if b.Seq != 0 || b.Epoch != f.Meeting.Epoch || len(b.Compass) != 8 {
		t.Fatalf("new board: seq %d epoch %q areas %d", b.Seq, b.Epoch, len(b.Compass))
	}
	coord := board.Actor{MemberID: f.Coord.ID, Role: board.RoleCoordinator}
	guardian := board.Actor{MemberID: f.Guardian.ID, Role: board.RoleGuardian}
	applyAll(t, s, b, dir, coord,
		`{"cid":"c1","op":"create","entity":"agenda/a1","data":{"title":"Inledning","timebox_min":10}}`,
		`{"cid":"c2","op":"create","entity":"agenda/a2","data":{"title":"Aktuell situation"}}`,
		`{"cid":"c3","op":"set","entity":"agenda/a1","base":1,"data":{"field":"notes","value":"Alla **presenterar** sig. Åsa är här."}}`,
		`{"cid":"c4","op":"goto","entity":"meeting","data":{"from":"","to":"a1"}}`,
		`{"cid":"c5","op":"create","entity":"goal/g1","data":{"area":"trygghet","term":"long","text":"Alva känner sig trygg i skolan"}}`,
		`{"cid":"c6","op":"create","entity":"action/x1","data":{"what":"Anpassat schema","responsible":"org:org1","due":"2026-12-15","goal_id":"g1","area":"trygghet"}}`,
		`{"cid":"c7","op":"delete","entity":"agenda/a2"}`,
		`{"cid":"c8","op":"set","entity":"compass/trygghet","base":0,"data":{"field":"worries","value":"Rädd på rasterna"}}`,
	)
	// The family writes once the meeting is open.
	applyAll(t, s, b, dir, coord, `{"cid":"c9","op":"phase","entity":"meeting","data":{"from":"draft","to":"open"}}`)
	applyAll(t, s, b, dir, guardian,
		`{"cid":"c10","op":"rate","entity":"compass/trygghet","data":{"perspective":"guardian:guard1","value":"2"}}`,
	)
	loaded, err := s.LoadBoard(ctx, f.Meeting.ID)
	must(t, err)
	if loaded.Seq != 10 {
		t.Errorf("loaded seq = %d, want 10", loaded.Seq)
	}
	want, _ := json.Marshal(boardView(b))
	got, _ := json.Marshal(boardView(loaded))
	if string(want) != string(got) {
		t.Errorf("loaded board differs from the applied one:\n got %s\nwant %s", got, want)
	}
	if loaded.Meeting.CurrentItem != "a1" || loaded.Phase() != board.PhaseOpen || !loaded.Agenda["a2"].Deleted || loaded.Compass["trygghet"].Ratings["guardian:guard1"] != "2" {
		t.Errorf("loaded board lost state: %+v", boardView(loaded))
	}
}

// boardView is the comparable content of a board.
func boardView(b *board.Board) any {
	return map[string]any{"seq": b.Seq, "meeting": b.Meeting, "agenda": b.Agenda, "compass": b.Compass, "goals": b.Goals, "actions": b.Actions}
}

func agendaChange(seq int64, cid, id, title string) board.Change {
	return board.Change{Seq: seq, CID: cid, Actor: "coord1", Kind: board.OpCreate, Entity: "agenda/" + id,
		Agenda: &board.AgendaItem{ID: id, Pos: "V", Title: board.Text{Value: title, Rev: seq}, Status: board.AgendaOpen, Rev: seq}}
}

func testSeqConflict(t *testing.T, s board.Store) {
	f := Seed(t, s, "1")
	must(t, s.Commit(ctx, f.Meeting.ID, agendaChange(1, "c1", "a1", "Ett")))
	// A change applied at a seq the database is not at is refused and leaves no trace.
	for _, seq := range []int64{1, 3, 0} {
		if err := s.Commit(ctx, f.Meeting.ID, agendaChange(seq, fmt.Sprint("x", seq), "a9", "Fel")); !errors.Is(err, board.ErrSeqConflict) {
			t.Errorf("commit at seq %d: err = %v, want ErrSeqConflict", seq, err)
		}
	}
	must(t, s.Commit(ctx, f.Meeting.ID, agendaChange(2, "c2", "a2", "Två")))
	b, err := s.LoadBoard(ctx, f.Meeting.ID)
	must(t, err)
	if b.Seq != 2 || b.Agenda["a9"] != nil {
		t.Errorf("after refused commits: seq %d, a9 %v; want 2, nil", b.Seq, b.Agenda["a9"])
	}
	chs, err := s.ChangesSince(ctx, f.Meeting.ID, 0, 100)
	must(t, err)
	for i, ch := range chs {
		if ch.Seq != int64(i+1) {
			t.Errorf("change %d has seq %d: the log has a gap", i, ch.Seq)
		}
	}
}

func testDuplicateCID(t *testing.T, s board.Store) {
	f := Seed(t, s, "1")
	must(t, s.Commit(ctx, f.Meeting.ID, agendaChange(1, "same", "a1", "Ett")))
	if err := s.Commit(ctx, f.Meeting.ID, agendaChange(2, "same", "a2", "Två")); !errors.Is(err, board.ErrDuplicateCID) {
		t.Fatalf("second commit with the same cid: err = %v, want ErrDuplicateCID", err)
	}
	seq, err := s.SeqByCID(ctx, f.Meeting.ID, "same")
	must(t, err)
	if seq != 1 {
		t.Errorf("SeqByCID = %d, want 1", seq)
	}
	// The refused commit must not have advanced the seq.
	must(t, s.Commit(ctx, f.Meeting.ID, agendaChange(2, "other", "a2", "Två")))
	// The same cid in another meeting is a different op.
	g := Seed(t, s, "2")
	must(t, s.Commit(ctx, g.Meeting.ID, agendaChange(1, "same", "a1", "Ett")))
}

func testChangesSince(t *testing.T, s board.Store) {
	f := Seed(t, s, "1")
	for i := int64(1); i <= 25; i++ {
		must(t, s.Commit(ctx, f.Meeting.ID, agendaChange(i, fmt.Sprint("c", i), fmt.Sprint("a", i), fmt.Sprint("Punkt ", i))))
	}
	chs, err := s.ChangesSince(ctx, f.Meeting.ID, 10, 10)
	must(t, err)
	if len(chs) != 10 || chs[0].Seq != 11 || chs[9].Seq != 20 {
		t.Fatalf("ChangesSince(10, 10) = %d changes from %v", len(chs), chs)
	}
	if chs[0].CID != "c11" || chs[0].Agenda == nil || chs[0].Agenda.Title.Value != "Punkt 11" {
		t.Errorf("change 11 did not round-trip: %+v", chs[0])
	}
	chs, err = s.ChangesSince(ctx, f.Meeting.ID, 25, 10)
	must(t, err)
	if len(chs) != 0 {
		t.Errorf("ChangesSince(latest) = %d changes, want 0", len(chs))
	}
}

// testConcurrentMeetings commits to several meetings from several goroutines at once (as
// the rooms of one server do) and checks every meeting's log is complete and gap-free.
func testConcurrentMeetings(t *testing.T, s board.Store) {
	const meetings, perMeeting = 6, 40
	ids := make([]string, meetings)
	for i := range ids {
		ids[i] = Seed(t, s, fmt.Sprint("m", i)).Meeting.ID
	}
	var wg sync.WaitGroup
	errs := make(chan error, meetings)
	for _, id := range ids {
		wg.Add(1)
		go func(id string) {
			defer wg.Done()
			for i := int64(1); i <= perMeeting; i++ {
				if err := s.Commit(ctx, id, agendaChange(i, fmt.Sprint("c", i), fmt.Sprint("a", i), "x")); err != nil {
					errs <- fmt.Errorf("%s seq %d: %w", id, i, err)
					return
				}
			}
		}(id)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	for _, id := range ids {
		chs, err := s.ChangesSince(ctx, id, 0, 1000)
		must(t, err)
		if len(chs) != perMeeting {
			t.Errorf("%s: %d changes, want %d", id, len(chs), perMeeting)
		}
	}
}
