package exports

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/jung-kurt/gofpdf"
)

// The drawing layer of the PDF: pages with header and footer, flowing text with page
// breaks, tables whose rows break across pages under a repeated header row, and the
// needs compass. All measures are millimetres on A4 unless a name says pt.

const (
	pageW, pageH   = 210.0, 297.0
	marginX        = 18.0
	contentTop     = 22.0
	contentBottom  = 280.0 // text never goes below this; the footer sits under it
	ptToMM         = 25.4 / 72
	bodySize       = 10.0 // pt
	smallSize      = 8.5  // pt
	lineFactor     = 1.32 // line height as a multiple of the font size
	tableCellPadX  = 1.4
	tableCellPadY  = 1.1
	blockGap       = 2.2 // after a paragraph
	sectionGap     = 5.0 // before a section heading
	listIndent     = 6.0
	quoteIndent    = 5.0
	contentWidth   = pageW - 2*marginX
	headerTextSize = 8.0
)

// nbAlias is replaced by the page count when the document closes (gofpdf AliasNbPages).
// It contains control characters, which sanitize turns into □, so no one's text can ever
// contain it and have part of their words replaced by a number (as "{nb}" could).
const nbAlias = "\x01nb\x01"

type rgb struct{ r, g, b int }

var (
	colText    = rgb{25, 25, 25}
	colMuted   = rgb{85, 85, 85}
	colHeading = rgb{20, 45, 85}
	colRule    = rgb{160, 160, 160}
	colGrid    = rgb{200, 200, 200}
	colFill    = rgb{232, 236, 242}
	colCode    = rgb{240, 240, 240}
	colLink    = rgb{0, 70, 150}
)

// pdfDoc is one document being drawn. It is not safe for concurrent use; documents
// built concurrently share nothing but read-only tables.
type pdfDoc struct {
	f     *gofpdf.Fpdf
	m     *metrics
	fonts [numStyles]bool // added to this document
	y     float64
	// running header and footer texts
	headLeft, headRight, footLeft string
}

func newPDFDoc(m *metrics) *pdfDoc {
	f := gofpdf.New("P", "mm", "A4", "")
	d := &pdfDoc{f: f, m: m}
	f.SetMargins(marginX, contentTop, marginX)
	f.SetAutoPageBreak(false, 0) // pages break where this file says, nowhere else
	f.SetCellMargin(0)
	f.AliasNbPages(nbAlias)
	f.SetCatalogSort(true)
	f.SetCompression(true)
	f.SetHeaderFuncMode(d.drawHeader, false)
	f.SetFooterFunc(d.drawFooter)
	d.useFont(styleRegular, bodySize)
	return d
}

// useFont selects a style and size, adding the font to the document the first time.
// Each document gets its own copy of the font bytes: gofpdf keeps and reads the slice
// while writing, and sharing one between documents built at once is a data race.
func (d *pdfDoc) useFont(st fontStyle, sizePt float64) {
	face := fontFaces[st]
	if !d.fonts[st] {
		d.f.AddUTF8FontFromBytes(face.family, face.style, append([]byte(nil), face.ttf...))
		d.fonts[st] = true
	}
	d.f.SetFont(face.family, face.style, sizePt)
}

func (d *pdfDoc) color(c rgb)     { d.f.SetTextColor(c.r, c.g, c.b) }
func (d *pdfDoc) drawColor(c rgb) { d.f.SetDrawColor(c.r, c.g, c.b) }
func (d *pdfDoc) fillColor(c rgb) { d.f.SetFillColor(c.r, c.g, c.b) }

func lineHeight(sizePt float64) float64 { return sizePt * lineFactor * ptToMM }

// addPage starts a page; gofpdf calls drawFooter for the old page and drawHeader for the new.
func (d *pdfDoc) addPage() {
	d.f.AddPage()
	d.y = contentTop
}

// ensure starts a new page unless h more millimetres fit on this one.
func (d *pdfDoc) ensure(h float64) {
	if d.f.PageNo() == 0 || d.y+h > contentBottom+0.001 {
		d.addPage()
	}
}

func (d *pdfDoc) drawHeader() {
	m := d.m
	d.useFont(styleRegular, headerTextSize)
	d.color(colMuted)
	y := 10.0
	right := sanitize(m, d.headRight, false)
	rw := m.textWidth(right, styleRegular, headerTextSize) * ptToMM
	left := truncate(m, sanitize(m, d.headLeft, false), styleRegular, headerTextSize, (contentWidth-rw-6)/ptToMM)
	d.f.SetXY(marginX, y)
	d.f.CellFormat(contentWidth-rw-6, 4, left, "", 0, "L", false, 0, "")
	d.f.SetXY(pageW-marginX-rw, y)
	d.f.CellFormat(rw, 4, right, "", 0, "L", false, 0, "")
	d.drawColor(colRule)
	d.f.SetLineWidth(0.2)
	d.f.Line(marginX, 15, pageW-marginX, 15)
	d.color(colText)
}

func (d *pdfDoc) drawFooter() {
	m := d.m
	d.useFont(styleRegular, headerTextSize)
	d.color(colMuted)
	y := pageH - 12
	d.drawColor(colRule)
	d.f.SetLineWidth(0.2)
	d.f.Line(marginX, y-1.5, pageW-marginX, y-1.5)
	d.f.SetXY(marginX, y)
	d.f.CellFormat(120, 4, sanitize(m, d.footLeft, false), "", 0, "L", false, 0, "")
	// Left-aligned in a box at the right: the alias is wider than the number it becomes,
	// so right-aligning it would leave a gap.
	box := m.textWidth(fmt.Sprintf(txtPageFooter, 999, "999"), styleRegular, headerTextSize) * ptToMM
	d.f.SetXY(pageW-marginX-box, y)
	d.f.CellFormat(box, 4, pageFooter(d.f.PageNo()), "", 0, "L", false, 0, "")
	d.color(colText)
}

func pageFooter(page int) string {
	return fmt.Sprintf(txtPageFooter, page, nbAlias)
}

// drawLine draws one wrapped line at (x, y).
func (d *pdfDoc) drawLine(spans []span, ln line, x, y, lh, sizePt float64) {
	for _, p := range ln.pieces {
		sp := spans[p.sp]
		w := p.w * ptToMM
		d.useFont(sp.style, sizePt)
		if sp.code {
			d.fillColor(colCode)
			d.f.Rect(x, y+0.15*lh, w, 0.8*lh, "F")
		}
		link := ""
		if sp.link != "" {
			d.color(colLink)
			link = sp.link
		}
		d.f.SetXY(x, y)
		d.f.CellFormat(w, lh, p.text, "", 0, "L", false, 0, link)
		if sp.strike {
			d.drawColor(colText)
			d.f.SetLineWidth(0.2)
			d.f.Line(x, y+0.52*lh, x+w, y+0.52*lh)
		}
		if sp.link != "" {
			d.color(colText)
		}
		x += w
	}
}

// flowOpts says how flow lays out a block of text.
type flowOpts struct {
	sizePt float64
	indent float64 // from the left margin
	width  float64 // 0: to the right margin
	keep   int     // lines that must stay on the page with the first one (headings)
	// decorate, if set, draws beside each line (list markers, quote bars).
	decorate func(first bool, y, lh float64)
}

// flow wraps spans and draws them from d.y, breaking pages between lines.
func (d *pdfDoc) flow(spans []span, o flowOpts) {
	if o.sizePt == 0 {
		o.sizePt = bodySize
	}
	if o.width == 0 {
		o.width = contentWidth - o.indent
	}
	lh := lineHeight(o.sizePt)
	lines := wrap(d.m, spans, o.sizePt, o.width/ptToMM)
	for i, ln := range lines {
		if i == 0 {
			d.ensure(lh * float64(1+o.keep))
		} else {
			d.ensure(lh)
		}
		if o.decorate != nil {
			o.decorate(i == 0, d.y, lh)
		}
		d.drawLine(spans, ln, marginX+o.indent, d.y, lh, o.sizePt)
		d.y += lh
	}
}

// height is how tall flow would draw spans.
func (d *pdfDoc) height(spans []span, o flowOpts) float64 {
	if o.sizePt == 0 {
		o.sizePt = bodySize
	}
	if o.width == 0 {
		o.width = contentWidth - o.indent
	}
	return float64(len(wrap(d.m, spans, o.sizePt, o.width/ptToMM))) * lineHeight(o.sizePt)
}

func plain(s string) []span              { return []span{{text: s}} }
func styled(s string, st fontStyle) span { return span{text: s, style: st} }

// para draws a paragraph of someone's text (or ours) and the gap after it.
func (d *pdfDoc) para(spans ...span) {
	d.flow(spans, flowOpts{})
	d.y += blockGap
}

// heading starts a section: a bookmark in the outline, a gap, bold larger text kept
// together with the first lines under it.
func (d *pdfDoc) heading(s string) {
	size := 13.5
	if d.y > contentTop+1 {
		d.y += sectionGap
	}
	// room for the heading, a subheading and two lines, so no heading ends a page alone
	d.ensure(lineHeight(size) + 1.2 + subheadingRoom)
	d.f.Bookmark(sanitize(d.m, s, false), 0, d.y)
	d.color(colHeading)
	d.flow([]span{styled(s, styleBold)}, flowOpts{sizePt: size})
	d.color(colText)
	d.y += 1.2
}

// subheadingRoom is what a subheading needs below it: itself and two lines.
var subheadingRoom = 1.2 + lineHeight(11) + 0.6 + 2*lineHeight(bodySize)

// subheading is a heading inside a section (an area, a need, a note's title).
func (d *pdfDoc) subheading(s string, extra ...span) {
	d.y += 1.2
	d.ensure(subheadingRoom)
	d.color(colHeading)
	d.flow(append([]span{styled(s, styleBold)}, extra...), flowOpts{sizePt: 11})
	d.color(colText)
	d.y += 0.6
}

// field draws "Label: value" as one paragraph, value in the person's words.
func (d *pdfDoc) field(label, value string, indent float64) {
	if value == "" {
		value = txtNotGiven
	}
	d.flow([]span{styled(label+": ", styleBold), {text: value}}, flowOpts{indent: indent})
	d.y += 0.8
}

// rule draws a thin horizontal line across the text column.
func (d *pdfDoc) rule(indent float64) {
	d.ensure(3)
	d.drawColor(colRule)
	d.f.SetLineWidth(0.2)
	d.f.Line(marginX+indent, d.y+1.5, pageW-marginX, d.y+1.5)
	d.y += 3
}

// column is a table column: its header text and width.
type column struct {
	title string
	w     float64
}

type tableOpts struct {
	header bool // draw the header row, and again at the top of every page the table reaches
	grid   bool // cell borders; without, a light line under each row
	sizePt float64
}

// table draws rows of cells. A row moves whole to the next page when it fits there; a
// row taller than a page is split between lines. Whenever the table continues on a new
// page, its header row is drawn again first.
func (d *pdfDoc) table(cols []column, rows [][][]span, o tableOpts) {
	if o.sizePt == 0 {
		o.sizePt = bodySize
	}
	lh := lineHeight(o.sizePt)
	wrapCell := func(c []span, w float64) []line {
		return wrap(d.m, c, o.sizePt, (w-2*tableCellPadX)/ptToMM)
	}
	var head [][]line
	headH := 0.0
	if o.header {
		// A header taller than a third of a page (a perspective's name pages long) is
		// cut with "…", or it would leave no room for rows on the pages it repeats on.
		maxLines := max(1, int((contentBottom-contentTop)/3/lh))
		for _, c := range cols {
			sp := []span{styled(c.title, styleBold)}
			l := clamp(d.m, sp, wrapCell(sp, c.w), maxLines, o.sizePt, (c.w-2*tableCellPadX)/ptToMM)
			head = append(head, l)
			headH = max(headH, float64(len(l))*lh+2*tableCellPadY)
		}
	}
	drawHead := func() {
		if !o.header {
			return
		}
		x := marginX
		d.fillColor(colFill)
		d.drawColor(colGrid)
		d.f.SetLineWidth(0.2)
		for i, c := range cols {
			d.f.Rect(x, d.y, c.w, headH, "FD")
			for j, ln := range head[i] {
				d.drawLine([]span{styled(c.title, styleBold)}, ln, x+tableCellPadX, d.y+tableCellPadY+float64(j)*lh, lh, o.sizePt)
			}
			x += c.w
		}
		d.y += headH
	}
	// the header never stands alone at the foot of a page
	if d.f.PageNo() == 0 || d.y+headH+lh+2*tableCellPadY > contentBottom {
		d.addPage()
	}
	drawHead()
	freshLines := int((contentBottom - contentTop - headH - 2*tableCellPadY) / lh)
	for _, row := range rows {
		cells := make([][]line, len(cols))
		n := 1
		for i := range cols {
			if i < len(row) {
				cells[i] = wrapCell(row[i], cols[i].w)
			}
			n = max(n, len(cells[i]))
		}
		for start := 0; start < n; {
			avail := int((contentBottom - d.y - 2*tableCellPadY) / lh)
			left := n - start
			if left > avail && (left <= freshLines || avail < 2) {
				d.addPage()
				drawHead()
				continue
			}
			k := min(left, avail)
			h := float64(k)*lh + 2*tableCellPadY
			x := marginX
			d.drawColor(colGrid)
			d.f.SetLineWidth(0.2)
			for i, c := range cols {
				if o.grid {
					d.f.Rect(x, d.y, c.w, h, "D")
				}
				if i < len(row) {
					for j := start; j < min(start+k, len(cells[i])); j++ {
						d.drawLine(row[i], cells[i][j], x+tableCellPadX, d.y+tableCellPadY+float64(j-start)*lh, lh, o.sizePt)
					}
				}
				x += c.w
			}
			if !o.grid {
				d.drawColor(colGrid)
				d.f.Line(marginX, d.y+h, marginX+contentWidth, d.y+h)
			}
			d.y += h
			start += k
			if start < n {
				d.addPage()
				drawHead()
			}
		}
	}
	d.y += blockGap
}

// hexColor turns "#RRGGBB" into rgb.
func hexColor(s string) rgb {
	v, _ := strconv.ParseUint(strings.TrimPrefix(s, "#"), 16, 32)
	return rgb{int(v >> 16 & 0xff), int(v >> 8 & 0xff), int(v & 0xff)}
}

// polar is the point at angle a (radians clockwise from 12 o'clock) and radius r from c.
func polar(cx, cy, a, r float64) (float64, float64) {
	s, c := math.Sincos(a)
	return cx + r*s, cy - r*c
}

// The needs compass as a radar, drawn with gofpdf's lines and polygons. The geometry and
// the styles follow server/compass (radar.go, style.go), which this package may not
// import: axes at equal angles clockwise from 12 o'clock, level k of 5 at k/5 of the
// radius (so no rating sits at the centre), and each perspective told apart by colour
// (Okabe–Ito, darkened for contrast), dash pattern and marker shape at once, so the
// figure works in greyscale and for colour-blind readers. Unrated, "vet inte" and "vill
// inte svara" are not plotted; the outline breaks there instead of dropping to zero.

type markerShape uint8

const (
	markerCircle markerShape = iota
	markerSquare
	markerTriangle
	markerDiamond
	markerTriangleDown
	markerCross
)

type radarStyle struct {
	color  rgb
	dash   []float64 // in multiples of the stroke width; nil is solid; 0 with round caps is a dot
	marker markerShape
}

var radarStyles = [...]radarStyle{
	{hexColor("#0072B2"), nil, markerCircle},                              // blue, solid
	{hexColor("#D55E00"), []float64{3, 2}, markerSquare},                  // vermillion, dashed
	{hexColor("#007A5A"), []float64{0, 2}, markerTriangle},                // green, dotted
	{hexColor("#B8478F"), []float64{4, 1.6, 0, 1.6}, markerDiamond},       // purple-red, dash-dot
	{hexColor("#6A3D9A"), []float64{6, 2.4}, markerTriangleDown},          // violet, long dash
	{hexColor("#4A5563"), []float64{4, 1.6, 0, 1.6, 0, 1.6}, markerCross}, // slate, dash-dot-dot
}

// radarSeries is one perspective: its label and, per axis, the level 1–5 or 0 (not plotted).
type radarSeries struct {
	label  string
	levels []int
}

const (
	radarR       = 31.0 // radius of level 5
	radarGap     = 2.5  // between the outer octagon and the labels
	radarLabelW  = 31.0 // widest label
	radarSize    = 8.5  // pt, labels and legend
	radarStroke  = 0.55
	radarMarkerR = 1.15
)

// radar draws the compass with its legend at the right and moves d.y below both.
func (d *pdfDoc) radar(axes []string, series []radarSeries, unrated string) {
	n := len(axes)
	if n < 3 { // a radar needs three axes; the table beside it shows every rating anyway
		return
	}
	lh := lineHeight(radarSize)
	labels := make([][]line, n)
	for i, a := range axes {
		sp := []span{styled(a, styleBold)}
		labels[i] = clamp(d.m, sp, wrap(d.m, sp, radarSize, radarLabelW/ptToMM), 3, radarSize, radarLabelW/ptToMM)
	}
	legendX := marginX + 2*(radarR+radarGap+radarLabelW) + 4
	legendTextX := legendX + 11
	legendW := pageW - marginX - legendTextX
	legend := make([][]span, len(series))
	legendLines := make([][]line, len(series))
	legendH := 0.0
	for j, s := range series {
		legend[j] = []span{{text: s.label}}
		if !slicesHasPositive(s.levels) {
			legend[j] = append(legend[j], span{text: " (" + unrated + ")", style: styleItalic})
		}
		legendLines[j] = clamp(d.m, legend[j], wrap(d.m, legend[j], radarSize, legendW/ptToMM), 4, radarSize, legendW/ptToMM)
		legendH += float64(max(1, len(legendLines[j])))*lh + 1.8
	}
	// room above and below the octagon for the labels that stand there
	above, below := 1.0, 1.0
	for i := range n {
		h := float64(len(labels[i])) * lh
		switch c := math.Cos(2 * math.Pi * float64(i) / float64(n)); {
		case c > 0.3:
			above = max(above, h-(1-c)*radarR)
		case c < -0.3:
			below = max(below, h-(1+c)*radarR)
		default:
			above = max(above, h/2-(1-c)*radarR)
			below = max(below, h/2-(1+c)*radarR)
		}
	}
	above += radarGap
	below += radarGap
	blockH := max(above+2*radarR+below, legendH) + 2
	d.ensure(blockH)
	cx := marginX + radarLabelW + radarGap + radarR
	cy := d.y + above + radarR

	angle := func(i int) float64 { return 2 * math.Pi * float64(i) / float64(n) }
	ring := func(r float64) []gofpdf.PointType {
		pts := make([]gofpdf.PointType, n)
		for i := range n {
			x, y := polar(cx, cy, angle(i), r)
			pts[i] = gofpdf.PointType{X: x, Y: y}
		}
		return pts
	}
	// grid: five octagons, the spokes, the level numbers beside the first spoke
	d.drawColor(colGrid)
	for k := 1; k <= 5; k++ {
		d.f.SetLineWidth(0.2)
		if k == 5 {
			d.f.SetLineWidth(0.35)
		}
		d.f.Polygon(ring(radarR*float64(k)/5), "D")
	}
	d.f.SetLineWidth(0.2)
	for _, p := range ring(radarR) {
		d.f.Line(cx, cy, p.X, p.Y)
	}
	d.useFont(styleRegular, 6.5)
	d.color(colMuted)
	for k := 1; k <= 5; k++ {
		d.f.SetXY(cx+0.8, cy-radarR*float64(k)/5-1.6)
		d.f.CellFormat(3, 3, strconv.Itoa(k), "", 0, "L", false, 0, "")
	}
	d.color(colText)
	// labels outside the octagon, aligned by where they sit
	for i := range n {
		s, c := math.Sincos(angle(i))
		ax, ay := polar(cx, cy, angle(i), radarR+radarGap)
		h := float64(len(labels[i])) * lh
		y := ay - h/2
		if c > 0.3 {
			y = ay - h
		} else if c < -0.3 {
			y = ay
		}
		for j, ln := range labels[i] {
			w := ln.w * ptToMM
			x := ax - w/2
			if s > 0.3 {
				x = ax
			} else if s < -0.3 {
				x = ax - w
			}
			d.drawLine([]span{styled(axes[i], styleBold)}, ln, x, y+float64(j)*lh, lh, radarSize)
		}
	}
	// one outline per perspective, then its markers on top
	d.f.SetLineCapStyle("round")
	d.f.SetLineJoinStyle("round")
	for j, s := range series {
		st := radarStyles[j%len(radarStyles)]
		d.strokeStyle(st)
		pts := make([]*gofpdf.PointType, n)
		for i := range n {
			if i < len(s.levels) && s.levels[i] > 0 {
				x, y := polar(cx, cy, angle(i), radarR*float64(s.levels[i])/5)
				pts[i] = &gofpdf.PointType{X: x, Y: y}
			}
		}
		for _, run := range radarRuns(pts) {
			if len(run.pts) < 2 {
				continue
			}
			d.f.MoveTo(run.pts[0].X, run.pts[0].Y)
			for _, p := range run.pts[1:] {
				d.f.LineTo(p.X, p.Y)
			}
			if run.closed {
				d.f.ClosePath()
			}
			d.f.DrawPath("D")
		}
		d.f.SetDashPattern([]float64{}, 0)
		for _, p := range pts {
			if p != nil {
				d.marker(st, p.X, p.Y, radarMarkerR)
			}
		}
	}
	// legend: a sample of each line with its marker, and the perspective's name
	y := cy - radarR
	for j := range series {
		st := radarStyles[j%len(radarStyles)]
		mid := y + lh/2
		d.strokeStyle(st)
		d.f.Line(legendX, mid, legendX+9, mid)
		d.f.SetDashPattern([]float64{}, 0)
		d.marker(st, legendX+4.5, mid, radarMarkerR)
		for k, ln := range legendLines[j] {
			d.drawLine(legend[j], ln, legendTextX, y+float64(k)*lh, lh, radarSize)
		}
		y += float64(max(1, len(legendLines[j])))*lh + 1.8
	}
	d.f.SetLineCapStyle("butt")
	d.f.SetLineJoinStyle("miter")
	d.y += blockH
}

func slicesHasPositive(xs []int) bool {
	for _, x := range xs {
		if x > 0 {
			return true
		}
	}
	return false
}

func (d *pdfDoc) strokeStyle(st radarStyle) {
	d.drawColor(st.color)
	d.f.SetLineWidth(radarStroke)
	dash := make([]float64, len(st.dash))
	for i, x := range st.dash {
		dash[i] = x * radarStroke
	}
	d.f.SetDashPattern(dash, 0)
}

type radarRun struct {
	pts    []gofpdf.PointType
	closed bool
}

// radarRuns splits an outline at the axes that are not plotted: each run joins
// neighbouring plotted axes (wrapping past the last axis to the first); an outline with
// every axis plotted is one closed run. A lone point is a run of one (a marker only).
func radarRuns(pts []*gofpdf.PointType) []radarRun {
	n := len(pts)
	start := -1
	for i := range n {
		if pts[i] == nil {
			start = (i + 1) % n
			break
		}
	}
	if start < 0 {
		run := radarRun{closed: true}
		for _, p := range pts {
			run.pts = append(run.pts, *p)
		}
		return []radarRun{run}
	}
	var runs []radarRun
	var cur []gofpdf.PointType
	for k := range n {
		p := pts[(start+k)%n]
		if p == nil {
			if len(cur) > 0 {
				runs = append(runs, radarRun{pts: cur})
				cur = nil
			}
			continue
		}
		cur = append(cur, *p)
	}
	if len(cur) > 0 {
		runs = append(runs, radarRun{pts: cur})
	}
	return runs
}

// marker draws a filled marker of "radius" r centred on (x, y). Triangles and the
// diamond are drawn larger because they cover less area than a circle of r.
func (d *pdfDoc) marker(st radarStyle, x, y, r float64) {
	d.fillColor(st.color)
	var pts []gofpdf.PointType
	add := func(px, py float64) { pts = append(pts, gofpdf.PointType{X: x + px, Y: y + py}) }
	switch st.marker {
	case markerCircle:
		d.f.Circle(x, y, r, "F")
		return
	case markerSquare:
		s := r * 0.9
		add(-s, -s)
		add(s, -s)
		add(s, s)
		add(-s, s)
	case markerTriangle, markerTriangleDown:
		k, sign := r*1.35, 1.0
		if st.marker == markerTriangleDown {
			sign = -1
		}
		for i := range 3 {
			px, py := polar(0, 0, float64(i)*2*math.Pi/3, k)
			add(px, sign*py+sign*k*0.2)
		}
	case markerDiamond:
		k := r * 1.3
		add(0, -k)
		add(k, 0)
		add(0, k)
		add(-k, 0)
	case markerCross: // a plus with arms of reach a and half-thickness b, turned 45°
		a, b := r*1.25, r*0.42
		plus := [][2]float64{{b, -a}, {b, -b}, {a, -b}, {a, b}, {b, b}, {b, a}, {-b, a}, {-b, b}, {-a, b}, {-a, -b}, {-b, -b}, {-b, -a}}
		for _, p := range plus {
			add((p[0]-p[1])/math.Sqrt2, (p[0]+p[1])/math.Sqrt2)
		}
	}
	d.f.Polygon(pts, "F")
}
