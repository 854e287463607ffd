package exports

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"golang.org/x/image/font"
	"golang.org/x/image/font/gofont/gobold"
	"golang.org/x/image/font/gofont/gobolditalic"
	"golang.org/x/image/font/gofont/goitalic"
	"golang.org/x/image/font/gofont/gomono"
	"golang.org/x/image/font/gofont/goregular"
	"golang.org/x/image/font/sfnt"
	"golang.org/x/image/math/fixed"
	"golang.org/x/text/unicode/norm"
)

// The PDF's font is the Go font family (golang.org/x/image/font/gofont, by Bigelow &
// Holmes, BSD-3-Clause licence, which allows embedding and redistribution). It covers
// WGL4: Latin-1 and Latin Extended-A (å ä ö and the other Nordic letters), Greek,
// Cyrillic, typographic quotes and dashes, • « » and □. Go Mono sets the checksums and
// code; Bold Italic is added to a document only when its notes need it.

type fontStyle uint8

const (
	styleRegular fontStyle = iota
	styleBold
	styleItalic
	styleBoldItalic
	styleMono
	numStyles
)

// fontFaces names each style's family and style for gofpdf, with its TrueType bytes. The
// bytes are shared read-only; every document gets its own copy (gofpdf writes to them).
var fontFaces = [numStyles]struct {
	family, style string
	ttf           []byte
}{
	styleRegular:    {"go", "", goregular.TTF},
	styleBold:       {"go", "B", gobold.TTF},
	styleItalic:     {"go", "I", goitalic.TTF},
	styleBoldItalic: {"go", "BI", gobolditalic.TTF},
	styleMono:       {"gomono", "", gomono.TTF},
}

// metrics are the fonts' advance widths in thousandths of an em, rounded exactly as gofpdf
// rounds them (so that text wrapped here fits when gofpdf draws it), and the set of runes
// every style can draw.
type metrics struct {
	widths  [numStyles][]uint16 // indexed by rune, for the Basic Multilingual Plane
	covered []uint64            // bit set over the BMP: every style has a glyph
}

var fontMetrics = sync.OnceValues(func() (*metrics, error) {
	m := &metrics{covered: make([]uint64, 0x10000/64)}
	for i := range m.covered {
		m.covered[i] = ^uint64(0)
	}
	var buf sfnt.Buffer
	for st, face := range fontFaces {
		f, err := sfnt.Parse(face.ttf)
		if err != nil {
			return nil, fmt.Errorf("exports: font %s %s: %w", face.family, face.style, err)
		}
		upem := f.UnitsPerEm()
		ppem := fixed.Int26_6(upem) << 6 // one pixel per font unit: advances come back unscaled
		w := make([]uint16, 0x10000)
		for r := rune(0); r < 0x10000; r++ {
			g, err := f.GlyphIndex(&buf, r)
			if err != nil || g == 0 {
				m.covered[r/64] &^= 1 << (r % 64)
				continue
			}
			adv, err := f.GlyphAdvance(&buf, g, ppem, font.HintingNone)
			if err != nil {
				return nil, fmt.Errorf("exports: font %s %s: %w", face.family, face.style, err)
			}
			units := float64(adv) / 64
			w[r] = uint16(int(units*1000/float64(upem) + 0.5))
		}
		m.widths[st] = w
	}
	return m, nil
})

func (m *metrics) has(r rune) bool {
	return r >= 0 && r < 0x10000 && m.covered[r/64]&(1<<(r%64)) != 0
}

// textWidth is the width of s (already sanitised) in points at size pt.
func (m *metrics) textWidth(s string, st fontStyle, size float64) float64 {
	w := 0
	tab := m.widths[st]
	for _, r := range s {
		if r < 0x10000 {
			w += int(tab[r])
		}
	}
	return float64(w) * size / 1000
}

// sanitize makes any string safe to draw with the Go fonts, and visible where it is not:
// invalid UTF-8, control and format characters (bidi overrides, zero-width joiners, …),
// characters outside the Basic Multilingual Plane (emoji) and any other character the
// fonts lack each become txtPlaceholder "□", one for a whole run of them (an emoji with
// its skin tone and joiners is one □). Text is first put in NFC, so a decomposed "ö"
// (o + U+0308, as some phones type it) is drawn as ö. Tabs become spaces, CR LF and CR
// become line breaks; with multiline false, line breaks become spaces. Soft hyphens are
// dropped (they are invisible; drawing them would put hyphens inside words).
func sanitize(m *metrics, s string, multiline bool) string {
	clean := true
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 && !(multiline && c == '\n') || c >= 0x7f {
			clean = false
			break
		}
	}
	if clean {
		return s
	}
	s = strings.ToValidUTF8(s, "\uFFFD")
	if !norm.NFC.IsNormalString(s) {
		s = norm.NFC.String(s)
	}
	var b strings.Builder
	b.Grow(len(s))
	replaced := false // the last rune written was a placeholder for something
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		switch {
		case r == '\r':
			if i < len(s) && s[i] == '\n' {
				continue
			}
			r = '\n'
		case r == '\t':
			r = ' '
		case r == '\u00ad':
			continue
		}
		if r == '\n' {
			if !multiline {
				r = ' '
			}
			b.WriteRune(r)
			replaced = false
			continue
		}
		if r == utf8.RuneError || unicode.IsControl(r) || unicode.Is(unicode.Cf, r) || !m.has(r) {
			if !replaced {
				b.WriteString(txtPlaceholder)
				replaced = true
			}
			continue
		}
		b.WriteRune(r)
		replaced = false
	}
	return b.String()
}

// span is a run of text in one style, the unit of the text engine.
type span struct {
	text   string
	style  fontStyle
	link   string // an http(s) or mailto URL the text links to
	strike bool
	code   bool // inline code: drawn on a light background
	// urlNote marks the " (https://…)" the PDF adds after a link's text; the Markdown
	// export leaves it out because it writes the link itself.
	urlNote bool
}

// piece is part of one wrapped line drawn in one go: a span's text (or part of it).
type piece struct {
	text string
	sp   int // index of its span
	w    float64
}

type line struct {
	pieces []piece
	w      float64
}

// atom is a word fragment of one span, a space, or a line break, for wrapping.
type atom struct {
	kind byte // 'w' word fragment, ' ' space, '\n' break
	text string
	sp   int
	w    float64
}

// wrap lays spans out in lines of at most width points at size pt. Lines break at spaces;
// a word wider than a line (a long name, a URL, 10,000 letters without a space) is broken
// between letters. Runs of spaces count as one; spaces at the start of a line are
// dropped; explicit line breaks are kept (an empty line stays empty). Texts are
// sanitised here, so everything drawn goes through sanitize.
func wrap(m *metrics, spans []span, size, width float64) []line {
	var atoms []atom
	for i := range spans {
		s := sanitize(m, spans[i].text, true)
		st := spans[i].style
		for len(s) > 0 {
			switch s[0] {
			case '\n':
				atoms = append(atoms, atom{kind: '\n', sp: i})
				s = s[1:]
				continue
			case ' ':
				j := 1
				for j < len(s) && s[j] == ' ' {
					j++
				}
				atoms = append(atoms, atom{kind: ' ', text: " ", sp: i, w: m.textWidth(" ", st, size)})
				s = s[j:]
				continue
			}
			j := strings.IndexAny(s, " \n")
			if j < 0 {
				j = len(s)
			}
			atoms = append(atoms, atom{kind: 'w', text: s[:j], sp: i, w: m.textWidth(s[:j], st, size)})
			s = s[j:]
		}
	}

	var lines []line
	var cur line
	add := func(a atom) {
		if n := len(cur.pieces); n > 0 && cur.pieces[n-1].sp == a.sp {
			cur.pieces[n-1].text += a.text
			cur.pieces[n-1].w += a.w
		} else {
			cur.pieces = append(cur.pieces, piece{text: a.text, sp: a.sp, w: a.w})
		}
		cur.w += a.w
	}
	flush := func() {
		lines = append(lines, cur)
		cur = line{}
	}
	for i := 0; i < len(atoms); {
		a := atoms[i]
		switch a.kind {
		case '\n':
			flush()
			i++
			continue
		case ' ':
			i++
			continue // spaces are placed in front of the next word, below
		}
		// the word: this fragment and the ones glued to it (across spans, no space between)
		j := i + 1
		ww := a.w
		for j < len(atoms) && atoms[j].kind == 'w' {
			ww += atoms[j].w
			j++
		}
		var gap *atom
		if i > 0 && atoms[i-1].kind == ' ' && len(cur.pieces) > 0 {
			gap = &atoms[i-1]
		}
		gw := 0.0
		if gap != nil {
			gw = gap.w
		}
		switch {
		case cur.w+gw+ww <= width:
			if gap != nil {
				add(*gap)
			}
			for _, f := range atoms[i:j] {
				add(f)
			}
		case ww <= width:
			flush()
			for _, f := range atoms[i:j] {
				add(f)
			}
		default: // longer than a line: break between letters
			if len(cur.pieces) > 0 {
				flush()
			}
			for _, f := range atoms[i:j] {
				st := spans[f.sp].style
				rest := f.text
				for rest != "" {
					k, w := fit(m, rest, st, size, width-cur.w)
					if k == 0 {
						if len(cur.pieces) == 0 { // not even one letter fits: draw it anyway
							_, n := utf8.DecodeRuneInString(rest)
							k, w = n, m.textWidth(rest[:n], st, size)
						} else {
							flush()
							continue
						}
					}
					add(atom{kind: 'w', text: rest[:k], sp: f.sp, w: w})
					rest = rest[k:]
					if rest != "" {
						flush()
					}
				}
			}
		}
		i = j
	}
	if len(cur.pieces) > 0 {
		flush()
	}
	for len(lines) > 0 && len(lines[len(lines)-1].pieces) == 0 { // trailing line breaks
		lines = lines[:len(lines)-1]
	}
	return lines
}

// fit is how many bytes of s fit in avail points, and their width.
func fit(m *metrics, s string, st fontStyle, size, avail float64) (int, float64) {
	w := 0.0
	tab := m.widths[st]
	for i, r := range s {
		rw := 0.0
		if r < 0x10000 {
			rw = float64(tab[r]) * size / 1000
		}
		if w+rw > avail {
			return i, w
		}
		w += rw
	}
	return len(s), w
}

// truncate shortens one line of sanitised text to width points, ending it with "…".
func truncate(m *metrics, s string, st fontStyle, size, width float64) string {
	if m.textWidth(s, st, size) <= width {
		return s
	}
	k, _ := fit(m, s, st, size, width-m.textWidth("…", st, size))
	return strings.TrimRight(s[:k], " ") + "…"
}

// clamp keeps at most n lines, ending the last one with "…" when it drops any. For
// figures and repeated table headers only, where the full text stands elsewhere in the
// plan and a label a page long would leave no room for anything else.
func clamp(m *metrics, spans []span, lines []line, n int, size, width float64) []line {
	if len(lines) <= n {
		return lines
	}
	lines = slices.Clone(lines[:n])
	last := &lines[n-1]
	last.pieces = slices.Clone(last.pieces)
	if len(last.pieces) == 0 {
		return lines
	}
	p := &last.pieces[len(last.pieces)-1]
	st := spans[p.sp].style
	ell := m.textWidth("…", st, size)
	for last.w+ell > width && p.text != "" {
		_, k := utf8.DecodeLastRuneInString(p.text)
		rw := m.textWidth(p.text[len(p.text)-k:], st, size)
		p.text, p.w, last.w = p.text[:len(p.text)-k], p.w-rw, last.w-rw
	}
	p.text += "…"
	p.w += ell
	last.w += ell
	return lines
}
