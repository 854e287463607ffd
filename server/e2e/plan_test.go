package e2e

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/barnteam/barnteam/server/i18n"
	"github.com/barnteam/barnteam/server/servertest"
)

// Barnets plan in real browsers: the coordinator freezes the board into a plan version,
// each participant reads it on their own page and approves it, the plan is established,
// and everyone downloads the same signed PDF, which /verify recognises.

// requiredSigners is how many must approve the demo plan: everyone but the 9-year-old
// child (coordinator, two guardians, teacher, nurse, IFO).
const requiredSigners = 6

const (
	// freezeButton locks the draft as the next version (the coordinator's board).
	freezeButton = `#plan form:has(input[name="op"][value="freeze"]) button[type="submit"]`
	// readPlanLink is "Läs planen och godkänn" (or "Läs planen") in the board's plan region.
	readPlanLink = `#plan .plan-actions a[href="plan"]`
	// approveButton is the plain approval on the plan page (not the one with a
	// disagreement, which is inside the <details>).
	approveButton = `main .sign-off > form.sign-form button[type="submit"]`
	// disagreeSummary opens the approval with a disagreement.
	disagreeSummary = `main details.sign-disagree > summary`
	// disagreeButton approves with the disagreement typed in #disagreement.
	disagreeButton = `main details.sign-disagree form.sign-form button[type="submit"]`
	// linkButton makes the person's own download link (the board, once established).
	linkButton = `#plan form[action="plan/link"] button[type="submit"]`
)

// recordButton is "Godkänt muntligt i rummet" for one member on the coordinator's board.
func recordButton(member string) string {
	return `#plan .signoff-list form:has(input[name="d.member"][value="` + member + `"]) button[type="submit"]`
}

// tr is a catalog text in the page's language.
func (p *person) tr(key string, args ...any) string {
	p.t.Helper()
	return p.s.env.Catalog.T(eval[string](p, `document.documentElement.lang`), key, args...)
}

// confirmClick clicks the button sel, whose form asks first with window.confirm
// (data-confirm), and answers the dialog with OK as a person would. It fails unless the
// dialog was a confirm asking exactly want.
func (p *person) confirmClick(sel, want string) {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, waitLimit)
	defer cancel()
	asked := make(chan string, 1)
	dialogs := chromedp.Events(ctx, page.JavascriptDialogOpening) // subscribes now
	go func() {
		for ev, err := range dialogs {
			if err != nil {
				return
			}
			// The click below waits for the dialog; answer it from here.
			_, err := chromedp.Call(ctx, page.HandleJavaScriptDialog, page.HandleJavaScriptDialogParams{Accept: true})
			msg := string(ev.Type) + ": " + ev.Message
			if err != nil {
				msg += " (could not accept it: " + err.Error() + ")"
			}
			asked <- msg
			return
		}
	}()
	p.do(chromedp.Click(chromedp.CSS(sel)))
	select {
	case got := <-asked:
		if want := string(page.DialogTypeConfirm) + ": " + want; got != want {
			p.t.Fatalf("%s: clicking %s asked %q, want %q", p.name, sel, got, want)
		}
	case <-ctx.Done():
		p.t.Fatalf("%s: clicking %s opened no confirm dialog within %v (page state: %s)", p.name, sel, waitLimit, p.state())
	}
}

// typeInto clicks a text control and types text into it with real key events.
func (p *person) typeInto(id, text string) {
	p.t.Helper()
	p.do(chromedp.Click(chromedp.ID(id)), chromedp.KeyEvent(text))
}

// freezePlan has the coordinator lock the draft as version n with a real click on the
// board's button, OK in the confirm dialog, and waits until the board shows it waiting for
// approvals.
func (c *person) freezePlan(n int) {
	c.t.Helper()
	c.waitJS("the button to lock the plan", `!!document.querySelector(`+jsString(freezeButton)+`)`)
	if got, want := strings.TrimSpace(eval[string](c, `document.querySelector(`+jsString(freezeButton)+`).textContent`)), c.tr("plan.freeze", "version", n); got != want {
		c.t.Errorf("%s: the button to lock the plan says %q, want %q", c.name, got, want)
	}
	c.confirmClick(freezeButton, c.tr("plan.freeze_confirm", "version", n))
	c.waitJS("the plan region waiting for approvals", `!!document.querySelector("#plan .plan-status-signing")`)
	c.waitSaved()
}

// waitPlanPage waits until the tab shows the person's plan page.
func (p *person) waitPlanPage() {
	p.t.Helper()
	p.waitAcrossNavigation("the plan page", `location.pathname === `+jsString(p.boardPath()+"plan")+` && document.readyState === "complete" && !!document.querySelector("main.plan-page article.plan-doc")`)
}

// openPlanFromBoard follows "Läs planen och godkänn" on the board with a real click.
func (p *person) openPlanFromBoard() {
	p.t.Helper()
	p.waitJS("the link to read and approve the plan", `!!document.querySelector(`+jsString(readPlanLink)+`)`)
	if got, want := strings.TrimSpace(eval[string](p, `document.querySelector(`+jsString(readPlanLink)+`).textContent`)), p.tr("plan.read_and_sign"); got != want {
		p.t.Errorf("%s: the board's link to the plan says %q, want %q", p.name, got, want)
	}
	p.do(chromedp.Click(chromedp.CSS(readPlanLink)))
	p.waitPlanPage()
}

// approve approves the plan on the plan page with a real click, with a disagreement when
// one is given (typed into the textarea behind the <details>), waits for the plan page to
// confirm it, and goes back to the board by the confirmation's link.
func (p *person) approve(disagreement string) {
	p.t.Helper()
	p.waitJS("the approval button", `!!document.querySelector(`+jsString(approveButton)+`)`)
	if disagreement == "" {
		p.do(chromedp.Click(chromedp.CSS(approveButton)))
	} else {
		p.do(chromedp.Click(chromedp.CSS(disagreeSummary)))
		p.waitJS("the disagreement form, opened", `document.querySelector("main details.sign-disagree").open && document.getElementById("disagreement").getClientRects().length > 0`)
		p.typeInto("disagreement", disagreement)
		p.do(chromedp.Click(chromedp.CSS(disagreeButton)))
	}
	p.waitSignedConfirmation()
	p.do(chromedp.Click(chromedp.CSS(`#signed a`)))
	p.waitBoard()
}

// waitSignedConfirmation waits for the plan page that confirms one's approval.
func (p *person) waitSignedConfirmation() {
	p.t.Helper()
	p.waitAcrossNavigation("the plan page confirming the approval", `location.pathname.endsWith("/plan") && !!document.getElementById("signed")`)
}

// progressText is the plan region's live progress ("3 av 6 har godkänt.").
const progressText = `(document.querySelector("#plan .plan-progress")?.textContent || "").trim()`

// waitProgress waits until the board's plan region says signed of requiredSigners have
// approved.
func (p *person) waitProgress(signed int) {
	p.t.Helper()
	want := p.tr("plan.progress", "signed", signed, "total", requiredSigners)
	p.waitJS(fmt.Sprintf("the progress %q in the plan region", want), progressText+` === `+jsString(want))
}

// waitEstablished waits until the board's plan region shows the plan established, with
// its PDF to download.
func (p *person) waitEstablished() {
	p.t.Helper()
	p.waitJS("the plan region showing the plan established, with its PDF",
		`!!document.querySelector("#plan .plan-status-established") && !!document.querySelector('#plan a[href="plan.pdf"]')`)
}

// waitAnnounced waits until the board's polite live region says text, as screen readers
// then do.
func (p *person) waitAnnounced(text string) {
	p.t.Helper()
	p.waitJS("the announcement "+jsString(text), `document.getElementById("announcer").textContent === `+jsString(text))
}

// isolates are the Unicode bidi isolates the catalog puts around every argument.
var isolates = strings.NewReplacer("\u2068", "", "\u2069", "")

// dateRE is a date and time as the plan's pages write it.
const dateRE = `\d{4}-\d{2}-\d{2} \d{2}:\d{2}`

// withDate reports whether got is the catalog text want, made with the argument
// "{date}" for a date, with some date and time in its place.
func withDate(got, want string) bool {
	pat := strings.ReplaceAll(regexp.QuoteMeta(isolates.Replace(want)), regexp.QuoteMeta("{date}"), dateRE)
	return regexp.MustCompile("^" + pat + "$").MatchString(isolates.Replace(strings.TrimSpace(got)))
}

// markDocument marks the page's document; sameDocument tells whether it is still the one
// marked (no reload, no navigation since).
func (p *person) markDocument() { eval[bool](p, `(window.__planMark = true)`) }
func (p *person) sameDocument() bool {
	return eval[bool](p, `window.__planMark === true`)
}

// pdfDownload is one download of the plan's PDF, made by the page itself.
type pdfDownload struct {
	Status int    `json:"status"`
	Type   string `json:"type"`
	SHA256 string `json:"sha256"` // computed in the page with crypto.subtle
	Data   string `json:"data"`   // base64
	bytes  []byte
}

// downloadPDF fetches the PDF behind the board's download link from the person's page
// (their own session) and hashes it there.
func (p *person) downloadPDF() pdfDownload {
	p.t.Helper()
	raw := eval[string](p, `(async () => {
		const a = document.querySelector('#plan a[href="plan.pdf"]');
		const r = await fetch(a.href, {credentials: "same-origin"});
		const buf = await r.arrayBuffer();
		const sum = new Uint8Array(await crypto.subtle.digest("SHA-256", buf));
		const bytes = new Uint8Array(buf);
		let bin = "";
		for (let i = 0; i < bytes.length; i += 0x8000) bin += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
		return JSON.stringify({status: r.status, type: r.headers.get("content-type"),
			sha256: [...sum].map(b => b.toString(16).padStart(2, "0")).join(""), data: btoa(bin)});
	})()`)
	var d pdfDownload
	if err := json.Unmarshal([]byte(raw), &d); err != nil {
		p.t.Fatalf("%s: the PDF download: %v", p.name, err)
	}
	b, err := base64.StdEncoding.DecodeString(d.Data)
	if err != nil {
		p.t.Fatalf("%s: the PDF download: %v", p.name, err)
	}
	d.bytes, d.Data = b, ""
	return d
}

// verifyFile uploads a file through /verify's form (a real click on its button) and
// returns the result's heading.
func (p *person) verifyFile(path string) string {
	p.t.Helper()
	p.open("/verify")
	p.do(
		chromedp.SetUploadFiles(chromedp.ID("pdf"), []string{path}),
		chromedp.Click(chromedp.CSS(`form[action="/verify/file"] button[type="submit"]`)),
	)
	p.waitAcrossNavigation("the answer of /verify", `location.pathname === "/verify/file" && document.readyState === "complete" && !!document.querySelector("#verify-result h2")`)
	return strings.TrimSpace(eval[string](p, `document.querySelector("#verify-result h2").textContent`))
}

// verifyCode types a code into /verify's form and checks it with a real click.
func (p *person) verifyCode(lang, code string) {
	p.t.Helper()
	p.open("/verify?lang=" + lang)
	p.typeInto("code", code)
	p.do(chromedp.Click(chromedp.CSS(`form[action="/verify/code"] button[type="submit"]`)))
	p.waitAcrossNavigation("the answer of /verify", `location.pathname === "/verify/code" && document.readyState === "complete" &&
		!!(document.querySelector("#verify-result h2") || document.getElementById("error-summary"))`)
}

// The coordinator fills in the plan and locks it; three participants on three devices
// see their boards turn read-only, each reads the plan on their own page and approves it
// (one with a disagreement); the coordinator's open board counts the approvals live; the
// coordinator records two approvals given aloud in the room and approves last; every open
// board shows the plan established; the three download the PDF from their own pages and
// get the same bytes, which /verify recognises as authentic and current.
func TestPlanThreeDevicesSameSignedPDF(t *testing.T) {
	s := start(t, 180*time.Second)
	coord := s.newPerson(t, "coordinator", coordinatorID)
	coord.join()
	guardian := s.newPerson(t, "guardian on her phone", "demo-guardian1", chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile, chromedp.EmulateTouch))
	teacher := s.newPerson(t, "teacher", "demo-teacher")
	nurse := s.newPerson(t, "nurse", "demo-nurse", chromedp.EmulateViewport(1024, 768)) // a tablet
	three := []*person{guardian, teacher, nurse}
	for _, p := range three {
		p.join()
		p.waitJS("a compass field to write in, before the plan is locked", `!!document.querySelector('textarea[id^="f-compass-"]')`)
	}

	// The coordinator writes why the plan exists; the others see it.
	const reason = "Alva har ont i magen på morgnarna och är ofta borta från skolan på måndagar."
	coord.typeInto("f-plan-reason", reason)
	coord.waitSaved()
	for _, p := range three {
		p.waitJS("the plan's reason in the plan region", `document.getElementById("plan").textContent.includes(`+jsString(reason)+`)`)
	}

	coord.freezePlan(1)
	coord.markDocument()
	for _, p := range three {
		p.waitJS("the plan region waiting for approvals", `!!document.querySelector("#plan .plan-status-signing")`)
		p.waitJS("the board read-only: no field to write in", `!document.querySelector('#main textarea, #main input[type="text"]')`)
		p.waitProgress(0)
		p.waitSaved()
	}

	// Each reads the plan on their own page and approves it.
	disagreement := "Skolan kan ha rastvärd tre dagar i veckan, inte varje skoldag."
	for i, p := range three {
		p.openPlanFromBoard()
		if got := eval[string](p, `document.querySelector("main .notice").textContent.trim()`); got != p.tr("plan.read_first") {
			t.Errorf("%s: the plan page's notice is %q", p.name, got)
		}
		order := eval[[]string](p, `[...document.querySelectorAll("article.plan-doc h3")].map(h => h.textContent.trim())`)
		pos := map[string]int{}
		for j, h := range order {
			pos[h] = j + 1
		}
		voice, guardians, actions := pos[p.tr("plan.doc.child_voice")], pos[p.tr("plan.doc.guardians_view")], pos[p.tr("plan.doc.actions")]
		if voice == 0 || guardians == 0 || actions == 0 || !(voice < guardians && guardians < actions) {
			t.Errorf("%s: the plan's sections are %q; want Barnets röst, then Vårdnadshavarnas syn, then Insatser och åtgärder", p.name, order)
		}
		if !eval[bool](p, `document.getElementById("pd-reason").parentElement.textContent.includes(`+jsString(reason)+`)`) {
			t.Errorf("%s: the plan page lacks the reason the coordinator wrote", p.name)
		}
		if !eval[bool](p, `document.querySelector("article.plan-doc").textContent.includes("Jag vet aldrig vem jag ska vara med på rasten.")`) {
			t.Errorf("%s: the plan page lacks the child's voice", p.name)
		}
		if p == teacher {
			p.approve(disagreement)
		} else {
			p.approve("")
		}
		name := s.memberName(p.member)
		p.waitJS(name+" shown as having approved on the board", `[...document.querySelectorAll("#plan .signoff-list li.is-signed bdi")].some(b => b.textContent === `+jsString(name)+`)`)
		p.markDocument()
		coord.waitProgress(i + 1) // live, on the board the coordinator has had open since the freeze
		coord.waitAnnounced(coord.tr("announce.plan_signed", "signed", i+1, "total", requiredSigners))
	}
	if !coord.sameDocument() {
		t.Errorf("the coordinator's board was reloaded while counting approvals; it should update in place")
	}
	coord.waitJS("the teacher's disagreement on the coordinator's board", `[...document.querySelectorAll("#plan .disagreement blockquote")].some(q => q.textContent === `+jsString(disagreement)+`)`)
	coord.waitJS("the teacher's approval flagged as with a disagreement", `!!document.querySelector("#plan .signoff-list li.is-signed .disagreement-flag")`)

	// Two approvals given aloud in the room, recorded by the coordinator.
	for i, m := range []string{"demo-guardian2", "demo-ifo"} {
		name := s.memberName(m)
		coord.confirmClick(recordButton(m), coord.tr("plan.record_confirm", "name", name))
		coord.waitJS(name+"'s approval recorded", `!document.querySelector(`+jsString(recordButton(m))+`)`)
		coord.waitProgress(4 + i)
		guardian.waitProgress(4 + i)
	}
	coord.waitSaved()
	ifo := eval[string](coord, `[...document.querySelectorAll("#plan .signoff-list li.is-signed")].find(li => li.textContent.includes("Karin Ek"))?.querySelector(":scope > span:not(.signoff-mark)").textContent.replace(/\s+/g, " ") || ""`)
	if want := "Karin Ek (" + coord.tr("role.professional") + "): " + coord.tr("plan.signed_in_room", "name", "Maria Lind", "date", "{date}"); !withDate(ifo, want) {
		t.Errorf("the IFO's approval in the sign-off list reads %q, want %q", ifo, isolates.Replace(want))
	}

	// The coordinator approves last, on her own page: the plan is established, live on
	// every board that is open.
	coord.openPlanFromBoard()
	coord.approve("")
	coord.waitEstablished()
	for _, p := range three {
		p.waitEstablished()
		p.waitAnnounced(p.tr("announce.plan_established", "version", 1))
		if !p.sameDocument() {
			t.Errorf("%s's board was reloaded on the way to established; it should update in place", p.name)
		}
		want := p.tr("plan.state.established", "version", 1, "date", "{date}")
		if got := eval[string](p, `document.querySelector("#plan .plan-state").textContent`); !withDate(got, want) {
			t.Errorf("%s: the plan region says %q, want %q with the date", p.name, got, want)
		}
	}

	// Everyone downloads the PDF from their own page: the same bytes.
	var first pdfDownload
	for i, p := range three {
		d := p.downloadPDF()
		sum := sha256.Sum256(d.bytes)
		switch {
		case d.Status != 200 || d.Type != "application/pdf":
			t.Fatalf("%s: the PDF: status %d, %s", p.name, d.Status, d.Type)
		case !strings.HasPrefix(string(d.bytes), "%PDF-"):
			t.Fatalf("%s: the PDF starts with %q", p.name, d.bytes[:min(len(d.bytes), 8)])
		case hex.EncodeToString(sum[:]) != d.SHA256:
			t.Errorf("%s: the page hashed the PDF as %s, Go as %x", p.name, d.SHA256, sum)
		}
		t.Logf("%s's PDF: %d bytes, SHA-256 %s", p.name, len(d.bytes), d.SHA256)
		if i == 0 {
			first = d
		} else if d.SHA256 != first.SHA256 {
			t.Errorf("%s's PDF has SHA-256 %s, %s's %s: not the same bytes", p.name, d.SHA256, three[0].name, first.SHA256)
		}
	}

	// Anyone can check the PDF on /verify by uploading it through the form.
	path := filepath.Join(t.TempDir(), "barnets-plan.pdf")
	if err := os.WriteFile(path, first.bytes, 0o600); err != nil {
		t.Fatal(err)
	}
	checker := s.newPerson(t, "someone checking the plan", "")
	if got, want := checker.verifyFile(path), checker.tr("verify.current"); got != want {
		t.Errorf("/verify says %q about the downloaded PDF, want %q", got, want)
	}
	if !eval[bool](checker, `document.getElementById("verify-result").textContent.includes(`+jsString(first.SHA256)+`)`) {
		t.Errorf("/verify does not show the uploaded file's SHA-256 %s", first.SHA256)
	}
	// One changed byte and it is not the plan any more.
	changed := append([]byte(nil), first.bytes...)
	changed[len(changed)/2] ^= 1
	if err := os.WriteFile(path, changed, 0o600); err != nil {
		t.Fatal(err)
	}
	if got, want := checker.verifyFile(path), checker.tr("verify.not_authentic"); got != want {
		t.Errorf("/verify says %q about a PDF with one byte changed, want %q", got, want)
	}
}

// codePattern finds a verification code in a page's text.
var codePattern = regexp.MustCompile(`\b[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}\b`)

// axe-core finds no WCAG 2.1 A/AA violation in Barnets plan's pages, in Swedish and
// English and (plan page, /verify) right to left: the board's plan region as a draft,
// while it is being approved and established; the plan page before and after approving;
// the family's copy; the download link's page and the /p/ page it leads to; /verify
// empty, with an answer and with an error.
func TestPlanAccessibility(t *testing.T) {
	s := startWith(t, 180*time.Second, servertest.Options{PseudoRTL: true})
	coord := s.newPerson(t, "coordinator", coordinatorID)
	coord.join()
	guardian := s.newPerson(t, "guardian", "demo-guardian1")
	guardian.join()
	board := coord.boardPath()
	langs := []string{"en", "sv"} // Swedish last: it stays the pages' language

	inLang := openInLang

	// Draft.
	for _, lang := range langs {
		inLang(coord, board, lang, coord.waitBoard)
		coord.waitJS("the plan's fields", `!!document.getElementById("f-plan-reason")`)
		axeCheck(coord, "the coordinator's board, plan draft ("+lang+")")
	}
	inLang(guardian, guardian.boardPath()+"plan", "sv", guardian.waitPlanPage)
	axeCheck(guardian, "the plan's preview, a draft (sv)")

	coord.typeInto("f-plan-reason", "Frånvaro och magont.")
	coord.waitSaved()
	coord.freezePlan(1)

	// Being approved.
	for _, lang := range langs {
		inLang(coord, board, lang, coord.waitBoard)
		coord.waitJS("the buttons to record approvals in the room", `!!document.querySelector(`+jsString(recordButton("demo-ifo"))+`)`)
		axeCheck(coord, "the coordinator's board, plan waiting for approvals ("+lang+")")
	}
	for _, lang := range append(langs, i18n.PseudoRTL) {
		inLang(guardian, guardian.boardPath()+"plan", lang, guardian.waitPlanPage)
		guardian.waitJS("the approval forms", `!!document.querySelector(`+jsString(approveButton)+`) && !!document.querySelector(`+jsString(disagreeButton)+`)`)
		guardian.do(chromedp.Click(chromedp.CSS(disagreeSummary)))
		guardian.waitJS("the disagreement form, opened", `document.getElementById("disagreement").getClientRects().length > 0`)
		axeCheck(guardian, "the plan page before approving, the disagreement form open ("+lang+")")
	}
	inLang(guardian, guardian.boardPath()+"plan", "sv", guardian.waitPlanPage)
	guardian.approve("Vi vill ha ett möte till före sommaren.")
	for _, lang := range langs {
		inLang(guardian, guardian.boardPath()+"plan", lang, guardian.waitPlanPage)
		guardian.waitJS("the page saying she approved", `!!document.querySelector("main .sign-done") && !document.querySelector(`+jsString(approveButton)+`)`)
		axeCheck(guardian, "the plan page after approving ("+lang+")")
	}

	// The others approve aloud in the room, the coordinator on her page: established.
	coord.waitProgress(1)
	for _, m := range []string{"demo-guardian2", "demo-teacher", "demo-nurse", "demo-ifo"} {
		coord.confirmClick(recordButton(m), coord.tr("plan.record_confirm", "name", s.memberName(m)))
		coord.waitJS("the approval recorded", `!document.querySelector(`+jsString(recordButton(m))+`)`)
	}
	coord.openPlanFromBoard()
	coord.approve("")
	coord.waitEstablished()
	for _, lang := range langs {
		inLang(coord, board, lang, coord.waitBoard)
		coord.waitEstablished()
		axeCheck(coord, "the coordinator's board, plan established ("+lang+")")
	}
	for _, lang := range langs {
		inLang(guardian, guardian.boardPath(), lang, guardian.waitBoard)
		guardian.waitEstablished()
		axeCheck(guardian, "the guardian's board, plan established ("+lang+")")
	}

	// The family's copy.
	var code string
	for _, lang := range langs {
		inLang(guardian, guardian.boardPath()+"plan.html", lang, nil)
		guardian.waitJS("the family's copy", `!!document.querySelector("main.plan-copy article.plan-doc")`)
		axeCheck(guardian, "the family's copy of the plan ("+lang+")")
		code = codePattern.FindString(eval[string](guardian, `document.querySelector("main.plan-copy > p.hint").textContent`))
	}
	if code == "" {
		t.Fatal("the family's copy shows no verification code")
	}

	// The download link, made on the board, and the page it leads to in a fresh browser.
	var link string
	for _, lang := range langs {
		inLang(guardian, guardian.boardPath(), lang, guardian.waitBoard)
		guardian.do(chromedp.Click(chromedp.CSS(linkButton)))
		guardian.waitAcrossNavigation("the download link's page", `location.pathname === `+jsString(guardian.boardPath()+"plan/link")+` && document.readyState === "complete" && !!document.getElementById("dl-link")`)
		axeCheck(guardian, "the download link's page ("+lang+")")
		link = guardian.value("dl-link")
	}
	later := s.newPerson(t, "the guardian later, on another computer", "")
	later.do(chromedp.Navigate(link))
	later.waitAcrossNavigation("the download page", `location.pathname === "/p/" && document.readyState === "complete" && !!document.querySelector('main a[href="/p/plan.pdf"]')`)
	for _, lang := range langs {
		inLang(later, "/p/", lang, nil)
		later.waitJS("the download page", `!!document.querySelector('main a[href="/p/plan.pdf"]')`)
		axeCheck(later, "the download link's /p/ page ("+lang+")")
	}

	// /verify: empty, with an answer, with an error; right to left too.
	checker := s.newPerson(t, "someone checking the plan", "")
	for _, lang := range append(langs, i18n.PseudoRTL) {
		inLang(checker, "/verify", lang, nil)
		axeCheck(checker, "/verify ("+lang+")")
		checker.verifyCode(lang, code)
		if got, want := strings.TrimSpace(eval[string](checker, `document.querySelector("#verify-result h2")?.textContent || ""`)), checker.tr("verify.current"); got != want {
			t.Errorf("/verify (%s) says %q about the code %s, want %q", lang, got, code, want)
		}
		axeCheck(checker, "/verify with an answer ("+lang+")")
		checker.verifyCode(lang, "ABC-123")
		if !eval[bool](checker, `!!document.getElementById("error-summary") && !document.getElementById("verify-result")`) {
			t.Errorf("/verify (%s) shows no error for a malformed code", lang)
		}
		axeCheck(checker, "/verify with an error ("+lang+")")
	}
}

// A guardian approves the plan with the keyboard alone: from the start of the plan page
// Tab reaches the skip link, Enter follows it, Tab reaches the approval button (with a
// visible focus indicator), Enter approves; the page then says she approved.
func TestPlanKeyboardApproval(t *testing.T) {
	s := start(t, 120*time.Second)
	coord := s.newPerson(t, "coordinator", coordinatorID)
	coord.join()
	coord.freezePlan(1)
	g := s.newPerson(t, "guardian", "demo-guardian1")
	g.join()
	g.open(g.boardPath() + "plan")
	g.waitPlanPage()

	focused := func() string {
		return eval[string](g, `(() => { const e = document.activeElement; if (!e) return "none"; const n = e.tagName.toLowerCase();
			return n + (e.id ? "#" + e.id : "") + (e.className && typeof e.className === "string" ? "." + e.className.trim().split(/\s+/).join(".") : "") +
				(n === "a" ? "[" + e.getAttribute("href") + "]" : "") + (n === "button" ? "(" + e.textContent.trim() + ")" : ""); })()`)
	}
	g.do(chromedp.KeyEvent(kb.Tab))
	if got := focused(); got != "a.skip-link[#main]" {
		t.Fatalf("the first Tab on the plan page focuses %s, want the skip link", got)
	}
	if !eval[bool](g, `document.activeElement.matches(":focus-visible") && document.activeElement.getBoundingClientRect().height > 0`) {
		t.Errorf("the skip link is focused but not shown")
	}
	g.do(chromedp.KeyEvent(kb.Enter))
	g.waitJS("the focus in the page's main content", `document.activeElement?.id === "main" || !!document.activeElement?.closest("#main")`)

	var path []string
	reached := false
	for range 40 {
		g.do(chromedp.KeyEvent(kb.Tab))
		path = append(path, focused())
		if eval[bool](g, `document.activeElement.matches(`+jsString(approveButton)+`)`) {
			reached = true
			break
		}
	}
	if !reached {
		t.Fatalf("the approval button not reached with Tab; focus went: %s", strings.Join(path, " → "))
	}
	t.Logf("Tab from the main content to the approval button: %s", strings.Join(path, " → "))
	if !eval[bool](g, `document.activeElement.matches(":focus-visible")`) {
		t.Errorf("the approval button has focus without a visible focus indicator")
	}
	if got, want := strings.TrimSpace(eval[string](g, `document.activeElement.textContent`)), g.tr("plan.sign_approve"); got != want {
		t.Errorf("the focused button says %q, want %q", got, want)
	}
	g.do(chromedp.KeyEvent(kb.Enter))

	// The page she lands on after approving says that she approved.
	g.waitSignedConfirmation()
	youSigned := isolates.Replace(g.tr("plan.you_signed", "date", "{date}")) // "Du godkände planen {date}."
	said, _, _ := strings.Cut(youSigned, " {date}")                          // "Du godkände planen"
	if !eval[bool](g, `document.getElementById("main").textContent.includes(`+jsString(said)+`)`) {
		t.Errorf("after approving with Enter the guardian lands on %s, which does not say %q", eval[string](g, `location.pathname + location.hash`), said)
	}

	// The approval is made: on the board she is listed as approved.
	g.open(g.boardPath())
	g.waitBoard()
	name := s.memberName(g.member)
	g.waitJS(name+" shown as having approved on the board", `[...document.querySelectorAll("#plan .signoff-list li.is-signed bdi")].some(b => b.textContent === `+jsString(name)+`)`)
	coord.waitProgress(1)
	b, err := s.env.Store.LoadBoard(context.Background(), s.env.MeetingID)
	if err != nil {
		t.Fatal(err)
	}
	if sig, ok := b.Plan.SignatureOf(g.member); !ok || sig.Disagreement != "" {
		t.Errorf("stored approval of %s: %+v (found %v)", g.member, sig, ok)
	}

	// Her plan page says so, also later.
	g.open(g.boardPath() + "plan")
	g.waitPlanPage()
	if got := eval[string](g, `document.querySelector("main .sign-done")?.textContent || ""`); !withDate(got, youSigned) {
		t.Errorf("the plan page after approving says %q, want %q", got, youSigned)
	}
	if eval[bool](g, `!!document.querySelector(`+jsString(approveButton)+`)`) {
		t.Errorf("the plan page still offers to approve after she approved")
	}
}
