package e2e

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/barnteam/barnteam/server/servertest"
)

// accRequest is one request the browser sent, as the DevTools protocol saw it.
type accRequest struct {
	id      string
	url     string
	referer string // the Referer header, "" when none was sent
	policy  string // the referrer policy the browser applied
	kind    string // resource type, or "websocket"
}

// accRecorder collects every request of a tab in the order the browser sent them, with
// the Referer header of the request and of its raw headers (ExtraInfo).
type accRecorder struct {
	mu   sync.Mutex
	reqs []accRequest
}

func accHeader(h network.Headers, name string) string {
	for k, v := range h {
		if strings.EqualFold(k, name) {
			return fmt.Sprint(v)
		}
	}
	return ""
}

// listen runs on the tab's event loop: it only records.
func (r *accRecorder) listen(ev any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	switch ev := ev.(type) {
	case *network.EventRequestWillBeSent:
		r.reqs = append(r.reqs, accRequest{id: string(ev.RequestID), url: ev.Request.URL + ev.Request.URLFragment,
			referer: accHeader(ev.Request.Headers, "Referer"), policy: string(ev.Request.ReferrerPolicy), kind: string(ev.Type)})
	case *network.EventRequestWillBeSentExtraInfo:
		// The headers as sent on the wire: a Referer here counts too.
		if ref := accHeader(ev.Headers, "Referer"); ref != "" {
			r.reqs = append(r.reqs, accRequest{id: string(ev.RequestID), url: "(raw headers of " + string(ev.RequestID) + ")", referer: ref, kind: "extra"})
		}
	case *network.EventWebSocketCreated:
		r.reqs = append(r.reqs, accRequest{id: string(ev.RequestID), url: ev.URL, kind: "websocket"})
	case *network.EventWebSocketWillSendHandshakeRequest:
		if ev.Request != nil {
			if ref := accHeader(ev.Request.Headers, "Referer"); ref != "" {
				r.reqs = append(r.reqs, accRequest{id: string(ev.RequestID), url: "(websocket handshake " + string(ev.RequestID) + ")", referer: ref, kind: "websocket"})
			}
		}
	}
}

func (r *accRecorder) all() []accRequest {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]accRequest(nil), r.reqs...)
}

// accNetwork switches the tab's network events on and records them.
func accNetwork(p *person) *accRecorder {
	p.t.Helper()
	rec := &accRecorder{}
	if err := chromedp.Listen(p.ctx, rec.listen); err != nil {
		p.t.Fatal(err)
	}
	p.do(chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
		_, err := chromedp.Call(ctx, network.Enable, network.EnableParams{})
		return err
	}))
	return rec
}

// accHistory is the tab's session history as the browser keeps it.
func accHistory(p *person) []*page.NavigationEntry {
	p.t.Helper()
	var res page.GetNavigationHistoryResult
	p.do(chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
		var err error
		res, err = chromedp.Call(ctx, page.GetNavigationHistory, cdp.Empty{})
		return err
	}))
	return res.Entries
}

// accWaitJS waits until the JavaScript expression is truthy in p's page, like waitJS, but
// lives through navigations: an evaluation that fails because the page is being replaced
// is tried again, until the deadline.
func accWaitJS(p *person, what, expr string) {
	p.t.Helper()
	deadline := time.Now().Add(waitLimit)
	var last error
	for {
		ctx, cancel := context.WithTimeout(p.ctx, 2*time.Second)
		ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool]("!!("+expr+")"))
		cancel()
		if err == nil && ok {
			return
		}
		if err != nil {
			last = err
		}
		if time.Now().After(deadline) {
			p.t.Fatalf("%s: waiting for %s: not within %v (last error: %v; page state: %s)", p.name, what, waitLimit, last, p.state())
		}
		time.Sleep(pollEvery)
	}
}

// accLoginHTTP signs a staff user in from Go (not the browser) and returns the client.
func accLoginHTTP(t *testing.T, env *servertest.Env, email, password string) *http.Client {
	t.Helper()
	c := servertest.NewClient()
	noRedirect := &http.Client{Jar: c.Jar, Timeout: c.Timeout, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := noRedirect.PostForm(env.URL+"/login", url.Values{"email": {email}, "password": {password}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("login %s: status %d", email, resp.StatusCode)
	}
	return c
}

// TestAccessTokenLeavesAddressAndReferer: a guest follows their personal link, confirms
// "this is me", waits in the lobby and is let in. At no step after the landing is the
// token in the address bar, in a session history entry or in the page; no request after
// the landing carries it, and no request sends a Referer at all.
func TestAccessTokenLeavesAddressAndReferer(t *testing.T) {
	s := start(t, 60*time.Second)
	link := s.env.Links["demo-guardian1"]
	token := link[strings.LastIndex(link, "/")+1:]
	p := s.newPerson(t, "guardian", "demo-guardian1")
	rec := accNetwork(p)

	type stepView struct {
		name    string
		href    string
		length  int
		entries []*page.NavigationEntry
	}
	var steps []stepView
	look := func(name string) {
		t.Helper()
		v := stepView{name: name, href: eval[string](p, `location.href`), length: eval[int](p, `history.length`), entries: accHistory(p)}
		if strings.Contains(eval[string](p, `document.documentElement.outerHTML`), token) {
			t.Errorf("%s: the page holds the token", name)
		}
		steps = append(steps, v)
	}

	// 1. The link: the browser lands on the language choice and "this is me".
	p.do(chromedp.Navigate(link))
	accWaitJS(p, "the join page", `location.pathname === "/join" && !!document.querySelector('form[action="/join"] button[type="submit"]')`)
	look("join page")

	// 2. "Yes, this is me" (a real click): the lobby.
	board := "/b/" + s.env.MeetingID + "/demo-guardian1/"
	p.do(chromedp.Click(chromedp.CSS(`form[action="/join"] button[type="submit"]`)))
	accWaitJS(p, "the lobby page", `location.pathname === `+jsString(board)+` && !!document.getElementById("lobby-status")`)
	waitSocket := func(what string, n int) {
		t.Helper()
		deadline := time.Now().Add(waitLimit)
		for {
			count := 0
			for _, r := range rec.all() {
				if r.kind == "websocket" && r.url != "" && !strings.HasPrefix(r.url, "(") {
					count++
				}
			}
			if count >= n {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("waiting for %s: no WebSocket within %v", what, waitLimit)
			}
			time.Sleep(pollEvery)
		}
	}
	waitSocket("the lobby socket", 1)
	look("lobby")

	// 3. The coordinator lets them in (from Go, with the lobby list's key): the page
	// reloads into the board.
	coord := accLoginHTTP(t, s.env, s.env.CoordinatorEmail, s.env.CoordinatorPassword)
	resp, err := coord.Get(s.env.URL + "/b/" + s.env.MeetingID + "/demo-coord/")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	keys := map[string]bool{} // each waiting session has an admit and a turn-away form
	key := ""
	for _, m := range regexp.MustCompile(`name="key" value="([0-9a-f]{64})"`).FindAllStringSubmatch(string(body), -1) {
		keys[m[1]], key = true, m[1]
	}
	if len(keys) != 1 {
		t.Fatalf("the coordinator's lobby list has %d waiting sessions, want 1", len(keys))
	}
	resp, err = coord.PostForm(s.env.URL+"/b/"+s.env.MeetingID+"/demo-coord/lobby", url.Values{"key": {key}, "decision": {"admit"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	accWaitJS(p, "the board after admission", `location.pathname === `+jsString(board)+` && !!document.querySelector("main[data-seq]")`)
	p.waitSaved()
	waitSocket("the board socket", 2)
	look("board")

	// Back and forward through what the history holds: nothing with the token.
	for _, v := range steps {
		t.Logf("%s: %s, history.length %d", v.name, v.href, v.length)
		if strings.Contains(v.href, token) {
			t.Errorf("%s: the token is in the address bar: %s", v.name, v.href)
		}
		for i, e := range v.entries {
			if strings.Contains(e.URL, token) {
				t.Errorf("%s: history entry %d holds the token: %s", v.name, i, e.URL)
			}
		}
	}
	if first, last := steps[0], steps[len(steps)-1]; last.length > first.length+1 {
		t.Errorf("history grew from %d to %d entries: the lobby's reload or a redirect added entries", first.length, last.length)
	}

	// Every request: none after the landing carries the token; none sends a Referer.
	reqs := rec.all()
	landing := -1
	for i, r := range reqs {
		if strings.Contains(r.url, "/j/"+token) {
			if landing >= 0 {
				t.Errorf("the link was requested again (request %d): %s", i, r.url)
			}
			landing = i
		}
	}
	if landing < 0 {
		t.Fatalf("the landing request was not seen among %d requests", len(reqs))
	}
	for i, r := range reqs {
		if i > landing && strings.Contains(r.url, token) {
			t.Errorf("request %d after the landing carries the token: %s", i, r.url)
		}
		if r.referer != "" {
			t.Errorf("request %d (%s %s) sent Referer %q", i, r.kind, r.url, r.referer)
		}
		if strings.Contains(r.referer, token) {
			t.Errorf("request %d leaks the token in its Referer", i)
		}
	}
	t.Logf("%d requests after the landing, none with the token or a Referer", len(reqs)-landing-1)

	// The instrument works: a request that asks for a Referer despite the page's policy
	// is seen with one (so "no Referer" above is a finding, not a blind spot).
	n := len(reqs)
	eval[bool](p, `fetch("/healthz?probe=1", {referrerPolicy: "unsafe-url"}).then(() => true)`)
	deadline := time.Now().Add(waitLimit)
	for seen := false; !seen; {
		for _, r := range rec.all()[n:] {
			seen = seen || (strings.Contains(r.url, "probe=1") && strings.Contains(r.referer, board))
		}
		if !seen && time.Now().After(deadline) {
			t.Fatalf("the recorder did not see the probe's Referer: %+v", rec.all()[n:])
		}
		time.Sleep(pollEvery)
	}
}

// TestAccessAxeAccountPages: axe-core finds no WCAG 2.1 A/AA violation on the first
// administrator's setup page, the one-time password page and the change-password page (and
// the login page on the way), in Swedish and English, also when a form shows an error.
func TestAccessAxeAccountPages(t *testing.T) {
	s := start(t, 90*time.Second)
	ctx := context.Background()
	langs := []string{"sv", "en"}
	check := func(p *person, what, path, ready string) {
		t.Helper()
		for _, lang := range langs {
			p.do(chromedp.Navigate(s.env.URL + path + "?lang=" + lang))
			accWaitJS(p, what+" in "+lang, `document.documentElement.lang === `+jsString(lang)+` && document.readyState === "complete" && (`+ready+`)`)
			axeCheck(p, what+" ("+lang+")")
		}
	}

	t.Run("setup", func(t *testing.T) {
		link, err := s.env.Server.Accounts().SetupLink(ctx)
		if err != nil || link == "" {
			t.Fatalf("setup link: %q %v", link, err)
		}
		p := s.newPerson(t, "administrator-to-be", "")
		p.do(chromedp.Navigate(link))
		accWaitJS(p, "the setup page", `location.pathname === "/account/link" && !!document.getElementById("name")`)
		check(p, "the setup page", "/account/link", `!!document.getElementById("name")`)
		// With an error: two different passwords.
		p.do(
			chromedp.SendKeys(chromedp.ID("name"), "Ada Admin"),
			chromedp.SendKeys(chromedp.ID("email"), "ada@acc.example.se"),
			chromedp.SendKeys(chromedp.ID("password"), "ett långt lösenord"),
			chromedp.SendKeys(chromedp.ID("password2"), "ett annat lösenord"),
			chromedp.Click(chromedp.CSS(`form[action="/account/link"] button[type="submit"]`)),
		)
		accWaitJS(p, "the setup page with an error", `!!document.querySelector('[aria-invalid="true"]')`)
		axeCheck(p, "the setup page with an error (en)")
	})

	t.Run("password link", func(t *testing.T) {
		link, err := s.env.Server.Accounts().PasswordLink(ctx, "demo-user-coord")
		if err != nil {
			t.Fatal(err)
		}
		p := s.newPerson(t, "coordinator with a password link", "")
		p.do(chromedp.Navigate(link))
		accWaitJS(p, "the password page", `location.pathname === "/account/link" && !!document.getElementById("password2")`)
		check(p, "the password link page", "/account/link", `!!document.getElementById("password2")`)
	})

	t.Run("change password", func(t *testing.T) {
		p := s.newPerson(t, "coordinator", "")
		check(p, "the login page", "/login", `!!document.getElementById("email")`)
		p.do(chromedp.Navigate(s.env.URL + "/login?lang=sv"))
		accWaitJS(p, "the login page", `document.readyState === "complete" && !!document.getElementById("email")`)
		p.do(
			chromedp.SendKeys(chromedp.ID("email"), s.env.CoordinatorEmail),
			chromedp.SendKeys(chromedp.ID("password"), s.env.CoordinatorPassword),
			chromedp.Click(chromedp.CSS(`form[action="/login"] button[type="submit"]`)),
		)
		accWaitJS(p, "signed in", `location.pathname !== "/login" && document.readyState === "complete"`)
		check(p, "the change-password page", "/account/password", `!!document.getElementById("current")`)
		// With an error: a wrong current password.
		p.do(
			chromedp.SendKeys(chromedp.ID("current"), "fel lösenord"),
			chromedp.SendKeys(chromedp.ID("password"), "ett nytt långt lösenord"),
			chromedp.SendKeys(chromedp.ID("password2"), "ett nytt långt lösenord"),
			chromedp.Click(chromedp.CSS(`form[action="/account/password"] button[type="submit"]`)),
		)
		accWaitJS(p, "the change-password page with an error", `!!document.querySelector('[aria-invalid="true"]')`)
		axeCheck(p, "the change-password page with an error (en)")
	})
}
