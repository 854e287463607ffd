package compass

import "math"

// Marker is the shape drawn at each rated point of an outline.
type Marker uint8

const (
	MarkerCircle Marker = iota
	MarkerSquare
	MarkerTriangle
	MarkerDiamond
	MarkerTriangleDown
	MarkerCross
)

// Style tells one perspective's outline apart by three means at once, so that it works in
// greyscale and for colour-blind people: colour, dash pattern and marker shape.
type Style struct {
	Color  string    // stroke and marker colour, ≥ 3:1 against white (WCAG 1.4.11)
	Dash   []float64 // dash pattern in multiples of the stroke width; nil = solid (round caps: 0 draws a dot)
	Marker Marker
}

// Styles are the outline styles; perspective i uses Styles[i % len(Styles)]. Colours
// follow the Okabe–Ito palette, darkened where needed for contrast against white.
var Styles = [...]Style{
	{Color: "#0072B2", Dash: nil, Marker: MarkerCircle},                              // blue, solid
	{Color: "#D55E00", Dash: []float64{3, 2}, Marker: MarkerSquare},                  // vermillion, dashed
	{Color: "#007A5A", Dash: []float64{0, 2}, Marker: MarkerTriangle},                // green, dotted
	{Color: "#B8478F", Dash: []float64{4, 1.6, 0, 1.6}, Marker: MarkerDiamond},       // purple-red, dash-dot
	{Color: "#6A3D9A", Dash: []float64{6, 2.4}, Marker: MarkerTriangleDown},          // violet, long dash
	{Color: "#4A5563", Dash: []float64{4, 1.6, 0, 1.6, 0, 1.6}, Marker: MarkerCross}, // slate, dash-dot-dot
}

// StyleFor is the style of the i-th perspective.
func StyleFor(i int) Style { return Styles[((i%len(Styles))+len(Styles))%len(Styles)] }

// Polygon returns the marker's outline centred on c with "radius" r (the circle a marker
// of the same visual weight would have), or nil for MarkerCircle: draw a circle of r.
// Triangles and the diamond are drawn larger than r because they cover less area.
func (m Marker) Polygon(c Point, r float64) []Point {
	var pts []Point
	switch m {
	case MarkerCircle:
		return nil
	case MarkerSquare:
		s := r * 0.9
		pts = []Point{{-s, -s}, {s, -s}, {s, s}, {-s, s}}
	case MarkerTriangle, MarkerTriangleDown:
		k := r * 1.35
		sign := 1.0
		if m == MarkerTriangleDown {
			sign = -1
		}
		for i := range 3 {
			a := float64(i) * 2 * math.Pi / 3
			p := polar(a, k)
			pts = append(pts, Point{p.X, sign*p.Y + sign*k*0.2})
		}
	case MarkerDiamond:
		k := r * 1.3
		pts = []Point{{0, -k}, {k, 0}, {0, k}, {-k, 0}}
	case MarkerCross:
		// a plus sign with arms of reach a and half-thickness b, turned 45°
		a, b := r*1.25, r*0.42
		plus := []Point{{b, -a}, {b, -b}, {a, -b}, {a, b}, {b, b}, {b, a}, {-b, a}, {-b, b}, {-a, b}, {-a, -b}, {-b, -b}, {-b, -a}}
		for _, p := range plus {
			pts = append(pts, Point{(p.X - p.Y) / math.Sqrt2, (p.X + p.Y) / math.Sqrt2})
		}
	}
	for i := range pts {
		pts[i] = pts[i].add(c)
	}
	return pts
}

// marker writes one marker's shape; fill and stroke come from the enclosing group.
func (w *buf) marker(m Marker, c Point, r float64) {
	if pts := m.Polygon(c, r); pts != nil {
		w.s(`<polygon points="`).points(pts).s(`"/>` + "\n")
		return
	}
	w.s(`<circle`).fattr("cx", c.X).fattr("cy", c.Y).fattr("r", r).s("/>\n")
}

// dash writes the stroke-dasharray of a style for stroke width sw, if any.
func (w *buf) dash(d []float64, sw float64) {
	if len(d) == 0 {
		return
	}
	w.s(` stroke-dasharray="`)
	for i, x := range d {
		if i > 0 {
			w.s(" ")
		}
		w.f(x * sw)
	}
	w.s(`"`)
}
