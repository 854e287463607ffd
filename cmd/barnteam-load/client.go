package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/coder/websocket"
)

// client is one participant's connection, written from docs/PROTOCOL.md: it keeps the
// board's model at the last seq it applied, applies events in seq order, reconnects with
// since/epoch (and at once on a gap), keeps every op until its own cid comes back (event
// or ack) and re-sends unconfirmed ops with the same cid after each welcome.
//
// Two goroutines per connection: run (dials, makes and sends ops, churns, backs off) and
// read (one per connection, decodes and applies what the server sends). Both take mu.
type client struct {
	r   *runner
	mt  *meetingRun
	me  participant
	idx int // index within the meeting
	rng *rand.Rand

	header http.Header

	mu        sync.Mutex
	epoch     string
	last      int64 // last applied seq; -1: no state (ask for a snapshot)
	model     model
	pending   []*pendingOp
	byCID     map[string]*pendingOp
	connected bool             // welcomed and resumed (caught up) on the current connection
	welcomed  bool             // welcomed on the current connection: pending ops may be (re-)sent
	recent    map[string]int64 // cid → seq of ops confirmed lately, for late acks
	liveFrom  int64            // seqs above this on the current connection are live (not replay)
	welcomes  int
	nextCID   int
	stormMark bool // storm: welcomed and resumed since the restart began

	lastRecv  atomic.Int64 // nanoseconds since r.start: for the 60 s dead-connection rule
	closing   atomic.Bool  // the client is closing the current connection itself
	resumedCh chan struct{}
}

// pendingOp is an op the client made and has not seen confirmed or refused.
type pendingOp struct {
	cid      string
	frame    []byte // the whole op message; re-sent byte for byte
	sends    int
	lastSent time.Time
	retryAt  time.Time // for unavailable/rate: not before
	inFlight bool      // sent on the current connection
	done     bool
}

// model is the part of the board the client edits from: text fields with their
// revisions, the live items of each list, and the meeting's current item.
type model struct {
	texts   map[string]wText // "entity#field"
	agenda  map[string]bool
	goals   map[string]string // id → area
	actions map[string]bool
	current string
	phase   string
}

func newModel() model {
	return model{texts: map[string]wText{}, agenda: map[string]bool{}, goals: map[string]string{}, actions: map[string]bool{}}
}

func newClient(r *runner, mt *meetingRun, idx int) *client {
	me := mt.seed.People[idx]
	h := http.Header{}
	// The server's guest cookie: __Host-bt-<member>. Origin: the server's own.
	h.Set("Cookie", "__Host-bt-"+me.ID+"="+me.Token)
	h.Set("Origin", r.origin)
	return &client{
		r: r, mt: mt, me: me, idx: idx, header: h,
		rng:       rand.New(rand.NewPCG(rand.Uint64(), rand.Uint64())),
		last:      -1,
		model:     newModel(),
		byCID:     map[string]*pendingOp{},
		resumedCh: make(chan struct{}, 1),
	}
}

// closeKind is what a connection's end means for the client.
type closeKind int

const (
	endReconnect closeKind = iota // back off, then reconnect
	endAtOnce                     // reconnect at once (a gap; our own churn)
	endStop                       // a "stop" code: do not reconnect
)

// classify maps a close code to what to do (docs/PROTOCOL.md, Close codes).
func classify(code websocket.StatusCode) closeKind {
	switch code {
	case 4400, 4401, 4403, 4404, 1009:
		return endStop
	}
	return endReconnect
}

// backoff is the protocol's (and static/js/board.js's): 0.5 s doubling to 30 s, times a
// jitter of 0.5…1.
func backoff(attempt int, rng *rand.Rand) time.Duration {
	d := 500 * time.Millisecond * time.Duration(1<<min(attempt, 6))
	d = min(d, 30*time.Second)
	return time.Duration(float64(d) * (0.5 + rng.Float64()/2))
}

// expDelay is an exponential (Poisson-process) wait with the given mean.
func expDelay(rng *rand.Rand, mean time.Duration) time.Duration {
	return time.Duration(rng.ExpFloat64() * float64(mean))
}

// run is the client's life: connect, take part, reconnect, until ctx ends.
func (c *client) run(ctx context.Context) {
	attempt := 0
	for ctx.Err() == nil {
		conn, err := c.dial(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			if !sleepCtx(ctx, backoff(attempt, c.rng)) {
				return
			}
			attempt++
			continue
		}
		kind := c.session(ctx, conn)
		switch kind {
		case endStop:
			c.r.st.stopped.Add(1)
			return
		case endAtOnce:
			attempt = 0
			if !sleepCtx(ctx, time.Duration(c.rng.Float64()*float64(c.r.cfg.ChurnPause))) {
				return
			}
		default:
			c.mu.Lock()
			if c.welcomesSinceDial() {
				attempt = 0
			}
			c.mu.Unlock()
			if !sleepCtx(ctx, backoff(attempt, c.rng)) {
				return
			}
			attempt++
		}
	}
}

// welcomesSinceDial is true when the last connection was welcomed (the backoff restarts).
func (c *client) welcomesSinceDial() bool { return c.connected }

func sleepCtx(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

func (c *client) dial(ctx context.Context) (*websocket.Conn, error) {
	c.mu.Lock()
	since, epoch := c.last, c.epoch
	c.connected, c.welcomed = false, false
	c.mu.Unlock()
	u := c.r.wsBase + "/b/" + url.PathEscape(c.mt.seed.ID) + "/" + url.PathEscape(c.me.ID) + "/ws?since=" + strconv.FormatInt(since, 10)
	if epoch != "" {
		u += "&epoch=" + url.QueryEscape(epoch)
	}
	dctx, cancel := context.WithTimeout(ctx, c.r.cfg.DialTimeout)
	defer cancel()
	conn, resp, err := websocket.Dial(dctx, u, &websocket.DialOptions{HTTPClient: c.r.httpClient, HTTPHeader: c.header})
	if err != nil {
		if resp != nil {
			c.r.st.errors.add(fmt.Sprintf("dial: HTTP %d", resp.StatusCode), 1)
		} else if ctx.Err() == nil {
			c.r.st.errors.add("dial: "+shortErr(err), 1)
		}
		return nil, err
	}
	conn.SetReadLimit(64 << 20) // snapshots of a full board are large
	return conn, nil
}

// session runs one connection until it ends and says what to do next.
func (c *client) session(ctx context.Context, conn *websocket.Conn) closeKind {
	cctx, cancel := context.WithCancel(ctx)
	defer cancel()
	c.closing.Store(false)
	c.lastRecv.Store(int64(time.Since(c.r.start)))
	readDone := make(chan readEnd, 1)
	go func() { readDone <- c.read(cctx, conn) }()

	opTimer := time.NewTimer(time.Hour)
	opTimer.Stop()
	churnTimer := time.NewTimer(time.Hour)
	churnTimer.Stop()
	house := time.NewTimer(5 * time.Second)
	defer opTimer.Stop()
	defer churnTimer.Stop()
	defer house.Stop()
	armOps := func() {
		if mean := c.r.opMean(); mean > 0 {
			opTimer.Reset(expDelay(c.rng, mean))
		}
	}
	editing := c.r.editingCh()
	if editing == nil {
		armOps()
	}
	if mean := c.r.churnMean(); mean > 0 {
		churnTimer.Reset(expDelay(c.rng, mean))
	}
	churnAfterSend := false

	end := func(k closeKind, code websocket.StatusCode, why string) closeKind {
		c.closing.Store(true)
		if code == websocket.StatusNormalClosure || code == websocket.StatusGoingAway {
			conn.Close(code, why)
		} else {
			conn.CloseNow()
		}
		cancel()
		<-readDone
		return k
	}

	for {
		select {
		case <-ctx.Done():
			c.closing.Store(true)
			conn.Close(websocket.StatusGoingAway, "done")
			<-readDone
			return endStop
		case <-editing:
			editing = nil
			armOps()
		case e := <-readDone:
			if e.kind == endReconnect && e.code >= 0 {
				c.r.st.closes.add(strconv.Itoa(int(e.code)), 1)
			}
			conn.CloseNow()
			return e.kind
		case <-c.resumedCh:
			if !c.flush(cctx, conn, time.Now()) {
				return end(endReconnect, -1, "")
			}
		case <-opTimer.C:
			if !c.r.makingOps() {
				continue
			}
			armOps()
			c.makeOp()
			if !c.flush(cctx, conn, time.Now()) {
				return end(endReconnect, -1, "")
			}
			if churnAfterSend {
				// Drop the connection with the op in flight: its fate is unknown to the
				// client until it re-sends it after the next welcome.
				c.r.st.churned.Add(1)
				return end(endAtOnce, -1, "")
			}
		case <-churnTimer.C:
			if !c.r.churning() {
				churnTimer.Reset(expDelay(c.rng, c.r.churnMean()))
				continue
			}
			switch c.rng.IntN(3) {
			case 0: // at the next send, with the op in flight
				churnAfterSend = true
			case 1: // a clean close (a tab closed)
				c.r.st.churned.Add(1)
				return end(endAtOnce, websocket.StatusGoingAway, "churn")
			default: // the network went away
				c.r.st.churned.Add(1)
				return end(endAtOnce, -1, "")
			}
		case <-house.C:
			house.Reset(time.Second)
			now := time.Now()
			if time.Duration(int64(time.Since(c.r.start))-c.lastRecv.Load()) > 60*time.Second {
				c.r.st.errors.add("dead connection (60 s silent)", 1)
				return end(endReconnect, -1, "")
			}
			if !c.flush(cctx, conn, now) {
				return end(endReconnect, -1, "")
			}
		}
	}
}

// flush sends every pending op that is not in flight on this connection and is due, in
// the order the ops were made. It sends only once the connection is welcomed and resumed.
func (c *client) flush(ctx context.Context, conn *websocket.Conn, now time.Time) bool {
	for {
		c.mu.Lock()
		if !c.welcomed {
			c.mu.Unlock()
			return true
		}
		var p *pendingOp
		for _, q := range c.pending {
			if !q.done && !q.inFlight && !now.Before(q.retryAt) {
				p = q
				break
			}
		}
		if p == nil {
			c.compact()
			c.mu.Unlock()
			return true
		}
		p.inFlight = true
		p.sends++
		first := p.sends == 1
		at := time.Now()
		p.lastSent = at
		frame := p.frame
		c.mu.Unlock()

		c.mt.tr.noteSend(p.cid, at)
		if first {
			c.r.st.sent.Add(1)
		} else {
			c.r.st.resends.Add(1)
		}
		wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		err := conn.Write(wctx, websocket.MessageText, frame)
		cancel()
		if err != nil {
			if ctx.Err() == nil {
				c.r.st.errors.add("write: "+shortErr(err), 1)
			}
			return false
		}
	}
}

// compact drops finished ops from the front of the queue. Caller holds mu.
func (c *client) compact() {
	i := 0
	for i < len(c.pending) && c.pending[i].done {
		c.pending[i] = nil
		i++
	}
	if i > 0 {
		c.pending = c.pending[i:]
	}
}

// pendingCount is how many ops wait for their confirmation.
func (c *client) pendingCount() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.byCID)
}

// queue adds a made op. Caller holds mu.
func (c *client) queue(op clientOp) {
	c.nextCID++
	op.T = "op"
	op.CID = fmt.Sprintf("%d.%d.%s", c.idx, c.nextCID, randID(c.rng, 8))
	frame, err := json.Marshal(op)
	if err != nil {
		panic(err)
	}
	p := &pendingOp{cid: op.CID, frame: frame}
	c.pending = append(c.pending, p)
	c.byCID[op.CID] = p
	c.mt.tr.noteMade(op.CID)
	c.r.st.made.Add(1)
}

const idChars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-"

func randID(rng *rand.Rand, n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = idChars[rng.IntN(len(idChars))]
	}
	return string(b)
}

var bufPool = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// readEnd is how a connection's reading ended.
type readEnd struct {
	kind closeKind
	code websocket.StatusCode
}

// read decodes and applies messages until the connection ends.
func (c *client) read(ctx context.Context, conn *websocket.Conn) readEnd {
	for {
		typ, rd, err := conn.Reader(ctx)
		if err != nil {
			return c.readErr(ctx, err)
		}
		// Buffers are shared by all connections: a connection holds one only while it
		// reads and decodes a message, so 8,000 idle connections hold none.
		buf := bufPool.Get().(*bytes.Buffer)
		buf.Reset()
		_, err = buf.ReadFrom(rd)
		now := time.Now()
		if err != nil {
			bufPool.Put(buf)
			return c.readErr(ctx, err)
		}
		c.lastRecv.Store(int64(time.Since(c.r.start)))
		if typ != websocket.MessageText {
			bufPool.Put(buf)
			c.r.st.errors.add("binary frame from server", 1)
			continue
		}
		m, lobby, err := decodeServerMsg(stripHTML(buf.Bytes()))
		if buf.Cap() <= 1<<20 {
			bufPool.Put(buf)
		}
		if err != nil {
			c.r.st.errors.add("decode: "+shortErr(err), 1)
			continue
		}
		if k, stop := c.handle(now, m, lobby); stop {
			conn.CloseNow()
			return readEnd{kind: k, code: -1}
		}
	}
}

func (c *client) readErr(ctx context.Context, err error) readEnd {
	code := websocket.CloseStatus(err)
	if ctx.Err() != nil || c.closing.Load() {
		return readEnd{kind: endAtOnce, code: -1} // we closed it
	}
	if code == -1 {
		c.r.st.errors.add("read: "+shortErr(err), 1)
		return readEnd{kind: endReconnect, code: -1}
	}
	k := classify(code)
	if k == endStop {
		c.r.st.errors.add(fmt.Sprintf("stop code %d", code), 1)
	}
	return readEnd{kind: k, code: code}
}

// handle applies one message. It returns true when the connection must be closed (a gap;
// a broken resume) and how to go on.
func (c *client) handle(now time.Time, m *serverMsg, lobby *lobbyMsg) (closeKind, bool) {
	st := &c.r.st
	c.mu.Lock()
	defer c.mu.Unlock()
	switch m.T {
	case "welcome":
		st.connects.Add(1)
		st.resumeKinds.add(m.Resume, 1)
		c.welcomes++
		if c.welcomes > 1 {
			st.reconnects.Add(1)
		}
		if c.epoch != "" && m.Epoch != c.epoch {
			c.model, c.last = newModel(), -1 // another history: take the snapshot
		}
		c.epoch = m.Epoch
		c.liveFrom = m.Seq
		for _, p := range c.pending {
			p.inFlight = false // whatever was in flight is re-sent now, with its cid
		}
		// "After welcome, re-send every op you have not seen confirmed, in the order you
		// made them": at once, before the missed events; the server answers each with
		// its event, or an ack when it was applied before (and then its event may come
		// in the replay too).
		c.welcomed = true
		select {
		case c.resumedCh <- struct{}{}:
		default:
		}
		switch m.Resume {
		case "current":
			if c.last != m.Seq {
				st.errors.add("resume current at another seq", 1)
				return endAtOnce, true
			}
			c.resumed(now)
		case "events":
			if c.last >= m.Seq {
				st.errors.add("resume events but nothing missed", 1)
				return endAtOnce, true
			}
		case "snapshot":
		default:
			st.errors.add("welcome without a known resume", 1)
		}
	case "snapshot":
		if m.State == nil {
			st.errors.add("snapshot without state", 1)
			return 0, false
		}
		if c.last > m.Seq {
			st.errors.add("snapshot behind the client's seq", 1)
		}
		c.model = modelOf(m.State)
		c.last = m.Seq
		if !c.connected {
			c.resumed(now)
		}
	case "event":
		if m.Change == nil {
			st.errors.add("event without change", 1)
			return 0, false
		}
		st.events.Add(1)
		switch {
		case m.Seq <= c.last:
			st.duplicated.Add(1) // one seq twice on one stream
			return 0, false
		case c.last >= 0 && m.Seq > c.last+1:
			st.gaps.Add(1)
			return endAtOnce, true
		case c.last < 0:
			st.errors.add("event before any state", 1)
			return endAtOnce, true
		}
		c.last = m.Seq
		ch := m.Change
		c.model.apply(ch)
		dupCID, diverged, sentAt, timed := c.mt.tr.observe(ch.CID, m.Seq)
		if dupCID {
			st.duplicated.Add(1)
		}
		if diverged {
			st.diverged.Add(1)
		}
		if p := c.byCID[ch.CID]; p != nil {
			c.confirmed(p, m.Seq, now, false)
			if ch.Merged {
				st.merged.Add(1)
			}
		} else if m.Seq > c.liveFrom && timed && c.connected {
			st.fanout.record(now.Sub(sentAt))
		} else if ch.CID != "" && !isSeedCID(ch.CID) {
			st.fanoutSkip.Add(1)
		}
		if !c.connected && m.Seq >= c.liveFrom {
			c.resumed(now)
		}
	case "ack":
		p := c.byCID[m.CID]
		if p == nil {
			// Already confirmed by its event in the replay after a welcome: the ack must
			// name the same seq.
			if seq, ok := c.recent[m.CID]; ok {
				if seq != m.Seq {
					st.duplicated.Add(1)
				}
				st.lateAcks.Add(1)
			} else {
				st.errors.add("ack for an unknown cid", 1)
			}
			return 0, false
		}
		dupCID, diverged, _, _ := c.mt.tr.observe(m.CID, m.Seq)
		if dupCID {
			st.duplicated.Add(1)
		}
		if diverged {
			st.diverged.Add(1)
		}
		st.acks.Add(1)
		c.confirmed(p, m.Seq, now, true)
	case "reject":
		p := c.byCID[m.CID]
		if p == nil {
			if _, ok := c.recent[m.CID]; ok {
				st.errors.add("reject of an op already confirmed", 1)
				return 0, false
			}
			st.errors.add("reject for an unknown cid", 1)
			return 0, false
		}
		if m.Code == "invalid" && m.Field != "" {
			st.rejected.add(m.Code+"("+m.Field+")", 1)
		} else {
			st.rejected.add(m.Code, 1)
		}
		switch m.Code {
		case "unavailable", "rate":
			// Keep it and send it again a little later, with the same cid.
			p.inFlight = false
			p.retryAt = now.Add(time.Second + time.Duration(c.rng.Float64()*float64(time.Second)))
			return 0, false
		case "conflict":
			st.conflicts.Add(1)
			// Show both; the person keeps theirs by sending it again from current.r. The
			// model takes the current text so the next edit starts from it.
			if m.Current != nil {
				if key := textKeyOf(p.frame); key != "" {
					c.model.texts[key] = *m.Current
				}
			}
		}
		p.done = true
		delete(c.byCID, p.cid)
		c.mt.tr.reject(p.cid, m.Code)
	case "lobby":
		st.errors.add("lobby: "+lobby.State+" "+lobby.Reason, 1)
		if lobby.State != "waiting" {
			return endAtOnce, true
		}
	}
	return 0, false
}

// resumed marks the connection caught up. Caller holds mu.
func (c *client) resumed(now time.Time) {
	c.connected = true
	if c.r.stormActive() && !c.stormMark {
		c.stormMark = true
		c.r.stormResumed(now)
	}
}

// confirmed finishes an op its sender saw applied. Caller holds mu.
func (c *client) confirmed(p *pendingOp, seq int64, now time.Time, byAck bool) {
	st := &c.r.st
	st.applied.Add(1)
	if p.inFlight {
		// Timed only when confirmed on the connection it was sent on: a confirmation
		// replayed after a reconnect would time the reconnect.
		st.ack.record(now.Sub(p.lastSent))
	}
	p.done = true
	delete(c.byCID, p.cid)
	c.mt.tr.confirm(p.cid, seq)
	if p.sends > 1 {
		// A re-sent op may still be answered by an ack, or an op in flight at a drop
		// by its re-send's ack: remember it a while.
		if c.recent == nil || len(c.recent) > 256 {
			c.recent = map[string]int64{}
		}
		c.recent[p.cid] = seq
	}
}

func isSeedCID(cid string) bool { return len(cid) > 5 && cid[:5] == "seed-" }

// textKeyOf finds the "entity#field" a text set op was about.
func textKeyOf(frame []byte) string {
	var op struct {
		Entity string `json:"entity"`
		Data   struct {
			Field string `json:"field"`
		} `json:"data"`
	}
	if json.Unmarshal(frame, &op) != nil || op.Data.Field == "" {
		return ""
	}
	return op.Entity + "#" + op.Data.Field
}

func modelOf(s *wState) model {
	m := newModel()
	m.current, m.phase = s.Meeting.CurrentItem, s.Meeting.Phase
	for i := range s.Agenda {
		m.applyAgenda(&s.Agenda[i])
	}
	for i := range s.Compass {
		m.applyCompass(&s.Compass[i])
	}
	for i := range s.Goals {
		m.applyGoal(&s.Goals[i])
	}
	for i := range s.Actions {
		m.applyAction(&s.Actions[i])
	}
	return m
}

func (m *model) apply(ch *wChange) {
	switch {
	case ch.Meeting != nil:
		m.current, m.phase = ch.Meeting.CurrentItem, ch.Meeting.Phase
	case ch.Agenda != nil:
		m.applyAgenda(ch.Agenda)
	case ch.Compass != nil:
		m.applyCompass(ch.Compass)
	case ch.Goal != nil:
		m.applyGoal(ch.Goal)
	case ch.Action != nil:
		m.applyAction(ch.Action)
	}
}

func (m *model) applyAgenda(a *wAgenda) {
	e := "agenda/" + a.ID
	if a.Deleted {
		delete(m.agenda, a.ID)
		delete(m.texts, e+"#notes")
		delete(m.texts, e+"#title")
		return
	}
	m.agenda[a.ID] = true
	m.texts[e+"#notes"] = a.Notes
	m.texts[e+"#title"] = a.Title
}

func (m *model) applyCompass(x *wCompass) {
	e := "compass/" + x.Area
	m.texts[e+"#works"] = x.Works
	m.texts[e+"#worries"] = x.Worries
	m.texts[e+"#child_voice"] = x.ChildVoice
	m.texts[e+"#guardians_view"] = x.GuardiansView
}

func (m *model) applyGoal(g *wGoal) {
	e := "goal/" + g.ID
	if g.Deleted {
		delete(m.goals, g.ID)
		delete(m.texts, e+"#text")
		delete(m.texts, e+"#evidence")
		return
	}
	m.goals[g.ID] = g.Area
	m.texts[e+"#text"] = g.Text
	m.texts[e+"#evidence"] = g.Evidence
}

func (m *model) applyAction(a *wAction) {
	e := "action/" + a.ID
	if a.Deleted {
		delete(m.actions, a.ID)
		delete(m.texts, e+"#what")
		return
	}
	m.actions[a.ID] = true
	m.texts[e+"#what"] = a.What
}

func shortErr(err error) string {
	var ne interface{ Timeout() bool }
	if errors.As(err, &ne) && ne.Timeout() {
		return "timeout"
	}
	if errors.Is(err, syscall.ECONNREFUSED) {
		return "connection refused"
	}
	if errors.Is(err, net.ErrClosed) {
		return "connection closed"
	}
	s := err.Error()
	if len(s) > 80 {
		s = s[:80]
	}
	return s
}
