//go:build unix

package main_test

// Two barnteam processes on one PostgreSQL database serve one meeting. The clients of
// crash_test.go (real sign-in, real links, ops as fast as the protocol lets them) are
// split between the two. Then one process is killed with SIGKILL: its clients reconnect
// to the other and resume; whatever they had sent and not had confirmed they send again,
// and each such op is answered exactly as the log requires (an ack at its seq if the
// dead process committed it, else a new event). The dead process is started again, the
// clients are split again, and the other one is killed. At the end every client has
// seen every event, the op log holds every acknowledged op once at its seq with no gaps,
// and the survivor stops cleanly.
//
//	BARNTEAM_TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/test?sslmode=disable \
//	  go test -count=1 -run TwoInstances ./cmd/barnteam/ -v

import (
	"context"
	mrand "math/rand/v2"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/barnteam/barnteam/server/store/pgtest"
	"github.com/barnteam/barnteam/server/store/postgres"
)

func TestTwoInstances(t *testing.T) {
	dbURL := pgtest.Schema(t)
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	rng := mrand.New(mrand.NewPCG(seed, seed^0x5bd1e995))
	bin := buildServer(t)
	// One data directory for both: with PostgreSQL it holds only the key that seals the
	// plans, which every instance must share.
	data := t.TempDir()
	rec := newRecorder(t)

	procs := [2]*proc{
		startProc(t, bin, "", true, "-demo", "-data", data, "-database-url", dbURL),
	}
	procs[1] = startProc(t, bin, "", false, "-data", data, "-database-url", dbURL)
	first := procs[0] // printed the links and the login

	clients := signIn(t, rec, first)

	st, err := postgres.Open(context.Background(), dbURL, postgres.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()

	for round := 0; round < 2; round++ {
		victim, survivor := round%2, 1-round%2
		// The clients alternate between the instances (as a load balancer would spread
		// them); the first goes to the victim.
		at := make([]int, len(clients))
		sessions := make([]*session, len(clients))
		for i, c := range clients {
			at[i] = victim
			if i%2 == 1 {
				at[i] = survivor
			}
			sessions[i] = c.connect(procs[at[i]], true)
		}
		for _, s := range sessions {
			s.start()
		}
		killAfter := time.Duration(300+rng.IntN(900)) * time.Millisecond
		select {
		case <-time.After(killAfter): // the crash moment itself, not a wait for a condition
		case <-procs[victim].done:
			t.Fatalf("round %d: an instance exited on its own: %v\n%s", round, procs[victim].err, procs[victim].stderr.String())
		}
		inFlight := 0
		for _, c := range clients {
			inFlight += c.freeze()
		}
		procs[victim].kill()
		killed := time.Now()

		// The victim's clients lose their connections; the survivor's keep theirs and
		// get what they had in flight confirmed.
		for i, s := range sessions {
			if at[i] == victim {
				s.wait(10 * time.Second)
			}
		}
		waitSettled(t, rec, clients, at, survivor, procs[survivor])
		if t.Failed() {
			t.Fatalf("round %d: protocol errors (see above)", round)
		}
		v := verifyLog(t, rec, st)
		unacked := 0
		for i, c := range clients {
			if at[i] == victim {
				u, _ := c.afterCrash(v.seqOf)
				unacked += u
			}
		}
		if t.Failed() {
			t.Fatalf("round %d: durability check failed (see above)", round)
		}

		// The victim's clients move to the survivor and resume there.
		moved := 0
		for i, c := range clients {
			if at[i] == victim {
				sessions[i] = c.connect(procs[survivor], false)
				sessions[i].start()
				moved++
			}
		}
		waitSettled(t, rec, clients, nil, survivor, procs[survivor])
		resumed := time.Since(killed)
		var sent, acked int
		var lat []time.Duration
		for _, c := range clients {
			s, a, _, l := c.roundCounts()
			sent, acked, lat = sent+s, acked+a, append(lat, l...)
		}
		t.Logf("round %d: instance %d killed after %d ms with %d ops in flight (%d of them unconfirmed from its clients); "+
			"%d clients moved to instance %d and resumed, their re-sends answered as the log requires, %v after the kill; "+
			"%d ops sent, %d acknowledged, confirmation latency %s",
			round, victim, killAfter.Milliseconds(), inFlight, unacked, moved, survivor, resumed.Round(time.Millisecond), sent, acked, quantiles(lat))

		// Everyone on the survivor sees the same board: every client reaches the log's end.
		v = verifyLog(t, rec, st)
		waitSeq(t, clients, v.n)
		for _, s := range sessions {
			s.cancel()
			s.wait(10 * time.Second)
		}
		// The victim comes back (on a new port: its old one may not be free yet).
		procs[victim] = startProc(t, bin, "", false, "-data", data, "-database-url", dbURL)
	}

	// A clean stop of both: the sockets close with "reconnect" (4002).
	final := make([]*session, len(clients))
	for i, c := range clients {
		final[i] = c.connect(procs[i%2], false)
		final[i].start()
	}
	for _, p := range procs {
		p.terminate(15 * time.Second)
	}
	for i, s := range final {
		s.wait(10 * time.Second)
		if code := websocket.CloseStatus(s.readErr); code != 4002 {
			t.Errorf("%s: on SIGTERM the connection ended with %v (close code %d), want 4002 (server restarting)", clients[i].id, s.readErr, code)
		}
	}
	v := verifyLog(t, rec, st)
	t.Logf("final: log seq 1..%d, %d ops acknowledged over the test, %d events observed, nothing lost or applied twice", v.n, rec.ackedCount(), rec.observedCount())
}

// waitSettled waits until no op of the clients on instance p (at[i] == on; nil: every
// client) is unconfirmed.
func waitSettled(t *testing.T, rec *recorder, clients []*client, at []int, on int, p *proc) {
	t.Helper()
	deadline := time.NewTimer(20 * time.Second)
	defer deadline.Stop()
	for {
		n := 0
		for i, c := range clients {
			if at == nil || at[i] == on {
				n += c.pendingCount()
			}
		}
		if n == 0 {
			return
		}
		select {
		case <-rec.progress:
		case <-p.done:
			t.Fatalf("instance %d exited: %v\n%s", on, p.err, p.stderr.String())
		case <-deadline.C:
			t.Fatalf("%d ops still unconfirmed at instance %d after 20s", n, on)
		}
	}
}

// waitSeq waits until every client has applied the events up to seq.
func waitSeq(t *testing.T, clients []*client, seq int64) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		behind := 0
		for _, c := range clients {
			c.mu.Lock()
			if c.lastSeq < seq {
				behind++
			}
			c.mu.Unlock()
		}
		if behind == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d clients have not seen every event up to seq %d after 20s", behind, seq)
		}
		time.Sleep(5 * time.Millisecond) // polling a condition, with a deadline
	}
}
