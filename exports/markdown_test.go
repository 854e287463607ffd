package exports

import (
	"bytes"
	"html"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/barnteam/barnteam/server/board"
	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/extension"
	gmhtml "github.com/yuin/goldmark/renderer/html"
)

func TestMarkdownGolden(t *testing.T) {
	doc, ev := fixture(t)
	got, err := Markdown(doc, ev)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join("testdata", "plan.md")
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./exports -run Golden -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("Markdown differs from %s (-update rewrites it):\n%s", path, got)
	}
	again, _ := Markdown(fixture(t))
	if !bytes.Equal(again, got) {
		t.Error("two exports of the same plan differ")
	}
}

// gfm is a journal system that renders Markdown the GitHub way, raw HTML included: the
// strictest reader our text can meet.
var gfm = goldmark.New(goldmark.WithExtensions(extension.GFM), goldmark.WithRendererOptions(gmhtml.WithUnsafe()))

func render(t *testing.T, md string) string {
	t.Helper()
	var b bytes.Buffer
	if err := gfm.Convert([]byte(md), &b); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

var tag = regexp.MustCompile(`<[^>]*>`)

// textOf is what a reader sees of rendered HTML: line breaks as \n, no tags.
func textOf(h string) string {
	h = strings.ReplaceAll(h, "<br>\n", "\n")
	h = strings.ReplaceAll(h, "<br />\n", "\n")
	return strings.TrimSpace(html.UnescapeString(tag.ReplaceAllString(h, "")))
}

// TestMarkdownShowsPeoplesWordsAsWritten renders escaped text with a GFM renderer and
// checks that the reader sees exactly the words, with no markup of their own making.
func TestMarkdownShowsPeoplesWordsAsWritten(t *testing.T) {
	for _, s := range []string{
		"*stjärna* och _understreck_ och **fet** och ***båda***",
		"1. inte en lista", "2) inte heller", "1986. Ett årtal", "- inte en punkt", "+ plus", "* stjärnpunkt",
		"# inte en rubrik", "### inte heller ###", "> inte ett citat", "=== inte en understrykning", "---", "***", "___",
		"<b>inte html</b> <script>alert(1)</script> &amp; &lt; &#169; &copy",
		"`kod` och ``mer`` och ```", "[länk](http://x) ![bild](y) [ref][1]\n\n[1]: http://z",
		"rad ett\nrad två\n\nefter en tom rad\n    fyra blanksteg\n\tflik",
		"~~struken~~ och ~enkel~ | pipe | tabell |\n|---|---|\n| a | b |",
		`\backslash\ och \* stjärna och \\ två`,
		"a_b_c snake_case __init__", "Åsa <3 glass & smör", "- [ ] uppgift", "😀 «citat» – ”svenska” • punkt",
		"<http://inte.en.lank>", "https://kan.bli.en.lank.se/sida_1", "e-post: namn@example.se",
	} {
		want := s
		lines := strings.Split(want, "\n")
		for i := range lines {
			lines[i] = strings.ReplaceAll(strings.TrimLeft(lines[i], " \t"), "\t", " ")
		}
		want = strings.Join(lines, "\n")

		for name, md := range map[string]string{
			"paragraph": mdParagraph(s),
			"field":     "**Etikett:** " + mdEscape(s, ""),
			"list item": "- **Etikett:** " + mdEscape(s, "  ") + "\n- nästa",
			"heading":   "### " + mdEscape(strings.ReplaceAll(s, "\n", " "), ""),
		} {
			out := render(t, md)
			got := textOf(out)
			w := want
			switch name {
			case "field":
				w = "Etikett: " + want
			case "list item":
				w = "Etikett: " + want + "\nnästa"
			case "heading":
				w = strings.TrimSpace(strings.ReplaceAll(s, "\n", " "))
				w = strings.ReplaceAll(strings.Join(strings.Fields(w), " "), "\t", " ")
				got = strings.Join(strings.Fields(got), " ")
			}
			if got != w {
				t.Errorf("%s %q:\nmarkdown %q\nrendered %q\nreads    %q", name, s, md, out, got)
			}
			for _, bad := range []string{"<em", "<code", "<h1", "<h2", "<ol", "<blockquote", "<del", "<table", "<hr", "<img", "<pre", "<script", "<b>", "<input"} {
				if strings.Contains(out, bad) {
					t.Errorf("%s %q: rendered with %s: %s", name, s, bad, out)
				}
			}
			if name != "heading" && strings.Count(out, "<strong>") != strings.Count(md, "**Etikett:**") {
				t.Errorf("%s %q: emphasis of its own: %s", name, s, out)
			}
		}
	}
}

// TestMarkdownNotesRoundTrip: a note written back from its syntax tree renders as the
// note itself does (whitespace aside).
func TestMarkdownNotesRoundTrip(t *testing.T) {
	note := strings.Join([]string{
		"Alla presenterade sig. **Samtycke** bekräftat för *alla*, ***båda*** och ~~inte~~ `kod`.",
		"Rad två med hård\\\nbrytning och mjuk\nbrytning.",
		"",
		"* ett",
		"* två\n  * nästlad med *betoning*\n  * och 1. text",
		"",
		"3. tre",
		"4. fyra",
		"",
		"> citat över\n> två rader",
		">\n> - lista i citat",
		"",
		"```go\nfmt.Println(\"```\")\n    indrag\n```",
		"",
		"Länk: [skolans plan](https://skolan.se/plan_1?a=b&c=d) och <https://auto.se> och www.linkify.se.",
		"",
		"- lös lista\n\n- med luft\n\n  andra stycket",
		"",
		"---",
		"",
		"Sista \\*stjärnan\\* och &amp; och 3 < 4.",
	}, "\n")
	blocks := parseNote(note)
	var w mdWriter
	writeNoteMarkdown(&w, blocks)
	got := w.b.String()

	norm := func(h string) string {
		h = strings.Join(strings.Fields(h), " ")
		return strings.NewReplacer("> ", ">", " <", "<").Replace(h)
	}
	// the board's renderer: CommonMark with strikethrough and linkify, safe HTML
	board := goldmark.New(goldmark.WithExtensions(extension.Strikethrough, extension.Linkify))
	var a, b bytes.Buffer
	if err := board.Convert([]byte(note), &a); err != nil {
		t.Fatal(err)
	}
	if err := board.Convert([]byte(got), &b); err != nil {
		t.Fatal(err)
	}
	if norm(a.String()) != norm(b.String()) {
		t.Errorf("note renders differently after the export:\nnote:\n%s\nexport:\n%s\n%s\n%s", note, got, a.String(), b.String())
	}
}

func TestMarkdownNotesNeverCarryHTML(t *testing.T) {
	doc, ev := fixture(t)
	doc.Notes = []board.PlanNote{{Title: "Risk", Markdown: "<script>alert(1)</script>\n\nText med <b>fet</b> och <img src=x onerror=alert(1)>.\n\n<div>\nblock\n</div>"}}
	ev = evidenceFor(t, doc)
	md, err := Markdown(doc, ev)
	if err != nil {
		t.Fatal(err)
	}
	out := render(t, string(md)) // even a renderer that lets raw HTML through
	for _, bad := range []string{"<script", "<b>", "<img", "<div"} {
		if strings.Contains(out, bad) {
			t.Errorf("raw HTML from a note reached the journal: %s", bad)
		}
	}
	text := textOf(out)
	for _, want := range []string{"<script>alert(1)</script>", "Text med <b>fet</b> och <img src=x onerror=alert(1)>.", "<div>"} {
		if !strings.Contains(text, want) {
			t.Errorf("the note's text %q is not shown as typed", want)
		}
	}
}

func TestMarkdownKeepsEmojiAndMarksControls(t *testing.T) {
	doc := fixtureDoc()
	doc.Reason = "Alva 😀 mår\x00 bra \u202Eevil\xff"
	md, err := Markdown(doc, evidenceFor(t, doc))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(md, []byte("Alva 😀 mår□ bra □evil□")) {
		t.Errorf("reason came out as %q", regexp.MustCompile(`Alva[^\n]*`).Find(md))
	}
}
