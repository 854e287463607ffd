package board

import (
	"slices"
	"sort"
	"strings"
)

// Area is one of the eight areas of Behovskompassen (the needs compass). Labels are not
// here: they come from the message catalog and can be configured per municipality.
type Area string

// Areas in the order Backa barnet draws them.
var Areas = []Area{"trygghet", "halsa", "utveckling", "omsorg", "fritid", "tillhorighet", "respekt", "ansvar"}

// Valid reports whether a is one of the eight areas.
func (a Area) Valid() bool { return slices.Contains(Areas, a) }

// Text is a co-edited text field with its revision: the seq of the op that last changed it.
// Clients send the revision they edited from; a stale one is merged (see Merge3).
type Text struct {
	Value string `json:"v"`
	Rev   int64  `json:"r"`
}

// AgendaStatus is where an agenda item stands.
type AgendaStatus string

const (
	AgendaOpen    AgendaStatus = "open"
	AgendaDone    AgendaStatus = "done"
	AgendaSkipped AgendaStatus = "skipped"
)

// AgendaItem is one point of the meeting's agenda.
type AgendaItem struct {
	ID         string       `json:"id"`
	Pos        string       `json:"pos"` // fractional index key
	Title      Text         `json:"title"`
	Notes      Text         `json:"notes"` // Markdown
	TimeboxMin int          `json:"timebox_min"`
	Status     AgendaStatus `json:"status"`
	// Decisions and Parked are captured on the item: what was decided, and what was put
	// aside for later (the parking lot). Both go into the minutes.
	Decisions Text `json:"decisions"`
	Parked    Text `json:"parked"`
	// Proposed marks an item the family proposed ("det här vill vi prata om") and the
	// coordinator has not taken into the agenda yet; ProposedBy is the member.
	Proposed   bool   `json:"proposed,omitempty"`
	ProposedBy string `json:"proposed_by,omitempty"`
	Deleted    bool   `json:"deleted,omitempty"`
	Rev        int64  `json:"rev"`
}

// Rating is one perspective's answer on the face scale for one area. "1" (very bad) to "5"
// (very good); Unknown and Declined are real answers, distinct from "not rated" (absent).
type Rating string

const (
	RatingUnknown  Rating = "unknown"  // vet inte
	RatingDeclined Rating = "declined" // vill inte svara
)

// Valid reports whether r is a face value or one of the two real non-answers.
func (r Rating) Valid() bool {
	switch r {
	case "1", "2", "3", "4", "5", RatingUnknown, RatingDeclined:
		return true
	}
	return false
}

// Perspective keys for ratings: the child, each guardian by member id, and the
// professionals together. Perspectives are shown side by side, never averaged.
const (
	PerspectiveChild         = "child"
	PerspectiveProfessionals = "professionals"
	perspectiveGuardianPref  = "guardian:"
)

// GuardianPerspective is the perspective key of one guardian.
func GuardianPerspective(memberID string) string { return perspectiveGuardianPref + memberID }

// ChildAnswer is what the child said about one area in the child view: a face and their
// own words, verbatim. It is the child's: only the child and the coordinator see it until
// the child shares it, and only then does it reach the shared screen and the others.
type ChildAnswer struct {
	Rating Rating `json:"rating,omitempty"` // "" = not answered
	Words  Text   `json:"words"`
	Shared bool   `json:"shared,omitempty"`
}

// Answered reports whether the child has said anything about the area.
func (c ChildAnswer) Answered() bool { return c.Rating != "" || c.Words.Value != "" }

// CompassEntry is what the board records for one area of the needs compass.
type CompassEntry struct {
	Area          Area   `json:"area"`
	Works         Text   `json:"works"`          // det som fungerar
	Worries       Text   `json:"worries"`        // det som oroar
	ChildVoice    Text   `json:"child_voice"`    // barnets röst, verbatim
	ChildVoiceBy  string `json:"child_voice_by"` // member id of who wrote the child's words down
	GuardiansView Text   `json:"guardians_view"` // vårdnadshavarnas syn
	// Ratings by perspective key (each guardian, the professionals); an absent key means
	// unrated, never zero. The child's own rating is in Child.
	Ratings map[string]Rating `json:"ratings,omitempty"`
	Child   ChildAnswer       `json:"child"`
	// Need is the need the team sees in the area, in words the child understands;
	// Priority orders the needs of the plan (1 first; 0: not a prioritised need).
	Need     Text  `json:"need"`
	Priority int   `json:"priority,omitempty"`
	Rev      int64 `json:"rev"`
}

// RatingOf returns one perspective's rating of the area ("" when unrated): the child's
// from the child's answer, the others' from Ratings.
func (e *CompassEntry) RatingOf(perspective string) Rating {
	if perspective == PerspectiveChild {
		return e.Child.Rating
	}
	return e.Ratings[perspective]
}

// SeesPrivate reports whether a role sees the child's answers before the child shares
// them: the child and the coordinator (who facilitates the child's part).
func SeesPrivate(r Role) bool { return r == RoleChild || r == RoleCoordinator }

// ForViewer returns the entry as someone who may or may not see private answers sees it:
// an unshared child answer is withheld entirely.
func (e *CompassEntry) ForViewer(private bool) *CompassEntry {
	if private || e.Child.Shared || e.Child == (ChildAnswer{}) {
		return e
	}
	cp := *e
	cp.Child = ChildAnswer{}
	return &cp
}

// RatingsOnly returns the entry without its texts (what works, what worries, the child's
// voice and the guardians' view): the ratings and the child's answer as they are. For
// views that show only the compass drawing.
func (e *CompassEntry) RatingsOnly() *CompassEntry {
	return &CompassEntry{Area: e.Area, Ratings: e.Ratings, Child: e.Child, Rev: e.Rev}
}

// ForViewer returns the change as a viewer who may or may not see private answers gets
// it. Only compass changes carry anything private.
func (c *Change) ForViewer(private bool) *Change {
	if private || c.Compass == nil {
		return c
	}
	e := c.Compass.ForViewer(false)
	if e == c.Compass {
		return c
	}
	cp := *c
	cp.Compass = e
	if cp.Field == "child_words" {
		cp.Merged = false
	}
	return &cp
}

// GoalTerm says whether a goal is long- or short-term.
type GoalTerm string

const (
	GoalLong  GoalTerm = "long"
	GoalShort GoalTerm = "short"
)

// Goal is a goal for a need in one compass area, in words the child understands, with
// how the team will know it works.
type Goal struct {
	ID       string   `json:"id"`
	Area     Area     `json:"area"`
	Term     GoalTerm `json:"term"`
	Pos      string   `json:"pos"`
	Text     Text     `json:"text"`
	Evidence Text     `json:"evidence"` // hur vi vet att det fungerar
	Deleted  bool     `json:"deleted,omitempty"`
	Rev      int64    `json:"rev"`
}

// ActionStatus is the state of an insats/åtgärd.
type ActionStatus string

const (
	ActionPlanned ActionStatus = "planned"
	ActionOngoing ActionStatus = "ongoing"
	ActionDone    ActionStatus = "done"
	ActionNotDone ActionStatus = "not_done"
)

// ActionStatuses lists every action status in UI order.
var ActionStatuses = []ActionStatus{ActionPlanned, ActionOngoing, ActionDone, ActionNotDone}

// Action is an insats or åtgärd: who does what, by when or how often.
type Action struct {
	ID   string `json:"id"`
	Pos  string `json:"pos"`
	What Text   `json:"what"`
	// Responsible is a member id, or empty with ResponsibleOrg set.
	ResponsibleMember string `json:"responsible_member,omitempty"`
	ResponsibleOrg    string `json:"responsible_org,omitempty"`
	Due               string `json:"due,omitempty"`       // YYYY-MM-DD
	Frequency         string `json:"frequency,omitempty"` // "varje vecka", free text
	Area              Area   `json:"area,omitempty"`
	GoalID            string `json:"goal_id,omitempty"`
	// External: done by someone other than kommun or region (a SIP requirement).
	External bool         `json:"external,omitempty"`
	Status   ActionStatus `json:"status"`
	// A follow-up meeting carries the agreed plan's actions over: CarriedFrom names the
	// action in the earlier meeting, and the team reviews each: Review (done, ongoing, not
	// done; "" while not reviewed) with a comment.
	CarriedFrom   string       `json:"carried_from,omitempty"`
	Review        ActionStatus `json:"review,omitempty"`
	ReviewComment Text         `json:"review_comment"`
	Deleted       bool         `json:"deleted,omitempty"`
	Rev           int64        `json:"rev"`
}

// ActionReviews are the answers of a follow-up's review of an action.
var ActionReviews = []ActionStatus{ActionDone, ActionOngoing, ActionNotDone}

// MeetingState is the live state of the meeting itself, changed only by commands that are
// checked against the current state.
type MeetingState struct {
	// Phase is the stored phase ("" is a draft); see Board.Phase for the effective one.
	Phase       Phase  `json:"phase,omitempty"`
	CurrentItem string `json:"current_item,omitempty"`
	// StartedAt and EndedAt (Unix milliseconds) run the meeting clock: set when the
	// meeting goes live and when it closes.
	StartedAt int64  `json:"started_at,omitempty"`
	EndedAt   int64  `json:"ended_at,omitempty"`
	Timer     *Timer `json:"timer,omitempty"`
	Round     *Round `json:"round,omitempty"`
	Rev       int64  `json:"rev"`
}

// PlannedMinutes is the meeting's planned length: the time boxes of its agenda.
func (b *Board) PlannedMinutes() int {
	n := 0
	for _, it := range b.AgendaList() {
		n += it.TimeboxMin
	}
	return n
}

// Board is the whole co-edited state of one meeting at Seq. It belongs to one goroutine
// (the meeting's room); nothing here locks.
type Board struct {
	MeetingID string
	Epoch     string
	Seq       int64
	Meeting   MeetingState
	Agenda    map[string]*AgendaItem
	Compass   map[Area]*CompassEntry
	Goals     map[string]*Goal
	Actions   map[string]*Action
	Plan      PlanState

	// history keeps recent values of each text field by revision, so that an edit made
	// from an older revision can be merged three-way. It holds what was applied since
	// the board was loaded; older revisions are asked of OlderText.
	history map[string][]Text

	// OlderText, when set, finds a text field's value at a revision the history no longer
	// holds (after a restart, say) in the op log. Without it, or if it finds nothing, an
	// edit from that revision is refused as a conflict (the client keeps both texts),
	// never silently overwritten.
	OlderText func(ref Ref, field string, rev int64) (string, bool)
}

// NewBoard returns an empty board with all eight compass areas present.
func NewBoard(meetingID, epoch string) *Board {
	b := &Board{
		MeetingID: meetingID,
		Epoch:     epoch,
		Agenda:    map[string]*AgendaItem{},
		Compass:   map[Area]*CompassEntry{},
		Goals:     map[string]*Goal{},
		Actions:   map[string]*Action{},
		history:   map[string][]Text{},
	}
	for _, a := range Areas {
		b.Compass[a] = &CompassEntry{Area: a}
	}
	return b
}

// AgendaList returns the live agenda items in order (not the proposals).
func (b *Board) AgendaList() []*AgendaItem {
	return liveInOrder(b.Agenda, func(it *AgendaItem) bool { return !it.Proposed })
}

// Proposals returns the items proposed and not yet taken into the agenda, in order.
func (b *Board) Proposals() []*AgendaItem {
	return liveInOrder(b.Agenda, func(it *AgendaItem) bool { return it.Proposed })
}

// GoalsFor returns the live goals of one area, long-term first, each group in order.
func (b *Board) GoalsFor(a Area) []*Goal {
	out := liveInOrder(b.Goals, func(g *Goal) bool { return g.Area == a })
	sort.SliceStable(out, func(i, j int) bool { return out[i].Term == GoalLong && out[j].Term != GoalLong })
	return out
}

// ActionList returns the live actions in order.
func (b *Board) ActionList() []*Action { return liveInOrder(b.Actions, nil) }

// listItem is what the board's ordered lists (agenda, goals, actions) have in common:
// an id, a fractional position key, and deletion as a flag (a tombstone, so that a late
// edit of a deleted item is refused as "not found" rather than recreating it).
type listItem interface {
	place() (id, pos string)
	gone() bool
}

func (x *AgendaItem) place() (string, string) { return x.ID, x.Pos }
func (x *AgendaItem) gone() bool              { return x.Deleted }
func (x *Goal) place() (string, string)       { return x.ID, x.Pos }
func (x *Goal) gone() bool                    { return x.Deleted }
func (x *Action) place() (string, string)     { return x.ID, x.Pos }
func (x *Action) gone() bool                  { return x.Deleted }

// liveInOrder returns the items that are not deleted (and pass keep, if given) in list
// order.
func liveInOrder[T listItem](m map[string]T, keep func(T) bool) []T {
	out := make([]T, 0, len(m))
	for _, x := range m {
		if !x.gone() && (keep == nil || keep(x)) {
			out = append(out, x)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		id1, p1 := out[i].place()
		id2, p2 := out[j].place()
		return lessPos(p1, id1, p2, id2)
	})
	return out
}

// lessPos orders by fractional key and breaks ties by id, so two clients that picked the
// same key concurrently still see one order.
func lessPos(p1, id1, p2, id2 string) bool {
	if p1 != p2 {
		return p1 < p2
	}
	return id1 < id2
}

// countLive counts the items that are not deleted.
func countLive[T listItem](m map[string]T) int {
	n := 0
	for _, x := range m {
		if !x.gone() {
			n++
		}
	}
	return n
}

// textAt returns the value a text field had at revision rev, if it is known.
func (b *Board) textAt(ref Ref, field string, cur Text, rev int64) (string, bool) {
	switch {
	case rev == cur.Rev:
		return cur.Value, true
	case rev == 0:
		return "", true // every text field starts empty
	}
	for _, t := range b.history[fieldKey(ref, field)] {
		if t.Rev == rev {
			return t.Value, true
		}
	}
	if b.OlderText != nil {
		return b.OlderText(ref, field, rev)
	}
	return "", false
}

// TextOf returns the named text field of the entity a change carries, for looking up
// old revisions in the op log.
func (c *Change) TextOf(field string) (Text, bool) {
	var e any
	switch {
	case c.Agenda != nil:
		e = c.Agenda
	case c.Compass != nil:
		e = c.Compass
	case c.Goal != nil:
		e = c.Goal
	case c.Action != nil:
		e = c.Action
	case c.Plan != nil:
		e = c.Plan
	default:
		return Text{}, false
	}
	t, ok := textFields(e)[field]
	return t, ok
}

// remember records a text field's value at a revision for later merges.
func (b *Board) remember(field string, t Text) {
	h := append(b.history[field], t)
	if len(h) > maxRevHistory {
		h = h[len(h)-maxRevHistory:]
	}
	b.history[field] = h
}

// fieldKey names one text field of one entity, e.g. "agenda/a1#notes".
func fieldKey(ref Ref, field string) string {
	var sb strings.Builder
	sb.WriteString(ref.String())
	sb.WriteByte('#')
	sb.WriteString(field)
	return sb.String()
}
