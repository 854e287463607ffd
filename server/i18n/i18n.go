// Package i18n is the message catalog: every user-facing string goes through it. Messages
// live in embedded JSON files, one folder per language (locales/<lang>/*.json); a message is either a
// string or an object of CLDR plural forms ("zero", "one", "two", "few", "many", "other")
// chosen by the argument named "count". Placeholders are written {name}.
//
// Swedish is the default and the fallback: a key missing in another language shows the
// Swedish text rather than a key. Tests keep every catalog complete.
package i18n

import (
	"embed"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"

	"golang.org/x/text/feature/plural"
	"golang.org/x/text/language"
)

//go:embed locales
var locales embed.FS

// Default is the language used when nothing else matches, and the fallback for missing keys.
const Default = "sv"

// rtl lists the right-to-left languages the product may be translated into.
var rtl = map[string]bool{"ar": true, "fa": true, "prs": true, "ckb": true, "he": true, "ur": true}

// message is one catalog entry: a plain text or plural forms.
type message struct {
	text  string
	forms map[plural.Form]string
}

func (m *message) UnmarshalJSON(b []byte) error {
	if err := json.Unmarshal(b, &m.text); err == nil {
		return nil
	}
	var forms map[string]string
	if err := json.Unmarshal(b, &forms); err != nil {
		return fmt.Errorf("a message must be a string or an object of plural forms")
	}
	m.forms = map[plural.Form]string{}
	for k, v := range forms {
		f, ok := formNames[k]
		if !ok {
			return fmt.Errorf("unknown plural form %q", k)
		}
		m.forms[f] = v
	}
	if _, ok := m.forms[plural.Other]; !ok {
		return fmt.Errorf("plural message without the \"other\" form")
	}
	return nil
}

var formNames = map[string]plural.Form{
	"zero": plural.Zero, "one": plural.One, "two": plural.Two,
	"few": plural.Few, "many": plural.Many, "other": plural.Other,
}

// Catalog holds every language's messages. It is read-only after Load.
type Catalog struct {
	// Missing, when set, is told of every key that is in no catalog. Tests set it to fail
	// on a key that was used but never written.
	Missing func(lang, key string)

	langs   []string // Default first, then alphabetical
	tags    []language.Tag
	matcher language.Matcher
	msgs    map[string]map[string]*message
}

// Load reads the embedded catalogs.
func Load() (*Catalog, error) { return LoadFS(locales, "locales") }

// LoadFS reads every language folder in dir of fsys: dir/<lang>/*.json, merged (a key in
// two files of one language is an error). Splitting a language into files by area keeps
// each file readable. The default language must be present.
func LoadFS(fsys fs.FS, dir string) (*Catalog, error) {
	entries, err := fs.ReadDir(fsys, dir)
	if err != nil {
		return nil, err
	}
	c := &Catalog{msgs: map[string]map[string]*message{}}
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		lang := e.Name()
		if _, err := language.Parse(lang); err != nil {
			return nil, fmt.Errorf("%s: not a language tag: %w", lang, err)
		}
		files, err := fs.Glob(fsys, path.Join(dir, lang, "*.json"))
		if err != nil {
			return nil, err
		}
		all := map[string]*message{}
		for _, name := range files {
			b, err := fs.ReadFile(fsys, name)
			if err != nil {
				return nil, err
			}
			var msgs map[string]*message
			if err := json.Unmarshal(b, &msgs); err != nil {
				return nil, fmt.Errorf("%s: %w", name, err)
			}
			for k, m := range msgs {
				if _, dup := all[k]; dup {
					return nil, fmt.Errorf("%s: key %q is also in another file of %s", name, k, lang)
				}
				all[k] = m
			}
		}
		c.msgs[lang] = all
		c.langs = append(c.langs, lang)
	}
	if c.msgs[Default] == nil {
		return nil, fmt.Errorf("no %s catalog in %s", Default, dir)
	}
	sort.Slice(c.langs, func(i, j int) bool {
		if (c.langs[i] == Default) != (c.langs[j] == Default) {
			return c.langs[i] == Default
		}
		return c.langs[i] < c.langs[j]
	})
	for _, l := range c.langs {
		c.tags = append(c.tags, language.MustParse(l))
	}
	c.matcher = language.NewMatcher(c.tags)
	return c, nil
}

// OverrideAreaLabels replaces the needs compass's area labels with a municipality's own
// wording, read from JSON {"<lang>": {"area.<key>": "…", "area.<key>.child": "…"}}. Only
// existing area labels can be replaced (other municipalities name the eight areas their
// own way; everything else is the product's text), and only in available languages.
// Call it before the catalog is used.
func (c *Catalog) OverrideAreaLabels(r io.Reader) error {
	var byLang map[string]map[string]string
	dec := json.NewDecoder(r)
	if err := dec.Decode(&byLang); err != nil {
		return fmt.Errorf("area labels: %w", err)
	}
	for lang, msgs := range byLang {
		cur, ok := c.msgs[lang]
		if !ok {
			return fmt.Errorf("area labels: no language %q", lang)
		}
		for k, v := range msgs {
			if !strings.HasPrefix(k, "area.") || cur[k] == nil || cur[k].forms != nil {
				return fmt.Errorf("area labels: %q is not an area label", k)
			}
			if strings.TrimSpace(v) == "" || len(v) > 200 {
				return fmt.Errorf("area labels: %q must be 1 to 200 characters", k)
			}
			cur[k] = &message{text: v}
		}
	}
	return nil
}

// PseudoRTL is the tag of the pseudo-language AddPseudoRTL adds: right to left, so the
// layout of every page can be tested mirrored before a real Arabic or Persian catalog
// exists (nothing is ever machine-translated).
const PseudoRTL = "ar-XB"

// AddPseudoRTL adds PseudoRTL, a right-to-left copy of the default language whose texts
// begin with a right-to-left mark. For tests and layout reviews; a deployment never
// loads it.
func (c *Catalog) AddPseudoRTL() {
	src := c.msgs[Default]
	dst := make(map[string]*message, len(src))
	for k, m := range src {
		cp := &message{text: "\u200f" + m.text}
		if m.forms != nil {
			cp.forms = map[plural.Form]string{}
			for f, t := range m.forms {
				cp.forms[f] = "\u200f" + t
			}
		}
		dst[k] = cp
	}
	c.msgs[PseudoRTL] = dst
	c.langs = append(c.langs, PseudoRTL)
	c.tags = append(c.tags, language.MustParse(PseudoRTL))
	c.matcher = language.NewMatcher(c.tags)
}

// Languages lists the available languages, the default first.
func (c *Catalog) Languages() []string { return c.langs }

// Keys lists every key of a language, sorted (for completeness tests).
func (c *Catalog) Keys(lang string) []string {
	keys := make([]string, 0, len(c.msgs[lang]))
	for k := range c.msgs[lang] {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// Has reports whether lang is available and has key.
func (c *Catalog) Has(lang, key string) bool {
	_, ok := c.msgs[lang][key]
	return ok
}

// Match picks a language: preferred if available (a member's stored choice), else the best
// match for an Accept-Language header, else the default.
func (c *Catalog) Match(acceptLanguage, preferred string) string {
	if _, ok := c.msgs[preferred]; ok {
		return preferred
	}
	if len(acceptLanguage) > 0 && len(acceptLanguage) < 500 {
		tags, _, err := language.ParseAcceptLanguage(acceptLanguage)
		if err == nil && len(tags) > 0 {
			_, i, conf := c.matcher.Match(tags...)
			if conf >= language.High {
				return c.langs[i]
			}
		}
	}
	return Default
}

// Dir is "rtl" or "ltr" for a language.
func Dir(lang string) string {
	base, _, _ := strings.Cut(lang, "-")
	if rtl[base] {
		return "rtl"
	}
	return "ltr"
}

// T formats key in lang with named arguments given as pairs: "name", value, ….
func (c *Catalog) T(lang, key string, args ...any) string {
	m := c.msgs[lang][key]
	if m == nil {
		m = c.msgs[Default][key]
		lang = Default
	}
	if m == nil {
		// A missing key is a bug the completeness tests catch; show the key, not nothing.
		if c.Missing != nil {
			c.Missing(lang, key)
		}
		return key
	}
	text := m.text
	if m.forms != nil {
		text = m.forms[plural.Other]
		if n, ok := countArg(args); ok {
			form := plural.Cardinal.MatchPlural(language.Make(lang), n, 0, 0, 0, 0)
			if t, ok := m.forms[form]; ok {
				text = t
			}
		}
	}
	if len(args) == 0 || !strings.Contains(text, "{") {
		return text
	}
	return interpolate(text, args)
}

func countArg(args []any) (int, bool) {
	for i := 0; i+1 < len(args); i += 2 {
		if args[i] == "count" {
			switch v := args[i+1].(type) {
			case int:
				return abs(v), true
			case int64:
				return abs(int(v)), true
			}
		}
	}
	return 0, false
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}

// Unicode directional isolates: text written by people (names, titles) is wrapped in
// them, so an Arabic name inside a Swedish sentence (or the reverse) cannot reorder the
// words around it.
const (
	fsi = "\u2068"
	pdi = "\u2069"
)

// interpolate replaces {name} with its argument. String arguments are bidi-isolated;
// numbers are not (they carry no direction of their own worth isolating).
func interpolate(text string, args []any) string {
	var sb strings.Builder
	for {
		open := strings.IndexByte(text, '{')
		if open < 0 {
			break
		}
		end := strings.IndexByte(text[open:], '}')
		if end < 0 {
			break
		}
		name := text[open+1 : open+end]
		sb.WriteString(text[:open])
		if v, ok := lookup(args, name); ok {
			sb.WriteString(v)
		} else {
			sb.WriteString(text[open : open+end+1])
		}
		text = text[open+end+1:]
	}
	sb.WriteString(text)
	return sb.String()
}

func lookup(args []any, name string) (string, bool) {
	for i := 0; i+1 < len(args); i += 2 {
		if args[i] != name {
			continue
		}
		switch v := args[i+1].(type) {
		case string:
			return fsi + v + pdi, true
		case int:
			return strconv.Itoa(v), true
		case int64:
			return strconv.FormatInt(v, 10), true
		case fmt.Stringer:
			return fsi + v.String() + pdi, true
		default:
			return fmt.Sprint(v), true
		}
	}
	return "", false
}

// Printer formats messages in one language; templates get one as .P.
type Printer struct {
	c    *Catalog
	Lang string
}

// Printer returns a printer for lang (the default if lang is not available).
func (c *Catalog) Printer(lang string) Printer {
	if _, ok := c.msgs[lang]; !ok {
		lang = Default
	}
	return Printer{c: c, Lang: lang}
}

// T formats a message; see Catalog.T.
func (p Printer) T(key string, args ...any) string { return p.c.T(p.Lang, key, args...) }

// Dir is the writing direction of the printer's language.
func (p Printer) Dir() string { return Dir(p.Lang) }

// Plain formats a message without the directional isolates around its arguments, for
// documents that cannot show them (the PDF, plain text exports).
func (p Printer) Plain(key string, args ...any) string {
	return strings.NewReplacer(fsi, "", pdi, "").Replace(p.T(key, args...))
}
