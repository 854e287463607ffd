package main

import (
	"bytes"
	"encoding/json"
)

// The wire protocol's messages, as docs/PROTOCOL.md describes them: only the fields the
// generator uses. HTML fragments are not decoded (a client that renders from the
// structured change may ignore them); unknown fields and message types are ignored.

type wText struct {
	V string `json:"v"`
	R int64  `json:"r"`
}

// serverMsg is any server → client message; T says which fields are set.
type serverMsg struct {
	T string `json:"t"`

	// welcome
	Meeting string `json:"meeting"`
	Epoch   string `json:"epoch"`
	Seq     int64  `json:"seq"`
	Member  string `json:"member"`
	Role    string `json:"role"`
	Resume  string `json:"resume"`

	// snapshot
	State *wState `json:"state"`

	// event
	Change *wChange `json:"change"`

	// ack, reject
	CID     string `json:"cid"`
	Code    string `json:"code"`
	Field   string `json:"field"`
	Current *wText `json:"current"`
}

// lobbyMsg is decoded separately: its "state" is a string, a snapshot's an object.
type lobbyMsg struct {
	State  string `json:"state"`
	Reason string `json:"reason"`
}

// typeOnly reads just the message type.
type typeOnly struct {
	T string `json:"t"`
}

type wMeeting struct {
	Phase       string `json:"phase"`
	CurrentItem string `json:"current_item"`
}

type wAgenda struct {
	ID      string `json:"id"`
	Title   wText  `json:"title"`
	Notes   wText  `json:"notes"`
	Deleted bool   `json:"deleted"`
}

type wCompass struct {
	Area          string            `json:"area"`
	Works         wText             `json:"works"`
	Worries       wText             `json:"worries"`
	ChildVoice    wText             `json:"child_voice"`
	GuardiansView wText             `json:"guardians_view"`
	Ratings       map[string]string `json:"ratings"`
}

type wGoal struct {
	ID       string `json:"id"`
	Area     string `json:"area"`
	Text     wText  `json:"text"`
	Evidence wText  `json:"evidence"`
	Deleted  bool   `json:"deleted"`
}

type wAction struct {
	ID      string `json:"id"`
	What    wText  `json:"what"`
	Deleted bool   `json:"deleted"`
}

type wChange struct {
	Seq    int64  `json:"seq"`
	CID    string `json:"cid"`
	Actor  string `json:"actor"`
	Op     string `json:"op"`
	Entity string `json:"entity"`
	Field  string `json:"field"`
	Merged bool   `json:"merged"`

	Meeting *wMeeting `json:"meeting"`
	Agenda  *wAgenda  `json:"agenda"`
	Compass *wCompass `json:"compass"`
	Goal    *wGoal    `json:"goal"`
	Action  *wAction  `json:"action"`
}

type wState struct {
	Meeting wMeeting   `json:"meeting"`
	Agenda  []wAgenda  `json:"agenda"`
	Compass []wCompass `json:"compass"`
	Goals   []wGoal    `json:"goals"`
	Actions []wAction  `json:"actions"`
}

// clientOp is the client → server op frame.
type clientOp struct {
	T      string `json:"t"`
	CID    string `json:"cid"`
	Op     string `json:"op"`
	Entity string `json:"entity"`
	Base   int64  `json:"base,omitempty"`
	Data   any    `json:"data"`
}

// decodeServerMsg decodes one frame. A lobby message's "state" is a string where a
// snapshot's is an object, so the type is read first.
func decodeServerMsg(b []byte) (*serverMsg, *lobbyMsg, error) {
	var t typeOnly
	if v, ok := peekType(b); ok {
		t.T = v
	} else if err := json.Unmarshal(b, &t); err != nil {
		return nil, nil, err
	}
	switch t.T {
	case "lobby":
		var l lobbyMsg
		err := json.Unmarshal(b, &l)
		return &serverMsg{T: t.T}, &l, err
	case "welcome", "snapshot", "event", "ack", "reject":
		var m serverMsg
		err := json.Unmarshal(b, &m)
		return &m, nil, err
	}
	// hb, presence, lobby-list and any type this client does not know: skipped.
	return &serverMsg{T: t.T}, nil, nil
}

// peekType reads the type of a message that starts with it ({"t":"event",…), as the
// server's do, without scanning the whole message; ok is false for any other shape.
func peekType(b []byte) (string, bool) {
	const prefix = `{"t":"`
	if !bytes.HasPrefix(b, []byte(prefix)) {
		return "", false
	}
	rest := b[len(prefix):]
	i := bytes.IndexByte(rest, '"')
	if i < 0 || i > 20 || bytes.IndexByte(rest[:i], '\\') >= 0 {
		return "", false
	}
	return string(rest[:i]), true
}

// stripHTML removes the top-level "html" array (the rendered fragments) from a message in
// place, so that decoding does not scan the largest part of every event twice; the client
// renders nothing. The key is found as `,"html":[`: inside a JSON string every quote is
// escaped, and the fragments' own "html" keys hold strings, not arrays. Anything that does
// not look as expected is returned as it was.
func stripHTML(b []byte) []byte {
	const key = `,"html":[`
	start := bytes.Index(b, []byte(key))
	if start < 0 {
		return b
	}
	end := skipArray(b, start+len(key)-1)
	if end < 0 {
		return b
	}
	n := copy(b[start:], b[end:])
	return b[:start+n]
}

// skipArray returns the index just after the JSON array that starts at b[i] == '[', or -1.
func skipArray(b []byte, i int) int {
	depth := 0
	for i < len(b) {
		switch b[i] {
		case '[', '{':
			depth++
		case ']', '}':
			depth--
			if depth == 0 {
				return i + 1
			}
		case '"':
			// Jump to the closing quote: the next quote not escaped by an odd number of
			// backslashes.
			j := i + 1
			for {
				k := bytes.IndexByte(b[j:], '"')
				if k < 0 {
					return -1
				}
				j += k
				bs := 0
				for p := j - 1; p > i && b[p] == '\\'; p-- {
					bs++
				}
				if bs%2 == 0 {
					break
				}
				j++
			}
			i = j
		}
		i++
	}
	return -1
}
