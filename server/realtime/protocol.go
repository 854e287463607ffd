// Package realtime runs the live board: one room per meeting that applies ops one at a
// time, persists each before anyone sees it, and fans events out to the meeting's
// WebSocket connections. It knows nothing of HTTP routing (no Echo); the HTTP layer hands
// it accepted connections and a Renderer. The wire protocol is documented in
// docs/PROTOCOL.md; this file is its Go form.
package realtime

import (
	"bytes"
	"encoding/json"
	"errors"
	"unicode/utf8"

	"github.com/coder/websocket"

	"github.com/barnteam/barnteam/server/board"
)

// MaxMessageBytes is the largest message a client may send. Larger ones close the
// connection with 1009 (message too big).
const MaxMessageBytes = 32 << 10

// Close codes. The 40xx class means "reconnect" (with backoff, resuming with since); the
// 44xx class means "stop": do not reconnect, tell the person why.
const (
	CloseTryAgain      websocket.StatusCode = 4000 // reconnect: transient server trouble
	CloseSlowConsumer  websocket.StatusCode = 4001 // reconnect: the send queue overflowed
	CloseServerRestart websocket.StatusCode = 4002 // reconnect: the server is restarting
	CloseResync        websocket.StatusCode = 4003 // reconnect: the server lost track of this client
	CloseReload        websocket.StatusCode = 4005 // reload the page: your access or role changed
	CloseUnauthorized  websocket.StatusCode = 4401 // stop: no valid session (logged out, expired)
	CloseForbidden     websocket.StatusCode = 4403 // stop: removed from the meeting or access revoked
	CloseGone          websocket.StatusCode = 4404 // stop: the meeting is closed or no longer exists
	CloseProtocol      websocket.StatusCode = 4400 // stop: the client broke the protocol
)

// IsReconnect reports whether a close code tells the client to reconnect.
func IsReconnect(c websocket.StatusCode) bool {
	switch c {
	case CloseTryAgain, CloseSlowConsumer, CloseServerRestart, CloseResync,
		websocket.StatusGoingAway, websocket.StatusAbnormalClosure, websocket.StatusInternalError,
		websocket.StatusServiceRestart, websocket.StatusTryAgainLater:
		return true
	}
	return false
}

// Fragment is server-rendered HTML for the element with id Target; the client morphs it
// in place (outerHTML).
type Fragment struct {
	Target string `json:"target"`
	HTML   string `json:"html"`
}

// Server → client messages. Every message is one JSON text frame with a "t" field.

type welcomeMsg struct {
	T       string `json:"t"` // "welcome"
	Meeting string `json:"meeting"`
	Epoch   string `json:"epoch"`
	Seq     int64  `json:"seq"`
	Member  string `json:"member"`
	Role    string `json:"role"`
	// Resume says what follows: "current" (nothing missed), "events" or "snapshot".
	Resume string `json:"resume"`
	// Now is the server's clock (Unix milliseconds): timers end at server times.
	Now int64 `json:"now"`
}

type snapshotMsg struct {
	T        string     `json:"t"` // "snapshot"
	Seq      int64      `json:"seq"`
	Epoch    string     `json:"epoch"`
	State    StateJSON  `json:"state"`
	HTML     []Fragment `json:"html"`
	Announce string     `json:"announce,omitempty"`
}

// StateJSON is the structured board in a snapshot.
type StateJSON struct {
	Meeting board.MeetingState    `json:"meeting"`
	Agenda  []*board.AgendaItem   `json:"agenda"`
	Compass []*board.CompassEntry `json:"compass"`
	Goals   []*board.Goal         `json:"goals"`
	Actions []*board.Action       `json:"actions"`
}

type eventMsg struct {
	T        string        `json:"t"` // "event"
	Seq      int64         `json:"seq"`
	Change   *board.Change `json:"change"`
	HTML     []Fragment    `json:"html"`
	Announce string        `json:"announce,omitempty"`
}

type ackMsg struct {
	T   string `json:"t"` // "ack": a re-sent op that was already applied
	CID string `json:"cid"`
	Seq int64  `json:"seq"`
}

type rejectMsg struct {
	T       string      `json:"t"` // "reject"
	CID     string      `json:"cid"`
	Code    string      `json:"code"`
	Field   string      `json:"field,omitempty"`
	Message string      `json:"message"`
	Current *board.Text `json:"current,omitempty"`
}

// PresenceEntry is one participant as presence shows them.
type PresenceEntry struct {
	Member    string `json:"member"`
	Name      string `json:"name"`
	Role      string `json:"role"`
	Editing   string `json:"editing,omitempty"` // "agenda/a1#notes"
	Hand      bool   `json:"hand,omitempty"`
	HandOrder int64  `json:"hand_order,omitempty"` // the queue's order: lower went up first
}

type presenceMsg struct {
	T      string          `json:"t"` // "presence"
	People []PresenceEntry `json:"people"`
	HTML   []Fragment      `json:"html"`
}

type heartbeatMsg struct {
	T   string `json:"t"`   // "hb"
	Now int64  `json:"now"` // the server's clock, Unix milliseconds
}

// lobbyMsg is all a person waiting in the lobby ever receives (besides heartbeats).
type lobbyMsg struct {
	T      string `json:"t"`                // "lobby"
	State  string `json:"state"`            // "waiting", "admitted", "turned_away"
	Reason string `json:"reason,omitempty"` // while waiting: "admission" or "consent"
}

// lobbyListMsg carries the lobby region to the meeting's leader.
type lobbyListMsg struct {
	T    string     `json:"t"` // "lobby-list"
	HTML []Fragment `json:"html"`
}

// Reject codes beyond the domain's board.ErrorCode values.
const (
	codeUnavailable = "unavailable" // the server could not save the op now; resend later
	codeRate        = "rate"        // too many ops; resend later
)

// clientMsg is every client → server message: "op" and "presence".
type clientMsg struct {
	T string `json:"t"`

	// t = "op"
	CID    string          `json:"cid,omitempty"`
	Op     board.Kind      `json:"op,omitempty"`
	Entity string          `json:"entity,omitempty"`
	Base   int64           `json:"base,omitempty"`
	Data   json.RawMessage `json:"data,omitempty"`

	// t = "presence"
	Editing *string `json:"editing,omitempty"`
	Hand    *bool   `json:"hand,omitempty"`
}

var errBadMessage = errors.New("bad message")

// maxEditingLen bounds the presence field reference.
const maxEditingLen = 120

// decodeClientMsg parses one untrusted client message. Ops are validated for shape here;
// their meaning is checked by the room against the board.
func decodeClientMsg(raw []byte) (clientMsg, board.Op, error) {
	var m clientMsg
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&m); err != nil || dec.More() {
		return m, board.Op{}, errBadMessage
	}
	switch m.T {
	case "op":
		op := board.Op{CID: m.CID, Kind: m.Op, Entity: m.Entity, Base: m.Base, Data: m.Data}
		if err := op.Validate(); err != nil {
			return m, op, err
		}
		return m, op, nil
	case "presence":
		if m.Editing != nil {
			e := *m.Editing
			if len(e) > maxEditingLen || !utf8.ValidString(e) {
				return m, board.Op{}, errBadMessage
			}
			if e != "" {
				ref, field, ok := bytes.Cut([]byte(e), []byte("#"))
				if !ok || len(field) == 0 {
					return m, board.Op{}, errBadMessage
				}
				if _, err := board.ParseRef(string(ref)); err != nil {
					return m, board.Op{}, errBadMessage
				}
			}
		}
		return m, board.Op{}, nil
	}
	return m, board.Op{}, errBadMessage
}
