package realtime

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/coder/websocket"

	"github.com/barnteam/barnteam/server/board"
	"github.com/barnteam/barnteam/server/metrics"
)

// The views a connection can have; the HTTP layer names them, the Renderer draws them.
const (
	ViewBoard  = "board"  // the board itself
	ViewChild  = "child"  // the child view: the child's own answers and the plan
	ViewScreen = "screen" // the room's shared screen: read-only, nothing private
)

// Variant is what a rendered fragment depends on. Events are rendered once per distinct
// variant in a room, not once per connection.
type Variant struct {
	Lang string
	Role board.Role
	View string // ViewBoard, ViewChild or ViewScreen
	// Perspective is the member's own rating perspective (each guardian has their own).
	Perspective string
	// Private: the variant sees the child's answers before they are shared. It follows
	// the member's own role, not the role they act in: a co-facilitator leading while
	// the coordinator is away leads the meeting, but the child's answers stay between
	// the child and the coordinator.
	Private bool
}

// private reports whether the variant sees the child's answers before they are shared.
func (v Variant) private() bool { return v.Private }

// compass is one compass entry as the variant receives it in structured form: without the
// child's unshared answer unless it may see it, and on the shared screen without the
// areas' texts, which the screen does not show (a room's computer keeps only what it
// shows).
func (v Variant) compass(e *board.CompassEntry) *board.CompassEntry {
	e = e.ForViewer(v.private())
	if v.View == ViewScreen {
		e = e.RatingsOnly()
	}
	return e
}

// change is a change as the variant receives it in structured form (see compass). The
// shared screen gets the least it needs: no area's texts, no agenda item's notes,
// decisions or parking lot (its HTML shows the current item's notes), and of the plan
// only where it stands.
func (v Variant) change(ch *board.Change) *board.Change {
	c := ch.ForViewer(v.private())
	if v.View != ViewScreen {
		return c
	}
	cp := *c
	if c.Compass != nil {
		cp.Compass = c.Compass.RatingsOnly()
	}
	if c.Agenda != nil {
		cp.Agenda = screenAgendaItem(c.Agenda)
	}
	if c.Plan != nil {
		cp.Plan = &board.PlanState{Version: c.Plan.Version, Status: c.Plan.Status, EstablishedAt: c.Plan.EstablishedAt, Rev: c.Plan.Rev}
	}
	cp.PlanVersion = nil
	return &cp
}

// agenda is the agenda as the variant receives it in structured form (see change).
func (v Variant) agenda(items []*board.AgendaItem) []*board.AgendaItem {
	if v.View != ViewScreen {
		return items
	}
	out := make([]*board.AgendaItem, len(items))
	for i, a := range items {
		out[i] = screenAgendaItem(a)
	}
	return out
}

// screenAgendaItem is an agenda item without what was written on it.
func screenAgendaItem(a *board.AgendaItem) *board.AgendaItem {
	cp := *a
	cp.Notes, cp.Decisions, cp.Parked = board.Text{}, board.Text{}, board.Text{}
	return &cp
}

// Participant is one person's connection identity, established by the HTTP layer from
// their session.
type Participant struct {
	Member board.Member
	Lang   string
	View   string

	// How they came in, so that logging out, disabling an account or revoking a link can
	// close exactly their connections: a staff account (UserID and the hash of the staff
	// session) or a personal link (the hash of the guest session).
	UserID       string
	StaffSession string
	GuestSession string
	// Expires is when the session ends; the connection closes then (zero: never).
	Expires time.Time

	// Lobby is set for someone not let in yet: their connection gets lobby messages only,
	// never any board content.
	Lobby *LobbyEntry

	// Screen is the room's shared screen (a projector or TV): no member, read-only, not
	// shown as present, and it never sees what is private. Its view is "screen".
	Screen string // the display session's id, for closing it
}

// LobbyEntry is one person waiting in the lobby, as the coordinator sees them.
type LobbyEntry struct {
	// Key names the waiting session for the admit and turn-away forms: the hex of the
	// guest session's hash, or "member:<id>" for staff kept out by missing consent.
	Key     string
	Member  board.Member
	OrgName string
	// Reason is ReasonAdmission (the coordinator lets them in) or ReasonConsent (no valid
	// consent covers their organisation: nobody can let them in until there is one).
	Reason string
}

// Why someone waits in the lobby.
const (
	ReasonAdmission = "admission"
	ReasonConsent   = "consent"
)

// Variant returns the rendering variant of a participant with their own role.
func (p Participant) Variant() Variant { return p.variantAs(p.Member.Role) }

func (p Participant) variantAs(role board.Role) Variant {
	a := p.actor()
	a.Role = role
	return Variant{Lang: p.Lang, Role: role, View: p.View, Perspective: board.OwnPerspective(a), Private: board.SeesPrivate(p.Member.Role)}
}

func (p Participant) actor() board.Actor { return board.ActorOf(p.Member) }

// Renderer turns board state into HTML fragments and messages for one variant. It is
// called from a room's goroutine with the room's current board: it must not keep
// references to the board after returning, and must not block on I/O.
type Renderer interface {
	// Board renders every region of the board.
	Board(v Variant, b *board.Board, dir *board.Directory) ([]Fragment, error)
	// Change renders the regions a change touched and a short announcement of it for the
	// live region ("" for none).
	Change(v Variant, b *board.Board, dir *board.Directory, ch *board.Change) ([]Fragment, string, error)
	// ChangeVariant returns the variant whose rendering of ch serves v: variants that
	// would draw the change alike share one rendering (two guardians differ only in the
	// rating form, which most changes do not touch).
	ChangeVariant(v Variant, ch *board.Change) Variant
	// Presence renders the participants region, with the raised hands in the order they
	// went up; lead says whether the viewer leads the meeting (and works the queue).
	Presence(lang string, lead bool, dir *board.Directory, people []PresenceEntry) ([]Fragment, error)
	// Lobby renders the lobby region that the meeting's leader sees.
	Lobby(lang string, phase board.Phase, dir *board.Directory, waiting []LobbyEntry) ([]Fragment, error)
	// Message looks up a catalog message (for refusals) in lang.
	Message(lang, key string, args ...any) string
}

// Options tune a hub. Zero values get the defaults noted.
type Options struct {
	SendQueue      int           // messages queued per connection before it is closed as slow (256)
	Heartbeat      time.Duration // application heartbeat and ping interval (25s)
	WriteTimeout   time.Duration // deadline of every write (10s)
	IdleRoom       time.Duration // an empty room is unloaded after this (5m)
	EventRing      int           // recent events kept per room for resume (512)
	OpsPerSecond   float64       // per-connection op rate (20/s)
	OpsBurst       int           // per-connection op burst (60)
	OriginPatterns []string      // extra allowed WebSocket origins (host patterns)

	// Now is the clock of ops (signatures and plan events are stamped with it); nil is
	// time.Now.
	Now func() time.Time
	// MakePlan makes the canonical JSON of the plan document of a new version from the
	// board as it is, for a freeze op; without it freezing is refused. It runs on the
	// room's goroutine and must not keep the board.
	MakePlan func(b *board.Board, dir *board.Directory, version int, at time.Time, by board.Actor) ([]byte, error)
	// ChildSignAge is the age from which the child's agreement to the plan is required
	// (0: board.DefaultChildSignAge).
	ChildSignAge int

	// Metrics is where the hub's figures go (nil: a registry of its own, unread).
	Metrics *metrics.Registry
	// StillAllowed checks again whether a participant's session still lets them in (not
	// logged out, revoked, removed, or out of consent). With several instances a hub calls
	// it for every connection after it may have missed another instance's "close these"
	// (its listening connection was lost); nil trusts the connections it has.
	StillAllowed func(ctx context.Context, meetingID string, p Participant) bool
}

func (o *Options) defaults() {
	if o.SendQueue <= 0 {
		o.SendQueue = 256
	}
	if o.Heartbeat <= 0 {
		o.Heartbeat = 25 * time.Second
	}
	if o.WriteTimeout <= 0 {
		o.WriteTimeout = 10 * time.Second
	}
	if o.IdleRoom <= 0 {
		o.IdleRoom = 5 * time.Minute
	}
	if o.EventRing <= 0 {
		o.EventRing = 512
	}
	if o.OpsPerSecond <= 0 {
		o.OpsPerSecond = 20
	}
	if o.OpsBurst <= 0 {
		o.OpsBurst = 60
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Metrics == nil {
		o.Metrics = metrics.New()
	}
}

// Hub owns the rooms of one server process.
type Hub struct {
	store  board.Store
	render Renderer
	log    *slog.Logger
	opt    Options

	mu       sync.Mutex
	rooms    map[string]*Room
	shutdown bool

	m *hubMetrics

	// Other instances on the same database (see cluster.go); notifier is nil without.
	id          string
	notifier    board.Notifier
	pub         chan clusterMsg
	stopCluster context.CancelFunc
	clusterDone sync.WaitGroup
}

// ErrShutdown is returned once the hub is shutting down.
var ErrShutdown = errors.New("realtime: shutting down")

// NewHub makes a hub.
func NewHub(store board.Store, render Renderer, log *slog.Logger, opt Options) *Hub {
	opt.defaults()
	h := &Hub{store: store, render: render, log: log, opt: opt, rooms: map[string]*Room{}, id: newHubID()}
	h.m = newHubMetrics(opt.Metrics, h)
	h.startCluster()
	return h
}

// acquire returns the loaded room of a meeting, loading it on first use. Every acquire
// must be paired with a release.
func (h *Hub) acquire(ctx context.Context, meetingID string) (*Room, error) {
	h.mu.Lock()
	if h.shutdown {
		h.mu.Unlock()
		return nil, ErrShutdown
	}
	r := h.rooms[meetingID]
	if r == nil {
		r = newRoom(h, meetingID)
		h.rooms[meetingID] = r
		go r.run()
	}
	r.refs++
	h.mu.Unlock()
	select {
	case <-r.ready:
	case <-ctx.Done():
		h.release(r)
		return nil, ctx.Err()
	}
	if r.loadErr != nil {
		h.release(r)
		return nil, r.loadErr
	}
	return r, nil
}

func (h *Hub) release(r *Room) {
	h.mu.Lock()
	r.refs--
	h.mu.Unlock()
}

// unloadIfIdle removes a room that nobody holds. Called by the room itself.
func (h *Hub) unloadIfIdle(r *Room) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	if r.refs > 0 || h.rooms[r.id] != r {
		return false
	}
	delete(h.rooms, r.id)
	return true
}

// forget removes a room that failed to load, whoever holds it; holders see its loadErr.
func (h *Hub) forget(r *Room) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.rooms[r.id] == r {
		delete(h.rooms, r.id)
	}
}

// Result is the outcome of an op submitted outside a WebSocket (a plain form post).
type Result struct {
	Seq    int64
	Reject *board.Error // nil when applied (or already applied)
	Err    error        // the server could not save it now
}

// Submit applies one op on behalf of a participant and waits until it is durable (or
// refused). The event reaches every connection of the meeting as usual.
func (h *Hub) Submit(ctx context.Context, meetingID string, p Participant, op board.Op) Result {
	r, err := h.acquire(ctx, meetingID)
	if err != nil {
		return Result{Err: err}
	}
	defer h.release(r)
	reply := make(chan Result, 1)
	if !r.send(ctx, request{kind: reqOp, actor: p.actor(), op: op, reply: reply}) {
		return Result{Err: ErrShutdown}
	}
	select {
	case res := <-reply:
		return res
	case <-ctx.Done():
		return Result{Err: ctx.Err()}
	}
}

// Render renders the whole board for a participant (as the role they act in now, and
// with the lobby region if they lead the meeting) together with the seq it shows, for the
// first page load. The page then connects with since=seq.
func (h *Hub) Render(ctx context.Context, meetingID string, p Participant) ([]Fragment, int64, string, error) {
	r, err := h.acquire(ctx, meetingID)
	if err != nil {
		return nil, 0, "", err
	}
	defer h.release(r)
	reply := make(chan renderResult, 1)
	if !r.send(ctx, request{kind: reqRender, participant: p, render: reply}) {
		return nil, 0, "", ErrShutdown
	}
	select {
	case res := <-reply:
		return res.frags, res.seq, res.epoch, res.err
	case <-ctx.Done():
		return nil, 0, "", ctx.Err()
	}
}

// View runs fn on the meeting's room goroutine with its board and directory, as they are
// between two ops, and waits for it. fn must be quick, must not change them and must not
// keep them. It reports whether fn ran.
func (h *Hub) View(ctx context.Context, meetingID string, fn func(b *board.Board, dir *board.Directory)) error {
	r, err := h.acquire(ctx, meetingID)
	if err != nil {
		return err
	}
	defer h.release(r)
	ran := false
	done := make(chan struct{})
	if !r.send(ctx, request{kind: reqView, done: done, view: func(b *board.Board, dir *board.Directory) { fn(b, dir); ran = true }}) {
		return ErrShutdown
	}
	select {
	case <-done:
	case <-ctx.Done():
		return ctx.Err()
	}
	if !ran {
		return ErrShutdown
	}
	return nil
}

// Directory returns the room's directory (team, members, organisations).
func (h *Hub) Directory(ctx context.Context, meetingID string) (*board.Directory, error) {
	r, err := h.acquire(ctx, meetingID)
	if err != nil {
		return nil, err
	}
	defer h.release(r)
	return r.dir, nil
}

// Serve starts serving one accepted WebSocket connection and returns; the connection runs
// until it ends. since and epoch are what the client last applied ("resume"); since < 0
// asks for a snapshot. ctx (the upgrade request's) only bounds loading the room.
//
// The connection gets goroutines of its own rather than keeping the HTTP handler's: that
// one's stack grew deep while the request was checked (middleware, the session, the
// database), and at tens of thousands of connections idle stacks are much of the memory.
func (h *Hub) Serve(ctx context.Context, ws *websocket.Conn, meetingID string, p Participant, since int64, epoch string) {
	ws.SetReadLimit(MaxMessageBytes)
	r, err := h.acquire(ctx, meetingID)
	if err != nil {
		code := CloseTryAgain
		if errors.Is(err, board.ErrNotFound) {
			code = CloseGone
		} else if errors.Is(err, ErrShutdown) {
			code = CloseServerRestart
		}
		ws.Close(code, "")
		return
	}
	c := newConn(h, r, ws, p)
	go func() {
		defer h.release(r)
		c.run(context.Background(), since, epoch)
	}()
}

// Each of the methods below acts on this instance's rooms and tells the other instances
// (if any) to do the same with theirs. They return at once; the rooms act in turn, within
// milliseconds unless a room is busy.

// CloseMember closes every connection of one member in a meeting with code (e.g. when
// they are removed).
func (h *Hub) CloseMember(meetingID, memberID string, code websocket.StatusCode) {
	h.closeMatching(meetingID, Match{MemberID: memberID}, code)
}

// CloseWhere closes, in every room, the connections that match (a logged-out session, a
// disabled account).
func (h *Hub) CloseWhere(match Match, code websocket.StatusCode) {
	h.closeMatching("", match, code)
}

// CloseScreens closes the shared screens of one meeting with a "stop" code (the leader
// closed them).
func (h *Hub) CloseScreens(meetingID string) {
	h.closeMatching(meetingID, Match{Screens: true}, CloseForbidden)
}

// closeMatching closes the matching connections of one meeting ("": of every meeting).
func (h *Hub) closeMatching(meetingID string, match Match, code websocket.StatusCode) {
	req := request{kind: reqKick, match: match.matches, code: code}
	if meetingID == "" {
		for _, r := range h.loaded() {
			go r.send(context.Background(), req)
		}
	} else {
		h.toRoom(meetingID, req)
	}
	h.publish(clusterMsg{Kind: msgKick, Meeting: meetingID, Match: &match, Code: int(code)})
}

// LowerHand lowers a member's raised hand on all their devices: the leader gave them the
// floor.
func (h *Hub) LowerHand(meetingID, memberID string) {
	h.toRoom(meetingID, request{kind: reqLowerHand, memberID: memberID})
	h.publish(clusterMsg{Kind: msgHand, Meeting: meetingID, Member: memberID})
}

// Admitted tells the lobby connections of one waiting session that they were let in (or
// turned away); they reload into the board (or the turned-away page).
func (h *Hub) Admitted(meetingID, key string, admitted bool) {
	h.toRoom(meetingID, request{kind: reqAdmitted, key: key, admitted: admitted})
	h.publish(clusterMsg{Kind: msgAdmit, Meeting: meetingID, Key: key, Admitted: admitted})
}

// ConsentChanged applies a new set of covered organisations at once: professionals whose
// organisation is no longer covered leave the room with a "stop" code; people waiting in
// the lobby only for consent are let in when it now covers them.
func (h *Hub) ConsentChanged(meetingID string, covered map[string]bool) {
	h.toRoom(meetingID, request{kind: reqConsent, covered: covered})
	h.publish(clusterMsg{Kind: msgConsent, Meeting: meetingID, Covered: covered})
}

// Reload makes a loaded room read its directory again (members added, a role handed over,
// a co-facilitator named) and waits until it has, so that the next page load sees the
// change. Connections whose role changed reload their page; everyone else gets a fresh
// snapshot. A room that is not loaded reads everything afresh when it loads.
func (h *Hub) Reload(ctx context.Context, meetingID string) {
	h.publish(clusterMsg{Kind: msgReload, Meeting: meetingID})
	h.mu.Lock()
	r := h.rooms[meetingID]
	h.mu.Unlock()
	if r == nil {
		return
	}
	done := make(chan struct{})
	if !r.send(ctx, request{kind: reqReload, done: done}) {
		return
	}
	select {
	case <-done:
	case <-r.done:
	case <-ctx.Done():
	}
}

// Leads reports whether a member leads the meeting now: the coordinator, or the
// co-facilitator while the coordinator is not connected.
func (h *Hub) Leads(ctx context.Context, meetingID, memberID string) (bool, error) {
	r, err := h.acquire(ctx, meetingID)
	if err != nil {
		return false, err
	}
	defer h.release(r)
	reply := make(chan bool, 1)
	if !r.send(ctx, request{kind: reqLeads, memberID: memberID, leads: reply}) {
		return false, ErrShutdown
	}
	select {
	case ok := <-reply:
		return ok, nil
	case <-ctx.Done():
		return false, ctx.Err()
	}
}

// toRoom sends a request to a loaded room without waiting; a room that is not loaded has
// no connections and reads everything afresh when it loads.
func (h *Hub) toRoom(meetingID string, req request) {
	h.mu.Lock()
	r := h.rooms[meetingID]
	h.mu.Unlock()
	if r != nil {
		go r.send(context.Background(), req)
	}
}

// loaded returns the rooms loaded now.
func (h *Hub) loaded() []*Room {
	h.mu.Lock()
	defer h.mu.Unlock()
	rooms := make([]*Room, 0, len(h.rooms))
	for _, r := range h.rooms {
		rooms = append(rooms, r)
	}
	return rooms
}

// Shutdown closes every connection with a "reconnect" code (the server is restarting) and
// stops every room. Call it before shutting the HTTP server down: hijacked WebSocket
// connections are not closed by http.Server.Shutdown.
func (h *Hub) Shutdown(ctx context.Context) {
	h.mu.Lock()
	h.shutdown = true
	h.mu.Unlock()
	rooms := h.loaded()
	for _, r := range rooms {
		r.stop(CloseServerRestart)
	}
	defer h.leaveCluster()
	for _, r := range rooms {
		select {
		case <-r.done:
		case <-ctx.Done():
			return
		}
	}
}

// leaveCluster tells the other instances to forget this one's rosters and stops
// listening.
func (h *Hub) leaveCluster() {
	if h.notifier == nil {
		return
	}
	h.publish(clusterMsg{Kind: msgGone})
	h.stopCluster()
	h.clusterDone.Wait()
}

// ShuttingDown reports whether Shutdown has begun.
func (h *Hub) ShuttingDown() bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.shutdown
}

// Stats is a point-in-time count for metrics.
type Stats struct {
	Rooms, Conns int
}

// Stats counts rooms and connections.
func (h *Hub) Stats() Stats {
	h.mu.Lock()
	defer h.mu.Unlock()
	s := Stats{Rooms: len(h.rooms)}
	for _, r := range h.rooms {
		s.Conns += int(r.nconns.Load())
	}
	return s
}
