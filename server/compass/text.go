package compass

import (
	"strings"
	"unicode/utf8"
)

// Text is measured, not rendered: a character is estimated at CharEm of the font size
// wide (generous for Latin and Arabic in system sans-serif fonts), a line LineEm high.
const (
	CharEm = 0.6
	LineEm = 1.25
)

// Rect is an axis-aligned box in viewBox units.
type Rect struct{ X0, Y0, X1, Y1 float64 }

// Overlaps reports whether r and o share any area.
func (r Rect) Overlaps(o Rect) bool {
	return r.X0 < o.X1 && o.X0 < r.X1 && r.Y0 < o.Y1 && o.Y0 < r.Y1
}

// Inside reports whether r lies within o.
func (r Rect) Inside(o Rect) bool {
	return r.X0 >= o.X0 && r.Y0 >= o.Y0 && r.X1 <= o.X1 && r.Y1 <= o.Y1
}

func (r Rect) union(o Rect) Rect {
	return Rect{min(r.X0, o.X0), min(r.Y0, o.Y0), max(r.X1, o.X1), max(r.Y1, o.Y1)}
}

func (r Rect) mirror() Rect              { return Rect{-r.X1, r.Y0, -r.X0, r.Y1} }
func (r Rect) shift(dx, dy float64) Rect { return Rect{r.X0 + dx, r.Y0 + dy, r.X1 + dx, r.Y1 + dy} }
func (r Rect) corners() [4]Point {
	return [4]Point{{r.X0, r.Y0}, {r.X1, r.Y0}, {r.X1, r.Y1}, {r.X0, r.Y1}}
}
func (r Rect) centre() Point            { return Point{(r.X0 + r.X1) / 2, (r.Y0 + r.Y1) / 2} }
func rectAt(c Point, w, h float64) Rect { return Rect{c.X - w/2, c.Y - h/2, c.X + w/2, c.Y + h/2} }
func (r Rect) size() (w, h float64)     { return r.X1 - r.X0, r.Y1 - r.Y0 }

// Align is the physical horizontal alignment of text at its anchor x. SVG's text-anchor
// is logical (start/end follow the direction), so the drawing maps it per direction.
type Align uint8

const (
	AlignLeft Align = iota
	AlignCenter
	AlignRight
)

// anchor is the SVG text-anchor for a physical alignment in a direction.
func (a Align) anchor(rtl bool) string {
	switch {
	case a == AlignCenter:
		return "middle"
	case (a == AlignLeft) != rtl:
		return "start"
	default:
		return "end"
	}
}

func (a Align) mirror() Align { return AlignRight - a }

// TextBlock is a wrapped label placed in the drawing.
type TextBlock struct {
	Lines    []string  // the lines, plain text (not escaped)
	X        float64   // anchor x of every line
	Y        []float64 // baseline of each line
	Align    Align     // physical alignment of each line at X
	FontSize float64
	Box      Rect // estimated extent of the whole block
}

// LineBoxes are the estimated extents of each line, for overlap checks.
func (t TextBlock) LineBoxes() []Rect {
	out := make([]Rect, len(t.Lines))
	for i, s := range t.Lines {
		w := textWidth(s, t.FontSize)
		top := t.Y[i] - baselineEm*t.FontSize
		var x0 float64
		switch t.Align {
		case AlignLeft:
			x0 = t.X
		case AlignCenter:
			x0 = t.X - w/2
		default:
			x0 = t.X - w
		}
		out[i] = Rect{x0, top, x0 + w, top + LineEm*t.FontSize}
	}
	return out
}

// baselineEm is where the baseline sits below the top of a line box, in em: the glyphs
// (ascent ~0.75 em, descent ~0.25 em) are centred in the LineEm-high box.
const baselineEm = LineEm/2 + 0.35

// runes counts characters, not counting the invisible bidi isolates.
func runes(s string) int {
	return utf8.RuneCountInString(s) - strings.Count(s, fsi) - strings.Count(s, pdi)
}

func textWidth(s string, size float64) float64 { return float64(runes(s)) * CharEm * size }

// vAlign says where a block sits vertically against its anchor y.
type vAlign uint8

const (
	vTop    vAlign = iota // the block's top edge is at y
	vMiddle               // centred on y
	vBottom               // the block's bottom edge is at y
)

// block places lines at anchor (x, y).
func block(lines []string, size, x, y float64, h Align, v vAlign) TextBlock {
	t := TextBlock{Lines: lines, X: x, Align: h, FontSize: size, Y: make([]float64, len(lines))}
	lh := LineEm * size
	height := lh * float64(len(lines))
	top := y
	switch v {
	case vMiddle:
		top = y - height/2
	case vBottom:
		top = y - height
	}
	var w float64
	for i, s := range lines {
		t.Y[i] = top + lh*float64(i) + baselineEm*size
		w = max(w, textWidth(s, size))
	}
	var x0 float64
	switch h {
	case AlignLeft:
		x0 = x
	case AlignCenter:
		x0 = x - w/2
	default:
		x0 = x - w
	}
	t.Box = Rect{x0, top, x0 + w, top + height}
	return t
}

func (t TextBlock) mirror() TextBlock {
	t.X = -t.X
	t.Align = t.Align.mirror()
	t.Box = t.Box.mirror()
	return t
}

func (t TextBlock) shift(dx, dy float64) TextBlock {
	t.X += dx
	ys := make([]float64, len(t.Y))
	for i, y := range t.Y {
		ys[i] = y + dy
	}
	t.Y = ys
	t.Box = t.Box.shift(dx, dy)
	return t
}

// wrapGreedy breaks s at spaces into lines of at most width characters. A word longer
// than width is hyphenated; hyphenated reports whether that happened.
func wrapGreedy(words []string, width int) (lines []string, hyphenated bool) {
	cur, n := "", 0
	for _, w := range words {
		wn := utf8.RuneCountInString(w)
		if wn > width {
			if cur != "" {
				lines = append(lines, cur)
				cur, n = "", 0
			}
			r := []rune(w)
			for len(r) > width {
				cut := max(width-1, 1)
				lines = append(lines, string(r[:cut])+"-")
				r = r[cut:]
			}
			cur, n = string(r), len(r)
			hyphenated = true
			continue
		}
		switch {
		case cur == "":
			cur, n = w, wn
		case n+1+wn <= width:
			cur += " " + w
			n += 1 + wn
		default:
			lines = append(lines, cur)
			cur, n = w, wn
		}
	}
	if cur != "" {
		lines = append(lines, cur)
	}
	return lines, hyphenated
}

// Wrap breaks a label into at most maxLines lines of about width characters: at spaces,
// widening the lines up to widest characters before it hyphenates a word that is longer
// than a line, and ending with "…" only when even that does not fit. Lines are balanced:
// as narrow as possible for the same number of lines.
func Wrap(s string, width, widest, maxLines int) []string {
	lines, _ := wrap(s, width, widest, maxLines)
	return lines
}

// wrap is Wrap that also reports whether the label was kept whole: no word hyphenated,
// nothing cut off.
func wrap(s string, width, widest, maxLines int) (lines []string, whole bool) {
	words := strings.Fields(clean(s))
	if len(words) == 0 || width < 2 || maxLines < 1 {
		return nil, true
	}
	for w := width; w <= max(widest, width); w++ {
		lines, hy := wrapGreedy(words, w)
		if !hy && len(lines) <= maxLines {
			return balance(words, lines, w), true
		}
	}
	lines, _ = wrapGreedy(words, width)
	if len(lines) > maxLines {
		lines = lines[:maxLines]
		last := []rune(strings.TrimSuffix(lines[maxLines-1], "-"))
		if len(last) > width-1 {
			last = last[:width-1]
		}
		lines[maxLines-1] = strings.TrimRight(string(last), " ") + "…"
	}
	return lines, false
}

// balance finds the narrowest width that keeps the number of lines.
func balance(words []string, lines []string, width int) []string {
	longest := 0
	for _, w := range words {
		longest = max(longest, utf8.RuneCountInString(w))
	}
	for w := longest; w < width; w++ {
		if l, hy := wrapGreedy(words, w); !hy && len(l) == len(lines) {
			return l
		}
	}
	return lines
}
