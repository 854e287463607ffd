package server

import (
	"github.com/barnteam/barnteam/server/board"
)

// The shared screen's view: the room's projector or TV shows the meeting in large type,
// read-only, following the current agenda item, with the needs compass, the goals and the
// actions. It never shows what is private: the screen's variant has no role, so the
// child's answers reach it only once the child shares them, and it shows no one's
// presence, the lobby or links.

// screenRegions lists the shared screen's regions: all of them for a snapshot (ch nil),
// else those a change touched.
func screenRegions(data fragData, ch *board.Change) []region {
	now := region{"screen-now", "screen-now", data}
	status := region{"meeting-status", "meeting-status", data}
	drawing := region{"screen-compass", "screen-compass", data}
	goals := region{"screen-goals", "screen-goals", data}
	actions := region{"screen-actions", "screen-actions", data}
	switch {
	case ch == nil:
		return []region{status, now, drawing, goals, actions}
	case ch.Meeting != nil:
		return []region{status, now}
	case ch.Agenda != nil, ch.Plan != nil:
		return []region{now}
	case ch.Compass != nil:
		// Ratings and the child's shared words; the texts of an area are not on the screen.
		if ch.Kind == board.OpRate || ch.Kind == board.OpShare || ch.Field == "child_words" {
			return []region{drawing}
		}
	case ch.Goal != nil:
		return []region{goals, actions}
	case ch.Action != nil:
		if ch.Action.GoalID != "" || ch.Field == "goal_id" {
			return []region{actions, goals}
		}
		return []region{actions}
	}
	return nil
}

// ScreenDrawing is the radar as the shared screen shows it: nothing private.
func (d fragData) ScreenDrawing() compassDrawing {
	return drawCompass(d.P, d.B, d.D, false, "screen-radar", 0)
}

// sharedWords is one area's words the child shared.
type sharedWords struct {
	Area  board.Area
	Words string
}

// SharedChildWords lists the child's own words that the child has shared, in compass order.
func (d fragData) SharedChildWords() []sharedWords {
	var out []sharedWords
	for _, a := range board.Areas {
		if c := d.B.Compass[a].Child; c.Shared && c.Words.Value != "" {
			out = append(out, sharedWords{a, c.Words.Value})
		}
	}
	return out
}
