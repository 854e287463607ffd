package server

import (
	"fmt"
	"sort"
	"time"

	"github.com/barnteam/barnteam/server/board"
)

// The plan as the board's "plan" region shows it: its fields while it is a draft, and the
// sign-off of the version being signed: who has approved, who is still to, live.

// signRow is one person on the sign-off list.
type signRow struct {
	Member   board.Member
	Required bool
	Sig      *board.Signature
}

// planView is the sign-off of the plan's latest version for one viewer.
type planView struct {
	Plan     *board.PlanState
	Rows     []signRow
	Signed   int // required signers who have signed
	Required int
	// Optional lists who may sign without having to (the network, a younger child) and
	// has not.
	Optional []board.Member
}

// PlanView is the plan's sign-off for the viewer.
func (d fragData) PlanView() planView {
	p := &d.B.Plan
	v := planView{Plan: p}
	required := map[string]bool{}
	for _, m := range board.RequiredSigners(d.D, d.now().In(stockholm).Year(), d.childSignAge) {
		required[m.ID] = true
	}
	// The region is rendered once per variant (language, role), not per person: it lists
	// everyone's state, and each person's own signing happens on the plan page.
	for _, m := range d.D.Members {
		row := signRow{Member: m, Required: required[m.ID]}
		if s, ok := p.SignatureOf(m.ID); ok {
			row.Sig = &s
		}
		if row.Required {
			v.Required++
			if row.Sig != nil {
				v.Signed++
			}
		}
		if row.Required || row.Sig != nil {
			v.Rows = append(v.Rows, row)
		} else if p.Status == board.PlanSigning {
			v.Optional = append(v.Optional, m)
		}
	}
	return v
}

// NextVersion is the number the next freeze gives the plan.
func (d fragData) NextVersion() int { return d.B.Plan.Version + 1 }

// Date formats a time as a Swedish civil date and time for people.
func (d fragData) Date(t time.Time) string { return t.In(stockholm).Format("2006-01-02 15:04") }

// PlanChoice is the words for a chosen value of one of the plan's choice fields.
func (d fragData) PlanChoice(field, value string) string {
	if value == "" {
		return d.P.T("common.not_set")
	}
	switch field {
	case "participation":
		return d.P.T(fmt.Sprintf("plan.participation.%s", value))
	case "lead_org":
		if o, ok := d.D.Org(value); ok {
			return o.Name
		}
	case "convener":
		if m, ok := d.D.Member(value); ok {
			return m.Name
		}
	}
	return "?"
}

// Staff reports whether the viewer is a professional (staff exports are theirs).
func (d fragData) Staff() bool { return d.V.Role.IsStaff() }

// planNeeds lists the areas of a plan that have a need or goals: the prioritised needs
// first, by priority, then the others in compass order.
func planNeeds(doc board.PlanDoc) []board.PlanArea {
	var out []board.PlanArea
	for _, a := range doc.Areas {
		if a.Need != "" || len(a.Goals) > 0 {
			out = append(out, a)
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		pi, pj := out[i].Priority, out[j].Priority
		return pi != 0 && (pj == 0 || pi < pj)
	})
	return out
}
