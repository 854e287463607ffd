package compass

import (
	"math"

	"github.com/barnteam/barnteam/server/board"
)

// The pictograms are our own, drawn in a 100 × 100 box with absolute path commands only:
// friendly filled shapes with a dark outline, no text, no fonts, no external assets.
const pictoStroke = `stroke="` + ink + `" stroke-width="4" stroke-linejoin="round" stroke-linecap="round"`

var pictograms = map[board.Area]string{
	// trygghet: a house with a heart
	"trygghet": `<g ` + pictoStroke + `>` +
		`<path d="M22,48 L78,48 L78,88 L22,88 Z" fill="#fde7b0"/>` +
		`<path d="M50,12 L91,50 L9,50 Z" fill="#f08a5d"/>` +
		`<path d="M50,81 C37,72 35,63 40,59 C44,56 48,57 50,62 C52,57 56,56 60,59 C65,63 63,72 50,81 Z" fill="#e0455a" stroke-width="3"/>` +
		`</g>`,
	// hälsa: a heart with a pulse line
	"halsa": `<g ` + pictoStroke + `>` +
		`<path d="M50,89 C18,67 7,45 17,28 C27,13 44,17 50,31 C56,17 73,13 83,28 C93,45 82,67 50,89 Z" fill="#f26d7d"/>` +
		`<path d="M22,51 L36,51 L42,39 L50,65 L57,45 L62,51 L78,51" fill="none" stroke="#ffffff" stroke-width="5"/>` +
		`</g>`,
	// utveckling: a plant growing in a pot
	"utveckling": `<g ` + pictoStroke + `>` +
		`<path d="M50,62 L50,30" fill="none" stroke="#2f7d32" stroke-width="5"/>` +
		`<path d="M50,50 C35,51 23,42 21,27 C37,25 48,34 50,50 Z" fill="#6cc070"/>` +
		`<path d="M50,38 C61,36 73,27 76,12 C60,12 50,21 50,38 Z" fill="#8fd694"/>` +
		`<path d="M31,66 L69,66 L63,90 L37,90 Z" fill="#d98b4a"/>` +
		`<path d="M26,58 L74,58 L74,68 L26,68 Z" fill="#eeaa6f"/>` +
		`</g>`,
	// omsorg: two hands holding a heart
	"omsorg": `<g ` + pictoStroke + `>` +
		`<path d="M50,55 C36,46 31,36 37,29 C42,24 48,27 50,33 C52,27 58,24 63,29 C69,36 64,46 50,55 Z" fill="#e0455a"/>` +
		`<path d="M8,50 C6,43 16,41 20,47 L29,60 C35,68 42,70 50,70 L50,88 C32,88 18,80 12,66 Z" fill="#f2c094"/>` +
		`<path d="M92,50 C94,43 84,41 80,47 L71,60 C65,68 58,70 50,70 L50,88 C68,88 82,80 88,66 Z" fill="#dea273"/>` +
		`</g>`,
	// fritid: a beach ball
	"fritid": `<g ` + pictoStroke + `>` +
		`<circle cx="50" cy="52" r="37" fill="#ffffff"/>` +
		`<path d="M50,15 A37,37 0 0,0 50,89 C23,72 23,32 50,15 Z" fill="#ef476f"/>` +
		`<path d="M50,15 C77,32 77,72 50,89 Z" fill="#4ea5d9"/>` +
		`<path d="M50,15 A37,37 0 0,1 50,89 C77,72 77,32 50,15 Z" fill="#ffd166"/>` +
		`<path d="M50,15 C37,32 37,72 50,89" fill="none"/>` +
		`<circle cx="50" cy="52" r="37" fill="none"/>` +
		`</g>`,
	// tillhörighet: three people together
	"tillhorighet": `<g ` + pictoStroke + `>` +
		`<circle cx="22" cy="42" r="9" fill="#f4a261"/>` +
		`<path d="M8,86 C8,62 14,56 22,56 C30,56 36,62 36,86 Z" fill="#2a9d8f"/>` +
		`<circle cx="78" cy="42" r="9" fill="#f4a261"/>` +
		`<path d="M64,86 C64,62 70,56 78,56 C86,56 92,62 92,86 Z" fill="#e76f51"/>` +
		`<circle cx="50" cy="32" r="11" fill="#e9c46a"/>` +
		`<path d="M31,89 C31,58 39,49 50,49 C61,49 69,58 69,89 Z" fill="#5e60ce"/>` +
		`</g>`,
	// respekterad: a speech bubble being heard
	"respekt": `<g ` + pictoStroke + `>` +
		`<path d="M20,18 L80,18 C86,18 90,22 90,28 L90,62 C90,68 86,72 80,72 L46,72 L27,88 L30,72 L20,72 C14,72 10,68 10,62 L10,28 C10,22 14,18 20,18 Z" fill="#9ad1d4"/>` +
		`<circle cx="31" cy="45" r="6" fill="` + ink + `" stroke="none"/>` +
		`<circle cx="50" cy="45" r="6" fill="` + ink + `" stroke="none"/>` +
		`<circle cx="69" cy="45" r="6" fill="` + ink + `" stroke="none"/>` +
		`</g>`,
	// ansvar: a star
	"ansvar": `<g ` + pictoStroke + `>` + star() + `</g>`,
}

func star() string {
	w := &buf{}
	w.s(`<path d="`)
	for i := range 10 {
		r := 42.0
		if i%2 == 1 {
			r = 18
		}
		p := polar(float64(i)*math.Pi/5, r).add(Point{50, 54})
		if i == 0 {
			w.s("M")
		} else {
			w.s(" L")
		}
		w.pt(p)
	}
	w.s(` Z" fill="#ffc83d"/>`)
	return w.String()
}

// Pictogram draws an area's pictogram as a standalone inline SVG of size × size pixels.
// label (the child-friendly area label) is its accessible name; "" makes it decorative.
func Pictogram(a board.Area, label string, size int) string {
	w := &buf{b: make([]byte, 0, 1280)}
	w.s(`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 100 100" width="`).i(size).s(`" height="`).i(size).s(`" class="compass-pictogram"`)
	w.attr("data-area", string(a))
	w.a11y(label)
	w.s(pictograms[a]).s("</svg>")
	return w.String()
}
