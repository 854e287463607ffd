package exports

import (
	"bytes"
	"crypto/ed25519"
	"encoding/base64"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/barnteam/barnteam/server/board"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

func mustPDF(t testing.TB, doc board.PlanDoc, ev Evidence) []byte {
	t.Helper()
	b, err := PDF(doc, ev)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(b, []byte("%PDF-1.")) || !bytes.Contains(b[len(b)-32:], []byte("%%EOF")) {
		t.Fatalf("not a PDF: %.20q … %q", b, b[max(0, len(b)-32):])
	}
	return b
}

// pdftotext runs poppler's pdftotext on pdf and returns the text; args select pages
// ("-f", "2", "-l", "2"). Without the tool the test is skipped, or fails when
// BARNTEAM_E2E=1 or BARNTEAM_PDF_TOOLS=1 says the tools must be there.
func pdftotext(t testing.TB, pdf []byte, args ...string) string {
	t.Helper()
	bin, err := exec.LookPath("pdftotext")
	if err != nil {
		if os.Getenv("BARNTEAM_E2E") == "1" || os.Getenv("BARNTEAM_PDF_TOOLS") == "1" {
			t.Fatal("pdftotext (poppler-utils) is required but not installed")
		}
		t.Skip("pdftotext (poppler-utils) not installed; BARNTEAM_PDF_TOOLS=1 makes this a failure")
	}
	path := filepath.Join(t.TempDir(), "plan.pdf")
	if err := os.WriteFile(path, pdf, 0o600); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	cmd := exec.Command(bin, append(append([]string{"-enc", "UTF-8"}, args...), path, "-")...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("pdftotext: %v: %s", err, stderr.String())
	}
	if stderr.Len() > 0 {
		t.Errorf("pdftotext complained: %s", stderr.String())
	}
	return stdout.String()
}

// pages is the text of each page (pdftotext ends every page with a form feed).
func pages(t testing.TB, pdf []byte) []string {
	t.Helper()
	ps := strings.Split(pdftotext(t, pdf), "\f")
	return ps[:len(ps)-1]
}

// flat joins all whitespace to single spaces, so text wrapped at spaces compares whole.
func flat(s string) string { return strings.Join(strings.Fields(s), " ") }

func TestPDFSwedishTextSurvivesPdftotext(t *testing.T) {
	doc := fixtureDoc()
	const swedish = "Tecken: å ä ö Å Ä Ö – • « »"
	doc.Reason = swedish + "\nOch en rad till."
	doc.FollowUp.Convener = longName
	if n := utf8.RuneCountInString(longName); n != 80 {
		t.Fatalf("the long name has %d runes", n)
	}
	text := flat(pdftotext(t, mustPDF(t, doc, evidenceFor(t, doc))))
	for _, want := range []string{
		swedish,
		"Sammankallande: " + longName,
		"3. Vårdnadshavarnas syn", "Barnets röst", "Så vet vi att det fungerar", "Tillhörighet", "Stödsamordnare",
		"”Jag är rädd på rasten.”",
		"Ganska dåligt (2)", "Inte bedömt", "Vet inte", "Vill inte svara",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("extracted text lacks %q", want)
		}
	}
	if strings.Contains(text, txtPlaceholder) {
		t.Errorf("a placeholder in the text of a plan that has only drawable characters")
	}
}

func TestPDFGolden(t *testing.T) {
	doc, ev := fixture(t)
	got := mustPDF(t, doc, ev)
	path := filepath.Join("testdata", "plan.pdf")
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
		i := 0
		for i < min(len(got), len(want)) && got[i] == want[i] {
			i++
		}
		failed := filepath.Join(t.TempDir(), "plan.pdf")
		_ = os.WriteFile(failed, got, 0o644)
		t.Errorf("PDF differs from %s at byte %d (got %d bytes, want %d); got is in %s; -update rewrites the golden file", path, i, len(got), len(want), failed)
	}
}

func TestPDFConcurrentBuildsAreIdentical(t *testing.T) {
	doc, ev := fixture(t)
	want := mustPDF(t, doc, ev)
	const n = 8
	got := make([][]byte, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			d, e := fixture(t) // each its own input, as separate requests would have
			got[i], errs[i] = PDF(d, e)
		})
	}
	wg.Wait()
	for i := range n {
		if errs[i] != nil {
			t.Fatal(errs[i])
		}
		if !bytes.Equal(got[i], want) {
			t.Errorf("build %d differs from the sequential build", i)
		}
	}
}

func TestPDFWithoutEvidenceOrTimesIsDeterministic(t *testing.T) {
	doc := fixtureDoc()
	doc.FrozenAt = time.Time{} // gofpdf would use time.Now for a zero date
	a := mustPDF(t, doc, Evidence{})
	b := mustPDF(t, doc, Evidence{})
	if !bytes.Equal(a, b) {
		t.Fatal("two builds of a plan without a freeze time differ")
	}
	text := flat(pdftotext(t, a))
	for _, want := range []string{txtSignNone, txtServerSigNone, txtEventsEmpty, "Fryst Inte angivet"} {
		if !strings.Contains(text, want) {
			t.Errorf("text lacks %q", want)
		}
	}
}

// TestPDFEveryPageHasHeaderAndFooter: the child, the version, the code and "Sida X av Y".
func TestPDFEveryPageHasHeaderAndFooter(t *testing.T) {
	doc, ev := fixture(t)
	pdf := mustPDF(t, doc, ev)
	ps := pages(t, pdf)
	if len(ps) < 5 {
		t.Fatalf("%d pages", len(ps))
	}
	code := board.VerificationCode(doc.MeetingID, doc.Version, board.PlanSHA256(mustCanonical(t, doc)))
	for i, p := range ps {
		for _, want := range []string{"Barnets plan – Alva, född 2016", "Barnets plan, version 2", "Verifieringskod " + code, fmt.Sprintf("Sida %d av %d", i+1, len(ps))} {
			if !strings.Contains(p, want) {
				t.Errorf("page %d lacks %q", i+1, want)
			}
		}
	}
}

// TestPDFContent checks the sections' order and what the fixture puts in them.
func TestPDFContent(t *testing.T) {
	doc, ev := fixture(t)
	pdf := mustPDF(t, doc, ev)
	ps := pages(t, pdf)
	text := flat(strings.Join(ps, " "))
	last := 0
	for _, h := range []string{"Barnets plan Alva, född 2016 Datum 2026-03-12", secReason, secChildVoice, secGuardians, secNow, txtCompass, secNeeds,
		secActions, secDisagreements, secResponsible, secFollowUp, secConsents, secNotes, secSignatures, secEvidence} {
		i := strings.Index(text[last:], h)
		if i < 0 {
			t.Errorf("%q missing or out of order", h)
			continue
		}
		last += i
	}
	for _, want := range []string{
		"Omar Lind (Vårdnadshavare): ”Jag tycker att Alva borde byta klass redan nu, inte vänta till hösten.”",
		"Med egna ord: ”Magen gör ont när det är skola.”",
		"(nedskrivet av Karin Ek)",
		"Behov 1: Trygghet", "Behov 4: Utveckling", "Behov: Fritid", "Mål 12",
		"Återkallat 2026-03-10",
		"<b>Obs:</b> ingen orosanmälan", // raw HTML is shown as typed
		"skolans trygghetsplan (https://backaskolan.ystad.se/trygghet)",
		"RAST-3B",
		"Har inte skrivit under den här versionen: Karin Ek, Jonas Öberg, Alva.",
		"Annan huvudman än kommun eller region",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("text lacks %q", want)
		}
	}
	if strings.Contains(text, "**") || strings.Contains(text, "](") {
		t.Error("Markdown syntax leaked into the PDF")
	}

	// the evidence page is last and proves what it should
	evidence := ps[len(ps)-1]
	if !strings.Contains(evidence, secEvidence) {
		evidence = ps[len(ps)-2] + ps[len(ps)-1]
	}
	canon := mustCanonical(t, doc)
	sha := board.PlanSHA256(canon)
	dense := strings.Join(strings.Fields(evidence), "")
	for _, want := range []string{sha, board.VerificationCode(doc.MeetingID, doc.Version, sha), KeyID(ev.PublicKey),
		base64.StdEncoding.EncodeToString(ev.ServerSignature), "https://barnteam.ystad.se/verifiera", "2026-03-1215:08:00+01:00"} {
		if !strings.Contains(dense, want) {
			t.Errorf("evidence page lacks %q", want)
		}
	}
	fe := flat(evidence)
	for _, want := range []string{"Godkänt muntligt i rummet, registrerat av Anna Berg", "Med avvikande mening.", "Planen frystes för underskrift",
		"Under underskrift", "Ed25519", "Europe/Stockholm", "Anna Berg", "Sara Lind", "Omar Lind", "Stödsamordnare", "Klasslärare, Backaskolan"} {
		if !strings.Contains(fe, want) {
			t.Errorf("evidence page lacks %q", want)
		}
	}
}

// poison sets every string in v (a pointer) to s, but for the fields named in keep.
func poison(v reflect.Value, s string, keep ...string) {
	switch v.Kind() {
	case reflect.Pointer:
		poison(v.Elem(), s, keep...)
	case reflect.Struct:
		for i := range v.NumField() {
			name := v.Type().Field(i).Name
			kept := false
			for _, k := range keep {
				kept = kept || k == name
			}
			if !kept && v.Field(i).CanSet() {
				poison(v.Field(i), s, keep...)
			}
		}
	case reflect.Slice:
		for i := range v.Len() {
			poison(v.Index(i), s, keep...)
		}
	case reflect.String:
		v.SetString(s)
	}
}

// TestPDFHostileText puts hard text in every text field of the plan and its evidence:
// the PDF is made, nothing panics, and what the font cannot show is visibly □.
func TestPDFHostileText(t *testing.T) {
	long := strings.Repeat("Åsa går hem – ", 10000/14+1)
	long = string([]rune(long)[:9999]) + "😀"
	cases := map[string]string{
		"emoji":            "Alva 😀👨‍👩‍👧 🇸🇪 mår bra",
		"control":          "rad\x00ett\x07\x1b[31mröd\x7f\u0085slut\r\nny rad",
		"bidi":             "abc\u202Edcba\u2066x\u2069 och \u200B noll",
		"invalid UTF-8":    "trasig \xff\xfe\xc3 text",
		"missing glyphs":   "你好 ✓ ∰ x",
		"10,000 runes":     long,
		"10,000 in a word": strings.Repeat("ö", 9999) + "\x01",
	}
	for name, s := range cases {
		t.Run(name, func(t *testing.T) {
			if name == "10,000 runes" || name == "10,000 in a word" {
				if n := utf8.RuneCountInString(s); n != 10000 {
					t.Fatalf("%d runes", n)
				}
			}
			doc := fixtureDoc()
			poison(reflect.ValueOf(&doc), s, "Format")
			ev := evidenceFor(t, doc)
			poison(reflect.ValueOf(&ev), s, "MeetingID", "PlanSHA256")
			var pdf, md []byte
			func() {
				defer func() {
					if r := recover(); r != nil {
						t.Fatalf("panic: %v", r)
					}
				}()
				pdf = mustPDF(t, doc, ev)
				var err error
				if md, err = Markdown(doc, ev); err != nil {
					t.Fatal(err)
				}
			}()
			if !utf8.Valid(md) {
				t.Error("Markdown is not valid UTF-8")
			}
			text := pdftotext(t, pdf, "-l", "20") // the long cases run to a thousand pages
			if !strings.Contains(text, txtPlaceholder) {
				t.Errorf("no %s in the extracted text", txtPlaceholder)
			}
			if strings.Contains(text, "\uFFFD") {
				t.Error("U+FFFD in the extracted text: something the font lacks was drawn")
			}
		})
	}
}

func TestPDFActionTablePaginatesWithHeaderOnEveryPage(t *testing.T) {
	doc := fixtureDoc()
	doc.Actions = nil
	for i := 1; i <= 60; i++ {
		what := fmt.Sprintf("Åtgärd %02d: %s", i, strings.Repeat("samtal och stöd i skolan ", 1+i%4))
		if i == 30 { // a row taller than a page is split, with the header above each part
			what = fmt.Sprintf("Åtgärd %02d: %s", i, strings.Repeat("långordsrad ", 1200))
		}
		doc.Actions = append(doc.Actions, board.PlanAction{ID: fmt.Sprint(i), N: i, What: what, ResponsibleName: "Karin Ek",
			ResponsibleOrg: "Elevhälsan, Backaskolan", ResponsibleOrgKind: "kommun", Frequency: "varje vecka", Area: "trygghet", Status: board.ActionPlanned})
	}
	pdf := mustPDF(t, doc, evidenceFor(t, doc))
	n := len(pages(t, pdf))
	marker := regexp.MustCompile(`Åtgärd \d\d|långordsrad`)
	seen := map[string]bool{}
	tablePages := 0
	for p := 1; p <= n; p++ {
		text := pdftotext(t, pdf, "-f", fmt.Sprint(p), "-l", fmt.Sprint(p))
		loc := marker.FindStringIndex(text)
		if loc == nil {
			continue
		}
		tablePages++
		for _, m := range regexp.MustCompile(`Åtgärd (\d\d)`).FindAllStringSubmatch(text, -1) {
			seen[m[1]] = true
		}
		for _, h := range []string{txtColNo, txtColWhat, txtColWho, txtColWhen, txtColFor, txtColStatus} {
			i := strings.Index(text, h)
			if i < 0 || i > loc[0] {
				t.Errorf("page %d: header %q missing above the table's rows", p, h)
			}
		}
	}
	if tablePages < 4 {
		t.Errorf("the table spans %d pages", tablePages)
	}
	if len(seen) != 60 {
		t.Errorf("%d of 60 actions found in the text", len(seen))
	}
}

func TestPDFRefusesEvidenceOfAnotherPlan(t *testing.T) {
	doc, ev := fixture(t)
	cases := map[string]func(*board.PlanDoc, *Evidence){
		"signature of another hash":    func(_ *board.PlanDoc, e *Evidence) { e.Signatures[1].PlanSHA256 = board.PlanSHA256([]byte("x")) },
		"signature of another version": func(_ *board.PlanDoc, e *Evidence) { e.Signatures[0].Version = 1 },
		"signature of another meeting": func(_ *board.PlanDoc, e *Evidence) { e.Signatures[0].MeetingID = "other" },
		"event of another version":     func(_ *board.PlanDoc, e *Evidence) { e.Events[2].Version = 3 },
		"server signature of other bytes": func(_ *board.PlanDoc, e *Evidence) {
			e.ServerSignature = ed25519.Sign(fixtureKey, []byte("other"))
		},
		"server signature without a key": func(_ *board.PlanDoc, e *Evidence) { e.PublicKey = nil },
		"plan changed after signing":     func(d *board.PlanDoc, _ *Evidence) { d.Actions[0].Status = board.ActionDone },
		"more ratings than perspectives": func(d *board.PlanDoc, _ *Evidence) { d.Areas[0].Ratings = append(d.Areas[0].Ratings, "3") },
	}
	for name, change := range cases {
		d, e := fixtureDoc(), evidenceFor(t, doc)
		change(&d, &e)
		if _, err := PDF(d, e); err == nil {
			t.Errorf("%s: PDF made", name)
		}
		if _, err := Markdown(d, e); err == nil {
			t.Errorf("%s: Markdown made", name)
		}
	}
	if _, err := PDF(doc, ev); err != nil {
		t.Fatal(err)
	}
}

// TestWidthsMatchGofpdf: text is wrapped with our own width tables; they must be what
// gofpdf measures, or lines would overflow their cells.
func TestWidthsMatchGofpdf(t *testing.T) {
	m, err := fontMetrics()
	if err != nil {
		t.Fatal(err)
	}
	d := newPDFDoc(m)
	for st := range numStyles {
		for _, s := range []string{"Barnets plan", "åäö ÅÄÖ – • « » □", "0123456789 WWW iii", longName, "”Jag är rädd.”"} {
			d.useFont(st, 9.5)
			want := d.f.GetStringWidth(s)
			got := m.textWidth(s, st, 9.5) * ptToMM
			if diff := got - want; diff > 1e-9 || diff < -1e-9 {
				t.Errorf("style %d %q: width %.6f, gofpdf %.6f", st, s, got, want)
			}
		}
	}
	if err := d.f.Error(); err != nil {
		t.Fatal(err)
	}
}

func TestSanitize(t *testing.T) {
	m, err := fontMetrics()
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		in, want  string
		multiline bool
	}{
		{"Hej på dig – «Alva» • å ä ö", "Hej på dig – «Alva» • å ä ö", true},
		{"o\u0308 och a\u030a", "ö och å", true}, // decomposed, as some phones type it
		{"rad\r\nrad\rrad\nrad", "rad\nrad\nrad\nrad", true},
		{"rad\nrad", "rad rad", false},
		{"\ttab", " tab", true},
		{"mjuk\u00adhyphen", "mjukhyphen", true},
		{"a😀b", "a□b", true},
		{"a👨‍👩‍👧b", "a□b", true}, // one placeholder for one emoji, joiners and all
		{"a\x00\x01b", "a□b", true},
		{"a\xffb", "a□b", true},
		{"a\u202eb", "a□b", true},
		{"a\uFFFDb", "a□b", true},
		{"a□b", "a□b", true},
		{"你好", "□", true},
	} {
		if got := sanitize(m, c.in, c.multiline); got != c.want {
			t.Errorf("sanitize(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestWrap(t *testing.T) {
	m, err := fontMetrics()
	if err != nil {
		t.Fatal(err)
	}
	width := 200.0 // pt
	text := "Alva har en trygg vuxen i skolan – Karin på elevhälsan – som hon söker upp varje dag.\n\nNy paragraf efter en tom rad."
	lines := wrap(m, plain(text), 10, width)
	var got []string
	for _, l := range lines {
		if l.w > width+1e-9 {
			t.Errorf("line %.1f pt wide, limit %.0f", l.w, width)
		}
		var b strings.Builder
		for _, p := range l.pieces {
			b.WriteString(p.text)
		}
		got = append(got, b.String())
	}
	if strings.Join(got, " ") != strings.ReplaceAll(strings.ReplaceAll(text, "\n\n", "  "), "\n", " ") || got[len(got)-2] != "" {
		t.Errorf("wrapped lines lose or add text: %q", got)
	}
	// a word longer than the line is broken between letters, and nothing is lost
	word := strings.Repeat("ö", 300)
	lines = wrap(m, []span{{text: "ord " + word + " slut", style: styleBold}}, 10, width)
	var all strings.Builder
	for _, l := range lines {
		if l.w > width+1e-9 {
			t.Errorf("line %.1f pt wide", l.w)
		}
		for _, p := range l.pieces {
			all.WriteString(p.text)
		}
	}
	if all.String() != "ord"+word+"slut" && all.String() != "ord"+word+" slut" {
		t.Errorf("long word: %q", all.String())
	}
	// styled spans glued without a space do not break between them
	lines = wrap(m, []span{{text: "a "}, {text: "fet", style: styleBold}, {text: "text"}}, 10, 32)
	if len(lines) != 2 || len(lines[1].pieces) != 2 {
		t.Errorf("glued spans broken apart: %+v", lines)
	}
	if len(wrap(m, plain(""), 10, width)) != 0 || len(wrap(m, plain("a\n"), 10, width)) != 1 {
		t.Error("empty text or a trailing line break made lines")
	}
}

// BenchmarkPDF makes the PDF of a typical plan: eight areas with text, twelve goals,
// fifteen actions, four signatures. Target: ≤ 30 ms on two cores.
func BenchmarkPDF(b *testing.B) {
	doc, ev := fixture(b)
	if _, err := PDF(doc, ev); err != nil { // fonts' metrics are read once per process
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := PDF(doc, ev); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkMarkdown(b *testing.B) {
	doc, ev := fixture(b)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Markdown(doc, ev); err != nil {
			b.Fatal(err)
		}
	}
}
