package compass

import (
	"strconv"

	"github.com/barnteam/barnteam/server/board"
)

// The faces are drawn in a 100 × 100 box. The mouth (with the eyebrows) carries the
// meaning; the fill colour only supports it.
const (
	ink       = ColorInk
	faceHead  = `<circle cx="50" cy="50" r="45" fill="`
	faceHead2 = `" stroke="` + ink + `" stroke-width="4"/>`
	faceEyes  = `<circle cx="35" cy="42" r="5.5" fill="` + ink + `"/><circle cx="65" cy="42" r="5.5" fill="` + ink + `"/>`
	faceLines = `<g fill="none" stroke="` + ink + `" stroke-width="4.5" stroke-linecap="round" stroke-linejoin="round">`
)

type faceKind uint8

const (
	faceNone faceKind = iota // unanswered
	face1                    // very sad
	face2
	face3
	face4
	face5 // very happy
	faceUnknown
	faceDeclined
)

// kindOf picks the face for a rating on a scale of 3 or 5. On three faces (board.FaceValues:
// 1, 3, 5) a 2 shows the sad face and a 4 the happy one.
func kindOf(r board.Rating, scale int) faceKind {
	switch r {
	case board.RatingUnknown:
		return faceUnknown
	case board.RatingDeclined:
		return faceDeclined
	}
	k := level(r)
	if k == 0 {
		return faceNone
	}
	if scale == 3 {
		switch {
		case k < 3:
			k = 1
		case k > 3:
			k = 5
		}
	}
	return faceKind(k)
}

var faceBodies = [...]string{
	faceNone: `<circle cx="50" cy="50" r="45" fill="#ffffff" stroke="#6b7684" stroke-width="4" stroke-dasharray="9 7"/>`,
	face1: faceHead + `#f7c6c0` + faceHead2 + faceEyes + faceLines +
		`<path d="M23,31 L41,24"/><path d="M59,24 L77,31"/><path d="M31,77 Q50,55 69,77"/></g>` +
		`<path d="M71,51 Q64,61 71,64 Q78,61 71,51 Z" fill="#8cc4ec" stroke="` + ink + `" stroke-width="2.5" stroke-linejoin="round"/>`,
	face2: faceHead + `#fbd8b0` + faceHead2 + faceEyes + faceLines +
		`<path d="M25,30 L41,27"/><path d="M59,27 L75,30"/><path d="M32,73 Q50,61 68,73"/></g>`,
	face3: faceHead + `#fde9a3` + faceHead2 + faceEyes + faceLines +
		`<path d="M32,69 L68,69"/></g>`,
	face4: faceHead + `#d3ecbe` + faceHead2 + faceEyes + faceLines +
		`<path d="M31,63 Q50,79 69,63"/></g>`,
	face5: faceHead + `#b5e2c2` + faceHead2 + faceEyes + faceLines +
		`<path d="M25,27 Q33,19 41,26"/><path d="M59,26 Q67,19 75,27"/></g>` +
		`<path d="M27,59 Q50,93 73,59 Z" fill="` + ink + `" stroke="` + ink + `" stroke-width="4" stroke-linejoin="round"/>` +
		`<ellipse cx="50" cy="70" rx="9" ry="4.5" fill="#ef8a98"/>`,
	faceUnknown: faceHead + `#dde5ee` + faceHead2 + faceEyes + faceLines +
		`<path d="M33,70 Q41.5,63 50,70 Q58.5,77 67,70"/></g>` +
		`<circle cx="79" cy="21" r="17" fill="#ffffff" stroke="` + ink + `" stroke-width="3.5"/>` +
		`<path d="M73,16 Q73,10 79,10 Q85,10 85,16 Q85,21 79,23 L79,27" fill="none" stroke="` + ink + `" stroke-width="4.5" stroke-linecap="round" stroke-linejoin="round"/>` +
		`<circle cx="79" cy="33" r="2.8" fill="` + ink + `"/>`,
	faceDeclined: faceHead + `#dde5ee` + faceHead2 + faceEyes + faceLines +
		`<path d="M26,68 L70,68"/></g>` +
		`<g stroke="` + ink + `" stroke-width="3" stroke-linecap="round"><path d="M32,63 L32,73"/><path d="M39,63 L39,73"/><path d="M46,63 L46,73"/><path d="M53,63 L53,73"/><path d="M60,63 L60,73"/></g>` +
		`<rect x="68" y="62" width="11" height="15" rx="3" fill="#ffffff" stroke="` + ink + `" stroke-width="3"/>`,
}

// Face draws one rating face as a standalone inline SVG of size × size pixels: five faces
// from very sad to very happy (scale 5) or sad, neutral and happy (scale 3), a face with a
// question mark for "unknown", a face with a zipped mouth for "declined", and a dashed empty
// circle for no answer. label is its accessible name (aria-label and <title>); "" makes the
// face decorative (aria-hidden), for use beside a visible label.
func Face(r board.Rating, scale int, label string, size int) string {
	w := &buf{b: make([]byte, 0, 1024)}
	w.s(`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 100 100" width="`).i(size).s(`" height="`).i(size).s(`" class="compass-face"`)
	w.attr("data-rating", string(r))
	w.a11y(label)
	w.s(faceBodies[kindOf(r, scale)]).s("</svg>")
	return w.String()
}

// LabeledFace is Face with its label also written visibly under it (up to two lines). The
// drawing is 1.4 × size wide; the label is isolated for bidi.
func LabeledFace(r board.Rating, scale int, label string, size int) string {
	const font = 16.0
	lines := Wrap(label, 13, 14, 2)
	h := 104 + LineEm*font*float64(len(lines))
	w := &buf{b: make([]byte, 0, 1280)}
	w.s(`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 140 `).f(h).s(`" width="`).i(size * 7 / 5).s(`" height="`).i(int(float64(size)*h/100 + 0.5)).s(`" class="compass-face"`)
	w.attr("data-rating", string(r))
	w.a11y(label)
	w.s(`<g transform="translate(20 0)">`).s(faceBodies[kindOf(r, scale)]).s("</g>")
	if len(lines) > 0 {
		t := block(lines, font, 70, 104, AlignCenter, vTop)
		w.s(`<g fill="` + ink + `" font-size="16" font-family="system-ui, sans-serif">`)
		w.textIsolated(t, false, len(lines))
		w.s("</g>")
	}
	w.s("</svg>")
	return w.String()
}

// a11y writes the accessible name of a standalone icon and closes its start tag.
func (w *buf) a11y(label string) {
	if clean(label) == "" {
		w.s(` aria-hidden="true">`)
		return
	}
	w.s(` role="img"`).attr("aria-label", label).s("><title>").esc(label).s("</title>")
}

// faceAt writes a face into a box of the drawing.
func (w *buf) faceAt(k faceKind, box Rect) {
	s, _ := box.size()
	w.s(`<g transform="translate(`).f(box.X0).s(" ").f(box.Y0).s(") scale(").s(strconv.FormatFloat(s/100, 'f', 4, 64)).s(`)">`)
	w.s(faceBodies[k]).s("</g>\n")
}
