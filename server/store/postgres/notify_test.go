package postgres_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/barnteam/barnteam/server/board"
	"github.com/barnteam/barnteam/server/store"
	"github.com/barnteam/barnteam/server/store/postgres"
)

// recorder is a board.Listener that keeps what it hears.
type recorder struct {
	mu        sync.Mutex
	committed []string // "meeting:seq"
	messages  []string
	resyncs   int
	lost      int
}

func (r *recorder) Committed(meetingID string, seq int64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.committed = append(r.committed, fmt.Sprintf("%s:%d", meetingID, seq))
}
func (r *recorder) Message(p []byte) {
	r.mu.Lock()
	r.messages = append(r.messages, string(p))
	r.mu.Unlock()
}
func (r *recorder) Resync()    { r.mu.Lock(); r.resyncs++; r.mu.Unlock() }
func (r *recorder) Lost(error) { r.mu.Lock(); r.lost++; r.mu.Unlock() }

func (r *recorder) has(f func(r *recorder) bool) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return f(r)
}

func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting until %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

// TestListen: two stores on one database (two instances). What one commits or notifies,
// the other hears; nobody hears itself; a store in another schema (another deployment)
// hears nothing. When the listening connection is cut, Listen reports it, connects
// again and says Resync, and goes on hearing.
func TestListen(t *testing.T) {
	u := newSchema(t)
	a, b := open(t, u), open(t, u)
	defer a.Close()
	defer b.Close()
	other := open(t, newSchema(t))
	defer other.Close()
	f := store.Seed(t, a, "1")

	lctx, stop := context.WithCancel(context.Background())
	defer stop()
	heardA, heardB, heardOther := &recorder{}, &recorder{}, &recorder{}
	var wg sync.WaitGroup
	for s, r := range map[*postgres.Store]*recorder{a: heardA, b: heardB, other: heardOther} {
		wg.Add(1)
		go func() { defer wg.Done(); s.Listen(lctx, r) }()
	}
	defer wg.Wait()
	defer stop()
	for _, r := range []*recorder{heardA, heardB, heardOther} {
		waitUntil(t, "every store listens", func() bool { return r.has(func(r *recorder) bool { return r.resyncs == 1 }) })
	}

	must(t, a.Commit(ctx, f.Meeting.ID, agendaChange(1, "c1", "a1")))
	must(t, a.Notify(ctx, []byte(`{"k":"reload"}`)))
	waitUntil(t, "b hears a's commit and message", func() bool {
		return heardB.has(func(r *recorder) bool {
			return contains(r.committed, f.Meeting.ID+":1") && contains(r.messages, `{"k":"reload"}`)
		})
	})
	// b's own commit: a hears it, b does not.
	must(t, b.Commit(ctx, f.Meeting.ID, agendaChange(2, "c2", "a2")))
	waitUntil(t, "a hears b's commit", func() bool {
		return heardA.has(func(r *recorder) bool { return contains(r.committed, f.Meeting.ID+":2") })
	})
	if heardA.has(func(r *recorder) bool { return contains(r.committed, f.Meeting.ID+":1") || len(r.messages) > 0 }) {
		t.Error("a heard its own commit or message")
	}
	if heardB.has(func(r *recorder) bool { return contains(r.committed, f.Meeting.ID+":2") }) {
		t.Error("b heard its own commit")
	}
	// A refused commit (stale seq) wakes nobody.
	if err := a.Commit(ctx, f.Meeting.ID, agendaChange(2, "stale", "a2")); err == nil {
		t.Fatal("a stale commit was accepted")
	}

	// Cut b's listening connection from the database's side.
	pid := postgres.ListenPID(b)
	if pid == 0 {
		t.Fatal("b has no listening connection")
	}
	admin := connect(t, u)
	defer admin.Close(ctx)
	if _, err := admin.Exec(ctx, `SELECT pg_terminate_backend($1)`, int32(pid)); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, "b notices the cut and listens again", func() bool {
		return heardB.has(func(r *recorder) bool { return r.lost >= 1 && r.resyncs >= 2 })
	})
	if postgres.ListenPID(b) == pid {
		t.Error("b listens on the cut connection still")
	}
	must(t, a.Commit(ctx, f.Meeting.ID, agendaChange(3, "c3", "a3")))
	waitUntil(t, "b hears a's commit after listening again", func() bool {
		return heardB.has(func(r *recorder) bool { return contains(r.committed, f.Meeting.ID+":3") })
	})
	if heardB.has(func(r *recorder) bool { return contains(r.committed, f.Meeting.ID+":2") }) {
		t.Error("b heard its own commit")
	}
	if heardOther.has(func(r *recorder) bool { return len(r.committed) > 0 || len(r.messages) > 0 }) {
		t.Error("a store in another schema heard this one's commits or messages")
	}
	// A payload too long for a notification is refused before it is sent.
	if err := a.Notify(ctx, make([]byte, board.MaxNotifyBytes+1)); err == nil {
		t.Error("an oversized notification was sent")
	}
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
