package e2e

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/barnteam/barnteam/server/board"
)

// The administration in a real browser: axe-core on every page (Swedish and English,
// including an error state and the page that shows a one-time link), a 360 px phone, and
// a form filled in and sent with the keyboard only.

const (
	adminE2EEmail    = "ada.admin@kommun.example"
	adminE2EPassword = "Adas långa lösenord för test"
)

// adminE2EUser writes an administrator into the suite's store.
func adminE2EUser(t *testing.T, s *suite) {
	t.Helper()
	s.env.StaffUser(t, board.User{ID: "e2e-admin", Email: adminE2EEmail, Name: "Ada Admin", OrgID: "demo-ifo", Title: "Systemförvaltare", Admin: true}, adminE2EPassword)
}

// adminSignIn fills in the login form as a person does (key events, a click on the
// button) and waits for the administration's landing page.
func adminSignIn(p *person) {
	p.t.Helper()
	adminOpen(p, "/login?next=/admin", `!!document.getElementById("email")`)
	adminSubmit(p, "the login form", http.StatusOK,
		chromedp.SendKeys(chromedp.ID("email"), adminE2EEmail),
		chromedp.SendKeys(chromedp.ID("password"), adminE2EPassword),
		chromedp.Click(chromedp.CSS(`main form button[type="submit"]`)),
	)
	adminWait(p, "the administration after signing in", `location.pathname === "/admin" && document.readyState === "complete" && !!document.querySelector('a[href="/admin/audit"]')`)
}

// adminSubmit runs actions that send a form and waits until the page they lead to has
// loaded; its status must be want.
func adminSubmit(p *person, what string, want int64, actions ...chromedp.Action[chromedp.Void]) {
	p.t.Helper()
	resp, err := chromedp.RunResponse(p.ctx, actions...)
	if err != nil {
		p.t.Fatalf("%s: sending %s: %v", p.name, what, err)
	}
	if resp.Status != want {
		p.t.Fatalf("%s: sending %s: status %d, want %d", p.name, what, resp.Status, want)
	}
}

// adminOpen loads a page of the server and waits until it is complete and expr is true.
// It does not use the shared poll helper: that can ask a page's JavaScript context that
// a navigation has just replaced ("Cannot find context"), so this wait retries.
func adminOpen(p *person, path, expr string) {
	p.t.Helper()
	resp, err := chromedp.RunResponse(p.ctx, chromedp.Navigate(p.s.env.URL+path))
	if err != nil {
		p.t.Fatalf("%s: open %s: %v", p.name, path, err)
	}
	if resp.Status != http.StatusOK {
		p.t.Fatalf("%s: open %s: status %d", p.name, path, resp.Status)
	}
	adminWait(p, "page "+path, `document.readyState === "complete" && (`+expr+`)`)
}

// adminWait polls a JavaScript condition until it holds, within waitLimit. An evaluation
// that fails (a page in the middle of loading) counts as not yet.
func adminWait(p *person, what, expr string) {
	p.t.Helper()
	deadline := time.Now().Add(waitLimit)
	tick := time.NewTicker(pollEvery)
	defer tick.Stop()
	var lastErr error
	for {
		ctx, cancel := context.WithTimeout(p.ctx, 2*time.Second)
		ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`!!(`+expr+`)`))
		cancel()
		if err == nil && ok {
			return
		}
		lastErr = err
		if time.Now().After(deadline) {
			p.t.Fatalf("%s: waiting for %s: not within %v (last error: %v)", p.name, what, waitLimit, lastErr)
		}
		select {
		case <-tick.C:
		case <-p.ctx.Done():
			p.t.Fatalf("%s: waiting for %s: %v", p.name, what, p.ctx.Err())
		}
	}
}

// adminPages are the administration's pages that a GET shows.
var adminPages = []string{
	"/admin",
	"/admin/orgs",
	"/admin/orgs/demo-skola",
	"/admin/users",
	"/admin/users/new",
	"/admin/users/demo-user-coord",
	"/admin/audit",
	"/admin/audit?team=demo-team",
}

// axe-core finds no WCAG 2.1 A/AA violation on any administration page, in Swedish and
// English, nor on a refused form, nor on the page that shows a new user's one-time link.
func TestAdminAccessibility(t *testing.T) {
	s := start(t, 120*time.Second)
	adminE2EUser(t, s)
	// The demo coordinator opens the board, so the audit log has a child's rows.
	resp, err := s.env.Client(t, "demo-coord").Get(s.env.BoardURL("demo-coord"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()

	p := s.newPerson(t, "administrator", "")
	adminSignIn(p)
	for _, lang := range []string{"sv", "en"} {
		{
			for _, path := range adminPages {
				sep := "?"
				if strings.Contains(path, "?") {
					sep = "&"
				}
				adminOpen(p, path+sep+"lang="+lang, `document.documentElement.lang === `+jsString(lang)+` && !!document.querySelector("main h1")`)
				axeCheck(p, path+" ("+lang+")")
			}

			// A refused form: the error summary, the message on the field, aria-invalid.
			adminOpen(p, "/admin/orgs", `!!document.getElementById("name")`)
			adminSubmit(p, "an empty organisation name", http.StatusUnprocessableEntity,
				chromedp.SendKeys(chromedp.ID("name"), "   "),
				chromedp.Click(chromedp.CSS(`form[action="/admin/orgs"] button[type="submit"]`)),
			)
			adminWait(p, "the refused organisation form", `!!document.getElementById("error-summary") && document.getElementById("name").getAttribute("aria-invalid") === "true"`)
			axeCheck(p, "the refused organisation form ("+lang+")")

			// A new staff member: the page that shows the one-time link once.
			adminOpen(p, "/admin/users/new", `!!document.getElementById("email")`)
			adminSubmit(p, "the new staff member", http.StatusOK,
				chromedp.SendKeys(chromedp.ID("email"), "ny."+lang+"@kommun.example"),
				chromedp.SendKeys(chromedp.ID("name"), "Nora Ny "+lang),
				chromedp.SendKeys(chromedp.ID("title"), "Kurator"),
				chromedp.Click(chromedp.CSS(`form[action="/admin/users"] button[type="submit"]`)),
			)
			adminWait(p, "the one-time link page", `(() => { const l = document.getElementById("link"); return !!l && l.value.startsWith(`+jsString(s.env.URL+"/a/")+`); })()`)
			// With JavaScript the copy button shows; axe checks it too.
			adminWait(p, "the copy button", `!document.querySelector('button[data-copy="link"]').hidden`)
			axeCheck(p, "the one-time link page ("+lang+")")
		}
	}
}

// On a 360 px wide phone no administration page scrolls sideways: wide tables scroll
// inside their own focusable region, and every form control is on the screen.
func TestAdminNarrowPhone(t *testing.T) {
	s := start(t, 90*time.Second)
	adminE2EUser(t, s)
	phone := chromedp.EmulateViewport(360, 740, chromedp.EmulateMobile, chromedp.EmulateTouch, chromedp.EmulatePortrait, chromedp.EmulateScale(2))
	p := s.newPerson(t, "administrator on a phone", "", phone)
	adminSignIn(p)
	for _, path := range adminPages {
		adminOpen(p, path, `!!document.querySelector("main h1")`)
		if w := eval[int](p, `document.documentElement.scrollWidth`); w > 360 {
			wide := eval[string](p, `[...document.querySelectorAll("body *")].filter(e => !e.closest(".table-scroll") && e.getBoundingClientRect().right > 360.5)
				.slice(0, 8).map(e => e.tagName.toLowerCase() + (e.id ? "#" + e.id : "") + " right=" + Math.round(e.getBoundingClientRect().right)).join("\n")`)
			t.Errorf("%s: scrollWidth %d > 360; past the right edge:\n%s", path, w, wide)
		}
		if out := eval[string](p, `[...document.querySelectorAll("input:not([type=hidden]), select, textarea, button")]
			.filter(e => e.getClientRects().length > 0 && !e.closest(".table-scroll"))
			.filter(e => { const r = e.getBoundingClientRect(); return r.left < -0.5 || r.right > 360.5; })
			.map(e => e.outerHTML.slice(0, 80)).join("\n")`); out != "" {
			t.Errorf("%s: form controls outside the 360 px screen:\n%s", path, out)
		}
	}
	axeCheck(p, "the audit log at 360 px")
}

// The keyboard alone adds an organisation: Tab reaches the form's fields, typing fills
// them, Enter on the button sends it, and the confirmation is shown.
func TestAdminKeyboardOnly(t *testing.T) {
	s := start(t, 60*time.Second)
	adminE2EUser(t, s)
	p := s.newPerson(t, "administrator", "")
	adminSignIn(p)
	adminOpen(p, "/admin/orgs", `!!document.getElementById("name")`)
	tabTo := func(id string) {
		t.Helper()
		for range 60 {
			p.do(chromedp.KeyEvent(kb.Tab))
			if eval[string](p, `document.activeElement ? document.activeElement.id : ""`) == id {
				return
			}
		}
		t.Fatalf("Tab never reached #%s", id)
	}
	tabTo("name")
	p.do(chromedp.KeyEvent("Familjecentralen Norr"))
	p.do(chromedp.KeyEvent(kb.Tab))
	if got := eval[string](p, `document.activeElement.id`); got != "huvudman" {
		t.Fatalf("Tab after the name went to #%s, want the huvudman choice", got)
	}
	p.do(chromedp.KeyEvent(kb.Tab))
	if !eval[bool](p, `document.activeElement.matches('form[action="/admin/orgs"] button[type="submit"]')`) {
		t.Fatal("Tab after the huvudman choice did not reach the form's button")
	}
	adminSubmit(p, "the organisation with Enter", http.StatusOK, chromedp.KeyEvent(kb.Enter))
	adminWait(p, "the confirmation after adding", `location.search === "?done=org_created" && !!document.querySelector(".flash") &&
		[...document.querySelectorAll("main table bdi")].some(b => b.textContent === "Familjecentralen Norr")`)
	// Focus is visible: the focused element has an outline.
	p.do(chromedp.KeyEvent(kb.Tab))
	if eval[string](p, `getComputedStyle(document.activeElement).outlineStyle`) == "none" {
		t.Error("the focused element has no visible outline")
	}
}
