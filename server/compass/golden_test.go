package compass

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/barnteam/barnteam/server/board"
)

var update = flag.Bool("update", false, "rewrite testdata/*.svg from the current output")

// TestGolden compares the drawings byte for byte with testdata/*.svg. After a deliberate
// change, regenerate with: go test ./server/compass -run Golden -update
func TestGolden(t *testing.T) {
	for _, c := range []struct {
		file string
		svg  string
	}{
		// the child: 3 rated and "vet inte"; guardian A: 5 answers, one "vill inte svara";
		// guardian B: none; the professionals: all 8
		{"radar-partial.svg", Radar(partial(), svLabels(), Options{Lang: "sv", ID: "kompass"})},
		{"radar-rtl.svg", Radar(arPartial(), arLabels(), Options{Dir: "rtl", Lang: "ar", ID: "kompass-ar"})},
		{"radar-long-labels.svg", Radar(partial(), longLabels(), Options{Lang: "sv", ID: "kompass-lang"})},
		{"wheel.svg", Wheel(wheelAnswers(), svLabels(), Options{Lang: "sv", ID: "hjul", Href: func(a board.Area) string { return "/barn/kompass/" + string(a) }})},
	} {
		t.Run(strings.TrimSuffix(c.file, ".svg"), func(t *testing.T) {
			checkSVG(t, c.file, c.svg, map[bool]string{true: "group", false: "img"}[strings.HasPrefix(c.file, "wheel")])
			path := filepath.Join("testdata", c.file)
			if *update {
				if err := os.MkdirAll("testdata", 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, []byte(c.svg), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if got := []byte(c.svg); !bytes.Equal(got, want) {
				gl, wl := strings.Split(c.svg, "\n"), strings.Split(string(want), "\n")
				for i := range max(len(gl), len(wl)) {
					var g, w string
					if i < len(gl) {
						g = gl[i]
					}
					if i < len(wl) {
						w = wl[i]
					}
					if g != w {
						t.Fatalf("%s differs at line %d:\n got: %s\nwant: %s\n(if the change is intended: go test ./server/compass -run Golden -update)", path, i+1, g, w)
					}
				}
			}
		})
	}
}
