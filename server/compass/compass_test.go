package compass

import (
	"encoding/xml"
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/barnteam/barnteam/server/board"
)

var allRatings = []board.Rating{"1", "2", "3", "4", "5", board.RatingUnknown, board.RatingDeclined, ""}

func href(a board.Area) string { return "/child/compass/" + string(a) + "?x=1&y=2" }

// Every drawing, in every variant, is well-formed, accessible and inside its viewBox.
func TestDrawingsWellFormedAndAccessible(t *testing.T) {
	many := append(partial(), partial()...)
	many = append(many, partial()...) // 12 perspectives: every style is used twice
	all := map[board.Area]board.Rating{}
	for i, a := range board.Areas {
		all[a] = allRatings[i%len(allRatings)]
	}
	cases := []struct {
		name, svg, role string
	}{
		{"radar partial", Radar(partial(), svLabels(), Options{Lang: "sv"}), "img"},
		{"radar rtl", Radar(arPartial(), arLabels(), Options{Dir: "rtl", Lang: "ar", ID: "r2"}), "img"},
		{"radar long", Radar(partial(), longLabels(), Options{}), "img"},
		{"radar small", Radar(partial(), longLabels(), Options{Size: 240}), "img"},
		{"radar big", Radar(partial(), svLabels(), Options{Size: 1000}), "img"},
		{"radar none", Radar(nil, svLabels(), Options{}), "img"},
		{"radar many", Radar(many, svLabels(), Options{}), "img"},
		{"radar no labels", Radar(partial(), Labels{}, Options{}), "img"},
		{"wheel", Wheel(wheelAnswers(), svLabels(), Options{}), "img"},
		{"wheel links", Wheel(wheelAnswers(), svLabels(), Options{Href: href}), "group"},
		{"wheel no links", Wheel(wheelAnswers(), svLabels(), Options{Href: func(board.Area) string { return "" }}), "img"},
		{"wheel rtl", Wheel(all, arLabels(), Options{Dir: "rtl", Href: href}), "group"},
		{"wheel 3 faces", Wheel(all, svLabels(), Options{Scale: 3}), "img"},
		{"wheel long", Wheel(all, longLabels(), Options{Size: 600}), "img"},
		{"wheel empty", Wheel(nil, Labels{}, Options{}), "img"},
	}
	for _, r := range allRatings {
		for _, scale := range []int{3, 5} {
			cases = append(cases,
				struct{ name, svg, role string }{fmt.Sprintf("face %q/%d", r, scale), Face(r, scale, "Ganska bra", 48), "img"},
				struct{ name, svg, role string }{fmt.Sprintf("labeled face %q/%d", r, scale), LabeledFace(r, scale, "Varken bra eller dåligt", 64), "img"})
		}
	}
	cases = append(cases, struct{ name, svg, role string }{"decorative face", Face("3", 5, "", 32), ""})
	for _, a := range board.Areas {
		cases = append(cases, struct{ name, svg, role string }{"pictogram " + string(a), Pictogram(a, svLabels().ChildArea[a], 64), "img"})
	}
	cases = append(cases, struct{ name, svg, role string }{"decorative pictogram", Pictogram("ansvar", "", 64), ""})
	for _, c := range cases {
		checkSVG(t, c.name, c.svg, c.role)
	}
}

// The drawing states every value in words, and names each wheel link.
func TestDescriptionsInWords(t *testing.T) {
	svg := Radar(partial(), svLabels(), Options{})
	desc := between(svg, `<desc id="compass-desc">`, "</desc>")
	for _, want := range []string{
		"Åtta områden, skala 1 till 5, varje perspektiv för sig.",
		"Trygghet: Alva själv: Ganska bra (4); Sara Nilsson: Ganska dåligt (2); Ahmed Al-Sayed: Inte bedömt; De professionella: Ganska dåligt (2).",
		"Hälsa: Alva själv: Varken bra eller dåligt (3); Sara Nilsson: Vill inte svara;",
		"Utveckling: Alva själv: Vet inte;",
	} {
		if !strings.Contains(desc, want) {
			t.Errorf("desc lacks %q:\n%s", want, desc)
		}
	}
	w := Wheel(wheelAnswers(), svLabels(), Options{Href: href, ID: "hjul"})
	for _, want := range []string{
		`aria-labelledby="hjul-title hjul-desc"`,
		`aria-label="Jag känner mig trygg: Ganska bra (4)"`,
		`aria-label="Jag mår bra: Vet inte"`,
		`aria-label="Jag lär mig och utvecklas: Inte bedömt"`,
		`href="/child/compass/fritid?x=1&amp;y=2"`,
	} {
		if !strings.Contains(w, want) {
			t.Errorf("wheel lacks %s", want)
		}
	}
	if n := strings.Count(w, "<a "); n != len(board.Areas) {
		t.Errorf("wheel has %d links, want %d", n, len(board.Areas))
	}
}

func between(s, from, to string) string {
	_, s, _ = strings.Cut(s, from)
	s, _, _ = strings.Cut(s, to)
	return s
}

// Unrated, "vet inte" and "vill inte svara" are never drawn, least of all at the centre.
func TestNotRatedIsNeverZero(t *testing.T) {
	for _, opt := range []Options{{}, {Dir: "rtl"}, {Size: 250}} {
		lay := RadarLayout(partial(), svLabels(), opt)
		for j, p := range lay.Perspectives {
			for i, a := range board.Areas {
				r := partial()[j].Ratings[a]
				k := level(r)
				switch {
				case k == 0 && p.Points[i] != nil:
					t.Errorf("%s %s (%q) is plotted at %v", p.Key, a, r, *p.Points[i])
				case k > 0 && p.Points[i] == nil:
					t.Errorf("%s %s (%q) is not plotted", p.Key, a, r)
				case k > 0:
					d := p.Points[i].dist(lay.Centre)
					if want := lay.Radius * float64(k) / 5; math.Abs(d-want) > 1e-6 || d < lay.Radius/5-1e-6 {
						t.Errorf("%s %s at radius %.2f, want %.2f", p.Key, a, d, want)
					}
				}
			}
		}
		// and in the SVG: no marker and no vertex at the centre
		svg := Radar(partial(), svLabels(), opt)
		c := fmt.Sprintf("%.1f,%.1f", lay.Centre.X, lay.Centre.Y)
		for _, el := range regexp.MustCompile(`<(polyline|polygon) points="[^"]*"`).FindAllString(between(svg, `<g class="compass-outline"`, `<g class="compass-legend"`), -1) {
			if strings.Contains(el, c) {
				t.Errorf("a point at the centre %s: %s", c, el)
			}
		}
		if strings.Contains(svg, fmt.Sprintf(`cx="%.1f" cy="%.1f"`, lay.Centre.X, lay.Centre.Y)) {
			t.Errorf("a marker at the centre")
		}
	}
}

// outline is what the SVG draws for one perspective.
type outline struct {
	key                        string
	polylines, polygons, marks int
	segments                   int
}

func outlines(t *testing.T, svg string) []outline {
	t.Helper()
	var out []outline
	var cur *outline
	depth, at := 0, -1
	lines := false // inside the group of line elements (fill="none"), not the markers
	d := xml.NewDecoder(strings.NewReader(svg))
	for {
		tok, err := d.Token()
		if err != nil {
			break
		}
		switch el := tok.(type) {
		case xml.StartElement:
			depth++
			attrs := map[string]string{}
			for _, a := range el.Attr {
				attrs[a.Name.Local] = a.Value
			}
			if attrs["class"] == "compass-outline" {
				out = append(out, outline{key: attrs["data-perspective"]})
				cur, at = &out[len(out)-1], depth
				continue
			}
			if cur == nil {
				continue
			}
			if el.Name.Local == "g" && depth == at+1 {
				lines = attrs["fill"] == "none"
				continue
			}
			n := len(numberRe.FindAllString(attrs["points"], -1)) / 2
			switch {
			case lines && el.Name.Local == "polyline":
				cur.polylines++
				cur.segments += n - 1
			case lines && el.Name.Local == "polygon":
				cur.polygons++
				cur.segments += n
			case lines:
				t.Errorf("unexpected <%s> among the lines", el.Name.Local)
			case el.Name.Local == "circle" || el.Name.Local == "polygon":
				cur.marks++
			}
		case xml.EndElement:
			if depth == at {
				cur, at = nil, -1
			}
			depth--
		}
	}
	return out
}

// The outline is broken where a perspective has not rated: segments join consecutive
// plotted axes only, across the wrap-around too; a lone rated point is a marker.
func TestOutlineBrokenWhereNotRated(t *testing.T) {
	lay := RadarLayout(partial(), svLabels(), Options{})
	total := 0
	want := map[string]struct{ runs, segs, points int }{
		"child":         {2, 1, 3}, // trygghet–hälsa, and fritid alone
		"guardian:g1":   {2, 2, 4}, // utveckling–omsorg, ansvar–trygghet
		"guardian:g2":   {0, 0, 0},
		"professionals": {1, 8, 8}, // closed
	}
	for _, p := range lay.Perspectives {
		segs, pts := 0, 0
		for _, r := range p.Runs {
			segs += r.Segments()
			pts += len(r.Points)
		}
		total += segs
		if w := want[p.Key]; len(p.Runs) != w.runs || segs != w.segs || pts != w.points {
			t.Errorf("%s: %d runs, %d segments, %d points; want %+v", p.Key, len(p.Runs), segs, pts, w)
		}
	}
	if total != partialSegments {
		t.Errorf("%d segments, want %d", total, partialSegments)
	}
	g1 := lay.Perspectives[1].Runs
	if len(g1) != 2 || fmt.Sprint(g1[0].Axes) != "[2 3]" || fmt.Sprint(g1[1].Axes) != "[7 0]" || g1[1].Closed {
		t.Errorf("guardian A runs %+v, want [2 3] and [7 0] (across the wrap-around)", g1)
	}

	// the SVG draws exactly that: count the line elements and markers
	svg := Radar(partial(), svLabels(), Options{})
	got := outlines(t, svg)
	if len(got) != 4 {
		t.Fatalf("%d outlines, want one per perspective (never averaged)", len(got))
	}
	byKey := map[string]outline{}
	svgSegs := 0
	for _, o := range got {
		byKey[o.key] = o
		svgSegs += o.segments
	}
	if svgSegs != partialSegments {
		t.Errorf("the SVG draws %d segments, want %d: %+v", svgSegs, partialSegments, got)
	}
	if o := byKey["child"]; o.polylines != 1 || o.marks != 3 {
		t.Errorf("child: %+v, want 1 polyline and 3 markers", o)
	}
	if o := byKey["guardian:g1"]; o.polylines != 2 || o.marks != 4 {
		t.Errorf("guardian A: %+v, want 2 polylines and 4 markers", o)
	}
	if o := byKey["guardian:g2"]; o.polylines != 0 || o.marks != 0 || o.segments != 0 {
		t.Errorf("guardian B: %+v, want nothing drawn", o)
	}
	if o := byKey["professionals"]; o.polygons != 1 || o.polylines != 0 || o.segments != 8 || o.marks != 8 {
		t.Errorf("professionals: %+v, want a closed outline of 8 segments and 8 markers", o)
	}
}

func TestRuns(t *testing.T) {
	p := func(s string) []*Point { // "x.x..x.." : x = plotted
		out := make([]*Point, len(s))
		for i, c := range s {
			if c == 'x' {
				out[i] = &Point{float64(i), 0}
			}
		}
		return out
	}
	for _, c := range []struct{ in, want string }{
		{"........", "[]"},
		{"xxxxxxxx", "[{[0 1 2 3 4 5 6 7] closed}]"},
		{"x.......", "[{[0] open}]"},
		{"x......x", "[{[7 0] open}]"},
		{"xx.xx.xx", "[{[3 4] open} {[6 7 0 1] open}]"},
		{".x.x.x.x", "[{[1] open} {[3] open} {[5] open} {[7] open}]"},
		{"xxxxxxx.", "[{[0 1 2 3 4 5 6] open}]"},
	} {
		var parts []string
		for _, r := range runs(p(c.in)) {
			s := "open"
			if r.Closed {
				s = "closed"
			}
			parts = append(parts, fmt.Sprintf("{%v %s}", r.Axes, s))
		}
		if got := "[" + strings.Join(parts, " ") + "]"; got != c.want {
			t.Errorf("runs(%s) = %s, want %s", c.in, got, c.want)
		}
	}
}

// The table: one row per area, one column per perspective, words in every cell.
func TestTable(t *testing.T) {
	persp := partial()
	persp[2].Label = `<script>alert(1)</script>`
	html := Table(persp, svLabels(), "kompass-tabell")
	if strings.Contains(html, "<script>") {
		t.Fatalf("unescaped <script>:\n%s", html)
	}
	if !strings.Contains(html, "<bdi>&lt;script&gt;alert(1)&lt;/script&gt;</bdi>") {
		t.Errorf("the label is not escaped inside <bdi>:\n%s", html)
	}
	type cell struct {
		XMLName xml.Name
		Scope   string `xml:"scope,attr"`
		Rating  string `xml:"data-rating,attr"`
		Text    string `xml:",innerxml"`
	}
	type row struct {
		Cells []cell `xml:",any"`
	}
	var tbl struct {
		ID      string `xml:"id,attr"`
		Caption string `xml:"caption"`
		Head    []row  `xml:"thead>tr"`
		Body    []row  `xml:"tbody>tr"`
	}
	if err := xml.Unmarshal([]byte(html), &tbl); err != nil {
		t.Fatalf("not well-formed: %v\n%s", err, html)
	}
	if tbl.ID != "kompass-tabell" || tbl.Caption != "Behovskompassen" {
		t.Errorf("id %q caption %q", tbl.ID, tbl.Caption)
	}
	if len(tbl.Head) != 1 || len(tbl.Head[0].Cells) != len(persp)+1 {
		t.Fatalf("head %+v, want one row of %d cells", tbl.Head, len(persp)+1)
	}
	for _, c := range tbl.Head[0].Cells {
		if c.XMLName.Local != "th" || c.Scope != "col" {
			t.Errorf("head cell %+v, want th scope=col", c)
		}
	}
	if len(tbl.Body) != len(board.Areas) {
		t.Fatalf("%d rows, want %d", len(tbl.Body), len(board.Areas))
	}
	unrated := 0
	for i, r := range tbl.Body {
		if len(r.Cells) != len(persp)+1 {
			t.Fatalf("row %d has %d cells", i, len(r.Cells))
		}
		if h := r.Cells[0]; h.XMLName.Local != "th" || h.Scope != "row" || h.Text != svLabels().Area[board.Areas[i]] {
			t.Errorf("row %d header %+v", i, h)
		}
		for j, c := range r.Cells[1:] {
			if want := RatingText(persp[j].Ratings[board.Areas[i]], svLabels()); c.Text != want {
				t.Errorf("row %d col %d: %q, want %q", i, j, c.Text, want)
			}
			if c.Text == "Inte bedömt" {
				unrated++
				if c.Rating != "none" {
					t.Errorf("an unrated cell has data-rating=%q", c.Rating)
				}
			}
		}
	}
	// child 4 unrated, guardian A 3, guardian B 8, professionals 0
	if unrated != 4+3+8 {
		t.Errorf("%d cells say Inte bedömt, want 15", unrated)
	}
	if r := tbl.Body[1].Cells[2]; r.Text != "Vill inte svara" || r.Rating != "declined" {
		t.Errorf("guardian A on hälsa: %+v", r)
	}
}

// User text is escaped everywhere and isolated for bidi; control characters are dropped.
func TestEscaping(t *testing.T) {
	const evil = `<b>&"x"`
	const escaped = `&lt;b&gt;&amp;&#34;x&#34;`
	persp := partial()
	persp[1].Label = evil
	l := svLabels()
	l.Area["trygghet"] = `Trygg<het> & "så"`
	l.ChildArea["trygghet"] = `Jag <3 "trygg"`
	l.Title = "Kompass <1>\x00\x1b"
	l.Desc = "a & b"
	svg := Radar(persp, l, Options{ID: `x" onload="y`, Lang: `sv"><script>`})
	checkSVG(t, "escaped radar", svg, "img")
	if strings.Contains(svg, "<b>") || strings.Contains(svg, "<script>") || strings.Contains(svg, "<het>") || strings.Contains(svg, `onload="`) {
		t.Errorf("unescaped text in the SVG:\n%s", svg)
	}
	if !strings.Contains(svg, fsi+escaped+pdi) {
		t.Errorf("the legend lacks the isolated, escaped name %q", fsi+escaped+pdi)
	}
	if !strings.Contains(svg, escaped+": Ganska dåligt (2)") {
		t.Errorf("the description lacks the escaped name")
	}
	if !strings.Contains(svg, `<title id="x--onload--y-title">Kompass &lt;1&gt;</title>`) {
		t.Errorf("title or id not cleaned:\n%s", svg[:400])
	}
	w := Wheel(wheelAnswers(), l, Options{Href: func(board.Area) string { return `javascript:"x"<y>` }})
	checkSVG(t, "escaped wheel", w, "group")
	if strings.Contains(w, "<3") || strings.Contains(w, "<y>") {
		t.Errorf("unescaped text in the wheel")
	}
	html := Table(persp, l, `t"1`)
	if !strings.Contains(html, "<bdi>"+escaped+"</bdi>") || strings.Contains(html, "<b>") || !strings.Contains(html, `id="t&#34;1"`) {
		t.Errorf("table not escaped:\n%s", html)
	}
	for _, s := range []string{Face("1", 5, evil, 10), Pictogram("halsa", evil, 10), LabeledFace("1", 5, evil, 10)} {
		if strings.Contains(s, "<b>") || !strings.Contains(s, escaped) {
			t.Errorf("icon not escaped: %s", s)
		}
	}
}

// Area labels and the legend fit: no estimated text box overlaps another, the chart or
// the viewBox's edge, for the default labels, a long set and Arabic, both directions.
func TestLabelsFit(t *testing.T) {
	sets := map[string]Labels{"sv": svLabels(), "long": longLabels(), "ar": arLabels()}
	one := longLabels()
	one.Area["ansvar"] = "Ansvarstagandeförmågeutvecklingsplan" // one word, too long for a line
	sets["one long word"] = one
	for name, l := range sets {
		for _, opt := range []Options{{}, {Dir: "rtl"}, {Size: 300}, {Size: 800}} {
			persp := partial()
			persp[3].Label = "De professionella runt barnet i skolan, socialtjänsten och vården"
			lay := RadarLayout(persp, l, opt)
			what := fmt.Sprintf("%s %+v", name, opt)
			type box struct {
				what string
				r    Rect
			}
			var boxes []box
			for _, ax := range lay.Axes {
				if len(ax.Label.Lines) == 0 || len(ax.Label.Lines) > labelLines {
					t.Errorf("%s: %s label in %d lines", what, ax.Area, len(ax.Label.Lines))
				}
				for i, s := range ax.Label.Lines {
					if runes(s) > labelWidest {
						t.Errorf("%s: %s line %q is longer than %d", what, ax.Area, s, labelWidest)
					}
					boxes = append(boxes, box{fmt.Sprintf("%s label line %d %q", ax.Area, i, s), ax.Label.LineBoxes()[i]})
				}
				// outside the octagon (and the markers on it)
				for _, b := range ax.Label.LineBoxes() {
					if d := rectDist(b, lay.Centre); d < lay.Radius+lay.MarkerRadius {
						t.Errorf("%s: %s label %v reaches into the chart (%.1f from the centre)", what, ax.Area, b, d)
					}
				}
			}
			for _, lv := range lay.Levels {
				boxes = append(boxes, box{"numeral " + strconv.Itoa(lv.Level), lv.Numeral.Box})
			}
			for _, p := range lay.Perspectives {
				for i, b := range p.Legend.Text.LineBoxes() {
					boxes = append(boxes, box{fmt.Sprintf("legend %s line %d", p.Key, i), b})
				}
				mr := lay.MarkerRadius * 1.4
				sample := Rect{min(p.Legend.Line[0].X, p.Legend.Line[1].X), p.Legend.Marker.Y - mr, max(p.Legend.Line[0].X, p.Legend.Line[1].X), p.Legend.Marker.Y + mr}
				boxes = append(boxes, box{"legend sample " + p.Key, sample})
			}
			for i, b := range lay.ScaleKey.LineBoxes() {
				boxes = append(boxes, box{fmt.Sprintf("scale key line %d", i), b})
			}
			view := Rect{0, 0, lay.Width, lay.Height}
			for i, a := range boxes {
				if !a.r.Inside(view) {
					t.Errorf("%s: %s %v leaves the viewBox %v", what, a.what, a.r, view)
				}
				for _, b := range boxes[i+1:] {
					// lines of one block touch; a hundredth of a unit is rounding
					if shrink(a.r, 0.01).Overlaps(shrink(b.r, 0.01)) {
						t.Errorf("%s: %s %v overlaps %s %v", what, a.what, a.r, b.what, b.r)
					}
				}
			}
		}
	}
}

func shrink(r Rect, d float64) Rect { return Rect{r.X0 + d, r.Y0 + d, r.X1 - d, r.Y1 - d} }

// rectDist is the distance from p to the nearest point of r.
func rectDist(r Rect, p Point) float64 {
	dx := max(r.X0-p.X, 0, p.X-r.X1)
	dy := max(r.Y0-p.Y, 0, p.Y-r.Y1)
	return math.Hypot(dx, dy)
}

// Inside each wheel segment: the pictogram, the face and every line of the label lie
// within the segment and clear of each other.
func TestWheelContentInsideSegments(t *testing.T) {
	sets := map[string]Labels{"sv": svLabels(), "long": longLabels(), "ar": arLabels(), "empty": {}}
	for name, l := range sets {
		for _, opt := range []Options{{}, {Dir: "rtl"}, {Size: 600}} {
			lay := computeWheelLayout(l, opt)
			what := fmt.Sprintf("%s %+v", name, opt)
			if lay.FontSize < wheelMinFont*lay.Size-1e-9 {
				t.Errorf("%s: font %.1f", what, lay.FontSize)
			}
			step := 2 * math.Pi / float64(len(board.Areas))
			for i, s := range lay.Segs {
				if !s.Fits {
					t.Errorf("%s: %s does not fit", what, s.Area)
				}
				// the segment's angles as drawn
				a0, a1 := (float64(i)-0.5)*step, (float64(i)+0.5)*step
				if opt.rtl() {
					a0, a1 = -a1, -a0
				}
				boxes := append([]Rect{s.Icon, s.Face}, s.Text.LineBoxes()...)
				for k, b := range boxes {
					for _, p := range b.corners() {
						v := Point{p.X - lay.Centre.X, p.Y - lay.Centre.Y}
						r := math.Hypot(v.X, v.Y)
						ang := math.Atan2(v.X, -v.Y) // clockwise from 12 o'clock
						for ang < a0-1e-9 {
							ang += 2 * math.Pi
						}
						for ang > a1+1e-9 {
							ang -= 2 * math.Pi
						}
						if r > lay.R || ang < a0-1e-9 || ang > a1+1e-9 {
							t.Errorf("%s: %s box %d %v: corner %v outside the segment", what, s.Area, k, b, p)
						}
					}
					if rectDist(b, lay.Centre) < lay.Hub {
						t.Errorf("%s: %s box %d reaches into the hub", what, s.Area, k)
					}
				}
				for _, b := range s.Text.LineBoxes() {
					if b.Overlaps(s.Icon) || b.Overlaps(s.Face) {
						t.Errorf("%s: %s label %v overlaps the pictogram %v or face %v", what, s.Area, b, s.Icon, s.Face)
					}
				}
				if name == "sv" || name == "ar" {
					if got := strings.Join(s.Text.Lines, " "); got != childLabel(l, s.Area) {
						t.Errorf("%s: %s label shortened to %q", what, s.Area, got)
					}
				}
			}
		}
	}
}

func relLum(hex string) float64 {
	ch := func(i int) float64 {
		v, _ := strconv.ParseUint(hex[i:i+2], 16, 8)
		c := float64(v) / 255
		if c <= 0.03928 {
			return c / 12.92
		}
		return math.Pow((c+0.055)/1.055, 2.4)
	}
	return 0.2126*ch(1) + 0.7152*ch(3) + 0.0722*ch(5)
}

func contrast(a, b string) float64 {
	la, lb := relLum(a), relLum(b)
	return (max(la, lb) + 0.05) / (min(la, lb) + 0.05)
}

// Outline styles differ by colour, dash and marker at once; colours have ≥ 3:1 against
// white; strokes are at least 2 units wide.
func TestStyles(t *testing.T) {
	seen := map[string]int{}
	for i, s := range Styles {
		if c := contrast(s.Color, "#ffffff"); c < 3 {
			t.Errorf("style %d: %s has %.2f:1 against white, want ≥ 3:1", i, s.Color, c)
		}
		for _, k := range []string{"c" + s.Color, "d" + fmt.Sprint(s.Dash), "m" + fmt.Sprint(s.Marker)} {
			if j, dup := seen[k]; dup {
				t.Errorf("styles %d and %d share %s", j, i, k)
			}
			seen[k] = i
		}
		if StyleFor(i+len(Styles)).Color != s.Color {
			t.Errorf("StyleFor does not wrap around")
		}
	}
	for _, size := range []int{0, 320} {
		lay := RadarLayout(partial(), svLabels(), Options{Size: size})
		if lay.Stroke < 2 {
			t.Errorf("stroke %.2f at size %d, want ≥ 2", lay.Stroke, size)
		}
	}
	for a, fill := range wheelFill {
		if c := contrast(fill, ink); c < 7 {
			t.Errorf("wheel %s: text contrast %.1f:1", a, c)
		}
	}
	svg := Radar(partial(), svLabels(), Options{})
	for _, s := range Styles[:4] {
		if !strings.Contains(svg, `stroke="`+s.Color+`"`) {
			t.Errorf("style colour %s is not used", s.Color)
		}
	}
	if !strings.Contains(svg, `stroke-dasharray="7.5 5.0"`) {
		t.Errorf("the dashed style is missing")
	}
}

// Same input, same bytes, whatever the order the maps were built in; the wheel's cache
// changes nothing.
func TestDeterministic(t *testing.T) {
	a := Radar(partial(), svLabels(), Options{})
	p := partial()
	for i := range p {
		m := map[board.Area]board.Rating{}
		for j := len(board.Areas) - 1; j >= 0; j-- {
			if r, ok := p[i].Ratings[board.Areas[j]]; ok {
				m[board.Areas[j]] = r
			}
		}
		p[i].Ratings = m
	}
	for range 20 {
		if b := Radar(p, svLabels(), Options{}); b != a {
			t.Fatal("Radar output differs between runs")
		}
	}
	w1 := Wheel(wheelAnswers(), svLabels(), Options{Href: href})
	wheelCache.Lock()
	clear(wheelCache.m)
	wheelCache.Unlock()
	if w2 := Wheel(wheelAnswers(), svLabels(), Options{Href: href}); w1 != w2 {
		t.Error("Wheel output differs with and without the cache")
	}
	if Table(partial(), svLabels(), "") != Table(p, svLabels(), "") {
		t.Error("Table output differs")
	}
}

// Right to left mirrors the drawing: counter-clockwise axes, alignments flipped,
// direction="rtl" on the text.
func TestRTLMirrors(t *testing.T) {
	ltr := RadarLayout(arPartial(), arLabels(), Options{})
	rtl := RadarLayout(arPartial(), arLabels(), Options{Dir: "RTL"})
	if ltr.Width != rtl.Width || ltr.Height != rtl.Height {
		t.Fatalf("sizes differ")
	}
	near := func(a, b float64) bool { return math.Abs(a-b) < 1e-9 }
	for i := range ltr.Axes {
		a, b := ltr.Axes[i], rtl.Axes[i]
		if !near(a.Angle, -b.Angle) || !near(a.End.X, ltr.Width-b.End.X) || !near(a.End.Y, b.End.Y) {
			t.Errorf("axis %d not mirrored: %+v %+v", i, a.End, b.End)
		}
		if a.Label.Align != b.Label.Align.mirror() || !near(a.Label.X, ltr.Width-b.Label.X) {
			t.Errorf("label %d not mirrored", i)
		}
	}
	if rtl.Axes[2].End.X >= rtl.Centre.X {
		t.Errorf("in RTL the third axis (utveckling) should be on the left")
	}
	for j := range ltr.Perspectives {
		a, b := ltr.Perspectives[j].Legend, rtl.Perspectives[j].Legend
		if !near(a.Marker.X, ltr.Width-b.Marker.X) || b.Text.Align != AlignRight {
			t.Errorf("legend %d not mirrored", j)
		}
	}
	svg := Radar(arPartial(), arLabels(), Options{Dir: "rtl", Lang: "ar"})
	if n := strings.Count(svg, `direction="rtl"`); n < 3 {
		t.Errorf("direction=rtl on %d groups, want the levels, labels and legend", n)
	}
	if !strings.Contains(svg, `lang="ar"`) {
		t.Error("no lang")
	}
	// legend text is right-aligned: in RTL that is text-anchor="start"
	legend := between(svg, `<g class="compass-legend"`, "</svg>")
	if !strings.Contains(legend, `text-anchor="start"`) || strings.Contains(legend, `text-anchor="end"`) {
		t.Errorf("RTL legend anchors:\n%s", legend)
	}
	w := Wheel(nil, arLabels(), Options{Dir: "rtl"})
	// the second segment (hälsa) lies left of the centre in RTL
	lay := cachedWheelLayout(arLabels(), Options{Dir: "rtl"})
	if c := lay.Segs[1].Icon.centre(); c.X >= lay.Centre.X {
		t.Errorf("RTL wheel goes clockwise: hälsa at %v", c)
	}
	if !strings.Contains(w, `direction="rtl"`) {
		t.Error("wheel text has no direction")
	}
}

func TestWrap(t *testing.T) {
	for _, c := range []struct {
		in                   string
		width, widest, lines int
		want                 string
	}{
		{"Trygghet", 14, 18, 3, "Trygghet"},
		{"Tillhörighet och delaktighet i skolan", 14, 18, 3, "Tillhörighet|och delaktighet|i skolan"},
		{"Jag har något roligt att göra", 14, 14, 3, "Jag har|något roligt|att göra"}, // balanced
		{"Jag har något roligt att göra", 15, 15, 3, "Jag har något|roligt att göra"},
		{"Jag hör till och får vara med", 10, 10, 3, "Jag hör|till och|får vara…"},
		{"Jag hör till och får vara med", 10, 12, 3, "Jag hör till|och får vara|med"},
		{"Ansvarstagandeförmågeutvecklingsplan", 14, 18, 3, "Ansvarstagand-|eförmågeutvec-|klingsplan"},
		{"a b c d e f g h i j k l m n o p", 3, 3, 2, "a b|c…"},
		{"  lots   of\tspace\n", 20, 20, 3, "lots of space"},
		{"", 14, 18, 3, ""},
		{"ett två tre fyra fem sex sju åtta nio tio elva tolv", 14, 18, 3, "ett två tre fyra|fem sex sju åtta|nio tio elva tolv"}, // widened
		{"ett två tre fyra fem sex sju åtta nio tio elva tolv", 14, 14, 3, "ett två tre|fyra fem sex|sju åtta nio…"},
	} {
		got := strings.Join(Wrap(c.in, c.width, c.widest, c.lines), "|")
		if got != c.want {
			t.Errorf("Wrap(%q, %d, %d, %d) = %q, want %q", c.in, c.width, c.widest, c.lines, got, c.want)
		}
	}
}

func TestRatingTextAndFaces(t *testing.T) {
	l := svLabels()
	for r, want := range map[board.Rating]string{
		"1": "Mycket dåligt (1)", "3": "Varken bra eller dåligt (3)", "5": "Mycket bra (5)",
		board.RatingUnknown: "Vet inte", board.RatingDeclined: "Vill inte svara", "": "Inte bedömt", "0": "Inte bedömt", "6": "Inte bedömt", "55": "Inte bedömt",
	} {
		if got := RatingText(r, l); got != want {
			t.Errorf("RatingText(%q) = %q, want %q", r, got, want)
		}
	}
	// five faces differ from each other; three faces use the ends and the middle
	bodies := map[string]board.Rating{}
	for _, r := range allRatings {
		b := faceBody(Face(r, 5, "x", 10))
		if prev, dup := bodies[b]; dup {
			t.Errorf("faces %q and %q look the same", prev, r)
		}
		bodies[b] = r
	}
	for r, same := range map[board.Rating]board.Rating{"1": "1", "2": "1", "3": "3", "4": "5", "5": "5"} {
		if faceBody(Face(r, 3, "x", 10)) != faceBody(Face(same, 5, "x", 10)) {
			t.Errorf("on three faces %q should look like %q on five", r, same)
		}
	}
	if f := Face("3", 5, "", 24); !strings.Contains(f, `aria-hidden="true"`) || strings.Contains(f, "<title>") {
		t.Errorf("a decorative face: %s", f)
	}
	if f := Face("4", 5, "Ganska bra", 24); !strings.Contains(f, `role="img" aria-label="Ganska bra"><title>Ganska bra</title>`) || !strings.Contains(f, `width="24"`) {
		t.Errorf("a labelled face: %s", f)
	}
	if f := LabeledFace("4", 5, "Ganska bra", 50); !strings.Contains(f, fsi+"Ganska bra"+pdi) {
		t.Errorf("a face with its label: %s", f)
	}
	for _, a := range board.Areas {
		if pictograms[a] == "" {
			t.Errorf("no pictogram for %s", a)
		}
	}
	if p := Pictogram("trygghet", "Jag känner mig trygg", 48); !strings.Contains(p, `aria-label="Jag känner mig trygg"`) {
		t.Errorf("pictogram: %s", p)
	}
}

func faceBody(svg string) string {
	_, b, _ := strings.Cut(svg, "</title>")
	return b
}

// The wheel shows the answer's face, a plainly empty slot where there is none, and works
// without labels.
func TestWheelAnswers(t *testing.T) {
	w := Wheel(map[board.Area]board.Rating{"trygghet": "5", "halsa": board.RatingDeclined, "omsorg": "bogus"}, svLabels(), Options{})
	if n := strings.Count(w, faceBodies[faceNone]); n != 6 {
		t.Errorf("%d empty slots, want 6 (bogus counts as unanswered)", n)
	}
	for _, k := range []faceKind{face5, faceDeclined} {
		if !strings.Contains(w, faceBodies[k]) {
			t.Errorf("face %d missing", k)
		}
	}
	three := Wheel(map[board.Area]board.Rating{"trygghet": "4"}, svLabels(), Options{Scale: 3})
	if !strings.Contains(three, faceBodies[face5]) || strings.Contains(three, faceBodies[face4]) {
		t.Error("on three faces a 4 shows the happy face")
	}
}

// Labels may contain anything; the drawings stay well-formed.
func FuzzDrawings(f *testing.F) {
	f.Add("Sara", "Trygghet", "Jag känner mig trygg", "rtl")
	f.Add("<b>&\"x\"", "\x00\x1b\ufffe", "\xff\xfe", "ltr")
	f.Add("سارة نيلسون", "الأمان", "\u202eevil", "rtl")
	f.Fuzz(func(t *testing.T, name, area, child, dir string) {
		l := svLabels()
		l.Area["trygghet"], l.ChildArea["trygghet"] = area, child
		p := partial()
		p[0].Label = name
		opt := Options{Dir: dir, ID: name, Lang: name}
		for _, s := range []string{Radar(p, l, opt), Wheel(wheelAnswers(), l, opt)} {
			d := xml.NewDecoder(strings.NewReader(s))
			for {
				_, err := d.Token()
				if err != nil {
					if err.Error() != "EOF" {
						t.Fatalf("not well-formed: %v", err)
					}
					break
				}
			}
		}
		if err := xml.Unmarshal([]byte(Table(p, l, name)), new(struct{})); err != nil {
			t.Fatalf("table not well-formed: %v", err)
		}
	})
}
