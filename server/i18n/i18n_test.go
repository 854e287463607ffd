package i18n

import (
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
)

func load(t *testing.T) *Catalog {
	t.Helper()
	c, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestCatalogsComplete: every language has exactly the default language's keys, with
// the same placeholders, and plural messages where the default has them.
func TestCatalogsComplete(t *testing.T) {
	c := load(t)
	if got := c.Languages(); len(got) < 2 || got[0] != "sv" {
		t.Fatalf("languages = %v, want sv first and at least English", got)
	}
	placeholders := regexp.MustCompile(`\{[a-z_]+\}`)
	for _, lang := range c.Languages()[1:] {
		want := c.Keys(Default)
		got := map[string]bool{}
		for _, k := range c.Keys(lang) {
			got[k] = true
		}
		for _, k := range want {
			if !got[k] {
				t.Errorf("%s lacks %q", lang, k)
				continue
			}
			def, msg := c.msgs[Default][k], c.msgs[lang][k]
			if (def.forms == nil) != (msg.forms == nil) {
				t.Errorf("%s %q: plural in one language, plain in the other", lang, k)
			}
			ph := func(m *message) string {
				s := m.text
				if m.forms != nil {
					for _, f := range m.forms {
						s += f
					}
				}
				found := placeholders.FindAllString(s, -1)
				set := map[string]bool{}
				for _, f := range found {
					set[f] = true
				}
				var out []string
				for f := range set {
					out = append(out, f)
				}
				sort.Strings(out)
				return strings.Join(out, ",")
			}
			if ph(def) != ph(msg) {
				t.Errorf("%s %q: placeholders %s, Swedish has %s", lang, k, ph(msg), ph(def))
			}
			delete(got, k)
		}
		for k := range got {
			t.Errorf("%s has %q, which Swedish lacks", lang, k)
		}
	}
}

// TestEveryUsedKeyExists scans the templates and the Go code for message keys written
// out literally and checks each exists. Keys built at run time (area.%s and the like) are
// checked by the rendering tests, which fail on any missing key.
func TestEveryUsedKeyExists(t *testing.T) {
	c := load(t)
	literal := regexp.MustCompile(`(?:\.T|\bT)\s+"([a-z_]+\.[a-z_.]+)"|\.T\("([a-z_]+\.[a-z_.]+)"|Key:\s*"([a-z_]+\.[a-z_.]+)"|invalid\("[a-z_]*",\s*"([a-z_]+\.[a-z_.]+)"|Message\([^,]+,\s*"([a-z_]+\.[a-z_.]+)"`)
	n := 0
	for _, dir := range []string{"../../templates", "../../server"} {
		err := filepath.Walk(dir, func(path string, info os.FileInfo, err error) error {
			if err != nil || info.IsDir() || strings.HasSuffix(path, "_test.go") {
				return err
			}
			if !strings.HasSuffix(path, ".go") && !strings.HasSuffix(path, ".html") {
				return nil
			}
			b, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			for _, m := range literal.FindAllStringSubmatch(string(b), -1) {
				for _, key := range m[1:] {
					if key == "" {
						continue
					}
					n++
					if !c.Has(Default, key) {
						t.Errorf("%s uses %q, which is in no catalog", path, key)
					}
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if n < 50 {
		t.Errorf("found only %d key uses; is the scan broken?", n)
	}
}

func TestPluralsFollowCLDR(t *testing.T) {
	c, err := LoadFS(os.DirFS("testdata/plural"), ".")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		lang  string
		count int
		want  string
	}{
		{"sv", 0, "0 saker"}, {"sv", 1, "1 sak"}, {"sv", 2, "2 saker"},
		{"ar", 0, "zero"}, {"ar", 1, "one"}, {"ar", 2, "two"}, {"ar", 3, "few"},
		{"ar", 10, "few"}, {"ar", 11, "many"}, {"ar", 99, "many"}, {"ar", 100, "other"}, {"ar", 102, "other"},
	} {
		if got := c.T(tc.lang, "n", "count", tc.count); got != tc.want {
			t.Errorf("%s count %d: %q, want %q", tc.lang, tc.count, got, tc.want)
		}
	}
}

func TestInterpolationIsolatesUserText(t *testing.T) {
	c, err := LoadFS(os.DirFS("testdata/plural"), ".")
	if err != nil {
		t.Fatal(err)
	}
	got := c.T("sv", "hello", "name", "سارا")
	if got != "Hej \u2068سارا\u2069!" {
		t.Errorf("got %q: a right-to-left name must be wrapped in directional isolates", got)
	}
	if got := c.T("sv", "hello"); got != "Hej {name}!" {
		t.Errorf("without arguments: %q", got)
	}
	// A language without the key falls back to Swedish, never to the key.
	if got := c.T("ar", "hello", "name", "A"); !strings.HasPrefix(got, "Hej") {
		t.Errorf("fallback: %q", got)
	}
	var missing []string
	c.Missing = func(lang, key string) { missing = append(missing, key) }
	if got := c.T("sv", "no.such.key"); got != "no.such.key" || len(missing) != 1 {
		t.Errorf("missing key: %q, reported %v", got, missing)
	}
}

func TestMatchAndDirection(t *testing.T) {
	c := load(t)
	for _, tc := range []struct{ accept, preferred, want string }{
		{"", "", "sv"},
		{"en-GB,en;q=0.9", "", "en"},
		{"en-US", "sv", "sv"},
		{"ar,fr;q=0.5", "", "sv"},
		{"sv-FI", "", "sv"},
		{"garbage;;;", "", "sv"},
		{"", "en", "en"},
		{"", "xx", "sv"},
	} {
		if got := c.Match(tc.accept, tc.preferred); got != tc.want {
			t.Errorf("Match(%q, %q) = %q, want %q", tc.accept, tc.preferred, got, tc.want)
		}
	}
	for lang, want := range map[string]string{"sv": "ltr", "en": "ltr", "ar": "rtl", "fa": "rtl", "ckb": "rtl", "so": "ltr", "ti": "ltr"} {
		if got := Dir(lang); got != want {
			t.Errorf("Dir(%s) = %s, want %s", lang, got, want)
		}
	}
}

func TestOverrideAreaLabels(t *testing.T) {
	c := load(t)
	err := c.OverrideAreaLabels(strings.NewReader(`{"sv": {"area.trygghet": "Att vara trygg", "area.trygghet.child": "Jag är trygg"}, "en": {"area.halsa": "Health"}}`))
	if err != nil {
		t.Fatal(err)
	}
	if got := c.T("sv", "area.trygghet"); got != "Att vara trygg" {
		t.Errorf("overridden label = %q", got)
	}
	if got := c.T("sv", "area.halsa"); got != "Hälsa" {
		t.Errorf("an area not overridden changed: %q", got)
	}
	for _, bad := range []string{
		`{"sv": {"login.title": "Hej"}}`,
		`{"sv": {"area.nope": "X"}}`,
		`{"xx": {"area.halsa": "X"}}`,
		`{"sv": {"area.halsa": ""}}`,
		`not json`,
	} {
		if err := c.OverrideAreaLabels(strings.NewReader(bad)); err == nil {
			t.Errorf("%s was accepted", bad)
		}
	}
}

func TestPseudoRTL(t *testing.T) {
	c := load(t)
	c.AddPseudoRTL()
	p := c.Printer(PseudoRTL)
	if p.Lang != PseudoRTL || p.Dir() != "rtl" {
		t.Fatalf("printer %s dir %s", p.Lang, p.Dir())
	}
	if got := p.T("login.title"); got != "\u200fLogga in" {
		t.Errorf("pseudo text = %q", got)
	}
	if got := p.T("agenda.timebox", "count", 1); got != "\u200f1 minut" {
		t.Errorf("pseudo plural = %q", got)
	}
	if !c.Has(PseudoRTL, "app.name") || c.Languages()[len(c.Languages())-1] != PseudoRTL {
		t.Error("the pseudo-language is not listed")
	}
}
