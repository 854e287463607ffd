package board

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Directory is the read-only context an op is checked against: the team, its members and
// their organisations. The room loads it; ops never change it.
type Directory struct {
	Meeting Meeting
	Team    Team
	Members []Member
	Orgs    []Organisation
}

// Member returns a member by id.
func (d *Directory) Member(id string) (Member, bool) {
	for _, m := range d.Members {
		if m.ID == id {
			return m, true
		}
	}
	return Member{}, false
}

// Org returns an organisation by id.
func (d *Directory) Org(id string) (Organisation, bool) {
	for _, o := range d.Orgs {
		if o.ID == id {
			return o, true
		}
	}
	return Organisation{}, false
}

// Change is the canonical result of one applied op: the op's identity and the new version
// of the one entity it changed. It is what the store writes (with its seq) and what every
// client receives as the structured part of an event.
type Change struct {
	Seq    int64  `json:"seq"`
	CID    string `json:"cid"`
	Actor  string `json:"actor"` // member id
	Kind   Kind   `json:"op"`
	Entity string `json:"entity"`
	Field  string `json:"field,omitempty"`
	// Merged is true when a text edit from an older revision was merged three-way: the
	// sender must adopt the value in the entity.
	Merged bool `json:"merged,omitempty"`

	Meeting *MeetingState `json:"meeting,omitempty"`
	Agenda  *AgendaItem   `json:"agenda,omitempty"`
	Compass *CompassEntry `json:"compass,omitempty"`
	Goal    *Goal         `json:"goal,omitempty"`
	Action  *Action       `json:"action,omitempty"`
	Plan    *PlanState    `json:"plan,omitempty"`

	// PlanVersion is the plan version a plan command made or changed, as the store keeps
	// it (its canonical JSON only when it was frozen by this change).
	PlanVersion *PlanVersion `json:"plan_version,omitempty"`
}

// AuditTarget names the op for the audit log: its seq, kind, entity and field. Never the
// content.
func (c *Change) AuditTarget() string {
	s := fmt.Sprintf("op %d: %s %s", c.Seq, c.Kind, c.Entity)
	if c.Field != "" {
		s += "#" + c.Field
	}
	return s
}

// Ref returns the entity the change is about.
func (c *Change) Ref() Ref {
	r, _ := ParseRef(c.Entity)
	return r
}

// EntityJSON returns the JSON of the changed entity, as the store keeps it.
func (c *Change) EntityJSON() ([]byte, error) {
	switch {
	case c.Meeting != nil:
		return json.Marshal(c.Meeting)
	case c.Agenda != nil:
		return json.Marshal(c.Agenda)
	case c.Compass != nil:
		return json.Marshal(c.Compass)
	case c.Goal != nil:
		return json.Marshal(c.Goal)
	case c.Action != nil:
		return json.Marshal(c.Action)
	case c.Plan != nil:
		return json.Marshal(c.Plan)
	}
	return nil, &Error{Code: CodeInvalid, Key: "op.invalid.data"}
}

// Apply is ApplyWith at the time now, without the means to freeze the plan.
func (b *Board) Apply(dir *Directory, actor Actor, op Op, seq int64) (Change, error) {
	return b.ApplyWith(dir, actor, op, seq, ApplyEnv{At: time.Now()})
}

// ApplyWith checks op against the board and the actor's role and returns the change it
// makes, stamped with seq (the seq the store will give it). It does not modify b: the
// caller persists the change first and then calls b.Commit, so a failed write leaves the
// board as it was. Errors of the op are *Error; a failure to freeze is another error.
func (b *Board) ApplyWith(dir *Directory, actor Actor, op Op, seq int64, env ApplyEnv) (Change, error) {
	if op.ref.Kind == "" {
		if err := op.Validate(); err != nil {
			return Change{}, err
		}
	}
	ch := Change{Seq: seq, CID: op.CID, Actor: actor.MemberID, Kind: op.Kind, Entity: op.ref.String()}
	a := applier{b: b, dir: dir, actor: actor, op: op, seq: seq, ch: &ch, env: env}
	if err := a.phaseAllows(); err != nil {
		return Change{}, err
	}
	var err error
	switch op.ref.Kind {
	case EntityMeeting:
		err = a.meeting()
	case EntityAgenda:
		err = a.agenda()
	case EntityCompass:
		err = a.compass()
	case EntityGoal:
		err = a.goal()
	case EntityAction:
		err = a.action()
	case EntityPlan:
		err = a.plan()
	default:
		err = invalid("entity", "op.invalid.entity")
	}
	if err != nil {
		return Change{}, err
	}
	return ch, nil
}

// Commit makes an applied change part of the board. Changes must be committed in seq order.
func (b *Board) Commit(ch Change) {
	b.Seq = ch.Seq
	switch {
	case ch.Meeting != nil:
		b.Meeting = *ch.Meeting
	case ch.Agenda != nil:
		b.rememberTexts(ch.Entity, b.Agenda[ch.Agenda.ID], ch.Agenda)
		b.Agenda[ch.Agenda.ID] = ch.Agenda
	case ch.Compass != nil:
		b.rememberTexts(ch.Entity, b.Compass[ch.Compass.Area], ch.Compass)
		b.Compass[ch.Compass.Area] = ch.Compass
	case ch.Goal != nil:
		b.rememberTexts(ch.Entity, b.Goals[ch.Goal.ID], ch.Goal)
		b.Goals[ch.Goal.ID] = ch.Goal
	case ch.Action != nil:
		b.rememberTexts(ch.Entity, b.Actions[ch.Action.ID], ch.Action)
		b.Actions[ch.Action.ID] = ch.Action
	case ch.Plan != nil:
		old := b.Plan
		b.rememberTexts(ch.Entity, &old, ch.Plan)
		b.Plan = *ch.Plan
	}
}

// rememberTexts keeps the previous value of every text field that the change replaced.
func (b *Board) rememberTexts(entity string, old, cur any) {
	if old == nil {
		return
	}
	oldFields, newFields := textFields(old), textFields(cur)
	for name, t := range oldFields {
		if nt, ok := newFields[name]; ok && nt.Rev != t.Rev {
			b.remember(entity+"#"+name, t)
		}
	}
}

// textFields returns the text fields of an entity by field name.
func textFields(e any) map[string]Text {
	switch v := e.(type) {
	case *AgendaItem:
		if v == nil {
			return nil
		}
		return map[string]Text{"title": v.Title, "notes": v.Notes, "decisions": v.Decisions, "parked": v.Parked}
	case *CompassEntry:
		if v == nil {
			return nil
		}
		return map[string]Text{"works": v.Works, "worries": v.Worries, "child_voice": v.ChildVoice, "guardians_view": v.GuardiansView, "child_words": v.Child.Words, "need": v.Need}
	case *Goal:
		if v == nil {
			return nil
		}
		return map[string]Text{"text": v.Text, "evidence": v.Evidence}
	case *Action:
		if v == nil {
			return nil
		}
		return map[string]Text{"what": v.What, "review_comment": v.ReviewComment}
	case *PlanState:
		if v == nil {
			return nil
		}
		return map[string]Text{"reason": v.Reason, "how_captured": v.HowCaptured}
	}
	return nil
}

// applier carries one op through its checks.
type applier struct {
	b     *Board
	dir   *Directory
	actor Actor
	op    Op
	seq   int64
	ch    *Change
	env   ApplyEnv
}

// allow checks the role matrix for the op (and field).
func (a *applier) allow(field string) error {
	p, ok := permFor(a.op.Kind, a.op.ref, field)
	if !ok {
		return invalid("op", "op.invalid.kind")
	}
	if !Can(a.actor.Role, p) {
		return &Error{Code: CodeForbidden, Field: field, Key: "op.forbidden"}
	}
	return nil
}

// setData is the data of an OpSet.
type setData struct {
	Field string          `json:"field"`
	Value json.RawMessage `json:"value"`
}

// positionData is the placement part of create and move: After is the id of the item to
// place after; "" places first; absent places last. An unknown id places last, so a move
// racing a delete still lands somewhere sensible.
type positionData struct {
	After *string `json:"after"`
}

func (a *applier) agenda() error {
	id := a.op.ref.ID
	cur := a.b.Agenda[id]
	switch a.op.Kind {
	case OpCreate:
		var d struct {
			positionData
			Title      string `json:"title"`
			TimeboxMin int    `json:"timebox_min"`
			Proposed   bool   `json:"proposed"`
		}
		if err := decodeData(a.op.Data, &d); err != nil {
			return err
		}
		if d.Proposed {
			// The family proposes; the coordinator takes it into the agenda (or not).
			if !Can(a.actor.Role, PermAgendaPropose) {
				return &Error{Code: CodeForbidden, Key: "op.forbidden"}
			}
		} else if err := a.allow(""); err != nil {
			return err
		}
		if cur != nil {
			return invalid("entity", "op.invalid.exists")
		}
		if countLive(a.b.Agenda) >= MaxAgendaItems {
			return &Error{Code: CodeLimit, Key: "op.limit.agenda", Args: []any{"count", MaxAgendaItems}}
		}
		title, err := cleanTitle("title", d.Title)
		if err != nil {
			return err
		}
		if err := checkTimebox(d.TimeboxMin); err != nil {
			return err
		}
		pos, err := placeAfter(a.b.AgendaList(), id, d.After)
		if err != nil {
			return err
		}
		a.ch.Agenda = &AgendaItem{ID: id, Pos: pos, Title: Text{title, a.seq}, TimeboxMin: d.TimeboxMin, Status: AgendaOpen, Rev: a.seq}
		if d.Proposed {
			a.ch.Agenda.Proposed, a.ch.Agenda.ProposedBy = true, a.actor.MemberID
		}
		return nil
	}
	if cur == nil || cur.Deleted {
		return &Error{Code: CodeNotFound, Key: "op.not_found"}
	}
	next := *cur
	next.Rev = a.seq
	a.ch.Agenda = &next
	switch a.op.Kind {
	case OpDelete, OpMove:
		return restructure(a, &next.Deleted, &next.Pos, a.b.AgendaList())
	case OpSet:
		d, err := a.setData()
		if err != nil {
			return err
		}
		switch d.Field {
		case "title":
			return a.setText(d, &next.Title, MaxTitleLen, true)
		case "notes":
			return a.setText(d, &next.Notes, MaxTextLen, false)
		case "decisions":
			return a.setText(d, &next.Decisions, MaxTextLen, false)
		case "parked":
			return a.setText(d, &next.Parked, MaxTextLen, false)
		case "proposed":
			// Taking a proposal into the agenda (it goes last); an agenda item cannot
			// become a proposal again.
			var v bool
			if json.Unmarshal(d.Value, &v) != nil || v {
				return invalid(d.Field, "op.invalid.value")
			}
			if next.Proposed {
				pos, err := placeAfter(a.b.AgendaList(), next.ID, nil)
				if err != nil {
					return err
				}
				next.Proposed, next.Pos = false, pos
			}
		case "timebox_min":
			var n int
			if json.Unmarshal(d.Value, &n) != nil {
				return invalid(d.Field, "op.invalid.timebox", "max", MaxTimeboxMin)
			}
			if err := checkTimebox(n); err != nil {
				return err
			}
			next.TimeboxMin = n
		case "status":
			s, err := enumValue(d, AgendaOpen, AgendaDone, AgendaSkipped)
			if err != nil {
				return err
			}
			next.Status = s
		default:
			return invalid("field", "op.invalid.field")
		}
	default:
		return invalid("op", "op.invalid.kind")
	}
	return nil
}

func (a *applier) compass() error {
	cur := a.b.Compass[Area(a.op.ref.ID)]
	next := *cur
	next.Rev = a.seq
	a.ch.Compass = &next
	switch a.op.Kind {
	case OpRate:
		if err := a.allow(""); err != nil {
			return err
		}
		var d struct {
			Perspective string `json:"perspective"`
			Value       Rating `json:"value"`
		}
		if err := decodeData(a.op.Data, &d); err != nil {
			return err
		}
		if d.Perspective != OwnPerspective(a.actor) {
			return &Error{Code: CodeForbidden, Field: "perspective", Key: "op.forbidden.perspective"}
		}
		if d.Value != "" && !d.Value.Valid() {
			return invalid("value", "op.invalid.rating")
		}
		if d.Perspective == PerspectiveChild {
			next.Child.Rating = d.Value
			return nil
		}
		next.Ratings = make(map[string]Rating, len(cur.Ratings)+1)
		for k, v := range cur.Ratings {
			next.Ratings[k] = v
		}
		if d.Value == "" {
			delete(next.Ratings, d.Perspective)
		} else {
			next.Ratings[d.Perspective] = d.Value
		}
		return nil
	case OpSet:
		d, err := a.setData()
		if err != nil {
			return err
		}
		switch d.Field {
		case "works":
			return a.setText(d, &next.Works, MaxTextLen, false)
		case "worries":
			return a.setText(d, &next.Worries, MaxTextLen, false)
		case "guardians_view":
			return a.setText(d, &next.GuardiansView, MaxTextLen, false)
		case "child_voice":
			// Whoever writes the child's words down is recorded with them.
			next.ChildVoiceBy = a.actor.MemberID
			return a.setText(d, &next.ChildVoice, MaxTextLen, false)
		case "child_words":
			return a.setText(d, &next.Child.Words, MaxTextLen, false)
		case "need":
			return a.setText(d, &next.Need, MaxTextLen, false)
		case "priority":
			var n int
			if json.Unmarshal(d.Value, &n) != nil || n < 0 || n > len(Areas) {
				return invalid(d.Field, "op.invalid.priority", "max", len(Areas))
			}
			next.Priority = n
			return nil
		}
		return invalid("field", "op.invalid.field")
	case OpShare:
		// The child decides what the others and the shared screen see of their answer.
		if err := a.allow(""); err != nil {
			return err
		}
		var d struct {
			Shared bool `json:"shared"`
		}
		if err := decodeData(a.op.Data, &d); err != nil {
			return err
		}
		next.Child.Shared = d.Shared
		return nil
	}
	return invalid("op", "op.invalid.kind")
}

func (a *applier) goal() error {
	id := a.op.ref.ID
	cur := a.b.Goals[id]
	if a.op.Kind == OpCreate {
		if err := a.checkCreate(cur != nil, countLive(a.b.Goals), MaxGoals, "op.limit.goals"); err != nil {
			return err
		}
		var d struct {
			positionData
			Area Area     `json:"area"`
			Term GoalTerm `json:"term"`
			Text string   `json:"text"`
		}
		if err := decodeData(a.op.Data, &d); err != nil {
			return err
		}
		if !d.Area.Valid() {
			return invalid("area", "op.invalid.area")
		}
		if d.Term != GoalLong && d.Term != GoalShort {
			return invalid("term", "op.invalid.term")
		}
		text, err := cleanText("text", d.Text, MaxTextLen)
		if err != nil {
			return err
		}
		if strings.TrimSpace(text) == "" {
			return invalid("text", "op.invalid.goal_required")
		}
		pos, err := placeAfter(a.b.GoalsFor(d.Area), id, d.After)
		if err != nil {
			return err
		}
		a.ch.Goal = &Goal{ID: id, Area: d.Area, Term: d.Term, Pos: pos, Text: Text{text, a.seq}, Rev: a.seq}
		return nil
	}
	if cur == nil || cur.Deleted {
		return &Error{Code: CodeNotFound, Key: "op.not_found"}
	}
	next := *cur
	next.Rev = a.seq
	a.ch.Goal = &next
	switch a.op.Kind {
	case OpDelete, OpMove:
		return restructure(a, &next.Deleted, &next.Pos, a.b.GoalsFor(cur.Area))
	case OpSet:
		d, err := a.setData()
		if err != nil {
			return err
		}
		switch d.Field {
		case "text":
			return a.setText(d, &next.Text, MaxTextLen, true)
		case "evidence":
			return a.setText(d, &next.Evidence, MaxTextLen, false)
		case "term":
			t, err := enumValue(d, GoalLong, GoalShort)
			if err != nil {
				return err
			}
			next.Term = t
		default:
			return invalid("field", "op.invalid.field")
		}
	default:
		return invalid("op", "op.invalid.kind")
	}
	return nil
}

// checkCreate is what every create of a list item checks first: the role, that the
// client's new id is free, and the list's size limit.
func (a *applier) checkCreate(exists bool, live, max int, limitKey string) error {
	if err := a.allow(""); err != nil {
		return err
	}
	if exists {
		return invalid("entity", "op.invalid.exists")
	}
	if live >= max {
		return &Error{Code: CodeLimit, Key: limitKey, Args: []any{"count", max}}
	}
	return nil
}

// restructure applies a delete or a move, which work the same way on every list: a
// delete leaves a tombstone, a move gives the item a new key between its new neighbours.
func restructure[T listItem](a *applier, deleted *bool, pos *string, list []T) error {
	if err := a.allow(""); err != nil {
		return err
	}
	if a.op.Kind == OpDelete {
		*deleted = true
		return nil
	}
	var d positionData
	if err := decodeData(a.op.Data, &d); err != nil {
		return err
	}
	p, err := placeAfter(list, a.op.ref.ID, d.After)
	if err != nil {
		return err
	}
	*pos = p
	return nil
}

// actionFields are the settable scalar fields of an action, shared by create and set.
type actionFields struct {
	Responsible *string       `json:"responsible"` // "member:<id>", "org:<id>" or ""
	Due         *string       `json:"due"`         // YYYY-MM-DD or ""
	Frequency   *string       `json:"frequency"`
	Area        *Area         `json:"area"`
	GoalID      *string       `json:"goal_id"`
	External    *bool         `json:"external"`
	Status      *ActionStatus `json:"status"`
	Review      *ActionStatus `json:"review"`
}

func (a *applier) action() error {
	id := a.op.ref.ID
	cur := a.b.Actions[id]
	if a.op.Kind == OpCreate {
		if err := a.checkCreate(cur != nil, countLive(a.b.Actions), MaxActions, "op.limit.actions"); err != nil {
			return err
		}
		var d struct {
			positionData
			actionFields
			What        string `json:"what"`
			CarriedFrom string `json:"carried_from"`
		}
		if err := decodeData(a.op.Data, &d); err != nil {
			return err
		}
		what, err := cleanText("what", d.What, MaxTextLen)
		if err != nil {
			return err
		}
		if strings.TrimSpace(what) == "" {
			return invalid("what", "op.invalid.what_required")
		}
		pos, err := placeAfter(a.b.ActionList(), id, d.After)
		if err != nil {
			return err
		}
		if d.CarriedFrom != "" && !ValidID(d.CarriedFrom) {
			return invalid("carried_from", "op.invalid.entity")
		}
		next := &Action{ID: id, Pos: pos, What: Text{what, a.seq}, Status: ActionPlanned, CarriedFrom: d.CarriedFrom, Rev: a.seq}
		if err := a.setActionFields(next, d.actionFields); err != nil {
			return err
		}
		a.ch.Action = next
		return nil
	}
	if cur == nil || cur.Deleted {
		return &Error{Code: CodeNotFound, Key: "op.not_found"}
	}
	next := *cur
	next.Rev = a.seq
	a.ch.Action = &next
	switch a.op.Kind {
	case OpDelete, OpMove:
		return restructure(a, &next.Deleted, &next.Pos, a.b.ActionList())
	case OpSet:
		d, err := a.setData()
		if err != nil {
			return err
		}
		switch d.Field {
		case "what":
			return a.setText(d, &next.What, MaxTextLen, true)
		case "review_comment":
			return a.setText(d, &next.ReviewComment, MaxTextLen, false)
		}
		// Scalar fields reuse the create path's validation: decode {"<field>": value}.
		raw, _ := json.Marshal(map[string]json.RawMessage{d.Field: d.Value})
		var f actionFields
		if err := decodeData(raw, &f); err != nil {
			return invalid("field", "op.invalid.field")
		}
		return a.setActionFields(&next, f)
	}
	return invalid("op", "op.invalid.kind")
}

// setActionFields validates and assigns the scalar fields that are present in f.
func (a *applier) setActionFields(x *Action, f actionFields) error {
	if f.Responsible != nil {
		r := *f.Responsible
		kind, id, _ := strings.Cut(r, ":")
		switch {
		case r == "":
			x.ResponsibleMember, x.ResponsibleOrg = "", ""
		case kind == "member":
			if _, ok := a.dir.Member(id); !ok {
				return invalid("responsible", "op.invalid.responsible")
			}
			x.ResponsibleMember, x.ResponsibleOrg = id, ""
		case kind == "org":
			if _, ok := a.dir.Org(id); !ok {
				return invalid("responsible", "op.invalid.responsible")
			}
			x.ResponsibleMember, x.ResponsibleOrg = "", id
		default:
			return invalid("responsible", "op.invalid.responsible")
		}
	}
	if f.Due != nil {
		if *f.Due != "" {
			if _, err := time.Parse("2006-01-02", *f.Due); err != nil {
				return invalid("due", "op.invalid.due")
			}
		}
		x.Due = *f.Due
	}
	if f.Frequency != nil {
		s, err := cleanText("frequency", *f.Frequency, MaxFrequencyLen)
		if err != nil {
			return err
		}
		x.Frequency = strings.TrimSpace(s)
	}
	if f.Area != nil {
		if *f.Area != "" && !f.Area.Valid() {
			return invalid("area", "op.invalid.area")
		}
		x.Area = *f.Area
	}
	if f.GoalID != nil {
		if *f.GoalID != "" {
			g, ok := a.b.Goals[*f.GoalID]
			if !ok || g.Deleted {
				return invalid("goal_id", "op.invalid.goal")
			}
		}
		x.GoalID = *f.GoalID
	}
	if f.External != nil {
		x.External = *f.External
	}
	if f.Status != nil {
		if !slices.Contains(ActionStatuses, *f.Status) {
			return invalid("status", "op.invalid.status")
		}
		x.Status = *f.Status
	}
	if f.Review != nil {
		// Only an action carried over from an agreed plan is reviewed.
		if x.CarriedFrom == "" || (*f.Review != "" && !slices.Contains(ActionReviews, *f.Review)) {
			return invalid("review", "op.invalid.status")
		}
		x.Review = *f.Review
	}
	return nil
}

func (a *applier) setData() (setData, error) {
	var d setData
	if err := decodeData(a.op.Data, &d); err != nil {
		return d, err
	}
	if err := a.allow(d.Field); err != nil {
		return d, err
	}
	a.ch.Field = d.Field
	return d, nil
}

// setText applies a text edit made from revision op.Base. An edit from the current
// revision replaces the value; one from an older revision is merged three-way with what
// happened since; if that is not possible the op is refused with the current value so the
// client can keep its text and show both. Text is never silently dropped.
func (a *applier) setText(d setData, field *Text, max int, required bool) error {
	var value string
	if json.Unmarshal(d.Value, &value) != nil {
		return invalid(d.Field, "op.invalid.text")
	}
	value, err := cleanText(d.Field, value, max)
	if err != nil {
		return err
	}
	if required && strings.TrimSpace(value) == "" {
		return invalid(d.Field, "op.invalid.required")
	}
	cur := *field
	base := a.op.Base
	switch {
	case base > a.b.Seq:
		// A revision the board has not reached: the client is confused, not stale.
		return invalid("base", "op.invalid.base")
	case base >= cur.Rev:
		// The field has not changed since the client's revision: a plain replace.
	default:
		baseText, ok := a.b.textAt(a.op.ref, d.Field, cur, base)
		if !ok {
			return conflict(d.Field, cur)
		}
		merged, ok := Merge3(baseText, value, cur.Value)
		if !ok || utf8.RuneCountInString(merged) > max {
			return conflict(d.Field, cur)
		}
		value = merged
		a.ch.Merged = true
	}
	*field = Text{Value: value, Rev: a.seq}
	return nil
}

func conflict(field string, cur Text) *Error {
	c := cur
	return &Error{Code: CodeConflict, Field: field, Key: "op.conflict", Current: &c}
}

// cleanText normalises line endings and refuses invalid UTF-8, control characters other
// than newline and tab, and text longer than max runes.
func cleanText(field, s string, max int) (string, error) {
	if len(s) > 4*max+4 {
		return "", invalid(field, "op.invalid.too_long", "count", max)
	}
	if !utf8.ValidString(s) {
		return "", invalid(field, "op.invalid.text")
	}
	s = strings.ReplaceAll(s, "\r\n", "\n")
	n := 0
	for _, r := range s {
		n++
		if r != '\n' && r != '\t' && unicode.IsControl(r) {
			return "", invalid(field, "op.invalid.control")
		}
	}
	if n > max {
		return "", invalid(field, "op.invalid.too_long", "count", max)
	}
	return s, nil
}

// cleanTitle is cleanText for one-line required fields.
func cleanTitle(field, s string) (string, error) {
	s, err := cleanText(field, s, MaxTitleLen)
	if err != nil {
		return "", err
	}
	s = strings.TrimSpace(strings.ReplaceAll(s, "\n", " "))
	if s == "" {
		return "", invalid(field, "op.invalid.required")
	}
	return s, nil
}

func checkTimebox(n int) error {
	if n < 0 || n > MaxTimeboxMin {
		return invalid("timebox_min", "op.invalid.timebox", "max", MaxTimeboxMin)
	}
	return nil
}

// enumValue decodes a string value that must be one of allowed.
func enumValue[T ~string](d setData, allowed ...T) (T, error) {
	var s string
	if json.Unmarshal(d.Value, &s) == nil {
		for _, x := range allowed {
			if T(s) == x {
				return x, nil
			}
		}
	}
	return "", invalid(d.Field, "op.invalid.value")
}

// placeAfter computes the fractional key for item id placed after the item `after` in a
// list (ordered, live items). nil after means last; "" means first; an unknown id means
// last, so a move racing a delete still lands somewhere sensible. The item itself is
// skipped so a move computes its key between its new neighbours.
func placeAfter[T listItem](list []T, id string, after *string) (string, error) {
	ids := make([]string, 0, len(list))
	keys := make([]string, 0, len(list))
	for _, x := range list {
		xid, xpos := x.place()
		if xid == id {
			continue
		}
		ids = append(ids, xid)
		keys = append(keys, xpos)
	}
	idx := len(ids) // insert before index idx
	if after != nil {
		if *after == "" {
			idx = 0
		} else {
			for i, x := range ids {
				if x == *after {
					idx = i + 1
				}
			}
		}
	}
	lo, hi := "", ""
	if idx > 0 {
		lo = keys[idx-1]
	}
	if idx < len(keys) {
		hi = keys[idx]
	}
	if lo != "" && hi != "" && lo >= hi {
		// Two items share a key (made concurrently by an older client): place after lo.
		hi = ""
	}
	k, err := KeyBetween(lo, hi)
	if err != nil {
		return "", &Error{Code: CodeLimit, Key: "op.limit.position"}
	}
	return k, nil
}
