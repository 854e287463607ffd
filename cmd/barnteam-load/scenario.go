package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"runtime"
	"runtime/pprof"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/barnteam/barnteam/server/board"
)

// config is everything a run needs (the flags, see main.go).
type config struct {
	SQLite      string
	DatabaseURL string
	Server      string // base URL, e.g. http://127.0.0.1:8080
	Metrics     string // Prometheus text endpoint; "none" for none
	ServerCmd   []string
	ServerPID   int
	ServerLog   string

	Meetings    int
	Clients     int
	EditsPerSec float64 // per meeting, in total
	Duration    time.Duration
	Churn       float64 // reconnects per client per minute
	ChurnPause  time.Duration
	Ramp        time.Duration
	Drain       time.Duration
	Storm       bool
	StormWait   time.Duration
	Agenda      int
	RunID       string
	DialTimeout time.Duration
	SeedWorkers int
	ConnectWait time.Duration

	JSON       string
	Assert     bool
	CPUProfile string
	MemProfile string
	Out        io.Writer // progress and the report
}

// meetingRun is one seeded meeting during the run.
type meetingRun struct {
	seed    *seededMeeting
	tr      *tracker
	clients []*client
}

// runner holds what all clients share.
type runner struct {
	cfg        config
	st         stats
	start      time.Time
	origin     string
	wsBase     string
	httpClient *http.Client

	editing   chan struct{} // closed when the clients start editing
	ops       atomic.Bool   // clients make new ops (off while draining)
	churn     atomic.Bool
	storm     atomic.Bool
	stormN    atomic.Int64
	stormLast atomic.Int64 // unix nanos of the last storm resume
	stormT0   time.Time
	cpuCarry  float64 // storm: CPU seconds of the server stopped, from the editing's start
	cpu0      cpuSample

	meetings []*meetingRun
	clients  []*client
	server   *serverProc
}

func (r *runner) opMean() time.Duration {
	if r.cfg.EditsPerSec <= 0 {
		return 0
	}
	return time.Duration(float64(r.cfg.Clients) / r.cfg.EditsPerSec * float64(time.Second))
}

func (r *runner) churnMean() time.Duration {
	if r.cfg.Churn <= 0 {
		return 0
	}
	return time.Duration(float64(time.Minute) / r.cfg.Churn)
}

// editingCh is nil once editing has started (a nil channel never fires in a select).
func (r *runner) editingCh() <-chan struct{} {
	select {
	case <-r.editing:
		return nil
	default:
		return r.editing
	}
}

func (r *runner) makingOps() bool   { return r.ops.Load() }
func (r *runner) churning() bool    { return r.churn.Load() }
func (r *runner) stormActive() bool { return r.storm.Load() }

func (r *runner) stormResumed(now time.Time) {
	r.st.resume.record(now.Sub(r.stormT0))
	r.stormN.Add(1)
	for {
		l := r.stormLast.Load()
		if now.UnixNano() <= l || r.stormLast.CompareAndSwap(l, now.UnixNano()) {
			return
		}
	}
}

func (r *runner) logf(format string, args ...any) {
	fmt.Fprintf(r.cfg.Out, "%s  %s\n", time.Since(r.start).Truncate(100*time.Millisecond), fmt.Sprintf(format, args...))
}

// result is everything the report shows.
type result struct {
	Scenario      string           `json:"scenario"`
	Store         string           `json:"store"`
	Meetings      int              `json:"meetings"`
	ClientsPerMtg int              `json:"clients_per_meeting"`
	Connections   int              `json:"connections"`
	EditsPerSec   float64          `json:"edits_per_second_per_meeting"`
	DurationS     float64          `json:"duration_s"`
	SeedS         float64          `json:"seed_s"`
	ConnectS      float64          `json:"connect_s"`
	OpsPerSec     float64          `json:"ops_per_s"`
	Fanout        latency          `json:"fanout"`
	Ack           latency          `json:"ack"`
	Made          int64            `json:"ops_made"`
	Sent          int64            `json:"ops_sent"`
	Resends       int64            `json:"resends"`
	Applied       int64            `json:"ops_applied"`
	ByAck         int64            `json:"ops_confirmed_by_ack"`
	LateAcks      int64            `json:"late_acks"`
	Conflicts     int64            `json:"conflicts"`
	Merged        int64            `json:"merged"`
	Rejects       map[string]int64 `json:"rejects"`
	Lost          int64            `json:"lost"`
	Duplicated    int64            `json:"duplicated"`
	Verify        verifyResult     `json:"verify"`
	Errors        map[string]int64 `json:"errors"`
	Closes        map[string]int64 `json:"close_codes"`
	Resumes       map[string]int64 `json:"resumes"`
	Reconnects    int64            `json:"reconnects"`
	Churned       int64            `json:"churned"`
	Gaps          int64            `json:"gaps"`
	Diverged      int64            `json:"diverged"`
	Events        int64            `json:"events_received"`
	FanoutSkipped int64            `json:"fanout_not_timed"`
	Memory        memoryResult     `json:"memory"`
	CPU           cpuResult        `json:"cpu"`
	Storm         *stormResult     `json:"storm,omitempty"`
	Pass          bool             `json:"pass"`
	Failures      []string         `json:"failures,omitempty"`
}

type stormResult struct {
	Connections   int     `json:"connections"`
	Resumed       int64   `json:"resumed"`
	ShutdownS     float64 `json:"shutdown_s"`      // SIGTERM → old process gone
	RestartReadyS float64 `json:"restart_ready_s"` // new process started → /readyz
	TotalS        float64 `json:"total_s"`         // SIGTERM → last client resumed
	FromRestartS  float64 `json:"from_restart_s"`  // new process started → last client resumed
	ResumeP50     float64 `json:"resume_p50_s"`    // new process started → a client resumed
	ResumeP99     float64 `json:"resume_p99_s"`
	AllResumed    bool    `json:"all_resumed"`
}

// run does the whole scenario: seed, connect, edit (and storm), drain, verify, report.
func run(ctx context.Context, cfg config) (*result, error) {
	r := &runner{cfg: cfg, start: time.Now(), editing: make(chan struct{})}
	res := &result{Meetings: cfg.Meetings, ClientsPerMtg: cfg.Clients, Connections: cfg.Meetings * cfg.Clients,
		EditsPerSec: cfg.EditsPerSec, DurationS: cfg.Duration.Seconds(), Scenario: "steady"}
	if cfg.Storm {
		res.Scenario = "storm"
	}
	if cfg.Churn > 0 {
		res.Scenario += fmt.Sprintf("+churn %.3g/min", cfg.Churn)
	}
	base := strings.TrimRight(cfg.Server, "/")
	r.origin = base
	r.wsBase = "ws" + strings.TrimPrefix(base, "http")
	if !strings.HasPrefix(base, "http://") && !strings.HasPrefix(base, "https://") {
		return nil, fmt.Errorf("-server %q: want http://host:port", cfg.Server)
	}
	r.httpClient = &http.Client{Transport: &http.Transport{
		DialContext:         (&net.Dialer{Timeout: cfg.DialTimeout, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConnsPerHost: 16,
		IdleConnTimeout:     30 * time.Second,
	}}
	defer r.httpClient.CloseIdleConnections()

	n := cfg.Meetings * cfg.Clients
	if msg := raiseFDLimit(uint64(n) + 2048); msg != "" {
		r.logf("%s", msg)
	}

	store, err := openStore(ctx, cfg.SQLite, cfg.DatabaseURL)
	if err != nil {
		return nil, err
	}
	defer store.Close()
	res.Store = "sqlite"
	if cfg.DatabaseURL != "" {
		res.Store = "postgresql"
	}

	// Seed first: with the server started by the generator, the database is all ours.
	t0 := time.Now()
	r.logf("seeding %d meetings × %d participants (run %s)", cfg.Meetings, cfg.Clients, cfg.RunID)
	lastLog := time.Now()
	var logMu sync.Mutex
	seeded, err := seed(ctx, store, seedConfig{RunID: cfg.RunID, Meetings: cfg.Meetings, Clients: cfg.Clients,
		Agenda: cfg.Agenda, Workers: cfg.SeedWorkers, TTL: 24*time.Hour + 2*cfg.Duration}, func(done int) {
		logMu.Lock()
		defer logMu.Unlock()
		if time.Since(lastLog) > 5*time.Second {
			lastLog = time.Now()
			r.logf("  seeded %d/%d", done, cfg.Meetings)
		}
	})
	if err != nil {
		return nil, err
	}
	res.SeedS = time.Since(t0).Seconds()
	r.logf("seeded in %.1f s", res.SeedS)

	if len(cfg.ServerCmd) > 0 {
		r.server, err = startServer(ctx, cfg.ServerCmd, cfg.ServerLog)
		if err != nil {
			return nil, err
		}
		defer func() { r.server.stop() }() // the one running at the end: a storm replaces it
		if err := waitReady(ctx, r.httpClient, base, 60*time.Second); err != nil {
			return nil, err
		}
		r.logf("server started (pid %d)", r.server.pid())
	}
	pid := cfg.ServerPID
	if r.server != nil {
		pid = r.server.pid()
	}

	memBefore := sampleMemory(ctx, r.httpClient, cfg.Metrics, base, pid)

	// Connect everyone, spread over the ramp.
	for _, s := range seeded {
		mt := &meetingRun{seed: s, tr: newTracker()}
		for j := range s.People {
			c := newClient(r, mt, j)
			mt.clients = append(mt.clients, c)
			r.clients = append(r.clients, c)
		}
		r.meetings = append(r.meetings, mt)
	}
	cctx, stopClients := context.WithCancel(ctx)
	defer stopClients()
	var wg sync.WaitGroup
	t1 := time.Now()
	r.logf("connecting %d clients over %s", n, cfg.Ramp)
	for i, c := range r.clients {
		wg.Add(1)
		delay := time.Duration(0)
		if n > 1 {
			delay = cfg.Ramp * time.Duration(i) / time.Duration(n)
		}
		go func() {
			defer wg.Done()
			if !sleepCtx(cctx, delay) {
				return
			}
			c.run(cctx)
		}()
	}
	stopAll := func() {
		stopClients()
		wg.Wait()
	}
	if !waitFor(ctx, cfg.Ramp+cfg.ConnectWait, func() bool { return r.connectedCount() == n }) {
		if ctx.Err() != nil {
			stopAll()
			return nil, ctx.Err()
		}
		r.logf("only %d of %d clients connected after %s", r.connectedCount(), n, cfg.Ramp+cfg.ConnectWait)
	}
	res.ConnectS = time.Since(t1).Seconds()
	r.logf("%d clients connected in %.1f s", r.connectedCount(), res.ConnectS)
	time.Sleep(2 * time.Second) // let the server settle before reading its memory
	memAfter := sampleMemory(ctx, r.httpClient, cfg.Metrics, base, pid)
	res.Memory = memoryOf(memBefore, memAfter, r.connectedCount())
	if cfg.MemProfile != "" {
		writeHeapProfile(cfg.MemProfile)
	}

	// Edit.
	cpu0 := sampleCPU(pid)
	r.cpu0 = cpu0
	tEdit := time.Now()
	r.ops.Store(true)
	r.churn.Store(cfg.Churn > 0)
	close(r.editing)
	r.logf("editing: %.3g edits/s per meeting for %s", cfg.EditsPerSec, cfg.Duration)
	if cfg.Storm {
		if !sleepCtx(ctx, cfg.Duration/2) {
			stopAll()
			return nil, ctx.Err()
		}
		sr, err := r.doStorm(ctx, n)
		res.Storm = sr
		if err != nil {
			stopAll()
			return res, err
		}
		if !sleepCtx(ctx, cfg.Duration/2) {
			stopAll()
			return nil, ctx.Err()
		}
	} else {
		r.progress(ctx, cfg.Duration)
	}
	r.ops.Store(false)
	r.churn.Store(false)
	editDur := time.Since(tEdit)
	appliedInEdit := r.st.applied.Load()
	cpu1 := sampleCPU(pid)
	if r.server != nil && r.server.pid() != pid { // restarted by the storm: both processes
		cpu1 = sampleCPU(r.server.pid())
		cpu0.server = 0
		if cpu1.server >= 0 {
			cpu1.server += r.cpuCarry
		}
	}
	res.CPU = cpuOf(cpu0, cpu1, editDur)

	// Drain: every op confirmed or refused, or the drain period is over.
	r.drain(ctx)
	stopAll()
	r.logf("clients stopped; %d ops still unconfirmed", r.pendingTotal())

	res.OpsPerSec = float64(appliedInEdit) / editDur.Seconds()
	r.logf("verifying against the database")
	vctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	res.Verify, err = verify(vctx, store, r.meetings)
	if err != nil {
		return nil, fmt.Errorf("verify: %w", err)
	}
	r.fill(res)
	return res, nil
}

// drain waits until every op is confirmed or refused. A server that is behind gets the
// time it needs as long as it makes progress: the drain ends when nothing was confirmed
// or refused for cfg.Drain, or after 10 × cfg.Drain in all.
func (r *runner) drain(ctx context.Context) {
	r.logf("draining: waiting for %d unconfirmed ops (gives up after %s without progress)", r.pendingTotal(), r.cfg.Drain)
	hard := time.Now().Add(10 * r.cfg.Drain)
	done := func() int64 { return r.st.applied.Load() + r.st.rejected.total() }
	last, lastChange := done(), time.Now()
	for r.pendingTotal() > 0 && time.Now().Before(hard) && time.Since(lastChange) < r.cfg.Drain {
		if !sleepCtx(ctx, 100*time.Millisecond) {
			return
		}
		if d := done(); d != last {
			last, lastChange = d, time.Now()
		}
	}
}

// progress waits d, printing a line now and then.
func (r *runner) progress(ctx context.Context, d time.Duration) {
	end := time.Now().Add(d)
	for time.Now().Before(end) {
		step := min(10*time.Second, time.Until(end))
		if !sleepCtx(ctx, step) {
			return
		}
		f := r.st.fanout.summary()
		r.logf("  applied %d, fan-out p50 %.2f p99 %.2f ms, pending %d, reconnects %d",
			r.st.applied.Load(), f.P50, f.P99, r.pendingTotal(), r.st.reconnects.Load())
	}
}

func (r *runner) connectedCount() int {
	k := 0
	for _, c := range r.clients {
		c.mu.Lock()
		if c.connected {
			k++
		}
		c.mu.Unlock()
	}
	return k
}

func (r *runner) pendingTotal() int {
	k := 0
	for _, c := range r.clients {
		k += c.pendingCount()
	}
	return k
}

// doStorm restarts the server under the connected clients and times their return.
func (r *runner) doStorm(ctx context.Context, n int) (*stormResult, error) {
	sr := &stormResult{Connections: r.connectedCount()}
	if r.server == nil {
		return sr, errors.New("-storm needs -server-cmd: the generator restarts the server itself")
	}
	r.churn.Store(false)
	r.logf("storm: SIGTERM to the server with %d clients connected", sr.Connections)
	if old := sampleCPU(r.server.pid()); old.server >= 0 && r.cpu0.server >= 0 {
		r.cpuCarry = old.server - r.cpu0.server
	}
	t0 := time.Now()
	if err := r.server.terminate(60 * time.Second); err != nil {
		return sr, err
	}
	sr.ShutdownS = time.Since(t0).Seconds()
	r.logf("storm: server stopped in %.1f s; starting it again", sr.ShutdownS)
	t2 := time.Now()
	r.stormT0 = t2
	r.storm.Store(true)
	for _, c := range r.clients {
		c.mu.Lock()
		c.stormMark = false
		c.mu.Unlock()
	}
	srv, err := startServer(ctx, r.cfg.ServerCmd, r.cfg.ServerLog)
	if err != nil {
		return sr, err
	}
	r.server = srv
	if err := waitReady(ctx, r.httpClient, strings.TrimRight(r.cfg.Server, "/"), 60*time.Second); err != nil {
		return sr, err
	}
	sr.RestartReadyS = time.Since(t2).Seconds()
	ok := waitFor(ctx, r.cfg.StormWait, func() bool { return r.stormN.Load() >= int64(sr.Connections) })
	sr.Resumed = r.stormN.Load()
	sr.AllResumed = ok
	last := time.Unix(0, r.stormLast.Load())
	if sr.Resumed > 0 {
		sr.TotalS = last.Sub(t0).Seconds()
		sr.FromRestartS = last.Sub(t2).Seconds()
	}
	sr.ResumeP50 = r.st.resume.quantile(0.5) / 1000
	sr.ResumeP99 = r.st.resume.quantile(0.99) / 1000
	r.storm.Store(false)
	r.churn.Store(r.cfg.Churn > 0)
	r.logf("storm: %d of %d resumed; last %.1f s after SIGTERM (%.1f s after the restart)", sr.Resumed, sr.Connections, sr.TotalS, sr.FromRestartS)
	return sr, nil
}

// waitFor polls cond until it holds or d passes.
func waitFor(ctx context.Context, d time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(d)
	for {
		if cond() {
			return true
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			return false
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// fill copies the counters into the result and decides pass or fail.
func (r *runner) fill(res *result) {
	st := &r.st
	res.Fanout, res.Ack = st.fanout.summary(), st.ack.summary()
	res.Made, res.Sent, res.Resends = st.made.Load(), st.sent.Load(), st.resends.Load()
	res.Applied, res.ByAck, res.LateAcks = st.applied.Load(), st.acks.Load(), st.lateAcks.Load()
	res.Conflicts, res.Merged = st.conflicts.Load(), st.merged.Load()
	res.Rejects = st.rejected.snapshot()
	res.Errors, res.Closes, res.Resumes = st.errors.snapshot(), st.closes.snapshot(), st.resumeKinds.snapshot()
	res.Reconnects, res.Churned, res.Gaps = st.reconnects.Load(), st.churned.Load(), st.gaps.Load()
	res.Events, res.FanoutSkipped = st.events.Load(), st.fanoutSkip.Load()
	res.Diverged = st.diverged.Load() + res.Verify.SeenMismatch
	res.Lost = res.Verify.Unconfirmed + res.Verify.ConfirmedMissing
	res.Duplicated = st.duplicated.Load() + res.Verify.DuplicateCIDs
	res.Pass = true
	fail := func(format string, args ...any) {
		res.Pass = false
		res.Failures = append(res.Failures, fmt.Sprintf(format, args...))
	}
	if res.Lost > 0 {
		fail("%d ops lost (%d never confirmed nor refused, %d confirmed but not in the op log)", res.Lost, res.Verify.Unconfirmed, res.Verify.ConfirmedMissing)
	}
	if res.Duplicated > 0 {
		fail("%d duplicates", res.Duplicated)
	}
	if res.Verify.SeqGaps > 0 {
		fail("%d gaps in the op log's seqs", res.Verify.SeqGaps)
	}
	if res.Diverged > 0 {
		fail("%d seqs seen with another cid than the op log's", res.Diverged)
	}
	if res.Verify.ConfirmedWrongSeq > 0 {
		fail("%d ops confirmed at another seq than the op log's", res.Verify.ConfirmedWrongSeq)
	}
	if res.Verify.RejectedButStored > 0 {
		fail("%d refused ops are in the op log", res.Verify.RejectedButStored)
	}
	if res.Storm != nil && !res.Storm.AllResumed {
		fail("storm: only %d of %d clients resumed within %s", res.Storm.Resumed, res.Storm.Connections, r.cfg.StormWait)
	}
}

var _ board.Store // the seeding and verification speak to the server's store

func writeHeapProfile(path string) {
	f, err := os.Create(path)
	if err != nil {
		return
	}
	defer f.Close()
	runtime.GC()
	_ = pprof.WriteHeapProfile(f)
}
