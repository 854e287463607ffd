package e2e

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/barnteam/barnteam/server/board"
	"github.com/barnteam/barnteam/server/i18n"
	"github.com/barnteam/barnteam/server/servertest"
)

// The child view, child mode and the room's shared screen, in a real browser.

const childID = "demo-child"

// shot saves a full-page screenshot of p's page as <name>.png in the directory that
// BARNTEAM_SCREENSHOTS names, for people reviewing the pages; without it, nothing.
func (p *person) shot(name string) {
	p.t.Helper()
	dir := os.Getenv("BARNTEAM_SCREENSHOTS")
	if dir == "" {
		return
	}
	png, err := chromedp.Run(p.ctx, chromedp.FullScreenshot(100))
	if err != nil {
		p.t.Fatalf("%s: screenshot %s: %v", p.name, name, err)
	}
	if err := os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644); err != nil {
		p.t.Fatal(err)
	}
}

// waitChildView waits until the child's tab shows the child view, connected and saved.
func (p *person) waitChildView() {
	p.t.Helper()
	p.waitAcrossNavigation("the child view", `location.pathname === `+jsString(p.boardPath())+` && document.readyState === "complete" &&
		!!document.querySelector("main.child-view") && "seq" in document.getElementById("main").dataset`)
	p.waitSaved()
}

// step goes to a step of the child view by its anchor, the way a link does, and waits
// until it is the one shown.
func (p *person) step(id string) {
	p.t.Helper()
	eval[chromedp.Void](p, `location.hash = `+jsString("#"+id))
	p.waitJS("step #"+id+" shown", `(() => { const s = document.getElementById(`+jsString(id)+`); return !!s && !s.hidden && s.getBoundingClientRect().height > 0; })()`)
}

// openScreen makes the coordinator open a shared screen from the board (a real click on
// the button in the room-control region) and opens its link in a new person's tab, which
// then shows the meeting live.
func (s *suite) openScreen(t *testing.T, coord *person) *person {
	t.Helper()
	coord.do(chromedp.Click(chromedp.CSS(`#room-control form[action="display"] button`)))
	coord.waitAcrossNavigation("the page with the shared screen's link", `!!document.getElementById("display-link")`)
	link := coord.value("display-link")
	if !strings.Contains(link, "/screen/t/") {
		t.Fatalf("the shared screen's link is %q", link)
	}
	code := strings.TrimSpace(eval[string](coord, `document.querySelector(".display-code code").textContent`))
	if len(code) != 9 || code[4] != '-' {
		t.Errorf("the shared screen's code is %q, want XXXX-XXXX", code)
	}
	screen := s.newPerson(t, "shared screen", "")
	screen.do(chromedp.Navigate(link))
	screen.waitAcrossNavigation("the shared screen", `location.pathname === "/screen/view" && document.readyState === "complete" && !!document.querySelector("main.screen-view")`)
	screen.waitSaved()
	coord.open(coord.boardPath())
	coord.waitSaved()
	return screen
}

// childCell reads the child's column of one area in a compass table of the page: the
// rating's data-rating, "none" when unrated.
func childCell(table, area string) string {
	return fmt.Sprintf(`(document.querySelector(%s) || {}).dataset?.rating`,
		jsString(table+` tr[data-area="`+area+`"] td[data-rating]`))
}

// A child answers on their own device: the coordinator's board shows the answer within a
// second, the shared screen does not show it, and shows it only after the child shares it.
func TestChildAnswerReachesBoardThenScreenWhenShared(t *testing.T) {
	s := start(t, 120*time.Second)
	coord := s.newPerson(t, "coordinator", coordinatorID)
	coord.join()
	screen := s.openScreen(t, coord)
	screen.shot("screen-before")

	child := s.newPerson(t, "child", childID, chromedp.EmulateViewport(1024, 768)) // a tablet
	child.joinLobby()
	coord.admit(child)
	child.waitChildView()
	child.shot("child-start")

	// Start, then the first question: "Jag känner mig trygg".
	child.do(chromedp.Click(chromedp.CSS(`#start a.big-button`)))
	child.waitJS("the first question", `!document.getElementById("q-trygghet").hidden`)
	child.shot("child-question")

	// The coordinator's page notes when the child's answer appears in the ratings region.
	eval[chromedp.Void](coord, `(() => {
		window.__seen = 0;
		const has = () => !!document.querySelector('#area-trygghet-ratings .rating-list li:first-child svg[data-rating="5"]');
		const obs = new MutationObserver(() => { if (!window.__seen && has()) { window.__seen = Date.now(); } });
		obs.observe(document.getElementById("main"), {subtree: true, childList: true, attributes: true});
	})()`)
	if eval[bool](coord, `!!document.querySelector('#area-trygghet-ratings .rating-list li:first-child svg[data-rating="5"]')`) {
		t.Fatal("the coordinator's board shows the child's answer before the child gave it")
	}
	clickedAt := eval[float64](child, `(() => { const t = Date.now(); document.querySelector('label[for="q-trygghet-r-5"]').click(); return t; })()`)
	coord.waitJS("the child's answer on the coordinator's board", `window.__seen > 0`)
	seenAt := eval[float64](coord, `window.__seen`)
	latency := time.Duration(seenAt-clickedAt) * time.Millisecond
	t.Logf("the child's answer reached the coordinator's board in %v", latency)
	if latency > time.Second {
		t.Errorf("the child's answer took %v to reach the coordinator's board, want at most 1s", latency)
	}
	child.waitSaved()

	// The child's own words, kept as written.
	const words = "Rasterna är jobbiga – jag vet inte vem jag ska vara med."
	child.do(chromedp.Click(chromedp.ID("f-compass-trygghet-child_words")), chromedp.KeyEvent(words))
	child.do(chromedp.Click(chromedp.CSS(`#q-trygghet .child-nav a.big-button`))) // Nästa: leaving the field saves it
	child.waitJS("the second question", `!document.getElementById("q-halsa").hidden`)
	child.waitSaved()
	coord.waitJS("the child's words on the coordinator's board", `document.querySelector("#area-trygghet-ratings .child-answer q")?.textContent === `+jsString(words))

	// Nothing of it on the shared screen, nor on a guardian's board.
	guardian := s.newPerson(t, "guardian", "demo-guardian1")
	guardian.join()
	for _, p := range []*person{screen, guardian} {
		if got := eval[string](p, `document.body.innerText`); strings.Contains(got, "vem jag ska vara med") {
			t.Errorf("%s shows the child's unshared words", p.name)
		}
	}
	if got := eval[string](screen, childCell("#screen-compass", "trygghet")); got != "none" {
		t.Errorf("the shared screen shows the child's unshared rating of trygghet: %q", got)
	}
	if got := eval[string](guardian, childCell("#compass-drawing", "trygghet")); got != "none" {
		t.Errorf("the guardian's board shows the child's unshared rating of trygghet: %q", got)
	}

	// The child checks back and shares this one answer.
	child.step("check")
	child.shot("child-check")
	share := `#child-check form.child-share:has(input[name="entity"][value="compass/trygghet"]) button`
	child.do(chromedp.Click(chromedp.CSS(share)))
	child.waitJS("the answer shown as shared", `!!document.querySelector("#child-check .share-state.is-shared")`)
	screen.waitJS("the child's rating on the shared screen", childCell("#screen-compass", "trygghet")+` === "5"`)
	screen.waitJS("the child's words on the shared screen", `[...document.querySelectorAll(".screen-child-words q")].some(q => q.textContent === `+jsString(words)+`)`)
	guardian.waitJS("the child's rating on the guardian's board", childCell("#compass-drawing", "trygghet")+` === "5"`)
	screen.shot("screen-after")

	// Taking it back takes it off the screen at once.
	child.do(chromedp.Click(chromedp.CSS(share)))
	child.waitJS("the answer shown as private again", `!document.querySelector("#child-check .share-state.is-shared")`)
	screen.waitJS("the child's rating gone from the shared screen", childCell("#screen-compass", "trygghet")+` === "none"`)
	screen.waitJS("the child's words gone from the shared screen", `!document.querySelector(".screen-child-words")`)

	// The store holds what the child said, exactly.
	b, err := s.env.Store.LoadBoard(context.Background(), s.env.MeetingID)
	if err != nil {
		t.Fatal(err)
	}
	if got := b.Compass["trygghet"].Child; got.Rating != "5" || got.Words.Value != words || got.Shared {
		t.Errorf("stored child answer = %+v", got)
	}
}

// The whole child flow with the keyboard alone: start, every question (a face chosen with
// the arrow keys, words typed for some), the check-back with a share, the plan, done.
func TestChildFlowKeyboardOnly(t *testing.T) {
	s := start(t, 120*time.Second)
	child := s.newPerson(t, "child", childID)
	child.join()
	child.waitChildView()
	focused := func() string {
		return eval[string](child, `(() => { const e = document.activeElement; if (!e) return "none"; const n = e.tagName.toLowerCase(); return n + (e.id ? "#" + e.id : "") + (n === "a" ? "[" + e.getAttribute("href") + "]" : ""); })()`)
	}
	// tabTo presses Tab until the focused element matches the CSS selector.
	tabTo := func(sel, what string) {
		t.Helper()
		var path []string
		for i := 0; i < 60; i++ {
			child.do(chromedp.KeyEvent(kb.Tab))
			if eval[bool](child, `!!document.activeElement && document.activeElement.matches(`+jsString(sel)+`)`) {
				if !eval[bool](child, `document.activeElement.matches(":focus-visible") || !!document.activeElement.closest(".face-choice")`) {
					t.Errorf("%s has focus without a visible focus indicator", what)
				}
				return
			}
			path = append(path, focused())
		}
		t.Fatalf("%s not reached with Tab; focus went: %s", what, strings.Join(path, " → "))
	}

	tabTo(`#start a.big-button`, "Börja")
	child.do(chromedp.KeyEvent(kb.Enter))
	answers := map[board.Area]board.Rating{}
	for i, a := range board.Areas {
		child.waitJS("question "+string(a), `!document.getElementById("q-`+string(a)+`").hidden && document.activeElement?.id === "q-`+string(a)+`-h"`)
		// Into the group of faces: Tab lands on its first choice (or the chosen one);
		// arrows move and choose.
		tabTo(`#q-`+string(a)+` input[type=radio]`, "the faces of "+string(a))
		moves := i % 4
		for range moves {
			child.do(chromedp.KeyEvent(kb.ArrowRight))
		}
		if moves == 0 {
			child.do(chromedp.KeyEvent(" ")) // Space chooses the focused face
		}
		want := board.Rating(eval[string](child, `document.activeElement.value`))
		answers[a] = want
		if i%2 == 0 {
			tabTo(`#f-compass-`+string(a)+`-child_words`, "the words field of "+string(a))
			child.do(chromedp.KeyEvent("Ord om " + string(a)))
		}
		tabTo(`#q-`+string(a)+` .child-nav a.big-button`, "Nästa on "+string(a))
		child.do(chromedp.KeyEvent(kb.Enter))
	}
	child.waitJS("the check-back step", `!document.getElementById("check").hidden && document.activeElement?.id === "check-h"`)
	child.waitSaved()
	tabTo(`#child-check form.child-share:has(input[name="entity"][value="compass/halsa"]) button`, "Visa för alla for hälsa")
	child.do(chromedp.KeyEvent(kb.Enter))
	child.waitJS("hälsa shown as shared", `!!document.querySelector('#child-check form.child-share:has(input[name="entity"][value="compass/halsa"]) .is-shared')`)
	tabTo(`#check .child-nav a.big-button`, "Nästa on the check-back step")
	child.do(chromedp.KeyEvent(kb.Enter))
	child.waitJS("the plan step", `!document.getElementById("plan").hidden`)
	tabTo(`#plan .child-nav a.big-button`, "Klar")
	child.do(chromedp.KeyEvent(kb.Enter))
	child.waitJS("the done step", `!document.getElementById("done").hidden && document.activeElement?.id === "done-h"`)
	child.waitSaved()

	b, err := s.env.Store.LoadBoard(context.Background(), s.env.MeetingID)
	if err != nil {
		t.Fatal(err)
	}
	for i, a := range board.Areas {
		c := b.Compass[a].Child
		if c.Rating != answers[a] {
			t.Errorf("%s: stored rating %q, chosen %q", a, c.Rating, answers[a])
		}
		wantWords := ""
		if i%2 == 0 {
			wantWords = "Ord om " + string(a)
		}
		if c.Words.Value != wantWords {
			t.Errorf("%s: stored words %q, want %q", a, c.Words.Value, wantWords)
		}
		if c.Shared != (a == "halsa") {
			t.Errorf("%s: shared = %v", a, c.Shared)
		}
	}
}

// axe-core finds no WCAG 2.1 A/AA violation on the child view (each kind of step) and on
// the shared screen, in Swedish, in English and in the right-to-left test language.
func TestChildViewAndScreenAccessibility(t *testing.T) {
	s := startWith(t, 180*time.Second, servertest.Options{PseudoRTL: true})
	coord := s.newPerson(t, "coordinator", coordinatorID)
	coord.join()
	screen := s.openScreen(t, coord)
	child := s.newPerson(t, "child", childID)
	child.joinLobby()
	coord.admit(child)
	child.waitChildView()
	// Some answers, so that faces, words and share controls are all on the pages.
	child.step("q-trygghet")
	child.do(chromedp.Click(chromedp.CSS(`label[for="q-trygghet-r-4"]`)))
	child.waitSaved()
	child.step("check")
	child.do(chromedp.Click(chromedp.CSS(`#child-check form.child-share button`)))
	child.waitJS("the answer shared", `!!document.querySelector("#child-check .share-state.is-shared")`)
	child.waitSaved()

	for _, lang := range []string{"sv", "en", i18n.PseudoRTL} {
		dir := i18n.Dir(lang)
		child.open(child.boardPath() + "?lang=" + lang)
		child.waitChildView()
		child.waitJS(`<html lang="`+lang+`" dir="`+dir+`">`, `document.documentElement.lang === `+jsString(lang)+` && document.documentElement.dir === `+jsString(dir))
		for _, st := range []string{"start", "q-trygghet", "check", "plan", "done"} {
			child.step(st)
			axeCheck(child, "the child view, step "+st+" ("+lang+")")
		}
		child.shot("child-check-" + lang)
		screen.open("/screen/view?lang=" + lang)
		screen.waitSaved()
		screen.waitJS(`the screen in `+lang, `document.documentElement.lang === `+jsString(lang)+` && document.documentElement.dir === `+jsString(dir))
		axeCheck(screen, "the shared screen ("+lang+")")
		screen.shot("screen-" + lang)
	}
}
