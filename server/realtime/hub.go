package realtime

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/coder/websocket"

	"github.com/barnteam/barnteam/server/board"
)

// Variant is what a rendered fragment depends on. Events are rendered once per distinct
// variant in a room, not once per connection.
type Variant struct {
	Lang string
	Role board.Role
	View string // "board" today; "child", "screen" later
	// Perspective is the member's own rating perspective (each guardian has their own).
	Perspective string
}

// Participant is one person's connection identity, established by the HTTP layer from
// their session.
type Participant struct {
	Member board.Member
	Lang   string
	View   string
}

// Variant returns the rendering variant of a participant.
func (p Participant) Variant() Variant {
	return Variant{Lang: p.Lang, Role: p.Member.Role, View: p.View, Perspective: board.OwnPerspective(p.actor())}
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
	// Presence renders the participants region.
	Presence(lang string, dir *board.Directory, people []PresenceEntry) ([]Fragment, error)
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
}

// ErrShutdown is returned once the hub is shutting down.
var ErrShutdown = errors.New("realtime: shutting down")

// NewHub makes a hub.
func NewHub(store board.Store, render Renderer, log *slog.Logger, opt Options) *Hub {
	opt.defaults()
	return &Hub{store: store, render: render, log: log, opt: opt, rooms: map[string]*Room{}}
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

// Render renders the whole board for a variant together with the seq it shows, for the
// first page load. The page then connects with since=seq.
func (h *Hub) Render(ctx context.Context, meetingID string, v Variant) ([]Fragment, int64, string, error) {
	r, err := h.acquire(ctx, meetingID)
	if err != nil {
		return nil, 0, "", err
	}
	defer h.release(r)
	reply := make(chan renderResult, 1)
	if !r.send(ctx, request{kind: reqRender, variant: v, render: reply}) {
		return nil, 0, "", ErrShutdown
	}
	select {
	case res := <-reply:
		return res.frags, res.seq, res.epoch, res.err
	case <-ctx.Done():
		return nil, 0, "", ctx.Err()
	}
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

// Serve runs one accepted WebSocket connection until it ends. since and epoch are what the
// client last applied ("resume"); since < 0 asks for a snapshot.
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
	defer h.release(r)
	c := newConn(h, r, ws, p)
	c.run(ctx, since, epoch)
}

// CloseMember closes every connection of one member in a meeting with code (e.g. when
// their access is revoked). It returns at once; the closes happen within the room.
func (h *Hub) CloseMember(meetingID, memberID string, code websocket.StatusCode) {
	h.mu.Lock()
	r := h.rooms[meetingID]
	h.mu.Unlock()
	if r != nil {
		r.send(context.Background(), request{kind: reqKick, memberID: memberID, code: code})
	}
}

// Shutdown closes every connection with a "reconnect" code (the server is restarting) and
// stops every room. Call it before shutting the HTTP server down: hijacked WebSocket
// connections are not closed by http.Server.Shutdown.
func (h *Hub) Shutdown(ctx context.Context) {
	h.mu.Lock()
	h.shutdown = true
	rooms := make([]*Room, 0, len(h.rooms))
	for _, r := range h.rooms {
		rooms = append(rooms, r)
	}
	h.mu.Unlock()
	for _, r := range rooms {
		r.stop(CloseServerRestart)
	}
	for _, r := range rooms {
		select {
		case <-r.done:
		case <-ctx.Done():
			return
		}
	}
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
