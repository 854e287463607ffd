package server_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/barnteam/barnteam/server/board"
	"github.com/barnteam/barnteam/server/demo"
	"github.com/barnteam/barnteam/server/realtime"
	"github.com/barnteam/barnteam/server/servertest"
)

// The child view, child mode (an adult's device handed to the child) and the room's shared
// screen, over HTTP and the real WebSocket. The browser half (the answer reaching the
// board within a second, the keyboard-only flow, axe-core) is in e2e/child_test.go.

// screenOpen has the coordinator open a shared screen; it returns the display's link and
// short code as the page shows them.
func screenOpen(t *testing.T, env *servertest.Env, coord *http.Client) (link, code string) {
	t.Helper()
	resp, body := accPost(t, coord, accRoomPath(env, "demo-coord", "display"), nil, nil)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("open the shared screen: status %d\n%s", resp.StatusCode, accShort(body))
	}
	m := regexp.MustCompile(`id="display-link" [^>]*value="([^"]+)"`).FindStringSubmatch(body)
	c := regexp.MustCompile(`class="display-code"[^>]*>.*?<code>([0-9A-Z]{4}-[0-9A-Z]{4})</code>`).FindStringSubmatch(body)
	if m == nil || c == nil {
		t.Fatalf("the display page shows no link or no code:\n%s", accShort(body))
	}
	return m[1], c[1]
}

// screenClient opens a shared screen's link in a fresh browser and returns it, at the
// screen's page.
func screenClient(t *testing.T, link string) *http.Client {
	t.Helper()
	c := servertest.NewClient()
	resp, body := accGet(t, c, link)
	if resp.StatusCode != http.StatusOK || resp.Request.URL.Path != "/screen/view" {
		t.Fatalf("the screen's link: status %d at %s\n%s", resp.StatusCode, resp.Request.URL.Path, accShort(body))
	}
	return c
}

// screenDial opens a shared screen's socket.
func screenDial(t *testing.T, env *servertest.Env, c *http.Client) *accWS {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), accWait)
	defer cancel()
	u := strings.Replace(env.URL, "http://", "ws://", 1) + "/screen/ws"
	ws, resp, err := websocket.Dial(ctx, u, &websocket.DialOptions{HTTPClient: c, HTTPHeader: http.Header{"Origin": {env.URL}}})
	if err != nil {
		status := 0
		if resp != nil {
			status = resp.StatusCode
		}
		t.Fatalf("open the screen's socket: %v (HTTP %d)", err, status)
	}
	ws.SetReadLimit(16 << 20)
	return accWrap(t, "screen", ws)
}

// childOf decodes the child's answer in a message's structured compass entry ("change"
// of an event), if the message carries one.
func childAnswerIn(t *testing.T, m accMsg) (board.ChildAnswer, bool) {
	t.Helper()
	var ev struct {
		Change struct {
			Compass *board.CompassEntry `json:"compass"`
		} `json:"change"`
	}
	if err := json.Unmarshal([]byte(m.Raw), &ev); err != nil {
		t.Fatal(err)
	}
	if ev.Change.Compass == nil {
		return board.ChildAnswer{}, false
	}
	return ev.Change.Compass.Child, true
}

// TestChildAnswerPrivateUntilShared: the child's rating and words reach the coordinator
// (structured and as HTML) and no one else: a guardian, a professional and the shared
// screen get the event's seq and nothing of the answer, not even in its HTML; once the
// child shares it everyone gets it; taking it back takes it away from them again.
func TestChildAnswerPrivateUntilShared(t *testing.T) {
	t.Parallel()
	env := servertest.Start(t, servertest.Options{})
	coordHTTP := accCoordinator(t, env)
	coord := accDial(t, env, coordHTTP, "demo-coord")
	child := accDial(t, env, accGuest(t, env, "demo-child"), "demo-child")
	guardian := accDial(t, env, accGuest(t, env, "demo-guardian1"), "demo-guardian1")
	teacher := accDial(t, env, accGuest(t, env, "demo-teacher"), "demo-teacher")
	link, _ := screenOpen(t, env, coordHTTP)
	screen := screenDial(t, env, screenClient(t, link))
	all := []*accWS{coord, child, guardian, teacher, screen}
	for _, w := range all {
		w.nextOf("snapshot", "welcome")
	}
	others := []*accWS{guardian, teacher, screen}
	// The other guardian's phone loses its connection now, and comes back after the
	// answer was shared and taken back again.
	guardian2HTTP := accGuest(t, env, "demo-guardian2")
	away := accDial(t, env, guardian2HTTP, "demo-guardian2")
	left := away.nextOf("welcome")
	away.close()

	const words = "Jag vill ha en kompis på rasten"
	send := func(op accOp) int64 {
		t.Helper()
		if err := child.ws.Write(context.Background(), websocket.MessageText, mustJSON(t, op)); err != nil {
			t.Fatal(err)
		}
		m := child.until("the child's own event", func(m accMsg) bool { return m.Change != nil && m.Change.CID == op.CID || m.T == "reject" })
		if m.T == "reject" {
			t.Fatalf("the child's op was refused: %s", m.Raw)
		}
		return m.Seq
	}
	eventAt := func(w *accWS, seq int64) accMsg {
		t.Helper()
		return w.until("event "+string(rune('0'+seq%10)), func(m accMsg) bool { return m.T == "event" && m.Seq == seq })
	}

	seqRate := send(accNewOp("rate", "compass/fritid", 0, map[string]any{"perspective": "child", "value": "2"}))
	seqWords := send(accNewOp("set", "compass/fritid", 0, map[string]any{"field": "child_words", "value": words}))
	for _, seq := range []int64{seqRate, seqWords} {
		m := eventAt(coord, seq)
		if a, _ := childAnswerIn(t, m); seq == seqWords && a.Words.Value != words {
			t.Errorf("the coordinator's event %d lacks the child's words: %+v", seq, a)
		}
		if seq == seqWords && !strings.Contains(m.HTMLText(), words) {
			t.Errorf("the coordinator's event %d shows no words", seq)
		}
		for _, w := range others {
			m := eventAt(w, seq)
			if a, _ := childAnswerIn(t, m); a != (board.ChildAnswer{}) {
				t.Errorf("%s got the child's unshared answer in event %d: %+v", w.name, seq, a)
			}
			if len(m.HTML) > 0 || m.Announce != "" {
				t.Errorf("%s got HTML or an announcement for the child's unshared answer: %s", w.name, accShort(m.Raw))
			}
		}
	}

	seqShare := send(accNewOp("share", "compass/fritid", 0, map[string]any{"shared": true}))
	for _, w := range others {
		m := eventAt(w, seqShare)
		if a, _ := childAnswerIn(t, m); a.Rating != "2" || a.Words.Value != words || !a.Shared {
			t.Errorf("%s: the shared answer arrived as %+v", w.name, a)
		}
		if !strings.Contains(m.HTMLText(), words) {
			t.Errorf("%s: the shared words are not in the event's HTML", w.name)
		}
		if w == screen && !strings.Contains(m.HTMLText(), `data-rating="2"`) {
			t.Errorf("the shared screen does not show the shared rating: %s", accShort(m.HTMLText()))
		}
	}

	seqBack := send(accNewOp("share", "compass/fritid", 0, map[string]any{"shared": false}))
	for _, w := range others {
		m := eventAt(w, seqBack)
		if a, _ := childAnswerIn(t, m); a != (board.ChildAnswer{}) {
			t.Errorf("%s: the answer taken back still arrived: %+v", w.name, a)
		}
		if len(m.HTML) == 0 {
			t.Errorf("%s got no HTML when the answer was taken back: its page would still show it", w.name)
		}
		if strings.Contains(m.HTMLText(), words) || m.Announce != "" {
			t.Errorf("%s: taking the answer back shows it or announces it: %s", w.name, accShort(m.Raw))
		}
	}
	// Back after all that: the events it missed carry nothing of the answer.
	ctx, cancel := context.WithTimeout(context.Background(), accWait)
	defer cancel()
	ws, _, err := env.Dial(ctx, guardian2HTTP, "demo-guardian2", left.Seq, left.Epoch)
	if err != nil {
		t.Fatal(err)
	}
	back := accWrap(t, "demo-guardian2 back", ws)
	if w := back.nextOf("welcome"); w.Resume != "events" {
		t.Fatalf("the returning guardian resumed with %q, want events", w.Resume)
	}
	for seq := left.Seq + 1; seq <= seqBack; seq++ {
		m := eventAt(back, seq)
		if a, _ := childAnswerIn(t, m); a != (board.ChildAnswer{}) {
			t.Errorf("the returning guardian got the child's answer, shared then and taken back since, in event %d: %+v", seq, a)
		}
		if strings.Contains(m.HTMLText(), words) {
			t.Errorf("the returning guardian got the child's words in event %d's HTML", seq)
		}
	}

	// Nothing of it anywhere in a fresh page or snapshot of the others.
	for _, member := range []string{"demo-guardian1", "demo-teacher"} {
		_, body := accGet(t, accGuest(t, env, member), env.BoardURL(member))
		if strings.Contains(body, words) {
			t.Errorf("%s's board page shows the child's words after they were taken back", member)
		}
	}
}

// TestScreenReadOnlyAndMinimal: the shared screen's socket refuses ops, is not shown as
// present, and receives the compass without the areas' texts (it shows only the drawing).
func TestScreenReadOnlyAndMinimal(t *testing.T) {
	t.Parallel()
	env := servertest.Start(t, servertest.Options{})
	coordHTTP := accCoordinator(t, env)
	coord := accDial(t, env, coordHTTP, "demo-coord")
	link, _ := screenOpen(t, env, coordHTTP)
	screenHTTP := screenClient(t, link)
	screen := screenDial(t, env, screenHTTP)
	snap := screen.nextOf("snapshot")
	var st struct {
		Compass []board.CompassEntry `json:"compass"`
	}
	if err := json.Unmarshal(snap.State, &st); err != nil {
		t.Fatal(err)
	}
	for _, e := range st.Compass {
		if e.Works.Value != "" || e.Worries.Value != "" || e.ChildVoice.Value != "" || e.GuardiansView.Value != "" {
			t.Errorf("the screen's snapshot holds the texts of %s", e.Area)
		}
	}
	if strings.Contains(snap.Raw, "Frånvaro på måndagar") {
		t.Errorf("the screen's snapshot holds a demo text of the compass")
	}
	var gotTargets []string
	for _, f := range snap.HTML {
		gotTargets = append(gotTargets, f.Target)
	}
	if strings.Join(gotTargets, ",") != "meeting-status,screen-now,screen-compass,screen-goals,screen-actions" {
		t.Errorf("the screen's regions are %v", gotTargets)
	}

	op := accNewOp("set", "compass/halsa", 0, map[string]any{"field": "works", "value": "Skärmen skriver"})
	if err := screen.ws.Write(context.Background(), websocket.MessageText, mustJSON(t, op)); err != nil {
		t.Fatal(err)
	}
	if m := screen.nextOf("reject", "event"); m.T != "reject" || m.Code != "forbidden" {
		t.Errorf("an op from the screen: %s, want a forbidden reject", accShort(m.Raw))
	}
	// A text written on the board reaches the screen as an event without the text.
	cop := accNewOp("set", "compass/halsa", accBoard(t, env).Compass["halsa"].Works.Rev, map[string]any{"field": "works", "value": "Sover bättre nu"})
	if err := coord.ws.Write(context.Background(), websocket.MessageText, mustJSON(t, cop)); err != nil {
		t.Fatal(err)
	}
	m := screen.until("the coordinator's edit", func(m accMsg) bool { return m.Change != nil && m.Change.CID == cop.CID })
	if strings.Contains(m.Raw, "Sover bättre") {
		t.Errorf("the screen received the text of an area: %s", accShort(m.Raw))
	}
	p := coord.until("presence", func(m accMsg) bool { return m.T == "presence" })
	for _, id := range p.PeopleIDs() {
		if id == "" {
			t.Errorf("the screen is shown as present: %v", p.PeopleIDs())
		}
	}
	if accBoard(t, env).Compass["halsa"].Works.Value != "Sover bättre nu" {
		t.Errorf("the screen's op changed the board")
	}

	// What is written on the agenda and in the plan stays off the room's computer: its
	// HTML shows the current item's notes and where the plan stands, nothing more.
	const decision, parked, reason = "Beslut som skärmen inte ska ha", "Parkerat som skärmen inte ska ha", "Anledning som skärmen inte ska ha"
	item := accBoard(t, env).AgendaList()[2] // not the current item
	for _, op := range []accOp{
		accNewOp("set", "agenda/"+item.ID, item.Decisions.Rev, map[string]any{"field": "decisions", "value": decision}),
		accNewOp("set", "agenda/"+item.ID, item.Parked.Rev, map[string]any{"field": "parked", "value": parked}),
		accNewOp("set", "plan", accBoard(t, env).Plan.Reason.Rev, map[string]any{"field": "reason", "value": reason}),
	} {
		if m := coord.do(op); m.T != "event" {
			t.Fatalf("the coordinator's %v: %s", op, accShort(m.Raw))
		}
		m := screen.until("the coordinator's edit", func(m accMsg) bool { return m.Change != nil && m.Change.CID == op.CID })
		for _, text := range []string{decision, parked, reason} {
			if strings.Contains(m.Raw, text) {
				t.Errorf("the screen's event holds %q", text)
			}
		}
	}
	again := screenDial(t, env, screenHTTP).nextOf("snapshot")
	for _, text := range []string{decision, parked, reason, "Syftet med mötet"} {
		if strings.Contains(again.Raw, text) {
			t.Errorf("the screen's snapshot holds %q", text)
		}
	}
}

// TestScreenOpenCodeAndClose: only the meeting's leader opens a shared screen; its code
// works once and its link for minutes only, while the screen opened lasts the day; a
// wrong code is refused, many wrong codes are limited; closing the screens closes their
// sockets with 4403 at once and the page sends the room computer back to the code form.
func TestScreenOpenCodeAndClose(t *testing.T) {
	t.Parallel()
	clock := newAccClock()
	env := servertest.Start(t, servertest.Options{Now: clock.Now})
	coordHTTP := accCoordinator(t, env)
	for _, member := range []string{"demo-guardian1", "demo-teacher", "demo-child"} {
		resp, _ := accPost(t, accGuest(t, env, member), accRoomPath(env, member, "display"), nil, nil)
		if resp.StatusCode != http.StatusForbidden {
			t.Errorf("%s opening a shared screen: status %d, want 403", member, resp.StatusCode)
		}
	}
	if n := len(accAuditOf(t, env, board.AuditDisplayOpened)); n != 0 {
		t.Fatalf("%d displays opened by people who may not", n)
	}
	link, code := screenOpen(t, env, coordHTTP)

	// The code, typed loosely (lower case, spaces), works once.
	typed := strings.ToLower(strings.ReplaceAll(code, "-", " "))
	room := servertest.NewClient()
	resp, body := accPost(t, room, env.URL+"/screen", url.Values{"code": {typed}}, nil)
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/screen/view" {
		t.Fatalf("the code: status %d to %q\n%s", resp.StatusCode, resp.Header.Get("Location"), accShort(body))
	}
	if resp, _ := accGet(t, room, env.URL+"/screen/view"); resp.StatusCode != http.StatusOK || resp.Request.URL.Path != "/screen/view" {
		t.Fatalf("the screen after the code: status %d at %s", resp.StatusCode, resp.Request.URL.Path)
	}
	if resp, _ := accPost(t, servertest.NewClient(), env.URL+"/screen", url.Values{"code": {code}}, nil); resp.StatusCode != http.StatusUnprocessableEntity {
		t.Errorf("the code a second time: status %d, want 422", resp.StatusCode)
	}
	if resp, body := accPost(t, servertest.NewClient(), env.URL+"/screen", url.Values{"code": {"ABCD-EFGH"}}, nil); resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "aria-invalid") {
		t.Errorf("a wrong code: status %d, want 422 with the field marked", resp.StatusCode)
	}

	// The link works for minutes; the screen it opened works all day.
	linked := screenClient(t, link)
	clock.Advance(11 * time.Minute)
	if resp, _ := accGetNoRedirect(t, servertest.NewClient(), link); resp.StatusCode != http.StatusNotFound {
		t.Errorf("the link after 11 minutes: status %d, want 404", resp.StatusCode)
	}
	clock.Advance(8 * time.Hour)
	for name, c := range map[string]*http.Client{"by code": room, "by link": linked} {
		if resp, _ := accGetNoRedirect(t, c, env.URL+"/screen/view"); resp.StatusCode != http.StatusOK {
			t.Errorf("the screen opened %s, 8 hours later: status %d, want 200", name, resp.StatusCode)
		}
	}
	w1, w2 := screenDial(t, env, room), screenDial(t, env, linked)
	w1.nextOf("snapshot")
	w2.nextOf("snapshot")

	coordHTTP = accCoordinator(t, env) // a new day's session: the first one ended while idle
	start := time.Now()
	resp, _ = accPost(t, coordHTTP, accRoomPath(env, "demo-coord", "display/close"), nil, nil)
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("close the screens: status %d", resp.StatusCode)
	}
	accClosedWithin(t, w1, start, realtime.CloseForbidden)
	accClosedWithin(t, w2, start, realtime.CloseForbidden)
	if resp, _ := accGetNoRedirect(t, room, env.URL+"/screen/view"); resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/screen" {
		t.Errorf("the closed screen's page: status %d to %q, want 303 to /screen", resp.StatusCode, resp.Header.Get("Location"))
	}
	if n := len(accAuditOf(t, env, board.AuditDisplayClosed)); n != 1 {
		t.Errorf("%d audit rows for closing the screens, want 1", n)
	}

	// Guessing codes is limited per address.
	guesser := servertest.NewClient()
	limited := false
	for range 30 {
		resp, _ := accPost(t, guesser, env.URL+"/screen", url.Values{"code": {"ZZZZ-ZZZZ"}}, nil)
		if resp.StatusCode == http.StatusTooManyRequests {
			limited = true
			break
		}
	}
	if !limited {
		t.Errorf("30 wrong codes from one address were never refused with 429")
	}
}

// TestChildModeLocksTheDevice: an adult hands their device to the child with a code; the
// device then opens only the child view, as the child, without the adult's account; the
// code ends it, wrong codes are limited, and then the device is the adult's again.
func TestChildModeLocksTheDevice(t *testing.T) {
	t.Parallel()
	env := servertest.Start(t, servertest.Options{})
	coord := accCoordinator(t, env)
	childPath := env.BoardURL("demo-child")
	form := accRoomPath(env, "demo-coord", "child-mode")
	if resp, body := accGet(t, coord, form); resp.StatusCode != http.StatusOK || !strings.Contains(body, `name="code_again"`) {
		t.Fatalf("the child-mode form: status %d", resp.StatusCode)
	} else if !strings.Contains(body, "inte har delat med de andra. Lämna bara över en enhet där det är rätt") {
		t.Errorf("the child-mode form does not say that the device shows the child's earlier answers")
	}
	for _, bad := range []url.Values{
		{"code": {"12"}, "code_again": {"12"}},
		{"code": {"12ab"}, "code_again": {"12ab"}},
		{"code": {"1234"}, "code_again": {"1243"}},
	} {
		if resp, _ := accPost(t, coord, form, bad, nil); resp.StatusCode != http.StatusUnprocessableEntity {
			t.Errorf("child mode with %v: status %d, want 422", bad, resp.StatusCode)
		}
	}
	// The coordinator's board is open in another tab of the same browser.
	otherTab := accDial(t, env, coord, "demo-coord")
	otherTab.nextOf("welcome")
	resp, _ := accPost(t, coord, form, url.Values{"code": {"2468"}, "code_again": {"2468"}}, nil)
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != strings.TrimPrefix(childPath, env.URL) {
		t.Fatalf("start child mode: status %d to %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	// That tab may not go on as the adult: it is told to reload (and then lands in the
	// child view, below).
	if code := otherTab.waitClose(); code != realtime.CloseReload {
		t.Errorf("the adult's other tab on the device handed over: closed with %d, want %d (reload)", code, realtime.CloseReload)
	}

	// Locked: everything leads to the child view, and the adult's account is not used.
	for _, path := range []string{"/teams", "/admin", accRoomPath(env, "demo-coord", ""), "/", "/teams/" + demo.TeamID} {
		u := path
		if !strings.HasPrefix(u, "http") {
			u = env.URL + path
		}
		resp, _ := accGetNoRedirect(t, coord, u)
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != strings.TrimPrefix(childPath, env.URL) {
			t.Errorf("locked device, GET %s: status %d to %q, want 303 to the child view", path, resp.StatusCode, resp.Header.Get("Location"))
		}
	}
	resp, body := accGet(t, coord, childPath)
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, `class="child-view"`) {
		t.Fatalf("the child view on the locked device: status %d", resp.StatusCode)
	}
	if strings.Contains(body, "/logout") || strings.Contains(body, "Maria Lind</span>") || strings.Contains(body, `class="lang-switch"`) {
		t.Errorf("the locked child view shows the adult's account or a way out")
	}
	ws := accDial(t, env, coord, "demo-child")
	if m := ws.nextOf("welcome"); m.Member != "demo-child" || m.Role != "child" {
		t.Errorf("the locked device's socket is %s as %s, want the child", m.Member, m.Role)
	}

	unlock := childPath + "unlock"
	for i := range 5 {
		if resp, _ := accPost(t, coord, unlock, url.Values{"code": {"0000"}}, nil); resp.StatusCode != http.StatusUnprocessableEntity {
			t.Errorf("wrong code %d: status %d, want 422", i+1, resp.StatusCode)
		}
	}
	if resp, _ := accPost(t, coord, unlock, url.Values{"code": {"2468"}}, nil); resp.StatusCode != http.StatusTooManyRequests {
		t.Errorf("the right code after 5 wrong ones: status %d, want 429 (wait)", resp.StatusCode)
	}
	if resp, _ := accGetNoRedirect(t, coord, env.URL+"/teams"); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("still locked after the refused codes: GET /teams status %d", resp.StatusCode)
	}
	if n := len(accAuditOf(t, env, board.AuditChildMode)); n != 1 {
		t.Errorf("%d child-mode audit rows after starting it, want 1", n)
	}
}

// TestChildModeUnlock: the right code returns the device to the adult's board and closes
// the child-mode socket; the child's own link and devices are untouched.
func TestChildModeUnlock(t *testing.T) {
	t.Parallel()
	env := servertest.Start(t, servertest.Options{})
	guardian := accGuest(t, env, "demo-guardian1")
	childOwn := accDial(t, env, accGuest(t, env, "demo-child"), "demo-child")
	childOwn.nextOf("welcome")
	resp, _ := accPost(t, guardian, accRoomPath(env, "demo-guardian1", "child-mode"), url.Values{"code": {"135790"}, "code_again": {"135790"}}, nil)
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("start child mode: status %d", resp.StatusCode)
	}
	handed := accDial(t, env, guardian, "demo-child")
	handed.nextOf("welcome")
	start := time.Now()
	resp, _ = accPost(t, guardian, env.BoardURL("demo-child")+"unlock", url.Values{"code": {"135790"}}, nil)
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/b/"+env.MeetingID+"/demo-guardian1/" {
		t.Fatalf("unlock: status %d to %q, want 303 to the guardian's board", resp.StatusCode, resp.Header.Get("Location"))
	}
	accClosedWithin(t, handed, start, realtime.CloseUnauthorized)
	if resp, body := accGet(t, guardian, env.BoardURL("demo-guardian1")); resp.StatusCode != http.StatusOK || !strings.Contains(body, `id="compass"`) {
		t.Errorf("the guardian's board after unlocking: status %d", resp.StatusCode)
	}
	if resp, _ := accGetNoRedirect(t, guardian, env.BoardURL("demo-child")); resp.StatusCode != http.StatusNotFound {
		t.Errorf("the child view on the unlocked device: status %d, want 404", resp.StatusCode)
	}
	if !childOwn.isOpen() {
		t.Errorf("the child's own device was disconnected by ending child mode elsewhere")
	}
	if n := len(accAuditOf(t, env, board.AuditChildMode)); n != 2 {
		t.Errorf("%d child-mode audit rows, want 2 (start, end)", n)
	}
	// A team without a child member offers no child mode (the child is not in the team).
	resp, _ = accGetNoRedirect(t, accGuest(t, env, "demo-child"), accRoomPath(env, "demo-child", "child-mode"))
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("the child opening child mode: status %d, want 403", resp.StatusCode)
	}
}

// TestFaceScale: the coordinator chooses how many faces the child answers with; an open
// child view changes at once; others may not choose.
func TestFaceScale(t *testing.T) {
	t.Parallel()
	env := servertest.Start(t, servertest.Options{})
	coord := accCoordinator(t, env)
	child := accGuest(t, env, "demo-child")
	faces := func() int {
		_, body := accGet(t, child, env.BoardURL("demo-child"))
		return strings.Count(body, `id="q-trygghet-r-`) - 2 // without "vet inte" and "vill inte svara"
	}
	if got := faces(); got != 5 {
		t.Fatalf("a 9-year-old answers with %d faces, want 5", got)
	}
	w := accDial(t, env, child, "demo-child")
	w.nextOf("snapshot")
	resp, _ := accPost(t, coord, env.URL+"/teams/"+demo.TeamID+"/faces", url.Values{"faces": {"3"}}, nil)
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("set three faces: status %d", resp.StatusCode)
	}
	m := w.nextOf("snapshot") // the open child view gets the new faces
	if n := strings.Count(m.HTMLText(), `id="q-trygghet-r-`); n != 5 {
		t.Errorf("the live child view has %d choices after choosing three faces, want 5", n)
	}
	if got := faces(); got != 3 {
		t.Errorf("after choosing three faces the child view has %d", got)
	}
	teacher := accStaffMember(t, env, "fs-staff", "Fredrik Lärare", board.RoleProfessional, "demo-skola")
	if resp, _ := accPost(t, teacher, env.URL+"/teams/"+demo.TeamID+"/faces", url.Values{"faces": {"5"}}, nil); resp.StatusCode != http.StatusForbidden {
		t.Errorf("a professional setting the faces: status %d, want 403", resp.StatusCode)
	}
	if resp, _ := accPost(t, coord, env.URL+"/teams/"+demo.TeamID+"/faces", url.Values{"faces": {"4"}}, nil); resp.StatusCode != http.StatusBadRequest {
		t.Errorf("four faces: status %d, want 400", resp.StatusCode)
	}
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
