package server_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	ical "github.com/arran4/golang-ical"
	"github.com/coder/websocket"

	"github.com/barnteam/barnteam/server/board"
	"github.com/barnteam/barnteam/server/demo"
	"github.com/barnteam/barnteam/server/realtime"
	"github.com/barnteam/barnteam/server/secret"
	"github.com/barnteam/barnteam/server/servertest"
)

// Running the meeting and following it up, over HTTP and the WebSocket.

// scheduleMeetingFrom schedules a meeting of the demo team from the team page's form and
// returns its id.
func scheduleMeetingFrom(t *testing.T, env *servertest.Env, coord *http.Client, template string) string {
	t.Helper()
	day := time.Now().AddDate(0, 0, 7).Format(time.DateOnly)
	resp, body := accPost(t, coord, env.URL+"/teams/"+demo.TeamID+"/meetings", url.Values{"title": {"Barnteamsmöte i december"}, "date": {day}, "time": {"13:00"}, "template": {template}}, nil)
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("schedule a meeting: status %d\n%s", resp.StatusCode, accShort(body))
	}
	m := regexp.MustCompile(`/meetings/([A-Za-z0-9_-]+)`).FindStringSubmatch(resp.Header.Get("Location"))
	if m == nil {
		t.Fatalf("no meeting in %q", resp.Header.Get("Location"))
	}
	return m[1]
}

// inMeeting is a member's path in a meeting.
func inMeeting(env *servertest.Env, meeting, member, rest string) string {
	return env.URL + "/b/" + meeting + "/" + member + "/" + rest
}

// opForm posts an op form to a member's board in a meeting (not followed).
func opForm(t *testing.T, env *servertest.Env, c *http.Client, meeting, member string, form url.Values) (*http.Response, string) {
	t.Helper()
	return accPost(t, c, inMeeting(env, meeting, member, "op"), form, nil)
}

func loadBoard(t *testing.T, env *servertest.Env, meeting string) *board.Board {
	t.Helper()
	b, err := env.Store.LoadBoard(context.Background(), meeting)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestMeetingLifecycle: a new meeting starts as a draft with the default agenda; nobody
// is let in and the family cannot write until the coordinator opens it; it goes live
// (the clock starts) and closes read-only; each step is announced on the boards.
func TestMeetingLifecycle(t *testing.T) {
	t.Parallel()
	env := servertest.Start(t, servertest.Options{})
	coord := accCoordinator(t, env)
	meeting := scheduleMeetingFrom(t, env, coord, "motescirkeln")
	b := loadBoard(t, env, meeting)
	if b.Phase() != board.PhaseDraft || len(b.AgendaList()) != 5 || b.AgendaList()[0].Title.Value != "Inledning" || b.PlannedMinutes() != 75 {
		t.Fatalf("a new meeting: %s with %d items, %d min", b.Phase(), len(b.AgendaList()), b.PlannedMinutes())
	}
	// The guardian follows her link to the new meeting and waits in the lobby.
	guardian := joinMeeting(t, env, "demo-guardian1", meeting)
	key := accLobbyKey(t, env, guardian, "demo-guardian1")
	if resp, _ := accPost(t, coord, inMeeting(env, meeting, "demo-coord", "lobby"), url.Values{"key": {key}, "decision": {"admit"}}, nil); resp.StatusCode != http.StatusConflict {
		t.Errorf("letting someone into a draft: status %d, want 409", resp.StatusCode)
	}
	watch := dialMeeting(t, env, coord, meeting, "demo-coord")
	watch.nextOf("snapshot")

	step := func(from, to board.Phase) {
		t.Helper()
		if resp, body := opForm(t, env, coord, meeting, "demo-coord", url.Values{"op": {"phase"}, "entity": {"meeting"}, "d.from": {string(from)}, "d.to": {string(to)}}); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("%s → %s: status %d\n%s", from, to, resp.StatusCode, accShort(body))
		}
		m := watch.until("the phase change", func(m accMsg) bool { return m.T == "event" && m.Change != nil && m.Change.Op == "phase" })
		if !strings.Contains(m.HTMLText(), `data-phase="`+string(to)+`"`) {
			t.Errorf("the board after %s → %s does not show the phase", from, to)
		}
	}
	step(board.PhaseDraft, board.PhaseOpen)
	if resp, _ := accPost(t, coord, inMeeting(env, meeting, "demo-coord", "lobby"), url.Values{"key": {key}, "decision": {"admit"}}, nil); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("letting the guardian into the open meeting: status %d", resp.StatusCode)
	}
	if resp, body := opForm(t, env, guardian, meeting, "demo-guardian1", url.Values{"op": {"set"}, "entity": {"compass/trygghet"}, "field": {"guardians_view"}, "base": {"0"}, "value": {"Hon är glad hemma."}}); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("the guardian writing in the open meeting: status %d\n%s", resp.StatusCode, accShort(body))
	}
	step(board.PhaseOpen, board.PhaseLive)
	if loadBoard(t, env, meeting).Meeting.StartedAt == 0 {
		t.Errorf("the meeting clock did not start")
	}
	step(board.PhaseLive, board.PhaseClosed)
	resp, body := opForm(t, env, guardian, meeting, "demo-guardian1", url.Values{"op": {"set"}, "entity": {"compass/halsa"}, "field": {"guardians_view"}, "base": {"0"}, "value": {"Sent"}})
	if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "avslutat") {
		t.Errorf("writing in a closed meeting: status %d", resp.StatusCode)
	}
	if _, page := accGet(t, guardian, inMeeting(env, meeting, "demo-guardian1", "")); strings.Contains(page, "<textarea id=\"f-compass-") {
		t.Errorf("the closed board offers text fields")
	}
}

// joinMeeting follows a fresh personal link of a member to a meeting and confirms "this
// is me": the returned client waits in that meeting's lobby.
func joinMeeting(t *testing.T, env *servertest.Env, member, meeting string) *http.Client {
	t.Helper()
	token, hash := secret.NewToken()
	if err := env.Store.CreateInvite(context.Background(), board.Invite{TokenHash: hash, MemberID: member, MeetingID: meeting, CreatedAt: time.Now(), ExpiresAt: time.Now().Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	return accJoin(t, env, env.URL+"/j/"+token)
}

// dialMeeting opens a member's socket in a meeting.
func dialMeeting(t *testing.T, env *servertest.Env, c *http.Client, meeting, member string) *accWS {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), accWait)
	defer cancel()
	u := strings.Replace(inMeeting(env, meeting, member, "ws"), "http://", "ws://", 1)
	ws, _, err := websocket.Dial(ctx, u, &websocket.DialOptions{HTTPClient: c, HTTPHeader: http.Header{"Origin": {env.URL}}})
	if err != nil {
		t.Fatalf("dial %s in %s: %v", member, meeting, err)
	}
	ws.SetReadLimit(16 << 20)
	return accWrap(t, member, ws)
}

// TestTimerFromTheServerClock: a timer started from the board ends at a time on the
// server's clock, which every client gets (welcome and heartbeats carry "now"); two
// clients computing the time left from it agree; pausing keeps what is left.
func TestTimerFromTheServerClock(t *testing.T) {
	t.Parallel()
	clock := newAccClock()
	env := servertest.Start(t, servertest.Options{Now: clock.Now, Hub: realtimeOptions(100 * time.Millisecond)})
	coord := accCoordinator(t, env)
	guardian := accGuest(t, env, "demo-guardian1")
	a, g := accDial(t, env, coord, "demo-coord"), accDial(t, env, guardian, "demo-guardian1")
	var nowA, nowG int64
	for w, now := range map[*accWS]*int64{a: &nowA, g: &nowG} {
		m := w.nextOf("welcome")
		*now = welcomeNow(t, m)
	}
	if nowA != clock.Now().UnixMilli() || nowG != nowA {
		t.Errorf("welcome's server clock: %d and %d, want %d", nowA, nowG, clock.Now().UnixMilli())
	}
	item := accBoard(t, env).Meeting.CurrentItem
	if item == "" {
		item = accBoard(t, env).AgendaList()[0].ID
	}
	if resp, body := planForm(t, env, coord, "demo-coord", url.Values{"op": {"timer"}, "entity": {"meeting"}, "d.action": {"start"}, "d.item": {item}, "d.minutes": {"7"}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("start the timer: status %d\n%s", resp.StatusCode, accShort(body))
	}
	for _, w := range []*accWS{a, g} {
		m := w.until("the timer event", func(m accMsg) bool { return m.T == "event" && m.Change != nil && m.Change.Op == "timer" })
		ends := regexp.MustCompile(`data-timer-ends="(\d+)"`).FindStringSubmatch(m.HTMLText())
		if ends == nil || ends[1] != fmt.Sprint(clock.Now().Add(7*time.Minute).UnixMilli()) {
			t.Errorf("%s: the timer ends at %v, want %d", w.name, ends, clock.Now().Add(7*time.Minute).UnixMilli())
		}
		if !strings.Contains(m.HTMLText(), "7:00") {
			t.Errorf("%s: the timer does not show 7:00", w.name)
		}
	}
	// A heartbeat carries the server's clock, moved on (heartbeats queued before the
	// clock moved carry the old time; the test waits for one sent after).
	clock.Advance(3 * time.Minute)
	want := clock.Now().UnixMilli()
	g.until("a heartbeat with the server's clock moved on", func(m accMsg) bool { return m.T == "hb" && welcomeNow(t, m) == want })
	if resp, _ := planForm(t, env, coord, "demo-coord", url.Values{"op": {"timer"}, "entity": {"meeting"}, "d.action": {"pause"}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("pause: status %d", resp.StatusCode)
	}
	if tm := accBoard(t, env).Meeting.Timer; tm.Running || tm.Left != (4*time.Minute).Milliseconds() {
		t.Errorf("paused with %v left, want 4m", time.Duration(tm.Left)*time.Millisecond)
	}
}

// TestProposalsHandsAndMinutes: a guardian proposes an item; the coordinator takes it
// in; raised hands queue in order and the coordinator gives the floor; the minutes carry
// notes, decisions and the parking lot, as a page and as Markdown.
func TestProposalsHandsAndMinutes(t *testing.T) {
	t.Parallel()
	env := servertest.Start(t, servertest.Options{})
	coord := accCoordinator(t, env)
	g1, teacher := accGuest(t, env, "demo-guardian1"), accGuest(t, env, "demo-teacher")
	if resp, body := planForm(t, env, g1, "demo-guardian1", url.Values{"op": {"create"}, "entity": {"agenda/new"}, "d.title": {"Läxorna tar för lång tid"}, "d.proposed": {"true"}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("propose: status %d\n%s", resp.StatusCode, accShort(body))
	}
	var prop *board.AgendaItem
	for _, it := range accBoard(t, env).Proposals() {
		prop = it
	}
	if prop == nil || prop.ProposedBy != "demo-guardian1" {
		t.Fatalf("the proposal: %+v", prop)
	}
	if resp, _ := planForm(t, env, coord, "demo-coord", url.Values{"op": {"set"}, "entity": {"agenda/" + prop.ID}, "field": {"proposed"}, "value": {"false"}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("take the proposal in: status %d", resp.StatusCode)
	}
	list := accBoard(t, env).AgendaList()
	if list[len(list)-1].ID != prop.ID {
		t.Errorf("the proposal is not last on the agenda")
	}

	// Hands: the teacher, then the guardian; the coordinator gives the teacher the floor.
	cw, tw, gw := accDial(t, env, coord, "demo-coord"), accDial(t, env, teacher, "demo-teacher"), accDial(t, env, g1, "demo-guardian1")
	for _, w := range []*accWS{cw, tw, gw} {
		w.nextOf("welcome")
	}
	raise := func(w *accWS) {
		if err := w.ws.Write(context.Background(), websocket.MessageText, []byte(`{"t":"presence","hand":true}`)); err != nil {
			t.Fatal(err)
		}
	}
	raise(tw)
	cw.until("the teacher's hand", func(m accMsg) bool { return m.T == "presence" && strings.Contains(m.HTMLText(), "hand-queue") })
	raise(gw)
	m := cw.until("both hands", func(m accMsg) bool { return m.T == "presence" && strings.Count(queueOf(m.HTMLText()), "<li>") == 2 })
	q := queueOf(m.HTMLText())
	if strings.Index(q, "Johan Berg") > strings.Index(q, "Sara Nilsson") || !strings.Contains(q, `action="lower-hand"`) {
		t.Errorf("the queue is not in the order hands went up, or the coordinator cannot give the floor:\n%s", q)
	}
	if gm := gw.until("the guardian's view of the queue", func(m accMsg) bool { return m.T == "presence" && strings.Count(queueOf(m.HTMLText()), "<li>") == 2 }); strings.Contains(gm.HTMLText(), "lower-hand") {
		t.Errorf("the guardian can give the floor")
	}
	if resp, _ := accPost(t, coord, accRoomPath(env, "demo-coord", "lower-hand"), url.Values{"member": {"demo-teacher"}}, nil); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("give the floor: status %d", resp.StatusCode)
	}
	cw.until("the teacher's hand lowered", func(m accMsg) bool {
		return m.T == "presence" && strings.Count(queueOf(m.HTMLText()), "<li>") == 1 && !strings.Contains(queueOf(m.HTMLText()), "Johan Berg")
	})
	if resp, _ := accPost(t, g1, accRoomPath(env, "demo-guardian1", "lower-hand"), url.Values{"member": {"demo-teacher"}}, nil); resp.StatusCode != http.StatusForbidden {
		t.Errorf("a guardian giving the floor: status %d, want 403", resp.StatusCode)
	}

	// The minutes.
	item := list[0].ID
	for field, value := range map[string]string{"decisions": "Rastvärd från **måndag**.", "parked": "Skolskjutsen tas upp i februari."} {
		if resp, body := planForm(t, env, coord, "demo-coord", url.Values{"op": {"set"}, "entity": {"agenda/" + item}, "field": {field}, "base": {"0"}, "value": {value}}); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("%s: status %d\n%s", field, resp.StatusCode, accShort(body))
		}
	}
	_, page := accGet(t, g1, accRoomPath(env, "demo-guardian1", "minutes"))
	for _, want := range []string{"Rastvärd från <strong>måndag</strong>.", "Skolskjutsen tas upp i februari.", "Syftet med mötet", "Läxorna tar för lång tid"} {
		if !strings.Contains(page, want) {
			t.Errorf("the minutes page lacks %q", want)
		}
	}
	resp, md := accGet(t, teacher, accRoomPath(env, "demo-teacher", "minutes.md"))
	if resp.StatusCode != http.StatusOK || !strings.Contains(md, "### Beslut") || !strings.Contains(md, "Rastvärd från **måndag**.") || !strings.Contains(md, "Skolskjutsen") {
		t.Errorf("the minutes as Markdown (status %d):\n%s", resp.StatusCode, md)
	}
}

// queueOf is the hand queue's list in a presence region.
func queueOf(html string) string {
	i := strings.Index(html, `class="hand-queue"`)
	if i < 0 {
		return ""
	}
	j := strings.Index(html[i:], "</ol>")
	return html[i : i+j]
}

// TestFollowUp: from the established plan the coordinator books the follow-up meeting:
// its needs, goals and actions carry over as they were agreed, not as changed after the
// plan was reopened (each action marked where it came from), the
// team reviews an action, the changes since the plan read as a difference, the team page
// lists meetings and plan versions, the overview shows what is due, and the invitation's
// calendar file is valid iCalendar.
func TestFollowUp(t *testing.T) {
	t.Parallel()
	env := servertest.Start(t, servertest.Options{})
	coord := accCoordinator(t, env)
	follow := time.Now().AddDate(0, 2, 0).Format(time.DateOnly)
	for _, form := range []url.Values{
		{"op": {"set"}, "entity": {"plan"}, "field": {"follow_up"}, "value": {follow}},
		{"op": {"set"}, "entity": {"compass/halsa"}, "field": {"need"}, "base": {"0"}, "value": {"Sova bättre."}},
		{"op": {"set"}, "entity": {"compass/halsa"}, "field": {"priority"}, "value": {"1"}},
	} {
		if resp, body := planForm(t, env, coord, "demo-coord", form); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("%v: status %d\n%s", form, resp.StatusCode, accShort(body))
		}
	}
	before := accBoard(t, env)
	establish(t, env, map[string]*http.Client{"demo-coord": coord, "demo-guardian1": accGuest(t, env, "demo-guardian1"), "demo-guardian2": accGuest(t, env, "demo-guardian2"),
		"demo-teacher": accGuest(t, env, "demo-teacher"), "demo-nurse": accGuest(t, env, "demo-nurse"), "demo-ifo": accGuest(t, env, "demo-ifo")})

	// Reopened and changed after it was agreed: the follow-up still carries what was agreed.
	if resp, body := planForm(t, env, coord, "demo-coord", url.Values{"op": {"reopen"}, "entity": {"plan"}, "d.version": {"1"}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("reopen: status %d\n%s", resp.StatusCode, accShort(body))
	}
	rev := strconv.FormatInt(accBoard(t, env).Compass["halsa"].Need.Rev, 10)
	if resp, body := planForm(t, env, coord, "demo-coord", url.Values{"op": {"set"}, "entity": {"compass/halsa"}, "field": {"need"}, "base": {rev}, "value": {"Ändrat efter beslutet."}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("change the need after the plan was agreed: status %d\n%s", resp.StatusCode, accShort(body))
	}

	_, team := accGet(t, coord, env.URL+"/teams/"+demo.TeamID)
	if !strings.Contains(team, "Planen, version 1") || !strings.Contains(team, "fastställd") {
		t.Errorf("the team's timeline does not list the established plan")
	}
	if !strings.Contains(team, `value="`+follow+`"`) {
		t.Errorf("the follow-up form does not offer the plan's follow-up date %s", follow)
	}
	// The overview says a follow-up is due.
	if _, overview := accGet(t, coord, env.URL+"/teams"); !strings.Contains(overview, follow) || !strings.Contains(overview, "Uppföljningar att boka") {
		t.Errorf("the overview does not show the follow-up to book")
	}
	resp, body := accPost(t, coord, env.URL+"/teams/"+demo.TeamID+"/meetings/"+env.MeetingID+"/follow-up", url.Values{"title": {"Uppföljning för Alva"}, "date": {follow}, "time": {"09:30"}}, nil)
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("book the follow-up: status %d\n%s", resp.StatusCode, accShort(body))
	}
	fu := regexp.MustCompile(`/meetings/([A-Za-z0-9_-]+)`).FindStringSubmatch(resp.Header.Get("Location"))[1]
	m, err := env.Store.Meeting(context.Background(), fu)
	if err != nil || m.FollowUpOf != env.MeetingID {
		t.Fatalf("the follow-up meeting: %+v, %v", m, err)
	}
	after := loadBoard(t, env, fu)
	if after.Compass["halsa"].Need.Value != "Sova bättre." || after.Compass["halsa"].Priority != 1 {
		t.Errorf("the need did not carry over: %+v", after.Compass["halsa"])
	}
	if len(after.ActionList()) != len(before.ActionList()) {
		t.Fatalf("%d actions carried over, want %d", len(after.ActionList()), len(before.ActionList()))
	}
	goals := 0
	for _, a := range board.Areas {
		goals += len(after.GoalsFor(a))
	}
	if goals != 2 {
		t.Errorf("%d goals carried over, want the demo's 2", goals)
	}
	var carried *board.Action
	for _, x := range after.ActionList() {
		if x.CarriedFrom == "" || before.Actions[x.CarriedFrom] == nil || before.Actions[x.CarriedFrom].What.Value != x.What.Value {
			t.Errorf("action %s does not name the action it carries over: %q", x.ID, x.CarriedFrom)
		}
		if x.GoalID != "" && after.Goals[x.GoalID] == nil {
			t.Errorf("action %s links to a goal of the earlier meeting", x.ID)
		}
		carried = x
	}
	if len(after.AgendaList()) != 5 || after.AgendaList()[1].Title.Value != "Hur har det gått?" {
		t.Errorf("the follow-up agenda: %d items", len(after.AgendaList()))
	}
	// Booking again (a second press, a second tab) books nothing and lands on it.
	resp, _ = accPost(t, coord, env.URL+"/teams/"+demo.TeamID+"/meetings/"+env.MeetingID+"/follow-up", url.Values{"title": {"Uppföljning för Alva"}, "date": {follow}, "time": {"09:30"}}, nil)
	if resp.StatusCode != http.StatusSeeOther || !strings.HasSuffix(resp.Header.Get("Location"), "/meetings/"+fu) {
		t.Errorf("booking the follow-up again: status %d, to %q, want the booked one %s", resp.StatusCode, resp.Header.Get("Location"), fu)
	}
	if ms, err := env.Store.MeetingsOfTeam(context.Background(), demo.TeamID); err != nil {
		t.Fatal(err)
	} else if n := len(slices.DeleteFunc(ms, func(m board.Meeting) bool { return m.FollowUpOf != env.MeetingID })); n != 1 {
		t.Errorf("%d follow-ups of the meeting after booking twice, want 1", n)
	}
	// The team page no longer offers to book it; the new meeting follows up the old.
	if _, team := accGet(t, coord, env.URL+"/teams/"+demo.TeamID); strings.Contains(team, `action="/teams/`+demo.TeamID+`/meetings/`+env.MeetingID+`/follow-up"`) || !strings.Contains(team, "Uppföljning av") {
		t.Errorf("the team page after booking the follow-up")
	}

	// The follow-up meeting: review one action, change another's date.
	step := url.Values{"op": {"phase"}, "entity": {"meeting"}, "d.from": {"draft"}, "d.to": {"live"}}
	if resp, _ := opForm(t, env, coord, fu, "demo-coord", step); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("start the follow-up: status %d", resp.StatusCode)
	}
	for _, form := range []url.Values{
		{"op": {"set"}, "entity": {"action/" + carried.ID}, "field": {"review"}, "value": {"done"}},
		{"op": {"set"}, "entity": {"action/" + carried.ID}, "field": {"review_comment"}, "base": {"0"}, "value": {"Det har gått bra."}},
		{"op": {"set"}, "entity": {"compass/halsa"}, "field": {"need"}, "base": {fmt.Sprint(after.Compass["halsa"].Need.Rev)}, "value": {"Sova bättre och äta frukost."}},
	} {
		if resp, body := opForm(t, env, coord, fu, "demo-coord", form); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("%v: status %d\n%s", form, resp.StatusCode, accShort(body))
		}
	}
	_, changes := accGet(t, coord, inMeeting(env, fu, "demo-coord", "changes"))
	for _, want := range []string{"Sova <del>bättre.</del><ins>bättre och äta frukost.</ins>", "Klar", "Det har gått bra."} {
		if !strings.Contains(changes, want) {
			t.Errorf("the changes page lacks %q", want)
		}
	}

	// The calendar file.
	resp, ics := accGet(t, coord, env.URL+"/teams/"+demo.TeamID+"/meetings/"+fu+"/meeting.ics")
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "text/calendar; charset=utf-8" {
		t.Fatalf("the calendar file: status %d, %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	if err := checkICalendar(ics); err != nil {
		t.Errorf("the calendar file is not valid iCalendar: %v\n%s", err, ics)
	}
	start, _ := time.ParseInLocation("2006-01-02 15:04", follow+" 09:30", stockholmLoc(t))
	if !strings.Contains(ics, "DTSTART:"+start.UTC().Format("20060102T150405Z")) {
		t.Errorf("the calendar file does not start at %s:\n%s", start.UTC(), ics)
	}
	// And a calendar program's parser reads the same event from it.
	cal, err := ical.ParseCalendar(strings.NewReader(ics))
	if err != nil {
		t.Fatalf("golang-ical cannot parse the calendar file: %v\n%s", err, ics)
	}
	events := cal.Events()
	if len(events) != 1 {
		t.Fatalf("golang-ical reads %d events, want 1", len(events))
	}
	if at, err := events[0].GetStartAt(); err != nil || !at.Equal(start) {
		t.Errorf("golang-ical reads the start as %v (%v), want %v", at, err, start)
	}
	if uid := events[0].GetProperty(ical.ComponentPropertyUniqueId); uid == nil || uid.Value == "" {
		t.Errorf("golang-ical finds no UID")
	}
}

func stockholmLoc(t *testing.T) *time.Location {
	loc, err := time.LoadLocation("Europe/Stockholm")
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

// checkICalendar checks what RFC 5545 asks of a calendar with one event: CRLF line ends,
// content lines of at most 75 octets (folded with a leading space), "name:value" lines,
// BEGIN and END properly nested, and the required properties with valid values.
func checkICalendar(ics string) error {
	if !strings.HasSuffix(ics, "\r\n") {
		return fmt.Errorf("does not end with CRLF")
	}
	var lines []string
	sc := bufio.NewScanner(strings.NewReader(ics))
	sc.Split(func(data []byte, atEOF bool) (int, []byte, error) {
		if i := strings.Index(string(data), "\r\n"); i >= 0 {
			return i + 2, data[:i], nil
		}
		if atEOF && len(data) > 0 {
			return 0, nil, fmt.Errorf("a line without CRLF: %q", data)
		}
		return 0, nil, nil
	})
	for sc.Scan() {
		l := sc.Text()
		if len(l) > 75 {
			return fmt.Errorf("a line of %d octets: %q", len(l), l)
		}
		if strings.HasPrefix(l, " ") {
			if len(lines) == 0 {
				return fmt.Errorf("a continuation before any line")
			}
			lines[len(lines)-1] += l[1:]
			continue
		}
		lines = append(lines, l)
	}
	if err := sc.Err(); err != nil {
		return err
	}
	var stack []string
	props := map[string]map[string]string{}
	name := regexp.MustCompile(`^[A-Z][A-Z0-9-]*(;[^:]*)?:`)
	for _, l := range lines {
		if !name.MatchString(l) {
			return fmt.Errorf("not a content line: %q", l)
		}
		k, v, _ := strings.Cut(l, ":")
		k, _, _ = strings.Cut(k, ";")
		switch k {
		case "BEGIN":
			stack = append(stack, v)
			props[v] = map[string]string{}
		case "END":
			if len(stack) == 0 || stack[len(stack)-1] != v {
				return fmt.Errorf("END:%s does not close %v", v, stack)
			}
			stack = stack[:len(stack)-1]
		default:
			if len(stack) == 0 {
				return fmt.Errorf("a property outside any component: %q", l)
			}
			props[stack[len(stack)-1]][k] = v
		}
	}
	if len(stack) != 0 {
		return fmt.Errorf("unclosed %v", stack)
	}
	cal, ev := props["VCALENDAR"], props["VEVENT"]
	if cal == nil || ev == nil {
		return fmt.Errorf("no VCALENDAR or no VEVENT")
	}
	if cal["VERSION"] != "2.0" || cal["PRODID"] == "" {
		return fmt.Errorf("VERSION %q, PRODID %q", cal["VERSION"], cal["PRODID"])
	}
	for _, p := range []string{"UID", "DTSTAMP", "DTSTART", "DTEND", "SUMMARY"} {
		if ev[p] == "" {
			return fmt.Errorf("the event lacks %s", p)
		}
	}
	for _, p := range []string{"DTSTAMP", "DTSTART", "DTEND"} {
		if _, err := time.Parse("20060102T150405Z", ev[p]); err != nil {
			return fmt.Errorf("%s %q is not a UTC date-time", p, ev[p])
		}
	}
	s, _ := time.Parse("20060102T150405Z", ev["DTSTART"])
	e, _ := time.Parse("20060102T150405Z", ev["DTEND"])
	if !e.After(s) {
		return fmt.Errorf("DTEND %s is not after DTSTART %s", ev["DTEND"], ev["DTSTART"])
	}
	return nil
}

// realtimeOptions are hub options with a fast heartbeat, so a test sees one soon.
func realtimeOptions(heartbeat time.Duration) realtime.Options {
	return realtime.Options{Heartbeat: heartbeat}
}

// welcomeNow reads the server's clock from a welcome or heartbeat message.
func welcomeNow(t *testing.T, m accMsg) int64 {
	t.Helper()
	var x struct {
		Now int64 `json:"now"`
	}
	if err := json.Unmarshal([]byte(m.Raw), &x); err != nil || x.Now == 0 {
		t.Fatalf("no server clock in %s", m.Raw)
	}
	return x.Now
}

// TestAgendaTemplates: the coordinator keeps the board's agenda as a template of their
// own and starts a new meeting from it; others cannot save templates.
func TestAgendaTemplates(t *testing.T) {
	t.Parallel()
	env := servertest.Start(t, servertest.Options{})
	coord := accCoordinator(t, env)
	if resp, _ := accPost(t, accGuest(t, env, "demo-nurse"), accRoomPath(env, "demo-nurse", "template"), url.Values{"name": {"Min mall"}}, nil); resp.StatusCode != http.StatusForbidden {
		t.Errorf("the Barnkontakt saving a template: status %d, want 403", resp.StatusCode)
	}
	if resp, _ := accPost(t, coord, accRoomPath(env, "demo-coord", "template"), url.Values{"name": {"Vårt korta möte"}}, nil); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("save the agenda as a template: status %d", resp.StatusCode)
	}
	_, team := accGet(t, coord, env.URL+"/teams/"+demo.TeamID)
	m := regexp.MustCompile(`<option value="([A-Za-z0-9_-]+)"[^>]*>Vårt korta möte</option>`).FindStringSubmatch(team)
	if m == nil {
		t.Fatalf("the schedule form does not offer the saved template")
	}
	meeting := scheduleMeetingFrom(t, env, coord, m[1])
	var want, got []string
	for _, it := range accBoard(t, env).AgendaList() {
		want = append(want, it.Title.Value)
	}
	for _, it := range loadBoard(t, env, meeting).AgendaList() {
		got = append(got, it.Title.Value)
	}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("the meeting from the template has %v, want %v", got, want)
	}
	if resp, _ := accPost(t, coord, env.URL+"/teams/"+demo.TeamID+"/meetings", url.Values{"title": {"X"}, "date": {time.Now().AddDate(0, 0, 3).Format(time.DateOnly)}, "time": {"10:00"}, "template": {"someone-elses"}}, nil); resp.StatusCode != http.StatusUnprocessableEntity {
		t.Errorf("a template that is not the coordinator's: status %d, want 422", resp.StatusCode)
	}
}
