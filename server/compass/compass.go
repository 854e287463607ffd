// Package compass draws Behovskompassen, the needs compass, as inline SVG: a radar with one
// outline per perspective for the adults, a wheel of eight segments with pictograms for the
// child, the rating faces and the pictograms on their own, and the same numbers as an HTML
// table. RadarLayout exposes the radar's geometry so that a PDF can draw the same picture
// from the same numbers.
//
// Everything here is pure: no I/O, no globals that change, same input gives the same bytes.
// Labels arrive already translated. Text is escaped and cleaned of characters XML forbids;
// user-written names are isolated for bidi (Unicode isolates inside SVG, <bdi> in HTML).
//
// Drawings use presentation attributes only (no style attributes, no <style>), so they pass
// a CSP without 'unsafe-inline', and carry classes (compass, compass-radar, compass-wheel,
// compass-seg, …) so that the page's stylesheet can size them and add focus rings.
package compass

import (
	"math"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/barnteam/barnteam/server/board"
)

// A Perspective is one rating outline: the child, each guardian, the professionals.
// Perspectives are drawn side by side and never averaged.
type Perspective struct {
	Key     string                      // "child", "guardian:<id>", "professionals"
	Label   string                      // shown in the legend, already translated; user text (a name)
	Ratings map[board.Area]board.Rating // absent (or not a valid rating) = unrated
}

// Labels are the words of a drawing, already translated; they come from configuration.
type Labels struct {
	Area      map[board.Area]string // "Trygghet"; may be long ("Tillhörighet och delaktighet i skolan")
	ChildArea map[board.Area]string // child-friendly: "Jag känner mig trygg"
	Unrated   string                // "Inte bedömt"
	Unknown   string                // "Vet inte"
	Declined  string                // "Vill inte svara"
	Title     string                // accessible name of the drawing
	Desc      string                // first sentence of the accessible description
	Scale     [5]string             // levels 1..5, "Mycket dåligt" .. "Mycket bra"
	// AreaHeading heads the area column of Table ("Område"); empty leaves the corner cell empty.
	AreaHeading string
}

// Options says how to draw. The zero value draws a left-to-right 400-unit drawing.
type Options struct {
	// Size is the side of the square that holds the radar or the wheel, in viewBox units;
	// 0 means 400. Area labels and the legend of the radar are placed around it and the
	// viewBox grows to include them. Every other measure scales with Size.
	Size int
	// Dir is "ltr" (default) or "rtl". In RTL the axes and segments go counter-clockwise,
	// the legend is mirrored and text carries direction="rtl".
	Dir string
	// Lang is the BCP 47 tag written as the drawing's lang attribute; "" leaves it out.
	Lang string
	// ID prefixes the ids inside the drawing (<id>-title, <id>-desc); it must be unique
	// in the page. Characters other than letters, digits, '-' and '_' become '-'.
	// "" means "compass".
	ID string
	// Href gives the link of each wheel segment; nil, or "" for an area, means no link.
	// A wheel with links is role="group" (links inside role="img" would be hidden from
	// screen readers); without links it is role="img".
	Href func(board.Area) string
	// Scale is the number of faces on the wheel: 3 or 5 (default). See board.FaceValues.
	Scale int
}

const defaultSize = 400

// Colours of the drawings besides the outline Styles, for a PDF drawn from the Layout.
const (
	ColorInk   = "#1b1f24" // text; outlines of faces and pictograms
	ColorMuted = "#4a5563" // level numerals, the scale key, wheel segment borders
	ColorFrame = "#6b7684" // the outer octagon (4.6:1 against white)
	ColorGrid  = "#c3cad2" // spokes and inner octagons
)

func (o Options) size() float64 {
	if o.Size <= 0 {
		return defaultSize
	}
	return float64(o.Size)
}

func (o Options) rtl() bool { return strings.EqualFold(o.Dir, "rtl") }

func (o Options) scale() int {
	if o.Scale == 3 {
		return 3
	}
	return 5
}

func (o Options) id() string { return cleanID(o.ID) }

func cleanID(id string) string {
	if id == "" {
		return "compass"
	}
	b := []byte(id)
	for i, c := range b {
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
			b[i] = '-'
		}
	}
	return string(b)
}

// level is a rating's face value 1..5, or 0 for anything that is not plotted: unrated,
// "unknown", "declined" or an invalid value.
func level(r board.Rating) int {
	if len(r) == 1 && r[0] >= '1' && r[0] <= '5' {
		return int(r[0] - '0')
	}
	return 0
}

// RatingText is the words for one rating: the scale label with its number ("Ganska bra
// (4)"), the unknown or declined label, or the unrated label for an absent or invalid value.
func RatingText(r board.Rating, l Labels) string {
	if k := level(r); k > 0 {
		if s := strings.TrimSpace(l.Scale[k-1]); s != "" {
			return s + " (" + strconv.Itoa(k) + ")"
		}
		return strconv.Itoa(k)
	}
	switch r {
	case board.RatingUnknown:
		return l.Unknown
	case board.RatingDeclined:
		return l.Declined
	}
	return l.Unrated
}

func areaLabel(l Labels, a board.Area) string {
	if s := strings.TrimSpace(l.Area[a]); s != "" {
		return s
	}
	return string(a)
}

func childLabel(l Labels, a board.Area) string {
	if s := strings.TrimSpace(l.ChildArea[a]); s != "" {
		return s
	}
	return areaLabel(l, a)
}

// Bidi isolates: FSI … PDI keep a name's direction from leaking into the text around it.
const (
	fsi = "\u2068"
	pdi = "\u2069"
)

// clean makes s safe to put into XML text: characters XML 1.0 forbids and line breaks
// become spaces, invalid UTF-8 becomes U+FFFD, runs of spaces collapse.
func clean(s string) string {
	ok := true
	for i, r := range s {
		if r < 0x20 || r == utf8.RuneError || r == 0xFFFE || r == 0xFFFF || (r >= 0xD800 && r <= 0xDFFF) {
			ok = false
			break
		}
		if r == ' ' && i+1 < len(s) && s[i+1] == ' ' {
			ok = false
			break
		}
	}
	if ok {
		return strings.TrimSpace(s)
	}
	var b strings.Builder
	space := false
	for _, r := range s {
		switch {
		case r < 0x20 || r == ' ':
			space = true
			continue
		case r == 0xFFFE || r == 0xFFFF:
			continue
		}
		if space && b.Len() > 0 {
			b.WriteByte(' ')
		}
		space = false
		b.WriteRune(r) // an invalid byte arrives as utf8.RuneError and is written as U+FFFD
	}
	return b.String()
}

// buf builds markup. Floats are written with one decimal, as strconv.FormatFloat(x, 'f',
// 1, 64), with -0.0 written as 0.0.
type buf struct{ b []byte }

func (w *buf) s(s string) *buf { w.b = append(w.b, s...); return w }

func (w *buf) f(x float64) *buf {
	if x > -0.05 && x < 0.05 {
		x = 0
	}
	w.b = strconv.AppendFloat(w.b, x, 'f', 1, 64)
	return w
}

func (w *buf) i(n int) *buf { w.b = strconv.AppendInt(w.b, int64(n), 10); return w }

// esc writes text escaped for HTML and XML alike (the five characters of html.EscapeString).
func (w *buf) esc(s string) *buf {
	s = clean(s)
	last := 0
	for i := 0; i < len(s); i++ {
		var rep string
		switch s[i] {
		case '<':
			rep = "&lt;"
		case '>':
			rep = "&gt;"
		case '&':
			rep = "&amp;"
		case '"':
			rep = "&#34;"
		case '\'':
			rep = "&#39;"
		default:
			continue
		}
		w.b = append(w.b, s[last:i]...)
		w.b = append(w.b, rep...)
		last = i + 1
	}
	w.b = append(w.b, s[last:]...)
	return w
}

// attr writes ` name="value"` with value escaped.
func (w *buf) attr(name, value string) *buf {
	return w.s(" ").s(name).s(`="`).esc(value).s(`"`)
}

// fattr writes ` name="x"`.
func (w *buf) fattr(name string, x float64) *buf {
	return w.s(" ").s(name).s(`="`).f(x).s(`"`)
}

func (w *buf) pt(p Point) *buf { return w.f(p.X).s(",").f(p.Y) }

func (w *buf) String() string { return string(w.b) }

// svgOpen writes the root element with its accessible name and description.
func (w *buf) svgOpen(class, role, id string, width, height float64, opt Options, title, desc string) {
	w.s(`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 `).f(width).s(" ").f(height).s(`"`)
	w.s(` class="`).s(class).s(`" role="`).s(role).s(`" aria-labelledby="`).s(id).s("-title ").s(id).s(`-desc"`)
	if opt.Lang != "" {
		w.attr("lang", opt.Lang)
	}
	w.s(` font-family="system-ui, sans-serif">` + "\n")
	if clean(title) == "" {
		title = "Behovskompassen" // the tool's proper name, rather than no name at all
	}
	w.s(`<title id="`).s(id).s(`-title">`).esc(title).s("</title>\n")
	w.s(`<desc id="`).s(id).s(`-desc">`).esc(desc).s("</desc>\n")
}

// Point is a position in viewBox units (x to the right, y down).
type Point struct{ X, Y float64 }

func (p Point) add(q Point) Point          { return Point{p.X + q.X, p.Y + q.Y} }
func (p Point) scale(k float64) Point      { return Point{p.X * k, p.Y * k} }
func (p Point) dot(q Point) float64        { return p.X*q.X + p.Y*q.Y }
func (p Point) dist(q Point) float64       { return math.Hypot(p.X-q.X, p.Y-q.Y) }
func polar(angle, r float64) Point         { s, c := math.Sincos(angle); return Point{r * s, -r * c} }
func (p Point) mirror() Point              { return Point{-p.X, p.Y} }
func (p Point) shift(dx, dy float64) Point { return Point{p.X + dx, p.Y + dy} }
