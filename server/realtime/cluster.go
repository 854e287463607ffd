package realtime

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"time"

	"github.com/coder/websocket"

	"github.com/barnteam/barnteam/server/board"
)

// Several instances can serve one meeting when they share a PostgreSQL database (a store
// that is a board.Notifier). The database is the only thing they share:
//
//   - The board: the database gives every change its seq; an instance that hears "meeting
//     M is at seq N" reads what its room lacks from the op log (catchUp). A wake-up that
//     is lost delays an edit, never loses it: the next wake-up, the next op's seq conflict
//     or the resync after a lost listener catches up.
//   - What the HTTP layer tells a hub (close this session's sockets, reload that room, the
//     leader admitted someone): the hub does it locally and sends it to the others.
//   - Who is in the room: each instance sends its room's roster (the people connected to
//     it and those waiting in its lobby) when it changes and every rosterEvery; the others
//     merge it into presence and the lobby, and forget it after rosterTTL without news.
//
// Clients need no stickiness: a client may reconnect to any instance and resume.

const (
	rosterEvery = 10 * time.Second // each room re-sends its roster this often
	rosterTTL   = 35 * time.Second // a roster not heard of for this long is dropped
	rosterDelay = 50 * time.Millisecond
)

// Match says which connections to close. Every field set must match.
type Match struct {
	MemberID     string
	UserID       string
	StaffSession string // the staff session's hash (raw bytes)
	GuestSession string // the guest session's hash (raw bytes)
	GuestsOnly   bool   // only connections that came in with a personal link
	Screens      bool   // only the room's shared screens
}

// matchJSON is Match between instances: the hashes are raw bytes, which JSON strings
// cannot carry unchanged, so they travel as hex.
type matchJSON struct {
	MemberID     string `json:"member,omitempty"`
	UserID       string `json:"user,omitempty"`
	StaffSession string `json:"staff,omitempty"`
	GuestSession string `json:"guest,omitempty"`
	GuestsOnly   bool   `json:"guests,omitempty"`
	Screens      bool   `json:"screens,omitempty"`
}

func (m Match) MarshalJSON() ([]byte, error) {
	j := matchJSON(m)
	j.StaffSession = hex.EncodeToString([]byte(m.StaffSession))
	j.GuestSession = hex.EncodeToString([]byte(m.GuestSession))
	return json.Marshal(j)
}

func (m *Match) UnmarshalJSON(data []byte) error {
	var j matchJSON
	if err := json.Unmarshal(data, &j); err != nil {
		return err
	}
	staff, err := hex.DecodeString(j.StaffSession)
	if err != nil {
		return err
	}
	guest, err := hex.DecodeString(j.GuestSession)
	if err != nil {
		return err
	}
	*m = Match(j)
	m.StaffSession, m.GuestSession = string(staff), string(guest)
	return nil
}

func (m Match) matches(p Participant) bool {
	switch {
	case m.MemberID != "" && p.Member.ID != m.MemberID,
		m.UserID != "" && p.UserID != m.UserID,
		m.StaffSession != "" && p.StaffSession != m.StaffSession,
		m.GuestSession != "" && p.GuestSession != m.GuestSession,
		m.GuestsOnly && p.GuestSession == "",
		m.Screens && p.Screen == "":
		return false
	}
	return m != Match{} // an empty match closes nothing
}

// clusterMsg is one message between instances, as JSON in a database notification.
type clusterMsg struct {
	From     string          `json:"f"` // the sending hub's id
	Kind     string          `json:"k"`
	Meeting  string          `json:"m,omitempty"`
	Match    *Match          `json:"match,omitempty"`
	Code     int             `json:"code,omitempty"`
	Member   string          `json:"member,omitempty"`
	Key      string          `json:"key,omitempty"`
	Admitted bool            `json:"admitted,omitempty"`
	Covered  map[string]bool `json:"covered,omitempty"`
	Roster   *roster         `json:"roster,omitempty"`
}

// The kinds of clusterMsg.
const (
	msgKick    = "kick"    // close the connections that Match matches (in Meeting, or everywhere)
	msgReload  = "reload"  // the meeting's directory changed
	msgHand    = "hand"    // lower Member's hand
	msgAdmit   = "admit"   // the lobby session Key was admitted (or turned away)
	msgConsent = "consent" // the organisations consent covers now
	msgRoster  = "roster"  // who is connected to the sender's room
	msgGone    = "gone"    // the sender is shutting down: forget its rosters
)

// roster is who is connected to one instance's room of a meeting.
type roster struct {
	People []PresenceEntry `json:"people,omitempty"`
	Lobby  []LobbyEntry    `json:"lobby,omitempty"`
}

// remoteRoster is another instance's roster as a room keeps it.
type remoteRoster struct {
	roster
	at time.Time
}

func newHubID() string {
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err) // crypto/rand does not fail on supported platforms
	}
	return hex.EncodeToString(b[:])
}

// startCluster listens for other instances when the store is shared.
func (h *Hub) startCluster() {
	n, ok := h.store.(board.Notifier)
	if !ok {
		return
	}
	h.notifier = n
	h.pub = make(chan clusterMsg, 4096)
	ctx, cancel := context.WithCancel(context.Background())
	h.stopCluster = cancel
	h.clusterDone.Add(2)
	go func() {
		defer h.clusterDone.Done()
		n.Listen(ctx, h)
	}()
	go func() {
		defer h.clusterDone.Done()
		h.publisher(ctx)
	}()
}

// publisher sends the hub's messages, one at a time and in order.
func (h *Hub) publisher(ctx context.Context) {
	for {
		select {
		case msg := <-h.pub:
			h.sendNow(msg)
		case <-ctx.Done():
			// What is left goes out before the hub stops (the "gone" of Shutdown).
			for {
				select {
				case msg := <-h.pub:
					h.sendNow(msg)
				default:
					return
				}
			}
		}
	}
}

func (h *Hub) sendNow(msg clusterMsg) {
	data, err := json.Marshal(msg)
	if err != nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := h.notifier.Notify(ctx, data); err != nil {
		h.m.notifyFailed.Inc()
		h.log.Warn("notify other instances", "kind", msg.Kind, "err", err)
	}
}

// publish queues a message for the other instances. It blocks only while the queue is
// full, and then at most a second: a kick or reload must not be dropped lightly, but a
// room's goroutine must not hang on the database either (its roster is sent again soon).
func (h *Hub) publish(msg clusterMsg) {
	if h.notifier == nil {
		return
	}
	msg.From = h.id
	select {
	case h.pub <- msg:
		return
	default:
	}
	t := time.NewTimer(time.Second)
	defer t.Stop()
	select {
	case h.pub <- msg:
	case <-t.C:
		h.m.notifyFailed.Inc()
		h.log.Warn("notify queue full; message dropped", "kind", msg.Kind)
	}
}

// Committed implements board.Listener: another instance committed a change.
func (h *Hub) Committed(meetingID string, seq int64) {
	h.toRoom(meetingID, request{kind: reqCatchUp, seq: seq})
}

// Message implements board.Listener: another instance's message.
func (h *Hub) Message(payload []byte) {
	var m clusterMsg
	if err := json.Unmarshal(payload, &m); err != nil || m.From == h.id {
		return
	}
	switch m.Kind {
	case msgKick:
		if m.Match == nil {
			return
		}
		req := request{kind: reqKick, match: m.Match.matches, code: websocket.StatusCode(m.Code)}
		if m.Meeting == "" {
			for _, r := range h.loaded() {
				go r.send(context.Background(), req)
			}
		} else {
			h.toRoom(m.Meeting, req)
		}
	case msgReload:
		h.toRoom(m.Meeting, request{kind: reqReload})
	case msgHand:
		h.toRoom(m.Meeting, request{kind: reqLowerHand, memberID: m.Member})
	case msgAdmit:
		h.toRoom(m.Meeting, request{kind: reqAdmitted, key: m.Key, admitted: m.Admitted})
	case msgConsent:
		h.toRoom(m.Meeting, request{kind: reqConsent, covered: m.Covered})
	case msgRoster:
		if m.Roster != nil {
			h.toRoom(m.Meeting, request{kind: reqRoster, from: m.From, roster: m.Roster})
		}
	case msgGone:
		for _, r := range h.loaded() {
			go r.send(context.Background(), request{kind: reqRoster, from: m.From})
		}
	}
}

// Resync implements board.Listener: the hub listens (again); anything sent while it did
// not may be lost. Every room reads the changes it lacks and its directory, has its
// connections' sessions checked again, and sends its roster.
func (h *Hub) Resync() {
	for _, r := range h.loaded() {
		go r.send(context.Background(), request{kind: reqResync})
	}
}

// Lost implements board.Listener.
func (h *Hub) Lost(err error) {
	h.m.listenLost.Inc()
	h.log.Warn("listening for other instances: connection lost; reconnecting", "err", err)
}

// revalidate checks the sessions of connections again (after a resync, when a message
// closing some of them may have been lost) off the room's goroutine, and has the room
// close those that are no longer allowed.
func (r *Room) revalidate(ps map[*conn]Participant) {
	check := r.hub.opt.StillAllowed
	if check == nil || len(ps) == 0 {
		return
	}
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		out := map[*conn]bool{}
		for c, p := range ps {
			if !check(ctx, r.id, p) {
				out[c] = true
			}
		}
		if len(out) > 0 {
			r.send(ctx, request{kind: reqDrop, drop: out, code: CloseUnauthorized})
		}
	}()
}

// localRoster is who is connected to this instance's room.
func (r *Room) localRoster() *roster {
	return &roster{People: r.localPeople(), Lobby: r.localWaiting()}
}

// rosterChanged schedules sending the room's roster to the other instances, coalescing
// changes that come close together (focus moving between fields).
func (r *Room) rosterChanged() {
	if r.hub.notifier == nil || r.rosterPending {
		return
	}
	r.rosterPending = true
	time.AfterFunc(rosterDelay, func() { r.send(context.Background(), request{kind: reqSendRoster}) })
}

func (r *Room) sendRoster() {
	r.rosterPending = false
	r.hub.publish(clusterMsg{Kind: msgRoster, Meeting: r.id, Roster: r.localRoster()})
}

// clusterTick re-sends the room's roster and forgets rosters not heard of for too long.
func (r *Room) clusterTick() {
	if len(r.conns) > 0 || len(r.lobby) > 0 {
		r.sendRoster()
	}
	changed := false
	for from, ro := range r.remote {
		if time.Since(ro.at) > rosterTTL {
			delete(r.remote, from)
			changed = true
		}
	}
	if changed {
		r.rosterUpdated()
	}
}

// takeRoster keeps another instance's roster (nil: forget it).
func (r *Room) takeRoster(from string, ro *roster) {
	if ro == nil || (len(ro.People) == 0 && len(ro.Lobby) == 0) {
		if _, ok := r.remote[from]; !ok {
			return
		}
		delete(r.remote, from)
	} else {
		r.remote[from] = remoteRoster{roster: *ro, at: time.Now()}
	}
	r.rosterUpdated()
}

// rosterUpdated shows a changed remote roster: presence, the lobby, and who leads.
func (r *Room) rosterUpdated() {
	r.leadChanged()
	r.broadcastPresence()
	r.broadcastLobby()
}
