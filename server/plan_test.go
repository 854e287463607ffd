package server_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/barnteam/barnteam/server/board"
	"github.com/barnteam/barnteam/server/servertest"
)

// Barnets plan over HTTP and the WebSocket: the plan's fields, freezing, the sign-off on
// each person's own page and in the room, and the live progress.

// planForm posts an op form to a member's board, as the page's plain forms do, and
// returns the response (not followed).
func planForm(t testing.TB, env *servertest.Env, c *http.Client, member string, form url.Values) (*http.Response, string) {
	t.Helper()
	return accPost(t, c, accRoomPath(env, member, "op"), form, nil)
}

// signFromPage opens the plan page as a member and posts its approval form (with a
// disagreement when given); it fails the test if the page offers no approval.
func signFromPage(t testing.TB, env *servertest.Env, c *http.Client, member, disagreement string) {
	t.Helper()
	resp, body := accGet(t, c, accRoomPath(env, member, "plan"))
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("%s's plan page: status %d", member, resp.StatusCode)
	}
	version := regexp.MustCompile(`name="d.version" value="(\d+)"`).FindStringSubmatch(body)
	sha := regexp.MustCompile(`name="d.sha256" value="([0-9a-f]{64})"`).FindStringSubmatch(body)
	if version == nil || sha == nil {
		t.Fatalf("%s's plan page offers no approval:\n%s", member, accShort(body))
	}
	form := url.Values{"op": {"sign"}, "entity": {"plan"}, "d.version": {version[1]}, "d.sha256": {sha[1]}, "back": {"plan"}}
	if disagreement != "" {
		form.Set("d.disagreement", disagreement)
	}
	resp, body = planForm(t, env, c, member, form)
	if resp.StatusCode != http.StatusSeeOther || !strings.HasSuffix(resp.Header.Get("Location"), "/plan?signed=1#signed") {
		t.Fatalf("%s signing: status %d to %q\n%s", member, resp.StatusCode, resp.Header.Get("Location"), accShort(body))
	}
	// Back on the plan page, the person reads that their approval is in.
	if _, page := accGet(t, c, env.URL+resp.Header.Get("Location")); !strings.Contains(page, `id="signed"`) {
		t.Errorf("%s's plan page after approving does not confirm it", member)
	}
}

// TestPlanSignOff: the coordinator fills in the plan's fields and freezes it; the board is
// then read-only; each required signer approves on their own plan page (one with a
// disagreement), one approval is recorded in the room; the others' boards follow the
// progress live; the last approval establishes the plan.
func TestPlanSignOff(t *testing.T) {
	t.Parallel()
	env := servertest.Start(t, servertest.Options{})
	coord := accCoordinator(t, env)
	guests := map[string]*http.Client{}
	for _, m := range []string{"demo-guardian1", "demo-guardian2", "demo-teacher", "demo-nurse", "demo-ifo", "demo-child"} {
		guests[m] = accGuest(t, env, m)
	}
	watch := accDial(t, env, guests["demo-guardian1"], "demo-guardian1") // in Swedish
	watch.nextOf("snapshot", "welcome")

	for _, form := range []url.Values{
		{"op": {"set"}, "entity": {"plan"}, "field": {"reason"}, "base": {"0"}, "value": {"Frånvaro och magont."}},
		{"op": {"set"}, "entity": {"plan"}, "field": {"lead_org"}, "value": {"demo-elevhalsa"}},
		{"op": {"set"}, "entity": {"plan"}, "field": {"follow_up"}, "value": {"2027-02-01"}},
		{"op": {"set"}, "entity": {"plan"}, "field": {"participation"}, "value": {"child_view"}},
		{"op": {"set"}, "entity": {"compass/halsa"}, "field": {"need"}, "base": {"0"}, "value": {"Sova bättre och slippa ont i magen."}},
		{"op": {"set"}, "entity": {"compass/halsa"}, "field": {"priority"}, "value": {"1"}},
	} {
		if resp, body := planForm(t, env, coord, "demo-coord", form); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("%v: status %d\n%s", form, resp.StatusCode, accShort(body))
		}
	}
	// The preview shows the plan as it would be frozen.
	_, preview := accGet(t, guests["demo-guardian1"], accRoomPath(env, "demo-guardian1", "plan"))
	for _, want := range []string{"Frånvaro och magont.", "Sova bättre och slippa ont i magen.", "Elevhälsan, Solrosskolan", "2027-02-01", "Förhandsgranskning"} {
		if !strings.Contains(preview, want) {
			t.Errorf("the preview lacks %q", want)
		}
	}
	if strings.Contains(preview, `name="d.sha256"`) {
		t.Errorf("the preview of a draft offers an approval")
	}
	// Only the coordinator freezes.
	if resp, _ := planForm(t, env, guests["demo-nurse"], "demo-nurse", url.Values{"op": {"freeze"}, "entity": {"plan"}, "d.version": {"1"}}); resp.StatusCode != http.StatusUnprocessableEntity {
		t.Errorf("the Barnkontakt freezing: status %d, want 422", resp.StatusCode)
	}
	if resp, body := planForm(t, env, coord, "demo-coord", url.Values{"op": {"freeze"}, "entity": {"plan"}, "d.version": {"1"}, "next": {"#plan"}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("freeze: status %d\n%s", resp.StatusCode, accShort(body))
	}
	m := watch.until("the freeze", func(m accMsg) bool { return m.T == "event" && m.Change != nil && m.Change.Op == "freeze" })
	if !strings.Contains(m.Announce, "version 1") {
		t.Errorf("the freeze was announced as %q", m.Announce)
	}
	// Read-only now: an edit is refused with the reason, and the board offers no field.
	resp, body := planForm(t, env, guests["demo-teacher"], "demo-teacher", url.Values{"op": {"set"}, "entity": {"compass/halsa"}, "field": {"works"}, "base": {"0"}, "value": {"Sover bättre"}})
	if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "låst") {
		t.Errorf("an edit while frozen: status %d", resp.StatusCode)
	}
	if _, page := accGet(t, guests["demo-teacher"], env.BoardURL("demo-teacher")); strings.Contains(page, `<textarea id="f-compass-`) {
		t.Errorf("the frozen board still offers text fields")
	}

	// Approvals: on one's own page (one with a disagreement), and one recorded in the room.
	signFromPage(t, env, guests["demo-guardian1"], "demo-guardian1", "Vi vill ha ett möte till före sommaren.")
	m = watch.until("the first approval", func(m accMsg) bool { return m.T == "event" && m.Change != nil && m.Change.Op == "sign" })
	if !strings.Contains(m.Announce, "1 av 6") {
		t.Errorf("the first approval was announced as %q, want 1 av 6", m.Announce)
	}
	if !strings.Contains(m.HTMLText(), "Vi vill ha ett möte till före sommaren.") {
		t.Errorf("the disagreement is not on the others' boards")
	}
	for _, member := range []string{"demo-guardian2", "demo-teacher", "demo-nurse"} {
		signFromPage(t, env, guests[member], member, "")
	}
	// The IFO social worker has no device: the coordinator records her approval.
	if resp, body := planForm(t, env, coord, "demo-coord", url.Values{"op": {"sign"}, "entity": {"plan"}, "d.version": {"1"}, "d.sha256": {accBoard(t, env).Plan.SHA256}, "d.member": {"demo-ifo"}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("record an approval in the room: status %d\n%s", resp.StatusCode, accShort(body))
	}
	// The child is 9: agreeing is welcome, not required.
	if _, page := accGet(t, guests["demo-child"], accRoomPath(env, "demo-child", "plan")); !strings.Contains(page, `name="d.sha256"`) {
		t.Errorf("the child's plan page offers no way to agree")
	}
	if b := accBoard(t, env); b.Plan.Status != board.PlanSigning {
		t.Fatalf("established before the coordinator approved: %s", b.Plan.Status)
	}
	signFromPage(t, env, coord, "demo-coord", "")
	b := accBoard(t, env)
	if b.Plan.Status != board.PlanEstablished || len(b.Plan.Signatures) != 6 {
		t.Fatalf("after every approval: %s with %d signatures", b.Plan.Status, len(b.Plan.Signatures))
	}
	m = watch.until("the establishment", func(m accMsg) bool {
		return m.T == "event" && m.Change != nil && m.Change.Op == "sign" && strings.Contains(m.Announce, "fastställd")
	})
	if !strings.Contains(m.HTMLText(), "fastställd") {
		t.Errorf("the others' boards do not say the plan is established")
	}
	ifo, _ := b.Plan.SignatureOf("demo-ifo")
	if ifo.Method != board.SignInRoom || ifo.RecordedBy != "Maria Lind" {
		t.Errorf("the IFO approval: %+v", ifo)
	}
	v, err := env.Store.PlanVersion(context.Background(), env.MeetingID, 1)
	if err != nil {
		t.Fatal(err)
	}
	if v.Status != board.PlanEstablished || len(v.Signatures) != 6 || board.PlanSHA256(v.Canonical) != v.SHA256 {
		t.Errorf("the stored version: %s, %d signatures", v.Status, len(v.Signatures))
	}
	// The guardian's page now says they approved, and offers nothing more to sign.
	_, page := accGet(t, guests["demo-guardian1"], accRoomPath(env, "demo-guardian1", "plan"))
	if !strings.Contains(page, "Du godkände planen") || strings.Contains(page, `name="d.sha256"`) {
		t.Errorf("the guardian's plan page after approving:\n%s", accShort(page))
	}
}
