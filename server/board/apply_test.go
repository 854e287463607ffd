package board

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// fixture is a small team: one member of every role, two guardians, two organisations.
func fixture() (*Directory, map[Role]Actor) {
	dir := &Directory{
		Team: Team{ID: "t1", ChildFirstName: "Alva", ChildBirthYear: 2017, Reason: "Oro"},
		Orgs: []Organisation{{ID: "skola", Name: "Solrosskolan", Huvudman: HuvudmanKommun}, {ID: "bup", Name: "BUP", Huvudman: HuvudmanRegion}},
		Members: []Member{
			{ID: "coord", Name: "Maria", Role: RoleCoordinator, OrgID: "skola"},
			{ID: "contact", Name: "Eva", Role: RoleChildContact, OrgID: "skola"},
			{ID: "prof", Name: "Johan", Role: RoleProfessional, OrgID: "bup"},
			{ID: "g1", Name: "Sara", Role: RoleGuardian},
			{ID: "g2", Name: "Ahmed", Role: RoleGuardian},
			{ID: "child", Name: "Alva", Role: RoleChild},
			{ID: "net", Name: "Mormor", Role: RoleNetwork},
		},
	}
	actors := map[Role]Actor{}
	for _, m := range dir.Members {
		if _, ok := actors[m.Role]; !ok {
			actors[m.Role] = ActorOf(m)
		}
	}
	return dir, actors
}

// seeded returns a board with one agenda item (a1), one goal (g1) and one action (x1).
func seeded(t testing.TB) (*Board, *Directory, map[Role]Actor) {
	t.Helper()
	dir, actors := fixture()
	b := NewBoard("m1", "e1")
	mustApply(t, b, dir, actors[RoleCoordinator],
		`{"cid":"s1","op":"create","entity":"agenda/a1","data":{"title":"Inledning","timebox_min":10}}`,
		`{"cid":"s2","op":"create","entity":"agenda/a2","data":{"title":"Behov"}}`,
		`{"cid":"s3","op":"create","entity":"goal/g1","data":{"area":"trygghet","term":"long","text":"Trygg i skolan"}}`,
		`{"cid":"s4","op":"create","entity":"action/x1","data":{"what":"Rastvärd","responsible":"org:skola"}}`,
		`{"cid":"s5","op":"goto","entity":"meeting","data":{"from":"","to":"a1"}}`,
		`{"cid":"s6","op":"phase","entity":"meeting","data":{"from":"draft","to":"live"}}`,
	)
	return b, dir, actors
}

func decode(t testing.TB, raw string) Op {
	t.Helper()
	op, err := DecodeOp([]byte(raw))
	if err != nil {
		t.Fatalf("decode %s: %v", raw, err)
	}
	return op
}

func mustApply(t testing.TB, b *Board, dir *Directory, a Actor, ops ...string) {
	t.Helper()
	for _, raw := range ops {
		ch, err := b.Apply(dir, a, decode(t, raw), b.Seq+1)
		if err != nil {
			t.Fatalf("apply %s: %v", raw, err)
		}
		b.Commit(ch)
	}
}

func code(err error) ErrorCode {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	if err != nil {
		return "other"
	}
	return ""
}

// TestEveryRoleEveryOp checks the role permission matrix against the policy written out
// here by hand (and in docs/PERMISSIONS.md): every role against every kind of op. The
// expectations are not derived from Matrix, so a change to either shows up here.
func TestEveryRoleEveryOp(t *testing.T) {
	all := []Role{RoleCoordinator, RoleChildContact, RoleProfessional, RoleGuardian, RoleChild, RoleNetwork}
	staff := []Role{RoleCoordinator, RoleChildContact, RoleProfessional}
	staffAndGuardians := append(append([]Role{}, staff...), RoleGuardian)
	cases := []struct {
		name    string
		op      string // %s is replaced by the actor's own rating perspective
		allowed []Role
	}{
		{"goto", `{"op":"goto","entity":"meeting","data":{"from":"a1","to":"a2"}}`, []Role{RoleCoordinator}},
		{"agenda create", `{"op":"create","entity":"agenda/n1","data":{"title":"Ny punkt"}}`, []Role{RoleCoordinator, RoleChildContact}},
		{"agenda title", `{"op":"set","entity":"agenda/a1","base":1,"data":{"field":"title","value":"Välkomna"}}`, []Role{RoleCoordinator, RoleChildContact}},
		{"agenda timebox", `{"op":"set","entity":"agenda/a1","data":{"field":"timebox_min","value":15}}`, []Role{RoleCoordinator, RoleChildContact}},
		{"agenda status", `{"op":"set","entity":"agenda/a1","data":{"field":"status","value":"done"}}`, []Role{RoleCoordinator, RoleChildContact}},
		{"agenda notes", `{"op":"set","entity":"agenda/a1","base":0,"data":{"field":"notes","value":"Alla är här"}}`, staff},
		{"agenda move", `{"op":"move","entity":"agenda/a1","data":{"after":"a2"}}`, []Role{RoleCoordinator, RoleChildContact}},
		{"agenda delete", `{"op":"delete","entity":"agenda/a2"}`, []Role{RoleCoordinator, RoleChildContact}},
		{"compass works", `{"op":"set","entity":"compass/halsa","base":0,"data":{"field":"works","value":"Sover bättre"}}`, staffAndGuardians},
		{"compass worries", `{"op":"set","entity":"compass/halsa","base":0,"data":{"field":"worries","value":"Magont"}}`, staffAndGuardians},
		{"compass child voice", `{"op":"set","entity":"compass/halsa","base":0,"data":{"field":"child_voice","value":"Jag är trött"}}`, []Role{RoleCoordinator, RoleChildContact, RoleProfessional, RoleGuardian, RoleChild}},
		{"compass guardians view", `{"op":"set","entity":"compass/halsa","base":0,"data":{"field":"guardians_view","value":"Hon är glad hemma"}}`, staffAndGuardians},
		{"rate own perspective", `{"op":"rate","entity":"compass/halsa","data":{"perspective":"%s","value":"4"}}`, []Role{RoleCoordinator, RoleChildContact, RoleProfessional, RoleGuardian, RoleChild}},
		{"child words", `{"op":"set","entity":"compass/halsa","base":0,"data":{"field":"child_words","value":"Jag sover dåligt"}}`, []Role{RoleChild}},
		{"share", `{"op":"share","entity":"compass/halsa","data":{"shared":true}}`, []Role{RoleChild}},
		{"goal evidence", `{"op":"set","entity":"goal/g1","base":0,"data":{"field":"evidence","value":"Alva säger att rasterna är bra"}}`, staffAndGuardians},
		{"goal create", `{"op":"create","entity":"goal/n1","data":{"area":"halsa","term":"short","text":"Sova åtta timmar"}}`, staffAndGuardians},
		{"goal text", `{"op":"set","entity":"goal/g1","base":3,"data":{"field":"text","value":"Trygg på rasten"}}`, staffAndGuardians},
		{"goal term", `{"op":"set","entity":"goal/g1","data":{"field":"term","value":"short"}}`, staffAndGuardians},
		{"goal move", `{"op":"move","entity":"goal/g1","data":{"after":""}}`, staffAndGuardians},
		{"goal delete", `{"op":"delete","entity":"goal/g1"}`, staff},
		{"action create", `{"op":"create","entity":"action/n1","data":{"what":"Samtal"}}`, staffAndGuardians},
		{"action what", `{"op":"set","entity":"action/x1","base":4,"data":{"field":"what","value":"Rastvärd varje dag"}}`, staffAndGuardians},
		{"action status", `{"op":"set","entity":"action/x1","data":{"field":"status","value":"ongoing"}}`, staffAndGuardians},
		{"action move", `{"op":"move","entity":"action/x1","data":{"after":""}}`, staffAndGuardians},
		{"action delete", `{"op":"delete","entity":"action/x1"}`, staff},
		{"compass need", `{"op":"set","entity":"compass/halsa","base":0,"data":{"field":"need","value":"Sova bättre"}}`, staffAndGuardians},
		{"compass priority", `{"op":"set","entity":"compass/halsa","data":{"field":"priority","value":1}}`, staffAndGuardians},
		{"plan reason", `{"op":"set","entity":"plan","base":0,"data":{"field":"reason","value":"Frånvaro"}}`, []Role{RoleCoordinator, RoleChildContact}},
		{"plan follow-up", `{"op":"set","entity":"plan","data":{"field":"follow_up","value":"2027-02-01"}}`, []Role{RoleCoordinator, RoleChildContact}},
		{"plan freeze", `{"op":"freeze","entity":"plan","data":{"version":1}}`, []Role{RoleCoordinator}},
		{"agenda propose", `{"op":"create","entity":"agenda/p1","data":{"title":"Läxorna","proposed":true}}`, all},
		{"agenda decisions", `{"op":"set","entity":"agenda/a1","base":0,"data":{"field":"decisions","value":"Rastvärd från måndag"}}`, staff},
		{"agenda parked", `{"op":"set","entity":"agenda/a1","base":0,"data":{"field":"parked","value":"Skolskjuts"}}`, staff},
		{"meeting close", `{"op":"phase","entity":"meeting","data":{"from":"live","to":"closed"}}`, []Role{RoleCoordinator}},
		{"timer start", `{"op":"timer","entity":"meeting","data":{"action":"start","item":"a1"}}`, []Role{RoleCoordinator}},
		{"round start", `{"op":"round","entity":"meeting","data":{"action":"start"}}`, []Role{RoleCoordinator}},
		// Frozen ("#frozen"): the board is at version 1, being signed; %h is its hash.
		{"plan sign#frozen", `{"op":"sign","entity":"plan","data":{"version":1,"sha256":"%h"}}`, all},
		{"plan record in-room approval#frozen", `{"op":"sign","entity":"plan","data":{"version":1,"sha256":"%h","member":"g2"}}`, []Role{RoleCoordinator}},
		{"plan reopen#frozen", `{"op":"reopen","entity":"plan","data":{"version":1}}`, []Role{RoleCoordinator}},
	}
	kindsCovered := map[Kind]bool{}
	for _, tc := range cases {
		for _, role := range all {
			t.Run(tc.name+"/"+string(role), func(t *testing.T) {
				b, dir, actors := seeded(t)
				env := ApplyEnv{At: testTime, Freeze: fakeFreeze}
				if strings.HasSuffix(tc.name, "#frozen") {
					freezeBoard(t, b, dir, actors[RoleCoordinator])
				}
				actor := actors[role]
				raw := tc.op
				if strings.Contains(raw, "%s") {
					raw = fmt.Sprintf(raw, OwnPerspective(actor))
				}
				raw = strings.Replace(raw, "%h", b.Plan.SHA256, 1)
				raw = strings.Replace(raw, `{"op"`, `{"cid":"t1","op"`, 1)
				op := decode(t, raw)
				kindsCovered[op.Kind] = true
				_, err := b.ApplyWith(dir, actor, op, b.Seq+1, env)
				want := false
				for _, r := range tc.allowed {
					want = want || r == role
				}
				if want && err != nil {
					t.Errorf("%s may %s, but: %v", role, tc.name, err)
				}
				if !want && code(err) != CodeForbidden {
					t.Errorf("%s may not %s: got err %v, want forbidden", role, tc.name, err)
				}
			})
		}
	}
	for _, k := range Kinds {
		if !kindsCovered[k] {
			t.Errorf("op kind %q is not covered by the role test", k)
		}
	}
}

// TestRateOnlyOwnPerspective: nobody answers for someone else, not even the coordinator.
func TestRateOnlyOwnPerspective(t *testing.T) {
	b, dir, actors := seeded(t)
	for _, tc := range []struct {
		role        Role
		perspective string
	}{
		{RoleCoordinator, PerspectiveChild},
		{RoleProfessional, GuardianPerspective("g1")},
		{RoleGuardian, GuardianPerspective("g2")},
		{RoleGuardian, PerspectiveProfessionals},
		{RoleChild, GuardianPerspective("g1")},
	} {
		raw := fmt.Sprintf(`{"cid":"r","op":"rate","entity":"compass/trygghet","data":{"perspective":%q,"value":"2"}}`, tc.perspective)
		if _, err := b.Apply(dir, actors[tc.role], decode(t, raw), b.Seq+1); code(err) != CodeForbidden {
			t.Errorf("%s rating %s: err %v, want forbidden", tc.role, tc.perspective, err)
		}
	}
}

func TestRatingsUnratedAndRealNonAnswers(t *testing.T) {
	b, dir, actors := seeded(t)
	g := actors[RoleGuardian]
	if len(b.Compass["halsa"].Ratings) != 0 {
		t.Fatal("a new area must be unrated")
	}
	for _, v := range []string{"1", "5", "unknown", "declined"} {
		mustApply(t, b, dir, g, fmt.Sprintf(`{"cid":"r%s","op":"rate","entity":"compass/halsa","data":{"perspective":"guardian:g1","value":%q}}`, v, v))
		if got := b.Compass["halsa"].Ratings["guardian:g1"]; got != Rating(v) {
			t.Errorf("rating = %q, want %q", got, v)
		}
	}
	mustApply(t, b, dir, g, `{"cid":"clear","op":"rate","entity":"compass/halsa","data":{"perspective":"guardian:g1","value":""}}`)
	if _, ok := b.Compass["halsa"].Ratings["guardian:g1"]; ok {
		t.Error("clearing a rating must make the area unrated again, not zero")
	}
	for _, bad := range []string{"0", "6", "3.5", "bra"} {
		raw := fmt.Sprintf(`{"cid":"b","op":"rate","entity":"compass/halsa","data":{"perspective":"guardian:g1","value":%q}}`, bad)
		if _, err := b.Apply(dir, g, decode(t, raw), b.Seq+1); code(err) != CodeInvalid {
			t.Errorf("rating %q: err %v, want invalid", bad, err)
		}
	}
}

// TestValidation: bad input is refused with a code, the field at fault and a catalog key.
func TestValidation(t *testing.T) {
	long := strings.Repeat("å", MaxTextLen+1)
	cases := []struct {
		name, op  string
		code      ErrorCode
		field     string
		keyPrefix string
	}{
		{"empty title", `{"op":"create","entity":"agenda/n","data":{"title":"  "}}`, CodeInvalid, "title", "op.invalid.required"},
		{"title too long", `{"op":"create","entity":"agenda/n","data":{"title":"` + strings.Repeat("x", MaxTitleLen+1) + `"}}`, CodeInvalid, "title", "op.invalid.too_long"},
		{"negative timebox", `{"op":"create","entity":"agenda/n","data":{"title":"X","timebox_min":-1}}`, CodeInvalid, "timebox_min", "op.invalid.timebox"},
		{"huge timebox", `{"op":"set","entity":"agenda/a1","data":{"field":"timebox_min","value":9999}}`, CodeInvalid, "timebox_min", "op.invalid.timebox"},
		{"timebox not a number", `{"op":"set","entity":"agenda/a1","data":{"field":"timebox_min","value":"tio"}}`, CodeInvalid, "timebox_min", "op.invalid.timebox"},
		{"unknown status", `{"op":"set","entity":"agenda/a1","data":{"field":"status","value":"klar"}}`, CodeInvalid, "status", "op.invalid.value"},
		{"unknown field", `{"op":"set","entity":"agenda/a1","data":{"field":"colour","value":"red"}}`, CodeInvalid, "field", "op.invalid.field"},
		{"text too long", `{"op":"set","entity":"compass/halsa","base":0,"data":{"field":"works","value":"` + long + `"}}`, CodeInvalid, "works", "op.invalid.too_long"},
		{"control character", `{"op":"set","entity":"compass/halsa","base":0,"data":{"field":"works","value":"a\u0007b"}}`, CodeInvalid, "works", "op.invalid.control"},
		{"base from the future", `{"op":"set","entity":"compass/halsa","base":999,"data":{"field":"works","value":"x"}}`, CodeInvalid, "base", "op.invalid.base"},
		{"goal without text", `{"op":"create","entity":"goal/n","data":{"area":"halsa","term":"long","text":" "}}`, CodeInvalid, "text", "op.invalid.goal_required"},
		{"goal unknown area", `{"op":"create","entity":"goal/n","data":{"area":"skola","term":"long","text":"X"}}`, CodeInvalid, "area", "op.invalid.area"},
		{"goal unknown term", `{"op":"create","entity":"goal/n","data":{"area":"halsa","term":"mid","text":"X"}}`, CodeInvalid, "term", "op.invalid.term"},
		{"action without what", `{"op":"create","entity":"action/n","data":{"what":""}}`, CodeInvalid, "what", "op.invalid.what_required"},
		{"action bad date", `{"op":"create","entity":"action/n","data":{"what":"X","due":"15/12/2026"}}`, CodeInvalid, "due", "op.invalid.due"},
		{"action impossible date", `{"op":"set","entity":"action/x1","data":{"field":"due","value":"2026-02-30"}}`, CodeInvalid, "due", "op.invalid.due"},
		{"action unknown member", `{"op":"set","entity":"action/x1","data":{"field":"responsible","value":"member:nobody"}}`, CodeInvalid, "responsible", "op.invalid.responsible"},
		{"action unknown org", `{"op":"set","entity":"action/x1","data":{"field":"responsible","value":"org:polisen"}}`, CodeInvalid, "responsible", "op.invalid.responsible"},
		{"action unknown goal", `{"op":"set","entity":"action/x1","data":{"field":"goal_id","value":"nope"}}`, CodeInvalid, "goal_id", "op.invalid.goal"},
		{"action unknown status", `{"op":"set","entity":"action/x1","data":{"field":"status","value":"klar"}}`, CodeInvalid, "status", "op.invalid.status"},
		{"frequency too long", `{"op":"set","entity":"action/x1","data":{"field":"frequency","value":"` + strings.Repeat("v", MaxFrequencyLen+1) + `"}}`, CodeInvalid, "frequency", "op.invalid.too_long"},
		{"create existing", `{"op":"create","entity":"agenda/a1","data":{"title":"X"}}`, CodeInvalid, "entity", "op.invalid.exists"},
		{"set deleted or missing", `{"op":"set","entity":"agenda/zz","base":0,"data":{"field":"notes","value":"x"}}`, CodeNotFound, "", "op.not_found"},
		{"goto stale from", `{"op":"goto","entity":"meeting","data":{"from":"a2","to":"a1"}}`, CodeState, "", "op.state.current_moved"},
		{"goto missing item", `{"op":"goto","entity":"meeting","data":{"from":"a1","to":"zz"}}`, CodeNotFound, "", "op.not_found"},
		{"unknown data field", `{"op":"create","entity":"agenda/n","data":{"title":"X","colour":"red"}}`, CodeInvalid, "data", "op.invalid.data"},
		{"goal text emptied", `{"op":"set","entity":"goal/g1","base":3,"data":{"field":"text","value":"  "}}`, CodeInvalid, "text", "op.invalid.required"},
		{"action what emptied", `{"op":"set","entity":"action/x1","base":4,"data":{"field":"what","value":""}}`, CodeInvalid, "what", "op.invalid.required"},
		{"wrong op for entity", `{"op":"rate","entity":"agenda/a1","data":{}}`, CodeInvalid, "op", "op.invalid.kind"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			b, dir, actors := seeded(t)
			before, _ := json.Marshal(snapshotOf(b))
			raw := strings.Replace(tc.op, `{"op"`, `{"cid":"v1","op"`, 1)
			_, err := b.Apply(dir, actors[RoleCoordinator], decode(t, raw), b.Seq+1)
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("err = %v, want *Error", err)
			}
			if e.Code != tc.code || e.Field != tc.field || !strings.HasPrefix(e.Key, tc.keyPrefix) {
				t.Errorf("got %s field %q key %q; want %s field %q key %q", e.Code, e.Field, e.Key, tc.code, tc.field, tc.keyPrefix)
			}
			after, _ := json.Marshal(snapshotOf(b))
			if string(before) != string(after) {
				t.Error("a refused op changed the board")
			}
		})
	}
}

func TestDecodeOpRefusesMalformed(t *testing.T) {
	for _, raw := range []string{
		``, `null`, `[]`, `{"cid":"a"}`, `{"cid":"","op":"set","entity":"meeting"}`,
		`{"cid":"a","op":"explode","entity":"meeting"}`,
		`{"cid":"a","op":"set","entity":"agenda/"}`,
		`{"cid":"a","op":"set","entity":"agenda/has space"}`,
		`{"cid":"a","op":"set","entity":"compass/lycka"}`,
		`{"cid":"a","op":"set","entity":"team/x"}`,
		`{"cid":"a","op":"set","entity":"meeting","base":-1}`,
		`{"cid":"a","op":"set","entity":"meeting","extra":1}`,
		`{"cid":"a","op":"set","entity":"meeting"} {"cid":"b"}`,
		`{"cid":"` + strings.Repeat("c", MaxCIDLen+1) + `","op":"set","entity":"meeting"}`,
		`{"cid":"a","op":"create","entity":"agenda/` + strings.Repeat("i", MaxIDLen+1) + `"}`,
	} {
		if _, err := DecodeOp([]byte(raw)); code(err) != CodeInvalid {
			t.Errorf("DecodeOp(%q): err %v, want invalid", raw, err)
		}
	}
}

// snapshotOf is the comparable content of a board.
func snapshotOf(b *Board) any {
	return map[string]any{"seq": b.Seq, "meeting": b.Meeting, "agenda": b.Agenda, "compass": b.Compass, "goals": b.Goals, "actions": b.Actions}
}

// TestApplyLeavesBoardUntilCommit: the room persists a change before the board takes it,
// so a failed write leaves the board as it was.
func TestApplyLeavesBoardUntilCommit(t *testing.T) {
	b, dir, actors := seeded(t)
	before, _ := json.Marshal(snapshotOf(b))
	ch, err := b.Apply(dir, actors[RoleCoordinator], decode(t, `{"cid":"n","op":"set","entity":"agenda/a1","base":0,"data":{"field":"notes","value":"Hej"}}`), b.Seq+1)
	if err != nil {
		t.Fatal(err)
	}
	after, _ := json.Marshal(snapshotOf(b))
	if string(before) != string(after) {
		t.Fatal("Apply changed the board before Commit")
	}
	b.Commit(ch)
	if b.Agenda["a1"].Notes.Value != "Hej" || b.Agenda["a1"].Notes.Rev != ch.Seq || b.Seq != ch.Seq {
		t.Errorf("after Commit: notes %+v, seq %d", b.Agenda["a1"].Notes, b.Seq)
	}
}

// TestMergeThroughApply: a stale base is merged three-way; an edit that cannot be merged
// is refused with the current text so the client can show both; nothing is lost.
func TestMergeThroughApply(t *testing.T) {
	b, dir, actors := seeded(t)
	c, g := actors[RoleCoordinator], actors[RoleGuardian]
	mustApply(t, b, dir, c, `{"cid":"w1","op":"set","entity":"compass/omsorg","base":0,"data":{"field":"worries","value":"Alva äter lite frukost. Hon somnar sent."}}`)
	base := b.Compass["omsorg"].Worries.Rev
	// Both edit from the same revision: the coordinator the first sentence, the guardian
	// the second.
	mustApply(t, b, dir, c, fmt.Sprintf(`{"cid":"w2","op":"set","entity":"compass/omsorg","base":%d,"data":{"field":"worries","value":"Alva äter ingen frukost. Hon somnar sent."}}`, base))
	ch, err := b.Apply(dir, g, decode(t, fmt.Sprintf(`{"cid":"w3","op":"set","entity":"compass/omsorg","base":%d,"data":{"field":"worries","value":"Alva äter lite frukost. Hon somnar sent på helgerna."}}`, base)), b.Seq+1)
	if err != nil {
		t.Fatalf("merge refused: %v", err)
	}
	if !ch.Merged {
		t.Error("change not marked merged")
	}
	b.Commit(ch)
	if got, want := b.Compass["omsorg"].Worries.Value, "Alva äter ingen frukost. Hon somnar sent på helgerna."; got != want {
		t.Errorf("merged text = %q, want %q", got, want)
	}
	// Now both replace the same word differently: refused, with the current text.
	cur := b.Compass["omsorg"].Worries
	mustApply(t, b, dir, c, fmt.Sprintf(`{"cid":"w4","op":"set","entity":"compass/omsorg","base":%d,"data":{"field":"worries","value":"Alva äter ingen lunch. Hon somnar sent på helgerna."}}`, cur.Rev))
	_, err = b.Apply(dir, g, decode(t, fmt.Sprintf(`{"cid":"w5","op":"set","entity":"compass/omsorg","base":%d,"data":{"field":"worries","value":"Alva äter ingen middag. Hon somnar sent på helgerna."}}`, cur.Rev)), b.Seq+1)
	var e *Error
	if !errors.As(err, &e) || e.Code != CodeConflict || e.Current == nil {
		t.Fatalf("conflicting edit: err %v, want conflict with the current text", err)
	}
	if e.Current.Value != b.Compass["omsorg"].Worries.Value || e.Current.Rev != b.Compass["omsorg"].Worries.Rev {
		t.Errorf("conflict carries %+v, board has %+v", *e.Current, b.Compass["omsorg"].Worries)
	}
	// A revision older than the kept history cannot be merged: conflict, never overwrite.
	fresh := NewBoard("m2", "e")
	for id, x := range b.Compass {
		cp := *x
		fresh.Compass[id] = &cp
	}
	fresh.Seq, fresh.Meeting = b.Seq, b.Meeting
	if _, err := fresh.Apply(dir, g, decode(t, `{"cid":"w6","op":"set","entity":"compass/omsorg","base":1,"data":{"field":"worries","value":"Något helt annat"}}`), fresh.Seq+1); code(err) != CodeConflict {
		t.Errorf("edit from an unknown old revision: err %v, want conflict", err)
	}
}

// TestOrderWithFractionalKeys: creates and moves by "after" keep one order that every
// replica computes the same way.
func TestOrderWithFractionalKeys(t *testing.T) {
	b, dir, actors := seeded(t)
	c := actors[RoleCoordinator]
	ids := func() string {
		var out []string
		for _, it := range b.AgendaList() {
			out = append(out, it.ID)
		}
		return strings.Join(out, ",")
	}
	mustApply(t, b, dir, c,
		`{"cid":"o1","op":"create","entity":"agenda/a3","data":{"title":"Tre"}}`,
		`{"cid":"o2","op":"create","entity":"agenda/a0","data":{"title":"Noll","after":""}}`,
		`{"cid":"o3","op":"create","entity":"agenda/a15","data":{"title":"Mitt","after":"a1"}}`,
	)
	if got := ids(); got != "a0,a1,a15,a2,a3" {
		t.Fatalf("after creates: %s", got)
	}
	mustApply(t, b, dir, c,
		`{"cid":"o4","op":"move","entity":"agenda/a3","data":{"after":""}}`,
		`{"cid":"o5","op":"move","entity":"agenda/a0","data":{}}`,
		`{"cid":"o6","op":"move","entity":"agenda/a1","data":{"after":"a2"}}`,
		`{"cid":"o7","op":"move","entity":"agenda/a15","data":{"after":"gone"}}`,
		`{"cid":"o8","op":"delete","entity":"agenda/a2"}`,
	)
	if got := ids(); got != "a3,a1,a0,a15" {
		t.Fatalf("after moves: %s", got)
	}
	for _, it := range b.AgendaList() {
		if !ValidKey(it.Pos) {
			t.Errorf("item %s has invalid key %q", it.ID, it.Pos)
		}
	}
}

func TestLimits(t *testing.T) {
	b, dir, actors := seeded(t)
	c := actors[RoleCoordinator]
	for i := len(b.AgendaList()); i < MaxAgendaItems; i++ {
		mustApply(t, b, dir, c, fmt.Sprintf(`{"cid":"l%d","op":"create","entity":"agenda/l%d","data":{"title":"Punkt"}}`, i, i))
	}
	_, err := b.Apply(dir, c, decode(t, `{"cid":"over","op":"create","entity":"agenda/over","data":{"title":"En för mycket"}}`), b.Seq+1)
	if code(err) != CodeLimit {
		t.Errorf("agenda item %d: err %v, want limit", MaxAgendaItems+1, err)
	}
}

// TestChildVoiceRecordsWhoWroteIt: barnets röst is kept verbatim with who wrote it down.
func TestChildVoiceRecordsWhoWroteIt(t *testing.T) {
	b, dir, actors := seeded(t)
	words := "Jag vill ha  en kompis på rasten!!  \n– Alva"
	mustApply(t, b, dir, actors[RoleProfessional], fmt.Sprintf(`{"cid":"cv","op":"set","entity":"compass/tillhorighet","base":0,"data":{"field":"child_voice","value":%q}}`, words))
	e := b.Compass["tillhorighet"]
	if e.ChildVoice.Value != words || e.ChildVoiceBy != "prof" {
		t.Errorf("child voice %q by %q; want verbatim by prof", e.ChildVoice.Value, e.ChildVoiceBy)
	}
}

func TestCRLFIsNormalised(t *testing.T) {
	b, dir, actors := seeded(t)
	mustApply(t, b, dir, actors[RoleCoordinator], `{"cid":"n","op":"set","entity":"agenda/a1","base":0,"data":{"field":"notes","value":"a\r\nb"}}`)
	if got := b.Agenda["a1"].Notes.Value; got != "a\nb" {
		t.Errorf("notes = %q", got)
	}
}

func TestPermissionsDocumentIsCurrent(t *testing.T) {
	doc, err := readRepoFile("docs/PERMISSIONS.md")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(doc, MatrixMarkdown()) {
		t.Errorf("docs/PERMISSIONS.md does not contain the current matrix; paste this table in:\n%s", MatrixMarkdown())
	}
	for _, p := range Perms {
		if len(Matrix[p]) == 0 {
			t.Errorf("permission %s is held by no role", p)
		}
	}
	if len(Perms) != len(Matrix) {
		t.Errorf("Perms lists %d permissions, Matrix has %d", len(Perms), len(Matrix))
	}
}

// readRepoFile reads a file by its path from the repository root (tests run in the
// package directory).
func readRepoFile(name string) (string, error) {
	b, err := os.ReadFile(filepath.Join("..", "..", name))
	return string(b), err
}

// TestOlderRevisionsFromTheLog: after a restart the in-memory history is empty; the op
// log (OlderText) still lets an edit from an old revision merge.
func TestOlderRevisionsFromTheLog(t *testing.T) {
	b, dir, actors := seeded(t)
	c := actors[RoleCoordinator]
	mustApply(t, b, dir, c, `{"cid":"h1","op":"set","entity":"compass/fritid","base":0,"data":{"field":"works","value":"Simning. Fotboll."}}`)
	old := b.Compass["fritid"].Works
	mustApply(t, b, dir, c, fmt.Sprintf(`{"cid":"h2","op":"set","entity":"compass/fritid","base":%d,"data":{"field":"works","value":"Simning på tisdagar. Fotboll."}}`, old.Rev))
	restarted := NewBoard(b.MeetingID, b.Epoch)
	restarted.Seq = b.Seq
	for a, e := range b.Compass {
		cp := *e
		restarted.Compass[a] = &cp
	}
	edit := decode(t, fmt.Sprintf(`{"cid":"h3","op":"set","entity":"compass/fritid","base":%d,"data":{"field":"works","value":"Simning. Fotboll varje lördag."}}`, old.Rev))
	if _, err := restarted.Apply(dir, c, edit, restarted.Seq+1); code(err) != CodeConflict {
		t.Fatalf("without the log: err %v, want conflict", err)
	}
	var asked []int64
	restarted.OlderText = func(ref Ref, field string, rev int64) (string, bool) {
		asked = append(asked, rev)
		if ref.String() == "compass/fritid" && field == "works" && rev == old.Rev {
			return old.Value, true
		}
		return "", false
	}
	ch, err := restarted.Apply(dir, c, edit, restarted.Seq+1)
	if err != nil {
		t.Fatalf("with the log: %v", err)
	}
	if got, want := ch.Compass.Works.Value, "Simning på tisdagar. Fotboll varje lördag."; got != want || !ch.Merged {
		t.Errorf("merged %q (merged=%v), want %q", got, ch.Merged, want)
	}
	if len(asked) != 1 || asked[0] != old.Rev {
		t.Errorf("OlderText asked for %v, want [%d]", asked, old.Rev)
	}
}

// TestLongTextsWhereTheyBelong: titles are short, but an action or a goal may say as much
// as a note, whether it is created or edited later.
func TestLongTextsWhereTheyBelong(t *testing.T) {
	b, dir, actors := seeded(t)
	long := strings.Repeat("Skolan ordnar en rastvärd. ", 40) // about 1,100 characters
	mustApply(t, b, dir, actors[RoleCoordinator],
		fmt.Sprintf(`{"cid":"l1","op":"set","entity":"action/x1","base":4,"data":{"field":"what","value":%q}}`, long),
		fmt.Sprintf(`{"cid":"l2","op":"set","entity":"goal/g1","base":3,"data":{"field":"text","value":%q}}`, long),
	)
	if b.Actions["x1"].What.Value != long || b.Goals["g1"].Text.Value != long {
		t.Error("a long action or goal text was not kept whole")
	}
}

// TestChildAnswersArePrivateUntilShared: the child's own rating and words reach only the
// child and the coordinator until the child shares them.
func TestChildAnswersArePrivateUntilShared(t *testing.T) {
	b, dir, actors := seeded(t)
	child := actors[RoleChild]
	mustApply(t, b, dir, child,
		`{"cid":"c1","op":"rate","entity":"compass/fritid","data":{"perspective":"child","value":"5"}}`,
		`{"cid":"c2","op":"set","entity":"compass/fritid","base":0,"data":{"field":"child_words","value":"Jag älskar simning!"}}`,
	)
	e := b.Compass["fritid"]
	if e.RatingOf(PerspectiveChild) != "5" || e.Child.Words.Value != "Jag älskar simning!" || e.Child.Shared {
		t.Fatalf("child answer = %+v", e.Child)
	}
	if _, ok := e.Ratings[PerspectiveChild]; ok {
		t.Error("the child's rating is also in Ratings")
	}
	for _, role := range Roles {
		got := e.ForViewer(SeesPrivate(role))
		want := role == RoleChild || role == RoleCoordinator
		if (got.Child.Rating != "") != want || (got.Child.Words.Value != "") != want {
			t.Errorf("%s sees %+v before sharing", role, got.Child)
		}
	}
	ch, err := b.Apply(dir, child, decode(t, `{"cid":"c3","op":"rate","entity":"compass/fritid","data":{"perspective":"child","value":"4"}}`), b.Seq+1)
	if err != nil {
		t.Fatal(err)
	}
	if red := ch.ForViewer(false); red.Compass.Child != (ChildAnswer{}) || ch.Compass.Child.Rating != "4" {
		t.Errorf("redacted change %+v, original %+v", red.Compass.Child, ch.Compass.Child)
	}
	b.Commit(ch)
	mustApply(t, b, dir, child, `{"cid":"c4","op":"share","entity":"compass/fritid","data":{"shared":true}}`)
	if got := b.Compass["fritid"].ForViewer(false); got.Child.Rating != "4" || got.Child.Words.Value == "" {
		t.Errorf("after sharing, others see %+v", got.Child)
	}
	mustApply(t, b, dir, child, `{"cid":"c5","op":"share","entity":"compass/fritid","data":{"shared":false}}`)
	if got := b.Compass["fritid"].ForViewer(false); got.Child.Rating != "" {
		t.Error("taking the share back does not hide the answer again")
	}
}

// testTime is the time of ops in tests that need one.
var testTime = time.Date(2026, 12, 4, 14, 30, 0, 0, time.UTC)

// fakeFreeze stands in for the plan document the server makes (package exports makes
// its canonical JSON): it names the version, so each version has its own hash.
func fakeFreeze(version int) ([]byte, error) {
	return json.Marshal(PlanDoc{Format: PlanFormat, Version: version})
}

// freezeBoard freezes the board into the plan's next version, as the coordinator.
func freezeBoard(t testing.TB, b *Board, dir *Directory, coord Actor) {
	t.Helper()
	op := decode(t, fmt.Sprintf(`{"cid":"fz%d","op":"freeze","entity":"plan","data":{"version":%d}}`, b.Plan.Version+1, b.Plan.Version+1))
	ch, err := b.ApplyWith(dir, coord, op, b.Seq+1, ApplyEnv{At: testTime, Freeze: fakeFreeze})
	if err != nil {
		t.Fatalf("freeze: %v", err)
	}
	b.Commit(ch)
}
