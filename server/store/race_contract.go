package store

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/barnteam/barnteam/server/board"
)

// Cases added with the PostgreSQL store: what the rest of the suite implies but did not
// pin down. Racing writers on one store (the rooms and requests of one server), refused
// commits leaving nothing behind, and how times come back.

// testCommitRace: several writers commit to one meeting at the same seq, round after
// round. Exactly one wins each round, the others get ErrSeqConflict; the log and the
// audit log hold the winners only.
func testCommitRace(t *testing.T, s board.Store) {
	f := Seed(t, s, "1")
	const writers, rounds = 4, 20
	var winners []string
	for seq := int64(1); seq <= rounds; seq++ {
		errs := make([]error, writers)
		var wg sync.WaitGroup
		start := make(chan struct{})
		for w := range writers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				cid := fmt.Sprintf("w%d-%d", w, seq)
				errs[w] = s.Commit(ctx, f.Meeting.ID, agendaChange(seq, cid, cid, "x"))
			}()
		}
		close(start)
		wg.Wait()
		won := 0
		for w, err := range errs {
			switch {
			case err == nil:
				won++
				winners = append(winners, fmt.Sprintf("w%d-%d", w, seq))
			case !errors.Is(err, board.ErrSeqConflict):
				t.Fatalf("seq %d, writer %d: err %v, want nil or ErrSeqConflict", seq, w, err)
			}
		}
		if won != 1 {
			t.Fatalf("seq %d: %d writers won, want exactly one", seq, won)
		}
	}
	chs, err := s.ChangesSince(ctx, f.Meeting.ID, 0, 1000)
	must(t, err)
	if len(chs) != rounds {
		t.Fatalf("%d changes in the log, want %d", len(chs), rounds)
	}
	for i, ch := range chs {
		if ch.Seq != int64(i+1) || ch.CID != winners[i] {
			t.Errorf("change %d: seq %d cid %s, want seq %d cid %s", i, ch.Seq, ch.CID, i+1, winners[i])
		}
	}
	edits, err := s.Audit(ctx, board.AuditFilter{Action: board.AuditEdit})
	must(t, err)
	if len(edits) != rounds {
		t.Errorf("%d edit audit rows, want %d (one per winner)", len(edits), rounds)
	}
}

// testRefusedCommitsLeaveNoTrace: a commit refused for its seq or its cid writes nothing:
// no op, no entity, no audit row.
func testRefusedCommitsLeaveNoTrace(t *testing.T, s board.Store) {
	f := Seed(t, s, "1")
	must(t, s.Commit(ctx, f.Meeting.ID, agendaChange(1, "c1", "a1", "Ett")))
	if err := s.Commit(ctx, f.Meeting.ID, agendaChange(1, "late", "a1", "Sent")); !errors.Is(err, board.ErrSeqConflict) {
		t.Fatalf("stale seq: err %v, want ErrSeqConflict", err)
	}
	if err := s.Commit(ctx, f.Meeting.ID, agendaChange(2, "c1", "a1", "Igen")); !errors.Is(err, board.ErrDuplicateCID) {
		t.Fatalf("taken cid: err %v, want ErrDuplicateCID", err)
	}
	if _, err := s.SeqByCID(ctx, f.Meeting.ID, "late"); !errors.Is(err, board.ErrNotFound) {
		t.Errorf("the refused op's cid: err %v, want ErrNotFound", err)
	}
	b, err := s.LoadBoard(ctx, f.Meeting.ID)
	must(t, err)
	if b.Seq != 1 || b.Agenda["a1"] == nil || b.Agenda["a1"].Title.Value != "Ett" {
		t.Errorf("after refused commits: seq %d, a1 %+v; want 1, Ett", b.Seq, b.Agenda["a1"])
	}
	chs, err := s.ChangesSince(ctx, f.Meeting.ID, 0, 100)
	must(t, err)
	if len(chs) != 1 {
		t.Errorf("%d changes in the log, want 1", len(chs))
	}
	edits, err := s.Audit(ctx, board.AuditFilter{Action: board.AuditEdit})
	must(t, err)
	if len(edits) != 1 || edits[0].Target != "op 1: create agenda/a1" {
		t.Errorf("edit audit rows = %+v, want only op 1's", edits)
	}
}

// testTimesRoundTrip: a time comes back as the same instant to the millisecond (finer
// parts are dropped), in UTC, whatever zone it was given in, so that stored values
// compare equal with ==. A zero time comes back zero.
func testTimesRoundTrip(t *testing.T, s board.Store) {
	zone := time.FixedZone("CET", 3600)
	given := time.Date(2026, 11, 24, 14, 5, 6, 123_456_789, zone)
	want := time.Date(2026, 11, 24, 13, 5, 6, 123_000_000, time.UTC)
	must(t, s.CreateOrganisation(ctx, board.Organisation{ID: "o", Name: "O", Huvudman: board.HuvudmanKommun}))
	must(t, s.CreateTeam(ctx, board.Team{ID: "t", ChildFirstName: "Alva", ChildBirthYear: 2017, Reason: "x", CreatedAt: given}))
	must(t, s.CreateMeeting(ctx, board.Meeting{ID: "m", TeamID: "t", Title: "M", ScheduledAt: given, Epoch: "e"}))
	team, err := s.Team(ctx, "t")
	must(t, err)
	if team.CreatedAt != want {
		t.Errorf("team created at %v (%s), want %v", team.CreatedAt, team.CreatedAt.Location(), want)
	}
	m, err := s.Meeting(ctx, "m")
	must(t, err)
	if m.ScheduledAt != want {
		t.Errorf("meeting scheduled at %v, want %v", m.ScheduledAt, want)
	}
	must(t, s.AppendAudit(ctx, board.AuditEntry{At: given, ActorName: "A", Action: board.AuditLogin}))
	rows, err := s.Audit(ctx, board.AuditFilter{From: want, To: want.Add(time.Millisecond)})
	must(t, err)
	if len(rows) != 1 || rows[0].At != want {
		t.Errorf("audit rows in [%v, +1ms) = %+v", want, rows)
	}
	// An instant is compared to the millisecond too: valid until the stored expiry's
	// millisecond, not a nanosecond past it.
	must(t, s.AddMember(ctx, board.Member{ID: "g", TeamID: "t", Name: "G", Role: board.RoleGuardian, Lang: "sv"}))
	must(t, s.CreateInvite(ctx, board.Invite{TokenHash: []byte("i"), MemberID: "g", MeetingID: "m", CreatedAt: given, ExpiresAt: given.Add(time.Hour)}))
	inv, err := s.InviteByHash(ctx, []byte("i"), want.Add(time.Hour-time.Millisecond))
	must(t, err)
	if inv.ExpiresAt != want.Add(time.Hour) || inv.CreatedAt != want {
		t.Errorf("invite = %+v", inv)
	}
	if _, err := s.InviteByHash(ctx, []byte("i"), given.Add(time.Hour)); !errors.Is(err, board.ErrNotFound) {
		t.Errorf("an invite at its expiry's millisecond: err %v, want ErrNotFound", err)
	}
	// A zero time comes back zero, whether the column may be unset or not.
	must(t, s.CreateTeam(ctx, board.Team{ID: "t0", ChildFirstName: "Adam", ChildBirthYear: 2015, Reason: "x"}))
	if tz, err := s.Team(ctx, "t0"); err != nil || tz.CreatedAt != (time.Time{}) {
		t.Errorf("team created at the zero time: %v, %v", tz.CreatedAt, err)
	}
	must(t, s.CreateSession(ctx, board.Session{TokenHash: []byte("s"), MemberID: "g", MeetingID: "m", CreatedAt: given, ExpiresAt: given.Add(time.Hour)}))
	ss, err := s.SessionByHash(ctx, []byte("s"), given)
	must(t, err)
	if ss.AdmittedAt != (time.Time{}) || ss.DeniedAt != (time.Time{}) || ss.CreatedAt != want {
		t.Errorf("session = %+v", ss)
	}
}

// testOneTimeRace: a one-time account link, a display's short code and a lobby decision
// used by several requests at once take effect exactly once.
func testOneTimeRace(t *testing.T, s board.Store) {
	f := Seed(t, s, "1")
	must(t, s.CreateUser(ctx, board.User{ID: "u1", Email: "a@example.se", Name: "A", CreatedAt: t0}))
	must(t, s.CreateAccountToken(ctx, board.AccountToken{TokenHash: []byte("pw"), Purpose: board.TokenPassword, UserID: "u1", CreatedAt: t0, ExpiresAt: t0.Add(time.Hour)}))
	must(t, s.CreateDisplay(ctx, board.Display{TokenHash: []byte("screen"), CodeHash: []byte("code"), MeetingID: f.Meeting.ID, CreatedBy: f.Coord.ID,
		CreatedAt: t0, CodeExpiresAt: t0.Add(10 * time.Minute), ExpiresAt: t0.Add(12 * time.Hour)}))
	must(t, s.CreateSession(ctx, board.Session{TokenHash: []byte("lobby"), MemberID: f.Guardian.ID, MeetingID: f.Meeting.ID, CreatedAt: t0, ExpiresAt: t0.Add(time.Hour)}))
	for name, use := range map[string]func(i int) error{
		"password link": func(int) error {
			_, err := s.UseAccountToken(ctx, []byte("pw"), board.TokenPassword, t0.Add(time.Minute))
			return err
		},
		"display code": func(int) error {
			_, err := s.UseDisplayCode(ctx, []byte("code"), t0.Add(time.Minute))
			return err
		},
		"lobby decision": func(i int) error { return s.Admit(ctx, []byte("lobby"), i%2 == 0, t0.Add(time.Minute)) },
	} {
		const n = 6
		errs := make([]error, n)
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				errs[i] = use(i)
			}()
		}
		close(start)
		wg.Wait()
		won := 0
		for _, err := range errs {
			switch {
			case err == nil:
				won++
			case !errors.Is(err, board.ErrNotFound):
				t.Errorf("%s: %v", name, err)
			}
		}
		if won != 1 {
			t.Errorf("%s used %d times at once, want exactly once", name, won)
		}
	}
}
