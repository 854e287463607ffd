package exports

import (
	"bytes"
	"html"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/barnteam/barnteam/server/board"
	"github.com/barnteam/barnteam/server/compass"
)

// partialDoc is the fixture with the partial ratings of issue 4: the child rated three
// areas and said "vet inte" on one, Sara gave five answers, one of them "vill inte
// svara", Omar has rated nothing, and the professionals rated all eight.
func partialDoc() board.PlanDoc {
	doc := fixtureDoc()
	ratings := map[board.Area][]board.Rating{ // Alva, Sara, Omar, the professionals
		"trygghet":     {"4", "2", "", "2"},
		"halsa":        {"3", board.RatingDeclined, "", "3"},
		"utveckling":   {board.RatingUnknown, "3", "", "2"},
		"omsorg":       {"", "4", "", "3"},
		"fritid":       {"5", "", "", "4"},
		"tillhorighet": {"", "", "", "1"},
		"respekt":      {"", "", "", "3"},
		"ansvar":       {"", "3", "", "4"},
	}
	for i := range doc.Areas {
		doc.Areas[i].Ratings = ratings[doc.Areas[i].Area]
	}
	return doc
}

// partialSegments is what partialDoc's outlines draw: the child 1 (trygghet–hälsa;
// fritid is a lone marker), Sara 2 (ansvar–trygghet across the wrap-around,
// utveckling–omsorg), Omar 0, the professionals 8 (closed). As in server/compass.
var partialSegments = []int{1, 2, 0, 8}

// svgOutlines counts, per perspective in the order drawn, the markers and the straight
// segments of each compass-outline group of a radar SVG, and returns the legend group.
func svgOutlines(t *testing.T, svg string) (keys []string, markers, segments []int, legend string) {
	t.Helper()
	i := strings.Index(svg, `<g class="compass-legend"`)
	if i < 0 {
		t.Fatal("the SVG has no legend")
	}
	legend = svg[i:]
	groups := strings.Split(svg[:i], `<g class="compass-outline" data-perspective="`)[1:]
	points := regexp.MustCompile(`<(polygon|polyline) points="([^"]*)"`)
	for _, g := range groups {
		keys = append(keys, html.UnescapeString(g[:strings.Index(g, `"`)]))
		line, dots, _ := strings.Cut(g, `stroke="#ffffff"`)
		markers = append(markers, strings.Count(dots, "<circle")+strings.Count(dots, "<polygon"))
		n := 0
		for _, m := range points.FindAllStringSubmatch(line, -1) {
			k := len(strings.Fields(m[2]))
			if m[1] == "polyline" {
				k--
			}
			n += k
		}
		segments = append(segments, n)
	}
	return keys, markers, segments, legend
}

// bboxWord is a word as pdftotext -bbox places it, in millimetres from the page's top left.
type bboxWord struct {
	text                   string
	xMin, yMin, xMax, yMax float64
}

func bboxWords(t *testing.T, pdf []byte) []bboxWord {
	t.Helper()
	out := pdftotext(t, pdf, "-bbox")
	re := regexp.MustCompile(`<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)</word>`)
	var words []bboxWord
	for _, m := range re.FindAllStringSubmatch(out, -1) {
		var v [4]float64
		for i := range v {
			x, err := strconv.ParseFloat(m[i+1], 64)
			if err != nil {
				t.Fatal(err)
			}
			v[i] = x * ptToMM
		}
		words = append(words, bboxWord{html.UnescapeString(m[5]), v[0], v[1], v[2], v[3]})
	}
	return words
}

// TestPDFRadarAgreesWithSVG: the PDF draws the radar the board and the shared screen draw,
// from the same layout: the same points plotted per perspective (never an unrated area
// as zero), the same broken outlines, the same perspectives marked "Inte bedömt" in the
// legend, and every text where the layout puts it.
func TestPDFRadarAgreesWithSVG(t *testing.T) {
	doc := partialDoc()
	p, err := prepare(doc, evidenceFor(t, doc))
	if err != nil {
		t.Fatal(err)
	}
	m, err := fontMetrics()
	if err != nil {
		t.Fatal(err)
	}
	persp, l, ok := compassInput(p, m)
	if !ok {
		t.Fatal("no compass for a plan with all eight areas")
	}
	lay := compass.RadarLayout(persp, l, compass.Options{})
	svg := compass.Radar(persp, l, compass.Options{})

	// what the plan says, counted here without package compass
	plotted := make([]int, len(doc.Perspectives))
	unrated := make([]bool, len(doc.Perspectives))
	for j := range doc.Perspectives {
		unrated[j] = true
		for _, a := range doc.Areas {
			r := a.Ratings[j]
			if len(r) == 1 && r[0] >= '1' && r[0] <= '5' {
				plotted[j]++
			}
			if r.Valid() {
				unrated[j] = false
			}
		}
	}
	if want := []int{3, 4, 0, 8}; !slicesEqual(plotted, want) {
		t.Fatalf("the fixture plots %v, want %v", plotted, want)
	}

	d := newPDFDoc(m)
	d.addPage()
	drawn := d.radar(lay)
	if err := d.f.Error(); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := d.f.Output(&out); err != nil {
		t.Fatal(err)
	}
	pdf := out.Bytes()

	keys, svgMarkers, svgSegments, legend := svgOutlines(t, svg)
	if len(keys) != len(doc.Perspectives) {
		t.Fatalf("the SVG has %d outlines for %d perspectives", len(keys), len(doc.Perspectives))
	}
	for i, key := range keys {
		j := len(keys) - 1 - i // the SVG draws the first perspective last, on top
		if key != doc.Perspectives[j].Key {
			t.Errorf("SVG outline %d is %q, want %q", i, key, doc.Perspectives[j].Key)
		}
		if svgMarkers[i] != plotted[j] || drawn.markers[j] != plotted[j] {
			t.Errorf("%s: %d points in the plan, %d markers in the SVG, %d in the PDF", key, plotted[j], svgMarkers[i], drawn.markers[j])
		}
		if svgSegments[i] != partialSegments[j] || drawn.segments[j] != partialSegments[j] {
			t.Errorf("%s: %d segments in the SVG, %d in the PDF, want %d", key, svgSegments[i], drawn.segments[j], partialSegments[j])
		}
	}

	// "Inte bedömt" in the legend for exactly the perspectives without ratings
	note := ratingLabels[""]
	nUnrated := 0
	for j, u := range unrated {
		e := lay.Perspectives[j].Legend
		if got := len(e.Text.Lines) > e.NameLines; got != u {
			t.Errorf("%s: legend note %v, want %v", doc.Perspectives[j].Label, got, u)
		}
		if u {
			nUnrated++
		}
	}
	if nUnrated != 1 {
		t.Fatalf("%d perspectives without ratings in the fixture", nUnrated)
	}
	text := pdftotext(t, pdf)
	if got := strings.Count(legend, ">"+note+"<"); got != nUnrated {
		t.Errorf("the SVG legend says %q %d times, want %d", note, got, nUnrated)
	}
	if got := strings.Count(text, note); got != nUnrated {
		t.Errorf("the PDF radar says %q %d times, want %d", note, got, nUnrated)
	}
	for _, ps := range doc.Perspectives {
		if !strings.Contains(legend, ps.Label) || !strings.Contains(text, ps.Label) {
			t.Errorf("legend of the SVG or the PDF lacks %q", ps.Label)
		}
	}

	// every word of every text block is drawn inside the block's box, as the layout placed it
	var blocks []compass.TextBlock
	for _, ax := range lay.Axes {
		blocks = append(blocks, ax.Label)
	}
	for _, lv := range lay.Levels {
		blocks = append(blocks, lv.Numeral)
	}
	for _, ps := range lay.Perspectives {
		blocks = append(blocks, ps.Legend.Text)
	}
	blocks = append(blocks, lay.ScaleKey)
	if len(lay.ScaleKey.Lines) == 0 {
		t.Error("no scale key")
	}
	words := bboxWords(t, pdf)
	const tol = 0.3 // mm
	fr := drawn.frame
	for _, b := range blocks {
		x0, y0 := fr.at(compass.Point{X: b.Box.X0, Y: b.Box.Y0})
		x1, y1 := fr.at(compass.Point{X: b.Box.X1, Y: b.Box.Y1})
		for _, ln := range b.Lines {
			for _, w := range strings.Fields(ln) {
				found := false
				for _, bw := range words {
					found = found || bw.text == w && bw.xMin >= x0-tol && bw.xMax <= x1+tol && bw.yMin >= y0-tol && bw.yMax <= y1+tol
				}
				if !found {
					t.Errorf("%q of %q is not drawn inside its box (%.1f, %.1f)–(%.1f, %.1f) mm", w, b.Lines, x0, y0, x1, y1)
				}
			}
		}
	}
	if t.Failed() {
		path := t.TempDir() + "/radar.pdf"
		_ = os.WriteFile(path, pdf, 0o644)
		t.Logf("the radar is in %s", path)
	}
}

func slicesEqual(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestPDFRadarInThePlan: the plan's compass carries the legend and the scale key, and a
// perspective without ratings is marked as such in the legend.
func TestPDFRadarInThePlan(t *testing.T) {
	doc := partialDoc()
	pdf := mustPDF(t, doc, evidenceFor(t, doc))
	var page string
	for _, p := range pages(t, pdf) {
		if strings.Contains(p, txtCompassNote[:40]) {
			page = flat(p)
		}
	}
	if page == "" {
		t.Fatal("no page with the compass")
	}
	for _, want := range []string{"Alva själv", "Sara Lind", "Omar Lind Inte bedömt", "De professionella", "1 = Mycket dåligt", "5 = Mycket bra",
		"Trygghet", "Hälsa", "Utveckling", "Omsorg", "Fritid", "Tillhörighet", "Respekterad", "Ansvar"} {
		if !strings.Contains(page, want) {
			t.Errorf("the compass page lacks %q", want)
		}
	}
}

// TestCompassInput: the plan's areas by their frozen labels, an area listed twice counts
// once, an unknown area is left out, and text the font cannot show is □ before the
// layout wraps it.
func TestCompassInput(t *testing.T) {
	m, err := fontMetrics()
	if err != nil {
		t.Fatal(err)
	}
	doc := fixtureDoc()
	doc.Areas[1].Label = "Hälsa 😀"
	dup := doc.Areas[0]
	dup.Label, dup.Ratings = "Trygghet igen", []board.Rating{"5", "5", "5", "5"}
	doc.Areas = append(doc.Areas, dup, board.PlanArea{Area: "okänt", Label: "Okänt", Ratings: []board.Rating{"1", "1", "1", "1"}})
	doc.Perspectives[1].Label = "Sara\u202e Lind"
	persp, l, ok := compassInput(&plan{doc: doc}, m)
	if !ok {
		t.Fatal("not ok")
	}
	if l.Area["halsa"] != "Hälsa □" || l.Area["trygghet"] != "Trygghet" || len(l.Area) != 8 {
		t.Errorf("area labels %q", l.Area)
	}
	if l.Unrated != "Inte bedömt" || l.Scale[0] != "Mycket dåligt" || l.Scale[4] != "Mycket bra" {
		t.Errorf("labels %+v", l)
	}
	if persp[1].Label != "Sara□ Lind" {
		t.Errorf("perspective label %q", persp[1].Label)
	}
	if r := persp[0].Ratings; r["trygghet"] != "2" || len(r) != 8 || r["okänt"] != "" {
		t.Errorf("the child's ratings %v", r)
	}
	if _, _, ok := compassInput(&plan{doc: board.PlanDoc{Areas: []board.PlanArea{{Area: "okänt"}}}}, m); ok {
		t.Error("a compass for a plan without compass areas")
	}
}
