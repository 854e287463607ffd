package main

import (
	"maps"
	"slices"
	"strings"

	"github.com/barnteam/barnteam/server/board"
)

// The mix of ops a meeting's participants make, within what docs/PERMISSIONS.md lets each
// role do: mostly text edits (from the revision the client has, so concurrent edits are
// merged or refused as conflicts), some ratings (from one's own perspective only),
// actions and goals made, edited, moved and deleted, occasionally the agenda reshaped or
// the current item moved on by the coordinator.

var areas = []string{"trygghet", "halsa", "utveckling", "omsorg", "fritid", "tillhorighet", "respekt", "ansvar"}

// compassFields every adult role may write (compass.write, compass.child_voice,
// compass.guardians_view).
var compassFields = []string{"works", "worries", "child_voice", "guardians_view"}

var words = strings.Fields("barnet trivs bättre på rasterna men oroar sig inför måndagar och läxor " +
	"skolan ser framsteg i läsning vårdnadshavarna beskriver sömn som svår ibland mormor hjälper " +
	"till fritids fungerar fotbollen ger glädje kompisar saknas ibland mentorn följer upp varje vecka")

type weighted struct {
	w int
	f func(c *client) *clientOp
}

// makeOp makes the client's next op from its model and queues it.
func (c *client) makeOp() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if op := c.genOp(); op != nil {
		c.queue(*op)
	}
}

// genOp picks an op for the client's role. Caller holds mu.
func (c *client) genOp() *clientOp {
	role := c.me.Role
	staff := role.IsStaff()
	mix := []weighted{
		{55, (*client).compassText},
		{10, (*client).rate},
		{9, (*client).actionOp},
		{7, (*client).goalOp},
	}
	if staff { // agenda.notes
		mix = append(mix, weighted{15, (*client).agendaNotes})
	} else {
		mix[0].w += 15
	}
	if role == board.RoleCoordinator || role == board.RoleChildContact { // agenda.structure
		mix = append(mix, weighted{3, (*client).agendaStructure})
	}
	if role == board.RoleCoordinator { // meeting.control
		mix = append(mix, weighted{1, (*client).gotoItem})
	}
	total := 0
	for _, m := range mix {
		total += m.w
	}
	n := c.rng.IntN(total)
	for _, m := range mix {
		if n < m.w {
			if op := m.f(c); op != nil {
				return op
			}
			return c.compassText() // nothing to do of that kind yet
		}
		n -= m.w
	}
	return c.compassText()
}

func (c *client) pick(xs []string) string { return xs[c.rng.IntN(len(xs))] }

// edit changes a text the way a person does: a word added, replaced or removed, or (a
// long text) rewritten.
func (c *client) edit(old string, max int) string {
	ws := strings.Fields(old)
	if len(old) > max || len(ws) == 0 {
		n := 3 + c.rng.IntN(5)
		out := make([]string, n)
		for i := range out {
			out[i] = c.pick(words)
		}
		return strings.Join(out, " ")
	}
	i := c.rng.IntN(len(ws))
	switch c.rng.IntN(3) {
	case 0:
		ws = slices.Insert(ws, i, c.pick(words))
	case 1:
		ws[i] = c.pick(words)
	default:
		if len(ws) > 1 {
			ws = slices.Delete(ws, i, i+1)
		} else {
			ws = append(ws, c.pick(words))
		}
	}
	return strings.Join(ws, " ")
}

// textSet is a text set from the client's revision of the field.
func (c *client) textSet(entity, field string, max int) *clientOp {
	cur := c.model.texts[entity+"#"+field]
	return &clientOp{Op: "set", Entity: entity, Base: cur.R,
		Data: map[string]any{"field": field, "value": c.edit(cur.V, max)}}
}

func (c *client) compassText() *clientOp {
	return c.textSet("compass/"+c.pick(areas), c.pick(compassFields), 400)
}

func (c *client) agendaNotes() *clientOp {
	ids := sortedIDs(c.model.agenda)
	if len(ids) == 0 {
		return nil
	}
	return c.textSet("agenda/"+c.pick(ids), "notes", 600)
}

// rate: guardians as themselves, staff in the shared professionals' perspective.
func (c *client) rate() *clientOp {
	persp := "professionals"
	if c.me.Role == board.RoleGuardian {
		persp = "guardian:" + c.me.ID
	}
	values := []string{"1", "2", "3", "4", "5", "1", "2", "3", "4", "5", "unknown", "declined", ""}
	return &clientOp{Op: "rate", Entity: "compass/" + c.pick(areas),
		Data: map[string]any{"perspective": persp, "value": c.pick(values)}}
}

func (c *client) after(ids []string, self string) string {
	if len(ids) == 0 || c.rng.IntN(5) == 0 {
		return ""
	}
	a := c.pick(ids)
	if a == self {
		return ""
	}
	return a
}

const maxLiveItems = 12 // per list, so the boards stay the size of a real meeting's

func (c *client) goalOp() *clientOp {
	ids := sortedIDs(c.model.goals)
	n := c.rng.IntN(100)
	switch {
	case len(ids) < 3 || (n < 25 && len(ids) < maxLiveItems):
		return &clientOp{Op: "create", Entity: "goal/g" + randID(c.rng, 10), Data: map[string]any{
			"area": c.pick(areas), "term": c.pick([]string{"long", "short"}), "text": c.edit("", 0)}}
	case n < 40:
		id := c.pick(ids)
		return &clientOp{Op: "move", Entity: "goal/" + id, Data: map[string]any{"after": c.after(ids, id)}}
	case n < 55 && c.me.Role.IsStaff(): // goal.delete
		return &clientOp{Op: "delete", Entity: "goal/" + c.pick(ids), Data: map[string]any{}}
	case n < 75:
		return c.textSet("goal/"+c.pick(ids), "evidence", 300)
	}
	return c.textSet("goal/"+c.pick(ids), "text", 300)
}

func (c *client) actionOp() *clientOp {
	ids := sortedIDs(c.model.actions)
	n := c.rng.IntN(100)
	switch {
	case len(ids) < 3 || (n < 25 && len(ids) < maxLiveItems):
		d := map[string]any{"what": c.edit("", 0), "area": c.pick(areas), "responsible": "member:" + c.me.ID}
		if goals := sortedIDs(c.model.goals); len(goals) > 0 && c.rng.IntN(2) == 0 {
			d["goal_id"] = c.pick(goals)
		}
		return &clientOp{Op: "create", Entity: "action/a" + randID(c.rng, 10), Data: d}
	case n < 40:
		id := c.pick(ids)
		return &clientOp{Op: "move", Entity: "action/" + id, Data: map[string]any{"after": c.after(ids, id)}}
	case n < 55 && c.me.Role.IsStaff(): // action.delete
		return &clientOp{Op: "delete", Entity: "action/" + c.pick(ids), Data: map[string]any{}}
	case n < 65:
		return &clientOp{Op: "set", Entity: "action/" + c.pick(ids), Data: map[string]any{
			"field": "status", "value": c.pick([]string{"planned", "ongoing", "done", "not_done"})}}
	}
	return c.textSet("action/"+c.pick(ids), "what", 300)
}

func (c *client) agendaStructure() *clientOp {
	ids := sortedIDs(c.model.agenda)
	n := c.rng.IntN(100)
	switch {
	case len(ids) < 3 || (n < 30 && len(ids) < 8):
		return &clientOp{Op: "create", Entity: "agenda/p" + randID(c.rng, 10), Data: map[string]any{
			"title": "Punkt " + c.pick(words), "timebox_min": 5 + c.rng.IntN(20)}}
	case n < 70:
		id := c.pick(ids)
		return &clientOp{Op: "move", Entity: "agenda/" + id, Data: map[string]any{"after": c.after(ids, id)}}
	case n < 85 && len(ids) > 4:
		id := c.pick(ids)
		if id == c.model.current {
			return nil
		}
		return &clientOp{Op: "delete", Entity: "agenda/" + id, Data: map[string]any{}}
	}
	return c.textSet("agenda/"+c.pick(ids), "title", 150)
}

// gotoItem moves the meeting on, from the current item the client saw.
func (c *client) gotoItem() *clientOp {
	ids := sortedIDs(c.model.agenda)
	if len(ids) == 0 {
		return nil
	}
	return &clientOp{Op: "goto", Entity: "meeting", Data: map[string]any{"from": c.model.current, "to": c.pick(ids)}}
}

func sortedIDs[V any](m map[string]V) []string {
	return slices.Sorted(maps.Keys(m))
}
