package e2e

import (
	"context"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/barnteam/barnteam/server/demo"
	"github.com/barnteam/barnteam/server/i18n"
	"github.com/barnteam/barnteam/server/realtime"
	"github.com/barnteam/barnteam/server/servertest"
)

// Running the meeting in real browsers: the item's timer counted down alike on every
// device from the server's clock (also on a device whose own clock is wrong), every view
// following the current agenda item unless its person is writing, the screen reader told
// about the timer only at its thresholds, axe-core on every phase of a meeting and on the
// follow-up pages, and the meeting run with the keyboard alone.

// mtgPhone is a guardian's phone.
var mtgPhone = chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile, chromedp.EmulateTouch)

// Controls of the meeting, by the hidden fields of their forms.
const (
	mtgTimerStart  = `#meeting-status form:has(input[name="op"][value="timer"]):has(input[name="d.action"][value="start"]) button[type="submit"]`
	mtgTimerPause  = `#meeting-status form:has(input[name="op"][value="timer"]):has(input[name="d.action"][value="pause"]) button[type="submit"]`
	mtgTimerResume = `#meeting-status form:has(input[name="op"][value="timer"]):has(input[name="d.action"][value="resume"]) button[type="submit"]`
	mtgTimerAdd    = `#meeting-status form:has(input[name="op"][value="timer"]):has(input[name="d.action"][value="add"]) button[type="submit"]`
	mtgRoundStart  = `#round form:has(input[name="op"][value="round"]):has(input[name="d.action"][value="start"]) button[type="submit"]`
	mtgProposeForm = `#agenda form[data-create="agenda"]:has(#agenda-propose)`
)

// mtgPhaseButton is the button that moves the meeting to phase to.
func mtgPhaseButton(to string) string {
	return `#meeting-status form:has(input[name="op"][value="phase"]):has(input[name="d.to"][value="` + to + `"]) button[type="submit"]`
}

// mtgGotoButton is "Gör till aktuell punkt" of an agenda item.
func mtgGotoButton(item string) string {
	return `#ag-` + item + ` form:has(input[name="op"][value="goto"]) button[type="submit"]`
}

// mtgSpokenButton is "Har sagt sitt" (or "Ångra") of a member in the round.
func mtgSpokenButton(member string) string {
	return `#round form:has(input[name="d.member"][value="` + member + `"]) button[type="submit"]`
}

// mtgBoardPath is a member's board in a meeting.
func mtgBoardPath(meeting, member string) string { return "/b/" + meeting + "/" + member + "/" }

// mtgWaitBoard waits until p's tab shows their board of the meeting, connected and saved.
func mtgWaitBoard(p *person, meeting string) {
	p.t.Helper()
	p.waitAcrossNavigation("the board of meeting "+meeting, `location.pathname === `+jsString(mtgBoardPath(meeting, p.member))+` && document.readyState === "complete" &&
		!!document.getElementById("main") && "seq" in document.getElementById("main").dataset`)
	p.waitSaved()
}

// mtgClick waits for the element sel and clicks it, as a person would. A click goes to
// where the element is on the screen, so it first waits until the element stays put
// between two looks: a region re-rendered above it (someone joins, the presence list
// grows) moves it, and a click at the old place would hit something else.
func mtgClick(p *person, sel, what string) {
	p.t.Helper()
	p.waitJS(what, `(() => { const e = document.querySelector(`+jsString(sel)+`); if (!e) return false;
		e.scrollIntoView({block: "center"}); const r = e.getBoundingClientRect(), at = r.x + "," + r.y + "," + r.width + "," + r.height;
		const seen = (window.__mtgClickAt ??= new Map()), was = seen.get(e); seen.set(e, at); return was === at; })()`)
	p.do(chromedp.Click(chromedp.CSS(sel)))
}

// mtgText is the trimmed text of the element sel ("" when there is none).
func mtgText(p *person, sel string) string {
	p.t.Helper()
	return strings.Join(strings.Fields(eval[string](p, `document.querySelector(`+jsString(sel)+`)?.textContent || ""`)), " ")
}

// mtgLabel checks that the control sel (the one that does what) says want: its visible
// text, without its visually hidden part.
func mtgLabel(p *person, sel, what, want string) {
	p.t.Helper()
	got := strings.TrimSpace(eval[string](p, `(() => { const b = document.querySelector(`+jsString(sel)+`); if (!b) return "";
		return [...b.childNodes].filter(n => !(n.classList && n.classList.contains("visually-hidden"))).map(n => n.textContent).join(""); })()`))
	if got != want {
		p.t.Errorf("%s: the button that does %s says %q, want %q", p.name, what, got, want)
	}
}

// mtgFocusedSaysWhatItDoes fails when the focused element is a button of the meeting
// whose visible label is not the label of what its form now does. (A button keeps the
// focus after a click or a key press; the region around it is then re-rendered.)
func mtgFocusedSaysWhatItDoes(p *person, after string) {
	p.t.Helper()
	type focused struct {
		Button                    bool
		Op, Action, To, Label, ID string
	}
	f := eval[focused](p, `(() => { const b = document.activeElement; if (!b || b.tagName !== "BUTTON" || !b.form) return {button: false};
		const v = n => b.form.querySelector('input[name="' + n + '"]')?.value || "";
		const label = [...b.childNodes].filter(n => !(n.classList && n.classList.contains("visually-hidden"))).map(n => n.textContent).join("").trim();
		return {button: true, op: v("op"), action: v("d.action"), to: v("d.to"), label}; })()`)
	if !f.Button {
		return
	}
	want := map[string]string{
		"timer/pause": p.tr("timer.pause"), "timer/resume": p.tr("timer.resume"), "timer/add": p.tr("timer.add", "minutes", 5), "timer/stop": p.tr("timer.stop"),
		"round/start": p.tr("round.start"), "round/end": p.tr("round.end"), "round/spoken": p.tr("round.mark"), "round/unspoken": p.tr("round.undo"),
		"phase/open": p.tr("meeting.open"), "phase/live": p.tr("meeting.start"), "phase/closed": p.tr("meeting.close"),
		"goto/": p.tr("agenda.make_current"),
	}[f.Op+"/"+f.Action+f.To]
	if want != "" && f.Label != want {
		p.t.Errorf("%s: after %s the focused button says %q but now does %q (%s %s%s)", p.name, after, f.Label, want, f.Op, f.Action, f.To)
	}
}

// mtgCurrent waits until p's board shows item as the current agenda item.
func mtgCurrent(p *person, item string) {
	p.t.Helper()
	p.waitJS("#ag-"+item+" as the current item", `document.getElementById("meeting-status")?.dataset.current === `+jsString(item)+
		` && !!document.querySelector("#ag-`+item+`.is-current")`)
}

// mtgGoto makes item the current agenda item with a real click on its button.
func mtgGoto(c *person, item string) {
	c.t.Helper()
	mtgLabel(c, mtgGotoButton(item), "goto "+item, c.tr("agenda.make_current"))
	mtgClick(c, mtgGotoButton(item), "the button to make "+item+" current")
	mtgCurrent(c, item)
}

// timerJS reads the timer of #meeting-status as the page shows it.
const timerJS = `(() => { const st = document.getElementById("meeting-status"); const e = st && st.querySelector("[data-timer]");
	return e ? e.textContent.trim() : ""; })()`

// mtgSeconds turns a shown time left ("4:59", "−0:03") into seconds.
func mtgSeconds(s string) (int, bool) {
	m := regexp.MustCompile(`^(−|-)?(\d+):(\d\d)$`).FindStringSubmatch(strings.TrimSpace(s))
	if m == nil {
		return 0, false
	}
	min, _ := strconv.Atoi(m[2])
	sec, _ := strconv.Atoi(m[3])
	v := min*60 + sec
	if m[1] != "" {
		v = -v
	}
	return v, true
}

// mtgClockText formats seconds as the pages do (m:ss, a minus sign when over).
func mtgClockText(secs int) string {
	sign := ""
	if secs < 0 {
		sign, secs = "−", -secs
	}
	return fmt.Sprintf("%s%d:%02d", sign, secs/60, secs%60)
}

// mtgTimer reads p's shown timer in seconds; it fails the test when none is shown.
func mtgTimer(p *person) int {
	p.t.Helper()
	text := eval[string](p, timerJS)
	v, ok := mtgSeconds(text)
	if !ok {
		p.t.Fatalf("%s: the timer shows %q, not m:ss", p.name, text)
	}
	return v
}

// mtgReadTimers reads the timers of all pages one right after the other and returns the
// values with how long the reading took.
func mtgReadTimers(ps ...*person) ([]int, time.Duration) {
	start := time.Now()
	out := make([]int, len(ps))
	for i, p := range ps {
		out[i] = mtgTimer(p)
	}
	return out, time.Since(start)
}

// mtgAgree fails unless the pages' timers agree within tolerance seconds.
func mtgAgree(t *testing.T, what string, ps []*person, vals []int, took time.Duration, tolerance int) {
	t.Helper()
	lo, hi := vals[0], vals[0]
	var desc []string
	for i, v := range vals {
		lo, hi = min(lo, v), max(hi, v)
		desc = append(desc, fmt.Sprintf("%s %s", ps[i].name, mtgClockText(v)))
	}
	t.Logf("%s: %s (read in %v)", what, strings.Join(desc, ", "), took.Round(time.Millisecond))
	if hi-lo > tolerance {
		t.Errorf("%s: the timers differ by %d s, want at most %d s: %s", what, hi-lo, tolerance, strings.Join(desc, ", "))
	}
}

// recorderJS records, for the whole life of a page, every time its timer shows something
// new (with the real time, the timer's data and the text) and everything its polite live
// region says. It can run before the page exists (a script for new documents) or later.
const recorderJS = `(() => {
	if (window.__mtg) return true;
	const realNow = window.__realNow || Date.now.bind(Date);
	const rec = window.__mtg = {timer: [], said: [], lastSaid: ""};
	const look = () => {
		const st = document.getElementById("meeting-status");
		const e = st && st.querySelector("[data-timer]");
		if (e) {
			const text = e.textContent.trim(), d = st.dataset;
			const last = rec.timer[rec.timer.length - 1];
			if (!last || last.text !== text || last.ends !== (d.timerEnds || "") || last.running !== d.timerRunning) {
				rec.timer.push({at: realNow(), text, running: d.timerRunning || "", ends: d.timerEnds || "", left: d.timerLeft || ""});
			}
		}
		const a = document.getElementById("announcer");
		const said = a ? a.textContent : "";
		if (said !== rec.lastSaid) {
			if (said) rec.said.push(said);
			rec.lastSaid = said;
		}
	};
	new MutationObserver(look).observe(document, {subtree: true, childList: true, characterData: true, attributes: true});
	look();
	return true;
})()`

// mtgRecord starts recording p's timer and announcements (see recorderJS).
func mtgRecord(p *person) { eval[bool](p, recorderJS) }

// mtgShown is one recorded state of a page's timer.
type mtgShown struct {
	At      float64 `json:"at"` // real time, Unix ms
	Text    string  `json:"text"`
	Running string  `json:"running"`
	Ends    string  `json:"ends"`
	Left    string  `json:"left"`
}

// mtgSaid is what p's live region has said since recording started.
func mtgSaid(p *person) []string {
	p.t.Helper()
	return eval[[]string](p, `window.__mtg ? window.__mtg.said : []`)
}

// mtgThresholds keeps the timer's threshold announcements of said.
func mtgThresholds(p *person, said []string) []string {
	p.t.Helper()
	keep := map[string]bool{p.tr("timer.announce_five"): true, p.tr("timer.announce_one"): true, p.tr("timer.announce_over"): true}
	var out []string
	for _, s := range said {
		if keep[s] {
			out = append(out, s)
		}
	}
	return out
}

// mtgSkewedClock makes the person's device clock wrong by skew: Date.now in every page of
// the browser context says the real time plus skew (as a phone set to the wrong time),
// and the pages are recorded from their very start.
func mtgSkewedClock(skew time.Duration) chromedp.Action[chromedp.Void] {
	src := fmt.Sprintf(`(() => { const realNow = Date.now.bind(Date); window.__realNow = realNow; Date.now = () => realNow() + %d; })();`, skew.Milliseconds()) + recorderJS + ";"
	return chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
		_, err := chromedp.Call(ctx, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: src})
		return err
	})
}

// mtgInView is true when the element with this id is (partly) on the screen.
func mtgInView(id string) string {
	return `(() => { const e = document.getElementById(` + jsString(id) + `); if (!e) return false; const r = e.getBoundingClientRect();
		return r.bottom > 0 && r.top < innerHeight && r.height > 0; })()`
}

// mtgAtTop is true when the element with this id has been scrolled to the top of the
// screen (where "block: start" puts it) and the scrolling has come to rest there.
func mtgAtTop(id string) string {
	return `(() => { const e = document.getElementById(` + jsString(id) + `); if (!e) return false; const r = e.getBoundingClientRect();
		return Math.abs(r.top) < 2; })()`
}

// mtgFrames waits for n frames to be drawn in p's page: long enough for a smooth scroll
// that had been started to have moved.
func mtgFrames(p *person, n int) {
	p.t.Helper()
	eval[bool](p, fmt.Sprintf(`new Promise(res => { let k = %d; const f = () => (--k <= 0 ? res(true) : requestAnimationFrame(f)); requestAnimationFrame(f); })`, n))
}

// ---------------------------------------------------------------------------------------
// 1. The timer on every device

// The coordinator starts the current item's timer with a click; the coordinator, a
// guardian on her phone and the teacher see it count down and show the same time left
// (within 2 s), going down. A participant whose device clock is ten minutes fast opens the
// board: it shows the same time left as everyone else, from the moment its page opens,
// because it counts from the server's clock. The coordinator pauses: every device shows
// the same frozen value, marked "(pausad)"; "+5 min" adds exactly five minutes on every
// device; resumed, they count down together again. Every button the coordinator uses
// says what it does. No page's screen reader hears a threshold twice, and the page opened
// inside the last five minutes hears none.
func TestMeetingTimerAgreesAcrossDevices(t *testing.T) {
	s := start(t, 75*time.Second)
	coord := s.newPerson(t, "coordinator", coordinatorID)
	coord.join()
	guardian := s.newPerson(t, "guardian on her phone", "demo-guardian1", mtgPhone)
	teacher := s.newPerson(t, "teacher", "demo-teacher")
	guardian.join()
	teacher.join()
	three := []*person{coord, guardian, teacher}
	for _, p := range three {
		mtgRecord(p)
	}

	// The last item has a time box of 5 minutes: a timer of it runs in the last five
	// minutes from the start.
	const item = "avslutning"
	mtgGoto(coord, item)
	mtgLabel(coord, mtgTimerStart, "timer start", coord.tr("timer.start", "minutes", 5))
	mtgClick(coord, mtgTimerStart, "the button to start the timer")
	for _, p := range three {
		p.waitJS("the timer running", `document.getElementById("meeting-status").dataset.timerRunning === "true" && /^\d+:\d\d$/.test(`+timerJS+`)`)
	}
	vals, took := mtgReadTimers(three...)
	mtgAgree(t, "just started", three, vals, took, 2)
	if vals[0] > 300 || vals[0] < 290 {
		t.Errorf("the coordinator's timer shows %s right after starting a 5 minute timer", mtgClockText(vals[0]))
	}
	first := vals[1]
	guardian.waitJS("the guardian's timer to go down", fmt.Sprintf(`(() => { const m = /^(\d+):(\d\d)$/.exec(%s); return !!m && (+m[1]) * 60 + (+m[2]) < %d; })()`, timerJS, first))
	vals, took = mtgReadTimers(three...)
	mtgAgree(t, "a moment later", three, vals, took, 2)

	// A device whose clock is ten minutes fast.
	nurse := s.newPerson(t, "nurse, her computer's clock 10 minutes fast", "demo-nurse", mtgSkewedClock(10*time.Minute))
	nurse.join()
	if d := eval[float64](nurse, `Date.now() - window.__realNow()`); math.Abs(d-600000) > 1000 {
		t.Fatalf("the nurse's Date.now is off by %v ms, want 600000 (the emulated wrong clock)", d)
	}
	nurse.waitJS("the timer", `/^−?\d+:\d\d$/.test(`+timerJS+`)`)
	four := []*person{coord, guardian, teacher, nurse}
	// Once it has heard the server's clock (the welcome), it shows what everyone shows.
	nurse.waitSaved()
	mark := eval[float64](nurse, `window.__realNow()`)
	nurse.waitJS("a timer tick after the welcome", fmt.Sprintf(`(() => { const l = window.__mtg.timer; return l.length > 0 && l[l.length - 1].at > %f; })()`, mark))
	vals, took = mtgReadTimers(four...)
	mtgAgree(t, "with the fast clock", four, vals, took, 2)
	// And it never showed anything else, from the moment its page opened.
	log := eval[[]mtgShown](nurse, `window.__mtg.timer`)
	for _, e := range log {
		shown, ok := mtgSeconds(e.Text)
		ends, err := strconv.ParseFloat(e.Ends, 64)
		if !ok || err != nil || e.Running != "true" {
			t.Errorf("the fast-clock page showed the timer as %+v", e)
			continue
		}
		want := (ends - e.At) / 1000
		if math.Abs(float64(shown)-want) > 2 {
			t.Errorf("the fast-clock page showed %q at %s while %s was left: it counted from its own wrong clock",
				e.Text, time.UnixMilli(int64(e.At)).Format("15:04:05.000"), mtgClockText(int(math.Round(want))))
		}
	}
	t.Logf("the fast-clock page showed the timer %d times after it opened", len(log))

	// Pause: the same frozen value everywhere, marked as paused.
	mtgLabel(coord, mtgTimerPause, "timer pause", coord.tr("timer.pause"))
	mtgClick(coord, mtgTimerPause, "the button to pause the timer")
	paused := `document.getElementById("meeting-status").dataset.timerRunning === "false" && (document.querySelector("#meeting-status .timer-paused")?.textContent || "").trim() === `
	for _, p := range four {
		p.waitJS("the timer paused", paused+jsString("("+p.tr("timer.paused")+")"))
	}
	var frozen string
	for _, p := range four {
		got := eval[string](p, timerJS)
		if frozen == "" {
			frozen = got
		} else if got != frozen {
			t.Errorf("paused, %s shows %q and %s %q", four[0].name, frozen, p.name, got)
		}
		// From here until "+5 min" arrives, note every value the timer shows.
		eval[bool](p, `(() => { const seen = window.__mtgFrozen = []; const look = () => { const v = `+timerJS+`; if (seen[seen.length - 1] !== v) seen.push(v); };
			new MutationObserver(look).observe(document.getElementById("main"), {subtree: true, childList: true, characterData: true}); look(); return true; })()`)
	}
	v, ok := mtgSeconds(frozen)
	if !ok {
		t.Fatalf("the paused timer shows %q", frozen)
	}
	t.Logf("paused at %s", frozen)

	// +5 min, while paused: exactly five minutes more on every device.
	mtgLabel(coord, mtgTimerAdd, "timer add 5", coord.tr("timer.add", "minutes", 5))
	mtgClick(coord, mtgTimerAdd, "the button to add five minutes")
	more := mtgClockText(v + 300)
	for _, p := range four {
		p.waitJS("the timer at "+more, timerJS+` === `+jsString(more))
		if seen := eval[[]string](p, `window.__mtgFrozen`); strings.Join(seen, " ") != frozen+" "+more {
			t.Errorf("%s: while paused the timer showed %q, want only %s and then %s", p.name, seen, frozen, more)
		}
		if got := mtgText(p, "#meeting-status .timer-paused"); got != "("+p.tr("timer.paused")+")" {
			t.Errorf("%s: after +5 min the paused timer is marked %q", p.name, got)
		}
	}

	// Resumed: counting down together again.
	mtgLabel(coord, mtgTimerResume, "timer resume", coord.tr("timer.resume"))
	mtgClick(coord, mtgTimerResume, "the button to resume the timer")
	for _, p := range four {
		p.waitJS("the timer running again", `document.getElementById("meeting-status").dataset.timerRunning === "true" && !document.querySelector("#meeting-status .timer-paused")`)
	}
	vals, took = mtgReadTimers(four...)
	mtgAgree(t, "resumed", four, vals, took, 2)
	// A device knows the server's clock from messages that took a moment to arrive, so
	// right after resuming it may show a second more than the paused value (as devices
	// may differ by a second or two above); never more than that, nor much less.
	for i, x := range vals {
		if x > v+300+1 || x < v+300-5 {
			t.Errorf("%s shows %s after resuming from %s", four[i].name, mtgClockText(x), more)
		}
	}

	// The screen reader hears of a threshold at most once per page (a timer of five
	// minutes may be said to pass five minutes just after it starts); the page opened with
	// less than five minutes left crossed no threshold while it was open and hears none.
	for _, p := range three {
		if got := mtgThresholds(p, mtgSaid(p)); len(got) > 1 {
			t.Errorf("%s's screen reader was told %q: a threshold more than once", p.name, got)
		} else {
			t.Logf("%s's screen reader was told of thresholds: %q", p.name, got)
		}
	}
	if got := mtgThresholds(nurse, mtgSaid(nurse)); len(got) > 0 {
		t.Errorf("%s's screen reader was told %q when the page opened, though no threshold was crossed while it was open", nurse.name, got)
	}
}

// ---------------------------------------------------------------------------------------
// 2. Following the current item

// A guardian on her phone has scrolled far from the agenda, down to the actions. The
// coordinator makes another item current: the guardian's view goes to it by itself. She
// scrolls away again: the floating "Till punkten som pågår" appears; a tap on it brings
// the item back and moves the focus to it. While she is writing in a text field, a change
// of current item does not move her: her field stays on the screen, with the focus and
// her text, and the link back is offered instead.
func TestMeetingFollowsCurrentItem(t *testing.T) {
	s := start(t, 60*time.Second)
	coord := s.newPerson(t, "coordinator", coordinatorID)
	coord.join()
	g := s.newPerson(t, "guardian on her phone", "demo-guardian1", mtgPhone)
	g.join()
	back := `(() => { const p = document.querySelector(".back-to-current"); if (!p || p.hidden || p.getClientRects().length === 0) return false;
		const r = document.getElementById("back-to-current").getBoundingClientRect(); return r.top >= 0 && r.bottom <= innerHeight && r.height > 0; })()`

	mtgGoto(coord, "inledning")
	mtgCurrent(g, "inledning")

	// Far away: the actions.
	g.do(chromedp.ScrollIntoView(chromedp.ID("actions")))
	g.waitJS("the actions on the screen and the agenda off it", mtgInView("actions")+` && !`+mtgInView("ag-behov"))
	mtgGoto(coord, "behov")
	mtgCurrent(g, "behov")
	g.waitJS("the new current item scrolled to the top of the guardian's screen", mtgAtTop("ag-behov"))

	// Away again: the link back appears, and takes her there.
	g.do(chromedp.ScrollIntoView(chromedp.ID("actions")))
	g.waitJS(`the floating link "Till punkten som pågår"`, back)
	if got, want := mtgText(g, "#back-to-current"), g.tr("meeting.back_to_current"); got != want {
		t.Errorf("the link back says %q, want %q", got, want)
	}
	if got := eval[string](g, `document.getElementById("back-to-current").getAttribute("href")`); got != "#ag-behov" {
		t.Errorf("the link back goes to %q, want #ag-behov", got)
	}
	g.do(chromedp.Tap(chromedp.ID("back-to-current")))
	g.waitJS("the current item on the screen, with the focus", mtgInView("ag-behov")+` && document.activeElement?.id === "ag-behov"`)
	g.waitJS("the link back gone once she is there", `!`+back)

	// Writing: a change of current item does not take her away from her field.
	const field = "f-compass-fritid-guardians_view"
	g.do(chromedp.Tap(chromedp.ID(field)))
	g.waitJS("the field focused", `document.activeElement?.id === `+jsString(field))
	g.do(chromedp.KeyEvent("Hon vill börja "))
	g.waitJS("the field on the screen, the agenda not", mtgInView(field)+` && !`+mtgInView("ag-sammanfattning"))
	y := eval[float64](g, `scrollY`)
	mtgGoto(coord, "sammanfattning")
	mtgCurrent(g, "sammanfattning")
	g.waitJS("the link back offered while she writes", back)
	mtgFrames(g, 10)
	if got := eval[float64](g, `scrollY`); math.Abs(got-y) > 1 {
		t.Errorf("the guardian's page scrolled from %v to %v while she was writing", y, got)
	}
	if !eval[bool](g, `document.activeElement?.id === `+jsString(field)) {
		t.Errorf("the guardian's field lost the focus when the current item changed; focus is on %s", g.state())
	}
	if !eval[bool](g, mtgInView(field)) {
		t.Errorf("the guardian's field went off the screen when the current item changed")
	}
	g.do(chromedp.KeyEvent("på fotboll."))
	if got := g.value(field); got != "Hon vill börja på fotboll." {
		t.Errorf("the field holds %q", got)
	}
	g.do(chromedp.KeyEvent(kb.Tab))
	g.waitSaved()
	coord.waitValue(field, "Hon vill börja på fotboll.")
}

// ---------------------------------------------------------------------------------------
// 3. What the screen reader hears

// mtgClock is the server's clock in a test: the real time moved on by what the test says,
// as if the meeting had gone on that much longer.
type mtgClock struct {
	mu   sync.Mutex
	skew time.Duration
}

func (c *mtgClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return time.Now().Add(c.skew)
}

// leave moves the clock on so that a timer ending at ends (Unix ms of the server's clock)
// has left to go.
func (c *mtgClock) leave(ends int64, left time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.skew = time.UnixMilli(ends).Sub(time.Now()) - left
}

// The polite live region says "Fem minuter kvar för punkten." when the running timer
// passes five minutes, "En minut kvar för punkten." when it passes one minute and "Tiden
// för punkten är slut." when it reaches zero: each once, not every second. The meeting's
// time is moved on by the server's clock (the boards learn it from the heartbeat, as they
// do in a real meeting), so the test does not wait ten minutes.
func TestMeetingTimerThresholdsAnnouncedOnce(t *testing.T) {
	clock := &mtgClock{}
	s := startWith(t, 60*time.Second, servertest.Options{Now: clock.Now, Hub: realtime.Options{Heartbeat: 300 * time.Millisecond}})
	coord := s.newPerson(t, "coordinator", coordinatorID)
	coord.join()
	g := s.newPerson(t, "guardian using a screen reader", "demo-guardian1", mtgPhone)
	g.join()
	two := []*person{coord, g}

	mtgGoto(coord, "inledning")
	mtgClick(coord, mtgTimerStart, "the button to start the timer")
	for _, p := range two {
		p.waitJS("the timer running", `document.getElementById("meeting-status").dataset.timerRunning === "true"`)
		mtgRecord(p)
	}
	ends, err := strconv.ParseInt(eval[string](coord, `document.getElementById("meeting-status").dataset.timerEnds`), 10, 64)
	if err != nil {
		t.Fatal(err)
	}

	steps := []struct {
		name      string
		jumpTo    time.Duration // time left after moving the clock on
		crossedAt int           // the threshold, in seconds
		key       string
	}{
		{"five minutes", 5*time.Minute + 2*time.Second, 300, "timer.announce_five"},
		{"one minute", time.Minute + 2*time.Second, 60, "timer.announce_one"},
		{"time's up", 2 * time.Second, 0, "timer.announce_over"},
	}
	var want []string
	for _, st := range steps {
		clock.leave(ends, st.jumpTo)
		for _, p := range two {
			// The heartbeat brings the server's clock: the timer jumps to just above the
			// threshold, passes it, and goes on for three more seconds (three more ticks
			// that must not say it again).
			p.waitJS(fmt.Sprintf("the timer within seconds of %s", st.name), fmt.Sprintf(`(() => { const m = /^(−)?(\d+):(\d\d)$/.exec(%s); if (!m) return false;
				const v = (m[1] ? -1 : 1) * ((+m[2]) * 60 + (+m[3])); return v <= %d; })()`, timerJS, int(st.jumpTo/time.Second)))
		}
		for _, p := range two {
			p.waitJS(fmt.Sprintf("the timer three seconds past %s", st.name), fmt.Sprintf(`(() => { const m = /^(−)?(\d+):(\d\d)$/.exec(%s); if (!m) return false;
				const v = (m[1] ? -1 : 1) * ((+m[2]) * 60 + (+m[3])); return v <= %d; })()`, timerJS, st.crossedAt-3))
		}
		want = append(want, coord.tr(st.key))
		for _, p := range two {
			got := mtgThresholds(p, mtgSaid(p))
			if strings.Join(got, "|") != strings.Join(want, "|") {
				t.Errorf("%s: after %s the live region said %q, want %q (each threshold once)", p.name, st.name, got, want)
			}
		}
	}
	for _, p := range two {
		if got := eval[string](p, `document.getElementById("announcer").getAttribute("aria-live")`); got != "polite" {
			t.Errorf("%s: the announcer is aria-live=%q", p.name, got)
		}
		if got := eval[string](p, `document.querySelector("#meeting-status [data-timer]").getAttribute("aria-live")`); got != "off" {
			t.Errorf("%s: the timer itself is aria-live=%q; it would be read every second", p.name, got)
		}
		t.Logf("%s's live region said: %q", p.name, mtgSaid(p))
	}
}

// ---------------------------------------------------------------------------------------
// 4. axe-core on the meeting's pages

// openInLang opens path in lang, waits with ready (when given) and checks <html lang dir>.
func openInLang(p *person, path, lang string, ready func()) {
	p.t.Helper()
	sep := "?"
	if strings.Contains(path, "?") {
		sep = "&"
	}
	p.open(path + sep + "lang=" + lang)
	if ready != nil {
		ready()
	}
	dir := i18n.Dir(lang)
	p.waitJS(`<html lang="`+lang+`" dir="`+dir+`">`, `document.documentElement.lang === `+jsString(lang)+` && document.documentElement.dir === `+jsString(dir))
}

// mtgAxeLangs runs axe-core on path in each language, Swedish last (so the pages stay
// Swedish).
func mtgAxeLangs(p *person, what, path string, ready func(), langs ...string) {
	p.t.Helper()
	for _, lang := range langs {
		openInLang(p, path, lang, ready)
		axeCheck(p, what+" ("+lang+")")
	}
}

// mtgHTTP is a browser-like HTTP client that does not follow redirects.
func mtgHTTP(c *http.Client) *http.Client {
	cc := *c
	cc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &cc
}

// mtgPost posts a form as the page's plain form would; it fails unless the server
// answers with a redirect (as after every form that worked).
func mtgPost(t *testing.T, c *http.Client, u string, form url.Values) {
	t.Helper()
	resp, err := mtgHTTP(c).PostForm(u, form)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("POST %s %v: status %d\n%s", u, form, resp.StatusCode, short(string(body)))
	}
}

// mtgEstablishDemoPlan establishes the demo meeting's plan over HTTP, as the people do
// with their pages' forms: the coordinator sets the follow-up date and locks the plan;
// everyone who must approve it (all but the 9-year-old child) approves it on their own
// plan page.
func mtgEstablishDemoPlan(t *testing.T, s *suite, followUp string) {
	t.Helper()
	env := s.env
	op := func(c *http.Client, member string, form url.Values) {
		t.Helper()
		mtgPost(t, c, env.BoardURL(member)+"op", form)
	}
	clients := map[string]*http.Client{coordinatorID: env.CoordinatorClient(t)}
	for _, m := range []string{"demo-guardian1", "demo-guardian2", "demo-teacher", "demo-nurse", "demo-ifo"} {
		clients[m] = env.Client(t, m)
	}
	op(clients[coordinatorID], coordinatorID, url.Values{"op": {"set"}, "entity": {"plan"}, "field": {"follow_up"}, "value": {followUp}})
	op(clients[coordinatorID], coordinatorID, url.Values{"op": {"freeze"}, "entity": {"plan"}, "d.version": {"1"}})
	for _, m := range []string{coordinatorID, "demo-guardian1", "demo-guardian2", "demo-teacher", "demo-nurse", "demo-ifo"} {
		resp, err := clients[m].Get(env.BoardURL(m) + "plan")
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		version := regexp.MustCompile(`name="d.version" value="(\d+)"`).FindStringSubmatch(string(body))
		sha := regexp.MustCompile(`name="d.sha256" value="([0-9a-f]{64})"`).FindStringSubmatch(string(body))
		if version == nil || sha == nil {
			t.Fatalf("%s's plan page offers no approval", m)
		}
		op(clients[m], m, url.Values{"op": {"sign"}, "entity": {"plan"}, "d.version": {version[1]}, "d.sha256": {sha[1]}, "back": {"plan"}})
	}
	b, err := env.Store.LoadBoard(context.Background(), env.MeetingID)
	if err != nil {
		t.Fatal(err)
	}
	if b.Plan.Status != "established" {
		t.Fatalf("the demo plan is %s after everyone approved", b.Plan.Status)
	}
}

// mtgMeetingFromURL is the meeting id in a /teams/<team>/meetings/<id> address.
func mtgMeetingFromURL(t *testing.T, p *person) string {
	t.Helper()
	m := regexp.MustCompile(`^/teams/[^/]+/meetings/([A-Za-z0-9_-]+)$`).FindStringSubmatch(eval[string](p, `location.pathname`))
	if m == nil {
		t.Fatalf("%s: not on a meeting's page: %s", p.name, eval[string](p, `location.href`))
	}
	return m[1]
}

// axe-core finds no WCAG 2.1 A/AA violation on the pages of running a meeting and
// following it up, in Swedish and English (and right to left on the live board and the
// changes page): a meeting scheduled from the team page, on the coordinator's board, as a
// draft, open (someone waiting in the lobby), live with the timer running, a round going
// on, a proposal from the family and a hand raised in the queue (also the guardian's
// board, with the form to propose an item), and closed; its minutes; the team page with
// the plan's timeline and the form to book the follow-up; the coordinator's overview; the
// follow-up meeting's board, with the carried actions' review, and its changes page.
func TestMeetingAccessibility(t *testing.T) {
	s := startWith(t, 200*time.Second, servertest.Options{PseudoRTL: true})
	sv, en, rtl := "sv", "en", i18n.PseudoRTL
	coord := s.newPerson(t, "coordinator", coordinatorID)
	coord.signIn()

	// A meeting scheduled from the team page, with the form.
	team := "/teams/" + demo.TeamID
	coord.open(team)
	mtgClick(coord, `#meetings details.add-form:has(form[action$="/meetings"]) > summary`, "the form to schedule a meeting")
	coord.do(
		chromedp.SendKeys(chromedp.ID("meeting-title"), "Barnteamsmöte i maj"),
		chromedp.SendKeys(chromedp.ID("meeting-date"), time.Now().AddDate(0, 0, 7).Format(time.DateOnly)),
		chromedp.SendKeys(chromedp.ID("meeting-time"), "13:00"),
	)
	if got := eval[string](coord, `document.getElementById("meeting-template").value`); got != "motescirkeln" {
		t.Errorf("the schedule form starts from template %q, want motescirkeln", got)
	}
	coord.do(chromedp.Click(chromedp.CSS(`#meetings form[action$="/meetings"] button[type="submit"]`)))
	coord.waitAcrossNavigation("the new meeting's page", `/^\/teams\/[^/]+\/meetings\/[A-Za-z0-9_-]+$/.test(location.pathname) && document.readyState === "complete"`)
	meeting := mtgMeetingFromURL(t, coord)
	invites := eval[string](coord, `location.pathname`)
	// A personal link for the guardian, made on that page.
	mtgClick(coord, `#member-demo-guardian1 form[action$="/links/demo-guardian1"] button`, "the button to make the guardian's link")
	coord.waitAcrossNavigation("the guardian's link", `!!document.getElementById("invite-link")`)
	link := coord.value("invite-link")

	board := mtgBoardPath(meeting, coordinatorID)
	waitCoord := func() { mtgWaitBoard(coord, meeting) }
	phaseIs := func(p *person, phase string) {
		t.Helper()
		p.waitJS("the meeting "+phase, `document.getElementById("meeting-status")?.dataset.phase === `+jsString(phase))
	}

	// Draft.
	coord.open(invites)
	mtgClick(coord, `main a[href="`+board+`"]`, "the link to the board")
	waitCoord()
	phaseIs(coord, "draft")
	mtgAxeLangs(coord, "the coordinator's board, a draft", board, waitCoord, en, sv)

	// The guardian follows her link and waits.
	g := s.newPerson(t, "guardian on her phone", "demo-guardian1", mtgPhone)
	g.do(chromedp.Navigate(link))
	g.waitJoinPage()
	g.do(chromedp.Click(chromedp.CSS(joinButton)))
	gBoard := mtgBoardPath(meeting, g.member)
	g.waitAcrossNavigation("the lobby", `location.pathname === `+jsString(gBoard)+` && !!document.querySelector("main.lobby")`)

	// Open, the guardian in the lobby list.
	mtgLabel(coord, mtgPhaseButton("open"), "phase draft → open", coord.tr("meeting.open"))
	mtgClick(coord, mtgPhaseButton("open"), "the button to open the meeting")
	phaseIs(coord, "open")
	inLobby := `!!document.querySelector('#room-control .lobby-entry input[name="decision"][value="admit"]')`
	mtgAxeLangs(coord, "the coordinator's board, open, someone in the lobby", board, func() { waitCoord(); coord.waitJS("the guardian in the lobby list", inLobby) }, en, sv)
	coord.admit(g)
	mtgWaitBoard(g, meeting)

	// Live: the timer running, a round, a proposal from the family, a raised hand.
	mtgLabel(coord, mtgPhaseButton("live"), "phase open → live", coord.tr("meeting.start"))
	mtgClick(coord, mtgPhaseButton("live"), "the button to start the meeting")
	phaseIs(coord, "live")
	first := eval[string](coord, `document.querySelector("#agenda .agenda-list > li").id.slice(3)`)
	mtgGoto(coord, first)
	mtgClick(coord, mtgTimerStart, "the button to start the timer")
	coord.waitJS("the timer running", `document.getElementById("meeting-status").dataset.timerRunning === "true"`)
	mtgLabel(coord, mtgRoundStart, "round start", coord.tr("round.start"))
	mtgClick(coord, mtgRoundStart, "the button to start a round")
	mtgClick(coord, mtgSpokenButton("demo-guardian1"), "the guardian's line in the round")
	coord.waitJS("the guardian marked as having spoken", `!!document.querySelector("#round .round-list li.is-spoken")`)
	g.waitJS("the form to propose an item", `!!document.querySelector(`+jsString(mtgProposeForm)+`)`)
	const proposal = "Läxorna tar för lång tid"
	g.do(chromedp.Click(chromedp.ID("agenda-propose")), chromedp.KeyEvent(proposal))
	g.do(chromedp.Click(chromedp.CSS(mtgProposeForm + ` button[type="submit"]`)))
	g.waitSaved()
	mtgClick(g, "#hand-button", "the button to raise a hand")
	g.waitJS("the hand up", `document.getElementById("hand-button").getAttribute("aria-pressed") === "true"`)
	name := s.memberName(g.member)
	ready := func() {
		waitCoord()
		coord.waitJS("the proposal", `[...document.querySelectorAll("#agenda .proposal-list bdi")].some(b => b.textContent === `+jsString(proposal)+`)`)
		coord.waitJS("the raised hand in the queue", `[...document.querySelectorAll("#presence .hand-queue bdi")].some(b => b.textContent === `+jsString(name)+`)`)
		coord.waitJS("the timer and the round", `/\d:\d\d/.test(`+timerJS+`) && !!document.querySelector("#round .round-list")`)
	}
	mtgAxeLangs(coord, "the coordinator's board, live: timer, round, proposal, raised hand", board, ready, en, rtl, sv)
	mtgAxeLangs(g, "the guardian's board, live, with the form to propose an item", gBoard, func() {
		mtgWaitBoard(g, meeting)
		g.waitJS("the form to propose", `!!document.querySelector(`+jsString(mtgProposeForm)+`)`)
	}, en, sv)

	// The minutes, from the board's link.
	mtgClick(coord, `#agenda a[href="minutes"]`, "the link to the minutes")
	coord.waitAcrossNavigation("the minutes", `!!document.querySelector("main.minutes-page") && document.readyState === "complete"`)
	mtgAxeLangs(coord, "the minutes", board+"minutes", nil, en, sv)

	// Closed.
	coord.open(board)
	waitCoord()
	coord.confirmClick(mtgPhaseButton("closed"), coord.tr("meeting.close_confirm"))
	phaseIs(coord, "closed")
	mtgAxeLangs(coord, "the coordinator's board, closed", board, func() { waitCoord(); phaseIs(coord, "closed") }, en, sv)

	// The demo meeting's plan established, with a follow-up date: the team page's
	// timeline and the form to book the follow-up; the overview.
	followUp := time.Now().AddDate(0, 2, 0).Format(time.DateOnly)
	mtgEstablishDemoPlan(t, s, followUp)
	bookForm := `#meetings form[action$="/meetings/` + s.env.MeetingID + `/follow-up"]`
	mtgAxeLangs(coord, "the team page with the plan's timeline and the follow-up form", team, func() {
		coord.waitJS("the timeline and the follow-up form", `!!document.querySelector("#meetings .timeline li") && !!document.querySelector(`+jsString(bookForm)+`)`)
	}, en, sv)
	mtgAxeLangs(coord, "the coordinator's overview, a follow-up to book", "/teams", func() {
		coord.waitJS("the follow-up to book", `!!document.getElementById("followups-h") && document.querySelector("main").textContent.includes(`+jsString(followUp)+`)`)
	}, en, sv)

	// The follow-up, booked with the team page's form, reached by the overview's "Boka".
	mtgClick(coord, `main section:has(#followups-h) a[href="`+team+`#meetings"]`, `the overview's link to book the follow-up`)
	coord.waitAcrossNavigation("the team page", `location.pathname === `+jsString(team)+` && document.readyState === "complete"`)
	mtgClick(coord, `#meetings details.add-form:has(form[action$="/meetings/`+s.env.MeetingID+`/follow-up"]) > summary`, "the form to book the follow-up")
	if got := coord.value("fu-" + s.env.MeetingID + "-date"); got != followUp {
		t.Errorf("the follow-up form offers the date %q, want the plan's %s", got, followUp)
	}
	coord.do(chromedp.Click(chromedp.CSS(bookForm + ` button[type="submit"]`)))
	coord.waitAcrossNavigation("the follow-up meeting's page", `/^\/teams\/[^/]+\/meetings\/[A-Za-z0-9_-]+$/.test(location.pathname) && document.readyState === "complete"`)
	fu := mtgMeetingFromURL(t, coord)
	fuBoard := mtgBoardPath(fu, coordinatorID)
	mtgClick(coord, `main a[href="`+fuBoard+`"]`, "the link to the follow-up's board")
	mtgWaitBoard(coord, fu)
	review := `#actions .action-review fieldset input[type="radio"][value="done"]`
	coord.waitJS("the carried actions' review", `document.querySelectorAll("#actions .action-review fieldset").length >= 2`)
	if got, want := mtgText(coord, "#actions .action-review legend"), coord.tr("action.review_legend"); got != want {
		t.Errorf("the review's legend says %q, want %q", got, want)
	}
	coord.do(chromedp.Click(chromedp.CSS(`#actions .action-review label:has(` + review[len("#actions .action-review fieldset "):] + `)`)))
	coord.waitJS("the review chosen", `document.querySelector(`+jsString(review)+`).checked`)
	coord.waitSaved()
	mtgAxeLangs(coord, "the follow-up's board with the actions' review", fuBoard, func() {
		mtgWaitBoard(coord, fu)
		coord.waitJS("the review", `!!document.querySelector("#actions .action-review fieldset")`)
	}, en, sv)
	mtgClick(coord, `#agenda a[href="changes"]`, "the link to the changes")
	coord.waitAcrossNavigation("the changes page", `!!document.querySelector("main.changes-page") && document.readyState === "complete"`)
	if !strings.Contains(mtgText(coord, "main"), coord.tr("action.review.done")) {
		t.Errorf("the changes page does not show the review just made")
	}
	mtgAxeLangs(coord, "the follow-up's changes page", fuBoard+"changes", nil, en, rtl, sv)
}

// ---------------------------------------------------------------------------------------
// 5. The keyboard alone

// The coordinator runs the meeting with Tab, Enter and Space only: makes the first item
// current, starts its timer, starts a round and marks a participant as having spoken.
// Every control reached shows a focus indicator; after each one has done its work the
// focus has not fallen back to <body>, and the focused button says what it now does.
func TestMeetingKeyboardOnly(t *testing.T) {
	s := start(t, 60*time.Second)
	c := s.newPerson(t, "coordinator", coordinatorID)
	c.join()
	focused := func() string {
		return eval[string](c, `(() => { const e = document.activeElement; if (!e) return "none"; const n = e.tagName.toLowerCase();
			return n + (e.id ? "#" + e.id : "") + (n === "button" || n === "a" ? "(" + e.textContent.trim().replace(/\s+/g, " ") + ")" : ""); })()`)
	}
	// tabTo presses Tab until sel has the focus; it returns how many presses it took.
	tabTo := func(sel, what string) int {
		t.Helper()
		var path []string
		for i := 1; i <= 400; i++ {
			c.do(chromedp.KeyEvent(kb.Tab))
			if eval[bool](c, `!!document.activeElement && document.activeElement.matches(`+jsString(sel)+`)`) {
				if !eval[bool](c, `document.activeElement.matches(":focus-visible")`) {
					t.Errorf("%s has the focus without a visible focus indicator", what)
				}
				t.Logf("%s reached with %d Tabs", what, i)
				return i
			}
			path = append(path, focused())
		}
		t.Fatalf("%s not reached with Tab; focus went: %s", what, strings.Join(path[max(0, len(path)-30):], " → "))
		return 0
	}
	// after says where the focus is once a control has done its work.
	after := func(what string) {
		t.Helper()
		f := focused()
		t.Logf("after %s the focus is on %s", what, f)
		if f == "body" || f == "none" {
			t.Errorf("after %s the focus fell back to the page's <body>: a keyboard user starts over from the top", what)
		}
	}

	c.do(chromedp.KeyEvent(kb.Tab))
	if !eval[bool](c, `document.activeElement.classList.contains("skip-link")`) {
		t.Fatalf("the first Tab focuses %s, want the skip link", focused())
	}
	c.do(chromedp.KeyEvent(kb.Enter))
	c.waitJS("focus on <main>", `document.activeElement?.id === "main"`)

	tabTo(mtgGotoButton("inledning"), `"Gör till aktuell punkt" of Inledning`)
	c.do(chromedp.KeyEvent(kb.Enter))
	mtgCurrent(c, "inledning")
	c.waitSaved()
	after(`"Gör till aktuell punkt"`)
	mtgFocusedSaysWhatItDoes(c, `"Gör till aktuell punkt"`)

	tabTo(mtgTimerStart, `"Starta tiden (10 min)"`)
	mtgLabel(c, mtgTimerStart, "timer start", c.tr("timer.start", "minutes", 10))
	c.do(chromedp.KeyEvent(" "))
	c.waitJS("the timer running", `document.getElementById("meeting-status").dataset.timerRunning === "true" && /^\d+:\d\d$/.test(`+timerJS+`)`)
	c.waitSaved()
	after(`"Starta tiden"`)
	mtgFocusedSaysWhatItDoes(c, `"Starta tiden"`)

	tabTo(mtgRoundStart, `"Starta en runda"`)
	c.do(chromedp.KeyEvent(kb.Enter))
	c.waitJS("the round started", `!!document.querySelector("#round .round-list")`)
	c.waitSaved()
	after(`"Starta en runda"`)
	mtgFocusedSaysWhatItDoes(c, `"Starta en runda"`)

	mark := mtgSpokenButton("demo-guardian1")
	tabTo(mark, `"Har sagt sitt" of the guardian`)
	mtgLabel(c, mark, "round spoken", c.tr("round.mark"))
	c.do(chromedp.KeyEvent(" "))
	name := s.memberName("demo-guardian1")
	c.waitJS(name+" marked as having spoken", `[...document.querySelectorAll("#round .round-list li.is-spoken bdi")].some(b => b.textContent === `+jsString(name)+`)`)
	c.waitSaved()
	after(`"Har sagt sitt"`)
	mtgFocusedSaysWhatItDoes(c, `"Har sagt sitt"`)
	if got, want := mtgText(c, "#round > p"), c.tr("round.progress", "spoken", 1, "total", 7); got != isolates.Replace(want) && got != want {
		t.Errorf("the round says %q, want %q", got, want)
	}

	b, err := s.env.Store.LoadBoard(context.Background(), s.env.MeetingID)
	if err != nil {
		t.Fatal(err)
	}
	m := b.Meeting
	if m.CurrentItem != "inledning" || m.Timer == nil || !m.Timer.Running || m.Timer.Item != "inledning" || m.Round == nil || strings.Join(m.Round.Spoken, ",") != "demo-guardian1" {
		t.Errorf("stored meeting state: current %q, timer %+v, round %+v", m.CurrentItem, m.Timer, m.Round)
	}
}
