//go:build unix

package main_test

// The crash test: a real barnteam process, several real WebSocket clients sending ops as
// fast as the protocol lets them, and SIGKILL at a random moment. Between rounds, with the
// process dead, a copy of the database files is opened with the project's store and
// checked against what the clients were told: every op whose own event or ack came back,
// and every event any client saw, is in the op log at the seq the client was given; the
// seqs are 1..N without gaps; no cid is there twice. Each restart then proves resume and
// idempotent re-sending: every client reconnects with since=<its last applied seq> and
// re-sends its unconfirmed ops; one that the log holds must come back as an ack with the
// logged seq, one it does not hold as a new event.
//
// The clients get in the real way, once: the coordinator signs in with the account the
// demo prints; the others follow their personal links, confirm "this is me" and are let in
// from the lobby by the coordinator. Sessions and admissions are in the database, so after
// every SIGKILL the same cookies simply reconnect: a client that finds itself in the lobby,
// or logged out, has lost what the server had promised to keep.
//
//	BARNTEAM_CRASH_ROUNDS=10 go test -race -count=1 -run Crash ./cmd/barnteam/ -v
//
// BARNTEAM_CRASH_SEED repeats a run's random choices (the seed is logged).

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/barnteam/barnteam/server/board"
	"github.com/barnteam/barnteam/server/store/sqlite"
)

const (
	crashMeeting = "demo-meeting"
	coordinator  = "demo-coord" // signs in with the demo's account; the others come by link
)

// The members who write during the test: each owns the entities it edits, so a text set
// can always be sent with a base at or above the field's revision (no merge, no conflict)
// and every op the test sends is valid. Names are matched against the printed links (the
// coordinator has none: they sign in).
var crashMembers = []struct{ id, name, short, kind string }{
	{"demo-coord", "Maria Lind", "c", "agenda"},
	{"demo-teacher", "Johan Berg", "t", "action"},
	{"demo-nurse", "Eva Holm", "n", "goal"},
	{"demo-guardian1", "Sara Nilsson", "g", "compass"},
}

const (
	slotsPerClient = 4 // ops in flight per connection (one per slot)
	// The server allows 20 ops/s with bursts of 60 per connection, counted from when it
	// accepted the connection; the client's bucket starts later, smaller and slower.
	clientBurst = 55
	clientRate  = 19.0
)

func TestCrash(t *testing.T) {
	rounds := 3
	if v := os.Getenv("BARNTEAM_CRASH_ROUNDS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			t.Fatalf("BARNTEAM_CRASH_ROUNDS=%q: want a positive integer", v)
		}
		rounds = n
	}
	seed := uint64(time.Now().UnixNano())
	if v := os.Getenv("BARNTEAM_CRASH_SEED"); v != "" {
		n, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			t.Fatalf("BARNTEAM_CRASH_SEED=%q: %v", v, err)
		}
		seed = n
	}
	t.Logf("rounds %d, seed %d (BARNTEAM_CRASH_SEED=%d repeats the kill times)", rounds, seed, seed)
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))

	bin := buildServer(t)
	data := t.TempDir()
	rec := newRecorder(t)

	p := startServer(t, bin, data, "")
	clients := signIn(t, rec, p)

	for round := 1; round <= rounds; round++ {
		began := time.Now()
		rec.newRound()
		sessions := make([]*session, len(clients))
		for i, c := range clients {
			sessions[i] = c.connect(p, true)
		}
		connected := time.Now()
		resumes := map[string]int{}
		for _, s := range sessions {
			resumes[s.resume]++
			s.start()
		}
		killAfter := time.Duration(100+rng.IntN(1401)) * time.Millisecond
		select {
		case <-time.After(killAfter): // the crash moment itself, not a wait for a condition
		case <-p.done:
			t.Fatalf("round %d: the server exited on its own: %v\n%s", round, p.err, p.stderr.String())
		}
		// Stop making and sending ops just before the kill, so "in flight" is exact: sent,
		// not yet confirmed. The server still has them queued or half-done.
		inFlight := 0
		for _, c := range clients {
			inFlight += c.freeze()
		}
		p.kill()
		killed := time.Now()
		for _, s := range sessions {
			s.wait(10 * time.Second)
		}
		if t.Failed() {
			t.Fatalf("round %d: protocol errors (see above)", round)
		}
		unacked, present := 0, 0
		v := verifyDB(t, rec, data, round)
		for _, c := range clients {
			u, in := c.afterCrash(v.seqOf)
			unacked += u
			present += in
		}
		var sent, acked, rate int
		var lat []time.Duration
		for _, c := range clients {
			s, a, r, l := c.roundCounts()
			sent, acked, rate, lat = sent+s, acked+a, rate+r, append(lat, l...)
		}
		t.Logf("round %2d: killed after %4d ms: %3d ops sent (with re-sends), %3d acknowledged, %2d in flight at the kill, "+
			"%2d of them confirmed from the socket after it, %2d unconfirmed (%d of these in the log); log seq 1..%d; %d rate refusals; confirmation latency %s",
			round, killAfter.Milliseconds(), sent, acked, inFlight, inFlight-unacked, unacked, present, v.n, rate, quantiles(lat))
		if t.Failed() {
			t.Fatalf("round %d: durability check failed (see above)", round)
		}
		checked := time.Now()
		p = startServer(t, bin, data, p.addr)
		t.Logf("          (resumed with %v; connect %v, load %v, drain+check %v, restart %v)", resumes, connected.Sub(began).Round(time.Millisecond),
			killed.Sub(connected).Round(time.Millisecond),
			checked.Sub(killed).Round(time.Millisecond), time.Since(checked).Round(time.Millisecond))
	}

	// Last restart: every client resumes and re-sends what is still unconfirmed, without
	// new ops, until nothing is pending; then a clean stop.
	rec.newRound()
	sessions := make([]*session, len(clients))
	for i, c := range clients {
		sessions[i] = c.connect(p, false)
	}
	for _, s := range sessions {
		s.start()
	}
	deadline := time.NewTimer(15 * time.Second)
	defer deadline.Stop()
	for {
		n := 0
		for _, c := range clients {
			n += c.pendingCount()
		}
		if n == 0 {
			break
		}
		select {
		case <-rec.progress:
		case <-p.done:
			t.Fatalf("the server exited during the final resend: %v\n%s", p.err, p.stderr.String())
		case <-deadline.C:
			t.Fatalf("%d re-sent ops still unconfirmed after 15s", n)
		}
	}
	resent := 0
	for _, c := range clients {
		s, _, _, _ := c.roundCounts()
		resent += s
	}
	resumes := map[string]int{}
	for _, s := range sessions {
		resumes[s.resume]++
	}
	t.Logf("final restart: resumed with %v; %d unconfirmed ops re-sent, each answered once as the log required", resumes, resent)
	stopping := time.Now()
	p.terminate(15 * time.Second)
	t.Logf("SIGTERM: exit status 0 after %v", time.Since(stopping).Round(time.Millisecond))
	for _, s := range sessions {
		s.wait(10 * time.Second)
		if code := websocket.CloseStatus(s.readErr); code != 4002 {
			t.Errorf("%s: on SIGTERM the connection ended with %v (close code %d), want close code 4002 (server restarting)", s.c.id, s.readErr, code)
		}
	}
	v := verifyDB(t, rec, data, rounds+1)
	t.Logf("final: clean stop with exit status 0; log seq 1..%d, %d ops acknowledged over the test, %d events observed, nothing pending",
		v.n, rec.ackedCount(), rec.observedCount())
}

// quantiles summarises latencies as p50/p90/max.
func quantiles(d []time.Duration) string {
	if len(d) == 0 {
		return "-"
	}
	slices.Sort(d)
	q := func(f float64) time.Duration { return d[int(f*float64(len(d)-1))].Round(100 * time.Microsecond) }
	return fmt.Sprintf("p50 %v p90 %v max %v", q(0.5), q(0.9), d[len(d)-1].Round(100*time.Microsecond))
}

// ---- the process ----

func buildServer(t *testing.T) string {
	t.Helper()
	gobin, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("the crash test builds the real binary and needs the go command on PATH: %v", err)
	}
	bin := filepath.Join(t.TempDir(), "barnteam")
	cmd := exec.Command(gobin, "build", "-o", bin, ".")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// outBuf collects a child's output and wakes one waiter on every write.
type outBuf struct {
	mu     sync.Mutex
	b      bytes.Buffer
	notify chan struct{}
}

func newOutBuf() *outBuf { return &outBuf{notify: make(chan struct{}, 1)} }

func (o *outBuf) Write(p []byte) (int, error) {
	o.mu.Lock()
	o.b.Write(p)
	o.mu.Unlock()
	select {
	case o.notify <- struct{}{}:
	default:
	}
	return len(p), nil
}

func (o *outBuf) String() string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.b.String()
}

type proc struct {
	t     *testing.T
	cmd   *exec.Cmd
	addr  string // 127.0.0.1:port
	base  string // http://127.0.0.1:port
	links map[string]string
	// The demo coordinator's login, as printed (a fresh password on every start).
	email, password string
	stdout          *outBuf
	stderr          *outBuf
	done            chan struct{} // closed when the process has been waited for
	err             error         // cmd.Wait's answer, set before done is closed
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// startServer starts the binary on data, on addr when given (a restart keeps its address,
// as a real one would) and otherwise on a free port; it retries on other ports when the
// process cannot start there.
func startServer(t *testing.T, bin, data, addr string) *proc {
	t.Helper()
	return startProc(t, bin, addr, true, "-demo", "-data", data)
}

// startProc starts the binary with args and -addr (addr, or a free port), retrying on
// other ports when it cannot start there. With demo it waits for the demo's printed links
// and login as well as for "listening".
func startProc(t *testing.T, bin, addr string, demo bool, args ...string) *proc {
	t.Helper()
	var errs []error
	for attempt := 0; attempt < 4; attempt++ {
		if addr == "" || attempt > 0 {
			addr = freeAddr(t)
		}
		p, err := tryStart(t, bin, addr, demo, args)
		if err == nil {
			return p
		}
		errs = append(errs, err)
	}
	t.Fatalf("could not start the server: %v", errors.Join(errs...))
	return nil
}

func tryStart(t *testing.T, bin, addr string, demo bool, args []string) (*proc, error) {
	p := &proc{t: t, addr: addr, base: "http://" + addr, stdout: newOutBuf(), stderr: newOutBuf(), done: make(chan struct{})}
	p.cmd = exec.Command(bin, append(args, "-addr", addr)...)
	p.cmd.Stdout, p.cmd.Stderr = p.stdout, p.stderr
	// Flags win over the environment twins, but an inherited BARNTEAM_DATABASE_URL (CI
	// sets one for the store contract suite) has no flag here: keep the child's
	// environment free of them.
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "BARNTEAM_") {
			p.cmd.Env = append(p.cmd.Env, kv)
		}
	}
	if err := p.cmd.Start(); err != nil {
		return nil, err
	}
	go func() {
		p.err = p.cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(func() {
		select {
		case <-p.done:
		default:
			p.cmd.Process.Kill()
			<-p.done
		}
	})
	fail := func(format string, args ...any) (*proc, error) {
		select {
		case <-p.done:
		default:
			p.cmd.Process.Kill()
			<-p.done
		}
		return nil, fmt.Errorf("%s: %s (exit: %v)\nstderr:\n%s", addr, fmt.Sprintf(format, args...), p.err, p.stderr.String())
	}

	// The links go to stdout, then the server listens and logs "listening" to stderr.
	// Waiting for that line (not only /healthz) makes sure the port is this process's.
	listening := "msg=listening addr=" + addr + " "
	timeout := time.NewTimer(20 * time.Second)
	defer timeout.Stop()
	for {
		p.links = parseLinks(p.stdout.String(), p.base)
		p.email, p.password = parseLogin(p.stdout.String(), p.base)
		printed := !demo || (len(p.links) == len(crashMembers)-1 && p.password != "")
		if printed && strings.Contains(p.stderr.String(), listening) {
			break
		}
		select {
		case <-p.stdout.notify:
		case <-p.stderr.notify:
		case <-p.done:
			return fail("exited before listening")
		case <-timeout.C:
			return fail("no join links and coordinator login (with -demo) or no \"listening\" within 20s; stdout:\n%s", p.stdout.String())
		}
	}
	hc := &http.Client{Timeout: 2 * time.Second}
	backoff := 2 * time.Millisecond
	for {
		resp, err := hc.Get(p.base + "/healthz")
		if err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return p, nil
			}
		}
		select {
		case <-p.done:
			return fail("exited before answering /healthz")
		case <-timeout.C:
			return fail("no answer from /healthz within 20s (last: %v)", err)
		case <-time.After(backoff): // retry a condition, with a deadline
		}
		backoff = min(2*backoff, 50*time.Millisecond)
	}
}

// parseLinks finds the test members' join links in the -demo output, lines like
// "  Johan Berg     Professionell          http://127.0.0.1:8099/j/<token>". The
// coordinator signs in instead (parseLogin).
func parseLinks(out, base string) map[string]string {
	links := map[string]string{}
	for _, line := range strings.Split(out, "\n") {
		f := strings.Fields(line)
		if len(f) < 2 || !strings.HasPrefix(f[len(f)-1], base+"/j/") {
			continue
		}
		for _, m := range crashMembers {
			if m.id != coordinator && strings.HasPrefix(strings.TrimSpace(line), m.name+" ") {
				links[m.id] = f[len(f)-1]
			}
		}
	}
	return links
}

// parseLogin finds the demo coordinator's login in the -demo output, a line like
// "  Stödsamordnare: http://127.0.0.1:8099/login  e-mail maria.lind@demo.barnteam.se  password <pw>".
func parseLogin(out, base string) (email, password string) {
	for _, line := range strings.Split(out, "\n") {
		f := strings.Fields(line)
		if !slices.Contains(f, base+"/login") {
			continue
		}
		for i := 0; i+1 < len(f); i++ {
			switch f[i] {
			case "e-mail":
				email = f[i+1]
			case "password":
				password = f[i+1]
			}
		}
	}
	return email, password
}

func (p *proc) kill() {
	p.t.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		p.t.Fatalf("SIGKILL: %v", err)
	}
	select {
	case <-p.done:
	case <-time.After(10 * time.Second):
		p.t.Fatal("the process did not die within 10s of SIGKILL")
	}
	var ee *exec.ExitError
	if !errors.As(p.err, &ee) {
		p.t.Fatalf("after SIGKILL: %v", p.err)
	}
	if ws, ok := ee.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
		p.t.Fatalf("the process ended with %v before the SIGKILL reached it\nstderr:\n%s", p.err, p.stderr.String())
	}
}

func (p *proc) terminate(limit time.Duration) {
	p.t.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		p.t.Fatalf("SIGTERM: %v", err)
	}
	select {
	case <-p.done:
	case <-time.After(limit):
		p.t.Fatalf("the process did not exit within %v of SIGTERM\nstderr:\n%s", limit, p.stderr.String())
	}
	if p.err != nil {
		p.t.Fatalf("after SIGTERM the process ended with %v, want exit status 0\nstderr:\n%s", p.err, p.stderr.String())
	}
	if !strings.Contains(p.stderr.String(), "shutting down") {
		p.t.Errorf("no \"shutting down\" in the log:\n%s", p.stderr.String())
	}
}

// ---- what the clients were told ----

type recorder struct {
	t        *testing.T
	progress chan struct{} // a pending op was confirmed

	mu       sync.Mutex
	epoch    string
	sent     map[string]bool  // every cid ever sent
	acked    map[string]int64 // cid → the seq its event or ack named
	observed map[int64]string // seq → cid, from every event any client received
	rejected map[string]bool  // refused for good (never expected in this workload)
	errs     int
}

func newRecorder(t *testing.T) *recorder {
	return &recorder{t: t, progress: make(chan struct{}, 1), sent: map[string]bool{}, acked: map[string]int64{},
		observed: map[int64]string{}, rejected: map[string]bool{}}
}

// errorf reports a failure from any goroutine, without flooding the log.
func (r *recorder) errorf(format string, args ...any) {
	r.mu.Lock()
	r.errs++
	n := r.errs
	r.mu.Unlock()
	switch {
	case n <= 25:
		r.t.Errorf(format, args...)
	case n == 26:
		r.t.Errorf("more errors follow; not shown")
	default:
		r.t.Fail()
	}
}

func (r *recorder) newRound() {
	select {
	case <-r.progress:
	default:
	}
}

func (r *recorder) observe(seq int64, cid string) {
	r.mu.Lock()
	prev, ok := r.observed[seq]
	if !ok {
		r.observed[seq] = cid
	}
	r.mu.Unlock()
	if ok && prev != cid {
		r.errorf("seq %d was announced with cid %q and later with cid %q: a seq was reused", seq, prev, cid)
	}
}

func (r *recorder) setEpoch(member, epoch string) {
	r.mu.Lock()
	prev := r.epoch
	if prev == "" {
		r.epoch = epoch
	}
	r.mu.Unlock()
	if prev != "" && prev != epoch {
		r.errorf("%s: epoch %q, before %q: the meeting's history was replaced", member, epoch, prev)
	}
}

func (r *recorder) confirmed(cid string, seq int64) {
	r.mu.Lock()
	prev, ok := r.acked[cid]
	r.acked[cid] = seq
	r.mu.Unlock()
	if ok {
		r.errorf("cid %s confirmed twice (seq %d, then seq %d)", cid, prev, seq)
	}
	select {
	case r.progress <- struct{}{}:
	default:
	}
}

func (r *recorder) ackedCount() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.acked)
}

func (r *recorder) observedCount() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.observed)
}

type verified struct {
	n     int64
	seqOf map[string]int64 // cid → seq in the log
}

// verifyDB checks the database of the stopped process against the recorder. It opens a
// copy of the files, so the next start recovers the crashed database itself.
func verifyDB(t *testing.T, rec *recorder, data string, round int) verified {
	t.Helper()
	dir := filepath.Join(t.TempDir(), fmt.Sprintf("round-%d", round))
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"barnteam.db", "barnteam.db-wal"} {
		b, err := os.ReadFile(filepath.Join(data, name))
		if errors.Is(err, os.ErrNotExist) && name != "barnteam.db" {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	st, err := sqlite.Open(filepath.Join(dir, "barnteam.db"), sqlite.Options{})
	if err != nil {
		t.Fatalf("open the crashed database: %v", err)
	}
	defer st.Close()
	return verifyLog(t, rec, st)
}

// verifyLog checks a meeting's op log against what the clients were told: every op
// acknowledged and every event observed is there at its seq; the seqs are 1..N without
// gaps; no cid is there twice; nothing refused or never sent is there.
func verifyLog(t *testing.T, rec *recorder, st board.Store) verified {
	t.Helper()
	ctx := context.Background()
	changes, err := st.ChangesSince(ctx, crashMeeting, 0, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	b, err := st.LoadBoard(ctx, crashMeeting)
	if err != nil {
		t.Fatal(err)
	}
	// Report the first problems in full, then only how many there were.
	problems, lost := 0, 0
	bad := func(format string, args ...any) {
		problems++
		if problems <= 20 {
			t.Errorf(format, args...)
		}
	}
	defer func() {
		if problems > 20 {
			t.Errorf("%d problems with the database in all, %d of them acknowledged ops that are missing", problems, lost)
		}
	}()
	v := verified{n: int64(len(changes)), seqOf: map[string]int64{}}
	cidAt := map[int64]string{}
	if b.Seq != v.n {
		bad("the meeting's seq is %d but the log holds %d ops", b.Seq, v.n)
	}

	rec.mu.Lock()
	defer rec.mu.Unlock()
	if b.Epoch != rec.epoch {
		bad("epoch in the database %q, clients were told %q", b.Epoch, rec.epoch)
	}
	for i, ch := range changes {
		if ch.Seq != int64(i+1) {
			bad("log position %d holds seq %d: the seqs are not 1..N without gaps", i+1, ch.Seq)
		}
		cidAt[ch.Seq] = ch.CID
		if prev, dup := v.seqOf[ch.CID]; dup {
			bad("cid %s is in the log twice: seq %d and seq %d", ch.CID, prev, ch.Seq)
			continue
		}
		v.seqOf[ch.CID] = ch.Seq
		if !strings.HasPrefix(ch.CID, "demo-") && !rec.sent[ch.CID] {
			bad("seq %d: cid %q was never sent", ch.Seq, ch.CID)
		}
		if rec.rejected[ch.CID] {
			bad("seq %d: cid %s was refused but is in the log", ch.Seq, ch.CID)
		}
	}
	for cid, seq := range rec.acked {
		got, ok := v.seqOf[cid]
		switch {
		case !ok:
			lost++
			bad("LOST: cid %s was acknowledged at seq %d but is not in the log (log 1..%d)", cid, seq, v.n)
		case got != seq:
			bad("cid %s was acknowledged at seq %d but the log has it at seq %d", cid, seq, got)
		}
	}
	for seq, cid := range rec.observed {
		switch got, ok := cidAt[seq]; {
		case !ok:
			bad("an event with seq %d (cid %s) reached a client, but the log has no seq %d (it holds 1..%d)", seq, cid, seq, v.n)
		case got != cid:
			bad("an event with seq %d carried cid %s, the log has %s at that seq", seq, cid, got)
		}
	}
	return v
}

// ---- one client ----

type op struct {
	cid    string
	slot   int
	msg    []byte
	sentIn int   // the session that last sent it (0: to be sent)
	expect int64 // after a crash: the seq the log holds it at, -1 not in the log, 0 unknown
	sentAt time.Time
}

type slot struct {
	busy bool
	step int
	id   string // entity id (agenda, goal, action) or area (compass)
}

type client struct {
	t     *testing.T
	rec   *recorder
	id    string
	short string
	kind  string
	http  *http.Client

	mu       sync.Mutex
	lastSeq  int64 // the last seq applied; -1 before the first snapshot
	epoch    string
	queue    []*op // unconfirmed ops in the order they were made
	pending  map[string]*op
	slots    []*slot
	n        int // counter for cids, ids and texts
	sessions int
	frozen   bool // no more sends (the kill is coming)
	// this round
	sent, acked, rateRefused int
	latency                  []time.Duration // send to confirmation
}

var compassAreas = []string{"trygghet", "halsa", "utveckling", "omsorg", "fritid", "tillhorighet", "respekt", "ansvar"}

func newClient(t *testing.T, rec *recorder, id, short, kind string) *client {
	jar, _ := cookiejar.New(nil)
	c := &client{t: t, rec: rec, id: id, short: short, kind: kind, lastSeq: -1, pending: map[string]*op{},
		http: &http.Client{Jar: jar, Timeout: 10 * time.Second}}
	for i := 0; i < slotsPerClient; i++ {
		s := &slot{}
		if kind == "compass" {
			s.id = compassAreas[i]
		}
		c.slots = append(c.slots, s)
	}
	return c
}

func (c *client) boardPath() string { return "/b/" + crashMeeting + "/" + c.id + "/" }

// fetch makes a request (following redirects) and returns where it ended and the page.
func (c *client) fetch(method, u string, form url.Values) (*http.Response, string) {
	c.t.Helper()
	var resp *http.Response
	var err error
	if method == http.MethodPost {
		resp, err = c.http.PostForm(u, form)
	} else {
		resp, err = c.http.Get(u)
	}
	if err != nil {
		c.t.Fatalf("%s: %s %s: %v", c.id, method, u, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		c.t.Fatalf("%s: %s %s: %v", c.id, method, u, err)
	}
	return resp, string(b)
}

// onBoard checks that a page is the member's board itself (not the lobby).
func (c *client) onBoard(resp *http.Response, page, what string) {
	c.t.Helper()
	if resp.StatusCode != http.StatusOK || resp.Request.URL.Path != c.boardPath() || !strings.Contains(page, `data-seq="`) {
		c.t.Fatalf("%s: %s: status %d at %s, want the board at %s", c.id, what, resp.StatusCode, resp.Request.URL.Path, c.boardPath())
	}
}

// login signs the coordinator in with the printed account, the board as the place to go
// next; the staff session cookie then outlives restarts.
func (c *client) login(p *proc) {
	c.t.Helper()
	resp, page := c.fetch(http.MethodPost, p.base+"/login", url.Values{"email": {p.email}, "password": {p.password}, "next": {c.boardPath()}})
	c.onBoard(resp, page, "login")
}

// join follows the member's personal link once, confirms "this is me" and waits in the
// lobby until the coordinator lets the session in; the session cookie and the admission
// then outlive restarts.
func (c *client) join(p *proc, coord *client) {
	c.t.Helper()
	resp, _ := c.fetch(http.MethodGet, p.links[c.id], nil)
	if resp.StatusCode != http.StatusOK || resp.Request.URL.Path != "/join" {
		c.t.Fatalf("join %s: status %d at %s, want 200 at /join", c.id, resp.StatusCode, resp.Request.URL.Path)
	}
	resp, page := c.fetch(http.MethodPost, p.base+"/join", url.Values{})
	if resp.StatusCode != http.StatusOK || resp.Request.URL.Path != c.boardPath() || !strings.Contains(page, `data-ws="`+c.boardPath()+`ws"`) || strings.Contains(page, `data-seq="`) {
		c.t.Fatalf("join %s: status %d at %s, want the lobby at %s", c.id, resp.StatusCode, resp.Request.URL.Path, c.boardPath())
	}
	// The coordinator lets the session in: the lobby key is hex(sha256(session token)).
	u, _ := url.Parse(p.base)
	key := ""
	for _, ck := range c.http.Jar.Cookies(u) {
		if strings.HasSuffix(ck.Name, "bt-"+c.id) {
			sum := sha256.Sum256([]byte(ck.Value))
			key = hex.EncodeToString(sum[:])
		}
	}
	if key == "" {
		c.t.Fatalf("join %s: no session cookie after \"this is me\"", c.id)
	}
	resp, page = coord.fetch(http.MethodPost, p.base+coord.boardPath()+"lobby", url.Values{"key": {key}, "decision": {"admit"}})
	coord.onBoard(resp, page, "letting "+c.id+" in")
	resp, page = c.fetch(http.MethodGet, p.base+c.boardPath(), nil)
	c.onBoard(resp, page, "after admission")
}

// signIn makes the test's clients and gets them in the real way at p (which printed the
// demo's links and login): the coordinator signs in, the others follow their links and
// are let in from the lobby by the coordinator.
func signIn(t *testing.T, rec *recorder, p *proc) []*client {
	t.Helper()
	clients := make([]*client, len(crashMembers))
	var coord *client
	for i, m := range crashMembers {
		clients[i] = newClient(t, rec, m.id, m.short, m.kind)
		if m.id == coordinator {
			coord = clients[i]
			coord.login(p)
		}
	}
	for _, c := range clients {
		if c != coord {
			c.join(p, coord)
		}
	}
	return clients
}

// freeze stops the client's drivers from sending anything more and returns how many ops
// are in flight: sent (or about to be written) and not confirmed.
func (c *client) freeze() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.frozen = true
	return len(c.pending)
}

func (c *client) pendingCount() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.pending)
}

// roundCounts returns and resets this round's counts.
func (c *client) roundCounts() (sent, acked, rate int, latency []time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	sent, acked, rate, latency = c.sent, c.acked, c.rateRefused, c.latency
	c.sent, c.acked, c.rateRefused, c.latency = 0, 0, 0, nil
	return
}

// afterCrash notes, for every unconfirmed op, whether the log holds it: the re-send must
// then be answered with an ack at that seq, otherwise with a new event.
func (c *client) afterCrash(seqOf map[string]int64) (unacked, inLog int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, o := range c.queue {
		if seq, ok := seqOf[o.cid]; ok {
			o.expect = seq
			inLog++
		} else {
			o.expect = -1
		}
	}
	return len(c.queue), inLog
}

type wireOp struct {
	T      string `json:"t"`
	CID    string `json:"cid"`
	Op     string `json:"op"`
	Entity string `json:"entity"`
	Base   int64  `json:"base"`
	Data   any    `json:"data"`
}

type kv = map[string]any

// makeOp makes the slot's next op. Each slot walks one entity through create, edits and
// delete (or, for the guardian, one compass area through text edits and ratings), one op
// at a time, so an op never depends on one still in flight. c.mu is held.
func (c *client) makeOp(i int) *op {
	s := c.slots[i]
	c.n++
	n := c.n
	w := wireOp{T: "op", CID: fmt.Sprintf("k-%s-%d", c.short, n)}
	text := fmt.Sprintf("%s skrev %d", c.id, n)
	// Only this client writes this entity and the slot waits for each op's confirmation,
	// so the field's revision is at most the last seq applied: a plain replace.
	base := c.lastSeq
	if c.kind != "compass" && s.step == 0 {
		s.id = fmt.Sprintf("x%s%d", c.short, n)
	}
	switch c.kind {
	case "agenda":
		w.Entity = "agenda/" + s.id
		switch s.step {
		case 0:
			w.Op, w.Data = "create", kv{"title": text, "timebox_min": 5}
		case 1:
			w.Op, w.Base, w.Data = "set", base, kv{"field": "notes", "value": "- " + text + "\n- en rad till"}
		case 2:
			w.Op, w.Base, w.Data = "set", base, kv{"field": "title", "value": text}
		case 3:
			w.Op, w.Data = "delete", kv{}
		}
	case "action":
		w.Entity = "action/" + s.id
		switch s.step {
		case 0:
			w.Op, w.Data = "create", kv{"what": text, "status": "planned"}
		case 1:
			w.Op, w.Base, w.Data = "set", base, kv{"field": "what", "value": text}
		case 2:
			w.Op, w.Data = "set", kv{"field": "status", "value": "ongoing"}
		case 3:
			w.Op, w.Data = "delete", kv{}
		}
	case "goal":
		w.Entity = "goal/" + s.id
		switch s.step {
		case 0:
			w.Op, w.Data = "create", kv{"area": compassAreas[n%len(compassAreas)], "term": "short", "text": text}
		case 1:
			w.Op, w.Base, w.Data = "set", base, kv{"field": "text", "value": text}
		case 2:
			w.Op, w.Data = "set", kv{"field": "term", "value": "long"}
		case 3:
			w.Op, w.Data = "delete", kv{}
		}
	case "compass":
		w.Entity = "compass/" + s.id
		switch s.step % 2 {
		case 0:
			w.Op, w.Base, w.Data = "set", base, kv{"field": "guardians_view", "value": text}
		case 1:
			w.Op, w.Data = "rate", kv{"perspective": "guardian:" + c.id, "value": strconv.Itoa(1 + n%5)}
		}
	}
	msg, err := json.Marshal(w)
	if err != nil {
		panic(err)
	}
	o := &op{cid: w.CID, slot: i, msg: msg}
	s.busy = true
	c.queue = append(c.queue, o)
	c.pending[o.cid] = o
	c.rec.mu.Lock()
	c.rec.sent[o.cid] = true
	c.rec.mu.Unlock()
	return o
}

// confirm settles a pending op with the seq its event or ack named. c.mu is held.
func (c *client) confirm(o *op, seq int64, how string) {
	switch {
	case o.expect > 0 && seq != o.expect:
		// An op already in the log may come back as an ack or, when the server resumes
		// the client with the events it missed, as its original event: both name the
		// logged seq. Any other seq means it was applied a second time.
		c.rec.errorf("%s: re-sent %s was in the log at seq %d but came back as %s with seq %d: applied twice", c.id, o.cid, o.expect, how, seq)
	case o.expect < 0 && how != "event":
		c.rec.errorf("%s: re-sent %s was not in the log but came back as %s with seq %d", c.id, o.cid, how, seq)
	}
	c.drop(o)
	sl := c.slots[o.slot]
	sl.step++
	if c.kind != "compass" && sl.step == 4 {
		sl.step = 0 // deleted: the slot starts a new entity
	}
	c.acked++
	c.latency = append(c.latency, time.Since(o.sentAt))
	c.rec.confirmed(o.cid, seq)
}

// drop removes an op from the pending set and frees its slot. c.mu is held.
func (c *client) drop(o *op) {
	delete(c.pending, o.cid)
	for i, x := range c.queue {
		if x == o {
			c.queue = append(c.queue[:i], c.queue[i+1:]...)
			break
		}
	}
	c.slots[o.slot].busy = false
}

// ---- one connection ----

type session struct {
	c       *client
	no      int
	ws      *websocket.Conn
	load    bool
	ctx     context.Context
	cancel  context.CancelFunc
	wake    chan struct{}
	done    chan struct{} // reader and driver have ended
	readErr error
	resume  string // what the welcome announced
}

type serverMsg struct {
	T    string `json:"t"`
	HTML []struct {
		Target string `json:"target"`
	} `json:"html"`
	Seq     int64  `json:"seq"`
	Epoch   string `json:"epoch"`
	Member  string `json:"member"`
	Resume  string `json:"resume"`
	CID     string `json:"cid"`
	Code    string `json:"code"`
	Message string `json:"message"`
	Change  *struct {
		Seq int64  `json:"seq"`
		CID string `json:"cid"`
	} `json:"change"`
}

// connect opens the member's WebSocket with since=<last applied seq>, checks the resume
// (welcome, then a snapshot or the missed events); after start it re-sends unconfirmed
// ops, then makes new ones when load is set.
func (c *client) connect(p *proc, load bool) *session {
	c.t.Helper()
	c.mu.Lock()
	c.sessions++
	s := &session{c: c, no: c.sessions, load: load, wake: make(chan struct{}, 1), done: make(chan struct{})}
	since, epoch := c.lastSeq, c.epoch
	c.frozen = true // until start
	c.mu.Unlock()
	s.ctx, s.cancel = context.WithCancel(context.Background())
	c.t.Cleanup(s.cancel)

	u := "ws://" + p.addr + "/b/" + crashMeeting + "/" + c.id + "/ws"
	if since >= 0 {
		u += "?since=" + strconv.FormatInt(since, 10) + "&epoch=" + epoch
	}
	dctx, dcancel := context.WithTimeout(s.ctx, 10*time.Second)
	defer dcancel()
	ws, resp, err := websocket.Dial(dctx, u, &websocket.DialOptions{
		HTTPClient: c.http,
		HTTPHeader: http.Header{"Origin": {p.base}},
	})
	if err != nil {
		status := 0
		if resp != nil {
			status = resp.StatusCode
		}
		c.t.Fatalf("%s: dial %s: %v (status %d; 404 means the session is gone)", c.id, u, err, status)
	}
	ws.SetReadLimit(16 << 20)
	s.ws = ws

	read := func() serverMsg {
		_, data, err := ws.Read(dctx)
		if err != nil {
			c.t.Fatalf("%s: reading the resume: %v", c.id, err)
		}
		var m serverMsg
		if err := json.Unmarshal(data, &m); err != nil {
			c.t.Fatalf("%s: %v in %s", c.id, err, data)
		}
		return m
	}
	w := read()
	if w.T == "lobby" {
		c.t.Fatalf("LOST: %s was let in before the crash, but after the restart waits in the lobby again (%+v)", c.id, w)
	}
	if w.T != "welcome" || w.Member != c.id {
		c.t.Fatalf("%s: first message %+v, want a welcome for %s", c.id, w, c.id)
	}
	c.rec.setEpoch(c.id, w.Epoch)
	s.resume = w.Resume
	if since >= 0 && w.Seq < since {
		c.t.Errorf("LOST: %s had applied up to seq %d; after the restart the board is at seq %d", c.id, since, w.Seq)
	}
	c.mu.Lock()
	c.epoch = w.Epoch
	switch w.Resume {
	case "snapshot":
		c.mu.Unlock()
		snap := read()
		c.mu.Lock()
		if snap.T != "snapshot" || snap.Seq != w.Seq || snap.Epoch != w.Epoch {
			c.t.Errorf("%s: after welcome %+v came %s seq %d epoch %q", c.id, w, snap.T, snap.Seq, snap.Epoch)
		}
		c.lastSeq = snap.Seq
	case "current":
		if w.Seq != since {
			c.t.Errorf("%s: resume \"current\" at seq %d, but the client is at %d", c.id, w.Seq, since)
		}
	case "events":
		if since < 0 {
			c.t.Errorf("%s: resume \"events\" without a since", c.id)
		}
		// The missed events follow; the reader applies them in order.
	default:
		c.t.Errorf("%s: welcome with resume %q", c.id, w.Resume)
	}
	c.mu.Unlock()

	readDone := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(2)
	go func() {
		defer wg.Done()
		defer close(readDone)
		s.reader()
	}()
	go func() {
		defer wg.Done()
		s.driver(readDone)
	}()
	go func() {
		wg.Wait()
		close(s.done)
	}()
	return s
}

// start lets the session send: first the re-sends, then (with load) new ops.
func (s *session) start() {
	s.c.mu.Lock()
	s.c.frozen = false
	s.c.mu.Unlock()
	s.signal()
}

func (s *session) signal() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

func (s *session) reader() {
	c := s.c
	for {
		_, data, err := s.ws.Read(s.ctx)
		if err != nil {
			s.readErr = err
			return
		}
		var m serverMsg
		if err := json.Unmarshal(data, &m); err != nil {
			c.rec.errorf("%s: %v in %s", c.id, err, data)
			continue
		}
		c.mu.Lock()
		switch m.T {
		case "event":
			if m.Change == nil || m.Change.Seq != m.Seq {
				c.rec.errorf("%s: malformed event %s", c.id, data)
				break
			}
			if m.Seq != c.lastSeq+1 {
				c.rec.errorf("%s: event seq %d after seq %d (gap or duplicate)", c.id, m.Seq, c.lastSeq)
			}
			if m.Seq > c.lastSeq {
				c.lastSeq = m.Seq
			}
			c.rec.observe(m.Seq, m.Change.CID)
			if o := c.pending[m.Change.CID]; o != nil {
				c.confirm(o, m.Seq, "event")
			}
		case "ack":
			o := c.pending[m.CID]
			if o == nil {
				// A re-sent op whose original event arrived first (through resume) is
				// acked as well; harmless, as long as the ack names the same seq.
				c.rec.mu.Lock()
				seq, known := c.rec.acked[m.CID]
				c.rec.mu.Unlock()
				if !known || seq != m.Seq {
					c.rec.errorf("%s: ack for %s (seq %d), which is not pending and was not confirmed at that seq", c.id, m.CID, m.Seq)
				}
				break
			}
			if m.Seq > c.lastSeq {
				c.rec.errorf("%s: ack for %s at seq %d, beyond the last event seen (%d)", c.id, m.CID, m.Seq, c.lastSeq)
			}
			c.confirm(o, m.Seq, "ack")
		case "reject":
			o := c.pending[m.CID]
			switch {
			case o == nil:
				c.rec.errorf("%s: reject of %s, which is not pending: %s", c.id, m.CID, data)
			case m.Code == "rate" || m.Code == "unavailable":
				// "Send it again a little later" (PROTOCOL.md): the rate limit, or, with
				// two instances, an op that lost the race for its seq too often.
				c.rateRefused++
				o.sentIn = 0 // send it again
			default:
				c.rec.errorf("%s: %s refused: %s", c.id, o.msg, data)
				c.rec.mu.Lock()
				c.rec.rejected[o.cid] = true
				c.rec.mu.Unlock()
				c.drop(o)
				c.slots[o.slot].step = 0
			}
		case "lobby-list":
			// Only whoever leads the meeting gets the lobby; nobody waits in this test.
			if c.id != coordinator || len(m.HTML) != 1 || m.HTML[0].Target != "room-control" {
				c.rec.errorf("%s: unexpected lobby list %.200s", c.id, data)
			}
		case "lobby":
			c.rec.errorf("LOST: %s is on the board but was sent a lobby message %.200s", c.id, data)
		case "presence", "hb":
		default:
			c.rec.errorf("%s: unexpected message %.200s", c.id, data)
		}
		c.mu.Unlock()
		s.signal()
	}
}

// driver re-sends the unconfirmed ops, then keeps every slot busy while load is on, within
// the rate limit.
func (s *session) driver(readDone <-chan struct{}) {
	c := s.c
	tokens, last := float64(clientBurst), time.Now()
	for {
		now := time.Now()
		tokens = min(tokens+now.Sub(last).Seconds()*clientRate, clientBurst)
		last = now
		if tokens < 1 {
			select {
			case <-time.After(time.Duration((1 - tokens) / clientRate * float64(time.Second))): // pacing, not waiting for a condition
			case <-readDone:
				return
			}
			continue
		}
		c.mu.Lock()
		var next *op
		for _, o := range c.queue {
			if c.frozen {
				break
			}
			if o.sentIn != s.no {
				next = o
				break
			}
		}
		if next == nil && s.load && !c.frozen {
			for i, sl := range c.slots {
				if !sl.busy {
					next = c.makeOp(i)
					break
				}
			}
		}
		if next != nil {
			next.sentIn = s.no
			next.sentAt = time.Now()
			c.sent++
		}
		c.mu.Unlock()
		if next == nil {
			select {
			case <-s.wake:
			case <-readDone:
				return
			}
			continue
		}
		tokens--
		if err := s.ws.Write(s.ctx, websocket.MessageText, next.msg); err != nil {
			return // the connection is gone (the kill); the reader sees it too
		}
	}
}

// wait waits for the connection to end (the process is gone or stopping).
func (s *session) wait(limit time.Duration) {
	s.c.t.Helper()
	select {
	case <-s.done:
	case <-time.After(limit):
		s.c.t.Errorf("%s: the connection did not end within %v of the server's end", s.c.id, limit)
		s.cancel()
		<-s.done
	}
	s.ws.CloseNow()
}
