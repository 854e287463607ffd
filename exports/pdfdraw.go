package exports

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/barnteam/barnteam/server/compass"
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

// The needs compass as a radar, drawn with gofpdf from compass.RadarLayout: the geometry,
// the outline styles (colour, dash pattern and marker shape at once, so the figure works
// in greyscale and for colour-blind readers), the runs that break an outline where an
// area is not plotted and the legend are those the board and the shared screen draw as
// SVG, from the same numbers. Only the text is set here: the layout's positions are
// anchors, aligned with the PDF font's own widths.

// radarScale is millimetres per viewBox unit of the layout (of the default size, 400).
// Level 5 then has a radius of 25 mm, area labels are set at 9.5 pt and the legend at
// 8.7 pt; with the legend below, eight short labels and four perspectives, the figure is
// about 100 × 95 mm. A layout too large for the text column or a page is scaled down to fit.
const radarScale = 0.14

var colWhite = rgb{255, 255, 255}

// radarDrawn is what radar drew: per perspective, the markers on the chart and the
// segments of its outline, and where on the page. The tests compare it with the SVG.
type radarDrawn struct {
	markers, segments []int
	frame             radarFrame
}

// radar draws the layout centred in the text column from d.y, on a new page unless it
// fits on this one, and moves d.y below it.
func (d *pdfDoc) radar(lay compass.Layout) radarDrawn {
	drawn := radarDrawn{markers: make([]int, len(lay.Perspectives)), segments: make([]int, len(lay.Perspectives))}
	if lay.Width <= 0 || lay.Height <= 0 || len(lay.Levels) == 0 {
		return drawn
	}
	k := min(radarScale, contentWidth/lay.Width, (contentBottom-contentTop)/lay.Height)
	w, h := k*lay.Width, k*lay.Height
	d.ensure(h)
	fr := radarFrame{x0: marginX + (contentWidth-w)/2, y0: d.y, k: k}
	at, poly := fr.at, fr.poly
	drawn.frame = fr
	stroke := lay.Stroke * k

	// the grid: the outer octagon on white, the spokes, the inner octagons
	d.f.SetLineCapStyle("round")
	d.f.SetLineJoinStyle("round")
	outer := lay.Levels[len(lay.Levels)-1]
	d.fillColor(colWhite)
	d.drawColor(hexColor(compass.ColorFrame))
	d.f.SetLineWidth(stroke * 0.6)
	d.f.Polygon(poly(outer.Ring), "FD")
	d.drawColor(hexColor(compass.ColorGrid))
	d.f.SetLineWidth(stroke * 0.4)
	cx, cy := at(lay.Centre)
	for _, ax := range lay.Axes {
		ex, ey := at(ax.End)
		d.f.Line(cx, cy, ex, ey)
	}
	for _, lv := range lay.Levels[:len(lay.Levels)-1] {
		d.f.Polygon(poly(lv.Ring), "D")
	}

	// level numerals beside the first spoke, area labels outside the octagon
	d.color(hexColor(compass.ColorMuted))
	for _, lv := range lay.Levels {
		d.textBlock(lv.Numeral, fr, -1)
	}
	d.color(hexColor(compass.ColorInk))
	for _, ax := range lay.Axes {
		d.textBlock(ax.Label, fr, -1)
	}

	// the outlines, the first perspective last so that it lies on top
	for j := len(lay.Perspectives) - 1; j >= 0; j-- {
		p := lay.Perspectives[j]
		d.strokeStyle(p.Style, stroke)
		for _, r := range p.Runs {
			if len(r.Points) < 2 { // a lone point: its marker alone
				continue
			}
			pts := poly(r.Points)
			d.f.MoveTo(pts[0].X, pts[0].Y)
			for _, q := range pts[1:] {
				d.f.LineTo(q.X, q.Y)
			}
			if r.Closed {
				d.f.ClosePath()
			}
			d.f.DrawPath("D")
			drawn.segments[j] += r.Segments()
		}
		for _, q := range p.Points {
			if q != nil {
				d.marker(p.Style, *q, lay.MarkerRadius, stroke, fr)
				drawn.markers[j]++
			}
		}
	}

	// the legend: a sample of each outline with its marker, and the perspective's name;
	// the lines after the name ("Inte bedömt" for a perspective without ratings) are ours
	d.color(hexColor(compass.ColorInk))
	for _, p := range lay.Perspectives {
		e := p.Legend
		d.strokeStyle(p.Style, stroke)
		ax, ay := at(e.Line[0])
		bx, by := at(e.Line[1])
		d.f.Line(ax, ay, bx, by)
		d.marker(p.Style, e.Marker, lay.MarkerRadius, stroke, fr)
		d.textBlock(e.Text, fr, e.NameLines)
	}
	d.f.SetDashPattern([]float64{}, 0)
	d.color(hexColor(compass.ColorMuted))
	d.textBlock(lay.ScaleKey, fr, -1)
	d.color(colText)
	d.f.SetLineCapStyle("butt")
	d.f.SetLineJoinStyle("miter")
	d.y += h
	return drawn
}

// radarFrame maps the layout's viewBox units to the page: k millimetres per unit, the
// viewBox's origin at (x0, y0).
type radarFrame struct{ x0, y0, k float64 }

func (f radarFrame) at(p compass.Point) (float64, float64) { return f.x0 + f.k*p.X, f.y0 + f.k*p.Y }

func (f radarFrame) poly(ps []compass.Point) []gofpdf.PointType {
	out := make([]gofpdf.PointType, len(ps))
	for i, p := range ps {
		out[i].X, out[i].Y = f.at(p)
	}
	return out
}

// textBlock sets a block of the layout in the current colour: each line sanitised, at its
// baseline, aligned at the block's anchor by its width in the PDF font (the layout's own
// widths are estimates). Lines from index italicFrom on are set in italics (our words
// after a person's name); a negative italicFrom sets none.
func (d *pdfDoc) textBlock(t compass.TextBlock, fr radarFrame, italicFrom int) {
	size := t.FontSize * fr.k / ptToMM
	for i, s := range t.Lines {
		if i >= len(t.Y) {
			break
		}
		ls := styleRegular
		if italicFrom >= 0 && i >= italicFrom {
			ls = styleItalic
		}
		s = sanitize(d.m, s, false)
		w := d.m.textWidth(s, ls, size) * ptToMM
		x := fr.x0 + fr.k*t.X
		switch t.Align {
		case compass.AlignCenter:
			x -= w / 2
		case compass.AlignRight:
			x -= w
		}
		d.useFont(ls, size)
		d.f.Text(x, fr.y0+fr.k*t.Y[i], s)
	}
}

// strokeStyle sets an outline's colour, width and dash pattern (in multiples of the width).
func (d *pdfDoc) strokeStyle(st compass.Style, width float64) {
	d.drawColor(hexColor(st.Color))
	d.f.SetLineWidth(width)
	dash := make([]float64, len(st.Dash))
	for i, x := range st.Dash {
		dash[i] = x * width
	}
	d.f.SetDashPattern(dash, 0)
}

// marker draws a style's marker at c (layout units) filled in its colour with a thin
// white edge, as the SVG does, so that markers on top of each other stay apart.
func (d *pdfDoc) marker(st compass.Style, c compass.Point, r, stroke float64, fr radarFrame) {
	d.f.SetDashPattern([]float64{}, 0)
	d.fillColor(hexColor(st.Color))
	d.drawColor(colWhite)
	d.f.SetLineWidth(stroke * 0.6)
	pts := st.Marker.Polygon(c, r)
	if pts == nil {
		x, y := fr.at(c)
		d.f.Circle(x, y, r*fr.k, "FD")
		return
	}
	d.f.Polygon(fr.poly(pts), "FD")
}
