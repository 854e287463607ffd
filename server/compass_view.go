package server

import (
	"html/template"

	"github.com/barnteam/barnteam/server/board"
	"github.com/barnteam/barnteam/server/compass"
	"github.com/barnteam/barnteam/server/i18n"
)

// The needs compass as the board, the child view and the shared screen draw it: the
// translated (and configurable) labels, and the perspectives as a viewer may see them.

// compassLabels are the drawing's words in the printer's language.
func compassLabels(p i18n.Printer, d *board.Directory) compass.Labels {
	l := compass.Labels{
		Area: map[board.Area]string{}, ChildArea: map[board.Area]string{},
		Unrated: p.T("rating.unrated"), Unknown: p.T("rating.unknown"), Declined: p.T("rating.declined"),
		Title:       p.T("compass.drawing_title", "name", d.Team.ChildFirstName),
		Desc:        p.T("compass.drawing_desc"),
		AreaHeading: p.T("compass.area_heading"),
	}
	for _, a := range board.Areas {
		l.Area[a] = p.T("area." + string(a))
		l.ChildArea[a] = p.T("area." + string(a) + ".child")
	}
	for i := range l.Scale {
		l.Scale[i] = p.T("rating." + string(rune('1'+i)))
	}
	return l
}

// compassPerspectives are the rating outlines side by side: the child (whose answers
// only the child and the coordinator see until the child shares them), each guardian,
// the professionals. Never averaged.
func compassPerspectives(p i18n.Printer, b *board.Board, d *board.Directory, private bool) []compass.Perspective {
	child := compass.Perspective{Key: board.PerspectiveChild, Label: p.T("rating.perspective.child", "name", d.Team.ChildFirstName), Ratings: map[board.Area]board.Rating{}}
	out := []compass.Perspective{child}
	for _, m := range d.Members {
		if m.Role == board.RoleGuardian {
			out = append(out, compass.Perspective{Key: board.GuardianPerspective(m.ID), Label: p.T("rating.perspective.guardian", "name", m.Name), Ratings: map[board.Area]board.Rating{}})
		}
	}
	out = append(out, compass.Perspective{Key: board.PerspectiveProfessionals, Label: p.T("rating.perspective.professionals"), Ratings: map[board.Area]board.Rating{}})
	for _, a := range board.Areas {
		e := b.Compass[a].ForViewer(private)
		for _, ps := range out {
			if r := e.RatingOf(ps.Key); r != "" {
				ps.Ratings[a] = r
			}
		}
	}
	return out
}

// compassDrawing is the radar and the same numbers as a table, for one viewer.
type compassDrawing struct {
	SVG   template.HTML
	Table template.HTML
}

// drawCompass draws the adults' radar for a viewer. id must be unique in the page.
func drawCompass(p i18n.Printer, b *board.Board, d *board.Directory, private bool, id string, size int) compassDrawing {
	persp := compassPerspectives(p, b, d, private)
	l := compassLabels(p, d)
	opt := compass.Options{ID: id, Dir: p.Dir(), Lang: p.Lang, Size: size}
	// Both are built by package compass, which escapes every text it writes.
	return compassDrawing{
		SVG:   template.HTML(compass.Radar(persp, l, opt)),
		Table: template.HTML(compass.Table(persp, l, id+"-table")),
	}
}
