package exports

import (
	"bytes"
	"io"
	"strings"
	"testing"
	"unicode/utf8"
)

// Fuzz targets for what reaches this package from people: the code typed on the verify
// page, the notes' Markdown and any text field, and the stored canonical JSON.
// Run one with: go test ./exports -run XXX -fuzz FuzzNote -fuzztime 60s

// FuzzNote draws arbitrary text as a note, a paragraph and a table cell, and writes it
// as Markdown: nothing panics, gofpdf reports no error, the Markdown is valid UTF-8. One
// document takes a hundred inputs (parsing the fonts for each would make fuzzing crawl);
// then it is written out, which subsets the fonts, and a fresh one begins.
func FuzzNote(f *testing.F) {
	for _, s := range []string{
		"", "**fet** *kursiv* `kod` ~~struken~~ [länk](https://x.se) <b>html</b>",
		"- a\n  - b\n    1. c\n\n> d\n> > e\n\n```\nkod\n```\n---\n# R\n",
		"😀\x00\xff\u202e", strings.Repeat("ö", 500), "[a](javascript:alert(1)) ![b](c) <https://d.se>",
	} {
		f.Add(s)
	}
	m, err := fontMetrics()
	if err != nil {
		f.Fatal(err)
	}
	var w pdfPlan
	n := 0
	f.Fuzz(func(t *testing.T, s string) {
		if n%100 == 0 {
			w = pdfPlan{d: newPDFDoc(m)}
			w.d.addPage()
		}
		n++
		w.noteBlocks(parseNote(s))
		w.d.para(plain(s)...)
		w.d.table([]column{{s, 30}, {"b", 60}}, [][][]span{{plain(s), {{text: s, style: styleMono, code: true}}}}, tableOpts{header: true, grid: true})
		if err := w.d.f.Error(); err != nil {
			t.Fatal(err)
		}
		if n%100 == 0 {
			if err := w.d.f.Output(io.Discard); err != nil {
				t.Fatal(err)
			}
		}
		var md mdWriter
		writeNoteMarkdown(&md, parseNote(s))
		md.field("- ", s, s)
		md.para(s)
		if !utf8.ValidString(md.b.String()) {
			t.Error("Markdown is not valid UTF-8")
		}
	})
}

// FuzzParseCanonical: whatever ParseCanonical accepts canonicalises to the same bytes.
func FuzzParseCanonical(f *testing.F) {
	b, err := Canonical(fixtureDoc())
	if err != nil {
		f.Fatal(err)
	}
	f.Add(b)
	f.Add([]byte(`{"format":"barnteam.plan/1"}`))
	f.Fuzz(func(t *testing.T, in []byte) {
		doc, err := ParseCanonical(in)
		if err != nil {
			return
		}
		out, err := Canonical(doc)
		if err != nil || !bytes.Equal(out, in) {
			t.Errorf("accepted %q but canonicalises to %q (%v)", in, out, err)
		}
	})
}
