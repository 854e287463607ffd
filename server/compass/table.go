package compass

import "github.com/barnteam/barnteam/server/board"

// Table gives the radar's numbers as an accessible HTML table: the title as caption, one
// column per perspective (its label isolated in <bdi>), one row per area in board.Areas
// order, and each cell in words (RatingText): the unrated label where a perspective has
// not rated an area. Each cell carries data-rating: the value, or "none" for unrated.
// id is the table's id ("" for none). All text is escaped.
func Table(persp []Perspective, l Labels, id string) string {
	w := &buf{b: make([]byte, 0, 1024+len(board.Areas)*len(persp)*64)}
	w.s(`<table class="compass-table"`)
	if id != "" {
		w.attr("id", id)
	}
	w.s(">\n")
	if clean(l.Title) != "" {
		w.s("<caption>").esc(l.Title).s("</caption>\n")
	}
	w.s("<thead><tr>")
	if clean(l.AreaHeading) != "" {
		w.s(`<th scope="col">`).esc(l.AreaHeading).s("</th>")
	} else {
		w.s("<td></td>")
	}
	for _, p := range persp {
		name := p.Label
		if clean(name) == "" {
			name = p.Key
		}
		w.s(`<th scope="col"`).attr("data-perspective", p.Key).s("><bdi>").esc(name).s("</bdi></th>")
	}
	w.s("</tr></thead>\n<tbody>\n")
	for _, a := range board.Areas {
		w.s(`<tr`).attr("data-area", string(a)).s(`><th scope="row">`).esc(areaLabel(l, a)).s("</th>")
		for _, p := range persp {
			r, ok := p.Ratings[a]
			v := string(r)
			if !ok || !r.Valid() {
				v = "none"
			}
			w.s("<td").attr("data-rating", v).s(">").esc(RatingText(r, l)).s("</td>")
		}
		w.s("</tr>\n")
	}
	w.s("</tbody>\n</table>\n")
	return w.String()
}
