package server

import (
	"fmt"
	"html"
	"html/template"
	"strings"

	"github.com/barnteam/barnteam/server/board"
	"github.com/barnteam/barnteam/server/secret"
)

// Hot paths of rendering, written in Go rather than as templates. Every event re-renders
// the regions it touched once per variant, and an action's item has seven small forms with
// four drop-downs: as template actions, that was some 300 reflective calls (a quarter of a
// millisecond) per item. These helpers build the same HTML with html.EscapeString, which
// escapes for both element content and quoted attribute values; what they return goes
// into element content only.

// opHidden is the hidden part of every op form: a fresh cid for a create (so a resent
// form is applied once), the op and the entity.
func opHidden(op, entity string) template.HTML {
	var b strings.Builder
	if op == "create" {
		b.WriteString(`<input type="hidden" name="cid" value="f`)
		b.WriteString(secret.ID(21))
		b.WriteString(`">`)
	}
	b.WriteString(`<input type="hidden" name="op" value="`)
	b.WriteString(html.EscapeString(op))
	b.WriteString(`"><input type="hidden" name="entity" value="`)
	b.WriteString(html.EscapeString(entity))
	b.WriteString(`">`)
	return template.HTML(b.String())
}

// writeOption writes one <option>.
func writeOption(b *strings.Builder, value, label string, selected bool) {
	b.WriteString(`<option value="`)
	b.WriteString(html.EscapeString(value))
	b.WriteByte('"')
	if selected {
		b.WriteString(" selected")
	}
	b.WriteByte('>')
	b.WriteString(html.EscapeString(label))
	b.WriteString("</option>")
}

// AreaOptions are the options of an area drop-down: none, then the eight areas by their
// names in the viewer's language.
func (d fragData) AreaOptions(selected board.Area) template.HTML {
	var b strings.Builder
	writeOption(&b, "", d.P.T("common.none"), selected == "")
	for _, a := range board.Areas {
		writeOption(&b, string(a), d.P.T("area."+string(a)), a == selected)
	}
	return template.HTML(b.String())
}

// GoalOptions are the options of an action's goal drop-down: none, then every goal by
// area, as "Area: the goal's first 60 characters".
func (d fragData) GoalOptions(selected string) template.HTML {
	var b strings.Builder
	writeOption(&b, "", d.P.T("common.none"), selected == "")
	for _, a := range board.Areas {
		label := d.P.T("area." + string(a))
		for _, g := range d.B.GoalsFor(a) {
			writeOption(&b, g.ID, label+": "+truncate(g.Text.Value, 60), g.ID == selected)
		}
	}
	return template.HTML(b.String())
}

// StatusOptions are the options of an action's status drop-down.
func (d fragData) StatusOptions(selected board.ActionStatus) template.HTML {
	var b strings.Builder
	for _, s := range board.ActionStatuses {
		writeOption(&b, string(s), d.P.T(fmt.Sprintf("action.status.%s", s)), s == selected)
	}
	return template.HTML(b.String())
}

// ResponsibleOptions are the options of the "who is responsible" drop-down: not set, the
// team's people (with their role), the organisations. x is the action (nil for a new one).
func (d fragData) ResponsibleOptions(x *board.Action) template.HTML {
	var b strings.Builder
	writeOption(&b, "", d.P.T("common.not_set"), false)
	b.WriteString(`<optgroup label="`)
	b.WriteString(html.EscapeString(d.P.T("action.people")))
	b.WriteString(`">`)
	for _, m := range d.D.Members {
		writeOption(&b, "member:"+m.ID, m.Name+" ("+d.P.T("role."+string(m.Role))+")", x != nil && x.ResponsibleMember == m.ID)
	}
	b.WriteString(`</optgroup><optgroup label="`)
	b.WriteString(html.EscapeString(d.P.T("action.orgs")))
	b.WriteString(`">`)
	for _, o := range d.D.Orgs {
		writeOption(&b, "org:"+o.ID, o.Name, x != nil && x.ResponsibleOrg == o.ID)
	}
	b.WriteString(`</optgroup>`)
	return template.HTML(b.String())
}
