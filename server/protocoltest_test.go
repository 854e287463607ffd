package server_test

// A small WebSocket client for the protocol tests, written from docs/PROTOCOL.md alone:
// its own wire types (not the server's Go types), a reader goroutine that queues every
// server message, and a peer that keeps a model of the board purely from snapshots and
// events, tracks its unconfirmed ops and re-sends them after a reconnect.
//
// The client is strict where a browser is lenient: PROTOCOL.md tells clients to ignore
// message types they do not know, but a protocol test fails on any type the document does
// not list, and on a documented one in a place the document does not allow (board content
// on a lobby connection, a lobby message on a board connection, the lobby list sent to a
// guest).

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/barnteam/barnteam/server/board"
	"github.com/barnteam/barnteam/server/servertest"
)

// Wire types, as PROTOCOL.md describes them.

type wText struct {
	V string `json:"v"`
	R int64  `json:"r"`
}

type wMeeting struct {
	CurrentItem string `json:"current_item,omitempty"`
	Rev         int64  `json:"rev"`
}

type wAgenda struct {
	ID         string `json:"id"`
	Pos        string `json:"pos"`
	Title      wText  `json:"title"`
	Notes      wText  `json:"notes"`
	TimeboxMin int    `json:"timebox_min"`
	Status     string `json:"status"`
	Deleted    bool   `json:"deleted,omitempty"`
	Rev        int64  `json:"rev"`
}

type wCompass struct {
	Area          string            `json:"area"`
	Works         wText             `json:"works"`
	Worries       wText             `json:"worries"`
	ChildVoice    wText             `json:"child_voice"`
	GuardiansView wText             `json:"guardians_view"`
	ChildVoiceBy  string            `json:"child_voice_by"`
	Ratings       map[string]string `json:"ratings,omitempty"`
	Rev           int64             `json:"rev"`
}

type wGoal struct {
	ID      string `json:"id"`
	Area    string `json:"area"`
	Term    string `json:"term"`
	Pos     string `json:"pos"`
	Text    wText  `json:"text"`
	Deleted bool   `json:"deleted,omitempty"`
	Rev     int64  `json:"rev"`
}

type wAction struct {
	ID                string `json:"id"`
	Pos               string `json:"pos"`
	What              wText  `json:"what"`
	ResponsibleMember string `json:"responsible_member,omitempty"`
	ResponsibleOrg    string `json:"responsible_org,omitempty"`
	Due               string `json:"due,omitempty"`
	Frequency         string `json:"frequency,omitempty"`
	Area              string `json:"area,omitempty"`
	GoalID            string `json:"goal_id,omitempty"`
	External          bool   `json:"external,omitempty"`
	Status            string `json:"status"`
	Deleted           bool   `json:"deleted,omitempty"`
	Rev               int64  `json:"rev"`
}

type wChange struct {
	Seq     int64     `json:"seq"`
	CID     string    `json:"cid"`
	Actor   string    `json:"actor"`
	Op      string    `json:"op"`
	Entity  string    `json:"entity"`
	Field   string    `json:"field,omitempty"`
	Merged  bool      `json:"merged,omitempty"`
	Meeting *wMeeting `json:"meeting,omitempty"`
	Agenda  *wAgenda  `json:"agenda,omitempty"`
	Compass *wCompass `json:"compass,omitempty"`
	Goal    *wGoal    `json:"goal,omitempty"`
	Action  *wAction  `json:"action,omitempty"`
}

type wState struct {
	Meeting wMeeting   `json:"meeting"`
	Agenda  []wAgenda  `json:"agenda"`
	Compass []wCompass `json:"compass"`
	Goals   []wGoal    `json:"goals"`
	Actions []wAction  `json:"actions"`
}

type wPerson struct {
	Member  string `json:"member"`
	Name    string `json:"name"`
	Role    string `json:"role"`
	Editing string `json:"editing,omitempty"`
	Hand    bool   `json:"hand,omitempty"`
}

type wFragment struct {
	Target string `json:"target"`
	HTML   string `json:"html"`
}

// srvMsg is any server → client message; which fields are set depends on T.
type srvMsg struct {
	T string `json:"t"`
	// welcome
	Meeting string `json:"meeting"`
	Epoch   string `json:"epoch"`
	Seq     int64  `json:"seq"`
	Member  string `json:"member"`
	Role    string `json:"role"`
	Resume  string `json:"resume"`
	// snapshot (State) and lobby (LobbyState) both name their field "state": an object in
	// one, a string in the other. decodeSrvMsg fills the one T calls for.
	RawState   json.RawMessage `json:"state"`
	State      *wState         `json:"-"`
	LobbyState string          `json:"-"`
	// snapshot, event, presence, lobby-list
	HTML []wFragment `json:"html"`
	// event, snapshot (outside a resume)
	Change   *wChange `json:"change"`
	Announce string   `json:"announce"`
	// lobby
	Reason string `json:"reason"`
	// ack, reject
	CID     string `json:"cid"`
	Code    string `json:"code"`
	Field   string `json:"field"`
	Message string `json:"message"`
	Current *wText `json:"current"`
	// presence
	People []wPerson `json:"people"`

	at   time.Time // when the reader received it
	size int       // bytes on the wire
}

// documentedTypes are the server → client message types of PROTOCOL.md ("Server →
// client" and "The lobby socket").
var documentedTypes = map[string]bool{
	"welcome": true, "snapshot": true, "event": true, "ack": true, "reject": true,
	"presence": true, "hb": true, "lobby": true, "lobby-list": true,
}

// errViolation marks a server message that breaks PROTOCOL.md; the reader stops on it.
var errViolation = errors.New("protocol violation")

func violation(format string, args ...any) error {
	return fmt.Errorf("%w: %s", errViolation, fmt.Sprintf(format, args...))
}

// decodeSrvMsg parses one server message of a documented type.
func decodeSrvMsg(data []byte) (srvMsg, error) {
	var m srvMsg
	if err := json.Unmarshal(data, &m); err != nil {
		return m, violation("a message that is not JSON: %v: %.200s", err, data)
	}
	if m.T == "" {
		return m, violation("a message without t: %.200s", data)
	}
	if !documentedTypes[m.T] {
		return m, violation("a message of undocumented type %q: %.200s", m.T, data)
	}
	switch m.T {
	case "snapshot":
		if err := json.Unmarshal(m.RawState, &m.State); err != nil || m.State == nil {
			return m, violation("a snapshot without a board state (%v): %.200s", err, data)
		}
	case "lobby":
		if err := json.Unmarshal(m.RawState, &m.LobbyState); err != nil {
			return m, violation("a lobby message whose state is not a string (%v): %.200s", err, data)
		}
	}
	return m, nil
}

// opMsg is a client op envelope.
type opMsg struct {
	T      string         `json:"t"` // "op"
	CID    string         `json:"cid"`
	Op     string         `json:"op"`
	Entity string         `json:"entity"`
	Base   int64          `json:"base,omitempty"`
	Data   map[string]any `json:"data"`
}

// newOp makes an op envelope with a fresh cid.
func newOp(kind, entity string, base int64, data map[string]any) opMsg {
	if data == nil {
		data = map[string]any{}
	}
	return opMsg{T: "op", CID: newCID(), Op: kind, Entity: entity, Base: base, Data: data}
}

func setOp(entity, field string, base int64, value any) opMsg {
	return newOp("set", entity, base, map[string]any{"field": field, "value": value})
}

var cidCounter atomic.Int64

// newCID returns a cid unique in the test process (and so per meeting).
func newCID() string {
	return fmt.Sprintf("c%d-%d", time.Now().UnixNano()%1e9, cidCounter.Add(1))
}

// tconn is one WebSocket connection with a reader goroutine that queues every message, so
// the test never makes the server wait on it (unless it means to).
type tconn struct {
	ws *websocket.Conn

	// Read by the reader goroutine only: what the connection is, from its first message
	// ("board" after a welcome, "lobby" after a lobby message), the role the welcome named,
	// and whether the lobby has said its last word.
	mode, role string
	lobbyDone  bool

	mu     sync.Mutex
	q      []srvMsg
	err    error // why the reader stopped; set once, after the last queued message
	notify chan struct{}
	done   chan struct{}
}

func newTConn(ws *websocket.Conn) *tconn {
	c := &tconn{ws: ws, notify: make(chan struct{}, 1), done: make(chan struct{})}
	go c.readLoop()
	return c
}

func (c *tconn) readLoop() {
	defer close(c.done)
	for {
		typ, data, err := c.ws.Read(context.Background())
		if err == nil && typ != websocket.MessageText {
			err = fmt.Errorf("server sent a %v frame; the protocol only has text frames", typ)
		}
		var m srvMsg
		if err == nil {
			m, err = decodeSrvMsg(data)
		}
		if err == nil {
			err = c.checkStream(m)
		}
		c.mu.Lock()
		if err != nil {
			c.err = err
		} else {
			m.at, m.size = time.Now(), len(data)
			c.q = append(c.q, m)
		}
		c.mu.Unlock()
		select {
		case c.notify <- struct{}{}:
		default:
		}
		if err != nil {
			c.ws.CloseNow()
			return
		}
	}
}

// staffRoles may lead a meeting (the coordinator, or a co-facilitator, who is staff with an
// account), and so may receive the lobby list.
var staffRoles = map[string]bool{"coordinator": true, "professional": true, "child_contact": true}

// checkStream checks that a message may come where it does (PROTOCOL.md "Getting in",
// "The lobby socket", "Server → client"): a connection is a board connection (it starts
// with a welcome) or a lobby connection (it starts with a lobby message), and each kind
// carries only its own messages. Heartbeats may come anywhere.
func (c *tconn) checkStream(m srvMsg) error {
	if m.T == "hb" {
		return nil
	}
	switch c.mode {
	case "":
		switch m.T {
		case "welcome":
			c.mode, c.role = "board", m.Role
		case "lobby":
			c.mode = "lobby"
		default:
			return violation("the first message is %q, want welcome or lobby", m.T)
		}
	case "board":
		switch m.T {
		case "welcome":
			return violation("a second welcome on one connection")
		case "lobby":
			return violation("a lobby message (%q) on a board connection", m.LobbyState)
		}
	case "lobby":
		if c.lobbyDone {
			return violation("a %q message after the lobby's last word", m.T)
		}
		switch m.T {
		case "lobby":
		case "reject":
			// "Ops sent from the lobby are refused (forbidden)."
			if m.Code != "forbidden" || m.CID == "" || m.Message == "" {
				return violation("a lobby connection's op refused with %+v, want code forbidden with a cid and a message", m)
			}
		default:
			return violation("a %q message on a lobby connection: someone waiting gets no board content", m.T)
		}
	}
	switch m.T {
	case "lobby":
		switch m.LobbyState {
		case "waiting":
			if m.Reason != "admission" && m.Reason != "consent" {
				return violation("lobby waiting with reason %q, want admission or consent", m.Reason)
			}
		case "admitted", "turned_away":
			if m.Reason != "" {
				return violation("lobby %s with a reason %q", m.LobbyState, m.Reason)
			}
			c.lobbyDone = true // the 4005 close follows
		default:
			return violation("lobby state %q", m.LobbyState)
		}
	case "lobby-list":
		if !staffRoles[c.role] {
			return violation("the lobby list sent to a %s: only whoever leads the meeting gets it", c.role)
		}
		if len(m.HTML) != 1 {
			return violation("a lobby list with %d fragments, want the room-control region", len(m.HTML))
		}
		if err := checkFragments(m.HTML, "room-control"); err != nil {
			return violation("lobby list: %v", err)
		}
	}
	return nil
}

// next returns the next message; once the queue is empty and the connection has ended it
// returns the read error (websocket.CloseStatus tells the close code).
func (c *tconn) next(ctx context.Context) (srvMsg, error) {
	for {
		c.mu.Lock()
		if len(c.q) > 0 {
			m := c.q[0]
			c.q = c.q[1:]
			c.mu.Unlock()
			return m, nil
		}
		err := c.err
		c.mu.Unlock()
		if err != nil {
			return srvMsg{}, err
		}
		select {
		case <-c.notify:
		case <-ctx.Done():
			return srvMsg{}, fmt.Errorf("waiting for a server message: %w", ctx.Err())
		}
	}
}

// nextOf returns the next message of one of the types, skipping presence, heartbeats and
// lobby lists (the reader has checked them); any other message is an error.
func (c *tconn) nextOf(ctx context.Context, types ...string) (srvMsg, error) {
	for {
		m, err := c.next(ctx)
		if err != nil {
			return m, err
		}
		for _, t := range types {
			if m.T == t {
				return m, nil
			}
		}
		if m.T == "presence" || m.T == "hb" || m.T == "lobby-list" {
			continue
		}
		return m, fmt.Errorf("got %q message (%+v), want one of %v", m.T, m, types)
	}
}

func (c *tconn) sendJSON(ctx context.Context, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return c.ws.Write(ctx, websocket.MessageText, b)
}

// closeStatus waits for the connection to end and returns its close code (-1 for none).
// A protocol violation on the way is an error, not a close code.
func (c *tconn) closeStatus(ctx context.Context) (websocket.StatusCode, error) {
	for {
		_, err := c.next(ctx)
		if err != nil {
			if ctx.Err() != nil || errors.Is(err, errViolation) {
				return -1, err
			}
			return websocket.CloseStatus(err), nil
		}
	}
}

// close ends the connection without a close handshake (as a lost network would).
func (c *tconn) close() {
	c.ws.CloseNow()
	<-c.done
}

// boardModel is a client's board, built only from snapshot states and event changes.
type boardModel struct {
	Seq     int64
	Epoch   string
	Meeting wMeeting
	Agenda  map[string]wAgenda
	Compass map[string]wCompass
	Goals   map[string]wGoal
	Actions map[string]wAction
}

func normCompass(c wCompass) wCompass {
	if len(c.Ratings) == 0 {
		c.Ratings = nil
	}
	return c
}

func modelFromState(s *wState, seq int64, epoch string) *boardModel {
	m := &boardModel{Seq: seq, Epoch: epoch, Meeting: s.Meeting,
		Agenda: map[string]wAgenda{}, Compass: map[string]wCompass{}, Goals: map[string]wGoal{}, Actions: map[string]wAction{}}
	for _, a := range s.Agenda {
		m.Agenda[a.ID] = a
	}
	for _, c := range s.Compass {
		m.Compass[c.Area] = normCompass(c)
	}
	for _, g := range s.Goals {
		m.Goals[g.ID] = g
	}
	for _, a := range s.Actions {
		m.Actions[a.ID] = a
	}
	return m
}

// apply puts the change's entity in place (or drops a deleted one). The caller checks seq.
func (m *boardModel) apply(ch *wChange) error {
	n := 0
	if ch.Meeting != nil {
		n++
		m.Meeting = *ch.Meeting
	}
	if x := ch.Agenda; x != nil {
		n++
		if x.Deleted {
			delete(m.Agenda, x.ID)
		} else {
			m.Agenda[x.ID] = *x
		}
	}
	if x := ch.Compass; x != nil {
		n++
		m.Compass[x.Area] = normCompass(*x)
	}
	if x := ch.Goal; x != nil {
		n++
		if x.Deleted {
			delete(m.Goals, x.ID)
		} else {
			m.Goals[x.ID] = *x
		}
	}
	if x := ch.Action; x != nil {
		n++
		if x.Deleted {
			delete(m.Actions, x.ID)
		} else {
			m.Actions[x.ID] = *x
		}
	}
	if n != 1 {
		return fmt.Errorf("change %d holds %d entities, want exactly 1", ch.Seq, n)
	}
	m.Seq = ch.Seq
	return nil
}

// content is the comparable part of a model: everything but the position in the history.
func (m *boardModel) content() string {
	b, err := json.MarshalIndent(struct {
		Meeting wMeeting
		Agenda  map[string]wAgenda
		Compass map[string]wCompass
		Goals   map[string]wGoal
		Actions map[string]wAction
	}{m.Meeting, m.Agenda, m.Compass, m.Goals, m.Actions}, "", " ")
	if err != nil {
		panic(err)
	}
	return string(b)
}

// storeModel reads the server's board from the store, as a model.
func storeModel(t testing.TB, env *servertest.Env) *boardModel {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	b, err := env.Store.LoadBoard(ctx, env.MeetingID)
	if err != nil {
		t.Fatalf("load board: %v", err)
	}
	m := &boardModel{Seq: b.Seq, Epoch: b.Epoch,
		Agenda: map[string]wAgenda{}, Compass: map[string]wCompass{}, Goals: map[string]wGoal{}, Actions: map[string]wAction{}}
	recode(t, b.Meeting, &m.Meeting)
	for _, a := range b.Agenda {
		if !a.Deleted {
			var x wAgenda
			recode(t, a, &x)
			m.Agenda[x.ID] = x
		}
	}
	for _, c := range b.Compass {
		var x wCompass
		recode(t, c, &x)
		m.Compass[x.Area] = normCompass(x)
	}
	for _, g := range b.Goals {
		if !g.Deleted {
			var x wGoal
			recode(t, g, &x)
			m.Goals[x.ID] = x
		}
	}
	for _, a := range b.Actions {
		if !a.Deleted {
			var x wAction
			recode(t, a, &x)
			m.Actions[x.ID] = x
		}
	}
	return m
}

func recode(t testing.TB, from, to any) {
	t.Helper()
	b, err := json.Marshal(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, to); err != nil {
		t.Fatal(err)
	}
}

// opLog reads the meeting's whole op log from the store.
func opLog(t testing.TB, env *servertest.Env) []board.Change {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	chs, err := env.Store.ChangesSince(ctx, env.MeetingID, 0, 100000)
	if err != nil {
		t.Fatalf("op log: %v", err)
	}
	return chs
}

// storeSeq is the board's seq in the store.
func storeSeq(t testing.TB, env *servertest.Env) int64 {
	t.Helper()
	return storeModel(t, env).Seq
}

// outcome is what became of one op: applied at Seq, or refused with Code.
type outcome struct {
	Seq  int64
	Code string
	Via  string // "event", "ack" or "reject"
}

type pendingOp struct {
	op    opMsg
	sent  time.Time
	retry bool // refused with "rate" or "unavailable": send again
}

// peer is one member's client: a connection, a model of the board and the member's ops.
type peer struct {
	t      testing.TB
	env    *servertest.Env
	member string
	httpc  *http.Client
	// pick, when set, chooses the instance of each new connection (several instances
	// behind a load balancer).
	pick func() *servertest.Env

	c       *tconn
	welcome srvMsg
	role    string
	model   *boardModel
	// applied lists the seqs of the events applied, across connections; a snapshot
	// restarts the run (snapshots records where).
	applied   []int64
	snapshots []int64
	pending   []*pendingOp
	out       map[string]outcome
	rejects   map[string]srvMsg // the reject messages by cid
	presence  []wPerson
	// lobbyList is the room-control region of the last lobby list (leaders only).
	lobbyList string
	resumes   map[string]int
	stats     map[string]int
	// resuming is set while the missed events after a welcome are read.
	resuming bool
	// onEvent, when set, sees every event message (for latency figures).
	onEvent func(srvMsg)
}

func newPeer(t testing.TB, env *servertest.Env, member string) *peer {
	t.Helper()
	return &peer{t: t, env: env, member: member, httpc: memberClient(t, env, member),
		out: map[string]outcome{}, rejects: map[string]srvMsg{}, resumes: map[string]int{}, stats: map[string]int{}}
}

// memberClient is an HTTP client of a member who is in the meeting, the way PROTOCOL.md
// "Getting in" has them come: the coordinator signs in with their account and goes
// straight in; everyone else follows their link, confirms "this is me" and is let in from
// the lobby.
func memberClient(t testing.TB, env *servertest.Env, member string) *http.Client {
	t.Helper()
	if member == "demo-coord" {
		return coordinatorOnBoard(t, env)
	}
	return env.Client(t, member)
}

// coordinatorOnBoard signs the demo coordinator in with the login form, the board as the
// place to go next (as /login?next= does), and checks they land on the board itself.
func coordinatorOnBoard(t testing.TB, env *servertest.Env) *http.Client {
	t.Helper()
	c := servertest.NewClient()
	board := "/b/" + env.MeetingID + "/demo-coord/"
	resp, err := c.PostForm(env.URL+"/login", url.Values{"email": {env.CoordinatorEmail}, "password": {env.CoordinatorPassword}, "next": {board}})
	if err != nil {
		t.Fatal(err)
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK || resp.Request.URL.Path != board || !strings.Contains(string(body), `data-seq="`) {
		t.Fatalf("coordinator login: status %d at %s, want the board at %s", resp.StatusCode, resp.Request.URL.Path, board)
	}
	return c
}

// connect opens a connection resuming from the model (or asking for a snapshot when there
// is none or fresh is set), checks the welcome and what follows it, and re-sends every
// unconfirmed op with its cid, right after the welcome as PROTOCOL.md says.
func (p *peer) connect(ctx context.Context, fresh bool) error {
	if p.pick != nil {
		p.env = p.pick() // a load balancer: any instance will do
	}
	since, epoch := int64(-1), ""
	if p.model != nil && !fresh {
		since, epoch = p.model.Seq, p.model.Epoch
	}
	ws, resp, err := p.env.Dial(ctx, p.httpc, p.member, since, epoch)
	if err != nil {
		status := 0
		if resp != nil {
			status = resp.StatusCode
		}
		return fmt.Errorf("%s: dial: %w (HTTP %d)", p.member, err, status)
	}
	p.c = newTConn(ws)
	w, err := p.c.next(ctx)
	if err != nil {
		return fmt.Errorf("%s: waiting for welcome: %w", p.member, err)
	}
	if w.T != "welcome" {
		return fmt.Errorf("%s: first message is %q, want welcome", p.member, w.T)
	}
	if w.Member != p.member || w.Meeting != p.env.MeetingID || w.Epoch == "" || w.Role == "" {
		return fmt.Errorf("%s: bad welcome %+v", p.member, w)
	}
	p.welcome, p.role = w, w.Role
	p.resumes[w.Resume]++
	for _, po := range p.pending {
		po.retry = false
		if err := p.c.sendJSON(ctx, po.op); err != nil {
			return fmt.Errorf("%s: re-send: %w", p.member, err)
		}
		p.stats["resent"]++
	}
	switch w.Resume {
	case "snapshot":
		m, err := p.nextNoHB(ctx)
		if err != nil {
			return fmt.Errorf("%s: waiting for snapshot: %w", p.member, err)
		}
		if m.T != "snapshot" || m.State == nil {
			return fmt.Errorf("%s: after a snapshot welcome got %q", p.member, m.T)
		}
		if m.Seq != w.Seq || m.Epoch != w.Epoch {
			return fmt.Errorf("%s: snapshot at seq %d epoch %q, welcome said %d %q", p.member, m.Seq, m.Epoch, w.Seq, w.Epoch)
		}
		if m.Announce != "" {
			return fmt.Errorf("%s: the snapshot of a resume carries an announcement %q", p.member, m.Announce)
		}
		if err := p.takeSnapshot(m); err != nil {
			return err
		}
	case "current":
		if p.model == nil || since < 0 || w.Seq != since || w.Epoch != epoch {
			return fmt.Errorf("%s: resume current at %d/%q but the client is at %d/%q", p.member, w.Seq, w.Epoch, since, epoch)
		}
	case "events":
		if p.model == nil || since < 0 || w.Epoch != epoch || w.Seq <= since {
			return fmt.Errorf("%s: resume events to %d/%q but the client is at %d/%q", p.member, w.Seq, w.Epoch, since, epoch)
		}
		p.resuming = true
		defer func() { p.resuming = false }()
		for p.model.Seq < w.Seq {
			m, err := p.nextNoHB(ctx)
			if err != nil {
				return fmt.Errorf("%s: waiting for missed events: %w", p.member, err)
			}
			if m.T != "event" {
				return fmt.Errorf("%s: got %q among the missed events (at %d of %d)", p.member, m.T, p.model.Seq, w.Seq)
			}
			if err := p.handle(m); err != nil {
				return err
			}
		}
	default:
		return fmt.Errorf("%s: unknown resume %q", p.member, w.Resume)
	}
	return nil
}

// takeSnapshot checks a snapshot and makes its state the model.
func (p *peer) takeSnapshot(m srvMsg) error {
	if len(m.State.Compass) != len(board.Areas) {
		return fmt.Errorf("%s: snapshot has %d compass areas", p.member, len(m.State.Compass))
	}
	if err := checkState(m.State); err != nil {
		return fmt.Errorf("%s: snapshot: %w", p.member, err)
	}
	targets := snapshotTargets
	if p.role == "child" {
		targets = childTargets
	}
	if err := checkFragments(m.HTML, targets...); err != nil {
		return fmt.Errorf("%s: snapshot: %w", p.member, err)
	}
	if m.Epoch == "" || m.Seq < 0 {
		return fmt.Errorf("%s: snapshot at seq %d epoch %q", p.member, m.Seq, m.Epoch)
	}
	if p.model != nil && p.model.Epoch == m.Epoch && m.Seq < p.model.Seq {
		return fmt.Errorf("%s: snapshot at %d goes back from %d in the same epoch", p.member, m.Seq, p.model.Seq)
	}
	p.model = modelFromState(m.State, m.Seq, m.Epoch)
	p.snapshots = append(p.snapshots, m.Seq)
	return nil
}

// nextNoHB returns the next message that is not a heartbeat. Heartbeats carry nothing and
// come on the connection's own clock, so they may fall anywhere, even between the welcome
// and what follows it; nothing else may.
func (p *peer) nextNoHB(ctx context.Context) (srvMsg, error) {
	for {
		m, err := p.c.next(ctx)
		if err != nil || m.T != "hb" {
			return m, err
		}
		p.stats["hb"]++
	}
}

// disconnect drops the connection; unread messages are lost, as on a broken network.
func (p *peer) disconnect() {
	if p.c != nil {
		p.c.close()
		p.c = nil
	}
}

// send sends a new op and keeps it until it is confirmed.
func (p *peer) send(ctx context.Context, op opMsg) error {
	po := &pendingOp{op: op, sent: time.Now()}
	p.pending = append(p.pending, po)
	p.stats["sent"]++
	return p.c.sendJSON(ctx, op)
}

func (p *peer) isPending(cid string) (int, bool) {
	for i, po := range p.pending {
		if po.op.CID == cid {
			return i, true
		}
	}
	return -1, false
}

// confirm records an op's outcome. A second answer for one cid must agree with the first.
func (p *peer) confirm(cid string, o outcome) error {
	if i, ok := p.isPending(cid); ok {
		p.pending = append(p.pending[:i], p.pending[i+1:]...)
		p.out[cid] = o
		return nil
	}
	prev, ok := p.out[cid]
	if !ok {
		return fmt.Errorf("%s: %s for cid %q the client never sent", p.member, o.Via, cid)
	}
	if prev.Code != o.Code || prev.Seq != o.Seq {
		return fmt.Errorf("%s: cid %q answered twice, differently: %+v then %+v", p.member, cid, prev, o)
	}
	return nil
}

// handle processes one message after the welcome.
func (p *peer) handle(m srvMsg) error {
	p.stats[m.T]++
	switch m.T {
	case "event":
		if p.onEvent != nil {
			p.onEvent(m)
		}
		if p.model == nil {
			return fmt.Errorf("%s: event before any state", p.member)
		}
		if m.Change == nil || m.Change.Seq != m.Seq {
			return fmt.Errorf("%s: event %d with change %+v", p.member, m.Seq, m.Change)
		}
		switch {
		case m.Seq <= p.model.Seq:
			return fmt.Errorf("%s: duplicate event %d (already at %d)", p.member, m.Seq, p.model.Seq)
		case m.Seq > p.model.Seq+1:
			return fmt.Errorf("%s: gap: event %d after %d", p.member, m.Seq, p.model.Seq)
		}
		if err := p.model.apply(m.Change); err != nil {
			return fmt.Errorf("%s: %w", p.member, err)
		}
		if err := p.checkEventHTML(m); err != nil {
			return fmt.Errorf("%s: event %d (%s %s): %w", p.member, m.Seq, m.Change.Op, m.Change.Entity, err)
		}
		p.applied = append(p.applied, m.Seq)
		cid := m.Change.CID
		if _, mine := p.isPending(cid); mine {
			return p.confirm(cid, outcome{Seq: m.Seq, Via: "event"})
		}
		if prev, ok := p.out[cid]; ok {
			if prev.Code != "" {
				return fmt.Errorf("%s: op %q was refused (%s) and then applied at %d", p.member, cid, prev.Code, m.Seq)
			}
			if prev.Seq != m.Seq {
				return fmt.Errorf("%s: op %q acknowledged at %d, its event has seq %d", p.member, cid, prev.Seq, m.Seq)
			}
		}
		return nil
	case "ack":
		if m.Seq <= 0 {
			return fmt.Errorf("%s: ack without seq: %+v", p.member, m)
		}
		return p.confirm(m.CID, outcome{Seq: m.Seq, Via: "ack"})
	case "reject":
		if m.Code == "rate" || m.Code == "unavailable" {
			// Not applied; the protocol says to send it again later.
			if i, ok := p.isPending(m.CID); ok {
				p.pending[i].retry = true
				return nil
			}
			return fmt.Errorf("%s: %s reject for cid %q the client does not hold", p.member, m.Code, m.CID)
		}
		if m.Code == "" || m.Message == "" {
			return fmt.Errorf("%s: reject without code or message: %+v", p.member, m)
		}
		p.rejects[m.CID] = m
		return p.confirm(m.CID, outcome{Code: m.Code, Via: "reject"})
	case "presence":
		p.presence = m.People
		if err := checkFragments(m.HTML, "presence"); err != nil {
			return fmt.Errorf("%s: presence: %w", p.member, err)
		}
		return nil
	case "hb":
		return nil
	case "snapshot":
		// Outside a resume: the person's view changed (a co-facilitator takes over or hands
		// back, the team's directory changed). The board is the one the server has now.
		if p.model == nil {
			return fmt.Errorf("%s: a snapshot outside a resume before any state", p.member)
		}
		if p.resuming {
			return fmt.Errorf("%s: a snapshot among the missed events", p.member)
		}
		return p.takeSnapshot(m)
	case "lobby-list":
		// The reader checked who may get it and that it is the room-control region.
		p.lobbyList = m.HTML[0].HTML
		return nil
	}
	return fmt.Errorf("%s: unexpected %q message after the welcome", p.member, m.T)
}

// Regions of the board page (PROTOCOL.md, "HTML fragments").
var snapshotTargets = append([]string{"meeting-status", "agenda", "actions"}, areaTargets()...)

// Regions of the child view: the child sees only their own answers and the plan.
var childTargets = append([]string{"child-wheel", "child-check", "child-plan"}, childQuestionTargets()...)

func childQuestionTargets() []string {
	var out []string
	for _, a := range board.Areas {
		out = append(out, "child-q-"+string(a))
	}
	return out
}

func areaTargets() []string {
	var out []string
	for _, a := range board.Areas {
		out = append(out, "area-"+string(a))
	}
	return out
}

// outerID finds the id of a fragment's outer element.
var outerID = regexp.MustCompile(`^\s*<[a-zA-Z][a-zA-Z0-9]*\s(?:[^>]*?\s)?id="([^"]*)"`)

// checkFragments checks each fragment is the outer HTML of the element its target names
// (and only one per target), and that every target in want is there.
func checkFragments(frags []wFragment, want ...string) error {
	seen := map[string]bool{}
	for _, f := range frags {
		m := outerID.FindStringSubmatch(f.HTML)
		if m == nil || m[1] != f.Target {
			return fmt.Errorf("fragment for %q is not that element's outer HTML: %.120q", f.Target, f.HTML)
		}
		if seen[f.Target] {
			return fmt.Errorf("two fragments for %q", f.Target)
		}
		seen[f.Target] = true
	}
	for _, w := range want {
		if !seen[w] {
			return fmt.Errorf("no fragment for region %q (got %v)", w, seen)
		}
	}
	return nil
}

// checkEventHTML checks an event's fragments: at least one (but for the child view, which
// shows only the child's own answers and the plan), each the outer HTML of its
// target and, for staff (who see every compass field), a live compass text change shows
// the new text. (Which elements an event re-renders is the server's choice: whole regions
// or parts of them. Missed events sent on resume are rendered from the board as it is now,
// which may already hold a later text, so their text is not checked.)
func (p *peer) checkEventHTML(m srvMsg) error {
	if len(m.HTML) == 0 && p.role != "child" {
		return fmt.Errorf("event without HTML fragments")
	}
	if err := checkFragments(m.HTML); err != nil {
		return err
	}
	ch := m.Change
	staff := p.role == "coordinator" || p.role == "professional" || p.role == "child_contact"
	if c := ch.Compass; c != nil && ch.Op == "set" && staff && !p.resuming {
		var text string
		switch ch.Field {
		case "works":
			text = c.Works.V
		case "worries":
			text = c.Worries.V
		case "child_voice":
			text = c.ChildVoice.V
		case "guardians_view":
			text = c.GuardiansView.V
		}
		for _, f := range m.HTML {
			if strings.Contains(html.UnescapeString(f.HTML), text) {
				return nil
			}
		}
		var got []string
		for _, f := range m.HTML {
			got = append(got, fmt.Sprintf("%s: %.400q", f.Target, html.UnescapeString(f.HTML)))
		}
		return fmt.Errorf("no fragment shows the new %s text %q (merged %v, rev %d); fragments:\n%s", ch.Field, text, ch.Merged, m.Seq, strings.Join(got, "\n"))
	}
	return nil
}

// checkState checks a snapshot's state: live items only, agenda and actions in order
// (pos, then id), goals in order within each area and term, eight compass areas.
func checkState(s *wState) error {
	less := func(p1, id1, p2, id2 string) bool { return p1 < p2 || p1 == p2 && id1 < id2 }
	for i, a := range s.Agenda {
		if a.Deleted {
			return fmt.Errorf("deleted agenda item %q", a.ID)
		}
		if i > 0 && !less(s.Agenda[i-1].Pos, s.Agenda[i-1].ID, a.Pos, a.ID) {
			return fmt.Errorf("agenda out of order at %q", a.ID)
		}
	}
	for i, a := range s.Actions {
		if a.Deleted {
			return fmt.Errorf("deleted action %q", a.ID)
		}
		if i > 0 && !less(s.Actions[i-1].Pos, s.Actions[i-1].ID, a.Pos, a.ID) {
			return fmt.Errorf("actions out of order at %q", a.ID)
		}
	}
	for i, g := range s.Goals {
		if g.Deleted {
			return fmt.Errorf("deleted goal %q", g.ID)
		}
		if i > 0 {
			prev := s.Goals[i-1]
			if prev.Area == g.Area && prev.Term == g.Term && !less(prev.Pos, prev.ID, g.Pos, g.ID) {
				return fmt.Errorf("goals out of order at %q", g.ID)
			}
		}
	}
	seen := map[string]bool{}
	for _, c := range s.Compass {
		seen[c.Area] = true
	}
	for _, a := range board.Areas {
		if !seen[string(a)] {
			return fmt.Errorf("compass area %q missing", a)
		}
	}
	return nil
}

// step reads and handles one message.
func (p *peer) step(ctx context.Context) (srvMsg, error) {
	m, err := p.c.next(ctx)
	if err != nil {
		return m, err
	}
	return m, p.handle(m)
}

// await reads and handles messages until the op with cid is answered, and returns its
// outcome.
func (p *peer) await(ctx context.Context, cid string) (outcome, error) {
	for {
		if o, ok := p.out[cid]; ok {
			return o, nil
		}
		if _, err := p.step(ctx); err != nil {
			return outcome{}, fmt.Errorf("%s: waiting for %q: %w", p.member, cid, err)
		}
	}
}

// do sends an op and waits for its outcome.
func (p *peer) do(ctx context.Context, op opMsg) (outcome, error) {
	if err := p.send(ctx, op); err != nil {
		return outcome{}, err
	}
	return p.await(ctx, op.CID)
}

// mustApply sends an op that must be applied and returns its seq.
func (p *peer) mustApply(ctx context.Context, op opMsg) int64 {
	p.t.Helper()
	o, err := p.do(ctx, op)
	if err != nil {
		p.t.Fatal(err)
	}
	if o.Code != "" {
		p.t.Fatalf("%s: %s %s refused: %s", p.member, op.Op, op.Entity, o.Code)
	}
	return o.Seq
}

// catchUp reads until the model is at seq.
func (p *peer) catchUp(ctx context.Context, seq int64) error {
	for p.model.Seq < seq {
		if _, err := p.step(ctx); err != nil {
			return fmt.Errorf("%s: catching up to %d (at %d): %w", p.member, seq, p.model.Seq, err)
		}
	}
	return nil
}

// mustConnect connects or fails the test.
func (p *peer) mustConnect(ctx context.Context) *peer {
	p.t.Helper()
	if err := p.connect(ctx, false); err != nil {
		p.t.Fatal(err)
	}
	return p
}

// connectPeers starts a server-connected peer per member.
func connectPeers(ctx context.Context, t testing.TB, env *servertest.Env, members ...string) []*peer {
	t.Helper()
	ps := make([]*peer, len(members))
	for i, m := range members {
		ps[i] = newPeer(t, env, m).mustConnect(ctx)
		t.Cleanup(ps[i].disconnect)
	}
	return ps
}

// testCtx is a context bounded by d and by the test's own deadline.
func testCtx(t testing.TB, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

// catalogKey reports whether s is a message catalog key rather than a message.
func catalogKey(env *servertest.Env, s string) bool {
	for _, lang := range env.Catalog.Languages() {
		for _, k := range env.Catalog.Keys(lang) {
			if k == s {
				return true
			}
		}
	}
	return false
}

// catalogMessage reports whether s is one of lang's catalog messages (with any arguments)
// and returns its key.
func catalogMessage(env *servertest.Env, lang, s string) (string, bool) {
	placeholder := regexp.MustCompile(`\\\{[A-Za-z_]+\\\}`)
	for _, k := range env.Catalog.Keys(lang) {
		tmpl := env.Catalog.T(lang, k) // no arguments: placeholders stay
		re := "^" + placeholder.ReplaceAllString(regexp.QuoteMeta(tmpl), `.+`) + "$"
		if ok, _ := regexp.MatchString(re, s); ok {
			return k, true
		}
	}
	return "", false
}

// checkSwedish checks a refusal message is one of the Swedish catalog's sentences for
// people (not a key, not English).
func checkSwedish(t testing.TB, env *servertest.Env, msg string) {
	t.Helper()
	if strings.TrimSpace(msg) == "" {
		t.Errorf("empty refusal message")
		return
	}
	if catalogKey(env, msg) {
		t.Errorf("refusal message is a catalog key, not a sentence: %q", msg)
		return
	}
	if _, ok := catalogMessage(env, "sv", msg); !ok {
		t.Errorf("refusal message %q is not one of the Swedish catalog's messages", msg)
	}
	if k, ok := catalogMessage(env, "en", msg); ok && env.Catalog.T("en", k) != env.Catalog.T("sv", k) {
		t.Errorf("refusal message %q is English (%s)", msg, k)
	}
}
