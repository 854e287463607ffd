package compass

import (
	"math"
	"strings"

	"github.com/barnteam/barnteam/server/board"
)

// Layout is the geometry of the radar, in viewBox units ("0 0 Width Height", y down).
// Radar draws it as SVG; a PDF can draw the same picture from the same numbers.
type Layout struct {
	Width, Height float64
	Centre        Point
	Radius        float64 // of level 5, centre to vertex of the outer octagon
	RTL           bool    // axes go counter-clockwise, the legend is mirrored
	Stroke        float64 // outline stroke width
	MarkerRadius  float64
	Axes          []Axis  // in board.Areas order
	Levels        []Level // levels 1..5, inner first
	Perspectives  []PerspectiveLayout
	ScaleKey      TextBlock // "1 = Mycket dåligt · 5 = Mycket bra"; no lines if the labels lack them
}

// Axis is one area's spoke and label.
type Axis struct {
	Area  board.Area
	Angle float64 // radians from 12 o'clock, clockwise as drawn (counter-clockwise in RTL: negative)
	End   Point   // outer end of the spoke, at level 5
	Label TextBlock
}

// Level is one concentric octagon.
type Level struct {
	Level   int
	Radius  float64
	Ring    []Point   // one vertex per axis
	Numeral TextBlock // the level's number beside the first axis
}

// PerspectiveLayout is one perspective's outline.
type PerspectiveLayout struct {
	Key, Label string
	Style      Style
	Levels     []int    // per axis: 1..5, or 0 where not plotted (unrated, unknown, declined)
	Points     []*Point // per axis: the plotted point, or nil where not plotted; never the centre
	Runs       []Run    // the outline, broken where an axis is not plotted
	Legend     LegendEntry
}

// Run is a stretch of the outline over consecutive plotted axes. A run of one point is a
// lone marker; a run over all axes is Closed (draw back to the first point).
type Run struct {
	Axes   []int // indexes into Layout.Axes
	Points []Point
	Closed bool
}

// Segments is the number of straight segments drawn for the run.
func (r Run) Segments() int {
	if r.Closed {
		return len(r.Points)
	}
	return len(r.Points) - 1
}

// LegendEntry is one perspective's line in the legend.
type LegendEntry struct {
	Line      [2]Point // the sample of the line style
	Marker    Point
	Text      TextBlock
	NameLines int // the first NameLines lines are the perspective's label (user text); the rest is ours
}

// measures of the radar, as fractions of Options.Size
const (
	radarRadius    = 0.45
	radarLabelFont = 0.06
	radarLabelGap  = 0.035
	radarLegend    = 0.055
	radarNumeral   = 0.035
	radarScaleKey  = 0.045
	radarStroke    = 0.00625 // 2.5 at 400
	radarMarker    = 0.016
	radarPad       = 0.02
	// area labels wrap at ~14 characters, up to 18 before hyphenating, into at most 3 lines
	labelChars, labelWidest, labelLines = 14, 18, 3
)

// RadarLayout computes the radar: axes at equal angles starting at 12 o'clock, levels
// 1..5 as concentric octagons (level k at k/5 of the radius, so no rating sits at the
// centre), area labels wrapped and placed outside the octagon with their alignment by
// angle, each perspective's points and runs, and the legend below. The viewBox is sized
// to include everything and is symmetric about the centre.
func RadarLayout(persp []Perspective, l Labels, opt Options) Layout {
	S := opt.size()
	R := radarRadius * S
	n := len(board.Areas)
	lay := Layout{
		Radius:       R,
		Stroke:       radarStroke * S,
		MarkerRadius: radarMarker * S,
		Axes:         make([]Axis, n),
		Levels:       make([]Level, 5),
		Perspectives: make([]PerspectiveLayout, len(persp)),
	}
	mr := lay.MarkerRadius

	// Everything is computed left to right around (0, 0), then mirrored for RTL and moved.
	labelFont := radarLabelFont * S
	bottom := R + mr
	for i, a := range board.Areas {
		angle := 2 * math.Pi * float64(i) / float64(n)
		sin, cos := math.Sincos(angle)
		anchor := polar(angle, R+radarLabelGap*S)
		h := AlignCenter
		if sin > 0.3 {
			h = AlignLeft
		} else if sin < -0.3 {
			h = AlignRight
		}
		v := vMiddle
		if cos > 0.3 {
			v = vBottom
		} else if cos < -0.3 {
			v = vTop
		}
		lines := Wrap(areaLabel(l, a), labelChars, labelWidest, labelLines)
		lay.Axes[i] = Axis{Area: a, Angle: angle, End: polar(angle, R), Label: block(lines, labelFont, anchor.X, anchor.Y, h, v)}
		bottom = max(bottom, lay.Axes[i].Label.Box.Y1)
	}
	numFont := radarNumeral * S
	for k := 1; k <= 5; k++ {
		r := R * float64(k) / 5
		ring := make([]Point, n)
		for i := range n {
			ring[i] = polar(lay.Axes[i].Angle, r)
		}
		lay.Levels[k-1] = Level{Level: k, Radius: r, Ring: ring,
			Numeral: block([]string{string(rune('0' + k))}, numFont, mr+0.005*S, -r, AlignLeft, vMiddle)}
	}

	// legend: below the chart and its bottom labels (centred below, once its width is known)
	legFont := radarLegend * S
	sample := 0.09 * S
	textX := -R + sample + 0.025*S
	chars := max(int((R-textX)/(CharEm*legFont)), 8)
	y := bottom + 0.05*S
	for j, p := range persp {
		name := clean(p.Label)
		if name == "" {
			name = clean(p.Key)
		}
		lines := Wrap(name, chars, chars, 3)
		nameLines := len(lines)
		pl := PerspectiveLayout{Key: p.Key, Label: p.Label, Style: StyleFor(j), Levels: make([]int, n), Points: make([]*Point, n)}
		hasAny := false
		for i, a := range board.Areas {
			r, ok := p.Ratings[a]
			hasAny = hasAny || (ok && r.Valid())
			if k := level(r); k > 0 {
				pt := polar(lay.Axes[i].Angle, R*float64(k)/5)
				pl.Levels[i], pl.Points[i] = k, &pt
			}
		}
		if !hasAny && clean(l.Unrated) != "" {
			lines = append(lines, Wrap(l.Unrated, chars, chars, 2)...)
		}
		pl.Runs = runs(pl.Points)
		text := block(lines, legFont, textX, y, AlignLeft, vTop)
		mid := y + LineEm*legFont/2
		pl.Legend = LegendEntry{Line: [2]Point{{-R, mid}, {-R + sample, mid}}, Marker: Point{-R + sample/2, mid}, Text: text, NameLines: nameLines}
		lay.Perspectives[j] = pl
		y = text.Box.Y1 + 0.35*legFont
	}
	if lo, hi := clean(l.Scale[0]), clean(l.Scale[4]); lo != "" && hi != "" {
		keyFont := radarScaleKey * S
		a, b := "1 = "+lo, "5 = "+hi
		lines := []string{a + " · " + b}
		if textWidth(lines[0], keyFont) > 2*R {
			lines = []string{a, b}
		}
		lay.ScaleKey = block(lines, keyFont, -R, y+0.15*legFont, AlignLeft, vTop)
	}

	// centre the legend under the chart
	var legendW float64
	for _, p := range lay.Perspectives {
		legendW = max(legendW, p.Legend.Text.Box.X1+R)
	}
	if len(lay.ScaleKey.Lines) > 0 {
		legendW = max(legendW, lay.ScaleKey.Box.X1+R)
	}
	if dx := -legendW/2 + R; dx > 0 {
		for i := range lay.Perspectives {
			e := &lay.Perspectives[i].Legend
			e.Line = [2]Point{e.Line[0].shift(dx, 0), e.Line[1].shift(dx, 0)}
			e.Marker = e.Marker.shift(dx, 0)
			e.Text = e.Text.shift(dx, 0)
		}
		if len(lay.ScaleKey.Lines) > 0 {
			lay.ScaleKey = lay.ScaleKey.shift(dx, 0)
		}
	}

	// the extent: symmetric about the centre horizontally
	ext := Rect{-R - mr, -R - mr, R + mr, R + mr}
	for _, ax := range lay.Axes {
		ext = ext.union(ax.Label.Box)
	}
	for _, lv := range lay.Levels {
		ext = ext.union(lv.Numeral.Box)
	}
	for _, p := range lay.Perspectives {
		ext = ext.union(p.Legend.Text.Box).union(rectAt(p.Legend.Marker, 2.8*mr, 2.8*mr))
	}
	if len(lay.ScaleKey.Lines) > 0 {
		ext = ext.union(lay.ScaleKey.Box)
	}
	pad := radarPad * S
	half := max(-ext.X0, ext.X1) + pad
	lay.Width, lay.Height = 2*half, ext.Y1-ext.Y0+2*pad
	dx, dy := half, -ext.Y0+pad

	lay.RTL = opt.rtl()
	lay.transform(lay.RTL, dx, dy)
	return lay
}

// runs splits the cyclic sequence of points into stretches of consecutive plotted axes,
// in order of their first axis; the stretch over the last and first axes wraps around.
func runs(pts []*Point) []Run {
	n := len(pts)
	all := true
	for _, p := range pts {
		all = all && p != nil
	}
	if all && n > 0 {
		r := Run{Closed: true}
		for i, p := range pts {
			r.Axes, r.Points = append(r.Axes, i), append(r.Points, *p)
		}
		return []Run{r}
	}
	var out []Run
	for i := range n {
		if pts[i] == nil || pts[(i+n-1)%n] != nil {
			continue // not the start of a stretch
		}
		var r Run
		for j := i; pts[j%n] != nil; j++ {
			r.Axes, r.Points = append(r.Axes, j%n), append(r.Points, *pts[j%n])
		}
		out = append(out, r)
	}
	return out
}

// transform mirrors the layout (for RTL) and moves it by (dx, dy).
func (lay *Layout) transform(mirror bool, dx, dy float64) {
	pt := func(p Point) Point {
		if mirror {
			p = p.mirror()
		}
		return p.shift(dx, dy)
	}
	tb := func(t TextBlock) TextBlock {
		if mirror {
			t = t.mirror()
		}
		return t.shift(dx, dy)
	}
	lay.Centre = pt(Point{})
	for i := range lay.Axes {
		a := &lay.Axes[i]
		if mirror {
			a.Angle = -a.Angle
		}
		a.End, a.Label = pt(a.End), tb(a.Label)
	}
	for i := range lay.Levels {
		lv := &lay.Levels[i]
		for j := range lv.Ring {
			lv.Ring[j] = pt(lv.Ring[j])
		}
		lv.Numeral = tb(lv.Numeral)
	}
	for i := range lay.Perspectives {
		p := &lay.Perspectives[i]
		for j, q := range p.Points {
			if q != nil {
				m := pt(*q)
				p.Points[j] = &m
			}
		}
		for j := range p.Runs {
			for k := range p.Runs[j].Points {
				p.Runs[j].Points[k] = pt(p.Runs[j].Points[k])
			}
		}
		p.Legend.Line = [2]Point{pt(p.Legend.Line[0]), pt(p.Legend.Line[1])}
		p.Legend.Marker = pt(p.Legend.Marker)
		p.Legend.Text = tb(p.Legend.Text)
	}
	if len(lay.ScaleKey.Lines) > 0 {
		lay.ScaleKey = tb(lay.ScaleKey)
	}
}

// Radar draws the needs compass for the adults: one outline per perspective, told apart by
// colour, dash pattern and marker shape. An axis that a perspective has not rated, or
// answered "vet inte" or "vill inte svara", is not plotted: the outline is broken there,
// and a rated point between two such axes is a lone marker. The first perspective is drawn
// on top. The description states every value in words; Table gives the same numbers.
func Radar(persp []Perspective, l Labels, opt Options) string {
	lay := RadarLayout(persp, l, opt)
	id := opt.id()
	rtl := lay.RTL
	w := &buf{b: make([]byte, 0, 6144+1024*len(persp))}
	w.svgOpen("compass compass-radar", "img", id, lay.Width, lay.Height, opt, l.Title, radarDesc(persp, l))
	dir := ""
	if rtl {
		dir = ` direction="rtl"`
	}

	// the grid: level octagons and spokes
	outer := lay.Levels[4]
	w.s(`<g class="compass-grid" fill="none" stroke-linejoin="round">` + "\n")
	w.s(`<polygon points="`).points(outer.Ring).s(`" fill="#ffffff" stroke="`+ColorFrame+`"`).fattr("stroke-width", lay.Stroke*0.6).s("/>\n")
	for _, ax := range lay.Axes {
		w.s(`<line`).fattr("x1", lay.Centre.X).fattr("y1", lay.Centre.Y).fattr("x2", ax.End.X).fattr("y2", ax.End.Y).s(` stroke="`+ColorGrid+`"`).fattr("stroke-width", lay.Stroke*0.4).s("/>\n")
	}
	for _, lv := range lay.Levels[:4] {
		w.s(`<polygon points="`).points(lv.Ring).s(`" stroke="`+ColorGrid+`"`).fattr("stroke-width", lay.Stroke*0.4).s("/>\n")
	}
	w.s("</g>\n")

	w.s(`<g class="compass-levels" fill="`+ColorMuted+`"`).fattr("font-size", lay.Levels[0].Numeral.FontSize).s(dir + ">\n")
	for _, lv := range lay.Levels {
		w.text(lv.Numeral, rtl)
	}
	w.s("</g>\n")

	w.s(`<g class="compass-labels" fill="`+ColorInk+`"`).fattr("font-size", lay.Axes[0].Label.FontSize).s(dir + ">\n")
	for _, ax := range lay.Axes {
		w.text(ax.Label, rtl)
	}
	w.s("</g>\n")

	// outlines, the first perspective last so that it lies on top
	for j := len(lay.Perspectives) - 1; j >= 0; j-- {
		p := lay.Perspectives[j]
		w.s(`<g class="compass-outline"`).attr("data-perspective", p.Key).s(">\n")
		if len(p.Runs) > 0 {
			w.s(`<g fill="none" stroke="`).s(p.Style.Color).s(`"`).fattr("stroke-width", lay.Stroke).s(` stroke-linejoin="round" stroke-linecap="round"`)
			w.dash(p.Style.Dash, lay.Stroke)
			w.s(">\n")
			for _, r := range p.Runs {
				switch {
				case r.Closed:
					w.s(`<polygon points="`).points(r.Points).s(`"/>` + "\n")
				case len(r.Points) > 1:
					w.s(`<polyline points="`).points(r.Points).s(`"/>` + "\n")
				}
			}
			w.s("</g>\n")
			w.s(`<g fill="`).s(p.Style.Color).s(`" stroke="#ffffff"`).fattr("stroke-width", lay.Stroke*0.6).s(">\n")
			for _, q := range p.Points {
				if q != nil {
					w.marker(p.Style.Marker, *q, lay.MarkerRadius)
				}
			}
			w.s("</g>\n")
		}
		w.s("</g>\n")
	}

	// legend
	if len(lay.Perspectives) > 0 || len(lay.ScaleKey.Lines) > 0 {
		font := 0.0
		if len(lay.Perspectives) > 0 {
			font = lay.Perspectives[0].Legend.Text.FontSize
		} else {
			font = lay.ScaleKey.FontSize
		}
		w.s(`<g class="compass-legend" fill="`+ColorInk+`"`).fattr("font-size", font).s(dir + ">\n")
		for _, p := range lay.Perspectives {
			e := p.Legend
			w.s(`<line`).fattr("x1", e.Line[0].X).fattr("y1", e.Line[0].Y).fattr("x2", e.Line[1].X).fattr("y2", e.Line[1].Y)
			w.s(` stroke="`).s(p.Style.Color).s(`"`).fattr("stroke-width", lay.Stroke).s(` stroke-linecap="round"`)
			w.dash(p.Style.Dash, lay.Stroke)
			w.s("/>\n")
			w.s(`<g fill="`).s(p.Style.Color).s(`" stroke="#ffffff"`).fattr("stroke-width", lay.Stroke*0.6).s(">")
			w.marker(p.Style.Marker, e.Marker, lay.MarkerRadius)
			w.s("</g>\n")
			w.textIsolated(e.Text, rtl, e.NameLines)
		}
		if len(lay.ScaleKey.Lines) > 0 {
			w.s(`<g fill="`+ColorMuted+`"`).fattr("font-size", lay.ScaleKey.FontSize).s(">\n")
			w.text(lay.ScaleKey, rtl)
			w.s("</g>\n")
		}
		w.s("</g>\n")
	}
	w.s("</svg>\n")
	return w.String()
}

// radarDesc states every perspective's value per area in words.
func radarDesc(persp []Perspective, l Labels) string {
	var b strings.Builder
	b.WriteString(clean(l.Desc))
	if len(persp) == 0 {
		return b.String()
	}
	for _, a := range board.Areas {
		if b.Len() > 0 {
			b.WriteString(" ")
		}
		b.WriteString(areaLabel(l, a))
		b.WriteString(": ")
		for j, p := range persp {
			if j > 0 {
				b.WriteString("; ")
			}
			name := clean(p.Label)
			if name == "" {
				name = clean(p.Key)
			}
			b.WriteString(name)
			b.WriteString(": ")
			b.WriteString(RatingText(p.Ratings[a], l))
		}
		b.WriteString(".")
	}
	return b.String()
}

func (w *buf) points(pts []Point) *buf {
	for i, p := range pts {
		if i > 0 {
			w.s(" ")
		}
		w.pt(p)
	}
	return w
}

// text writes a TextBlock as one <text> with a <tspan> per line.
func (w *buf) text(t TextBlock, rtl bool) { w.textIsolated(t, rtl, 0) }

// textIsolated writes a TextBlock, wrapping its first isolated lines in FSI … PDI.
func (w *buf) textIsolated(t TextBlock, rtl bool, isolated int) {
	if len(t.Lines) == 0 {
		return
	}
	w.s(`<text text-anchor="`).s(t.Align.anchor(rtl)).s(`">`)
	for i, line := range t.Lines {
		if i > 0 {
			// A space between the lines, so that the text reads "Jag känner mig trygg" to
			// assistive technology (a link's visible text must be part of its name); each
			// line is positioned on its own, so the space shows nowhere.
			w.s(" ")
		}
		w.s(`<tspan`).fattr("x", t.X).fattr("y", t.Y[i]).s(">")
		if i < isolated {
			w.s(fsi).esc(line).s(pdi)
		} else {
			w.esc(line)
		}
		w.s("</tspan>")
	}
	w.s("</text>\n")
}
