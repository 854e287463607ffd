package server_test

import (
	"context"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/barnteam/barnteam/server/board"
	"github.com/barnteam/barnteam/server/demo"
	"github.com/barnteam/barnteam/server/realtime"
	"github.com/barnteam/barnteam/server/servertest"
)

// accLobbyOnly fails the test for any message a lobby socket must never get, and for any
// message that holds one of the texts.
// Rejects of ops sent from the lobby are allowed when rejects is set.
func accLobbyOnly(t testing.TB, msgs []accMsg, texts []string, rejects bool) {
	t.Helper()
	for _, m := range msgs {
		if m.T != "lobby" && m.T != "hb" && !(rejects && m.T == "reject" && m.Code == "forbidden") {
			t.Errorf("the lobby socket received a %q message: %s", m.T, accShort(m.Raw))
		}
		for _, s := range texts {
			if strings.Contains(m.Raw, s) {
				t.Errorf("the lobby socket received board text %q in %s", s, accShort(m.Raw))
			}
		}
	}
}

// accWaitingIn reports whether the room-control HTML lists the person as waiting in the
// lobby (not merely as a member of the team).
func accWaitingIn(h, name string) bool {
	for _, li := range strings.Split(h, `class="lobby-entry"`)[1:] {
		if end := strings.Index(li, "</li>"); end >= 0 && strings.Contains(li[:end], name) {
			return true
		}
	}
	return false
}

// TestAccessLobbyGetsNoBoardEvents: while a guest waits in the lobby with the socket open,
// others make 20 edits; the waiting socket receives only lobby messages and heartbeats,
// and none of the texts. Let in by the coordinator, it is told "admitted" and closed with
// 4005; reconnecting, it gets the board.
func TestAccessLobbyGetsNoBoardEvents(t *testing.T) {
	t.Parallel()
	// A short heartbeat, so that heartbeats are part of the stream checked.
	env := servertest.Start(t, servertest.Options{Hub: realtime.Options{Heartbeat: 100 * time.Millisecond}})
	coordHTTP := accCoordinator(t, env)
	coord := accDial(t, env, coordHTTP, "demo-coord")
	teacher := accDial(t, env, accGuest(t, env, "demo-teacher"), "demo-teacher")
	coord.nextOf("welcome")
	teacher.nextOf("welcome")

	waitingHTTP := accJoin(t, env, env.Links["demo-guardian2"])
	page, body := accGet(t, waitingHTTP, env.BoardURL("demo-guardian2"))
	if page.StatusCode != http.StatusOK || !strings.Contains(body, "data-ws=") {
		t.Fatalf("lobby page: status %d", page.StatusCode)
	}
	if found := accBoardContent(body); len(found) > 0 {
		t.Errorf("the lobby page holds board content: %v", found)
	}
	lobby := accDial(t, env, waitingHTTP, "demo-guardian2")
	// Heartbeats may come at any point, even first (PROTOCOL.md); anything else first
	// must be the waiting state.
	m, _ := lobby.next()
	for m.T == "hb" {
		m, _ = lobby.next()
	}
	if m.T != "lobby" || m.LobbyState() != "waiting" || m.Reason != "admission" {
		t.Fatalf("the lobby socket's first message: %s", m.Raw)
	}
	// Presence from the lobby is ignored: the waiting person never shows as present.
	lobby.send(map[string]any{"t": "presence", "editing": "compass/halsa#worries", "hand": true})
	key := accLobbyKey(t, env, waitingHTTP, "demo-guardian2")
	coord.until("the lobby list naming the waiting guest", func(m accMsg) bool {
		return m.T == "lobby-list" && strings.Contains(m.HTMLText(), key) && accWaitingIn(m.HTMLText(), "Ahmed Nilsson")
	})

	var texts []string
	for i := 0; i < 20; i++ {
		text := fmt.Sprintf("Hemlig anteckning %02d om Alva", i)
		texts = append(texts, text)
		w := coord
		if i%2 == 1 {
			w = teacher
		}
		entity := "compass/" + []string{"trygghet", "halsa", "utveckling", "omsorg"}[i%4]
		if m := w.do(accNewOp("set", entity, accSeq(t, env), map[string]any{"field": "worries", "value": text})); m.T != "event" {
			t.Fatalf("edit %d: %s", i, m.Raw)
		}
	}
	// Presence changes and a hand raised are board content too.
	teacher.send(map[string]any{"t": "presence", "editing": "compass/halsa#worries", "hand": true})
	coord.until("the teacher's raised hand", func(m accMsg) bool { return m.T == "presence" && strings.Contains(m.Raw, `"hand":true`) })
	// Heartbeats reach the lobby socket (so it is alive and read) while it waits.
	lobby.until("a heartbeat", func(m accMsg) bool { return m.T == "hb" })

	for _, m := range coord.all() {
		if m.T == "presence" && slices.Contains(m.PeopleIDs(), "demo-guardian2") {
			t.Errorf("the waiting guest shows as present: %s", accShort(m.Raw))
		}
	}

	// Let in. Everything the room sent the lobby socket before now comes before this.
	start := time.Now()
	resp, rbody := accPost(t, coordHTTP, accRoomPath(env, "demo-coord", "lobby"), url.Values{"key": {key}, "decision": {"admit"}}, nil)
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("admit: status %d\n%s", resp.StatusCode, accShort(rbody))
	}
	accClosedWithin(t, lobby, start, realtime.CloseReload)
	msgs := lobby.all()
	accLobbyOnly(t, msgs, texts, false)
	var states []string
	for _, m := range msgs {
		if m.T == "lobby" {
			states = append(states, m.LobbyState())
		}
	}
	if strings.Join(states, " ") != "waiting admitted" {
		t.Errorf("lobby states %v, want [waiting admitted]", states)
	}

	// Reconnected, it is on the board with every edit.
	board := accDial(t, env, waitingHTTP, "demo-guardian2")
	if w := board.nextOf("welcome"); w.Member != "demo-guardian2" || w.Role != "guardian" {
		t.Fatalf("welcome after admission: %s", w.Raw)
	}
	snap := board.nextOf("snapshot")
	for _, s := range texts[16:] {
		if !strings.Contains(snap.Raw, s) {
			t.Errorf("the snapshot after admission lacks %q", s)
		}
	}
	if _, body := accGet(t, waitingHTTP, env.BoardURL("demo-guardian2")); !strings.Contains(body, texts[19]) {
		t.Errorf("the board page after admission lacks the last edit")
	}
}

// TestAccessConsentGating: a professional whose organisation no valid consent covers waits
// in the lobby for consent (page, socket and the coordinator's lobby list say so); one
// guardian's consent is not enough; both let them in at once. Withdrawal closes connected
// professionals' sockets with 4403 within two seconds and they cannot come back, while the
// coordinator (never gated), the family and professionals still covered stay.
func TestAccessConsentGating(t *testing.T) {
	t.Parallel()
	env := servertest.Start(t, servertest.Options{})
	ctx := context.Background()
	const orgName = "Fritidsgården Solen"
	if err := env.Store.CreateOrganisation(ctx, board.Organisation{ID: "acc-org", Name: orgName, Huvudman: board.HuvudmanKommun}); err != nil {
		t.Fatal(err)
	}
	coordHTTP := accCoordinator(t, env)
	coord := accDial(t, env, coordHTTP, "demo-coord")
	coord.nextOf("welcome")
	proHTTP := accStaffMember(t, env, "acc-pro", "Pia Fritid", board.RoleProfessional, "acc-org")

	waitingText := env.Catalog.T("sv", "lobby.waiting_consent")
	noConsent := env.Catalog.T("sv", "lobby.no_consent", "org", orgName)
	lobbyPage := func(what string, c *http.Client, member string) {
		t.Helper()
		resp, body := accGet(t, c, env.BoardURL(member))
		if resp.StatusCode != http.StatusOK || !strings.Contains(html.UnescapeString(body), waitingText) {
			t.Errorf("%s: page status %d, want the lobby page waiting for consent", what, resp.StatusCode)
		}
		if found := accBoardContent(body); len(found) > 0 {
			t.Errorf("%s: the page holds board content: %v", what, found)
		}
	}
	lobbySocket := func(what string, c *http.Client, member string) *accWS {
		t.Helper()
		w := accDial(t, env, c, member)
		if m, _ := w.next(); m.T != "lobby" || m.LobbyState() != "waiting" || m.Reason != "consent" {
			t.Fatalf("%s: first message %s, want lobby waiting for consent", what, m.Raw)
		}
		return w
	}

	lobbyPage("uncovered professional", proHTTP, "acc-pro")
	pro := lobbySocket("uncovered professional", proHTTP, "acc-pro")
	list := coord.until("the lobby list naming the professional as waiting", func(m accMsg) bool {
		return m.T == "lobby-list" && accWaitingIn(m.HTMLText(), "Pia Fritid")
	})
	if !strings.Contains(html.UnescapeString(list.HTMLText()), noConsent) {
		t.Errorf("the coordinator's lobby list does not say why: want %q in\n%s", noConsent, accShort(list.HTMLText()))
	}
	if m := pro.do(accNewOp("set", "compass/fritid", 0, map[string]any{"field": "works", "value": "Före samtycket"})); m.T != "reject" || m.Code != "forbidden" {
		t.Errorf("op from the consent lobby: %s, want reject forbidden", m.Raw)
	}
	// Nobody can let them in: the coordinator's admission form is not for them.
	if resp, _ := accPost(t, coordHTTP, accRoomPath(env, "demo-coord", "lobby"), url.Values{"key": {"member:acc-pro"}, "decision": {"admit"}}, nil); resp.StatusCode == http.StatusSeeOther {
		t.Errorf("the coordinator admitted a professional without consent (status %d)", resp.StatusCode)
	}

	// One guardian's consent does not cover the organisation (joint custody: both).
	accConsent(t, env, "acc-consent-1", "demo-guardian1", "acc-org")
	if accCovered(t, env)["acc-org"] {
		t.Fatal("one guardian's consent covers the organisation")
	}
	lobbyPage("after one guardian's consent", proHTTP, "acc-pro")
	second := lobbySocket("after one guardian's consent", proHTTP, "acc-pro")
	second.close()

	// Both: they are let in at once.
	accConsent(t, env, "acc-consent-2", "demo-guardian2", "acc-org")
	start := time.Now()
	env.Server.Hub().ConsentChanged(env.MeetingID, accCovered(t, env))
	accClosedWithin(t, pro, start, realtime.CloseReload)
	accLobbyOnly(t, pro.all(), nil, true)
	if last := pro.all()[len(pro.all())-1]; last.T != "lobby" || last.LobbyState() != "admitted" {
		t.Errorf("last lobby message %s, want admitted", last.Raw)
	}
	if _, body := accGet(t, proHTTP, env.BoardURL("acc-pro")); len(accBoardContent(body)) == 0 {
		t.Errorf("after consent the professional's page is not the board")
	}
	proBoard := accDial(t, env, proHTTP, "acc-pro")
	if w := proBoard.nextOf("welcome"); w.Role != "professional" {
		t.Fatalf("welcome after consent: %s", w.Raw)
	}

	t.Run("withdrawal", func(t *testing.T) {
		teacherHTTP, nurseHTTP := accGuest(t, env, "demo-teacher"), accGuest(t, env, "demo-nurse")
		guardianHTTP := accGuest(t, env, "demo-guardian1")
		teacher, nurse := accDial(t, env, teacherHTTP, "demo-teacher"), accDial(t, env, nurseHTTP, "demo-nurse")
		guardian := accDial(t, env, guardianHTTP, "demo-guardian1")
		for _, w := range []*accWS{teacher, nurse, guardian} {
			w.nextOf("welcome")
		}
		// Guardian 1 withdraws the demo consent: none of the demo organisations is covered
		// any more (acc-org still is, by the two consents above).
		if err := env.Store.WithdrawConsent(ctx, "demo-consent-1", "demo-user-coord", time.Now()); err != nil {
			t.Fatal(err)
		}
		covered := accCovered(t, env)
		if covered["demo-skola"] || covered["demo-elevhalsa"] || covered["demo-stod"] || !covered["acc-org"] {
			t.Fatalf("covered after withdrawal: %v", covered)
		}
		start := time.Now()
		env.Server.Hub().ConsentChanged(env.MeetingID, covered)
		accClosedWithin(t, teacher, start, realtime.CloseForbidden)
		accClosedWithin(t, nurse, start, realtime.CloseForbidden)

		// Those who stay are still connected: they hear that the two left.
		gone := func(m accMsg) bool {
			ids := m.PeopleIDs()
			return m.T == "presence" && !slices.Contains(ids, "demo-teacher") && !slices.Contains(ids, "demo-nurse")
		}
		for _, w := range []*accWS{coord, guardian, proBoard} {
			w.until("presence without the teacher and the nurse", gone)
			if !w.isOpen() {
				t.Errorf("%s's socket closed (%d) on the withdrawal", w.name, w.code)
			}
		}
		if m := coord.do(accNewOp("goto", "meeting", 0, map[string]any{"from": accBoard(t, env).Meeting.CurrentItem, "to": "behov"})); m.T != "event" {
			t.Errorf("the coordinator (whose organisation is not covered) after the withdrawal: %s", m.Raw)
		}

		// They cannot come back.
		for _, p := range []struct {
			c      *http.Client
			member string
		}{{teacherHTTP, "demo-teacher"}, {nurseHTTP, "demo-nurse"}} {
			lobbyPage(p.member+" after the withdrawal", p.c, p.member)
			w := lobbySocket(p.member+" after the withdrawal", p.c, p.member)
			w.close()
			resp, _ := accPost(t, p.c, accRoomPath(env, p.member, "op"), url.Values{"op": {"set"}, "entity": {"compass/omsorg"},
				"base": {"0"}, "field": {"works"}, "value": {"efter återkallelsen"}}, nil)
			if resp.StatusCode == http.StatusSeeOther {
				t.Errorf("%s's form post after the withdrawal was applied", p.member)
			}
		}
		// The coordinator is never gated.
		if _, body := accGet(t, coordHTTP, env.BoardURL("demo-coord")); len(accBoardContent(body)) == 0 {
			t.Errorf("the coordinator's page is not the board after the withdrawal")
		}
	})
}

// TestAccessRemovalClosesSockets: removing a participant closes every socket of theirs
// (board and lobby) with 4403 within two seconds, revokes their link and sessions, and
// the removed member cannot come back in.
func TestAccessRemovalClosesSockets(t *testing.T) {
	t.Parallel()
	env := servertest.Start(t, servertest.Options{})
	coordHTTP := accCoordinator(t, env)
	coord := accDial(t, env, coordHTTP, "demo-coord")
	coord.nextOf("welcome")

	// The teacher on two devices; guardian 2 waiting in the lobby.
	phone, laptop := accGuest(t, env, "demo-teacher"), accGuest(t, env, "demo-teacher")
	w1, w2 := accDial(t, env, phone, "demo-teacher"), accDial(t, env, laptop, "demo-teacher")
	w1.nextOf("welcome")
	w2.nextOf("welcome")
	waitingHTTP := accJoin(t, env, env.Links["demo-guardian2"])
	waiting := accDial(t, env, waitingHTTP, "demo-guardian2")
	waiting.nextOf("lobby")
	spare := accInvite(t, env, "demo-teacher", time.Now().Add(time.Hour))

	start := time.Now()
	resp, body := accPost(t, coordHTTP, accRoomPath(env, "demo-coord", "remove"), url.Values{"member": {"demo-teacher"}}, nil)
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("remove: status %d\n%s", resp.StatusCode, accShort(body))
	}
	accClosedWithin(t, w1, start, realtime.CloseForbidden)
	accClosedWithin(t, w2, start, realtime.CloseForbidden)

	start = time.Now()
	resp, _ = accPost(t, coordHTTP, accRoomPath(env, "demo-coord", "remove"), url.Values{"member": {"demo-guardian2"}}, nil)
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("remove the waiting guest: status %d", resp.StatusCode)
	}
	accClosedWithin(t, waiting, start, realtime.CloseForbidden)

	for _, p := range []struct {
		c      *http.Client
		member string
	}{{phone, "demo-teacher"}, {laptop, "demo-teacher"}, {waitingHTTP, "demo-guardian2"}} {
		if resp, _ := accGetNoRedirect(t, servertest.NewClient(), env.Links[p.member]); resp.StatusCode != http.StatusNotFound {
			t.Errorf("%s's link after removal: status %d, want 404", p.member, resp.StatusCode)
		}
		if resp, _ := accGet(t, p.c, env.BoardURL(p.member)); resp.StatusCode != http.StatusNotFound && resp.StatusCode != http.StatusForbidden {
			t.Errorf("%s's board page after removal: status %d, want 404 or 403", p.member, resp.StatusCode)
		}
		if got := accDialStatus(t, env, p.c, p.member, env.URL); got != http.StatusNotFound && got != http.StatusForbidden {
			t.Errorf("%s's socket after removal: HTTP %d, want 404 or 403", p.member, got)
		}
	}
	// A second link made before the removal and never used is dead too.
	if resp, _ := accGetNoRedirect(t, servertest.NewClient(), spare); resp.StatusCode != http.StatusNotFound {
		t.Errorf("the teacher's unused second link after removal: status %d, want 404", resp.StatusCode)
	}
	if removed, _ := env.Store.Removed(context.Background(), env.MeetingID); removed["demo-teacher"].By != "demo-coord" {
		t.Errorf("the removal is not recorded as the coordinator's: %+v", removed["demo-teacher"])
	}
}

// TestAccessRevokedLinkClosesSockets: revoking a member's personal link (the team page's
// revoke form) closes the sockets that came in by it with 4403 within two seconds, and the
// link answers 404.
func TestAccessRevokedLinkClosesSockets(t *testing.T) {
	t.Parallel()
	env := servertest.Start(t, servertest.Options{})
	const route = "/teams/:team/meetings/:meeting/links/:member/revoke"
	if !slices.Contains(accRoutes(env, http.MethodPost), route) {
		t.Skipf("no %s route yet; removal (which revokes the link) is covered by TestAccessRemovalClosesSockets", route)
	}
	coordHTTP := accCoordinator(t, env)
	guardianHTTP := accGuest(t, env, "demo-guardian1")
	w := accDial(t, env, guardianHTTP, "demo-guardian1")
	w.nextOf("welcome")
	u := env.URL + "/teams/" + demo.TeamID + "/meetings/" + env.MeetingID + "/links/demo-guardian1/revoke"
	start := time.Now()
	resp, body := accPost(t, coordHTTP, u, nil, nil)
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("revoke: status %d\n%s", resp.StatusCode, accShort(body))
	}
	accClosedWithin(t, w, start, realtime.CloseForbidden)
	if resp, _ := accGetNoRedirect(t, servertest.NewClient(), env.Links["demo-guardian1"]); resp.StatusCode != http.StatusNotFound {
		t.Errorf("the revoked link: status %d, want 404", resp.StatusCode)
	}
	if got := accDialStatus(t, env, guardianHTTP, "demo-guardian1", env.URL); got != http.StatusNotFound && got != http.StatusForbidden {
		t.Errorf("socket after the revocation: HTTP %d, want 404 or 403", got)
	}
}

// TestAccessRoomControlIsLeaderOnly: admitting, removing, naming a co-facilitator and
// handing over are refused (403) for everyone but the meeting's leader, and change nothing.
func TestAccessRoomControlIsLeaderOnly(t *testing.T) {
	t.Parallel()
	env := servertest.Start(t, servertest.Options{})
	accStaffMember(t, env, "acc-staff", "Stina Stöd", board.RoleProfessional, "demo-skola")
	waiting := accJoin(t, env, env.Links["demo-guardian2"])
	key := accLobbyKey(t, env, waiting, "demo-guardian2")
	forms := map[string]url.Values{
		"lobby":         {"key": {key}, "decision": {"admit"}},
		"remove":        {"member": {"demo-child"}},
		"cofacilitator": {"member": {"acc-staff"}},
		"handover":      {"member": {"acc-staff"}},
	}
	for _, member := range []string{"demo-nurse", "demo-teacher", "demo-guardian1", "demo-child"} {
		c := accGuest(t, env, member)
		for path, form := range forms {
			before := accSnapshot(t, env)
			resp, _ := accPost(t, c, accRoomPath(env, member, path), form, nil)
			if resp.StatusCode != http.StatusForbidden {
				t.Errorf("%s POST %s: status %d, want 403", member, path, resp.StatusCode)
			}
			if d := before.diff(accSnapshot(t, env)); len(d) > 0 {
				t.Errorf("%s POST %s changed state: %v", member, path, d)
			}
		}
	}
	// A guest in the lobby cannot let themself in.
	resp, _ := accPost(t, waiting, accRoomPath(env, "demo-guardian2", "lobby"), forms["lobby"], nil)
	if resp.StatusCode != http.StatusForbidden && resp.StatusCode != http.StatusNotFound {
		t.Errorf("the waiting guest admitting themself: status %d, want 403", resp.StatusCode)
	}
	if _, body := accGet(t, waiting, env.BoardURL("demo-guardian2")); len(accBoardContent(body)) > 0 {
		t.Errorf("the waiting guest got in by posting the admission form")
	}
}

// TestAccessCofacilitatorAndHandover: the coordinator names a staff member co-facilitator;
// while the coordinator is connected the co-facilitator may not move the meeting on; when
// the coordinator's last socket closes the co-facilitator is told (a snapshot with an
// announcement) and may; when the coordinator is back, may not again. Handing over closes
// both people's sockets with 4005, swaps the roles in the store, and the rights follow.
func TestAccessCofacilitatorAndHandover(t *testing.T) {
	t.Parallel()
	env := servertest.Start(t, servertest.Options{})
	cofacHTTP := accStaffMember(t, env, "acc-cofac", "Cecilia Medledare", board.RoleProfessional, "demo-skola")
	coordHTTP := accCoordinator(t, env)
	coord := accDial(t, env, coordHTTP, "demo-coord")
	coord.nextOf("welcome")
	cofac := accDial(t, env, cofacHTTP, "acc-cofac")
	cofac.nextOf("welcome")

	gotoOp := func() accOp {
		cur := accBoard(t, env).Meeting.CurrentItem
		to := "behov"
		if cur == "behov" {
			to = "situation"
		}
		return accNewOp("goto", "meeting", 0, map[string]any{"from": cur, "to": to})
	}
	if resp, body := accPost(t, coordHTTP, accRoomPath(env, "demo-coord", "cofacilitator"), url.Values{"member": {"acc-cofac"}}, nil); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("name co-facilitator: status %d\n%s", resp.StatusCode, accShort(body))
	}
	if m, _ := env.Store.Meeting(context.Background(), env.MeetingID); m.Cofacilitator != "acc-cofac" {
		t.Fatalf("co-facilitator in the store: %q", m.Cofacilitator)
	}
	if m := cofac.do(gotoOp()); m.T != "reject" || m.Code != "forbidden" {
		t.Errorf("co-facilitator's goto while the coordinator is here: %s, want reject forbidden", m.Raw)
	}
	if resp, _ := accPost(t, cofacHTTP, accRoomPath(env, "acc-cofac", "remove"), url.Values{"member": {"demo-child"}}, nil); resp.StatusCode != http.StatusForbidden {
		t.Errorf("co-facilitator removing someone while the coordinator is here: status %d, want 403", resp.StatusCode)
	}

	// The coordinator on a second device too: closing one socket is not leaving.
	second := accDial(t, env, coordHTTP, "demo-coord")
	second.nextOf("welcome")
	conns := env.Server.Hub().Stats().Conns
	second.close()
	accWaitFor(t, "the room to drop the coordinator's second socket", func() bool { return env.Server.Hub().Stats().Conns == conns-1 })
	if m := cofac.do(gotoOp()); m.T != "reject" || m.Code != "forbidden" {
		t.Errorf("co-facilitator's goto while the coordinator still has a socket: %s, want reject forbidden", m.Raw)
	}

	// The child answers, not yet shared: for the child and the coordinator only.
	const secret = "Det här har jag bara sagt till Maria."
	if resp, body := accPost(t, accGuest(t, env, "demo-child"), accRoomPath(env, "demo-child", "op"), url.Values{"op": {"set"}, "entity": {"compass/trygghet"},
		"field": {"child_words"}, "base": {"0"}, "value": {secret}}, nil); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("the child's answer: status %d\n%s", resp.StatusCode, accShort(body))
	}
	cofac.until("the child's answer applied", func(m accMsg) bool { return m.T == "event" && m.Change.Actor == "demo-child" })

	coord.close()
	snap := cofac.until("a snapshot announcing that they lead", func(m accMsg) bool { return m.T == "snapshot" && m.Announce != "" })
	if want := env.Catalog.T("sv", "lead.you_lead"); snap.Announce != want {
		t.Errorf("announcement %q, want %q", snap.Announce, want)
	}
	// Leading the meeting is not being the coordinator the child confided in.
	if strings.Contains(snap.Raw, secret) {
		t.Errorf("the co-facilitator leading in the coordinator's absence gets the child's unshared answer in the snapshot")
	}
	if _, page := accGet(t, cofacHTTP, accRoomPath(env, "acc-cofac", "")); strings.Contains(page, secret) {
		t.Errorf("the co-facilitator leading in the coordinator's absence sees the child's unshared answer on the board")
	}
	cofac.until("the lobby list for the new leader", func(m accMsg) bool { return m.T == "lobby-list" })
	if m := cofac.do(gotoOp()); m.T != "event" || m.Change.Actor != "acc-cofac" {
		t.Errorf("co-facilitator's goto while the coordinator is away: %s, want applied", m.Raw)
	}

	coord = accDial(t, env, coordHTTP, "demo-coord")
	coord.nextOf("welcome")
	back := cofac.until("a snapshot announcing the coordinator's return", func(m accMsg) bool { return m.T == "snapshot" && m.Announce != "" })
	if want := env.Catalog.T("sv", "lead.coordinator_back"); back.Announce != want {
		t.Errorf("announcement %q, want %q", back.Announce, want)
	}
	if m := cofac.do(gotoOp()); m.T != "reject" || m.Code != "forbidden" {
		t.Errorf("co-facilitator's goto after the coordinator is back: %s, want reject forbidden", m.Raw)
	}

	t.Run("handover", func(t *testing.T) {
		start := time.Now()
		resp, body := accPost(t, coordHTTP, accRoomPath(env, "demo-coord", "handover"), url.Values{"member": {"acc-cofac"}}, nil)
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("hand over: status %d\n%s", resp.StatusCode, accShort(body))
		}
		accClosedWithin(t, coord, start, realtime.CloseReload)
		accClosedWithin(t, cofac, start, realtime.CloseReload)
		ctx := context.Background()
		for id, want := range map[string]board.Role{"acc-cofac": board.RoleCoordinator, "demo-coord": board.RoleProfessional} {
			if m, err := env.Store.Member(ctx, id); err != nil || m.Role != want {
				t.Errorf("%s's role in the store: %q (%v), want %q", id, m.Role, err, want)
			}
		}
		newCoord, oldCoord := accDial(t, env, cofacHTTP, "acc-cofac"), accDial(t, env, coordHTTP, "demo-coord")
		if w := newCoord.nextOf("welcome"); w.Role != "coordinator" {
			t.Errorf("the new coordinator's welcome: %s", w.Raw)
		}
		if w := oldCoord.nextOf("welcome"); w.Role != "professional" {
			t.Errorf("the old coordinator's welcome: %s", w.Raw)
		}
		if m := newCoord.do(gotoOp()); m.T != "event" {
			t.Errorf("the new coordinator's goto: %s, want applied", m.Raw)
		}
		if m := oldCoord.do(gotoOp()); m.T != "reject" || m.Code != "forbidden" {
			t.Errorf("the old coordinator's goto: %s, want reject forbidden", m.Raw)
		}
		if resp, _ := accPost(t, coordHTTP, accRoomPath(env, "demo-coord", "remove"), url.Values{"member": {"demo-child"}}, nil); resp.StatusCode != http.StatusForbidden {
			t.Errorf("the old coordinator removing someone: status %d, want 403", resp.StatusCode)
		}
	})
}

// TestAccessLeadingCofacilitatorIsGatedByConsent: a co-facilitator is a professional; while
// leading the meeting they stand in for the coordinator but their organisation's consent
// still gates them, exactly as their page (roomAccess) already does.
func TestAccessLeadingCofacilitatorIsGatedByConsent(t *testing.T) {
	t.Parallel()
	env := servertest.Start(t, servertest.Options{})
	ctx := context.Background()
	cofacHTTP := accStaffMember(t, env, "acc-cofac", "Cecilia Medledare", board.RoleProfessional, "demo-skola")
	coordHTTP := accCoordinator(t, env)
	if resp, _ := accPost(t, coordHTTP, accRoomPath(env, "demo-coord", "cofacilitator"), url.Values{"member": {"acc-cofac"}}, nil); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("name co-facilitator: status %d", resp.StatusCode)
	}
	cofac := accDial(t, env, cofacHTTP, "acc-cofac") // the coordinator is not connected: they lead
	if w := cofac.nextOf("welcome"); w.Member != "acc-cofac" {
		t.Fatal(w.Raw)
	}
	cofac.nextOf("lobby-list")
	if err := env.Store.WithdrawConsent(ctx, "demo-consent-2", "demo-user-coord", time.Now()); err != nil {
		t.Fatal(err)
	}
	// The page already shows the lobby (consent) ...
	if _, body := accGet(t, cofacHTTP, env.BoardURL("acc-cofac")); len(accBoardContent(body)) > 0 {
		t.Errorf("the uncovered co-facilitator's page still shows the board")
	}
	// ... and the socket must close as every uncovered professional's does.
	start := time.Now()
	env.Server.Hub().ConsentChanged(env.MeetingID, accCovered(t, env))
	accClosedWithin(t, cofac, start, realtime.CloseForbidden)
}
