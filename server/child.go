package server

import (
	"fmt"
	"html/template"

	"github.com/barnteam/barnteam/server/board"
	"github.com/barnteam/barnteam/server/compass"
)

// The child view (barnläge): the child answers the needs compass one area at a time, in
// plain words with pictograms and faces, checks back what they said, and decides what the
// others and the shared screen may see. It is one page of steps (start, a question per
// area, the check-back, the plan, done) so that moving between questions costs no
// request and the live connection stays up; without JavaScript each step is an anchor
// (CSS :target) and each answer a plain form.
//
// Its live regions are rendered here for the child's variant: the wheel, each question's
// answer, the check-back list and the plan. Other people's edits of the board do not
// reach the child view; goals and actions do (the plan step shows them).

// childRegions lists the child view's regions: all of them for a snapshot (ch nil), else
// those a change touched.
func childRegions(data fragData, ch *board.Change) []region {
	var out []region
	if ch == nil || childAnswerChange(ch, data.D) {
		out = append(out, region{"child-wheel", "child-wheel", data})
		for _, a := range board.Areas {
			if ch == nil || ch.Compass.Area == a {
				d := data
				d.Area = a
				out = append(out, region{"child-q-" + string(a), "child-question", d})
			}
		}
		out = append(out, region{"child-check", "child-check", data})
	}
	if ch == nil || ch.Goal != nil || ch.Action != nil {
		out = append(out, region{"child-plan", "child-plan", data})
	}
	if ch == nil || ch.Plan != nil {
		out = append(out, region{"child-sign", "child-sign", data})
	}
	if ch == nil || ch.Agenda != nil || ch.Kind == board.OpPhase {
		out = append(out, region{"child-propose", "child-propose", data})
	}
	return out
}

// ChildProposals are the agenda items the child proposed, taken in or not.
func (d fragData) ChildProposals() []*board.AgendaItem {
	var out []*board.AgendaItem
	for _, it := range append(d.B.AgendaList(), d.B.Proposals()...) {
		if m, ok := d.D.Member(it.ProposedBy); ok && m.Role == board.RoleChild {
			out = append(out, it)
		}
	}
	return out
}

// ChildSignature is the child's agreement to the plan's version being signed, if given.
func (d fragData) ChildSignature() *board.Signature {
	for _, m := range d.D.Members {
		if m.Role == board.RoleChild {
			if s, ok := d.B.Plan.SignatureOf(m.ID); ok {
				return &s
			}
		}
	}
	return nil
}

// childAnswerChange reports whether a change is about the child's own answer to an area:
// a rating from the child's perspective (only the child can make one, and the child rates
// nothing else), their words, or sharing.
func childAnswerChange(ch *board.Change, d *board.Directory) bool {
	if ch.Compass == nil {
		return false
	}
	if ch.Kind == board.OpShare || ch.Field == "child_words" {
		return true
	}
	m, ok := d.Member(ch.Actor)
	return ch.Kind == board.OpRate && ok && m.Role == board.RoleChild
}

// childPrivate reports whether a change is about the child's own answer while it is not
// shared: only the child and the coordinator may see it.
func childPrivate(ch *board.Change, d *board.Directory) bool {
	return childAnswerChange(ch, d) && !ch.Compass.Child.Shared
}

// childFace is one answer the child can choose.
type childFace struct {
	Value   board.Rating
	Label   string
	SVG     template.HTML
	Checked bool
}

// FaceScale is how many faces the child answers with: the coordinator's choice, or by the
// child's age in the meeting's year.
func (d fragData) FaceScale() int {
	year := d.D.Meeting.ScheduledAt.In(stockholm).Year()
	if d.D.Meeting.ScheduledAt.IsZero() {
		year = d.now().In(stockholm).Year()
	}
	return d.D.Team.Faces(year)
}

// ChildFaceLabel is the child's words for a rating on their scale ("Jättebra"), or for no
// answer yet.
func (d fragData) ChildFaceLabel(r board.Rating) string {
	switch {
	case r == "":
		return d.P.T("child.not_answered")
	case r == board.RatingUnknown || r == board.RatingDeclined:
		return d.P.T("rating." + string(r))
	}
	return d.P.T(fmt.Sprintf("child.face%d.%s", d.FaceScale(), r))
}

// ChildFaceSVG draws the face of a rating on the child's scale, decorative (its words are
// next to it).
func (d fragData) ChildFaceSVG(r board.Rating, size int) template.HTML {
	return template.HTML(compass.Face(r, d.FaceScale(), "", size)) // compass escapes what it writes
}

// ChildFaces are the choices of one question: the faces of the child's scale, saddest
// first, then "vet inte" and "vill inte svara".
func (d fragData) ChildFaces() []childFace {
	mine := d.B.Compass[d.Area].Child.Rating
	values := append(board.FaceValues(d.FaceScale()), board.RatingUnknown, board.RatingDeclined)
	out := make([]childFace, len(values))
	for i, v := range values {
		out[i] = childFace{Value: v, Label: d.ChildFaceLabel(v), SVG: d.ChildFaceSVG(v, 72), Checked: v == mine}
	}
	return out
}

// ChildAnswer is the child's own answer about an area (the child view belongs to the
// child, who always sees their own answers).
func (d fragData) ChildAnswer(a board.Area) board.ChildAnswer { return d.B.Compass[a].Child }

// ChildWords is the child's words about the area of d, as a text field's value.
func (d fragData) ChildWords() board.Text { return d.B.Compass[d.Area].Child.Words }

// Coordinator is the name of the team's Stödsamordnare, who sees the child's answers
// before the child shares them.
func (d fragData) Coordinator() string {
	for _, m := range d.D.Members {
		if m.Role == board.RoleCoordinator {
			return m.Name
		}
	}
	return ""
}

// ChildWheel draws the wheel of the child's own answers; each segment leads to its
// question.
func (d fragData) ChildWheel() template.HTML {
	l := compassLabels(d.P, d.D)
	l.Unrated = d.P.T("child.not_answered")
	l.Title = d.P.T("child.wheel_title")
	l.Desc = d.P.T("child.wheel_desc")
	answers := map[board.Area]board.Rating{}
	for _, a := range board.Areas {
		if r := d.B.Compass[a].Child.Rating; r != "" {
			answers[a] = r
		}
	}
	return template.HTML(compass.Wheel(answers, l, compass.Options{
		ID: "child-wheel-svg", Dir: d.P.Dir(), Lang: d.P.Lang, Scale: d.FaceScale(),
		Href: func(a board.Area) string { return "#q-" + string(a) },
	}))
}

// planGoal is a goal with the actions that serve it, for the views that show the plan.
type planGoal struct {
	Goal    *board.Goal
	Actions []*board.Action
}

// planArea is one area's goals.
type planArea struct {
	Area  board.Area
	Goals []planGoal
}

// PlanAreas lists the areas that have goals, each goal with its linked actions, in
// compass order.
func (d fragData) PlanAreas() []planArea {
	var out []planArea
	for _, a := range board.Areas {
		goals := d.GoalsWithActions(a)
		if len(goals) > 0 {
			out = append(out, planArea{Area: a, Goals: goals})
		}
	}
	return out
}

// GoalsWithActions lists an area's goals, each with the live actions linked to it.
func (d fragData) GoalsWithActions(a board.Area) []planGoal {
	goals := d.B.GoalsFor(a)
	if len(goals) == 0 {
		return nil
	}
	actions := d.B.ActionList()
	out := make([]planGoal, len(goals))
	for i, g := range goals {
		out[i].Goal = g
		for _, x := range actions {
			if x.GoalID == g.ID {
				out[i].Actions = append(out[i].Actions, x)
			}
		}
	}
	return out
}

// AreaNumber is an area's 1-based place in the compass, for "Fråga 3 av 8".
func AreaNumber(a board.Area) int {
	for i, x := range board.Areas {
		if x == a {
			return i + 1
		}
	}
	return 0
}
