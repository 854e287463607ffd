package server_test

import (
	"context"
	"errors"
	"fmt"
	"html"
	mrand "math/rand"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/barnteam/barnteam/server/board"
	"github.com/barnteam/barnteam/server/realtime"
	"github.com/barnteam/barnteam/server/secret"
	"github.com/barnteam/barnteam/server/servertest"
	"github.com/barnteam/barnteam/server/store/pgtest"
	"github.com/barnteam/barnteam/server/store/postgres"
)

// Several instances on one PostgreSQL database, in one process: each instance is a whole
// server (its own store, pool, hub and listener) on its own port, as two processes would
// be. The tests with real processes (kill one, clients move to the other) are in
// cmd/barnteam.

// twoInstances starts two servers on one new database schema; the second is started
// beside the first (the demo is seeded once).
func twoInstances(t *testing.T, hub realtime.Options) (a, b *servertest.Env) {
	t.Helper()
	u := pgtest.Schema(t)
	open := func() board.Store {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		s, err := postgres.Open(ctx, u, postgres.Options{})
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	var logA, logB servertest.LogBuffer
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("instance a's log:\n%s\ninstance b's log:\n%s", logA.String(), logB.String())
		}
	})
	a = servertest.Start(t, servertest.Options{Store: open(), Hub: hub, Log: &logA})
	b = servertest.Start(t, servertest.Options{Store: open(), Hub: hub, Join: a, Log: &logB})
	return a, b
}

// TestClusterConvergence: five people make random ops on one meeting; each of their
// connections goes to either instance at random (reconnecting often, as behind a load
// balancer with no stickiness). Every op is applied once, every client ends with the
// store's board, nothing is lost, nothing is applied twice.
func TestClusterConvergence(t *testing.T) {
	t.Parallel()
	a, b := twoInstances(t, realtime.Options{})
	ctx := testCtx(t, 120*time.Second)
	seed := time.Now().UnixNano()
	t.Logf("seed %d", seed)
	members := []string{"demo-coord", "demo-guardian1", "demo-guardian2", "demo-teacher", "demo-ifo"}
	peers := make([]*peer, len(members))
	for i, m := range members {
		peers[i] = newPeer(t, a, m)
		rng := mrand.New(mrand.NewSource(seed + 100 + int64(i)))
		var mu sync.Mutex
		peers[i].pick = func() *servertest.Env {
			mu.Lock()
			defer mu.Unlock()
			if rng.Intn(2) == 0 {
				return a
			}
			return b
		}
	}
	var wg sync.WaitGroup
	errs := make([]error, len(peers))
	for i, p := range peers {
		rng := mrand.New(mrand.NewSource(seed + int64(i)))
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = runRandomClient(ctx, p, rng, 40)
		}()
	}
	wg.Wait()
	t.Cleanup(func() {
		for _, p := range peers {
			p.disconnect()
		}
	})
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	checkConverged(ctx, t, a, peers)
	for _, p := range peers {
		t.Logf("%-15s resumes %v, messages %v", p.member, p.resumes, p.stats)
	}
}

// TestClusterRoom: the room is one room whichever instance people are connected to.
// Presence shows everyone; the lobby of one instance shows on the leader's screen at the
// other, and letting someone in there lets them in here; a member removed at one
// instance is disconnected at the other; an instance that stops is forgotten.
func TestClusterRoom(t *testing.T) {
	t.Parallel()
	a, b := twoInstances(t, realtime.Options{Heartbeat: 50 * time.Millisecond})
	ctx := testCtx(t, 60*time.Second)
	coord := connectPeers(ctx, t, a, "demo-coord")[0]
	ifo := connectPeers(ctx, t, b, "demo-ifo")[0]
	teacher := connectPeers(ctx, t, b, "demo-teacher")[0]

	// Presence: the coordinator at a sees the two at b, and they see her.
	if err := awaitPresence(ctx, coord, func(ps []wPerson) bool {
		_, i := findPerson(ps, "demo-ifo")
		_, t := findPerson(ps, "demo-teacher")
		return i && t
	}); err != nil {
		t.Fatalf("the coordinator at one instance never sees the people at the other: %v", err)
	}
	if err := awaitPresence(ctx, ifo, func(ps []wPerson) bool { _, ok := findPerson(ps, "demo-coord"); return ok }); err != nil {
		t.Fatalf("the people at the other instance never see the coordinator: %v", err)
	}
	// A raised hand at b reaches the queue at a.
	if err := ifo.c.sendJSON(ctx, map[string]any{"t": "presence", "hand": true}); err != nil {
		t.Fatal(err)
	}
	if err := awaitPresence(ctx, coord, func(ps []wPerson) bool { p, ok := findPerson(ps, "demo-ifo"); return ok && p.Hand }); err != nil {
		t.Fatalf("a hand raised at the other instance: %v", err)
	}

	// The lobby: a guardian waits at b; the coordinator at a sees them and lets them in.
	hc := b.LobbyClient(t, "demo-guardian1")
	conn, _, err := b.Dial(ctx, hc, "demo-guardian1", -1, "")
	if err != nil {
		t.Fatal(err)
	}
	g := newTConn(conn)
	t.Cleanup(g.close)
	if m, err := nextOnLobby(ctx, g); err != nil || m.T != "lobby" || m.LobbyState != "waiting" {
		t.Fatalf("the guardian's lobby socket: %+v, %v", m, err)
	}
	key := sessionKey(t, b, hc, "demo-guardian1")
	if err := awaitLobbyList(ctx, coord, func(h string) bool {
		return strings.Contains(html.UnescapeString(h), `name="key" value="`+key+`"`)
	}); err != nil {
		t.Fatalf("the leader never sees who waits at the other instance: %v", err)
	}
	resp, err := coord.httpc.PostForm(a.BoardURL("demo-coord")+"lobby", url.Values{"key": {key}, "decision": {"admit"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if m, err := nextOnLobby(ctx, g); err != nil || m.T != "lobby" || m.LobbyState != "admitted" {
		t.Fatalf("let in at the other instance: %+v, %v; want admitted", m, err)
	}

	// Removed at a, disconnected at b.
	resp, err = coord.httpc.PostForm(a.BoardURL("demo-coord")+"remove", url.Values{"member": {"demo-teacher"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode >= 400 {
		t.Fatalf("remove: status %d", resp.StatusCode)
	}
	code, err := teacher.c.closeStatus(ctx)
	if err != nil || code != realtime.CloseForbidden {
		t.Fatalf("the removed member's socket at the other instance: code %d, %v; want %d", code, err, realtime.CloseForbidden)
	}

	// b stops: its people are told to reconnect, and a forgets them at once.
	b.Stop()
	if code, err := ifo.c.closeStatus(ctx); err != nil || code != realtime.CloseServerRestart {
		t.Fatalf("the stopping instance's socket: code %d, %v; want %d", code, err, realtime.CloseServerRestart)
	}
	if err := awaitPresence(ctx, coord, func(ps []wPerson) bool { _, ok := findPerson(ps, "demo-ifo"); return !ok }); err != nil {
		t.Fatalf("the stopped instance's people stay in presence: %v", err)
	}
	// And they come back at a, resuming.
	ifo.env = a
	if err := ifo.connect(ctx, false); err != nil {
		t.Fatal(err)
	}
	if ifo.welcome.Resume != "current" {
		t.Errorf("resume at the other instance: %q, want current", ifo.welcome.Resume)
	}
}

// TestClusterListenerLost: the connection on which instance b listens is cut by the
// database. Whatever a commits meanwhile reaches b's clients once b listens again,
// without any further op; and b checks its connections' sessions again, since a
// "close these" may have been lost: a session deleted meanwhile is closed.
func TestClusterListenerLost(t *testing.T) {
	t.Parallel()
	a, b := twoInstances(t, realtime.Options{})
	ctx := testCtx(t, 60*time.Second)
	teacher := connectPeers(ctx, t, a, "demo-teacher")[0]
	ifo := connectPeers(ctx, t, b, "demo-ifo")[0]
	guardian := connectPeers(ctx, t, b, "demo-guardian1")[0]

	// The guardian's session ends without any message (straight in the database): only a
	// check of the sessions can find it.
	u, _ := url.Parse(b.URL)
	var hash []byte
	for _, ck := range guardian.httpc.Jar.Cookies(u) {
		if strings.HasSuffix(ck.Name, "bt-demo-guardian1") {
			hash = secret.Hash(ck.Value)
		}
	}
	if hash == nil {
		t.Fatal("no guardian session cookie")
	}
	if err := b.Store.DeleteSession(ctx, hash); err != nil {
		t.Fatal(err)
	}

	name := b.Store.(interface{ ListenApplicationName() string }).ListenApplicationName()
	conn := pgtest.Connect(t, pgtest.BaseURL(t))
	defer conn.Close(context.Background())
	tag, err := conn.Exec(ctx, `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1`, name)
	if err != nil || tag.RowsAffected() != 1 {
		t.Fatalf("cut b's listener: %v (%d rows)", err, tag.RowsAffected())
	}
	// Edits at a while b does not listen (b reconnects within tens of milliseconds; some
	// of these land before, some after).
	var last int64
	for i := 0; i < 20; i++ {
		last = teacher.mustApply(ctx, setOp("compass/fritid", "works", teacher.model.Compass["fritid"].Works.R, "Läser gärna, del "+string(rune('A'+i))))
	}
	if err := ifo.catchUp(ctx, last); err != nil {
		t.Fatalf("b's client after b listens again: %v", err)
	}
	if got, want := ifo.model.content(), storeModel(t, a).content(); got != want {
		t.Errorf("b's client differs from the store:\n%s", firstDiff(got, want))
	}
	code, err := guardian.c.closeStatus(ctx)
	if err != nil || code != realtime.CloseUnauthorized {
		t.Fatalf("the ended session's socket after the resync: code %d, %v; want %d", code, err, realtime.CloseUnauthorized)
	}
}

// TestClusterSeqConflict: two people at two instances edit the same meeting at the same
// moment, over and over: the database gives each change one seq, the loser of each race
// reads the winner's change and applies its own after it, and both clients see the same
// board with every op once.
func TestClusterSeqConflict(t *testing.T) {
	t.Parallel()
	a, b := twoInstances(t, realtime.Options{OpsPerSecond: 1000, OpsBurst: 1000})
	ctx := testCtx(t, 60*time.Second)
	pa := connectPeers(ctx, t, a, "demo-teacher")[0]
	pb := connectPeers(ctx, t, b, "demo-ifo")[0]
	areas := board.Areas
	const rounds = 30
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i, p := range []*peer{pa, pb} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(i), 7))
			for r := 0; r < rounds; r++ {
				area := areas[rng.IntN(len(areas))]
				op := newOp("rate", "compass/"+string(area), 0, map[string]any{"perspective": "professionals", "value": string(rune('1' + rng.IntN(5)))})
				o, err := doRetrying(ctx, p, op)
				if err == nil && o.Code != "" {
					err = fmt.Errorf("%s: op refused: %s", p.member, o.Code)
				}
				if err != nil {
					errs[i] = err
					return
				}
			}
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	checkConverged(ctx, t, a, []*peer{pa, pb})
	if n := len(opLog(t, a)); n < 2*rounds {
		t.Errorf("%d ops in the log, want at least %d", n, 2*rounds)
	}
	var conflicts float64
	for _, env := range []*servertest.Env{a, b} {
		conflicts += metricValue(t, env, "barnteam_seq_conflicts_total")
	}
	t.Logf("%v ops applied again after a seq conflict", conflicts)
}

// metricValue reads one metric (without labels) from a server's metrics handler.
func metricValue(t *testing.T, env *servertest.Env, name string) float64 {
	t.Helper()
	rec := httptest.NewRecorder()
	env.Server.MetricsHandler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	for _, line := range strings.Split(rec.Body.String(), "\n") {
		if v, ok := strings.CutPrefix(line, name+" "); ok {
			var f float64
			if _, err := fmt.Sscan(v, &f); err != nil {
				t.Fatalf("%s: %v", line, err)
			}
			return f
		}
	}
	t.Fatalf("no metric %s", name)
	return 0
}

// doRetrying sends an op and waits for its outcome, sending it again after a moment
// when the server says "try again" (as clients do).
func doRetrying(ctx context.Context, p *peer, op opMsg) (outcome, error) {
	if err := p.send(ctx, op); err != nil {
		return outcome{}, err
	}
	for {
		if o, ok := p.out[op.CID]; ok {
			return o, nil
		}
		i, _ := p.isPending(op.CID)
		retry := i >= 0 && p.pending[i].retry
		m, err := nextOrRetry(ctx, p, retry)
		if err != nil && retry && ctx.Err() == nil && errors.Is(err, context.DeadlineExceeded) {
			p.pending[i].retry = false
			p.stats["retried"]++
			if err := p.c.sendJSON(ctx, op); err != nil {
				return outcome{}, err
			}
			continue
		}
		if err != nil {
			return outcome{}, err
		}
		if err := p.handle(m); err != nil {
			return outcome{}, err
		}
	}
}
