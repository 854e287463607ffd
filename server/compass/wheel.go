package compass

import (
	"cmp"
	"math"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/barnteam/barnteam/server/board"
)

// measures of the wheel, as fractions of Options.Size
const (
	wheelRadius  = 0.48
	wheelHub     = 0.05
	wheelIcon    = 0.09
	wheelFace    = 0.065
	wheelBadge   = 0.4 // how far the face sticks out beyond the pictogram, in face sizes
	wheelGap     = 0.01
	wheelMargin  = 0.01
	wheelMaxFont = 0.04
	wheelMinFont = 0.0275
	wheelStroke  = 0.004
)

// The wheel's segments are pastel, one per area, so that neighbours differ; dark text on
// each has a contrast above 4.5:1.
var wheelFill = map[board.Area]string{
	"trygghet":     "#dbeafe",
	"halsa":        "#fde2e4",
	"utveckling":   "#dcfce7",
	"omsorg":       "#fef3c7",
	"fritid":       "#ffe4cc",
	"tillhorighet": "#ede9fe",
	"respekt":      "#d7f0f5",
	"ansvar":       "#fef9c3",
}

// wheelLayout is the geometry of the wheel; it depends on the labels, the size and the
// direction only (not on the answers), so it is computed once per label set.
type wheelLayout struct {
	Size     float64 // the viewBox is 0 0 Size Size
	Centre   Point
	R, Hub   float64
	FontSize float64
	RTL      bool
	Segs     []wheelSeg
}

type wheelSeg struct {
	Area    board.Area
	Corners [4]Point // inner and outer ends of the first edge, outer and inner ends of the second
	Icon    Rect
	Face    Rect
	Text    TextBlock
	Fits    bool // everything lies inside the segment (false only for absurd labels)
}

var wheelCache = struct {
	sync.Mutex
	m map[string]*wheelLayout
}{m: map[string]*wheelLayout{}}

func cachedWheelLayout(l Labels, opt Options) *wheelLayout {
	var key strings.Builder
	key.WriteString(strconv.Itoa(int(opt.size())))
	if opt.rtl() {
		key.WriteString("r")
	}
	for _, a := range board.Areas {
		key.WriteByte(0)
		key.WriteString(childLabel(l, a))
	}
	k := key.String()
	wheelCache.Lock()
	lay := wheelCache.m[k]
	wheelCache.Unlock()
	if lay != nil {
		return lay
	}
	lay = computeWheelLayout(l, opt)
	wheelCache.Lock()
	if len(wheelCache.m) >= 64 {
		clear(wheelCache.m)
	}
	wheelCache.m[k] = lay
	wheelCache.Unlock()
	return lay
}

// computeWheelLayout places, in each segment, the pictogram with the answer's face as a
// badge and the wrapped child-friendly label, at the largest font size (the same in every
// segment) at which every label fits whole inside its segment, each as far from the
// segment's edges as it can be. Failing that (absurdly long labels), it uses the smallest
// font and hyphenates or shortens the labels that must be.
func computeWheelLayout(l Labels, opt Options) *wheelLayout {
	S := opt.size()
	n := len(board.Areas)
	lay := &wheelLayout{Size: S, R: wheelRadius * S, Hub: wheelHub * S, RTL: opt.rtl()}
	step := 2 * math.Pi / float64(n)
	var fonts []float64 // largest first
	for f := wheelMaxFont * S; f >= wheelMinFont*S-1e-9; f -= 0.0025 * S {
		fonts = append(fonts, f)
	}
	solvers := make([]*segSolver, n)
	best := 0 // index into fonts: the largest font at which every segment fits so far
	for i, a := range board.Areas {
		solvers[i] = newSegSolver(a, childLabel(l, a), (float64(i)-0.5)*step, (float64(i)+0.5)*step, lay, S)
		// this segment's largest fitting font, searched among those not already ruled out
		// (fitting is monotone in the font size, so a binary search will do)
		lo, hi := best, len(fonts) // fonts[lo:] may fit; fonts[hi:] is beyond the end
		for lo < hi {
			mid := (lo + hi) / 2
			if solvers[i].place(fonts[mid], true).Fits {
				hi = mid
			} else {
				lo = mid + 1
			}
		}
		best = lo
	}
	lay.Segs = make([]wheelSeg, n)
	if best < len(fonts) {
		lay.FontSize = fonts[best]
		for i, sv := range solvers {
			lay.Segs[i] = sv.place(lay.FontSize, true)
		}
	} else {
		lay.FontSize = fonts[len(fonts)-1]
		for i, sv := range solvers {
			if lay.Segs[i] = sv.place(lay.FontSize, true); !lay.Segs[i].Fits {
				lay.Segs[i] = sv.place(lay.FontSize, false)
			}
		}
	}
	c := S / 2
	lay.Centre = Point{c, c}
	for i := range lay.Segs {
		s := &lay.Segs[i]
		for j := range s.Corners {
			if lay.RTL {
				s.Corners[j] = s.Corners[j].mirror()
			}
			s.Corners[j] = s.Corners[j].shift(c, c)
		}
		if lay.RTL {
			s.Icon, s.Face, s.Text = s.Icon.mirror(), s.Face.mirror(), s.Text.mirror()
		}
		s.Icon, s.Face, s.Text = s.Icon.shift(c, c), s.Face.shift(c, c), s.Text.shift(c, c)
	}
	return lay
}

// segSolver places the content of one segment. Positions are tried on a grid over the
// segment; the slack of a placement is its smallest distance to the segment's edges
// beyond the margin (negative: it does not fit).
type segSolver struct {
	area                       board.Area
	label                      string
	corners                    [4]Point
	n0, n1                     Point // inward normals of the two straight edges
	r, hub                     float64
	icon, face, gap, margin, S float64
	grid                       []Point
	units                      []cand // placements of the pictogram with its badge, best first
}

type cand struct {
	box Rect // placed
	s   float64
	i   int // grid position, to break ties
}

func newSegSolver(a board.Area, label string, a0, a1 float64, lay *wheelLayout, S float64) *segSolver {
	sv := &segSolver{
		area: a, label: label,
		corners: [4]Point{polar(a0, lay.Hub), polar(a0, lay.R), polar(a1, lay.R), polar(a1, lay.Hub)},
		n0:      polar(a0+math.Pi/2, 1), n1: polar(a1-math.Pi/2, 1),
		r: lay.R, hub: lay.Hub,
		icon: wheelIcon * S, face: wheelFace * S, gap: wheelGap * S, margin: wheelMargin * S, S: S,
	}
	mid := (a0 + a1) / 2
	along, across := polar(mid, 1), polar(mid+math.Pi/2, 1)
	for rho := lay.Hub; rho <= lay.R; rho += 0.01 * S {
		for t := -0.1 * S; t <= 0.1*S+1e-9; t += 0.01 * S {
			if c := along.scale(rho).add(across.scale(t)); c.X*c.X+c.Y*c.Y < lay.R*lay.R {
				sv.grid = append(sv.grid, c)
			}
		}
	}
	unit := sv.icon + wheelBadge*sv.face
	ubox := rectAt(Point{}, unit, unit)
	sv.units = sv.candidates([]Rect{ubox}, ubox)
	return sv
}

func (sv *segSolver) slack(rects []Rect, c Point) float64 {
	s := math.Inf(1)
	for _, r := range rects {
		r = r.shift(c.X, c.Y)
		for _, p := range r.corners() {
			s = min(s, p.dot(sv.n0)-sv.margin, p.dot(sv.n1)-sv.margin, sv.r-sv.margin-math.Sqrt(p.X*p.X+p.Y*p.Y))
		}
		// distance from the centre to the rect, against the hub
		dx := max(r.X0, 0, -r.X1)
		dy := max(r.Y0, 0, -r.Y1)
		s = min(s, math.Sqrt(dx*dx+dy*dy)-sv.hub-sv.margin)
	}
	return s
}

// candidates are the placements of rects (around (0, 0), with bounding box box) over the
// grid that nearly fit, best first.
func (sv *segSolver) candidates(rects []Rect, box Rect) []cand {
	var out []cand
	for i, c := range sv.grid {
		if s := sv.slack(rects, c); s > -0.05*sv.S {
			out = append(out, cand{box.shift(c.X, c.Y), s, i})
		}
	}
	slices.SortFunc(out, func(a, b cand) int {
		if c := cmp.Compare(b.s, a.s); c != 0 {
			return c
		}
		return cmp.Compare(a.i, b.i)
	})
	return out
}

// place puts the pictogram (with the face as a badge on its lower inline-end corner) and
// the label, wrapped as widely as fits, where each is farthest from the segment's edges
// without touching the other, preferring the pictogram centred above or below the label.
// With whole, a label is never hyphenated or shortened (and then may not fit).
func (sv *segSolver) place(font float64, whole bool) wheelSeg {
	seg := wheelSeg{Area: sv.area, Corners: sv.corners}
	if len(sv.units) == 0 {
		return seg
	}
	lh := LineEm * font
	var prev string
	score, fit := math.Inf(-1), math.Inf(-1)
	var bestUnit, bestText cand
	var bestLines []string
	for chars := 16; chars >= 6; chars-- {
		lines, ok := wrap(sv.label, chars, chars, 4)
		if (whole && !ok) || len(lines) == 0 {
			continue
		}
		if key := strings.Join(lines, "\n"); key == prev {
			continue
		} else {
			prev = key
		}
		h := lh * float64(len(lines))
		var rects []Rect
		var w float64
		for k, s := range lines {
			lw := textWidth(s, font)
			w = max(w, lw)
			rects = append(rects, Rect{-lw / 2, -h/2 + lh*float64(k), lw / 2, -h/2 + lh*float64(k+1)})
		}
		for _, t := range sv.candidates(rects, Rect{-w / 2, -h / 2, w / 2, h / 2}) {
			if t.s < 0 && t.s <= fit || fit >= 0 && t.s <= score {
				break // sorted: nothing better further on
			}
			for _, u := range sv.units {
				m := min(t.s, u.s)
				if m < 0 && m <= fit || fit >= 0 && m <= score {
					break
				}
				grown := Rect{u.box.X0 - sv.gap, u.box.Y0 - sv.gap, u.box.X1 + sv.gap, u.box.Y1 + sv.gap}
				if grown.Overlaps(t.box) {
					continue
				}
				sc := m
				if m >= 0 {
					sc = m - 0.3*math.Abs(u.box.centre().X-t.box.centre().X)
				}
				if (m >= 0 && (fit < 0 || sc > score)) || (m < 0 && fit < 0 && m > fit) {
					score, fit, bestUnit, bestText, bestLines = sc, m, u, t, lines
				}
			}
		}
		if fit >= 0 {
			break
		}
	}
	switch {
	case bestLines == nil && clean(sv.label) != "": // no whole wrap of the label fits at all
		return seg
	case bestLines == nil: // no label: the pictogram alone
		bestUnit, fit = sv.units[0], sv.units[0].s
	}
	seg.Fits = fit >= 0
	u := bestUnit.box
	seg.Icon = Rect{u.X0, u.Y0, u.X0 + sv.icon, u.Y0 + sv.icon}
	seg.Face = Rect{u.X1 - sv.face, u.Y1 - sv.face, u.X1, u.Y1}
	if bestLines != nil {
		seg.Text = block(bestLines, font, bestText.box.centre().X, bestText.box.Y0, AlignCenter, vTop)
	}
	return seg
}

// Wheel draws the needs compass for the child: eight equal segments (trygghet's centred at
// 12 o'clock, like the radar's first axis), each with its pictogram and child-friendly
// label, and the face of the child's answer as a badge on the pictogram's lower inline-end
// corner; a dashed empty circle where the child has not answered. With opt.Href each
// segment is a link, named by its label and the answer (l.Unrated where there is none, so
// pass a child-friendly word), and the wheel navigates; in RTL the segments go
// counter-clockwise. answers holds the child's own ratings; absent = unanswered. The
// layout (the largest common font at which every label fits its segment whole) depends
// only on the labels, the size and the direction and is cached.
func Wheel(answers map[board.Area]board.Rating, l Labels, opt Options) string {
	lay := cachedWheelLayout(l, opt)
	id := opt.id()
	links := false
	hrefs := make([]string, len(lay.Segs))
	if opt.Href != nil {
		for i, s := range lay.Segs {
			hrefs[i] = opt.Href(s.Area)
			links = links || hrefs[i] != ""
		}
	}
	role := "img"
	if links {
		role = "group"
	}
	var desc strings.Builder
	desc.WriteString(clean(l.Desc))
	names := make([]string, len(lay.Segs))
	for i, s := range lay.Segs {
		names[i] = childLabel(l, s.Area) + ": " + RatingText(answers[s.Area], l)
		if desc.Len() > 0 {
			desc.WriteString(" ")
		}
		desc.WriteString(names[i])
		desc.WriteString(".")
	}

	w := &buf{b: make([]byte, 0, 24576)}
	w.svgOpen("compass compass-wheel", role, id, lay.Size, lay.Size, opt, l.Title, desc.String())
	sw := wheelStroke * lay.Size
	w.s(`<g class="compass-segments" stroke-linejoin="round"`).fattr("font-size", lay.FontSize)
	if lay.RTL {
		w.s(` direction="rtl"`)
	}
	w.s(">\n")
	for i, s := range lay.Segs {
		r := answers[s.Area]
		kind := kindOf(r, opt.scale())
		if hrefs[i] != "" {
			w.s(`<a class="compass-seg"`).attr("href", hrefs[i]).attr("data-area", string(s.Area)).attr("aria-label", names[i]).s(">")
			w.s("<title>").esc(names[i]).s("</title>\n")
		} else {
			w.s(`<g class="compass-seg"`).attr("data-area", string(s.Area)).s(">\n")
		}
		// the segment: out along the first edge, round the rim, in along the second, round the hub
		sweepOut, sweepIn := "1", "0"
		if lay.RTL {
			sweepOut, sweepIn = "0", "1"
		}
		c := s.Corners
		w.s(`<path d="M`).pt(c[0]).s(" L").pt(c[1]).s(" A").f(lay.R).s(",").f(lay.R).s(" 0 0,").s(sweepOut).s(" ").pt(c[2])
		w.s(" L").pt(c[3]).s(" A").f(lay.Hub).s(",").f(lay.Hub).s(" 0 0,").s(sweepIn).s(" ").pt(c[0]).s(` Z" fill="`).s(wheelFill[s.Area]).s(`" stroke="`+ColorMuted+`"`).fattr("stroke-width", sw).s("/>\n")
		isz, _ := s.Icon.size()
		w.s(`<g transform="translate(`).f(s.Icon.X0).s(" ").f(s.Icon.Y0).s(") scale(").s(strconv.FormatFloat(isz/100, 'f', 4, 64)).s(`)">`)
		w.s(pictograms[s.Area]).s("</g>\n")
		w.s(`<g class="compass-answer"`).attr("data-rating", string(r)).s(">")
		w.faceAt(kind, s.Face)
		w.s("</g>\n")
		w.s(`<g fill="` + ink + `">`)
		w.text(s.Text, lay.RTL)
		w.s("</g>\n")
		if hrefs[i] != "" {
			w.s("</a>\n")
		} else {
			w.s("</g>\n")
		}
	}
	w.s("</g>\n")
	w.s(`<circle`).fattr("cx", lay.Centre.X).fattr("cy", lay.Centre.Y).fattr("r", lay.Hub).s(` fill="#ffffff" stroke="`+ColorMuted+`"`).fattr("stroke-width", sw).s("/>\n")
	w.s("</svg>\n")
	return w.String()
}
