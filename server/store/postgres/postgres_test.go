package postgres_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/barnteam/barnteam/server/board"
	"github.com/barnteam/barnteam/server/store"
	"github.com/barnteam/barnteam/server/store/pgtest"
	"github.com/barnteam/barnteam/server/store/postgres"

	"github.com/jackc/pgx/v5"
)

var ctx = context.Background()

// The tests' database, from BARNTEAM_TEST_DATABASE_URL (see pgtest).
func baseURL(t testing.TB) string              { return pgtest.BaseURL(t) }
func connect(t testing.TB, u string) *pgx.Conn { return pgtest.Connect(t, u) }
func newSchema(t testing.TB) string            { return pgtest.Schema(t) }

func open(t testing.TB, u string) *postgres.Store {
	t.Helper()
	s, err := postgres.Open(ctx, u, postgres.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestContract(t *testing.T) {
	baseURL(t)
	store.RunContract(t, func(t *testing.T) board.Store {
		return open(t, newSchema(t))
	})
}

// commitOne applies one agenda op as the coordinator and commits it.
func commitOne(t testing.TB, s board.Store, f store.Fixture, b *board.Board, cid, title string) error {
	t.Helper()
	dir, err := board.LoadDirectory(ctx, s, f.Meeting.ID)
	if err != nil {
		t.Fatal(err)
	}
	op, err := board.DecodeOp([]byte(fmt.Sprintf(`{"cid":%q,"op":"create","entity":"agenda/%s","data":{"title":%q}}`, cid, cid, title)))
	if err != nil {
		t.Fatal(err)
	}
	ch, err := b.Apply(dir, board.Actor{MemberID: f.Coord.ID, Role: board.RoleCoordinator}, op, b.Seq+1)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Commit(ctx, f.Meeting.ID, ch); err != nil {
		return err
	}
	b.Commit(ch)
	return nil
}

// TestReopen checks that committed changes and the seq survive closing the pool and
// opening the database again, and that migrating a migrated database is harmless.
func TestReopen(t *testing.T) {
	u := newSchema(t)
	s := open(t, u)
	f := store.Seed(t, s, "1")
	b, err := s.LoadBoard(ctx, f.Meeting.ID)
	if err != nil {
		t.Fatal(err)
	}
	if err := commitOne(t, s, f, b, "a1", "Inledning"); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = open(t, u)
	defer s.Close()
	b, err = s.LoadBoard(ctx, f.Meeting.ID)
	if err != nil {
		t.Fatal(err)
	}
	if b.Seq != 1 || b.Agenda["a1"] == nil || b.Agenda["a1"].Title.Value != "Inledning" {
		t.Fatalf("after reopen: seq %d, agenda %+v", b.Seq, b.Agenda)
	}
	if err := commitOne(t, s, f, b, "a2", "Nuläge"); err != nil {
		t.Fatalf("commit after reopen: %v", err)
	}
}

// TestAuditLogIsAppendOnly: the database itself refuses to change, delete or truncate
// audit rows, whatever code runs against it.
func TestAuditLogIsAppendOnly(t *testing.T) {
	u := newSchema(t)
	s := open(t, u)
	defer s.Close()
	if err := s.AppendAudit(ctx, board.AuditEntry{At: time.Now(), Action: board.AuditLogin, ActorName: "A"}); err != nil {
		t.Fatal(err)
	}
	conn := connect(t, u)
	defer conn.Close(ctx)
	for _, q := range []string{`UPDATE audit_log SET actor_name = 'B'`, `DELETE FROM audit_log`, `TRUNCATE audit_log`} {
		if _, err := conn.Exec(ctx, q); err == nil || !strings.Contains(err.Error(), "append-only") {
			t.Errorf("%s: err %v, want the append-only refusal", q, err)
		}
	}
	rows, err := s.Audit(ctx, board.AuditFilter{})
	if err != nil || len(rows) != 1 || rows[0].ActorName != "A" {
		t.Errorf("audit after the attempts: %+v, %v", rows, err)
	}
}

// TestConcurrentStart starts several server processes' stores against one empty schema
// at once: each migration is applied exactly once and every store works.
func TestConcurrentStart(t *testing.T) {
	u := newSchema(t)
	const n = 4
	stores := make([]*postgres.Store, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			stores[i], errs[i] = postgres.Open(ctx, u, postgres.Options{})
		}()
	}
	close(start)
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("store %d: %v", i, err)
		} else {
			defer stores[i].Close()
		}
	}
	if t.Failed() {
		return
	}
	conn := connect(t, u)
	defer conn.Close(ctx)
	var versions, distinct int
	if err := conn.QueryRow(ctx, `SELECT count(*), count(DISTINCT version) FROM schema_migrations`).Scan(&versions, &distinct); err != nil {
		t.Fatal(err)
	}
	files, err := filepath.Glob("migrations/*.sql")
	if err != nil || len(files) == 0 {
		t.Fatalf("migrations: %v", err)
	}
	if versions != len(files) || distinct != len(files) {
		t.Errorf("schema_migrations has %d rows (%d versions), want %d, one per migration", versions, distinct, len(files))
	}
	for i, s := range stores {
		store.Seed(t, s, fmt.Sprint("s", i))
	}
}

// TestTwoInstancesOneMeeting: two Stores with their own pools (as two server processes)
// commit to one meeting at the same seq, round after round. In every round exactly one
// wins and the other gets ErrSeqConflict; the log is gap-free and holds only the winners.
func TestTwoInstancesOneMeeting(t *testing.T) {
	u := newSchema(t)
	a, b := open(t, u), open(t, u)
	defer a.Close()
	defer b.Close()
	f := store.Seed(t, a, "1")
	stores := []*postgres.Store{a, b}
	const rounds = 60
	var winners []string
	for seq := int64(1); seq <= rounds; seq++ {
		errs := make([]error, len(stores))
		cids := make([]string, len(stores))
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i, s := range stores {
			cids[i] = fmt.Sprintf("s%d-%d", i, seq)
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				errs[i] = s.Commit(ctx, f.Meeting.ID, agendaChange(seq, cids[i], cids[i]))
			}()
		}
		close(start)
		wg.Wait()
		won := 0
		for i, err := range errs {
			switch {
			case err == nil:
				won++
				winners = append(winners, cids[i])
			case !errors.Is(err, board.ErrSeqConflict):
				t.Fatalf("seq %d, store %d: %v", seq, i, err)
			}
		}
		if won != 1 {
			t.Fatalf("seq %d: %d winners, want exactly one", seq, won)
		}
	}
	checkLog(t, a, f.Meeting.ID, winners)
	// The losers left no audit row either.
	rows, err := b.Audit(ctx, board.AuditFilter{Action: board.AuditEdit})
	if err != nil || len(rows) != rounds {
		t.Errorf("edit audit rows = %d, %v; want %d", len(rows), err, rounds)
	}
}

// TestInstancesContend: several writers in each of two instances keep committing to one
// meeting, reloading the seq after every conflict, as rooms on two servers would. All
// their ops end up in the log, once each, without a gap.
func TestInstancesContend(t *testing.T) {
	u := newSchema(t)
	a, b := open(t, u), open(t, u)
	defer a.Close()
	defer b.Close()
	f := store.Seed(t, a, "1")
	const writersPerStore, each = 3, 15
	var mu sync.Mutex
	var committed []string
	conflicts := 0
	var wg sync.WaitGroup
	errc := make(chan error, 2*writersPerStore)
	for si, s := range []*postgres.Store{a, b} {
		for w := range writersPerStore {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range each {
					cid := fmt.Sprintf("s%d-w%d-%d", si, w, i)
					for {
						bd, err := s.LoadBoard(ctx, f.Meeting.ID)
						if err != nil {
							errc <- err
							return
						}
						err = s.Commit(ctx, f.Meeting.ID, agendaChange(bd.Seq+1, cid, cid))
						if errors.Is(err, board.ErrSeqConflict) {
							mu.Lock()
							conflicts++
							mu.Unlock()
							continue
						}
						if err != nil {
							errc <- fmt.Errorf("%s: %w", cid, err)
							return
						}
						mu.Lock()
						committed = append(committed, cid)
						mu.Unlock()
						break
					}
				}
			}()
		}
	}
	wg.Wait()
	close(errc)
	for err := range errc {
		t.Fatal(err)
	}
	t.Logf("%d commits, %d seq conflicts retried", len(committed), conflicts)
	chs, err := b.ChangesSince(ctx, f.Meeting.ID, 0, -1)
	if err != nil {
		t.Fatal(err)
	}
	if len(chs) != 2*writersPerStore*each {
		t.Fatalf("%d changes in the log, want %d", len(chs), 2*writersPerStore*each)
	}
	seen := map[string]bool{}
	for i, ch := range chs {
		if ch.Seq != int64(i+1) {
			t.Fatalf("change %d has seq %d: a gap", i, ch.Seq)
		}
		if seen[ch.CID] {
			t.Fatalf("cid %s twice in the log", ch.CID)
		}
		seen[ch.CID] = true
	}
	for _, cid := range committed {
		if !seen[cid] {
			t.Errorf("acknowledged %s is not in the log", cid)
		}
	}
}

// TestOneTimeThingsAcrossInstances: a password link, a display code and a lobby decision
// raced from two instances take effect exactly once.
func TestOneTimeThingsAcrossInstances(t *testing.T) {
	u := newSchema(t)
	a, b := open(t, u), open(t, u)
	defer a.Close()
	defer b.Close()
	f := store.Seed(t, a, "1")
	t0 := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	if err := a.CreateUser(ctx, board.User{ID: "u1", Email: "a@example.se", Name: "A", CreatedAt: t0}); err != nil {
		t.Fatal(err)
	}
	stores := []*postgres.Store{a, b}
	race := func(name string, do func(s *postgres.Store) error) {
		t.Helper()
		errs := make([]error, 2*len(stores))
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i := range errs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				errs[i] = do(stores[i%len(stores)])
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
			t.Errorf("%s: %d winners, want exactly one", name, won)
		}
	}
	for i := range 10 {
		h := []byte(fmt.Sprint("pw", i))
		if err := a.CreateAccountToken(ctx, board.AccountToken{TokenHash: h, Purpose: board.TokenPassword, UserID: "u1", CreatedAt: t0, ExpiresAt: t0.Add(time.Hour)}); err != nil {
			t.Fatal(err)
		}
		race("password link", func(s *postgres.Store) error {
			_, err := s.UseAccountToken(ctx, h, board.TokenPassword, t0.Add(time.Minute))
			return err
		})
		code := []byte(fmt.Sprint("code", i))
		if err := a.CreateDisplay(ctx, board.Display{TokenHash: []byte(fmt.Sprint("screen", i)), CodeHash: code, MeetingID: f.Meeting.ID, CreatedBy: f.Coord.ID,
			CreatedAt: t0, CodeExpiresAt: t0.Add(10 * time.Minute), ExpiresAt: t0.Add(12 * time.Hour)}); err != nil {
			t.Fatal(err)
		}
		race("display code", func(s *postgres.Store) error {
			_, err := s.UseDisplayCode(ctx, code, t0.Add(time.Minute))
			return err
		})
		sess := []byte(fmt.Sprint("sess", i))
		if err := a.CreateSession(ctx, board.Session{TokenHash: sess, MemberID: f.Guardian.ID, MeetingID: f.Meeting.ID, CreatedAt: t0, ExpiresAt: t0.Add(time.Hour)}); err != nil {
			t.Fatal(err)
		}
		n := 0
		var mu sync.Mutex
		race("lobby decision", func(s *postgres.Store) error {
			mu.Lock()
			admit := n%2 == 0
			n++
			mu.Unlock()
			return s.Admit(ctx, sess, admit, t0.Add(time.Minute))
		})
	}
}

// TestSessionSettings: a URL (or server) that turns synchronous_commit off is overruled;
// an abandoned transaction cannot hold a meeting's lock for long.
func TestSessionSettings(t *testing.T) {
	u := newSchema(t)
	if strings.Contains(u, "?") {
		u += "&synchronous_commit=off"
	} else {
		u += " synchronous_commit=off"
	}
	s := open(t, u)
	defer s.Close()
	for range 3 { // several pooled connections
		var v string
		if err := postgres.Pool(s).QueryRow(ctx, `SHOW synchronous_commit`).Scan(&v); err != nil {
			t.Fatal(err)
		}
		if v != "on" {
			t.Fatalf("synchronous_commit = %q, want on", v)
		}
	}
	var v string
	if err := postgres.Pool(s).QueryRow(ctx, `SHOW idle_in_transaction_session_timeout`).Scan(&v); err != nil {
		t.Fatal(err)
	}
	if v != "1min" {
		t.Errorf("idle_in_transaction_session_timeout = %q, want 1min", v)
	}
}

// TestOpenErrors: a bad URL does not echo its password; an unreachable server is an
// error, not a hang. Neither needs a database.
func TestOpenErrors(t *testing.T) {
	_, err := postgres.Open(ctx, "postgres://barnteam:s3cret-pw@127.0.0.1:notaport/x", postgres.Options{})
	if err == nil || strings.Contains(err.Error(), "s3cret") {
		t.Errorf("bad URL: err %v; want an error without the password", err)
	}
	cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if _, err := postgres.Open(cctx, "postgres://barnteam:s3cret-pw@127.0.0.1:1/x?connect_timeout=2", postgres.Options{}); err == nil || strings.Contains(err.Error(), "s3cret") {
		t.Errorf("unreachable server: err %v; want an error without the password", err)
	}
}

func agendaChange(seq int64, cid, id string) board.Change {
	return board.Change{Seq: seq, CID: cid, Actor: "coord1", Kind: board.OpCreate, Entity: "agenda/" + id,
		Agenda: &board.AgendaItem{ID: id, Pos: "V", Title: board.Text{Value: "Punkt", Rev: seq}, Status: board.AgendaOpen, Rev: seq}}
}

// checkLog checks the meeting's log holds exactly cids, in order, at seqs 1, 2, 3, …
func checkLog(t *testing.T, s board.Store, meetingID string, cids []string) {
	t.Helper()
	chs, err := s.ChangesSince(ctx, meetingID, 0, -1)
	if err != nil {
		t.Fatal(err)
	}
	if len(chs) != len(cids) {
		t.Fatalf("%d changes in the log, want %d", len(chs), len(cids))
	}
	for i, ch := range chs {
		if ch.Seq != int64(i+1) || ch.CID != cids[i] {
			t.Errorf("change %d: seq %d cid %s, want seq %d cid %s", i, ch.Seq, ch.CID, i+1, cids[i])
		}
	}
	b, err := s.LoadBoard(ctx, meetingID)
	if err != nil {
		t.Fatal(err)
	}
	if b.Seq != int64(len(cids)) || len(b.Agenda) != len(cids) {
		t.Errorf("board at seq %d with %d items, want %d", b.Seq, len(b.Agenda), len(cids))
	}
}
