package e2e

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/barnteam/barnteam/server/demo"
)

// The Stödsamordnare's pages in a real browser: signed in through /login, the coordinator
// creates a team with the form, opens the team page, a meeting's personal links and a link
// shown once; axe-core finds no WCAG 2.1 A/AA violation on any of them, in Swedish and
// English, and on a 360 px phone nothing scrolls sideways.

// teamWait is waitJS for a wait that spans a navigation (a form posted, a redirect
// followed): a poll that the navigation interrupts is started again in the new page.
func teamWait(p *person, what, expr string) {
	p.t.Helper()
	deadline := time.Now().Add(waitLimit)
	for {
		left := time.Until(deadline)
		if left <= 0 {
			p.t.Fatalf("%s: waiting for %s: not within %v (page state: %s)", p.name, what, waitLimit, p.state())
		}
		ctx, cancel := context.WithTimeout(p.ctx, left)
		_, err := chromedp.Run(ctx, chromedp.Poll[chromedp.Void](expr, chromedp.WithPollingInterval(pollEvery), chromedp.WithPollingTimeout(left)))
		cancel()
		switch {
		case err == nil:
			return
		case errors.Is(err, chromedp.ErrPollingTimeout), errors.Is(err, context.DeadlineExceeded):
			continue // the deadline check above reports it
		case strings.Contains(err.Error(), "navigated or closed"), strings.Contains(err.Error(), "context was destroyed"), strings.Contains(err.Error(), "Cannot find context"):
			continue // the page changed under the poll: poll the new one
		default:
			p.t.Fatalf("%s: waiting for %s: %v (page state: %s)", p.name, what, err, p.state())
		}
	}
}

// teamLogin signs the person in by filling /login and clicking its button.
func teamLogin(p *person, email, password string) {
	p.t.Helper()
	p.open("/login")
	p.do(
		chromedp.SendKeys(chromedp.ID("email"), email),
		chromedp.SendKeys(chromedp.ID("password"), password),
		chromedp.Click(chromedp.CSS(`main form[action="/login"] button[type="submit"]`)),
	)
	teamWait(p, "My teams after signing in", `location.pathname === "/teams" && document.readyState === "complete"`)
}

// teamOpen opens a page of the teams area in a language and waits for it.
func teamOpen(p *person, path, lang string) {
	p.t.Helper()
	p.open(path + "?lang=" + lang)
	p.waitJS(`<html lang="`+lang+`"> on `+path, `document.documentElement.lang === `+jsString(lang)+` && !!document.querySelector("main h1")`)
}

// teamNoSideScroll fails when the page is wider than a 360 px screen.
func teamNoSideScroll(p *person, what string) {
	p.t.Helper()
	eval[bool](p, `(document.querySelectorAll("details").forEach(d => { d.open = true; }), true)`)
	if w := eval[int](p, `document.documentElement.scrollWidth`); w > 360 {
		wide := eval[string](p, `[...document.querySelectorAll("body *")].filter(e => e.getBoundingClientRect().right > 360.5)
			.slice(0, 6).map(e => e.tagName.toLowerCase() + (e.id ? "#" + e.id : "") + " right=" + Math.round(e.getBoundingClientRect().right)).join("\n")`)
		p.t.Errorf("%s at 360 px: scrollWidth %d; past the edge:\n%s", what, w, wide)
	}
}

func TestTeamPagesAccessibility(t *testing.T) {
	s := start(t, 120*time.Second)
	p := s.newPerson(t, "coordinator", "")
	teamLogin(p, s.env.CoordinatorEmail, s.env.CoordinatorPassword)

	// A new team through the form: first with an error (the summary takes the reader to
	// the field), then right.
	teamOpen(p, "/teams/new", "sv")
	p.do(
		chromedp.SendKeys(chromedp.ID("team-name"), "Nora"),
		chromedp.SendKeys(chromedp.ID("team-birth-year"), "1890"),
		chromedp.SendKeys(chromedp.ID("team-reason"), "Behöver samordnat stöd i förskolan."),
		chromedp.Click(chromedp.CSS(`main form button[type="submit"]`)),
	)
	teamWait(p, "the error summary", `!!document.querySelector("#error-summary a[href='#team-birth-year']")`)
	axeCheck(p, "the new-team form with an error (sv)")
	p.do(chromedp.Click(chromedp.CSS(`#error-summary a`)))
	p.waitJS("the link to move to the field", `location.hash === "#team-birth-year"`)
	p.do(
		chromedp.Clear(chromedp.ID("team-birth-year")),
		chromedp.SendKeys(chromedp.ID("team-birth-year"), "2021"),
		chromedp.Click(chromedp.CSS(`main form button[type="submit"]`)),
	)
	teamWait(p, "the new team's page", `/^\/teams\/[A-Za-z0-9_-]+$/.test(location.pathname) && location.pathname !== "/teams/new" && document.readyState === "complete"`)
	newTeam := eval[string](p, `location.pathname`)

	demoTeam := "/teams/" + demo.TeamID
	invites := demoTeam + "/meetings/" + demo.MeetingID
	for _, lang := range []string{"sv", "en"} {
		teamOpen(p, "/teams", lang)
		axeCheck(p, "My teams ("+lang+")")
		teamOpen(p, "/teams/new", lang)
		axeCheck(p, "the new-team form ("+lang+")")
		teamOpen(p, newTeam, lang)
		axeCheck(p, "a new team's page ("+lang+")")
		teamOpen(p, demoTeam, lang)
		axeCheck(p, "the demo team's page ("+lang+")")
		teamOpen(p, invites, lang)
		axeCheck(p, "the meeting's personal links ("+lang+")")

		// A link, shown once; the copy button appears with JavaScript and reports.
		p.do(chromedp.Click(chromedp.CSS(`#member-demo-guardian1 form[action$="/links/demo-guardian1"] button`)))
		teamWait(p, "the link shown once", `!!document.getElementById("invite-link") && document.documentElement.lang === `+jsString(lang))
		if got := eval[string](p, `document.getElementById("invite-link").value`); len(got) < 60 {
			t.Errorf("link field holds %q", got)
		}
		if !eval[bool](p, `(() => { const r = document.querySelector("svg.qr").getBoundingClientRect(); return r.width >= 200 && r.width <= 260 && Math.abs(r.width - r.height) < 1; })()`) {
			t.Errorf("the QR code is not about 240 px square")
		}
		p.waitJS("the copy button to be shown", `!document.querySelector("button[data-copy]").hidden`)
		axeCheck(p, "the link shown once ("+lang+")")
		p.do(chromedp.Click(chromedp.CSS(`button[data-copy]`)))
		p.waitJS("the copy status", `document.getElementById("copy-status").textContent.trim() !== ""`)
	}

	// Keyboard only: from the skip link to the first control of main, and a <details>
	// form opens with Enter.
	teamOpen(p, demoTeam, "sv")
	p.do(chromedp.KeyEvent(kb.Tab))
	p.waitJS("the skip link focused first", `document.activeElement.classList.contains("skip-link")`)
	p.do(chromedp.KeyEvent(kb.Enter))
	p.waitJS("focus on <main>", `document.activeElement && document.activeElement.id === "main"`)
	for i := 0; ; i++ {
		if i == 60 {
			t.Fatalf("no <summary> of an add form reached with Tab")
		}
		p.do(chromedp.KeyEvent(kb.Tab))
		if eval[bool](p, `document.activeElement.tagName === "SUMMARY"`) {
			break
		}
	}
	p.do(chromedp.KeyEvent(kb.Enter))
	p.waitJS("the form to open with Enter", `document.activeElement.parentElement.open === true`)

	// A phone.
	phone := s.newPerson(t, "coordinator on a phone", "", chromedp.EmulateViewport(360, 740, chromedp.EmulateMobile, chromedp.EmulateTouch, chromedp.EmulatePortrait, chromedp.EmulateScale(2)))
	teamLogin(phone, s.env.CoordinatorEmail, s.env.CoordinatorPassword)
	for _, path := range []string{"/teams", "/teams/new", demoTeam, invites} {
		teamOpen(phone, path, "sv")
		teamNoSideScroll(phone, path)
	}
	phone.do(chromedp.Click(chromedp.CSS(`#member-demo-guardian2 form[action$="/links/demo-guardian2"] button`)))
	teamWait(phone, "the link shown once", `!!document.getElementById("invite-link")`)
	teamNoSideScroll(phone, "the link shown once")
	axeCheck(phone, "the link shown once at 360 px")
}
