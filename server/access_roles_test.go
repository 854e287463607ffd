package server_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/barnteam/barnteam/server/board"
	"github.com/barnteam/barnteam/server/servertest"
)

// accSubject is one person in the role × op test: how they are connected and what their
// own ids are.
type accSubject struct {
	who    string // the column: a role, "lobby" or "removed"
	member string
	ws     *accWS
	http   *http.Client
}

// accOpCase is one op of the role × op test, with the expected outcome per role written
// out by hand from docs/PERMISSIONS.md (not computed from board.Matrix).
type accOpCase struct {
	name string
	// allowed lists the roles that may do it; every other role is refused "forbidden".
	allowed string
	op      func(s accSubject, cur accBoardNow) accOp
}

// accBoardNow is what an op needs to know of the board: the seq (a base no text field is
// ahead of) and the current agenda item.
type accBoardNow struct {
	seq     int64
	current string
}

// sfx is a subject's suffix for the ids of its own items.
func (s accSubject) sfx() string { return strings.ReplaceAll(s.who, "_", "") }

// ownPerspective is the rating perspective a member may rate from.
func (s accSubject) ownPerspective() string {
	switch s.who {
	case "child":
		return "child"
	case "guardian", "lobby":
		return "guardian:" + s.member
	}
	return "professionals"
}

// otherPerspective is a perspective that is not the member's own.
func (s accSubject) otherPerspective() string {
	if s.who == "child" {
		return "professionals"
	}
	return "child"
}

// accRoleOps is the table. Columns of PERMISSIONS.md:
//
//	coordinator child_contact professional guardian child network
var accRoleOps = []accOpCase{
	{"create agenda item", "coordinator child_contact", func(s accSubject, _ accBoardNow) accOp {
		return accNewOp("create", "agenda/new-"+s.sfx(), 0, map[string]any{"title": "Övrigt", "timebox_min": 5})
	}},
	{"create goal", "coordinator child_contact professional guardian", func(s accSubject, _ accBoardNow) accOp {
		return accNewOp("create", "goal/new-"+s.sfx(), 0, map[string]any{"area": "fritid", "term": "short", "text": "Alva provar simning."})
	}},
	{"create action", "coordinator child_contact professional guardian", func(s accSubject, _ accBoardNow) accOp {
		return accNewOp("create", "action/new-"+s.sfx(), 0, map[string]any{"what": "Simskola på lördagar."})
	}},
	{"set agenda title", "coordinator child_contact", func(s accSubject, b accBoardNow) accOp {
		return accNewOp("set", "agenda/ag-"+s.sfx(), b.seq, map[string]any{"field": "title", "value": "Ny rubrik"})
	}},
	{"set agenda status", "coordinator child_contact", func(s accSubject, b accBoardNow) accOp {
		return accNewOp("set", "agenda/ag-"+s.sfx(), 0, map[string]any{"field": "status", "value": "done"})
	}},
	{"set agenda notes", "coordinator child_contact professional", func(s accSubject, b accBoardNow) accOp {
		return accNewOp("set", "agenda/ag-"+s.sfx(), b.seq, map[string]any{"field": "notes", "value": "- anteckning av " + s.who})
	}},
	{"set compass works", "coordinator child_contact professional guardian", func(s accSubject, b accBoardNow) accOp {
		return accNewOp("set", "compass/omsorg", b.seq, map[string]any{"field": "works", "value": "Fungerar, enligt " + s.who})
	}},
	{"set compass child_voice", "coordinator child_contact professional guardian child", func(s accSubject, b accBoardNow) accOp {
		return accNewOp("set", "compass/respekt", b.seq, map[string]any{"field": "child_voice", "value": "Jag vill bli lyssnad på (" + s.who + ")"})
	}},
	{"set compass guardians_view", "coordinator child_contact professional guardian", func(s accSubject, b accBoardNow) accOp {
		return accNewOp("set", "compass/ansvar", b.seq, map[string]any{"field": "guardians_view", "value": "Vårdnadshavarnas syn (" + s.who + ")"})
	}},
	{"set goal text", "coordinator child_contact professional guardian", func(s accSubject, b accBoardNow) accOp {
		return accNewOp("set", "goal/g-"+s.sfx(), b.seq, map[string]any{"field": "text", "value": "Ändrat mål (" + s.who + ")"})
	}},
	{"set action what", "coordinator child_contact professional guardian", func(s accSubject, b accBoardNow) accOp {
		return accNewOp("set", "action/a-"+s.sfx(), b.seq, map[string]any{"field": "what", "value": "Ändrad insats (" + s.who + ")"})
	}},
	{"move agenda item", "coordinator child_contact", func(s accSubject, _ accBoardNow) accOp {
		return accNewOp("move", "agenda/ag-"+s.sfx(), 0, map[string]any{"after": ""})
	}},
	{"move goal", "coordinator child_contact professional guardian", func(s accSubject, _ accBoardNow) accOp {
		return accNewOp("move", "goal/g-"+s.sfx(), 0, map[string]any{"after": ""})
	}},
	{"move action", "coordinator child_contact professional guardian", func(s accSubject, _ accBoardNow) accOp {
		return accNewOp("move", "action/a-"+s.sfx(), 0, map[string]any{"after": ""})
	}},
	{"delete agenda item", "coordinator child_contact", func(s accSubject, _ accBoardNow) accOp {
		return accNewOp("delete", "agenda/ag-"+s.sfx(), 0, nil)
	}},
	{"delete goal", "coordinator child_contact professional", func(s accSubject, _ accBoardNow) accOp {
		return accNewOp("delete", "goal/g-"+s.sfx(), 0, nil)
	}},
	{"delete action", "coordinator child_contact professional", func(s accSubject, _ accBoardNow) accOp {
		return accNewOp("delete", "action/a-"+s.sfx(), 0, nil)
	}},
	{"rate from own perspective", "coordinator child_contact professional guardian child", func(s accSubject, _ accBoardNow) accOp {
		return accNewOp("rate", "compass/fritid", 0, map[string]any{"perspective": s.ownPerspective(), "value": "4"})
	}},
	{"rate from another's perspective", "", func(s accSubject, _ accBoardNow) accOp {
		return accNewOp("rate", "compass/fritid", 0, map[string]any{"perspective": s.otherPerspective(), "value": "2"})
	}},
	{"goto", "coordinator", func(s accSubject, b accBoardNow) accOp {
		to := "behov"
		if b.current == "behov" {
			to = "situation"
		}
		return accNewOp("goto", "meeting", 0, map[string]any{"from": b.current, "to": to})
	}},
}

// TestAccessEveryRoleEveryOp: every role × every op kind over the wire, plus a member
// waiting in the lobby (every op refused, no event) and a removed member (cannot connect,
// form posts refused). The expectations are the hand-written table above.
func TestAccessEveryRoleEveryOp(t *testing.T) {
	t.Parallel()
	env := servertest.Start(t, servertest.Options{})

	// A network member, with a personal link.
	accAddMember(t, env, board.Member{ID: "acc-network", Name: "Nils Granne", Role: board.RoleNetwork})
	networkLink := accInvite(t, env, "acc-network", time.Now().Add(time.Hour))

	coordHTTP := accCoordinator(t, env)
	subjects := []accSubject{
		{who: "coordinator", member: "demo-coord", http: coordHTTP},
		{who: "child_contact", member: "demo-nurse", http: accGuest(t, env, "demo-nurse")},
		{who: "professional", member: "demo-teacher", http: accGuest(t, env, "demo-teacher")},
		{who: "guardian", member: "demo-guardian1", http: accGuest(t, env, "demo-guardian1")},
		{who: "child", member: "demo-child", http: accGuest(t, env, "demo-child")},
	}
	netHTTP := accJoin(t, env, networkLink)
	accAdmit(t, env, netHTTP, "acc-network")
	subjects = append(subjects, accSubject{who: "network", member: "acc-network", http: netHTTP})
	lobby := accSubject{who: "lobby", member: "demo-guardian2", http: accJoin(t, env, env.Links["demo-guardian2"])}

	// The removed member joined and was let in, then the coordinator removed them.
	removedHTTP := accGuest(t, env, "demo-ifo")
	if resp, body := accPost(t, coordHTTP, accRoomPath(env, "demo-coord", "remove"), url.Values{"member": {"demo-ifo"}}, nil); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("remove demo-ifo: status %d\n%s", resp.StatusCode, accShort(body))
	}

	// Each subject gets its own agenda item, goal and action to set, move and delete, made
	// by the coordinator, so that every refusal is about the role and nothing else.
	setup := accDial(t, env, coordHTTP, "demo-coord")
	setup.nextOf("welcome")
	for _, s := range append(subjects, lobby) {
		for _, op := range []accOp{
			accNewOp("create", "agenda/ag-"+s.sfx(), 0, map[string]any{"title": "Punkt för " + s.who, "timebox_min": 5}),
			accNewOp("create", "goal/g-"+s.sfx(), 0, map[string]any{"area": "fritid", "term": "long", "text": "Mål för " + s.who}),
			accNewOp("create", "action/a-"+s.sfx(), 0, map[string]any{"what": "Insats för " + s.who}),
		} {
			if m := setup.do(op); m.T != "event" {
				t.Fatalf("setting up %s: %s", op.Entity, m.Raw)
			}
		}
	}
	setup.close()

	// The lobby socket is open while everyone else acts: it must hear none of it.
	lobby.ws = accDial(t, env, lobby.http, lobby.member)
	if m, _ := lobby.ws.next(); m.T != "lobby" || m.LobbyState() != "waiting" || m.Reason != "admission" {
		t.Fatalf("lobby socket's first message: %s", m.Raw)
	}

	current := accBoard(t, env).Meeting.CurrentItem
	now := func() accBoardNow { return accBoardNow{seq: accSeq(t, env), current: current} }
	for _, s := range subjects {
		t.Run(s.who, func(t *testing.T) {
			// One subject connected at a time: every op's event is rendered once per
			// connected variant, and the race detector makes that slow.
			s.ws = accDial(t, env, s.http, s.member)
			defer s.ws.close()
			if w := s.ws.nextOf("welcome"); w.Member != s.member || w.Role != s.who {
				t.Fatalf("%s: welcome as %s/%s", s.member, w.Member, w.Role)
			}
			for _, tc := range accRoleOps {
				allowed := false
				for _, r := range strings.Fields(tc.allowed) {
					allowed = allowed || r == s.who
				}
				before := now()
				op := tc.op(s, before)
				m := s.ws.do(op)
				after := accSeq(t, env)
				if m.T == "event" && op.Op == "goto" {
					current = op.Data["to"].(string)
				}
				switch {
				case allowed && (m.T != "event" || m.Change.Actor != s.member || m.Seq != before.seq+1 || after != before.seq+1):
					t.Errorf("%s %s: got %s (board %d → %d), want it applied as seq %d", s.who, tc.name, m.Raw, before.seq, after, before.seq+1)
				case !allowed && (m.T != "reject" || m.Code != "forbidden"):
					t.Errorf("%s %s: got %s, want reject forbidden", s.who, tc.name, accShort(m.Raw))
				case !allowed && after != before.seq:
					t.Errorf("%s %s: refused, but the op log grew from %d to %d", s.who, tc.name, before.seq, after)
				}
			}
		})
	}

	t.Run("lobby", func(t *testing.T) {
		for _, tc := range accRoleOps {
			before := now()
			m := lobby.ws.do(tc.op(lobby, before))
			if m.T != "reject" || m.Code != "forbidden" {
				t.Errorf("lobby %s: got %s, want reject forbidden", tc.name, accShort(m.Raw))
			}
			if after := accSeq(t, env); after != before.seq {
				t.Errorf("lobby %s: the op log grew from %d to %d", tc.name, before.seq, after)
			}
		}
		// The same through the no-JavaScript form: not applied, no redirect to the board.
		before := accSeq(t, env)
		resp, body := accPost(t, lobby.http, accRoomPath(env, lobby.member, "op"), url.Values{
			"op": {"set"}, "entity": {"compass/omsorg"}, "base": {"0"}, "field": {"guardians_view"}, "value": {"från lobbyn"}}, nil)
		if resp.StatusCode == http.StatusSeeOther || accSeq(t, env) != before {
			t.Errorf("lobby form post: status %d, op log %d → %d; want it refused", resp.StatusCode, before, accSeq(t, env))
		}
		if found := accBoardContent(body); len(found) > 0 {
			t.Errorf("lobby form post answered with board content: %v", found)
		}
		for _, m := range lobby.ws.all() {
			if m.T != "lobby" && m.T != "hb" && m.T != "reject" {
				t.Errorf("the lobby socket received a %q message: %s", m.T, accShort(m.Raw))
			}
		}
	})

	t.Run("removed", func(t *testing.T) {
		if got := accDialStatus(t, env, removedHTTP, "demo-ifo", env.URL); got != http.StatusNotFound && got != http.StatusForbidden {
			t.Errorf("removed member's upgrade: HTTP %d, want 404 or 403", got)
		}
		before := accSeq(t, env)
		for _, tc := range accRoleOps {
			// Every kind through the form path (the socket is out of reach).
			op := tc.op(accSubject{who: "professional", member: "demo-ifo"}, now())
			form := url.Values{"cid": {op.CID}, "op": {op.Op}, "entity": {op.Entity}, "base": {strconv.FormatInt(op.Base, 10)}}
			for k, v := range op.Data {
				name := "d." + k
				if op.Op == "set" {
					name = k // field and value
				}
				form.Set(name, fmt.Sprint(v))
			}
			resp, _ := accPost(t, removedHTTP, accRoomPath(env, "demo-ifo", "op"), form, nil)
			if resp.StatusCode != http.StatusNotFound && resp.StatusCode != http.StatusForbidden {
				t.Errorf("removed member's form post %s: status %d, want 404 or 403", tc.name, resp.StatusCode)
			}
		}
		if after := accSeq(t, env); after != before {
			t.Errorf("removed member's posts moved the op log from %d to %d", before, after)
		}
		// Their room-control posts too.
		for _, path := range []string{"lobby", "remove", "cofacilitator", "handover"} {
			resp, _ := accPost(t, removedHTTP, accRoomPath(env, "demo-ifo", path), url.Values{"member": {"demo-child"}}, nil)
			if resp.StatusCode != http.StatusNotFound && resp.StatusCode != http.StatusForbidden {
				t.Errorf("removed member's POST %s: status %d, want 404 or 403", path, resp.StatusCode)
			}
		}
		if resp, _ := accGet(t, removedHTTP, env.BoardURL("demo-ifo")); resp.StatusCode != http.StatusNotFound && resp.StatusCode != http.StatusForbidden {
			t.Errorf("removed member's board page: status %d, want 404 or 403", resp.StatusCode)
		}
	})
}
