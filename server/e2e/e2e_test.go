// Package e2e holds the browser tests: the real server (servertest) driven by a real
// Chromium through chromedp, one isolated browser context per person, so each person has
// their own cookies, WebSocket and tab.
//
// They run only with BARNTEAM_E2E=1:
//
//	BARNTEAM_E2E=1 go test -race -count=1 ./server/e2e/ -v
//
// Chromium is looked up as BARNTEAM_CHROMIUM (a path or a name on PATH), default
// "chromium" (Debian: apt-get install chromium). With BARNTEAM_E2E=1 and no Chromium the
// tests fail; they never skip silently.
//
// Rules these tests keep: every wait is a poll with a deadline (never a sleep), every
// test has a context deadline, every click is a real click (chromedp.Submit would bypass
// the page's JavaScript), and every keystroke is a real key event.
package e2e

import (
	"context"
	_ "embed"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/barnteam/barnteam/server/servertest"
)

const (
	envEnable   = "BARNTEAM_E2E"
	envChromium = "BARNTEAM_CHROMIUM"

	// waitLimit bounds one wait for something to appear in a page.
	waitLimit = 15 * time.Second
	// pollEvery is how often a wait checks its condition.
	pollEvery = 25 * time.Millisecond
)

// axeSource is axe-core (MPL-2.0, see testdata/AXE-LICENSE.txt), injected into pages.
//
//go:embed testdata/axe.min.js
var axeSource string

// chromiumPath returns the Chromium to use, or skips the test when browser tests are not
// enabled. Enabled and missing is a failure.
func chromiumPath(t *testing.T) string {
	t.Helper()
	if os.Getenv(envEnable) != "1" {
		t.Skipf("browser tests are off: run them with %s=1 (needs Chromium; set %s to its path if it is not \"chromium\" on PATH)", envEnable, envChromium)
	}
	name := os.Getenv(envChromium)
	if name == "" {
		name = "chromium"
	}
	p, err := exec.LookPath(name)
	if err != nil {
		t.Fatalf("%s=1 but Chromium was not found: %s=%q: %v\n"+
			"Install it (Debian: apt-get install chromium) or point %s at the browser binary.",
			envEnable, envChromium, name, err, envChromium)
	}
	return p
}

// coordinatorID is the demo's Stödsamordnare, who signs in with an account; everyone else
// comes in with a personal link.
const coordinatorID = "demo-coord"

// suite is one test's server and browser.
type suite struct {
	t       *testing.T
	env     *servertest.Env
	browser context.Context // the browser's first context; people are isolated children
	// hosts are the coordinators on their boards who let people in, by the test they
	// belong to (see host).
	hosts map[*testing.T]*person
}

// start starts the server (demo team seeded) and a headless Chromium. Everything stops
// when the test ends or after limit, whichever comes first.
func start(t *testing.T, limit time.Duration) *suite {
	t.Helper()
	return startWith(t, limit, servertest.Options{})
}

// startWith is start with server options (the server's log is the suite's own).
func startWith(t *testing.T, limit time.Duration, opt servertest.Options) *suite {
	t.Helper()
	path := chromiumPath(t)

	serverLog := &servertest.LogBuffer{}
	opt.Log = serverLog
	env := servertest.Start(t, opt)

	ctx, cancel := context.WithTimeout(context.Background(), limit)
	t.Cleanup(cancel)

	browserLog := &servertest.LogBuffer{}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 900),
		chromedp.CombinedOutput(browserLog),
	)
	allocCtx, allocCancel := chromedp.NewExecAllocator(ctx, opts...)
	t.Cleanup(allocCancel)
	browserCtx, browserCancel := chromedp.NewContext(allocCtx)
	t.Cleanup(browserCancel)

	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("server log:\n%s", serverLog.String())
			// Without D-Bus (containers) Chromium logs many harmless dbus errors.
			var lines []string
			for _, l := range strings.Split(browserLog.String(), "\n") {
				if strings.TrimSpace(l) != "" && !strings.Contains(l, "dbus") {
					lines = append(lines, l)
				}
			}
			if len(lines) > 0 {
				t.Logf("chromium output:\n%s", strings.Join(lines, "\n"))
			}
		}
	})

	// The first Do starts the browser; isolated contexts can be made only after that.
	if err := chromedp.Do(browserCtx); err != nil {
		t.Fatalf("start Chromium %s: %v", path, err)
	}
	return &suite{t: t, env: env, browser: browserCtx, hosts: map[*testing.T]*person{}}
}

// person is one participant: an isolated browser context (own cookies) with one tab.
type person struct {
	s      *suite
	t      *testing.T
	name   string // for messages
	member string
	ctx    context.Context

	mu       sync.Mutex
	problems []string // uncaught exceptions and console errors in the page
}

// newPerson opens an isolated browser context. setup runs before anything is loaded
// (viewport emulation, for example).
// The person belongs to test t (the suite's test or one of its subtests) and is closed when
// t ends.
func (s *suite) newPerson(t *testing.T, name, member string, setup ...chromedp.Action[chromedp.Void]) *person {
	t.Helper()
	p := &person{s: s, t: t, name: name, member: member}
	ctx, cancel := chromedp.NewContext(s.browser,
		chromedp.WithNewBrowserContext(),
		chromedp.WithListener(p.listen),
	)
	t.Cleanup(cancel)
	p.ctx = ctx
	p.do(setup...) // the first Do opens the tab
	t.Cleanup(p.report)
	return p
}

// listen runs in the tab's event loop: it only records.
func (p *person) listen(ev any) {
	switch ev := ev.(type) {
	case *runtime.EventExceptionThrown:
		d := ev.ExceptionDetails
		msg := d.Text
		if d.Exception != nil && d.Exception.Description != "" {
			msg += " " + d.Exception.Description
		}
		p.note(fmt.Sprintf("uncaught exception at %s:%d: %s", d.URL, d.LineNumber+1, msg))
	case *runtime.EventConsoleAPICalled:
		if ev.Type != runtime.ConsoleAPICalledTypeError && ev.Type != runtime.ConsoleAPICalledTypeAssert {
			return
		}
		var parts []string
		for _, a := range ev.Args {
			if a.Description != "" {
				parts = append(parts, a.Description)
			} else {
				parts = append(parts, string(a.Value))
			}
		}
		p.note("console." + string(ev.Type) + ": " + strings.Join(parts, " "))
	}
}

func (p *person) note(s string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.problems = append(p.problems, s)
}

// report fails the test for JavaScript errors in the page.
func (p *person) report() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, s := range p.problems {
		p.t.Errorf("%s's page: %s", p.name, s)
	}
}

// do runs actions in this person's tab and fails the test on an error.
func (p *person) do(actions ...chromedp.Action[chromedp.Void]) {
	p.t.Helper()
	if err := chromedp.Do(p.ctx, actions...); err != nil {
		p.t.Fatalf("%s: %v", p.name, err)
	}
}

// eval evaluates a JavaScript expression (promises are awaited) in p's page.
func eval[T any](p *person, expr string) T {
	p.t.Helper()
	v, err := chromedp.Run(p.ctx, chromedp.Evaluate[T](expr, chromedp.EvalAwaitPromise))
	if err != nil {
		p.t.Fatalf("%s: evaluate %s: %v", p.name, short(expr), err)
	}
	return v
}

// waitJS waits until the JavaScript expression is truthy in p's page. what says what is
// awaited, for the failure message; on failure the page's sync state is shown too.
func (p *person) waitJS(what, expr string) {
	p.t.Helper()
	_, err := chromedp.Run(p.ctx, chromedp.Poll[chromedp.Void](expr,
		chromedp.WithPollingInterval(pollEvery), chromedp.WithPollingTimeout(waitLimit)))
	if err != nil {
		if errors.Is(err, chromedp.ErrPollingTimeout) {
			err = fmt.Errorf("not within %v", waitLimit)
		}
		p.t.Fatalf("%s: waiting for %s: %v (page state: %s)", p.name, what, err, p.state())
	}
}

// state describes the page briefly for failure messages.
func (p *person) state() string {
	ctx, cancel := context.WithTimeout(p.ctx, 2*time.Second)
	defer cancel()
	s, err := chromedp.Run(ctx, chromedp.Evaluate[string](`(() => {
		const st = document.getElementById("sync-status");
		return location.pathname + " sync=" + (st ? st.dataset.state : "none") +
			" focus=" + (document.activeElement ? document.activeElement.tagName + "#" + document.activeElement.id : "none");
	})()`))
	if err != nil {
		return "unknown: " + err.Error()
	}
	return s
}

// boardPath is the person's board address.
func (p *person) boardPath() string { return "/b/" + p.s.env.MeetingID + "/" + p.member + "/" }

// join brings the person onto their board, connected and saved, the way PROTOCOL.md
// "Getting in" says: the coordinator signs in at /login and opens the board (signIn);
// everyone else follows their personal link, confirms "this is me" and waits in the lobby
// (joinLobby) until a coordinator on their board clicks "Släpp in" (admit); the lobby page
// then turns into the board by itself, with nothing done in the person's tab.
func (p *person) join() {
	p.t.Helper()
	if p.member == coordinatorID {
		p.signIn()
		p.open(p.boardPath())
		p.waitBoard()
		if p.s.hosts[p.t] == nil {
			p.s.hosts[p.t] = p
			p.t.Cleanup(func() { delete(p.s.hosts, p.t) })
		}
		return
	}
	p.joinLobby()
	p.s.host(p.t).admit(p)
	p.waitBoard()
}

// host returns a coordinator on their board who lets people in: the first who joined in
// test t or in the suite's own test, or else a new one, opened in t for the purpose.
func (s *suite) host(t *testing.T) *person {
	t.Helper()
	if h := s.hosts[t]; h != nil {
		return h
	}
	if h := s.hosts[s.t]; h != nil {
		return h
	}
	h := s.newPerson(t, "coordinator letting people in", coordinatorID)
	h.join()
	return h
}

// memberName is a demo member's name as pages show it.
func (s *suite) memberName(member string) string {
	s.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	m, err := s.env.Store.Member(ctx, member)
	if err != nil {
		s.t.Fatalf("member %s: %v", member, err)
	}
	return m.Name
}

// signIn signs the demo coordinator in at /login: the e-mail and password typed into the
// form and a real click on its button.
func (p *person) signIn() {
	p.t.Helper()
	p.open("/login")
	p.waitJS("the login form", `!!document.querySelector('main form[action="/login"] button[type="submit"]')`)
	p.do(
		chromedp.SendKeys(chromedp.ID("email"), p.s.env.CoordinatorEmail),
		chromedp.SendKeys(chromedp.ID("password"), p.s.env.CoordinatorPassword),
		chromedp.Click(chromedp.CSS(`main form[action="/login"] button[type="submit"]`)),
	)
	p.waitAcrossNavigation("the page after signing in", `location.pathname !== "/login" && document.readyState === "complete"`)
}

// joinLobby follows the person's personal link: the token leaves the address bar at once
// for /join, where the person confirms with a real click on "Ja, det är jag" (in the
// page's language); the board's address then shows the lobby, waiting.
func (p *person) joinLobby() {
	p.t.Helper()
	link, ok := p.s.env.Links[p.member]
	if !ok {
		p.t.Fatalf("no demo member %q", p.member)
	}
	p.do(chromedp.Navigate(link))
	p.waitJoinPage()
	if href := eval[string](p, `location.href`); strings.Contains(href, link[strings.LastIndex(link, "/")+1:]) {
		p.t.Fatalf("%s: the address bar still holds the link's token: %s", p.name, href)
	}
	p.confirmJoin()
}

// joinButton is the "this is me" button on /join.
const joinButton = `main form[action="/join"] button[type="submit"]`

// waitJoinPage waits for /join with its "this is me" button.
func (p *person) waitJoinPage() {
	p.t.Helper()
	p.waitJS("the /join page", `location.pathname === "/join" && !!document.querySelector(`+jsString(joinButton)+`)`)
}

// confirmJoin clicks "this is me" on /join and waits for the lobby.
func (p *person) confirmJoin() {
	p.t.Helper()
	lang := eval[string](p, `document.documentElement.lang`)
	want := p.s.env.Catalog.T(lang, "join.yes")
	if got := strings.TrimSpace(eval[string](p, `document.querySelector(`+jsString(joinButton)+`).textContent`)); got != want {
		p.t.Fatalf("%s: the /join button says %q, want %q", p.name, got, want)
	}
	p.do(chromedp.Click(chromedp.CSS(joinButton)))
	p.waitLobby()
}

// waitLobby waits until the board's address shows the lobby page, waiting, and checks it
// holds no board content.
func (p *person) waitLobby() {
	p.t.Helper()
	p.waitAcrossNavigation("the lobby page", `location.pathname === `+jsString(p.boardPath())+` && document.readyState === "complete" &&
		!!document.querySelector("main.lobby") && document.getElementById("lobby-status")?.dataset.state === "waiting"`)
	if eval[bool](p, `!!document.querySelector('[id^="area-"], #agenda, #actions, #compass') || "seq" in document.getElementById("main").dataset`) {
		p.t.Fatalf("%s: the lobby page shows board content", p.name)
	}
}

// admit lets g in from the lobby: a real click on "Släpp in" (in this coordinator's
// language) next to g's name in the room-control region of the board, once g's lobby
// socket has put them in the lobby list.
func (c *person) admit(g *person) {
	c.t.Helper()
	name := c.s.memberName(g.member)
	button := fmt.Sprintf(`[...document.querySelectorAll("#room-control .lobby-entry")]
		.filter(li => [...li.querySelectorAll("bdi")].some(b => b.textContent === %s))
		.map(li => li.querySelector('input[name="decision"][value="admit"]'))
		.filter(Boolean).map(i => i.form.querySelector('button[type="submit"]'))`, jsString(name))
	c.waitJS(name+" with a button to let them in, in the lobby list", button+`.length === 1`)
	lang := eval[string](c, `document.documentElement.lang`)
	label := c.s.env.Catalog.T(lang, "lobby.admit")
	if got := strings.TrimSpace(eval[string](c, button+`[0].textContent`)); !strings.HasPrefix(got, label) {
		c.t.Fatalf("%s: the button to let %s in says %q, want %q", c.name, name, got, label)
	}
	c.do(chromedp.Click(chromedp.JSPath(button)))
	c.waitJS(name+" gone from the lobby list", button+`.length === 0`)
}

// waitBoard waits until the person's tab shows their board, connected with everything
// saved (after a reload by the page itself, too).
func (p *person) waitBoard() {
	p.t.Helper()
	p.waitAcrossNavigation("the board page", `location.pathname === `+jsString(p.boardPath())+` && document.readyState === "complete" &&
		!!document.getElementById("main") && "seq" in document.getElementById("main").dataset`)
	p.waitSaved()
}

// waitAcrossNavigation is waitJS for a condition that holds after the page navigates
// (a form post, a reload the page makes itself): a poll the navigation cuts short starts
// again on the new page, until the deadline.
func (p *person) waitAcrossNavigation(what, expr string) {
	p.t.Helper()
	deadline := time.Now().Add(waitLimit)
	var last error
	for {
		left := time.Until(deadline)
		if left <= 0 {
			break
		}
		_, err := chromedp.Run(p.ctx, chromedp.Poll[chromedp.Void](expr,
			chromedp.WithPollingInterval(pollEvery), chromedp.WithPollingTimeout(left)))
		if err == nil {
			return
		}
		if errors.Is(err, chromedp.ErrPollingTimeout) || p.ctx.Err() != nil {
			last = err
			break
		}
		last = err // the page went away under the poll: poll again on the next one
		select {
		case <-time.After(pollEvery):
		case <-p.ctx.Done():
		}
	}
	p.t.Fatalf("%s: waiting for %s: not within %v (last: %v; page state: %s)", p.name, what, waitLimit, last, p.state())
}

// open navigates to a URL of the server (path like "/b/…?lang=en" or "/").
func (p *person) open(path string) {
	p.t.Helper()
	p.do(chromedp.Navigate(p.s.env.URL + path))
	p.waitJS("page "+path+" to load", `document.readyState === "complete"`)
}

// waitSaved waits until the board's sync status says everything is saved (the client is
// connected and nothing is pending).
func (p *person) waitSaved() {
	p.t.Helper()
	p.waitJS(`#sync-status data-state="saved"`,
		`(() => { const s = document.getElementById("sync-status"); return !!s && s.dataset.state === "saved"; })()`)
}

// waitValue waits until the form control with this id has exactly this value.
func (p *person) waitValue(id, want string) {
	p.t.Helper()
	p.waitJS(fmt.Sprintf("#%s to read %q", id, want),
		fmt.Sprintf(`(() => { const e = document.getElementById(%s); return !!e && e.value === %s; })()`, jsString(id), jsString(want)))
}

// value reads a form control's value.
func (p *person) value(id string) string {
	p.t.Helper()
	return eval[string](p, fmt.Sprintf(`document.getElementById(%s).value`, jsString(id)))
}

// jsString quotes s as a JavaScript string literal.
func jsString(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"' || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r == '\n':
			b.WriteString(`\n`)
		case r < 0x20 || r == 0x2028 || r == 0x2029:
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}

func short(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > 80 {
		return s[:80] + "…"
	}
	return s
}
