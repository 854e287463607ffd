package server_test

// Protocol tests: real WebSocket clients (protocoltest_test.go) against a real server
// (servertest), checking what docs/PROTOCOL.md and DESIGN.md "The live board" promise.

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"io"
	"math/rand"
	"net"
	"net/http"
	"net/url"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/barnteam/barnteam/server/board"
	"github.com/barnteam/barnteam/server/realtime"
	"github.com/barnteam/barnteam/server/servertest"
)

// ---------------------------------------------------------------------------------------
// 1. Convergence under random ops, disconnects and reconnects.

// permsOf is the permission matrix as docs/PERMISSIONS.md states it (the generator only
// makes ops the role may send; TestProtocolPermissions checks refusals).
var permsOf = map[string]map[string]bool{
	"coordinator":   set("agenda.structure", "agenda.notes", "meeting.control", "compass.write", "compass.child_voice", "compass.guardians_view", "compass.rate", "goal.write", "goal.delete", "action.write", "action.delete"),
	"child_contact": set("agenda.structure", "agenda.notes", "compass.write", "compass.child_voice", "compass.guardians_view", "compass.rate", "goal.write", "goal.delete", "action.write", "action.delete"),
	"professional":  set("agenda.notes", "compass.write", "compass.child_voice", "compass.guardians_view", "compass.rate", "goal.write", "goal.delete", "action.write", "action.delete"),
	"guardian":      set("compass.write", "compass.child_voice", "compass.guardians_view", "compass.rate", "goal.write", "action.write"),
	"child":         set("compass.child_voice", "compass.rate"),
}

func set(xs ...string) map[string]bool {
	m := map[string]bool{}
	for _, x := range xs {
		m[x] = true
	}
	return m
}

var areas = []string{"trygghet", "halsa", "utveckling", "omsorg", "fritid", "tillhorighet", "respekt", "ansvar"}

var words = strings.Fields("Alva rast skola mage sömn kompis fotboll läxa buss lärare morgon frukost " +
	"trygg glad trött ledsen arg orolig vuxen klass matte läsning simning måndag tisdag kväll hem")

// opGen makes random ops that the peer's role may send, from the peer's own model.
type opGen struct {
	rng *rand.Rand
	p   *peer
	n   int
}

func (g *opGen) pick(xs []string) string { return xs[g.rng.Intn(len(xs))] }

func (g *opGen) sentence() string {
	n := 2 + g.rng.Intn(5)
	ws := make([]string, n)
	for i := range ws {
		ws[i] = g.pick(words)
	}
	s := strings.Join(ws, " ")
	return strings.ToUpper(s[:1]) + s[1:] + "."
}

// edit returns a new version of a text: a fresh sentence, one appended, or a word changed.
func (g *opGen) edit(cur string, max int) string {
	ws := strings.Fields(cur)
	switch r := g.rng.Intn(3); {
	case len(ws) == 0 || len([]rune(cur)) > max-60 || r == 0:
		return g.sentence()
	case r == 1:
		return cur + " " + g.sentence()
	default:
		ws[g.rng.Intn(len(ws))] = g.pick(words)
		return strings.Join(ws, " ")
	}
}

func (g *opGen) id(kind string) string {
	g.n++
	return fmt.Sprintf("%s-%s-%d", kind, strings.TrimPrefix(g.p.member, "demo-"), g.n)
}

func sortedKeys[T any](m map[string]T) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

// after picks a placement: absent (last), "" (first) or after a random live item.
func (g *opGen) after(ids []string, data map[string]any) {
	switch r := g.rng.Intn(3); {
	case r == 0 || len(ids) == 0:
	case r == 1:
		data["after"] = ""
	default:
		data["after"] = g.pick(ids)
	}
}

func (g *opGen) perspective() string {
	switch g.p.role {
	case "child":
		return "child"
	case "guardian":
		return "guardian:" + g.p.member
	}
	return "professionals"
}

// maxLive bounds the live items of each list: creation and deletion keep going, and the
// regions the server renders for every event stay small.
const maxLive = 6

// next returns a random op; the role's permissions decide which kinds are possible.
func (g *opGen) next() opMsg {
	m, perm := g.p.model, permsOf[g.p.role]
	agenda, goals, actions := sortedKeys(m.Agenda), sortedKeys(m.Goals), sortedKeys(m.Actions)
	var makers []func() (opMsg, bool)
	add := func(p string, weight int, f func() (opMsg, bool)) {
		if perm[p] {
			for range weight {
				makers = append(makers, f)
			}
		}
	}
	add("agenda.structure", 2, func() (opMsg, bool) {
		if len(agenda) >= maxLive {
			return opMsg{}, false
		}
		d := map[string]any{"title": g.sentence(), "timebox_min": g.rng.Intn(60)}
		g.after(agenda, d)
		return newOp("create", "agenda/"+g.id("ag"), 0, d), true
	})
	add("agenda.structure", 3, func() (opMsg, bool) {
		if len(agenda) == 0 {
			return opMsg{}, false
		}
		id := g.pick(agenda)
		it := m.Agenda[id]
		switch g.rng.Intn(4) {
		case 0:
			return setOp("agenda/"+id, "title", it.Title.R, g.edit(it.Title.V, 200)), true
		case 1:
			return setOp("agenda/"+id, "timebox_min", 0, g.rng.Intn(481)), true
		case 2:
			return setOp("agenda/"+id, "status", 0, g.pick([]string{"open", "done", "skipped"})), true
		default:
			d := map[string]any{}
			g.after(agenda, d)
			return newOp("move", "agenda/"+id, 0, d), true
		}
	})
	add("agenda.structure", 1, func() (opMsg, bool) {
		if len(agenda) <= 3 {
			return opMsg{}, false
		}
		return newOp("delete", "agenda/"+g.pick(agenda), 0, nil), true
	})
	add("agenda.notes", 3, func() (opMsg, bool) {
		if len(agenda) == 0 {
			return opMsg{}, false
		}
		id := g.pick(agenda)
		return setOp("agenda/"+id, "notes", m.Agenda[id].Notes.R, g.edit(m.Agenda[id].Notes.V, 300)), true
	})
	add("meeting.control", 2, func() (opMsg, bool) {
		to := ""
		if len(agenda) > 0 && g.rng.Intn(5) > 0 {
			to = g.pick(agenda)
		}
		return newOp("goto", "meeting", 0, map[string]any{"from": m.Meeting.CurrentItem, "to": to}), true
	})
	compassField := func(p, field string) {
		add(p, 2, func() (opMsg, bool) {
			a := g.pick(areas)
			var cur wText
			switch c := m.Compass[a]; field {
			case "works":
				cur = c.Works
			case "worries":
				cur = c.Worries
			case "child_voice":
				cur = c.ChildVoice
			case "guardians_view":
				cur = c.GuardiansView
			}
			return setOp("compass/"+a, field, cur.R, g.edit(cur.V, 300)), true
		})
	}
	compassField("compass.write", "works")
	compassField("compass.write", "worries")
	compassField("compass.child_voice", "child_voice")
	compassField("compass.guardians_view", "guardians_view")
	add("compass.rate", 3, func() (opMsg, bool) {
		v := g.pick([]string{"1", "2", "3", "4", "5", "unknown", "declined", ""})
		return newOp("rate", "compass/"+g.pick(areas), 0, map[string]any{"perspective": g.perspective(), "value": v}), true
	})
	add("goal.write", 2, func() (opMsg, bool) {
		if len(goals) >= maxLive {
			return opMsg{}, false
		}
		d := map[string]any{"area": g.pick(areas), "term": g.pick([]string{"long", "short"}), "text": g.sentence()}
		g.after(goals, d)
		return newOp("create", "goal/"+g.id("goal"), 0, d), true
	})
	add("goal.write", 3, func() (opMsg, bool) {
		if len(goals) == 0 {
			return opMsg{}, false
		}
		id := g.pick(goals)
		switch g.rng.Intn(3) {
		case 0:
			return setOp("goal/"+id, "text", m.Goals[id].Text.R, g.edit(m.Goals[id].Text.V, 300)), true
		case 1:
			return setOp("goal/"+id, "term", 0, g.pick([]string{"long", "short"})), true
		default:
			d := map[string]any{}
			g.after(goals, d)
			return newOp("move", "goal/"+id, 0, d), true
		}
	})
	add("goal.delete", 1, func() (opMsg, bool) {
		if len(goals) <= 2 {
			return opMsg{}, false
		}
		return newOp("delete", "goal/"+g.pick(goals), 0, nil), true
	})
	add("action.write", 2, func() (opMsg, bool) {
		if len(actions) >= maxLive {
			return opMsg{}, false
		}
		d := map[string]any{"what": g.sentence(), "status": g.pick([]string{"planned", "ongoing", "done", "not_done"})}
		if g.rng.Intn(2) == 0 {
			d["responsible"] = g.pick([]string{"member:demo-teacher", "member:demo-guardian1", "org:demo-skola", ""})
			d["area"] = g.pick(areas)
			d["external"] = g.rng.Intn(2) == 0
		}
		g.after(actions, d)
		return newOp("create", "action/"+g.id("act"), 0, d), true
	})
	add("action.write", 4, func() (opMsg, bool) {
		if len(actions) == 0 {
			return opMsg{}, false
		}
		id := g.pick(actions)
		a := m.Actions[id]
		switch g.rng.Intn(8) {
		case 0:
			return setOp("action/"+id, "what", a.What.R, g.edit(a.What.V, 200)), true
		case 1:
			return setOp("action/"+id, "responsible", 0, g.pick([]string{"member:demo-nurse", "member:demo-coord", "org:demo-ifo", ""})), true
		case 2:
			return setOp("action/"+id, "due", 0, g.pick([]string{"", "2026-11-02", "2027-01-15"})), true
		case 3:
			return setOp("action/"+id, "status", 0, g.pick([]string{"planned", "ongoing", "done", "not_done"})), true
		case 4:
			return setOp("action/"+id, "frequency", 0, g.pick([]string{"", "Varje vecka", "Varje skoldag"})), true
		case 5:
			goal := ""
			if len(goals) > 0 {
				goal = g.pick(goals)
			}
			return setOp("action/"+id, "goal_id", 0, goal), true
		case 6:
			return setOp("action/"+id, "external", 0, g.rng.Intn(2) == 0), true
		default:
			d := map[string]any{}
			g.after(actions, d)
			return newOp("move", "action/"+id, 0, d), true
		}
	})
	add("action.delete", 1, func() (opMsg, bool) {
		if len(actions) <= 2 {
			return opMsg{}, false
		}
		return newOp("delete", "action/"+g.pick(actions), 0, nil), true
	})
	for {
		if op, ok := makers[g.rng.Intn(len(makers))](); ok {
			return op
		}
	}
}

// reconnectable says whether a close code tells the client to come back.
func reconnectable(code websocket.StatusCode) bool {
	switch code {
	case 4000, 4001, 4002, 4003, 1001, 1006, 1011, 1012, 1013, -1:
		return true
	}
	return false
}

// runRandomClient sends nops random ops with a small window of unconfirmed ones, drops the
// connection at random moments (sometimes right after sending, before anything is read)
// and comes back resuming from its model, until every op it made is confirmed.
func runRandomClient(ctx context.Context, p *peer, rng *rand.Rand, nops int) error {
	g := &opGen{rng: rng, p: p}
	window := 1 + rng.Intn(4)
	reconnect := func() error {
		p.disconnect()
		p.stats["reconnects"]++
		return p.connect(ctx, rng.Intn(8) == 0) // now and then start over from a snapshot
	}
	if err := p.connect(ctx, false); err != nil {
		return err
	}
	made := 0
	for made < nops || len(p.pending) > 0 {
		for made < nops && len(p.pending) < window {
			made++
			if err := p.send(ctx, g.next()); err != nil {
				if err := reconnect(); err != nil { // the op is pending: re-sent after welcome
					return err
				}
			}
			if rng.Intn(30) == 0 {
				if err := reconnect(); err != nil { // the "lost ack" case
					return err
				}
			}
		}
		retry := false
		for _, po := range p.pending {
			retry = retry || po.retry
		}
		m, err := nextOrRetry(ctx, p, retry)
		switch {
		case err != nil && retry && ctx.Err() == nil && errors.Is(err, context.DeadlineExceeded):
			for _, po := range p.pending {
				if po.retry {
					po.retry = false
					p.stats["retried"]++
					if err := p.c.sendJSON(ctx, po.op); err != nil {
						return err
					}
				}
			}
			continue
		case err != nil:
			code := websocket.CloseStatus(err)
			if ctx.Err() != nil || !reconnectable(code) {
				return fmt.Errorf("%s: connection ended: %w", p.member, err)
			}
			p.stats[fmt.Sprintf("server close %d", code)]++
			if err := reconnect(); err != nil {
				return err
			}
			continue
		}
		if err := p.handle(m); err != nil {
			return err
		}
		if rng.Intn(60) == 0 {
			if err := reconnect(); err != nil {
				return err
			}
		}
	}
	return nil
}

// nextOrRetry reads the next message; with ops to send again ("rate" or "unavailable":
// "send it again a little later") it gives up after a short while.
func nextOrRetry(ctx context.Context, p *peer, retry bool) (srvMsg, error) {
	if !retry {
		return p.c.next(ctx)
	}
	rctx, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	return p.c.next(rctx)
}

func TestProtocolConvergence(t *testing.T) {
	t.Parallel()
	seed := time.Now().UnixNano()
	if s := os.Getenv("BARNTEAM_PROTOCOL_SEED"); s != "" {
		seed, _ = strconv.ParseInt(s, 10, 64)
	}
	t.Logf("seed %d (BARNTEAM_PROTOCOL_SEED=%d replays each client's random choices; the ops also depend on timing)", seed, seed)
	var logBuf servertest.LogBuffer
	env := servertest.Start(t, servertest.Options{Log: &logBuf})
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("server log:\n%s", logBuf.String())
		}
	})
	ctx := testCtx(t, 120*time.Second)

	// Five people, four rendering variants (the server renders each event once per
	// variant): the coordinator, both guardians (each rates from their own perspective,
	// one reads English) and two professionals.
	members := []string{"demo-coord", "demo-guardian1", "demo-guardian2", "demo-teacher", "demo-ifo"}
	opsEach := 50
	peers := make([]*peer, len(members))
	for i, m := range members {
		peers[i] = newPeer(t, env, m)
	}
	var wg sync.WaitGroup
	errs := make([]error, len(peers))
	for i, p := range peers {
		rng := rand.New(rand.NewSource(seed + int64(i)))
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = runRandomClient(ctx, p, rng, opsEach)
		}()
	}
	wg.Wait()
	t.Cleanup(func() {
		for _, p := range peers {
			p.disconnect()
		}
	})
	failed := false
	for _, err := range errs {
		if err != nil {
			t.Error(err)
			failed = true
		}
	}
	if failed {
		t.FailNow()
	}

	checkConverged(ctx, t, env, peers)
}

// checkConverged brings every client up to the store's seq after their random ops and
// checks that they all show the store's board; that the op log has seqs 1..N without
// gaps and each cid once; and that every op confirmed to a client is in the log exactly
// once, at the seq the client was told, and no refused op is.
func checkConverged(ctx context.Context, t *testing.T, env *servertest.Env, peers []*peer) {
	t.Helper()
	// Every op is confirmed; bring every client up to the server's seq and compare.
	want := storeModel(t, env)
	for _, p := range peers {
		if p.c == nil {
			if err := p.connect(ctx, false); err != nil {
				t.Fatal(err)
			}
		}
		if err := p.catchUp(ctx, want.Seq); err != nil {
			t.Fatal(err)
		}
		if len(p.pending) != 0 {
			t.Errorf("%s: %d ops still unconfirmed", p.member, len(p.pending))
		}
		if p.model.Seq != want.Seq || p.model.Epoch != want.Epoch {
			t.Errorf("%s: at seq %d epoch %q, the store at %d %q", p.member, p.model.Seq, p.model.Epoch, want.Seq, want.Epoch)
		}
		if got := p.model.content(); got != want.content() {
			t.Errorf("%s: board differs from the store's:\n%s", p.member, firstDiff(got, want.content()))
		}
		checkAppliedRun(t, p)
	}

	// The op log: seqs 1..N without gaps, each cid once, every confirmed op exactly once
	// at the seq the client was told.
	log := opLog(t, env)
	if int64(len(log)) != want.Seq {
		t.Errorf("op log has %d ops, board seq is %d", len(log), want.Seq)
	}
	bycid := map[string]int64{}
	for i, ch := range log {
		if ch.Seq != int64(i+1) {
			t.Fatalf("op log: entry %d has seq %d", i, ch.Seq)
		}
		if prev, dup := bycid[ch.CID]; dup {
			t.Errorf("op log: cid %q applied twice, at %d and %d", ch.CID, prev, ch.Seq)
		}
		bycid[ch.CID] = ch.Seq
	}
	total := map[string]int{}
	rejects := map[string]int{}
	for _, p := range peers {
		for cid, o := range p.out {
			seq, inLog := bycid[cid]
			switch {
			case o.Code == "" && !inLog:
				t.Errorf("%s: op %q confirmed (%s at %d) but not in the op log", p.member, cid, o.Via, o.Seq)
			case o.Code == "" && seq != o.Seq:
				t.Errorf("%s: op %q confirmed at %d, logged at %d", p.member, cid, o.Seq, seq)
			case o.Code != "" && inLog:
				t.Errorf("%s: op %q refused (%s) but applied at %d", p.member, cid, o.Code, seq)
			}
			if o.Code != "" {
				rejects[o.Code]++
			}
			total[o.Via]++
		}
		t.Logf("%-15s %-12s resumes %v, messages %v", p.member, p.role, p.resumes, p.stats)
	}
	if forb := rejects["forbidden"]; forb > 0 {
		t.Errorf("%d ops the role may send were refused as forbidden", forb)
	}
	t.Logf("board at seq %d: %d agenda items, %d goals, %d actions; outcomes %v; refusals %v",
		want.Seq, len(want.Agenda), len(want.Goals), len(want.Actions), total, rejects)
}

// checkAppliedRun checks the seqs a client applied: strictly increasing, and contiguous
// except where a snapshot took the client forward.
func checkAppliedRun(t *testing.T, p *peer) {
	t.Helper()
	snap := map[int64]bool{}
	for _, s := range p.snapshots {
		snap[s] = true
	}
	for i := 1; i < len(p.applied); i++ {
		prev, cur := p.applied[i-1], p.applied[i]
		if cur <= prev {
			t.Errorf("%s: applied seq %d after %d (duplicate or out of order)", p.member, cur, prev)
		} else if cur != prev+1 && !snap[cur-1] {
			t.Errorf("%s: gap: applied %d after %d with no snapshot at %d", p.member, cur, prev, cur-1)
		}
	}
}

// firstDiff shows where two texts start to differ.
func firstDiff(got, want string) string {
	g, w := strings.Split(got, "\n"), strings.Split(want, "\n")
	for i := 0; i < len(g) || i < len(w); i++ {
		var gl, wl string
		if i < len(g) {
			gl = g[i]
		}
		if i < len(w) {
			wl = w[i]
		}
		if gl != wl {
			lo := max(0, i-3)
			return fmt.Sprintf("line %d:\n  got:  %s\n  want: %s\n(context: %s)", i+1, gl, wl, strings.Join(w[lo:i], " | "))
		}
	}
	return "(equal)"
}

// ---------------------------------------------------------------------------------------
// 2. Idempotent resend.

func TestProtocolIdempotentResend(t *testing.T) {
	t.Parallel()
	env := servertest.Start(t, servertest.Options{})
	ctx := testCtx(t, 20*time.Second)
	a := connectPeers(ctx, t, env, "demo-teacher")[0]

	op := setOp("compass/halsa", "works", a.model.Compass["halsa"].Works.R, "Alva cyklar till skolan.")
	seq := a.mustApply(ctx, op)

	// expectAck re-sends op on p's connection: the answer is an ack with the original seq,
	// and the board does not move (the next op gets the very next seq).
	expectAck := func(t *testing.T, p *peer, op opMsg, seq int64) {
		t.Helper()
		before := storeSeq(t, env)
		if err := p.c.sendJSON(ctx, op); err != nil {
			t.Fatal(err)
		}
		m, err := p.c.nextOf(ctx, "ack", "event", "reject")
		if err != nil {
			t.Fatal(err)
		}
		if m.T != "ack" || m.CID != op.CID || m.Seq != seq {
			t.Fatalf("re-sent op answered with %+v, want ack of %q at seq %d", m, op.CID, seq)
		}
		if err := p.handle(m); err != nil {
			t.Fatal(err)
		}
		if got := storeSeq(t, env); got != before {
			t.Fatalf("board seq moved from %d to %d on a re-sent op", before, got)
		}
		probe := p.mustApply(ctx, newOp("rate", "compass/halsa", 0, map[string]any{"perspective": "professionals", "value": "4"}))
		if probe != before+1 {
			t.Fatalf("next op got seq %d, want %d", probe, before+1)
		}
	}

	t.Run("same connection", func(t *testing.T) { expectAck(t, a, op, seq) })
	t.Run("new connection", func(t *testing.T) {
		a.disconnect()
		a.mustConnect(ctx)
		expectAck(t, a, op, seq)
	})
	t.Run("other session of the same member", func(t *testing.T) {
		b := newPeer(t, env, "demo-teacher").mustConnect(ctx)
		defer b.disconnect()
		b.out[op.CID] = outcome{Seq: seq, Via: "event"} // b knows the op as its own
		expectAck(t, b, op, seq)
	})

	// The lost ack: the op leaves, the connection dies before anything is read; the client
	// resumes from the seq it had and re-sends. Whether the first copy was applied before
	// the reconnect or not, the op is applied exactly once. Repeated, since which of the
	// two happens is up to timing.
	t.Run("lost ack", func(t *testing.T) {
		if err := a.catchUp(ctx, storeSeq(t, env)); err != nil {
			t.Fatal(err)
		}
		paths := map[string]int{}
		for i := range 8 {
			before := storeSeq(t, env)
			if a.model.Seq != before {
				t.Fatalf("client at %d, board at %d", a.model.Seq, before)
			}
			lost := setOp("compass/fritid", "worries", a.model.Compass["fritid"].Worries.R, fmt.Sprintf("Version %d av oron.", i))
			if err := a.send(ctx, lost); err != nil {
				t.Fatal(err)
			}
			a.disconnect() // nothing read
			events := a.stats["event"]
			if err := a.connect(ctx, false); err != nil { // since=before; re-sends lost
				t.Fatal(err)
			}
			o, err := a.await(ctx, lost.CID)
			if err != nil {
				t.Fatal(err)
			}
			if o.Code != "" || o.Seq != before+1 {
				t.Fatalf("lost op: %+v, want applied at %d", o, before+1)
			}
			// If it was applied before the reconnect, the resume brought its event and the
			// re-send gets an ack; otherwise the re-send is applied now.
			if a.welcome.Resume == "events" {
				m, err := a.c.nextOf(ctx, "ack")
				if err != nil {
					t.Fatal(err)
				}
				if m.CID != lost.CID || m.Seq != before+1 {
					t.Fatalf("re-sent op after resumed event: %+v", m)
				}
				if err := a.handle(m); err != nil {
					t.Fatal(err)
				}
				paths["applied before the reconnect"]++
			} else {
				paths["applied by the re-send"]++
			}
			if got := a.stats["event"] - events; got != 1 {
				t.Fatalf("%d events for one op", got)
			}
			if got := storeSeq(t, env); got != before+1 {
				t.Fatalf("board went from %d to %d for one op", before, got)
			}
		}
		t.Logf("lost ack: %v", paths)
	})

	// Every cid at most once in the op log.
	seen := map[string]bool{}
	for _, ch := range opLog(t, env) {
		if seen[ch.CID] {
			t.Errorf("cid %q twice in the op log", ch.CID)
		}
		seen[ch.CID] = true
	}
}

// ---------------------------------------------------------------------------------------
// 3. Resume.

// makeChanges has the peers make n changes between them (taking turns, which also keeps
// each under the per-connection rate limit) and returns the last seq.
func makeChanges(ctx context.Context, t *testing.T, n int, ps ...*peer) int64 {
	t.Helper()
	var seq int64
	for i := range n {
		p := ps[i%len(ps)]
		a := areas[i%len(areas)]
		seq = p.mustApply(ctx, newOp("rate", "compass/"+a, 0, map[string]any{"perspective": "professionals", "value": strconv.Itoa(1 + i%5)}))
	}
	return seq
}

func TestProtocolResume(t *testing.T) {
	t.Parallel()
	env := servertest.Start(t, servertest.Options{})
	ctx := testCtx(t, 30*time.Second)
	ps := connectPeers(ctx, t, env, "demo-guardian1", "demo-teacher", "demo-ifo")
	a, others := ps[0], ps[1:]

	// liveNext checks that after a resume the next event is the next seq, with nothing
	// repeated or skipped on the way.
	liveNext := func(t *testing.T) {
		t.Helper()
		at := a.model.Seq
		seq := makeChanges(ctx, t, 1, others[0])
		if seq != at+1 {
			t.Fatalf("board at %d after one change from %d", seq, at)
		}
		m, err := a.c.nextOf(ctx, "event")
		if err != nil {
			t.Fatal(err)
		}
		if m.Seq != at+1 {
			t.Fatalf("first live event after resume has seq %d, want %d", m.Seq, at+1)
		}
		if err := a.handle(m); err != nil {
			t.Fatal(err)
		}
	}

	t.Run("few missed: events", func(t *testing.T) {
		if err := a.catchUp(ctx, storeSeq(t, env)); err != nil {
			t.Fatal(err)
		}
		s := a.model.Seq
		a.disconnect()
		const k = 5
		last := makeChanges(ctx, t, k, others...)
		if last != s+k {
			t.Fatalf("board at %d after %d changes from %d", last, k, s)
		}
		ws, _, err := env.Dial(ctx, a.httpc, a.member, s, a.model.Epoch)
		if err != nil {
			t.Fatal(err)
		}
		a.c = newTConn(ws)
		w, err := a.c.next(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if w.T != "welcome" || w.Resume != "events" || w.Seq != s+k || w.Epoch != a.model.Epoch {
			t.Fatalf("welcome %+v, want resume events at seq %d", w, s+k)
		}
		// Exactly S+1..S+k, nothing else in between.
		for want := s + 1; want <= s+k; want++ {
			m, err := a.nextNoHB(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if m.T != "event" || m.Seq != want {
				t.Fatalf("missed event %d: got %s seq %d", want, m.T, m.Seq)
			}
			if err := a.handle(m); err != nil {
				t.Fatal(err)
			}
		}
		liveNext(t)
	})

	snapshotCase := func(name string, prepare func(t *testing.T) (since int64, epoch string)) {
		t.Run(name, func(t *testing.T) {
			if err := a.catchUp(ctx, storeSeq(t, env)); err != nil {
				t.Fatal(err)
			}
			a.disconnect()
			since, epoch := prepare(t)
			now := storeSeq(t, env)
			ws, _, err := env.Dial(ctx, a.httpc, a.member, since, epoch)
			if err != nil {
				t.Fatal(err)
			}
			a.c = newTConn(ws)
			w, err := a.c.next(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if w.T != "welcome" || w.Resume != "snapshot" || w.Seq != now {
				t.Fatalf("welcome %+v, want resume snapshot at seq %d", w, now)
			}
			m, err := a.nextNoHB(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if m.T != "snapshot" || m.Seq != now || m.Epoch != w.Epoch || m.State == nil {
				t.Fatalf("after welcome got %s seq %d, want the snapshot at %d", m.T, m.Seq, now)
			}
			a.model = modelFromState(m.State, m.Seq, m.Epoch)
			if got, want := a.model.content(), storeModel(t, env).content(); got != want {
				t.Fatalf("snapshot differs from the store's board:\n%s", firstDiff(got, want))
			}
			liveNext(t)
		})
	}
	snapshotCase("far behind", func(t *testing.T) (int64, string) {
		s := a.model.Seq
		makeChanges(ctx, t, 80, others...) // more than any "few"
		return s, a.model.Epoch
	})
	snapshotCase("wrong epoch", func(t *testing.T) (int64, string) {
		makeChanges(ctx, t, 1, others...)
		return a.model.Seq, "not-the-epoch"
	})
	snapshotCase("since in the future", func(t *testing.T) (int64, string) {
		return a.model.Seq + 1000, a.model.Epoch
	})
	snapshotCase("no since", func(t *testing.T) (int64, string) {
		return -1, ""
	})

	t.Run("nothing missed: current", func(t *testing.T) {
		if err := a.catchUp(ctx, storeSeq(t, env)); err != nil {
			t.Fatal(err)
		}
		a.disconnect()
		if err := a.connect(ctx, false); err != nil {
			t.Fatal(err)
		}
		if a.welcome.Resume != "current" {
			t.Fatalf("resume %q with nothing missed, want current", a.welcome.Resume)
		}
		liveNext(t)
	})
}

// ---------------------------------------------------------------------------------------
// 4. Slow consumer.

// bigText is about 26 KB of text: an op that carries it still fits in 32 KiB.
func bigText(rng *rand.Rand) string {
	runes := []rune("😀🌱📚⚽ ")
	var sb strings.Builder
	for range board.MaxTextLen - 100 {
		sb.WriteRune(runes[rng.Intn(len(runes))])
	}
	return sb.String()
}

// kernelSendBufferMax is the most a TCP socket's send buffer can hold here.
func kernelSendBufferMax(t *testing.T) int {
	b, err := os.ReadFile("/proc/sys/net/ipv4/tcp_wmem")
	if f := strings.Fields(string(b)); err == nil && len(f) == 3 {
		if n, err := strconv.Atoi(f[2]); err == nil {
			return n
		}
	}
	t.Logf("tcp_wmem unknown (%v); assuming 16 MiB", err)
	return 16 << 20
}

func TestProtocolSlowConsumer(t *testing.T) {
	t.Parallel()
	const sendQueue = 8
	// The stalled client must get to read before the server's write deadline gives up on
	// it (a peer that reads nothing for that long is dead, and its connection is dropped
	// without a close frame), so the deadline is generous here.
	env := servertest.Start(t, servertest.Options{Hub: realtime.Options{SendQueue: sendQueue, WriteTimeout: time.Minute}})
	ctx := testCtx(t, 30*time.Second)
	rng := rand.New(rand.NewSource(time.Now().UnixNano()))

	// Readers: coord and ifo also write; ifo sees what the stalled teacher would (same
	// role, language and perspective), so its byte count is the stalled client's.
	ps := connectPeers(ctx, t, env, "demo-coord", "demo-ifo", "demo-nurse", "demo-guardian1")
	coord, ifo := ps[0], ps[1]
	writers := []*peer{coord, ifo}

	// Make every event about one area big: four 26 KB texts, in the change and its HTML.
	for _, f := range []string{"works", "worries", "child_voice", "guardians_view"} {
		seq := coord.mustApply(ctx, setOp("compass/omsorg", f, 0, bigText(rng)))
		for _, p := range ps {
			if err := p.catchUp(ctx, seq); err != nil {
				t.Fatal(err)
			}
		}
	}

	// The stalled client: a small receive buffer (set before connecting), and it never
	// reads until the end.
	const rcvBuf = 64 << 10
	hc := *env.Client(t, "demo-teacher")
	hc.Transport = &http.Transport{DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
		var d net.Dialer
		c, err := d.DialContext(ctx, network, addr)
		if err == nil {
			err = c.(*net.TCPConn).SetReadBuffer(rcvBuf)
		}
		return c, err
	}}
	stalledWS, _, err := env.Dial(ctx, &hc, "demo-teacher", -1, "")
	if err != nil {
		t.Fatal(err)
	}
	defer stalledWS.CloseNow()
	startSeq := storeSeq(t, env)

	// What the kernel can hold for the stalled connection: its receive buffer (Linux
	// doubles the value set) and the server socket's largest send buffer. Beyond that the
	// server's writer is stuck, its queue of sendQueue fills, and the next message
	// overflows it.
	bound := 2*rcvBuf + kernelSendBufferMax(t) + 64<<10
	sentAt := map[string]time.Time{}
	var lat []time.Duration
	var bytes int
	for _, p := range ps {
		p.onEvent = func(m srvMsg) {
			if at, ok := sentAt[m.Change.CID]; ok {
				lat = append(lat, m.at.Sub(at))
			}
			if p == ifo {
				bytes += m.size
			}
		}
	}
	ops := 0
	for extra := 0; extra <= sendQueue+1; ops++ {
		w := writers[ops%len(writers)]
		op := newOp("rate", "compass/omsorg", 0, map[string]any{"perspective": "professionals", "value": strconv.Itoa(1 + ops%5)})
		sentAt[op.CID] = time.Now()
		if err := w.send(ctx, op); err != nil {
			t.Fatal(err)
		}
		o, err := w.await(ctx, op.CID)
		if err != nil {
			t.Fatal(err)
		}
		if o.Code != "" {
			t.Fatalf("op refused: %s", o.Code)
		}
		for _, p := range ps { // every reader gets every event
			if err := p.catchUp(ctx, o.Seq); err != nil {
				t.Fatal(err)
			}
		}
		if bytes >= bound {
			extra++
		}
	}
	final := storeSeq(t, env)
	for _, p := range ps {
		if p.model.Seq != final {
			t.Errorf("%s: at %d, board at %d", p.member, p.model.Seq, final)
		}
		checkAppliedRun(t, p)
	}
	if want := ops * len(ps); len(lat) != want {
		t.Errorf("%d event deliveries measured, want %d", len(lat), want)
	}
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	q := func(f float64) time.Duration { return lat[int(f*float64(len(lat)-1))] }
	t.Logf("slow consumer: %d ops, %d KiB of events per reader (bound %d KiB); fan-out latency over %d deliveries to %d readers: p50 %v p90 %v p99 %v max %v",
		ops, bytes>>10, bound>>10, len(lat), len(ps), q(0.5), q(0.9), q(0.99), lat[len(lat)-1])

	// Now the stalled client reads: what was queued for it, then the close.
	sp := newPeer(t, env, "demo-teacher")
	sp.c = newTConn(stalledWS)
	if w, err := sp.c.next(ctx); err != nil || w.T != "welcome" || w.Resume != "snapshot" {
		t.Fatalf("stalled client's first message: %+v %v", w, err)
	}
	m, err := sp.nextNoHB(ctx)
	if err != nil || m.T != "snapshot" || m.State == nil {
		t.Fatalf("stalled client's second message: %s %v", m.T, err)
	}
	// Its join races the first ops (they arrive on other connections), so its snapshot
	// may already include some of them; never fewer than the board had when it dialled.
	if m.Seq < startSeq {
		t.Fatalf("stalled client's snapshot at %d, before the board's %d when it connected", m.Seq, startSeq)
	}
	sp.model = modelFromState(m.State, m.Seq, m.Epoch)
	sp.snapshots = append(sp.snapshots, m.Seq)
	for {
		m, err := sp.c.next(ctx)
		if err != nil {
			if ctx.Err() != nil {
				t.Fatal(err)
			}
			if code := websocket.CloseStatus(err); code != realtime.CloseSlowConsumer {
				t.Fatalf("stalled client's connection ended with %v (close code %d), want %d", err, code, realtime.CloseSlowConsumer)
			}
			break
		}
		if err := sp.handle(m); err != nil { // events contiguous, no duplicates
			t.Fatal(err)
		}
	}
	if sp.model.Seq >= final {
		t.Fatalf("stalled client got every event (to %d) and was still closed", sp.model.Seq)
	}
	t.Logf("stalled client got %d of %d events before the close", len(sp.applied), final-sp.snapshots[0])

	// It comes back as the close code says: resume with since, and catch up. (A resume of
	// more missed events than the send queue holds can itself be closed with 4001, see
	// TestProtocolResumeSmallSendQueue; as a client would, it then simply comes back again.)
	for attempt := 1; ; attempt++ {
		sp.disconnect()
		err := sp.connect(ctx, false)
		if err == nil {
			err = sp.catchUp(ctx, final)
		}
		if err == nil {
			break
		}
		if websocket.CloseStatus(err) != realtime.CloseSlowConsumer || attempt == 20 {
			t.Fatal(err)
		}
		t.Logf("coming back, attempt %d: %v", attempt, err)
	}
	defer sp.disconnect()
	if got, want := sp.model.content(), storeModel(t, env).content(); got != want {
		t.Fatalf("after coming back:\n%s", firstDiff(got, want))
	}
}

// ---------------------------------------------------------------------------------------
// 5. Message size limit.

// paddedOp is an op message padded with JSON whitespace to exactly n bytes.
func paddedOp(t *testing.T, op opMsg, n int) []byte {
	t.Helper()
	b, err := json.Marshal(op)
	if err != nil {
		t.Fatal(err)
	}
	if len(b) > n {
		t.Fatalf("op is %d bytes, more than %d", len(b), n)
	}
	return append(b[:len(b)-1], append([]byte(strings.Repeat(" ", n-len(b))), '}')...)
}

func TestProtocolOversizedMessage(t *testing.T) {
	t.Parallel()
	env := servertest.Start(t, servertest.Options{})
	ctx := testCtx(t, 20*time.Second)

	// send sends one raw text frame on a fresh connection and returns the peer.
	send := func(t *testing.T, op opMsg, msg []byte) *peer {
		t.Helper()
		p := newPeer(t, env, "demo-teacher").mustConnect(ctx)
		t.Cleanup(p.disconnect)
		p.pending = append(p.pending, &pendingOp{op: op})
		if err := p.c.ws.Write(ctx, websocket.MessageText, msg); err != nil {
			t.Fatal(err)
		}
		return p
	}
	// sendTooBig sends a frame over the limit and returns the close code the client saw,
	// or cut when the connection was cut before the client had written the frame. The
	// server closes as soon as it has read the frame's length, often while the client is
	// still writing the rest; TCP then answers the rest with a reset, which can overtake
	// the close frame. A write that went through must be answered with 1009.
	sendTooBig := func(t *testing.T, msg []byte) (code websocket.StatusCode, cut bool) {
		t.Helper()
		p := newPeer(t, env, "demo-teacher").mustConnect(ctx)
		t.Cleanup(p.disconnect)
		werr := p.c.ws.Write(ctx, websocket.MessageText, msg)
		code, err := p.c.closeStatus(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if werr != nil && code == -1 {
			t.Logf("the server closed the connection before the client had written the frame (%v)", werr)
			return code, true
		}
		return code, false
	}
	value := func(n int) string { return strings.Repeat("a", n) }

	t.Run("40 KiB closes with 1009", func(t *testing.T) {
		before := storeModel(t, env)
		op := setOp("compass/halsa", "works", before.Compass["halsa"].Works.R, value(100))
		if code, cut := sendTooBig(t, paddedOp(t, op, 40<<10)); !cut && code != websocket.StatusMessageTooBig {
			t.Fatalf("close code %d, want 1009", code)
		}
		after := storeModel(t, env)
		if after.Seq != before.Seq || after.content() != before.content() {
			t.Fatalf("board changed by a refused message (seq %d → %d)", before.Seq, after.Seq)
		}
		for _, ch := range opLog(t, env) {
			if ch.CID == op.CID {
				t.Fatalf("oversized op %q is in the op log", op.CID)
			}
		}
	})

	// The documented limit is "at most 32 KiB": exactly that is applied, one byte more
	// closes the connection.
	t.Run("exactly 32 KiB is applied", func(t *testing.T) {
		before := storeModel(t, env)
		op := setOp("compass/halsa", "worries", before.Compass["halsa"].Worries.R, value(100))
		p := send(t, op, paddedOp(t, op, realtime.MaxMessageBytes))
		o, err := p.await(ctx, op.CID)
		if err != nil {
			t.Fatal(err)
		}
		if o.Code != "" || o.Seq != before.Seq+1 {
			t.Fatalf("32 KiB op: %+v", o)
		}
	})
	t.Run("32 KiB + 1 closes with 1009", func(t *testing.T) {
		before := storeSeq(t, env)
		op := setOp("compass/halsa", "guardians_view", 0, value(100))
		if code, cut := sendTooBig(t, paddedOp(t, op, realtime.MaxMessageBytes+1)); !cut && code != websocket.StatusMessageTooBig {
			t.Errorf("a message of 32 KiB + 1 byte: close code %d, want 1009", code)
		}
		if after := storeSeq(t, env); after != before {
			t.Errorf("a message of 32 KiB + 1 byte was applied (board seq %d → %d)", before, after)
		}
	})
}

// ---------------------------------------------------------------------------------------
// 6. Origin and session checks on the upgrade.

func TestProtocolOrigin(t *testing.T) {
	t.Parallel()
	env := servertest.Start(t, servertest.Options{})
	ctx := testCtx(t, 20*time.Second)
	teacher := env.Client(t, "demo-teacher")
	u, _ := url.Parse(env.URL)

	dial := func(c *http.Client, member string, header http.Header) (*websocket.Conn, *http.Response, error) {
		return websocket.Dial(ctx, env.WSURL(member, -1, ""), &websocket.DialOptions{HTTPClient: c, HTTPHeader: header})
	}
	refused := []struct {
		name   string
		c      *http.Client
		member string
		header http.Header
		status int
	}{
		{"foreign origin", teacher, "demo-teacher", http.Header{"Origin": {"http://evil.example"}}, http.StatusForbidden},
		{"same host name, other port", teacher, "demo-teacher", http.Header{"Origin": {"http://" + u.Hostname() + ":1"}}, http.StatusForbidden},
		{"origin null", teacher, "demo-teacher", http.Header{"Origin": {"null"}}, http.StatusForbidden},
		{"no session cookie", &http.Client{}, "demo-teacher", http.Header{"Origin": {env.URL}}, http.StatusNotFound},
		{"another member's session", env.Client(t, "demo-guardian1"), "demo-teacher", http.Header{"Origin": {env.URL}}, http.StatusNotFound},
	}
	for _, tc := range refused {
		t.Run(tc.name, func(t *testing.T) {
			ws, resp, err := dial(tc.c, tc.member, tc.header)
			if err == nil {
				ws.CloseNow()
				t.Fatalf("upgrade accepted, want HTTP %d", tc.status)
			}
			if resp == nil || resp.StatusCode != tc.status {
				t.Fatalf("upgrade refused with %v (response %v), want HTTP %d", err, resp, tc.status)
			}
			if got := resp.Header.Get("Access-Control-Allow-Origin"); got != "" {
				t.Errorf("refusal carries Access-Control-Allow-Origin: %q", got)
			}
		})
	}

	// Browsers always send Origin on a WebSocket upgrade, so a request without one is not
	// from a web page of another site; coder/websocket accepts it (non-browser clients).
	// It must still be the member's own session, and nothing may grant other origins.
	t.Run("no origin, valid session", func(t *testing.T) {
		ws, resp, err := dial(teacher, "demo-teacher", nil)
		if err != nil {
			t.Logf("no Origin: refused (%v, HTTP %v)", err, resp)
			return
		}
		c := newTConn(ws)
		defer c.close()
		w, err := c.next(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if w.T != "welcome" || w.Member != "demo-teacher" {
			t.Fatalf("first message %+v", w)
		}
		if got := resp.Header.Get("Access-Control-Allow-Origin"); got != "" {
			t.Errorf("upgrade response carries Access-Control-Allow-Origin: %q", got)
		}
		t.Logf("no Origin with a valid session: accepted (HTTP %d) as %s, the session's own member", resp.StatusCode, w.Member)
	})
}

// ---------------------------------------------------------------------------------------
// 7. Text merge over the wire.

func TestProtocolTextMerge(t *testing.T) {
	t.Parallel()
	env := servertest.Start(t, servertest.Options{})
	ctx := testCtx(t, 20*time.Second)
	ps := connectPeers(ctx, t, env, "demo-teacher", "demo-ifo")
	a, b := ps[0], ps[1]
	const entity = "compass/fritid"
	works := func(p *peer) wText { return p.model.Compass["fritid"].Works }

	base := "Alva spelar fotboll på tisdagar. Hon tycker om att rita. Hon vill börja simma."
	r0 := a.mustApply(ctx, setOp(entity, "works", works(a).R, base))
	if err := b.catchUp(ctx, r0); err != nil {
		t.Fatal(err)
	}

	t.Run("different sentences merge", func(t *testing.T) {
		mineA := strings.Replace(base, "på tisdagar", "på tisdagar och torsdagar", 1)
		mineB := strings.Replace(base, "börja simma", "börja simma i vår", 1)
		seqA := a.mustApply(ctx, setOp(entity, "works", r0, mineA))
		opB := setOp(entity, "works", r0, mineB) // from the same base, after A's edit
		if err := b.send(ctx, opB); err != nil {
			t.Fatal(err)
		}
		var ev srvMsg
		for ev.Change == nil || ev.Change.CID != opB.CID {
			m, err := b.c.nextOf(ctx, "event", "reject", "ack")
			if err != nil {
				t.Fatal(err)
			}
			if err := b.handle(m); err != nil {
				t.Fatal(err)
			}
			if m.T != "event" {
				t.Fatalf("B's edit from the same base: %+v, want it merged", m)
			}
			ev = m
		}
		if ev.Seq != seqA+1 || !ev.Change.Merged {
			t.Fatalf("B's event: seq %d merged %v, want seq %d merged true", ev.Seq, ev.Change.Merged, seqA+1)
		}
		want := "Alva spelar fotboll på tisdagar och torsdagar. Hon tycker om att rita. Hon vill börja simma i vår."
		if got := ev.Change.Compass.Works; got.V != want || got.R != ev.Seq {
			t.Fatalf("merged text %+v, want %q at %d", got, want, ev.Seq)
		}
		if err := a.catchUp(ctx, ev.Seq); err != nil {
			t.Fatal(err)
		}
		if works(a) != works(b) || works(a).V != want {
			t.Fatalf("clients disagree: %+v vs %+v", works(a), works(b))
		}
		if got := storeModel(t, env).Compass["fritid"].Works; got != works(a) {
			t.Fatalf("store has %+v, clients %+v", got, works(a))
		}
	})

	t.Run("same word conflicts", func(t *testing.T) {
		cur := works(a)
		mineA := strings.Replace(cur.V, "rita", "måla", 1)
		mineB := strings.Replace(cur.V, "rita", "teckna", 1)
		seqA := a.mustApply(ctx, setOp(entity, "works", cur.R, mineA))
		opB := setOp(entity, "works", cur.R, mineB)
		o, err := b.do(ctx, opB)
		if err != nil {
			t.Fatal(err)
		}
		m := b.rejects[opB.CID]
		if o.Code != "conflict" || m.Current == nil || m.Current.V != mineA || m.Current.R != seqA {
			t.Fatalf("B's edit of the same word: %+v (current %+v), want conflict with current %q at %d", m, m.Current, mineA, seqA)
		}
		checkSwedish(t, env, m.Message)
		if got := storeModel(t, env).Compass["fritid"].Works; got.V != mineA || got.R != seqA {
			t.Fatalf("board holds %+v, want A's text %q at %d", got, mineA, seqA)
		}
		// To keep theirs, the client sends it again with base = current.r.
		keep := b.mustApply(ctx, setOp(entity, "works", m.Current.R, mineB))
		if got := storeModel(t, env).Compass["fritid"].Works; got.V != mineB || got.R != keep {
			t.Fatalf("after choosing B's text the board holds %+v", got)
		}
	})
}

// ---------------------------------------------------------------------------------------
// 8. Permissions over the wire (a few role × op pairs; the exhaustive test is elsewhere).

func TestProtocolPermissions(t *testing.T) {
	t.Parallel()
	env := servertest.Start(t, servertest.Options{})
	ctx := testCtx(t, 20*time.Second)
	watcher := connectPeers(ctx, t, env, "demo-coord")[0]
	peers := map[string]*peer{}
	peerOf := func(t *testing.T, member string) *peer {
		t.Helper()
		p := peers[member]
		if p == nil {
			p = newPeer(t, env, member).mustConnect(ctx)
			peers[member] = p
		}
		if err := p.catchUp(ctx, storeSeq(t, env)); err != nil {
			t.Fatal(err)
		}
		return p
	}
	defer func() {
		for _, p := range peers {
			p.disconnect()
		}
	}()

	cases := []struct {
		member string
		what   string
		op     func(m *boardModel) opMsg
		code   string // "" for applied
	}{
		{"demo-guardian1", "goto", func(m *boardModel) opMsg {
			return newOp("goto", "meeting", 0, map[string]any{"from": m.Meeting.CurrentItem, "to": "behov"})
		}, "forbidden"},
		{"demo-guardian1", "rate as professionals", func(m *boardModel) opMsg {
			return newOp("rate", "compass/trygghet", 0, map[string]any{"perspective": "professionals", "value": "2"})
		}, "forbidden"},
		{"demo-guardian2", "rate as the other guardian", func(m *boardModel) opMsg {
			return newOp("rate", "compass/trygghet", 0, map[string]any{"perspective": "guardian:demo-guardian1", "value": "2"})
		}, "forbidden"},
		{"demo-guardian1", "rate as self", func(m *boardModel) opMsg {
			return newOp("rate", "compass/trygghet", 0, map[string]any{"perspective": "guardian:demo-guardian1", "value": "4"})
		}, ""},
		{"demo-guardian1", "delete a goal", func(m *boardModel) opMsg { return newOp("delete", "goal/trygg-rast", 0, nil) }, "forbidden"},
		{"demo-guardian1", "create a goal", func(m *boardModel) opMsg {
			return newOp("create", "goal/g-perm", 0, map[string]any{"area": "fritid", "term": "short", "text": "Alva provar simning."})
		}, ""},
		{"demo-child", "write child_voice", func(m *boardModel) opMsg {
			return setOp("compass/fritid", "child_voice", m.Compass["fritid"].ChildVoice.R, "Jag vill simma.")
		}, ""},
		{"demo-child", "write works", func(m *boardModel) opMsg {
			return setOp("compass/fritid", "works", m.Compass["fritid"].Works.R, "Allt är bra.")
		}, "forbidden"},
		{"demo-child", "rate as child", func(m *boardModel) opMsg {
			return newOp("rate", "compass/fritid", 0, map[string]any{"perspective": "child", "value": "5"})
		}, ""},
		{"demo-child", "create an action", func(m *boardModel) opMsg {
			return newOp("create", "action/a-perm", 0, map[string]any{"what": "Simma"})
		}, "forbidden"},
		{"demo-teacher", "create an agenda item", func(m *boardModel) opMsg {
			return newOp("create", "agenda/x-perm", 0, map[string]any{"title": "Övrigt", "timebox_min": 5})
		}, "forbidden"},
		{"demo-teacher", "write agenda notes", func(m *boardModel) opMsg {
			return setOp("agenda/behov", "notes", m.Agenda["behov"].Notes.R, "- Magont\n- Raster")
		}, ""},
		{"demo-nurse", "goto", func(m *boardModel) opMsg {
			return newOp("goto", "meeting", 0, map[string]any{"from": m.Meeting.CurrentItem, "to": "behov"})
		}, "forbidden"},
		{"demo-nurse", "create an agenda item", func(m *boardModel) opMsg {
			return newOp("create", "agenda/n-perm", 0, map[string]any{"title": "Elevhälsan", "timebox_min": 5})
		}, ""},
		{"demo-coord", "goto", func(m *boardModel) opMsg {
			return newOp("goto", "meeting", 0, map[string]any{"from": m.Meeting.CurrentItem, "to": "behov"})
		}, ""},
	}
	for _, tc := range cases {
		t.Run(strings.TrimPrefix(tc.member, "demo-")+" "+tc.what, func(t *testing.T) {
			p := peerOf(t, tc.member)
			before := storeSeq(t, env)
			op := tc.op(p.model)
			if err := p.send(ctx, op); err != nil {
				t.Fatal(err)
			}
			m, err := p.c.nextOf(ctx, "event", "reject")
			if err != nil {
				t.Fatal(err)
			}
			if err := p.handle(m); err != nil {
				t.Fatal(err)
			}
			if tc.code != "" {
				if m.T != "reject" || m.CID != op.CID || m.Code != tc.code || m.Message == "" || catalogKey(env, m.Message) {
					t.Fatalf("got %+v, want reject %s with a message for people", m, tc.code)
				}
				if after := storeSeq(t, env); after != before {
					t.Fatalf("refused op moved the board from %d to %d", before, after)
				}
				return
			}
			if m.T != "event" || m.Change.CID != op.CID || m.Seq != before+1 {
				t.Fatalf("got %+v, want the op's event at %d", m, before+1)
			}
			// Everyone sees it, stamped with the sender as the actor.
			if err := watcher.catchUp(ctx, m.Seq); err != nil {
				t.Fatal(err)
			}
			if m.Change.Actor != tc.member {
				t.Fatalf("event actor %q, want %q", m.Change.Actor, tc.member)
			}
			if got, want := watcher.model.content(), p.model.content(); got != want {
				t.Fatalf("watcher and sender disagree:\n%s", firstDiff(got, want))
			}
		})
	}
}

// ---------------------------------------------------------------------------------------
// 9. Refusals keep the connection; protocol errors close it.

func TestProtocolRefusalsKeepConnection(t *testing.T) {
	t.Parallel()
	env := servertest.Start(t, servertest.Options{})
	ctx := testCtx(t, 20*time.Second)
	p := connectPeers(ctx, t, env, "demo-coord")[0] // Swedish

	invalid := []struct {
		name  string
		op    opMsg
		field string
	}{
		{"time box 9999", setOp("agenda/behov", "timebox_min", 0, 9999), "timebox_min"},
		{"new item with time box 9999", newOp("create", "agenda/lang", 0, map[string]any{"title": "Långt", "timebox_min": 9999}), "timebox_min"},
		{"unknown area", setOp("compass/okand", "works", 0, "Text"), "entity"},
		{"unknown data field", newOp("create", "goal/g-x", 0, map[string]any{"area": "halsa", "term": "long", "text": "Mål", "colour": "red"}), ""},
		{"control character", setOp("compass/halsa", "works", 0, "Text\x07"), "works"},
		{"base from the future", setOp("compass/halsa", "works", 1<<40, "Text"), "base"},
	}
	for _, tc := range invalid {
		t.Run(tc.name, func(t *testing.T) {
			before := storeSeq(t, env)
			if err := p.send(ctx, tc.op); err != nil {
				t.Fatal(err)
			}
			m, err := p.c.nextOf(ctx, "reject", "event")
			if err != nil {
				t.Fatal(err)
			}
			if err := p.handle(m); err != nil {
				t.Fatal(err)
			}
			if m.T != "reject" || m.CID != tc.op.CID || m.Code != "invalid" || (tc.field != "" && m.Field != tc.field) {
				t.Fatalf("got %+v, want reject invalid (field %q)", m, tc.field)
			}
			checkSwedish(t, env, m.Message)
			// Still usable, and the refused op left no trace.
			seq := p.mustApply(ctx, newOp("rate", "compass/halsa", 0, map[string]any{"perspective": "professionals", "value": "3"}))
			if seq != before+1 {
				t.Fatalf("next op at %d, want %d", seq, before+1)
			}
		})
	}

	closes := []struct {
		name  string
		frame []byte
		typ   websocket.MessageType
		code  websocket.StatusCode
	}{
		{"malformed JSON", []byte(`{"t":"op","cid":`), websocket.MessageText, realtime.CloseProtocol},
		{"unknown type", []byte(`{"t":"shout"}`), websocket.MessageText, realtime.CloseProtocol},
		{"op without cid", []byte(`{"t":"op","op":"rate","entity":"compass/halsa","data":{"perspective":"professionals","value":"2"}}`), websocket.MessageText, realtime.CloseProtocol},
		{"binary frame", []byte(`{"t":"presence","hand":true}`), websocket.MessageBinary, websocket.StatusUnsupportedData},
	}
	for _, tc := range closes {
		t.Run(tc.name, func(t *testing.T) {
			before := storeSeq(t, env)
			q := newPeer(t, env, "demo-coord").mustConnect(ctx)
			defer q.disconnect()
			if err := q.c.ws.Write(ctx, tc.typ, tc.frame); err != nil {
				t.Fatal(err)
			}
			code, err := q.c.closeStatus(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if code != tc.code {
				t.Fatalf("close code %d, want %d", code, tc.code)
			}
			if after := storeSeq(t, env); after != before {
				t.Fatalf("board moved from %d to %d", before, after)
			}
		})
	}
}

// ---------------------------------------------------------------------------------------
// 10. Presence.

// awaitPresence reads until a presence message satisfies ok.
func awaitPresence(ctx context.Context, p *peer, ok func([]wPerson) bool) error {
	for {
		m, err := p.step(ctx)
		if err != nil {
			return err
		}
		if m.T == "presence" && ok(m.People) {
			return nil
		}
	}
}

func findPerson(people []wPerson, member string) (wPerson, bool) {
	for _, x := range people {
		if x.Member == member {
			return x, true
		}
	}
	return wPerson{}, false
}

func TestProtocolPresence(t *testing.T) {
	t.Parallel()
	env := servertest.Start(t, servertest.Options{})
	ctx := testCtx(t, 20*time.Second)
	ps := connectPeers(ctx, t, env, "demo-guardian1", "demo-teacher")
	a, b := ps[0], ps[1]
	before := storeSeq(t, env)
	logBefore := len(opLog(t, env))

	if err := a.c.sendJSON(ctx, map[string]any{"t": "presence", "editing": "compass/halsa#worries", "hand": true}); err != nil {
		t.Fatal(err)
	}
	err := awaitPresence(ctx, b, func(people []wPerson) bool {
		x, ok := findPerson(people, a.member)
		return ok && x.Editing == "compass/halsa#worries" && x.Hand
	})
	if err != nil {
		t.Fatal(err)
	}
	x, _ := findPerson(b.presence, a.member)
	if x.Name == "" || x.Role != "guardian" {
		t.Errorf("presence entry %+v", x)
	}

	// Lowering the hand and leaving the field.
	if err := a.c.sendJSON(ctx, map[string]any{"t": "presence", "editing": "", "hand": false}); err != nil {
		t.Fatal(err)
	}
	err = awaitPresence(ctx, b, func(people []wPerson) bool {
		x, ok := findPerson(people, a.member)
		return ok && x.Editing == "" && !x.Hand
	})
	if err != nil {
		t.Fatal(err)
	}

	// A second session of the same member comes and goes: the member stays present.
	a2 := newPeer(t, env, a.member).mustConnect(ctx)
	a2.disconnect()
	if err := b.catchUp(ctx, storeSeq(t, env)); err != nil {
		t.Fatal(err)
	}
	// b sees the join and then the leave of a2; after the leave a is still listed.
	joins := 0
	err = awaitPresence(ctx, b, func(people []wPerson) bool {
		joins++
		return joins == 2
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := findPerson(b.presence, a.member); !ok {
		t.Fatalf("a second session leaving removed %s from presence: %+v", a.member, b.presence)
	}

	// Leaving.
	a.disconnect()
	err = awaitPresence(ctx, b, func(people []wPerson) bool {
		_, ok := findPerson(people, a.member)
		return !ok
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := findPerson(b.presence, b.member); !ok {
		t.Errorf("presence lost the member who is still here: %+v", b.presence)
	}

	// Presence is not stored and not logged.
	if after := storeSeq(t, env); after != before {
		t.Errorf("presence moved the board from %d to %d", before, after)
	}
	log := opLog(t, env)
	if len(log) != logBefore {
		t.Errorf("op log grew from %d to %d entries on presence", logBefore, len(log))
	}
	for _, ch := range log {
		if b, _ := json.Marshal(ch); strings.Contains(string(b), "halsa#worries") {
			t.Errorf("presence data in the op log: %s", b)
		}
	}
}

// ---------------------------------------------------------------------------------------
// 11. The form path (no JavaScript).

func TestProtocolFormPost(t *testing.T) {
	t.Parallel()
	env := servertest.Start(t, servertest.Options{})
	ctx := testCtx(t, 20*time.Second)
	watcher := connectPeers(ctx, t, env, "demo-teacher")[0]
	const member = "demo-guardian1"
	hc := *env.Client(t, member)
	hc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	opURL := env.URL + "/b/" + env.MeetingID + "/" + member + "/op"

	post := func(t *testing.T, form url.Values, header http.Header) *http.Response {
		t.Helper()
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, opURL, strings.NewReader(form.Encode()))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		for k, v := range header {
			req.Header[k] = v
		}
		resp, err := hc.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	// expectEvent waits for the watcher to see the op with cid, by member.
	expectEvent := func(t *testing.T, cid string) *wChange {
		t.Helper()
		for {
			m, err := watcher.step(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if m.T == "event" && m.Change.CID == cid {
				if m.Change.Actor != member {
					t.Fatalf("form op's actor %q, want %q", m.Change.Actor, member)
				}
				return m.Change
			}
		}
	}
	boardPath := "/b/" + env.MeetingID + "/" + member + "/"

	t.Run("set", func(t *testing.T) {
		cid := newCID()
		text := "Alva tycker om att baka på helgerna."
		resp := post(t, url.Values{"cid": {cid}, "op": {"set"}, "entity": {"compass/fritid"},
			"base":  {strconv.FormatInt(watcher.model.Compass["fritid"].GuardiansView.R, 10)},
			"field": {"guardians_view"}, "value": {text}}, nil)
		if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), boardPath) {
			t.Fatalf("form post: %d Location %q, want 303 to %s", resp.StatusCode, resp.Header.Get("Location"), boardPath)
		}
		ch := expectEvent(t, cid)
		if ch.Compass == nil || ch.Compass.GuardiansView.V != text {
			t.Fatalf("event %+v", ch)
		}
		// The same form posted twice (a double click, a retried request): applied once.
		before := storeSeq(t, env)
		if resp := post(t, url.Values{"cid": {cid}, "op": {"set"}, "entity": {"compass/fritid"},
			"base": {"0"}, "field": {"guardians_view"}, "value": {text}}, nil); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("re-post: %d", resp.StatusCode)
		}
		if after := storeSeq(t, env); after != before {
			t.Fatalf("re-posted form applied again (seq %d → %d)", before, after)
		}
	})

	t.Run("create with data fields", func(t *testing.T) {
		cid := newCID()
		resp := post(t, url.Values{"cid": {cid}, "op": {"create"}, "entity": {"goal/new"},
			"d.area": {"fritid"}, "d.term": {"short"}, "d.text": {"Alva provar en ny fritidsaktivitet."}}, nil)
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("form post: %d, want 303", resp.StatusCode)
		}
		ch := expectEvent(t, cid)
		if ch.Goal == nil || ch.Goal.Area != "fritid" || ch.Goal.Term != "short" || ch.Goal.Text.V != "Alva provar en ny fritidsaktivitet." {
			t.Fatalf("event %+v", ch.Goal)
		}
	})

	t.Run("refused op keeps the text", func(t *testing.T) {
		text := "Ingen får ändra detta."
		before := storeSeq(t, env)
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost, opURL, strings.NewReader(url.Values{"cid": {newCID()}, "op": {"set"}, "entity": {"agenda/behov"},
			"base": {"0"}, "field": {"title"}, "value": {text}}.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		resp, err := hc.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var body strings.Builder
		if _, err := io.Copy(&body, resp.Body); err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode != http.StatusUnprocessableEntity {
			t.Fatalf("guardian renaming an agenda item: %d, want 422", resp.StatusCode)
		}
		if !strings.Contains(body.String(), text) {
			t.Errorf("the refused text is not on the re-rendered page")
		}
		if after := storeSeq(t, env); after != before {
			t.Fatalf("refused form op moved the board from %d to %d", before, after)
		}
	})

	for _, h := range []http.Header{
		{"Sec-Fetch-Site": {"cross-site"}},
		{"Origin": {"http://evil.example"}},
	} {
		t.Run("cross-site "+fmt.Sprint(h), func(t *testing.T) {
			before := storeSeq(t, env)
			cid := newCID()
			resp := post(t, url.Values{"cid": {cid}, "op": {"rate"}, "entity": {"compass/fritid"},
				"d.perspective": {"guardian:" + member}, "d.value": {"1"}}, h)
			if resp.StatusCode != http.StatusForbidden {
				t.Fatalf("cross-site post: %d, want 403", resp.StatusCode)
			}
			if after := storeSeq(t, env); after != before {
				t.Fatalf("cross-site post moved the board from %d to %d", before, after)
			}
		})
	}
}

// ---------------------------------------------------------------------------------------
// Text limits (PROTOCOL.md "Ops": at most 7,000 characters, titles 200; \r\n stored as \n).

func TestProtocolTextLimits(t *testing.T) {
	t.Parallel()
	env := servertest.Start(t, servertest.Options{})
	ctx := testCtx(t, 20*time.Second)
	p := connectPeers(ctx, t, env, "demo-coord")[0]
	runes := func(n int) string { return strings.Repeat("å", n) }

	cases := []struct {
		name  string
		op    func() opMsg
		field string // "" when applied; else the refused field
	}{
		{"compass text of 7,000", func() opMsg { return setOp("compass/halsa", "works", p.model.Compass["halsa"].Works.R, runes(7000)) }, ""},
		{"compass text of 7,001", func() opMsg { return setOp("compass/halsa", "works", p.model.Compass["halsa"].Works.R, runes(7001)) }, "works"},
		{"agenda title of 200", func() opMsg { return setOp("agenda/behov", "title", p.model.Agenda["behov"].Title.R, runes(200)) }, ""},
		{"agenda title of 201", func() opMsg { return setOp("agenda/behov", "title", p.model.Agenda["behov"].Title.R, runes(201)) }, "title"},
		{"new action, what of 300", func() opMsg { return newOp("create", "action/lang", 0, map[string]any{"what": runes(300)}) }, ""},
		// An action's "what" is not a title: an edit has the same limit as the create.
		{"action what edited to 301", func() opMsg { return setOp("action/lang", "what", p.model.Actions["lang"].What.R, runes(301)) }, ""},
		{"action what edited to 7,001", func() opMsg { return setOp("action/lang", "what", p.model.Actions["lang"].What.R, runes(7001)) }, "what"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := storeSeq(t, env)
			op := tc.op()
			o, err := p.do(ctx, op)
			if err != nil {
				t.Fatal(err)
			}
			m := p.rejects[op.CID]
			if tc.field == "" && o.Code != "" {
				t.Fatalf("refused: %s on field %q: %q; want applied", o.Code, m.Field, m.Message)
			}
			if tc.field != "" && (o.Code != "invalid" || m.Field != tc.field) {
				t.Fatalf("outcome %+v (field %q), want reject invalid on %q", o, m.Field, tc.field)
			}
			if after := storeSeq(t, env); (tc.field == "") != (after == before+1) {
				t.Fatalf("board seq %d → %d", before, after)
			}
		})
	}

	t.Run("CRLF is stored as LF", func(t *testing.T) {
		seq := p.mustApply(ctx, setOp("compass/ansvar", "worries", p.model.Compass["ansvar"].Worries.R, "Rad ett\r\nRad två"))
		if got := p.model.Compass["ansvar"].Worries; got.V != "Rad ett\nRad två" || got.R != seq {
			t.Fatalf("event holds %+v", got)
		}
		if got := storeModel(t, env).Compass["ansvar"].Worries.V; got != "Rad ett\nRad två" {
			t.Fatalf("store holds %q", got)
		}
	})
}

// ---------------------------------------------------------------------------------------
// Rate limit (PROTOCOL.md: more than 20 ops a second, bursts of 60, from one connection).

func TestProtocolRateLimit(t *testing.T) {
	t.Parallel()
	env := servertest.Start(t, servertest.Options{})
	ctx := testCtx(t, 30*time.Second)
	ps := connectPeers(ctx, t, env, "demo-coord", "demo-teacher")
	p, other := ps[0], ps[1]

	const n = 90
	start := time.Now()
	var ops []opMsg
	for i := range n {
		op := newOp("rate", "compass/"+areas[i%len(areas)], 0, map[string]any{"perspective": "professionals", "value": strconv.Itoa(1 + i%5)})
		ops = append(ops, op)
		if err := p.send(ctx, op); err != nil {
			t.Fatal(err)
		}
	}
	var limited []string
	applied := 0
	for _, op := range ops {
		for {
			if _, ok := p.isPending(op.CID); !ok {
				break
			}
			if po := p.pending[0]; po.op.CID == op.CID && po.retry {
				limited = append(limited, op.CID)
				p.pending = p.pending[1:] // given up: not sent again
				break
			}
			m, err := p.step(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if m.T == "reject" && m.Code == "rate" {
				checkSwedish(t, env, m.Message)
			}
		}
		if o, ok := p.out[op.CID]; ok && o.Code == "" {
			applied++
		}
	}
	elapsed := time.Since(start)
	// The server reads all n within elapsed, so at most burst + rate·elapsed get through.
	if limit := 60 + int(20*elapsed.Seconds()) + 1; applied > limit {
		t.Errorf("%d of %d ops applied in %v; the limit allows at most %d", applied, n, elapsed, limit)
	}
	if len(limited) == 0 {
		t.Fatalf("%d ops in %v and none refused with code rate", n, elapsed)
	}
	if applied+len(limited) != n {
		t.Errorf("%d applied + %d rate-limited of %d sent", applied, len(limited), n)
	}
	log := map[string]bool{}
	for _, ch := range opLog(t, env) {
		log[ch.CID] = true
	}
	for _, cid := range limited {
		if log[cid] {
			t.Errorf("rate-limited op %q is in the op log", cid)
		}
	}
	t.Logf("%d ops sent at once: %d applied, %d refused with rate, in %v", n, applied, len(limited), elapsed)

	// The connection stays usable (presence is not rate limited).
	if err := p.c.sendJSON(ctx, map[string]any{"t": "presence", "hand": true}); err != nil {
		t.Fatal(err)
	}
	err := awaitPresence(ctx, other, func(people []wPerson) bool {
		x, ok := findPerson(people, p.member)
		return ok && x.Hand
	})
	if err != nil {
		t.Fatal(err)
	}
}

// A client that reads promptly must not be closed as a slow consumer while it resumes:
// the burst of missed events the server sends on join is the server's doing. With a send
// queue smaller than that burst (welcome + up to 64 events + presence) it is.
func TestProtocolResumeSmallSendQueue(t *testing.T) {
	t.Parallel()
	const sendQueue = 8
	env := servertest.Start(t, servertest.Options{Hub: realtime.Options{SendQueue: sendQueue}})
	ctx := testCtx(t, 30*time.Second)
	ps := connectPeers(ctx, t, env, "demo-guardian1", "demo-teacher", "demo-ifo", "demo-coord")
	a, others := ps[0], ps[1:]
	for round := range 5 {
		a.disconnect()
		makeChanges(ctx, t, 30, others...) // more than the queue, fewer than "far behind"
		err := a.connect(ctx, false)
		if err == nil {
			err = a.catchUp(ctx, storeSeq(t, env))
		}
		if err != nil {
			t.Fatalf("round %d: resuming (%s) 30 missed events with a send queue of %d: %v", round, a.welcome.Resume, sendQueue, err)
		}
	}
}

// ---------------------------------------------------------------------------------------
// Heartbeat: "hb" messages, and the server's pings answered, keep the connection.

func TestProtocolHeartbeat(t *testing.T) {
	t.Parallel()
	env := servertest.Start(t, servertest.Options{Hub: realtime.Options{Heartbeat: 20 * time.Millisecond}})
	ctx := testCtx(t, 20*time.Second)
	p := connectPeers(ctx, t, env, "demo-teacher")[0]
	for hb := 0; hb < 5; {
		m, err := p.step(ctx)
		if err != nil {
			t.Fatalf("after %d heartbeats: %v", hb, err)
		}
		if m.T == "hb" {
			hb++
		}
	}
	// A new connection too, however the heartbeats fall around its welcome.
	p.disconnect()
	if err := p.connect(ctx, true); err != nil {
		t.Fatal(err)
	}
	p.mustApply(ctx, newOp("rate", "compass/halsa", 0, map[string]any{"perspective": "professionals", "value": "2"}))
}

// ---------------------------------------------------------------------------------------
// Idempotency survives the room: re-sent ops after the meeting's room was unloaded (and
// its in-memory cids forgotten) are acknowledged from the store, never applied again.

func TestProtocolResendAfterRoomReload(t *testing.T) {
	t.Parallel()
	env := servertest.Start(t, servertest.Options{Hub: realtime.Options{IdleRoom: 10 * time.Millisecond}})
	ctx := testCtx(t, 20*time.Second)
	p := newPeer(t, env, "demo-coord").mustConnect(ctx)
	defer p.disconnect()

	ops := []opMsg{
		newOp("rate", "compass/halsa", 0, map[string]any{"perspective": "professionals", "value": "2"}),
		newOp("create", "goal/g-reload", 0, map[string]any{"area": "halsa", "term": "short", "text": "Alva sover bättre."}),
		setOp("compass/halsa", "works", p.model.Compass["halsa"].Works.R, "Alva äter frukost."),
		newOp("goto", "meeting", 0, map[string]any{"from": p.model.Meeting.CurrentItem, "to": "behov"}),
		newOp("delete", "goal/rastkompis", 0, nil),
	}
	seqs := map[string]int64{}
	for _, op := range ops {
		seqs[op.CID] = p.mustApply(ctx, op)
	}
	before := storeSeq(t, env)

	p.disconnect()
	waitFor(ctx, t, "the room to be unloaded", func() bool { return env.Server.Hub().Stats().Rooms == 0 })

	if err := p.connect(ctx, false); err != nil {
		t.Fatal(err)
	}
	for _, op := range ops {
		if err := p.c.sendJSON(ctx, op); err != nil {
			t.Fatal(err)
		}
		m, err := p.c.nextOf(ctx, "ack", "event", "reject")
		if err != nil {
			t.Fatal(err)
		}
		if m.T != "ack" || m.CID != op.CID || m.Seq != seqs[op.CID] {
			t.Errorf("%s %s re-sent after the room reloaded: %s %+v, want ack at %d", op.Op, op.Entity, m.T, m, seqs[op.CID])
		}
	}
	if after := storeSeq(t, env); after != before {
		t.Fatalf("re-sent ops moved the board from %d to %d", before, after)
	}
}

// waitFor waits until cond holds, checking it now and then, or fails at ctx's deadline.
func waitFor(ctx context.Context, t *testing.T, what string, cond func() bool) {
	t.Helper()
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		select {
		case <-tick.C:
		case <-ctx.Done():
			t.Fatalf("waiting for %s: %v", what, ctx.Err())
		}
	}
}

// ---------------------------------------------------------------------------------------
// Another writer (a second server instance) commits behind the room's back and nobody
// wakes the room: its next commit finds the seq taken, so the room reads the foreign
// change from the log, sends it to everyone, applies the pending op again on top of it
// and acknowledges it once. Nobody is disconnected; everyone converges on the store's
// board.

func TestProtocolForeignWrite(t *testing.T) {
	t.Parallel()
	env := servertest.Start(t, servertest.Options{})
	ctx := testCtx(t, 20*time.Second)
	ps := connectPeers(ctx, t, env, "demo-teacher", "demo-ifo")
	a, b := ps[0], ps[1]

	// The foreign change: the professionals' rating of Hälsa, committed straight to the
	// store. (Not the child's: that would be private to the child and the coordinator.)
	stored, err := env.Store.LoadBoard(ctx, env.MeetingID)
	if err != nil {
		t.Fatal(err)
	}
	entry := *stored.Compass["halsa"]
	entry.Ratings = map[string]board.Rating{board.PerspectiveProfessionals: "2"}
	entry.Rev = stored.Seq + 1
	foreign := board.Change{Seq: stored.Seq + 1, CID: "foreign-" + newCID(), Actor: "demo-nurse", Kind: board.OpRate, Entity: "compass/halsa", Compass: &entry}
	if err := env.Store.Commit(ctx, env.MeetingID, foreign); err != nil {
		t.Fatal(err)
	}

	op := newOp("rate", "compass/fritid", 0, map[string]any{"perspective": "professionals", "value": "4"})
	if err := a.send(ctx, op); err != nil {
		t.Fatal(err)
	}
	o, err := a.await(ctx, op.CID)
	if err != nil {
		t.Fatal(err)
	}
	if o.Code != "" || o.Seq != foreign.Seq+1 {
		t.Fatalf("the op after the foreign change: %+v, want applied at %d", o, foreign.Seq+1)
	}
	want := storeModel(t, env)
	for _, p := range []*peer{a, b} {
		if err := p.catchUp(ctx, want.Seq); err != nil {
			t.Fatal(err)
		}
		if got := p.model.content(); got != want.content() {
			t.Fatalf("%s after the resync:\n%s", p.member, firstDiff(got, want.content()))
		}
		if got := p.model.Compass["halsa"].Ratings[board.PerspectiveProfessionals]; got != "2" {
			t.Fatalf("%s does not see the foreign change (professionals' rating %q)", p.member, got)
		}
	}
}

// ---------------------------------------------------------------------------------------
// Server restart: every live connection is told to come back (4002, a "reconnect" code).

func TestProtocolServerRestart(t *testing.T) {
	t.Parallel()
	env := servertest.Start(t, servertest.Options{})
	ctx := testCtx(t, 20*time.Second)
	ps := connectPeers(ctx, t, env, "demo-guardian1", "demo-teacher")
	sctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	env.Server.Shutdown(sctx)
	for _, p := range ps {
		code, err := p.c.closeStatus(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if code != realtime.CloseServerRestart {
			t.Errorf("%s: close code %d on shutdown, want %d", p.member, code, realtime.CloseServerRestart)
		}
	}
	// PROTOCOL.md: the upgrade is refused "with 503 while the server shuts down".
	ws, resp, err := env.Dial(ctx, ps[0].httpc, ps[0].member, -1, "")
	if err == nil {
		ws.CloseNow()
		t.Fatalf("upgrade during shutdown: accepted, want HTTP 503")
	}
	if resp == nil || resp.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("upgrade during shutdown: %v (response %v), want HTTP 503", err, resp)
	}
}

// ---------------------------------------------------------------------------------------
// The lobby socket (PROTOCOL.md "Getting in", "The lobby socket", "lobby-list"): someone
// waiting gets lobby messages and heartbeats, nothing of the board, whatever happens on it;
// their ops are refused and their presence ignored; whoever leads the meeting sees them in
// the lobby list, lets them in or turns them away with a form post; the waiting socket then
// hears the decision and closes with 4005, and the same session comes back to the board
// (or is refused with 403).

// sessionKey is the lobby key of a member's guest session in c: hex(sha256(token)).
func sessionKey(t testing.TB, env *servertest.Env, c *http.Client, member string) string {
	t.Helper()
	u, _ := url.Parse(env.URL)
	for _, ck := range c.Jar.Cookies(u) {
		if strings.HasSuffix(ck.Name, "bt-"+member) {
			sum := sha256.Sum256([]byte(ck.Value))
			return hex.EncodeToString(sum[:])
		}
	}
	t.Fatalf("%s: no session cookie", member)
	return ""
}

// awaitLobbyList reads the leader's messages until a lobby list satisfies ok.
func awaitLobbyList(ctx context.Context, p *peer, ok func(html string) bool) error {
	for {
		m, err := p.step(ctx)
		if err != nil {
			return fmt.Errorf("%s: waiting for a lobby list: %w", p.member, err)
		}
		if m.T == "lobby-list" && ok(p.lobbyList) {
			return nil
		}
	}
}

// nextOnLobby returns a lobby connection's next message that is not a heartbeat.
func nextOnLobby(ctx context.Context, c *tconn) (srvMsg, error) {
	for {
		m, err := c.next(ctx)
		if err != nil || m.T != "hb" {
			return m, err
		}
	}
}

func TestProtocolLobby(t *testing.T) {
	t.Parallel()
	env := servertest.Start(t, servertest.Options{Hub: realtime.Options{Heartbeat: 30 * time.Millisecond}})
	ctx := testCtx(t, 30*time.Second)
	coord := connectPeers(ctx, t, env, "demo-coord")[0]
	if err := awaitLobbyList(ctx, coord, func(string) bool { return true }); err != nil {
		t.Fatal(err) // "after their welcome"
	}
	noRedirect := *coord.httpc
	noRedirect.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	decide := func(t *testing.T, c *http.Client, member, key, decision string) int {
		t.Helper()
		resp, err := c.PostForm(env.BoardURL(member)+"lobby", url.Values{"key": {key}, "decision": {decision}})
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}

	// Two guardians confirm "this is me" and open the lobby socket.
	type waiting struct {
		member, name, key string
		httpc             *http.Client
		c                 *tconn
	}
	var ws []*waiting
	for _, g := range []struct{ member, name string }{{"demo-guardian1", "Sara Nilsson"}, {"demo-guardian2", "Ahmed Nilsson"}} {
		hc := env.LobbyClient(t, g.member)
		conn, resp, err := env.Dial(ctx, hc, g.member, -1, "")
		if err != nil {
			t.Fatalf("%s: lobby upgrade: %v (%v)", g.member, err, resp)
		}
		w := &waiting{member: g.member, name: g.name, key: sessionKey(t, env, hc, g.member), httpc: hc, c: newTConn(conn)}
		t.Cleanup(w.c.close)
		m, err := nextOnLobby(ctx, w.c)
		if err != nil {
			t.Fatal(err)
		}
		if m.T != "lobby" || m.LobbyState != "waiting" || m.Reason != "admission" {
			t.Fatalf("%s: first lobby message %+v, want waiting for admission", g.member, m)
		}
		ws = append(ws, w)
	}
	g1, g2 := ws[0], ws[1]

	// The leader's lobby list shows both, each with admit and turn-away forms for its key.
	err := awaitLobbyList(ctx, coord, func(h string) bool {
		h = html.UnescapeString(h)
		for _, w := range ws {
			if !strings.Contains(h, w.name) || !strings.Contains(h, `name="key" value="`+w.key+`"`) {
				return false
			}
		}
		return strings.Contains(h, `value="admit"`) && strings.Contains(h, `value="turn_away"`)
	})
	if err != nil {
		t.Fatal(err)
	}

	t.Run("ops refused, presence ignored, no board content", func(t *testing.T) {
		before := storeSeq(t, env)
		if err := g1.c.sendJSON(ctx, map[string]any{"t": "presence", "hand": true, "editing": "compass/halsa#worries"}); err != nil {
			t.Fatal(err)
		}
		op := newOp("rate", "compass/trygghet", 0, map[string]any{"perspective": "guardian:demo-guardian1", "value": "5"})
		if err := g1.c.sendJSON(ctx, op); err != nil {
			t.Fatal(err)
		}
		m, err := nextOnLobby(ctx, g1.c)
		if err != nil {
			t.Fatal(err)
		}
		if m.T != "reject" || m.CID != op.CID || m.Code != "forbidden" {
			t.Fatalf("an op from the lobby: %+v, want reject forbidden", m)
		}
		checkSwedish(t, env, m.Message)
		if after := storeSeq(t, env); after != before {
			t.Fatalf("an op from the lobby moved the board from %d to %d", before, after)
		}
		// The board moves on; the lobby hears nothing of it (the reader fails on any board
		// message there), only heartbeats.
		seq := coord.mustApply(ctx, setOp("compass/halsa", "worries", coord.model.Compass["halsa"].Worries.R, "Hemligt för lobbyn."))
		if _, ok := findPerson(coord.presence, g1.member); ok {
			t.Errorf("presence lists %s, who waits in the lobby: %+v", g1.member, coord.presence)
		}
		for _, w := range ws {
			if m, err := w.c.next(ctx); err != nil || m.T != "hb" {
				t.Fatalf("%s: after board event %d the lobby got %+v (%v), want only heartbeats", w.member, seq, m, err)
			}
		}
	})

	t.Run("only the leader decides", func(t *testing.T) {
		teacher := env.Client(t, "demo-teacher")
		teacher.CheckRedirect = noRedirect.CheckRedirect
		if code := decide(t, teacher, "demo-teacher", g1.key, "admit"); code != http.StatusForbidden {
			t.Fatalf("a professional letting someone in: HTTP %d, want 403", code)
		}
		selfService := *g2.httpc
		selfService.CheckRedirect = noRedirect.CheckRedirect
		if code := decide(t, &selfService, g2.member, g2.key, "admit"); code != http.StatusForbidden {
			t.Fatalf("someone in the lobby letting themselves in: HTTP %d, want 403", code)
		}
	})

	t.Run("admit", func(t *testing.T) {
		if code := decide(t, &noRedirect, "demo-coord", g1.key, "admit"); code != http.StatusSeeOther {
			t.Fatalf("admit: HTTP %d, want 303", code)
		}
		m, err := nextOnLobby(ctx, g1.c)
		if err != nil {
			t.Fatal(err)
		}
		if m.T != "lobby" || m.LobbyState != "admitted" {
			t.Fatalf("after admission: %+v, want lobby admitted", m)
		}
		if code, err := g1.c.closeStatus(ctx); err != nil || code != realtime.CloseReload {
			t.Fatalf("after admission the lobby socket ended with %d (%v), want %d (reload)", code, err, realtime.CloseReload)
		}
		if err := awaitLobbyList(ctx, coord, func(h string) bool { return !strings.Contains(h, g1.key) && strings.Contains(h, g2.key) }); err != nil {
			t.Fatal(err)
		}
		if code := decide(t, &noRedirect, "demo-coord", g1.key, "turn_away"); code != http.StatusConflict {
			t.Errorf("a second decision: HTTP %d, want 409", code)
		}
		// The same session is now on the board: a welcome, the snapshot, and live events.
		p := &peer{t: t, env: env, member: g1.member, httpc: g1.httpc,
			out: map[string]outcome{}, rejects: map[string]srvMsg{}, resumes: map[string]int{}, stats: map[string]int{}}
		p.mustConnect(ctx)
		defer p.disconnect()
		if p.role != "guardian" || p.welcome.Resume != "snapshot" {
			t.Fatalf("admitted guardian's welcome %+v", p.welcome)
		}
		if got, want := p.model.content(), storeModel(t, env).content(); got != want {
			t.Fatalf("admitted guardian's board:\n%s", firstDiff(got, want))
		}
		p.mustApply(ctx, newOp("rate", "compass/trygghet", 0, map[string]any{"perspective": "guardian:demo-guardian1", "value": "5"}))
	})

	t.Run("turn away", func(t *testing.T) {
		if code := decide(t, &noRedirect, "demo-coord", g2.key, "turn_away"); code != http.StatusSeeOther {
			t.Fatalf("turn away: HTTP %d, want 303", code)
		}
		m, err := nextOnLobby(ctx, g2.c)
		if err != nil {
			t.Fatal(err)
		}
		if m.T != "lobby" || m.LobbyState != "turned_away" {
			t.Fatalf("after turning away: %+v, want lobby turned_away", m)
		}
		if code, err := g2.c.closeStatus(ctx); err != nil || code != realtime.CloseReload {
			t.Fatalf("after turning away the lobby socket ended with %d (%v), want %d (reload)", code, err, realtime.CloseReload)
		}
		if err := awaitLobbyList(ctx, coord, func(h string) bool { return !strings.Contains(h, g2.key) }); err != nil {
			t.Fatal(err)
		}
		conn, resp, err := env.Dial(ctx, g2.httpc, g2.member, -1, "")
		if err == nil {
			conn.CloseNow()
			t.Fatal("a turned-away session's upgrade was accepted")
		}
		if resp == nil || resp.StatusCode != http.StatusForbidden {
			t.Fatalf("a turned-away session's upgrade: %v (response %v), want HTTP 403", err, resp)
		}
	})
}

// ---------------------------------------------------------------------------------------
// A snapshot may come on its own, outside a resume, when a person's view changes
// (PROTOCOL.md "Server → client"); here the team's directory is read again after the
// coordinator saves the co-facilitator setting. Clients take it as their board, and the
// live events carry on from its seq with no gap and no duplicate.

func TestProtocolSnapshotOutsideResume(t *testing.T) {
	t.Parallel()
	env := servertest.Start(t, servertest.Options{})
	ctx := testCtx(t, 20*time.Second)
	ps := connectPeers(ctx, t, env, "demo-coord", "demo-teacher", "demo-guardian2")
	coord := ps[0]
	seq := makeChanges(ctx, t, 3, coord, ps[1])
	for _, p := range ps {
		if err := p.catchUp(ctx, seq); err != nil {
			t.Fatal(err)
		}
	}

	hc := *coord.httpc
	hc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	resp, err := hc.PostForm(env.BoardURL("demo-coord")+"cofacilitator", url.Values{"member": {""}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("saving the co-facilitator: HTTP %d, want 303", resp.StatusCode)
	}
	for _, p := range ps {
		n := len(p.snapshots)
		for len(p.snapshots) == n {
			if _, err := p.step(ctx); err != nil {
				t.Fatalf("%s: waiting for the snapshot: %v", p.member, err)
			}
		}
		if got := p.snapshots[len(p.snapshots)-1]; got != seq {
			t.Fatalf("%s: snapshot at %d, the board is at %d", p.member, got, seq)
		}
		if got, want := p.model.content(), storeModel(t, env).content(); got != want {
			t.Fatalf("%s: snapshot differs from the store's board:\n%s", p.member, firstDiff(got, want))
		}
	}
	next := makeChanges(ctx, t, 2, ps[1], coord)
	for _, p := range ps {
		if err := p.catchUp(ctx, next); err != nil {
			t.Fatal(err)
		}
		checkAppliedRun(t, p)
	}
}
