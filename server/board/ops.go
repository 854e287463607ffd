package board

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"
)

// Kind names an op. See docs/PROTOCOL.md for each kind's data.
type Kind string

const (
	OpCreate Kind = "create" // add an agenda item, goal or action
	OpSet    Kind = "set"    // set one field of an entity
	OpMove   Kind = "move"   // move an item to after another in its list
	OpDelete Kind = "delete" // delete an agenda item, goal or action
	OpRate   Kind = "rate"   // rate a compass area from one perspective
	OpGoto   Kind = "goto"   // meeting command: make an agenda item the current one
	OpShare  Kind = "share"  // the child shares (or takes back) their answer about an area
	OpFreeze Kind = "freeze" // plan command: freeze the board into the plan's next version
	OpSign   Kind = "sign"   // plan command: sign the version being signed (or record an approval)
	OpReopen Kind = "reopen" // plan command: make the board editable again for the next version
	OpPhase  Kind = "phase"  // meeting command: open, start or close the meeting
	OpTimer  Kind = "timer"  // meeting command: start, pause, resume, extend or stop an item's timer
	OpRound  Kind = "round"  // meeting command: start a round, mark who has spoken, end it
)

// Kinds lists every op kind.
var Kinds = []Kind{OpCreate, OpSet, OpMove, OpDelete, OpRate, OpGoto, OpShare, OpFreeze, OpSign, OpReopen, OpPhase, OpTimer, OpRound}

// EntityKind is the type part of an entity reference.
type EntityKind string

const (
	EntityMeeting EntityKind = "meeting"
	EntityAgenda  EntityKind = "agenda"
	EntityCompass EntityKind = "compass"
	EntityGoal    EntityKind = "goal"
	EntityAction  EntityKind = "action"
	EntityPlan    EntityKind = "plan"
)

// EntityKinds lists every entity kind.
var EntityKinds = []EntityKind{EntityMeeting, EntityAgenda, EntityCompass, EntityGoal, EntityAction, EntityPlan}

// singleton reports whether an entity kind has one entity per meeting, named by its kind
// alone ("meeting", "plan").
func (k EntityKind) singleton() bool { return k == EntityMeeting || k == EntityPlan }

// Ref names one entity: "agenda/<id>", "compass/<area>", "goal/<id>", "action/<id>",
// "meeting" or "plan".
type Ref struct {
	Kind EntityKind
	ID   string
}

func (r Ref) String() string {
	if r.Kind.singleton() {
		return string(r.Kind)
	}
	return string(r.Kind) + "/" + r.ID
}

// ParseRef parses and validates an entity reference.
func ParseRef(s string) (Ref, error) {
	if k := EntityKind(s); k.singleton() {
		return Ref{Kind: k}, nil
	}
	kind, id, ok := strings.Cut(s, "/")
	if !ok {
		return Ref{}, invalid("entity", "op.invalid.entity")
	}
	r := Ref{Kind: EntityKind(kind), ID: id}
	switch r.Kind {
	case EntityCompass:
		if !Area(id).Valid() {
			return Ref{}, invalid("entity", "op.invalid.entity")
		}
	case EntityAgenda, EntityGoal, EntityAction:
		if !ValidID(id) {
			return Ref{}, invalid("entity", "op.invalid.entity")
		}
	default:
		return Ref{}, invalid("entity", "op.invalid.entity")
	}
	return r, nil
}

// ValidID reports whether s can be an entity id made by a client: 1 to MaxIDLen characters
// from [A-Za-z0-9_-].
func ValidID(s string) bool {
	if s == "" || len(s) > MaxIDLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// Op is a client's intent, as sent on the wire (the envelope's "t" field is stripped by the
// transport).
type Op struct {
	CID    string          `json:"cid"`
	Kind   Kind            `json:"op"`
	Entity string          `json:"entity"`
	Base   int64           `json:"base"`
	Data   json.RawMessage `json:"data,omitempty"`

	ref Ref
}

// Ref returns the parsed entity reference of a decoded op.
func (o *Op) Ref() Ref { return o.ref }

// DecodeOp parses an op from untrusted JSON and checks its shape (not its meaning: that is
// Apply's job, against the board). Unknown fields are refused so typos fail loudly.
func DecodeOp(raw []byte) (Op, error) {
	var op Op
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&op); err != nil {
		return Op{}, invalid("", "op.invalid.json")
	}
	if dec.More() {
		return Op{}, invalid("", "op.invalid.json")
	}
	if err := op.Validate(); err != nil {
		return Op{}, err
	}
	return op, nil
}

// Validate checks the parts of an op that need no board and parses its entity reference.
// Transports that decode ops themselves must call it.
func (o *Op) Validate() error {
	if o.CID == "" || len(o.CID) > MaxCIDLen || !utf8.ValidString(o.CID) {
		return invalid("cid", "op.invalid.cid")
	}
	if !slices.Contains(Kinds, o.Kind) {
		return invalid("op", "op.invalid.kind")
	}
	if o.Base < 0 {
		return invalid("base", "op.invalid.base")
	}
	ref, err := ParseRef(o.Entity)
	if err != nil {
		return err
	}
	o.ref = ref
	return nil
}

// decodeData unmarshals an op's data strictly into v.
func decodeData(data json.RawMessage, v any) error {
	if len(data) == 0 {
		data = []byte("{}")
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return invalid("data", "op.invalid.data")
	}
	return nil
}

// ErrorCode classifies why an op was refused. Clients act on the code; people read the
// message, which the server looks up in the catalog by Error.Key.
type ErrorCode string

const (
	CodeInvalid   ErrorCode = "invalid"   // the op is malformed or a value breaks a rule
	CodeForbidden ErrorCode = "forbidden" // the actor's role may not do this
	CodeNotFound  ErrorCode = "not_found" // the entity does not exist or was deleted
	CodeConflict  ErrorCode = "conflict"  // a text edit could not be merged; Current holds the value
	CodeState     ErrorCode = "state"     // a meeting command did not match the current state
	CodeLimit     ErrorCode = "limit"     // too many items
)

// Error is a refused op. Key is a message catalog key; Args are its named arguments.
type Error struct {
	Code    ErrorCode
	Field   string
	Key     string
	Args    []any
	Current *Text // for CodeConflict: the field's current value and revision
}

func (e *Error) Error() string {
	if e.Field != "" {
		return fmt.Sprintf("%s: %s (%s)", e.Code, e.Key, e.Field)
	}
	return fmt.Sprintf("%s: %s", e.Code, e.Key)
}

func invalid(field, key string, args ...any) *Error {
	return &Error{Code: CodeInvalid, Field: field, Key: key, Args: args}
}
