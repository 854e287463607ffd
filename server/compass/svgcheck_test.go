package compass

import (
	"encoding/xml"
	"io"
	"math"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// checkSVG parses a drawing with encoding/xml and checks what every drawing must have:
// well-formed, an <svg> root with the wanted role, an accessible name and description
// that the root references (or aria-label + <title> for standalone icons, or aria-hidden),
// no NaN or Inf, and every coordinate inside the viewBox.
func checkSVG(t *testing.T, name, svg, role string) {
	t.Helper()
	if bad := regexp.MustCompile(`NaN|Inf`).FindString(svg); bad != "" {
		t.Errorf("%s: %q in the output", name, bad)
	}
	d := xml.NewDecoder(strings.NewReader(svg))
	d.Strict = true
	var (
		depth    int
		root     map[string]string
		vb       [4]float64
		ids      = map[string]string{} // id -> element name, for children of the root
		texts    = map[string]string{} // id -> text
		stack    []affine
		curID    string
		rootKids []string
	)
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("%s: not well-formed XML: %v\n%s", name, err, svg)
		}
		switch el := tok.(type) {
		case xml.StartElement:
			attrs := map[string]string{}
			for _, a := range el.Attr {
				attrs[a.Name.Local] = a.Value
			}
			if depth == 0 {
				if el.Name.Local != "svg" {
					t.Fatalf("%s: root is <%s>", name, el.Name.Local)
				}
				root = attrs
				f := strings.Fields(attrs["viewBox"])
				if len(f) != 4 {
					t.Fatalf("%s: viewBox %q", name, attrs["viewBox"])
				}
				for i := range f {
					vb[i] = num(t, name, f[i])
				}
				stack = append(stack, affine{k: 1})
			} else {
				stack = append(stack, stack[len(stack)-1].then(parseTransform(t, name, attrs["transform"])))
				if depth == 1 {
					rootKids = append(rootKids, el.Name.Local)
					if id := attrs["id"]; id != "" {
						ids[id] = el.Name.Local
						curID = id
					}
				}
				checkCoords(t, name, el.Name.Local, attrs, stack[len(stack)-1], vb)
			}
			depth++
		case xml.EndElement:
			depth--
			stack = stack[:len(stack)-1]
			if depth == 1 {
				curID = ""
			}
		case xml.CharData:
			if depth == 2 && curID != "" {
				texts[curID] += string(el)
			}
		}
	}
	if root == nil {
		t.Fatalf("%s: no root element", name)
	}
	if root["aria-hidden"] == "true" {
		if role != "" {
			t.Errorf("%s: aria-hidden, want role %q", name, role)
		}
		return
	}
	if got := root["role"]; got != role {
		t.Errorf("%s: role=%q, want %q", name, got, role)
	}
	if label := root["aria-label"]; label != "" {
		if len(rootKids) == 0 || rootKids[0] != "title" {
			t.Errorf("%s: aria-label without a <title> first", name)
		}
		return
	}
	refs := strings.Fields(root["aria-labelledby"])
	if len(refs) != 2 {
		t.Fatalf("%s: aria-labelledby=%q, want a title and a desc id", name, root["aria-labelledby"])
	}
	for i, want := range []string{"title", "desc"} {
		if ids[refs[i]] != want {
			t.Errorf("%s: aria-labelledby names %q, which is a <%s>, want <%s>", name, refs[i], ids[refs[i]], want)
		}
		if strings.TrimSpace(texts[refs[i]]) == "" {
			t.Errorf("%s: <%s> is empty", name, want)
		}
	}
	if len(rootKids) < 2 || rootKids[0] != "title" || rootKids[1] != "desc" {
		t.Errorf("%s: the root's first children are %v, want title, desc", name, rootKids)
	}
}

// affine is a uniform scale then a move: p' = k·p + (dx, dy).
type affine struct{ k, dx, dy float64 }

func (a affine) apply(x, y float64) (float64, float64) { return a.k*x + a.dx, a.k*y + a.dy }

// then returns the transform that applies child first, then a.
func (a affine) then(child affine) affine {
	return affine{k: a.k * child.k, dx: a.k*child.dx + a.dx, dy: a.k*child.dy + a.dy}
}

var transformRe = regexp.MustCompile(`(translate|scale)\(([^)]*)\)`)

func parseTransform(t *testing.T, name, s string) affine {
	a := affine{k: 1}
	if s == "" {
		return a
	}
	rest := transformRe.ReplaceAllString(s, "")
	if strings.TrimSpace(rest) != "" {
		t.Errorf("%s: transform %q: only translate and uniform scale are checked", name, s)
	}
	for _, m := range transformRe.FindAllStringSubmatch(s, -1) {
		args := strings.FieldsFunc(m[2], func(r rune) bool { return r == ' ' || r == ',' })
		var step affine
		switch {
		case m[1] == "translate" && len(args) == 2:
			step = affine{k: 1, dx: num(t, name, args[0]), dy: num(t, name, args[1])}
		case m[1] == "scale" && len(args) == 1:
			step = affine{k: num(t, name, args[0])}
		default:
			t.Errorf("%s: transform %q", name, s)
			continue
		}
		a = a.then(step)
	}
	return a
}

func num(t *testing.T, name, s string) float64 {
	t.Helper()
	x, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(x) || math.IsInf(x, 0) {
		t.Errorf("%s: bad number %q", name, s)
	}
	return x
}

var numberRe = regexp.MustCompile(`-?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?`)

// checkCoords checks the coordinates an element's attributes put on the canvas.
func checkCoords(t *testing.T, name, el string, attrs map[string]string, tr affine, vb [4]float64) {
	t.Helper()
	const eps = 0.06 // one decimal of rounding
	in := func(what string, x, y float64) {
		X, Y := tr.apply(x, y)
		if X < vb[0]-eps || Y < vb[1]-eps || X > vb[0]+vb[2]+eps || Y > vb[1]+vb[3]+eps {
			t.Errorf("%s: <%s> %s (%.1f, %.1f) is outside the viewBox %v", name, el, what, X, Y, vb)
		}
	}
	get := func(k string) (float64, bool) {
		v, ok := attrs[k]
		if !ok {
			return 0, false
		}
		return num(t, name, v), true
	}
	for _, p := range [][2]string{{"x", "y"}, {"cx", "cy"}, {"x1", "y1"}, {"x2", "y2"}} {
		x, okx := get(p[0])
		y, oky := get(p[1])
		if okx || oky {
			if !okx || !oky {
				t.Errorf("%s: <%s> has %s without %s", name, el, p[0], p[1])
			}
			in(p[0]+","+p[1], x, y)
		}
	}
	if r, ok := get("r"); ok {
		cx, _ := get("cx")
		cy, _ := get("cy")
		in("left", cx-r, cy)
		in("right", cx+r, cy)
		in("top", cx, cy-r)
		in("bottom", cx, cy+r)
	}
	if rx, ok := get("rx"); ok && el == "ellipse" {
		ry, _ := get("ry")
		cx, _ := get("cx")
		cy, _ := get("cy")
		in("rx", cx+rx, cy+ry)
		in("rx", cx-rx, cy-ry)
	}
	if w, ok := get("width"); ok && el == "rect" {
		h, _ := get("height")
		x, _ := get("x")
		y, _ := get("y")
		in("corner", x+w, y+h)
	}
	if pts, ok := attrs["points"]; ok {
		ns := numberRe.FindAllString(pts, -1)
		if len(ns)%2 != 0 || len(ns) == 0 {
			t.Errorf("%s: <%s> points %q", name, el, pts)
		}
		for i := 0; i+1 < len(ns); i += 2 {
			in("point", num(t, name, ns[i]), num(t, name, ns[i+1]))
		}
	}
	if d, ok := attrs["d"]; ok {
		checkPath(t, name, d, in)
	}
}

// checkPath reads an SVG path made of absolute commands and checks each end and control point.
func checkPath(t *testing.T, name, d string, in func(string, float64, float64)) {
	t.Helper()
	tokens := regexp.MustCompile(`[A-Za-z]|-?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?`).FindAllString(d, -1)
	var cmd string
	var args []float64
	var lastX, lastY float64
	flush := func() {
		per := map[string]int{"M": 2, "L": 2, "T": 2, "H": 1, "V": 1, "C": 6, "S": 4, "Q": 4, "A": 7, "Z": 0}[cmd]
		if per == 0 {
			if len(args) != 0 {
				t.Errorf("%s: path %q: %s takes no numbers", name, d, cmd)
			}
			return
		}
		if len(args)%per != 0 {
			t.Errorf("%s: path %q: %s with %d numbers", name, d, cmd, len(args))
			return
		}
		for i := 0; i < len(args); i += per {
			a := args[i : i+per]
			switch cmd {
			case "H":
				lastX = a[0]
			case "V":
				lastY = a[0]
			case "A":
				lastX, lastY = a[5], a[6]
			default:
				for j := 0; j+1 < per-2; j += 2 {
					in("control point", a[j], a[j+1])
				}
				lastX, lastY = a[per-2], a[per-1]
			}
			in("path point", lastX, lastY)
		}
	}
	for _, tok := range tokens {
		if c := tok[0]; c >= 'A' && c <= 'z' && (c < '0' || c > '9') && c != '-' && c != '.' {
			if cmd != "" {
				flush()
			}
			if strings.ToUpper(tok) != tok {
				t.Errorf("%s: path %q uses the relative command %q; only absolute commands are checked", name, d, tok)
			}
			if !strings.Contains("MLTHVCSQAZ", tok) {
				t.Errorf("%s: path %q: unknown command %q", name, d, tok)
			}
			cmd, args = tok, nil
			continue
		}
		args = append(args, num(t, name, tok))
	}
	if cmd != "" {
		flush()
	}
}
