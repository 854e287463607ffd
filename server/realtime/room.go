package realtime

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"math/rand/v2"
	"sort"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"

	"github.com/barnteam/barnteam/server/board"
)

// Room is one meeting's live board. One goroutine (run) owns the board and the set of
// connections; everything reaches it through the request channel, so ops are applied one
// at a time and joins are ordered with respect to events (the basis of gap-free resume).
// The room never blocks on a connection: it only queues messages (see conn.enqueue).
type Room struct {
	hub *Hub
	id  string

	// in carries pointers: a request is several hundred bytes, and a room's queue of them
	// by value would cost as much memory as a few of its connections.
	in     chan *request
	quit   chan websocket.StatusCode
	ready  chan struct{} // closed when loaded (loadErr says how)
	done   chan struct{} // closed when run returns
	nconns atomic.Int32

	// Set before ready is closed, read-only afterwards.
	loadErr error
	dir     *board.Directory

	// Guarded by the hub's mutex.
	refs int

	// Owned by the run goroutine.
	b     *board.Board
	conns map[*conn]struct{} // on the board
	lobby map[*conn]struct{} // waiting to be let in: lobby messages only
	ring  []ringEntry        // recent changes, oldest first, for resume and idempotency
	cids  map[string]int64
	// lastHand is when the latest hand went up (Unix ms, made unique): the queue's order.
	lastHand int64

	// Other instances' rosters of this meeting, by their hub's id (see cluster.go).
	remote        map[string]remoteRoster
	rosterPending bool
}

type ringEntry struct {
	ch board.Change
}

type reqKind int

const (
	reqJoin reqKind = iota
	reqLeave
	reqOp
	reqPresence
	reqRender
	reqKick
	reqAdmitted
	reqConsent
	reqReload
	reqLeads
	reqView
	reqLowerHand
	reqCatchUp    // another instance committed (seq)
	reqResync     // the cluster listener reconnected: catch up, reload, check sessions
	reqRoster     // another instance's roster (from, roster; nil roster: forget it)
	reqSendRoster // send this room's roster to the other instances
	reqDrop       // close these connections (drop, code)
)

type request struct {
	kind reqKind
	conn *conn

	// join
	since int64
	epoch string

	// op
	actor board.Actor
	op    board.Op
	reply chan Result // for ops not sent over a connection

	// presence
	editing *string
	hand    *bool

	// render
	participant Participant
	render      chan renderResult

	// kick
	match func(Participant) bool
	code  websocket.StatusCode

	// admitted
	key      string
	admitted bool

	// consent
	covered map[string]bool

	// leads
	memberID string
	leads    chan bool

	// reload and view: closed when done
	done chan struct{}

	// view: runs on the room's goroutine with the board
	view func(b *board.Board, dir *board.Directory)

	// catch-up: the seq another instance reached
	seq int64

	// roster
	from   string
	roster *roster

	// drop
	drop map[*conn]bool
}

type renderResult struct {
	frags []Fragment
	seq   int64
	epoch string
	err   error
}

func newRoom(h *Hub, id string) *Room {
	return &Room{
		hub:    h,
		id:     id,
		in:     make(chan *request, 256),
		quit:   make(chan websocket.StatusCode, 1),
		ready:  make(chan struct{}),
		done:   make(chan struct{}),
		conns:  map[*conn]struct{}{},
		lobby:  map[*conn]struct{}{},
		cids:   map[string]int64{},
		remote: map[string]remoteRoster{},
	}
}

// send hands a request to the room; false if the room has stopped.
func (r *Room) send(ctx context.Context, req request) bool {
	select {
	case r.in <- &req:
		return true
	case <-r.done:
		return false
	case <-ctx.Done():
		return false
	}
}

// stop asks the room to close every connection with code and end.
func (r *Room) stop(code websocket.StatusCode) {
	select {
	case r.quit <- code:
	default:
	}
}

func (r *Room) load() error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	dir, err := board.LoadDirectory(ctx, r.hub.store, r.id)
	if err != nil {
		return err
	}
	b, err := r.hub.store.LoadBoard(ctx, r.id)
	if err != nil {
		return err
	}
	r.dir, r.b = dir, b
	r.b.OlderText = r.olderText
	return nil
}

// olderText finds a text field's value at revision rev in the op log: the change with
// seq rev is the one that gave the field that revision. It runs on the room's goroutine,
// only for an edit made from a revision older than the board's in-memory history.
func (r *Room) olderText(ref board.Ref, field string, rev int64) (string, bool) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	chs, err := r.hub.store.ChangesSince(ctx, r.id, rev-1, 1)
	if err != nil || len(chs) != 1 || chs[0].Seq != rev || chs[0].Entity != ref.String() {
		return "", false
	}
	t, ok := chs[0].TextOf(field)
	if !ok || t.Rev != rev {
		return "", false
	}
	return t.Value, true
}

func (r *Room) run() {
	defer close(r.done)
	r.loadErr = r.load()
	if r.loadErr != nil {
		r.hub.log.Warn("room load failed", "meeting", r.id, "err", r.loadErr)
		r.hub.forget(r)
		close(r.ready)
		return
	}
	close(r.ready)
	idle := time.NewTicker(r.hub.opt.IdleRoom)
	defer idle.Stop()
	var cluster <-chan time.Time // nil (never) without other instances
	if r.hub.notifier != nil {
		t := time.NewTicker(rosterEvery)
		defer t.Stop()
		cluster = t.C
		// Changes committed elsewhere between loading and listening are read now.
		r.catchUp(0)
	}
	for {
		select {
		case req := <-r.in:
			r.handle(*req)
		case <-cluster:
			r.clusterTick()
		case code := <-r.quit:
			r.closeAll(code)
			r.drain(code)
			return
		case <-idle.C:
			if len(r.conns) == 0 && len(r.lobby) == 0 && r.hub.unloadIfIdle(r) {
				r.drain(CloseTryAgain)
				return
			}
		}
	}
}

// drain answers requests that raced with the room's end, so no caller waits forever.
func (r *Room) drain(code websocket.StatusCode) {
	for {
		select {
		case req := <-r.in:
			switch req.kind {
			case reqJoin:
				req.conn.kill(code)
			case reqOp:
				if req.reply != nil {
					req.reply <- Result{Err: ErrShutdown}
				} else if req.conn != nil {
					req.conn.kill(code)
				}
			case reqRender:
				req.render <- renderResult{err: ErrShutdown}
			case reqView:
				close(req.done) // the caller sees that view never ran
			}
		default:
			return
		}
	}
}

func (r *Room) closeAll(code websocket.StatusCode) {
	for c := range r.conns {
		c.kill(code)
		delete(r.conns, c)
	}
	for c := range r.lobby {
		c.kill(code)
		delete(r.lobby, c)
	}
	r.nconns.Store(0)
}

// drop removes a connection from the room, whichever set it is in.
func (r *Room) drop(c *conn) {
	if _, ok := r.conns[c]; ok {
		delete(r.conns, c)
		r.nconns.Add(-1)
		if c.p.Member.Role == board.RoleCoordinator {
			r.leadChanged()
		}
		r.broadcastPresence()
		r.rosterChanged()
	}
	if _, ok := r.lobby[c]; ok {
		delete(r.lobby, c)
		r.nconns.Add(-1)
		r.broadcastLobby()
		r.rosterChanged()
	}
}

func (r *Room) handle(req request) {
	switch req.kind {
	case reqJoin:
		r.join(req.conn, req.since, req.epoch)
	case reqLeave:
		r.drop(req.conn)
	case reqOp:
		r.applyOp(req)
	case reqPresence:
		c := req.conn
		if _, ok := r.conns[c]; !ok {
			return // presence from the lobby is ignored
		}
		if req.editing != nil {
			c.editing = *req.editing
		}
		if req.hand != nil {
			if *req.hand && !c.hand {
				// The queue's order is by when hands went up, on the server's clock (so
				// that instances agree), made unique within the room.
				r.lastHand = max(r.hub.opt.Now().UnixMilli(), r.lastHand+1)
				c.handAt = r.lastHand
			}
			c.hand = *req.hand
		}
		r.broadcastPresence()
		r.rosterChanged()
	case reqRender:
		role := r.roleOf(req.participant.Member)
		frags, err := r.hub.render.Board(req.participant.variantAs(role), r.b, r.dir)
		if err == nil && role == board.RoleCoordinator {
			var lobby []Fragment
			lobby, err = r.hub.render.Lobby(req.participant.Lang, r.b.Phase(), r.dir, r.waiting())
			frags = append(frags, lobby...)
		}
		req.render <- renderResult{frags: frags, seq: r.b.Seq, epoch: r.b.Epoch, err: err}
	case reqKick:
		for _, set := range []map[*conn]struct{}{r.conns, r.lobby} {
			for c := range set {
				if req.match(c.p) {
					c.kill(req.code)
					r.drop(c)
				}
			}
		}
	case reqAdmitted:
		state := "turned_away"
		if req.admitted {
			state = "admitted"
		}
		for c := range r.lobby {
			if c.p.Lobby.Key == req.key {
				c.enqueue(mustJSON(lobbyMsg{T: "lobby", State: state}))
				c.kill(CloseReload)
				r.drop(c)
			}
		}
	case reqConsent:
		r.applyConsent(req.covered)
	case reqReload:
		r.reload()
		if req.done != nil {
			close(req.done)
		}
	case reqLeads:
		req.leads <- r.leads(req.memberID)
	case reqView:
		req.view(r.b, r.dir)
		close(req.done)
	case reqLowerHand:
		for c := range r.conns {
			if c.p.Member.ID == req.memberID {
				c.hand = false
			}
		}
		r.broadcastPresence()
		r.rosterChanged()
	case reqCatchUp:
		r.catchUp(req.seq)
	case reqResync:
		r.catchUp(0)
		r.reload()
		ps := map[*conn]Participant{}
		for _, set := range []map[*conn]struct{}{r.conns, r.lobby} {
			for c := range set {
				ps[c] = c.p
			}
		}
		r.revalidate(ps)
		r.rosterChanged()
	case reqRoster:
		r.takeRoster(req.from, req.roster)
	case reqSendRoster:
		r.sendRoster()
	case reqDrop:
		for _, set := range []map[*conn]struct{}{r.conns, r.lobby} {
			for c := range set {
				if req.drop[c] {
					c.kill(req.code)
					r.drop(c)
				}
			}
		}
	}
}

// leads reports whether a member leads the meeting now: the coordinator, or the named
// co-facilitator while no coordinator is connected.
func (r *Room) leads(memberID string) bool {
	m, ok := r.dir.Member(memberID)
	if !ok {
		return false
	}
	return r.roleOf(m) == board.RoleCoordinator
}

// roleOf is the role a member acts in now: the co-facilitator takes the coordinator's
// role while the coordinator's connection is down.
func (r *Room) roleOf(m board.Member) board.Role {
	if m.ID != "" && m.ID == r.dir.Meeting.Cofacilitator && m.Role != board.RoleCoordinator && !r.coordinatorOnline() {
		return board.RoleCoordinator
	}
	return m.Role
}

func (r *Room) coordinatorOnline() bool {
	for c := range r.conns {
		if c.p.Member.Role == board.RoleCoordinator {
			return true
		}
	}
	for _, ro := range r.remote {
		for _, e := range ro.People {
			if e.Role == string(board.RoleCoordinator) {
				return true
			}
		}
	}
	return false
}

// leadChanged runs when a coordinator connects or leaves: a connected co-facilitator's
// view switches to (or back from) leading the meeting.
func (r *Room) leadChanged() {
	for c := range r.conns {
		v := c.p.variantAs(r.roleOf(c.p.Member))
		if v == c.variant {
			continue
		}
		c.variant = v
		key := "lead.you_lead"
		if v.Role != board.RoleCoordinator {
			key = "lead.coordinator_back"
		}
		r.sendSnapshot(c, r.hub.render.Message(c.p.Lang, key))
		if v.Role == board.RoleCoordinator {
			r.sendLobby(c)
		}
	}
}

// sendSnapshot sends one board connection the whole board for its variant.
func (r *Room) sendSnapshot(c *conn, announce string) {
	frags, err := r.hub.render.Board(c.variant, r.b, r.dir)
	if err != nil {
		r.hub.log.Error("render board", "meeting", r.id, "err", err)
		c.kill(CloseTryAgain)
		return
	}
	c.enqueue(mustJSON(snapshotMsg{T: "snapshot", Seq: r.b.Seq, Epoch: r.b.Epoch, State: r.state(c.variant), HTML: frags, Announce: announce}))
}

// applyConsent closes the connections of professionals whose organisation consent no
// longer covers, and lets in those who waited only for consent and are now covered.
func (r *Room) applyConsent(covered map[string]bool) {
	for c := range r.conns {
		m := c.p.Member
		// Only the coordinator is exempt (NeedsConsent): a co-facilitator leading in the
		// coordinator's absence is still a professional whose organisation needs consent.
		if board.NeedsConsent(m) && !covered[m.OrgID] {
			c.kill(CloseForbidden)
			r.drop(c)
		}
	}
	for c := range r.lobby {
		if c.p.Lobby.Reason == ReasonConsent && covered[c.p.Member.OrgID] {
			c.enqueue(mustJSON(lobbyMsg{T: "lobby", State: "admitted"}))
			c.kill(CloseReload)
			r.drop(c)
		}
	}
}

// reload reads the directory again. A connection whose member is gone or whose role
// changed reloads its page (its page's controls depend on the role); the others get a
// snapshot, since names and the responsible-person lists may have changed.
func (r *Room) reload() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	dir, err := board.LoadDirectory(ctx, r.hub.store, r.id)
	if err != nil {
		r.hub.log.Error("reload directory", "meeting", r.id, "err", err)
		return
	}
	r.dir = dir
	for _, set := range []map[*conn]struct{}{r.conns, r.lobby} {
		for c := range set {
			if c.p.Screen != "" {
				continue // a screen is no member; it only gets the snapshot below
			}
			m, ok := dir.Member(c.p.Member.ID)
			if !ok || m.Role != c.p.Member.Role || m.OrgID != c.p.Member.OrgID {
				c.kill(CloseReload)
				r.drop(c)
				continue
			}
			c.p.Member = m
		}
	}
	for c := range r.conns {
		c.variant = c.p.variantAs(r.roleOf(c.p.Member))
		r.sendSnapshot(c, "")
	}
	r.broadcastPresence()
	r.broadcastLobby()
}

// join subscribes a connection and then, in the same step, sends it what it missed since
// `since`. Because the room handles one request at a time, no event can slip in between:
// the client gets no gap and no duplicate.
func (r *Room) join(c *conn, since int64, epoch string) {
	if c.p.Lobby != nil {
		// Someone waiting to be let in learns that they wait, and nothing else.
		r.lobby[c] = struct{}{}
		r.nconns.Add(1)
		c.enqueue(mustJSON(lobbyMsg{T: "lobby", State: "waiting", Reason: c.p.Lobby.Reason}))
		r.broadcastLobby()
		r.rosterChanged()
		return
	}
	r.conns[c] = struct{}{}
	r.nconns.Add(1)
	c.variant = c.p.variantAs(r.roleOf(c.p.Member))
	resume := "snapshot"
	var missed []board.Change
	switch {
	case since < 0 || epoch != r.b.Epoch || since > r.b.Seq:
		// Unknown position: snapshot.
	case since == r.b.Seq:
		resume = "current"
	case r.b.Seq-since <= maxResumeEvents && r.b.Seq-since <= int64(c.send.max/2):
		// The missed events go into the connection's queue at once, with the welcome and
		// presence; more than half a queue of them would close a healthy client as slow.
		missed = r.missedSince(since)
		if missed != nil {
			resume = "events"
		}
	}
	c.enqueue(mustJSON(welcomeMsg{T: "welcome", Meeting: r.id, Epoch: r.b.Epoch, Seq: r.b.Seq, Member: c.p.Member.ID, Role: string(c.p.Member.Role), Resume: resume, Now: r.hub.opt.Now().UnixMilli()}))
	switch resume {
	case "snapshot":
		frags, err := r.hub.render.Board(c.variant, r.b, r.dir)
		if err != nil {
			r.hub.log.Error("render board", "meeting", r.id, "err", err)
			c.kill(CloseTryAgain)
			return
		}
		c.enqueue(mustJSON(snapshotMsg{T: "snapshot", Seq: r.b.Seq, Epoch: r.b.Epoch, State: r.state(c.variant), HTML: frags}))
	case "events":
		for i := range missed {
			frags, _, err := r.hub.render.Change(c.variant, r.b, r.dir, &missed[i])
			if err != nil {
				r.hub.log.Error("render change", "meeting", r.id, "err", err)
			}
			c.enqueue(mustJSON(eventMsg{T: "event", Seq: missed[i].Seq, Change: c.variant.change(r.asSharedNow(&missed[i])), HTML: frags}))
		}
	}
	r.hub.m.resumes[resume].Inc()
	r.broadcastPresence()
	r.rosterChanged()
	if c.variant.Role == board.RoleCoordinator {
		r.sendLobby(c)
	}
	if c.p.Member.Role == board.RoleCoordinator {
		r.leadChanged() // a co-facilitator who was leading hands back
	}
}

// asSharedNow is a missed change as a resuming client may get it: an answer the child
// shared then and has taken back since stays with the child. Sharing is decided by the
// board as it is now, not by the change's own copy of the flag.
func (r *Room) asSharedNow(ch *board.Change) *board.Change {
	if ch.Compass == nil || !ch.Compass.Child.Shared {
		return ch
	}
	if now := r.b.Compass[ch.Compass.Area]; now != nil && now.Child.Shared {
		return ch
	}
	e := *ch.Compass
	e.Child.Shared = false
	cp := *ch
	cp.Compass = &e
	return &cp
}

// broadcastLobby sends the lobby region to everyone who leads the meeting now.
func (r *Room) broadcastLobby() {
	for c := range r.conns {
		if c.variant.Role == board.RoleCoordinator {
			r.sendLobby(c)
		}
	}
}

// waiting lists who waits in the lobby, here or at another instance, once each (a person
// may have two devices there).
func (r *Room) waiting() []LobbyEntry {
	out := r.localWaiting()
	seen := map[string]bool{}
	for _, l := range out {
		seen[l.Key] = true
	}
	for _, ro := range r.remote {
		for _, l := range ro.Lobby {
			if !seen[l.Key] {
				seen[l.Key] = true
				out = append(out, l)
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out
}

// localWaiting lists who waits in this instance's lobby, once each.
func (r *Room) localWaiting() []LobbyEntry {
	seen := map[string]bool{}
	var out []LobbyEntry
	for l := range r.lobby {
		if !seen[l.p.Lobby.Key] {
			seen[l.p.Lobby.Key] = true
			out = append(out, *l.p.Lobby)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out
}

func (r *Room) sendLobby(c *conn) {
	frags, err := r.hub.render.Lobby(c.p.Lang, r.b.Phase(), r.dir, r.waiting())
	if err != nil {
		r.hub.log.Error("render lobby", "meeting", r.id, "err", err)
		return
	}
	c.enqueue(mustJSON(lobbyListMsg{T: "lobby-list", HTML: frags}))
}

// maxResumeEvents is how far behind a client may be and still get the events it missed
// rather than a snapshot: a few events are smaller and cheaper than the whole board.
const maxResumeEvents = 64

// missedSince returns the changes after since: from memory when the ring still holds
// them, else from the op log (after a restart or a room reload the ring is empty). nil
// means they could not be had, and the caller sends a snapshot instead.
func (r *Room) missedSince(since int64) []board.Change {
	if len(r.ring) > 0 && r.ring[0].ch.Seq <= since+1 {
		var out []board.Change
		for _, e := range r.ring {
			if e.ch.Seq > since {
				out = append(out, e.ch)
			}
		}
		return out
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	chs, err := r.hub.store.ChangesSince(ctx, r.id, since, maxResumeEvents)
	if err != nil || int64(len(chs)) != r.b.Seq-since {
		return nil
	}
	for i, ch := range chs {
		if ch.Seq != since+int64(i)+1 {
			return nil
		}
	}
	return chs
}

// state is the structured board for snapshots, as a variant may see it.
func (r *Room) state(v Variant) StateJSON {
	s := StateJSON{Meeting: r.b.Meeting, Agenda: v.agenda(r.b.AgendaList()), Goals: []*board.Goal{}, Actions: r.b.ActionList()}
	for _, a := range board.Areas {
		s.Compass = append(s.Compass, v.compass(r.b.Compass[a]))
		s.Goals = append(s.Goals, r.b.GoalsFor(a)...)
	}
	return s
}

// applyOp is the heart of the protocol: idempotency, authorise+validate+apply, durable
// commit, then (and only then) the event to everyone.
func (r *Room) applyOp(req request) {
	start := time.Now()
	op := req.op
	respond := func(res Result) {
		if req.reply != nil {
			req.reply <- res
		}
	}
	if req.conn != nil {
		if req.conn.p.Screen != "" {
			r.reject(req, &board.Error{Code: board.CodeForbidden, Key: "op.forbidden"})
			return
		}
		if _, waiting := r.lobby[req.conn]; waiting {
			be := &board.Error{Code: board.CodeForbidden, Key: "op.forbidden.lobby"}
			r.reject(req, be)
			return
		}
	}
	actor := req.actor
	if m, ok := r.dir.Member(actor.MemberID); ok {
		actor.Role = r.roleOf(m)
	}
	for attempt := 1; ; attempt++ {
		if seq, ok := r.cids[op.CID]; ok {
			r.hub.m.opsRepeated.Inc()
			r.ack(req, seq)
			respond(Result{Seq: seq})
			return
		}
		env := board.ApplyEnv{At: r.hub.opt.Now(), ChildSignAge: r.hub.opt.ChildSignAge}
		if op.Kind == board.OpFreeze && r.hub.opt.MakePlan != nil {
			env.Freeze = func(version int) ([]byte, error) {
				return r.hub.opt.MakePlan(r.b, r.dir, version, env.At, actor)
			}
		}
		ch, err := r.b.ApplyWith(r.dir, actor, op, r.b.Seq+1, env)
		if err != nil {
			var be *board.Error
			if !errors.As(err, &be) {
				// Not the op's fault: the plan document could not be made.
				r.hub.log.Error("apply op", "meeting", r.id, "op", string(op.Kind), "err", err)
				r.unavailable(req, respond)
				return
			}
			// A resend of an op applied before this room was loaded may now be refused
			// (e.g. "exists"); if its cid is in the log it was applied, so acknowledge it.
			if seq, lerr := r.hub.store.SeqByCID(context.Background(), r.id, op.CID); lerr == nil {
				r.hub.m.opsRepeated.Inc()
				r.ack(req, seq)
				respond(Result{Seq: seq})
				return
			}
			r.hub.m.opsRejected.Inc()
			r.reject(req, be)
			respond(Result{Reject: be})
			return
		}
		commitStart := time.Now()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		err = r.hub.store.Commit(ctx, r.id, ch)
		cancel()
		r.hub.m.commit.ObserveSince(commitStart)
		switch {
		case err == nil:
		case errors.Is(err, board.ErrDuplicateCID):
			seq, lerr := r.hub.store.SeqByCID(context.Background(), r.id, op.CID)
			if lerr != nil {
				r.unavailable(req, respond)
				return
			}
			r.hub.m.opsRepeated.Inc()
			r.ack(req, seq)
			respond(Result{Seq: seq})
			return
		case errors.Is(err, board.ErrSeqConflict) && attempt < maxConflictRetries:
			// Another instance committed to this meeting first: take its changes and
			// apply the op again on top of them, as if it had arrived a moment later.
			r.hub.m.conflicts.Inc()
			r.catchUp(0)
			if attempt > 1 {
				// Two instances racing for every seq of one meeting (two people typing
				// as fast as they can, each on another instance): a random pause of a
				// millisecond or two breaks the symmetry.
				time.Sleep(time.Duration(rand.Int64N(int64(attempt) * int64(time.Millisecond))))
			}
			continue
		default:
			r.hub.log.Error("commit op", "meeting", r.id, "err", err)
			r.unavailable(req, respond)
			return
		}
		r.b.Commit(ch)
		r.remember(ch)
		respond(Result{Seq: ch.Seq})
		r.broadcast(&ch)
		if ch.Kind == board.OpPhase {
			r.broadcastLobby() // who can be let in depends on the phase
		}
		r.hub.m.opsApplied.Inc()
		r.hub.m.apply.ObserveSince(start)
		return
	}
}

// maxConflictRetries bounds how often one op is applied again after another instance
// took its seq; past it the op is refused as "try again" and the client resends it.
const maxConflictRetries = 8

// catchUp reads the changes that other instances committed to this meeting, beyond the
// board's seq, and applies and broadcasts them as if made here. target is the seq one
// of them reported (0: unknown, read whatever there is). A room far behind (it missed
// wake-ups while the database was away) reloads the board and sends everyone a snapshot.
func (r *Room) catchUp(target int64) {
	if target != 0 && target <= r.b.Seq {
		return // this room made it, or has already read it
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	chs, err := r.hub.store.ChangesSince(ctx, r.id, r.b.Seq, maxResumeEvents+1)
	if err != nil {
		// The next wake-up, op or resync tries again.
		r.hub.log.Warn("read other instances' changes", "meeting", r.id, "err", err)
		return
	}
	if len(chs) > maxResumeEvents {
		r.resnapshot(ctx)
		return
	}
	for i := range chs {
		ch := &chs[i]
		if ch.Seq != r.b.Seq+1 {
			r.resnapshot(ctx)
			return
		}
		r.b.Commit(*ch)
		r.remember(*ch)
		r.broadcast(ch)
		if ch.Kind == board.OpPhase {
			r.broadcastLobby()
		}
		r.hub.m.remoteChanges.Inc()
	}
}

// resnapshot reloads the board from the database and sends every connection the whole
// board.
func (r *Room) resnapshot(ctx context.Context) {
	b, err := r.hub.store.LoadBoard(ctx, r.id)
	if err != nil {
		r.hub.log.Error("reload board", "meeting", r.id, "err", err)
		return
	}
	b.OlderText = r.olderText
	r.b, r.ring, r.cids = b, nil, map[string]int64{}
	for c := range r.conns {
		r.sendSnapshot(c, "")
	}
	r.broadcastLobby()
}

func (r *Room) remember(ch board.Change) {
	r.ring = append(r.ring, ringEntry{ch: ch})
	r.cids[ch.CID] = ch.Seq
	if n := len(r.ring) - r.hub.opt.EventRing; n > 0 {
		for _, e := range r.ring[:n] {
			delete(r.cids, e.ch.CID)
		}
		r.ring = append(r.ring[:0:0], r.ring[n:]...)
	}
}

func (r *Room) ack(req request, seq int64) {
	if req.conn != nil {
		req.conn.enqueue(mustJSON(ackMsg{T: "ack", CID: req.op.CID, Seq: seq}))
	}
}

func (r *Room) reject(req request, be *board.Error) {
	if req.conn == nil {
		return
	}
	req.conn.enqueue(mustJSON(rejectMsg{
		T: "reject", CID: req.op.CID, Code: string(be.Code), Field: be.Field, Current: be.Current,
		Message: r.hub.render.Message(req.conn.p.Lang, be.Key, be.Args...),
	}))
}

func (r *Room) unavailable(req request, respond func(Result)) {
	r.hub.m.opsFailed.Inc()
	if req.conn != nil {
		req.conn.enqueue(mustJSON(rejectMsg{T: "reject", CID: req.op.CID, Code: codeUnavailable,
			Message: r.hub.render.Message(req.conn.p.Lang, "op.unavailable")}))
	}
	respond(Result{Err: errors.New("could not save")})
}

// broadcast renders a committed change once per distinct variant and queues it to every
// connection.
func (r *Room) broadcast(ch *board.Change) {
	cache := map[Variant][]byte{}
	for c := range r.conns {
		v := r.hub.render.ChangeVariant(c.variant, ch)
		msg, ok := cache[v]
		if !ok {
			frags, announce, err := r.hub.render.Change(v, r.b, r.dir, ch)
			if err != nil {
				r.hub.log.Error("render change", "meeting", r.id, "err", err)
			}
			// What is private to the child stays out of the structured change too.
			msg = mustJSON(eventMsg{T: "event", Seq: ch.Seq, Change: v.change(ch), HTML: frags, Announce: announce})
			cache[v] = msg
		}
		c.enqueue(msg)
	}
}

// localPeople is who is connected to this instance's room, once each, editing what, with
// hands up.
func (r *Room) localPeople() []PresenceEntry {
	var entries []PresenceEntry
	for c := range r.conns {
		if c.p.Screen != "" {
			continue // the shared screen is nobody
		}
		entries = append(entries, PresenceEntry{Member: c.p.Member.ID, Name: c.p.Member.Name, Role: string(c.p.Member.Role),
			Editing: c.editing, Hand: c.hand, HandOrder: c.handAt})
	}
	return mergePeople(entries)
}

// mergePeople makes one entry per person of entries from several devices (and instances):
// editing what any device edits, with the hand up if any device raised it, at the time
// the first one went up. Sorted by member id.
func mergePeople(entries []PresenceEntry) []PresenceEntry {
	byMember := map[string]*PresenceEntry{}
	for _, in := range entries {
		e := byMember[in.Member]
		if e == nil {
			e = &PresenceEntry{Member: in.Member, Name: in.Name, Role: in.Role}
			byMember[in.Member] = e
		}
		if in.Editing != "" {
			e.Editing = in.Editing
		}
		if in.Hand && (!e.Hand || in.HandOrder < e.HandOrder) {
			e.HandOrder = in.HandOrder
		}
		e.Hand = e.Hand || in.Hand
	}
	people := make([]PresenceEntry, 0, len(byMember))
	for _, e := range byMember {
		if !e.Hand {
			e.HandOrder = 0
		}
		people = append(people, *e)
	}
	sort.Slice(people, func(i, j int) bool { return people[i].Member < people[j].Member })
	return people
}

// broadcastPresence sends everyone the list of who is here (at any instance), editing
// what, with hands up.
func (r *Room) broadcastPresence() {
	people := r.localPeople()
	if len(r.remote) > 0 {
		for _, ro := range r.remote {
			people = append(people, ro.People...)
		}
		people = mergePeople(people)
	}
	type variant struct {
		lang string
		lead bool
	}
	cache := map[variant][]byte{}
	for c := range r.conns {
		if c.p.Screen != "" {
			continue // the shared screen does not show who is connected
		}
		v := variant{c.p.Lang, c.variant.Role == board.RoleCoordinator}
		msg, ok := cache[v]
		if !ok {
			frags, err := r.hub.render.Presence(v.lang, v.lead, r.dir, people)
			if err != nil {
				r.hub.log.Error("render presence", "meeting", r.id, "err", err)
			}
			msg = mustJSON(presenceMsg{T: "presence", People: people, HTML: frags})
			cache[v] = msg
		}
		c.enqueue(msg)
	}
}

// mustJSON encodes a message for the wire. HTML is not escaped: the messages carry HTML
// fragments, which json.Marshal would inflate (every < as \u003c) for no gain, since
// they are parsed as JSON and never embedded in a page as script.
func mustJSON(v any) []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		panic(err) // only our own types are marshalled; failure is a programming error
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
}
