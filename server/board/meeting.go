package board

import (
	"slices"
	"time"
)

// Running the meeting: its phase (draft → open → live → signing → closed), the current
// agenda item, a timer per item that runs from an end time on the server's clock (so
// every device counts down alike), the meeting clock, and a round in which everyone gets
// to speak. All are commands on the "meeting" entity, checked against the state, never
// last-writer-wins.

// Phase is where a meeting is in its life.
type Phase string

const (
	// PhaseDraft: the coordinator and the professionals prepare the agenda and their
	// observations; the family is not let in yet.
	PhaseDraft Phase = "draft"
	// PhaseOpen: the lobby is open; people are let in and may write.
	PhaseOpen Phase = "open"
	// PhaseLive: the meeting runs: the clock, timers, rounds, freezing the plan.
	PhaseLive Phase = "live"
	// PhaseSigning: the plan is frozen (being signed or established); nothing of its
	// content changes. Not stored: a meeting is signing while its plan is frozen.
	PhaseSigning Phase = "signing"
	// PhaseClosed: read-only; the plan's downloads stay.
	PhaseClosed Phase = "closed"
)

// Phases lists the phases in order.
var Phases = []Phase{PhaseDraft, PhaseOpen, PhaseLive, PhaseSigning, PhaseClosed}

// Timer counts down one agenda item's time. While it runs, EndsAt (Unix milliseconds of
// the server's clock) is when it reaches zero; paused, Left holds what remains.
type Timer struct {
	Item    string `json:"item"`
	Running bool   `json:"running"`
	EndsAt  int64  `json:"ends_at,omitempty"`
	Left    int64  `json:"left_ms,omitempty"`
}

// Remaining is the time left at now (negative once over).
func (t *Timer) Remaining(now time.Time) time.Duration {
	if !t.Running {
		return time.Duration(t.Left) * time.Millisecond
	}
	return time.Duration(t.EndsAt-now.UnixMilli()) * time.Millisecond
}

// Round is a go-round in which everyone gets to speak in turn; the coordinator marks who
// has spoken.
type Round struct {
	Spoken []string `json:"spoken"` // member ids, in the order they spoke
}

// Phase is where the meeting is: its stored phase, or signing while the plan is frozen.
func (b *Board) Phase() Phase {
	p := b.Meeting.Phase
	if p == "" {
		p = PhaseDraft
	}
	if (p == PhaseOpen || p == PhaseLive) && b.Plan.Frozen() {
		return PhaseSigning
	}
	return p
}

// phaseAllows says whether an op may be applied in the board's phase: in a draft only
// staff prepare the content; open and live allow everything the roles allow (timers,
// rounds and freezing only live); while signing only the sign-off and the meeting's own
// commands; closed nothing.
func (a *applier) phaseAllows() error {
	phase := a.b.Phase()
	kind, entity := a.op.Kind, a.op.ref.Kind
	content := entity != EntityMeeting && entity != EntityPlan || entity == EntityPlan && kind == OpSet
	refuse := func(key string) error { return &Error{Code: CodeState, Key: key} }
	switch phase {
	case PhaseDraft:
		switch {
		case content && !a.actor.Role.IsStaff():
			return refuse("op.state.draft")
		case kind == OpTimer || kind == OpRound || kind == OpFreeze || kind == OpSign || kind == OpReopen:
			return refuse("op.state.not_live")
		}
	case PhaseOpen:
		if kind == OpTimer || kind == OpRound || kind == OpFreeze {
			return refuse("op.state.not_live")
		}
	case PhaseSigning:
		if content {
			return refuse("op.state.plan_frozen")
		}
	case PhaseClosed:
		return refuse("op.state.closed")
	}
	return nil
}

// meetingData is the data of the meeting's commands.
type meetingData struct {
	// goto
	From string `json:"from"`
	To   string `json:"to"`
	// phase: from, to (as phases)
	// timer
	Action  string `json:"action"` // start, pause, resume, add, stop; round: start, spoken, unspoken, end
	Item    string `json:"item"`
	Minutes int    `json:"minutes"`
	// round
	Member string `json:"member"`
}

// MaxTimerMinutes bounds a timer and what one "add" may add.
const MaxTimerMinutes = 240

func (a *applier) meeting() error {
	if err := a.allow(""); err != nil {
		return err
	}
	var d meetingData
	if err := decodeData(a.op.Data, &d); err != nil {
		return err
	}
	next := a.b.Meeting
	next.Rev = a.seq
	if next.Timer != nil {
		t := *next.Timer
		next.Timer = &t
	}
	if next.Round != nil {
		r := Round{Spoken: slices.Clone(next.Round.Spoken)}
		next.Round = &r
	}
	a.ch.Meeting = &next
	switch a.op.Kind {
	case OpGoto:
		return a.gotoItem(&next, d)
	case OpPhase:
		return a.changePhase(&next, d)
	case OpTimer:
		return a.timer(&next, d)
	case OpRound:
		return a.round(&next, d)
	}
	return invalid("op", "op.invalid.kind")
}

func (a *applier) gotoItem(next *MeetingState, d meetingData) error {
	if d.From != a.b.Meeting.CurrentItem {
		return &Error{Code: CodeState, Key: "op.state.current_moved"}
	}
	if d.To != "" {
		it, ok := a.b.Agenda[d.To]
		if !ok || it.Deleted || it.Proposed {
			return &Error{Code: CodeNotFound, Key: "op.not_found"}
		}
	}
	next.CurrentItem = d.To
	return nil
}

// The transitions a coordinator may make: forward one step (draft → open → live), a draft
// straight to live, and closing from live or signing (once the plan is established, or
// when no plan was frozen).
func (a *applier) changePhase(next *MeetingState, d meetingData) error {
	from, to := Phase(d.From), Phase(d.To)
	if from != a.b.Phase() {
		return &Error{Code: CodeState, Key: "op.state.phase_moved"}
	}
	ok := false
	switch to {
	case PhaseOpen:
		ok = from == PhaseDraft
	case PhaseLive:
		ok = from == PhaseDraft || from == PhaseOpen
		if ok && next.StartedAt == 0 {
			next.StartedAt = a.env.At.UnixMilli() // the meeting clock starts
		}
	case PhaseClosed:
		switch from {
		case PhaseLive:
			ok = true
		case PhaseSigning:
			if a.b.Plan.Status != PlanEstablished {
				return &Error{Code: CodeState, Key: "op.state.close_unsigned"}
			}
			ok = true
		}
		if ok {
			next.EndedAt = a.env.At.UnixMilli()
			if next.Timer != nil && next.Timer.Running {
				next.Timer.Left, next.Timer.Running, next.Timer.EndsAt = next.Timer.EndsAt-a.env.At.UnixMilli(), false, 0
			}
		}
	}
	if !ok {
		return &Error{Code: CodeState, Key: "op.state.phase_step"}
	}
	next.Phase = to
	return nil
}

func (a *applier) timer(next *MeetingState, d meetingData) error {
	now := a.env.At.UnixMilli()
	t := next.Timer
	switch d.Action {
	case "start":
		it, ok := a.b.Agenda[d.Item]
		if !ok || it.Deleted || it.Proposed {
			return &Error{Code: CodeNotFound, Key: "op.not_found"}
		}
		min := d.Minutes
		if min == 0 {
			min = it.TimeboxMin
		}
		if min <= 0 || min > MaxTimerMinutes {
			return invalid("minutes", "op.invalid.timebox", "max", MaxTimerMinutes)
		}
		next.Timer = &Timer{Item: d.Item, Running: true, EndsAt: now + int64(min)*60000}
	case "pause":
		if t == nil || !t.Running {
			return &Error{Code: CodeState, Key: "op.state.timer"}
		}
		t.Left, t.Running, t.EndsAt = t.EndsAt-now, false, 0
	case "resume":
		if t == nil || t.Running {
			return &Error{Code: CodeState, Key: "op.state.timer"}
		}
		t.EndsAt, t.Running, t.Left = now+t.Left, true, 0
	case "add":
		if t == nil {
			return &Error{Code: CodeState, Key: "op.state.timer"}
		}
		if d.Minutes < -MaxTimerMinutes || d.Minutes > MaxTimerMinutes || d.Minutes == 0 {
			return invalid("minutes", "op.invalid.timebox", "max", MaxTimerMinutes)
		}
		if t.Running {
			t.EndsAt += int64(d.Minutes) * 60000
		} else {
			t.Left += int64(d.Minutes) * 60000
		}
	case "stop":
		if t == nil {
			return &Error{Code: CodeState, Key: "op.state.timer"}
		}
		next.Timer = nil
	default:
		return invalid("action", "op.invalid.value")
	}
	return nil
}

func (a *applier) round(next *MeetingState, d meetingData) error {
	switch d.Action {
	case "start":
		if next.Round != nil {
			return &Error{Code: CodeState, Key: "op.state.round"}
		}
		next.Round = &Round{Spoken: []string{}}
	case "spoken", "unspoken":
		if next.Round == nil {
			return &Error{Code: CodeState, Key: "op.state.round"}
		}
		if _, ok := a.dir.Member(d.Member); !ok {
			return invalid("member", "op.invalid.responsible")
		}
		has := slices.Contains(next.Round.Spoken, d.Member)
		switch {
		case d.Action == "spoken" && !has:
			next.Round.Spoken = append(next.Round.Spoken, d.Member)
		case d.Action == "unspoken" && has:
			next.Round.Spoken = slices.DeleteFunc(next.Round.Spoken, func(m string) bool { return m == d.Member })
		}
	case "end":
		if next.Round == nil {
			return &Error{Code: CodeState, Key: "op.state.round"}
		}
		next.Round = nil
	default:
		return invalid("action", "op.invalid.value")
	}
	return nil
}
