package e2e

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
	"github.com/coder/websocket"
)

// Two people edit the same board from two browsers: what one types (real key events)
// appears in the other's page, in both directions, and an action added with the "Ny
// insats" form (a real click on its button) appears in the other's list of actions.
func TestTwoPeopleEditTogether(t *testing.T) {
	s := start(t, 60*time.Second)
	a := s.newPerson(t, "coordinator", "demo-coord")
	b := s.newPerson(t, "teacher", "demo-teacher")
	a.join()
	b.join()

	// A writes in the compass; B sees it in the same field.
	const compassField = "f-compass-halsa-works"
	const aText = "Alva simmar på onsdagar och tycker om det."
	a.do(chromedp.SendKeys(chromedp.ID(compassField), aText))
	b.waitValue(compassField, aText)
	a.waitSaved()
	b.waitSaved()

	// B writes in an agenda item's notes; A sees it.
	const notesField = "f-agenda-behov-notes"
	const bText = "Stöd i matematik och på rasterna."
	b.do(chromedp.SendKeys(chromedp.ID(notesField), bText))
	a.waitValue(notesField, bText)
	b.waitSaved()
	a.waitSaved()
	if got := a.value(compassField); got != aText {
		t.Errorf("coordinator's compass field changed to %q after the teacher's edit, want %q", got, aText)
	}

	// B adds an action with the form, clicking its button; A sees the new action.
	const action = "Läxhjälp två gånger i veckan."
	b.do(
		chromedp.SendKeys(chromedp.ID("action-new-what"), action),
		chromedp.Click(chromedp.CSS(`#actions form[data-create="action"] button[type="submit"]`)),
	)
	hasAction := fmt.Sprintf(`[...document.querySelectorAll("#actions .action-list > li")].some(li => {
		const w = li.querySelector("textarea[data-rev]");
		return !!w && w.value.trim() === %s;
	})`, jsString(action))
	a.waitJS("the new action in #actions", hasAction)
	// Screen reader users hear about it through the polite live region.
	announced := s.env.Catalog.T("sv", "announce.action", "name", "Johan Berg")
	a.waitJS("the announcement "+jsString(announced), `document.getElementById("announcer").textContent === `+jsString(announced))
	b.waitJS("the new action in the teacher's own list", hasAction)
	b.waitJS("the add form to be emptied after saving", `document.getElementById("action-new-what").value === ""`)
	a.waitSaved()
	b.waitSaved()
	if n := eval[int](a, `document.querySelectorAll("#actions .action-list > li").length`); n != 3 {
		t.Errorf("coordinator sees %d actions, want 3 (2 demo actions and the new one)", n)
	}
}

// A guardian's tab is hidden (frozen, as a phone's browser freezes a background tab) and
// loses its connection while the coordinator goes on editing. While hidden it shows none of
// it; shown again, it reconnects, catches up and shows the coordinator's changes without a
// reload, and what the guardian typed while offline reaches the coordinator.
func TestHiddenTabCatchesUp(t *testing.T) {
	s := start(t, 60*time.Second)
	a := s.newPerson(t, "coordinator", "demo-coord")
	g := s.newPerson(t, "guardian", "demo-guardian1")
	a.join()
	g.join()
	eval[bool](g, `(window.__sameDocument = true)`) // gone if the page reloads
	seq := eval[string](g, `document.getElementById("main").dataset.seq`)

	// The network goes away. Chromium's network emulation blocks new connections but
	// leaves an open WebSocket alone, so the server drops this one, as a mobile network
	// that goes away would end it.
	setOffline(g, true)
	s.env.Server.Hub().CloseMember(s.env.MeetingID, g.member, websocket.StatusGoingAway)
	g.waitJS(`#sync-status data-state="offline"`, `document.getElementById("sync-status").dataset.state === "offline"`)

	// What the guardian types while offline is kept and sent later.
	const gField = "f-compass-fritid-guardians_view"
	const gText = "Hon vill gärna börja på fotboll."
	g.do(chromedp.SendKeys(chromedp.ID(gField), gText))

	// The tab goes to the background.
	eval[chromedp.Void](g, `(window.__visibility = [], document.addEventListener("visibilitychange", () => __visibility.push(document.visibilityState)))`)
	g.do(lifecycle(page.SetWebLifecycleStateStateFrozen))
	g.waitJS("the page to be hidden", `document.visibilityState === "hidden"`)

	// Meanwhile the coordinator writes.
	const aField = "f-compass-fritid-works"
	const aText = "Alva spelar fotboll med kusinerna."
	a.do(chromedp.SendKeys(chromedp.ID(aField), aText))
	a.waitSaved()
	if got := g.value(aField); got != "" {
		t.Fatalf("the hidden, offline page already shows %q; the test cannot tell catching up from live updates", got)
	}
	if got := a.value(gField); got != "" {
		t.Fatalf("the coordinator sees the offline guardian's text %q before the guardian is back", got)
	}

	// Shown again, with the network back.
	wctx, cancel := context.WithTimeout(g.ctx, waitLimit)
	defer cancel()
	created := chromedp.Events(wctx, network.WebSocketCreated) // subscribes now
	setOffline(g, false)
	g.do(lifecycle(page.SetWebLifecycleStateStateActive), focusEmulation(true))
	g.waitJS("the page to be visible", `document.visibilityState === "visible"`)

	g.waitValue(aField, aText)
	a.waitValue(gField, gText)
	g.waitSaved()
	a.waitSaved()
	if got := eval[[]string](g, `window.__visibility`); strings.Join(got, ",") != "hidden,visible" {
		t.Errorf("visibilitychange events while hidden and shown: %v, want [hidden visible]", got)
	}
	if !eval[bool](g, `window.__sameDocument === true`) {
		t.Errorf("the guardian's page was reloaded; it should catch up in place")
	}
	// It caught up over a new connection that resumed from the seq the page had.
	for ev, err := range created {
		if err != nil {
			t.Fatalf("no new WebSocket after the guardian came back: %v", err)
		}
		u, err := url.Parse(ev.URL)
		if err != nil || u.Query().Get("since") != seq {
			t.Errorf("reconnected to %s, want since=%s (the seq the page had)", ev.URL, seq)
		}
		break
	}
}

// setOffline switches the person's network off or on: new connections fail and
// navigator.onLine changes (with the offline and online events).
func setOffline(p *person, offline bool) {
	p.t.Helper()
	p.do(chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		if _, err := chromedp.Call(ctx, network.Enable, network.EnableParams{}); err != nil {
			return err
		}
		var rules []*network.Conditions
		if offline {
			rules = []*network.Conditions{{Offline: true, DownloadThroughput: -1, UploadThroughput: -1}}
		} else {
			rules = []*network.Conditions{}
		}
		if _, err := chromedp.Call(ctx, network.EmulateNetworkConditionsByRule, network.EmulateNetworkConditionsByRuleParams{MatchedNetworkConditions: rules}); err != nil {
			return err
		}
		_, err := chromedp.Call(ctx, network.OverrideNetworkState, network.OverrideNetworkStateParams{Offline: offline, DownloadThroughput: -1, UploadThroughput: -1})
		return err
	}))
}

// lifecycle freezes the page (as a background tab on a phone: no script runs, the page is
// hidden) or makes it active again.
func lifecycle(state page.SetWebLifecycleStateState) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := chromedp.Call(ctx, page.SetWebLifecycleState, page.SetWebLifecycleStateParams{State: state})
		return err
	})
}

// focusEmulation makes a headless page act as the focused, visible tab. After a frozen page
// is made active again it stays hidden until this is switched on.
func focusEmulation(on bool) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := chromedp.Call(ctx, emulation.SetFocusEmulationEnabled, emulation.SetFocusEmulationEnabledParams{Enabled: on})
		return err
	})
}

// axeViolation is the part of an axe-core result the report shows.
type axeViolation struct {
	ID     string `json:"id"`
	Impact string `json:"impact"`
	Help   string `json:"help"`
	URL    string `json:"helpUrl"`
	Nodes  []struct {
		Target         []any  `json:"target"`
		HTML           string `json:"html"`
		FailureSummary string `json:"failureSummary"`
	} `json:"nodes"`
}

// axeCheck runs axe-core with the WCAG 2.1 A and AA rules on p's current page and fails
// the test with every violation in detail.
func axeCheck(p *person, what string) {
	p.t.Helper()
	if !eval[bool](p, `typeof window.axe === "object"`) {
		eval[chromedp.Void](p, axeSource)
	}
	// Open every <details> so that what is behind them is checked too.
	raw := eval[string](p, `(async () => {
		document.querySelectorAll("details").forEach(d => { d.open = true; });
		const r = await axe.run(document, {
			runOnly: {type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]},
			resultTypes: ["violations"],
		});
		return JSON.stringify({violations: r.violations, passes: r.passes.length, incomplete: r.incomplete.map(x => x.id)});
	})()`)
	var res struct {
		Violations []axeViolation `json:"violations"`
		Passes     int            `json:"passes"`
		Incomplete []string       `json:"incomplete"`
	}
	if err := json.Unmarshal([]byte(raw), &res); err != nil {
		p.t.Fatalf("%s: axe result: %v", what, err)
	}
	p.t.Logf("axe on %s: %d violations, %d rules passed, needs review: %v", what, len(res.Violations), res.Passes, res.Incomplete)
	for _, v := range res.Violations {
		var b strings.Builder
		fmt.Fprintf(&b, "axe on %s: %s (%s): %s\n  %s", what, v.ID, v.Impact, v.Help, v.URL)
		for _, n := range v.Nodes {
			fmt.Fprintf(&b, "\n  - target %v\n    html %s\n    %s", n.Target, short(n.HTML), strings.ReplaceAll(n.FailureSummary, "\n", "\n    "))
		}
		p.t.Error(b.String())
	}
}

// axe-core finds no WCAG 2.1 A/AA violations on the way in and on the board, in Swedish
// and English: the login page (before the coordinator signs in), the /join page and the
// lobby page while waiting (before the guardian is let in), the coordinator's and a
// guardian's board, the home page and the 404 page.
func TestAccessibility(t *testing.T) {
	s := start(t, 120*time.Second)
	for _, member := range []string{"demo-coord", "demo-guardian1"} {
		t.Run(member, func(t *testing.T) {
			p := s.newPerson(t, member, member)
			board := p.boardPath()
			if member == coordinatorID {
				for _, lang := range []string{"en", "sv"} { // Swedish last: the board starts in it
					p.open("/login?lang=" + lang)
					p.waitJS(`the login page, <html lang="`+lang+`">`, `document.documentElement.lang === `+jsString(lang)+` && !!document.getElementById("email")`)
					axeCheck(p, "the login page ("+lang+")")
				}
				p.join()
			} else {
				p.do(chromedp.Navigate(s.env.Links[member]))
				p.waitJoinPage()
				for _, lang := range []string{"en", "sv"} {
					p.open("/join?lang=" + lang)
					p.waitJoinPage()
					p.waitJS(`/join with <html lang="`+lang+`">`, `document.documentElement.lang === `+jsString(lang))
					axeCheck(p, "the /join page ("+lang+")")
				}
				p.confirmJoin()
				for _, lang := range []string{"sv", "en"} {
					p.open(board + "?lang=" + lang)
					p.waitLobby()
					p.waitJS(`the lobby with <html lang="`+lang+`">`, `document.documentElement.lang === `+jsString(lang))
					axeCheck(p, "the lobby page, waiting ("+lang+")")
				}
				p.open(board + "?lang=sv") // the board starts in Swedish, as for the coordinator
				p.waitLobby()
				s.host(t).admit(p)
				p.waitBoard()
			}
			p.waitJS(`<html lang="sv">`, `document.documentElement.lang === "sv"`)
			axeCheck(p, member+"'s board in Swedish")

			p.open(board + "?lang=en")
			p.waitJS(`<html lang="en">`, `document.documentElement.lang === "en"`)
			p.waitSaved()
			axeCheck(p, member+"'s board in English")

			// The choice is remembered.
			p.open(board)
			p.waitJS(`<html lang="en"> without ?lang`, `document.documentElement.lang === "en"`)
			p.waitSaved()
		})
	}
	t.Run("home-and-404", func(t *testing.T) {
		p := s.newPerson(t, "visitor", "")
		for _, lang := range []string{"sv", "en"} {
			p.open("/?lang=" + lang)
			p.waitJS(`<html lang="`+lang+`">`, `document.documentElement.lang === `+jsString(lang))
			axeCheck(p, "the home page ("+lang+")")
			p.open("/no-such-page")
			p.waitJS("the 404 page", `!!document.querySelector("main h1") && document.documentElement.lang === `+jsString(lang))
			axeCheck(p, "the 404 page ("+lang+")")
		}
	})
}

// On a 360 px wide phone the board does not scroll sideways, and a text field can be
// edited and saved.
func TestNarrowPhone(t *testing.T) {
	s := start(t, 60*time.Second)
	phone := chromedp.EmulateViewport(360, 740, chromedp.EmulateMobile, chromedp.EmulateTouch, chromedp.EmulatePortrait, chromedp.EmulateScale(2))
	noSideScroll := func(p *person, what string) {
		t.Helper()
		got := eval[[]int](p, `[document.documentElement.scrollWidth, document.documentElement.clientWidth, window.innerWidth]`)
		if got[0] > 360 {
			wide := eval[string](p, `[...document.querySelectorAll("body *")].filter(e => e.getBoundingClientRect().right > 360.5)
				.slice(0, 8).map(e => e.tagName.toLowerCase() + (e.id ? "#" + e.id : "") + (e.className && typeof e.className === "string" ? "." + e.className.trim().split(/\s+/).join(".") : "") + " right=" + Math.round(e.getBoundingClientRect().right)).join("\n")`)
			t.Errorf("%s: scrollWidth %d > 360 (clientWidth %d, innerWidth %d); elements past the right edge:\n%s", what, got[0], got[1], got[2], wide)
		}
		// Nor is any control pushed out of sight inside a region that scrolls sideways.
		if out := eval[string](p, `[...document.querySelectorAll("a[href], button, input:not([type=hidden]), select, textarea, summary")]
			.filter(e => e.getClientRects().length > 0 && !e.closest(".visually-hidden") && !e.matches(".skip-link:not(:focus)"))
			.filter(e => { const r = e.getBoundingClientRect(); return r.left < -0.5 || r.right > 360.5; })
			.slice(0, 8).map(e => e.outerHTML.slice(0, 80) + " left=" + Math.round(e.getBoundingClientRect().left) + " right=" + Math.round(e.getBoundingClientRect().right)).join("\n")`); out != "" {
			t.Errorf("%s: controls outside the 360 px screen (reachable only by scrolling sideways):\n%s", what, out)
		}
	}
	// The coordinator comes first: from the phone they let both guardian sessions in.
	for _, member := range []string{"demo-coord", "demo-guardian1"} {
		p := s.newPerson(t, member, member, phone)
		p.join()
		noSideScroll(p, member+"'s board")
		eval[bool](p, `(document.querySelectorAll("details").forEach(d => { d.open = true; }), true)`)
		noSideScroll(p, member+"'s board with every <details> open")
		axeCheck(p, member+"'s board at 360 px")
	}

	g := s.newPerson(t, "guardian on a phone", "demo-guardian1", phone)
	g.join()
	const field = "f-compass-tillhorighet-works"
	const text = "Alva är med i kören."
	g.do(
		chromedp.ScrollIntoView(chromedp.ID(field)),
		chromedp.Tap(chromedp.ID(field)),
	)
	g.waitJS("the field to have focus after a tap", `document.activeElement && document.activeElement.id === `+jsString(field))
	g.do(chromedp.KeyEvent(text))
	g.waitSaved()
	// Saved means the server has it: a fresh load shows it.
	g.open("/b/" + s.env.MeetingID + "/" + g.member + "/")
	g.waitValue(field, text)
	noSideScroll(g, "the board after saving")
}

// Keyboard only: Tab from the top reaches the skip link first, Enter on it moves focus to
// the main content, and Tab reaches a compass text field, where typing saves.
func TestKeyboardOnly(t *testing.T) {
	s := start(t, 60*time.Second)
	p := s.newPerson(t, "coordinator", "demo-coord")
	p.join()
	focused := func() string {
		return eval[string](p, `(() => { const e = document.activeElement; return e ? e.tagName.toLowerCase() + (e.id ? "#" + e.id : "") + (e.className && typeof e.className === "string" ? "." + e.className.trim().split(/\s+/).join(".") : "") : "none"; })()`)
	}

	p.do(chromedp.KeyEvent(kb.Tab))
	if !eval[bool](p, `document.activeElement.classList.contains("skip-link")`) {
		t.Fatalf("first Tab focused %s, want the skip link", focused())
	}
	if !eval[bool](p, `(() => { const r = document.activeElement.getBoundingClientRect(); return r.top >= 0 && r.bottom <= innerHeight && r.width > 1 && r.height > 1; })()`) {
		t.Errorf("the focused skip link is not visible on screen")
	}
	p.do(chromedp.KeyEvent(kb.Enter))
	p.waitJS("focus on <main> after the skip link", `document.activeElement && document.activeElement.id === "main"`)

	// Tab on from main until a compass text field has focus.
	const want = "f-compass-trygghet-works"
	var path []string
	for i := 0; ; i++ {
		if i == 150 {
			t.Fatalf("no compass text field after %d Tabs; focus went: %s", i, strings.Join(path, " → "))
		}
		p.do(chromedp.KeyEvent(kb.Tab))
		f := focused()
		path = append(path, f)
		if strings.HasPrefix(f, "textarea#f-compass-") {
			if !strings.HasPrefix(f, "textarea#"+want) {
				t.Errorf("first compass text field reached is %s, want %s", f, want)
			}
			t.Logf("%s reached with %d Tabs from <main>; first stops: %s", f, i+1, strings.Join(path[:min(len(path), 4)], " → "))
			break
		}
	}
	if !eval[bool](p, `document.activeElement.matches(":focus-visible")`) {
		t.Errorf("the focused text field does not show a keyboard focus indicator")
	}
	const text = "Tangentbordet räcker."
	p.do(chromedp.KeyEvent(text))
	p.do(chromedp.KeyEvent(kb.Tab)) // leaving the field saves it
	p.waitSaved()
	if got := p.value(want); got != text {
		t.Errorf("%s = %q, want %q", want, got, text)
	}
}

// A lobby page that is away when its person is let in (the socket dropped: a phone's
// screen locked, a weak network) still turns into the board by itself once it is back.
// The person is let in while the page cannot hear it, so no "admitted" message reaches
// it; its next connection is then a board connection, and the page must not wait on as
// if nothing had happened.
func TestLobbyAwayWhenLetIn(t *testing.T) {
	s := start(t, 60*time.Second)
	c := s.newPerson(t, "coordinator", coordinatorID)
	c.join()
	g := s.newPerson(t, "guardian", "demo-guardian1")
	g.joinLobby()
	name := s.memberName(g.member)
	inList := `[...document.querySelectorAll("#room-control .lobby-entry bdi")].some(b => b.textContent === ` + jsString(name) + `)`
	c.waitJS(name+" in the lobby list", inList)

	// The guardian's network goes away; the server drops the lobby socket (the coordinator's
	// list then loses her).
	setOffline(g, true)
	s.env.Server.Hub().CloseMember(s.env.MeetingID, g.member, websocket.StatusGoingAway)
	c.waitJS(name+" gone from the lobby list", `!(`+inList+`)`)

	// Meanwhile she is let in: the coordinator's page posts the decision as its "Släpp in"
	// form does (clicked just before the list changed).
	var cookies []*network.Cookie
	g.do(chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
		res, err := chromedp.Call(ctx, network.GetCookies, network.GetCookiesParams{URLs: []string{s.env.URL + g.boardPath()}})
		cookies = res.Cookies
		return err
	}))
	key := ""
	for _, ck := range cookies {
		if strings.HasSuffix(ck.Name, "bt-"+g.member) {
			sum := sha256.Sum256([]byte(ck.Value))
			key = hex.EncodeToString(sum[:])
		}
	}
	if key == "" {
		t.Fatal("no guest session cookie in the guardian's browser")
	}
	posted := eval[bool](c, fmt.Sprintf(`fetch("lobby", {method: "POST", body: new URLSearchParams({key: %s, decision: "admit"}), credentials: "same-origin", redirect: "manual"})
		.then(r => r.type === "opaqueredirect" || r.ok)`, jsString(key)))
	if !posted {
		t.Fatal("the coordinator's page could not let the guardian in")
	}

	// Back: the page reconnects and must come to the board by itself.
	setOffline(g, false)
	g.waitBoard()
}
