package board

import (
	"strings"
	"testing"
	"time"
)

// boardIn returns the seeded board moved into a phase: draft and open before the meeting
// goes live, signing after the coordinator froze the plan, closed after live.
func boardIn(t *testing.T, phase Phase) (*Board, *Directory, map[Role]Actor) {
	t.Helper()
	dir, actors := fixture()
	b := NewBoard("m1", "e1")
	coord := actors[RoleCoordinator]
	mustApply(t, b, dir, coord,
		`{"cid":"s1","op":"create","entity":"agenda/a1","data":{"title":"Inledning","timebox_min":10}}`,
		`{"cid":"s2","op":"create","entity":"agenda/a2","data":{"title":"Behov","timebox_min":30}}`,
		`{"cid":"s3","op":"create","entity":"action/x1","data":{"what":"Rastvärd"}}`,
	)
	step := func(from, to Phase) {
		mustApplyEnv(t, b, dir, coord, `{"cid":"ph-`+string(to)+`","op":"phase","entity":"meeting","data":{"from":"`+string(from)+`","to":"`+string(to)+`"}}`)
	}
	switch phase {
	case PhaseOpen:
		step(PhaseDraft, PhaseOpen)
	case PhaseLive:
		step(PhaseDraft, PhaseLive)
	case PhaseSigning:
		step(PhaseDraft, PhaseLive)
		freezeBoard(t, b, dir, coord)
	case PhaseClosed:
		step(PhaseDraft, PhaseLive)
		step(PhaseLive, PhaseClosed)
	}
	if got := b.Phase(); got != phase {
		t.Fatalf("board in %s, want %s", got, phase)
	}
	return b, dir, actors
}

// TestPhaseEveryOpKind: which ops each phase of the meeting allows, for every op kind, by
// someone whose role allows the op. Everything else is refused as a state error, with the
// board unchanged.
func TestPhaseEveryOpKind(t *testing.T) {
	type want map[Phase]bool // allowed; a phase not listed refuses
	all := want{PhaseDraft: true, PhaseOpen: true, PhaseLive: true, PhaseSigning: true}
	staffContent := want{PhaseDraft: true, PhaseOpen: true, PhaseLive: true}
	familyContent := want{PhaseOpen: true, PhaseLive: true}
	cases := []struct {
		name string
		role Role
		op   string // %next is the phase after the board's, %h the plan's hash
		want want
	}{
		{"create (staff)", RoleCoordinator, `{"op":"create","entity":"agenda/n1","data":{"title":"Övrigt"}}`, staffContent},
		{"create (family)", RoleGuardian, `{"op":"create","entity":"action/n1","data":{"what":"Läxhjälp"}}`, familyContent},
		{"create a proposal", RoleChild, `{"op":"create","entity":"agenda/p1","data":{"title":"Raster","proposed":true}}`, familyContent},
		{"set (staff)", RoleProfessional, `{"op":"set","entity":"compass/halsa","base":0,"data":{"field":"works","value":"Sover"}}`, staffContent},
		{"set (family)", RoleGuardian, `{"op":"set","entity":"compass/halsa","base":0,"data":{"field":"guardians_view","value":"Glad"}}`, familyContent},
		{"set the plan", RoleCoordinator, `{"op":"set","entity":"plan","data":{"field":"follow_up","value":"2027-03-01"}}`, staffContent},
		{"move", RoleCoordinator, `{"op":"move","entity":"agenda/a1","data":{"after":"a2"}}`, staffContent},
		{"delete", RoleProfessional, `{"op":"delete","entity":"action/x1"}`, staffContent},
		{"rate (family)", RoleGuardian, `{"op":"rate","entity":"compass/fritid","data":{"perspective":"guardian:g1","value":"4"}}`, familyContent},
		{"share", RoleChild, `{"op":"share","entity":"compass/fritid","data":{"shared":true}}`, familyContent},
		{"goto", RoleCoordinator, `{"op":"goto","entity":"meeting","data":{"from":"","to":"a2"}}`, all},
		{"phase", RoleCoordinator, `{"op":"phase","entity":"meeting","data":{"from":"%phase","to":"%next"}}`, want{PhaseDraft: true, PhaseOpen: true, PhaseLive: true}},
		{"timer", RoleCoordinator, `{"op":"timer","entity":"meeting","data":{"action":"start","item":"a1"}}`, want{PhaseLive: true, PhaseSigning: true}},
		{"round", RoleCoordinator, `{"op":"round","entity":"meeting","data":{"action":"start"}}`, want{PhaseLive: true, PhaseSigning: true}},
		{"freeze", RoleCoordinator, `{"op":"freeze","entity":"plan","data":{"version":1}}`, want{PhaseLive: true}},
		{"sign", RoleGuardian, `{"op":"sign","entity":"plan","data":{"version":1,"sha256":"%h"}}`, want{PhaseSigning: true}},
		{"reopen", RoleCoordinator, `{"op":"reopen","entity":"plan","data":{"version":1}}`, want{PhaseSigning: true}},
	}
	next := map[Phase]Phase{PhaseDraft: PhaseOpen, PhaseOpen: PhaseLive, PhaseLive: PhaseClosed, PhaseSigning: PhaseClosed, PhaseClosed: PhaseLive}
	covered := map[Kind]bool{}
	for _, phase := range Phases {
		for _, tc := range cases {
			t.Run(string(phase)+"/"+tc.name, func(t *testing.T) {
				b, dir, actors := boardIn(t, phase)
				raw := strings.NewReplacer("%phase", string(phase), "%next", string(next[phase]), "%h", b.Plan.SHA256).Replace(tc.op)
				raw = strings.Replace(raw, `{"op"`, `{"cid":"t1","op"`, 1)
				op := decode(t, raw)
				covered[op.Kind] = true
				before := b.Seq
				_, err := b.ApplyWith(dir, actors[tc.role], op, b.Seq+1, ApplyEnv{At: testTime, Freeze: fakeFreeze})
				switch {
				case tc.want[phase] && err != nil:
					t.Errorf("%s may %s while %s, but: %v", tc.role, tc.name, phase, err)
				case !tc.want[phase] && code(err) != CodeState:
					t.Errorf("%s %s while %s: err %v, want a state error", tc.role, tc.name, phase, err)
				}
				if b.Seq != before {
					t.Errorf("applying changed the board")
				}
			})
		}
	}
	for _, k := range Kinds {
		if !covered[k] {
			t.Errorf("op kind %q is not covered by the phase test", k)
		}
	}
}

// TestPhaseSteps: the coordinator opens, starts and closes the meeting one step at a
// time; a stale "from" is refused; the meeting clock starts when it goes live; closing
// while the plan is being signed is refused until it is established.
func TestPhaseSteps(t *testing.T) {
	b, dir, actors := boardIn(t, PhaseDraft)
	coord := actors[RoleCoordinator]
	if _, err := applyEnv(t, b, dir, coord, `{"cid":"x1","op":"phase","entity":"meeting","data":{"from":"open","to":"live"}}`); code(err) != CodeState {
		t.Errorf("a stale from: %v", err)
	}
	if _, err := applyEnv(t, b, dir, coord, `{"cid":"x2","op":"phase","entity":"meeting","data":{"from":"draft","to":"closed"}}`); code(err) != CodeState {
		t.Errorf("closing a draft: %v", err)
	}
	mustApplyEnv(t, b, dir, coord, `{"cid":"p1","op":"phase","entity":"meeting","data":{"from":"draft","to":"open"}}`)
	if b.Meeting.StartedAt != 0 {
		t.Errorf("the clock started when the lobby opened")
	}
	mustApplyEnv(t, b, dir, coord, `{"cid":"p2","op":"phase","entity":"meeting","data":{"from":"open","to":"live"}}`)
	if b.Meeting.StartedAt != testTime.UnixMilli() {
		t.Errorf("the meeting clock started at %d, want %d", b.Meeting.StartedAt, testTime.UnixMilli())
	}
	if b.PlannedMinutes() != 40 {
		t.Errorf("planned %d minutes, want 40 (the agenda's time boxes)", b.PlannedMinutes())
	}
	freezeBoard(t, b, dir, coord)
	if _, err := applyEnv(t, b, dir, coord, `{"cid":"x3","op":"phase","entity":"meeting","data":{"from":"signing","to":"closed"}}`); code(err) != CodeState {
		t.Errorf("closing before the plan is established: %v", err)
	}
	for _, m := range RequiredSigners(dir, testTime.Year(), DefaultChildSignAge) {
		mustApplyEnv(t, b, dir, ActorOf(m), signOp("s-"+m.ID, 1, b.Plan.SHA256, ""))
	}
	mustApplyEnv(t, b, dir, coord, `{"cid":"p3","op":"phase","entity":"meeting","data":{"from":"signing","to":"closed"}}`)
	if b.Phase() != PhaseClosed || b.Meeting.EndedAt != testTime.UnixMilli() {
		t.Errorf("after closing: %s, ended %d", b.Phase(), b.Meeting.EndedAt)
	}
}

// TestTimer: a timer runs from an end time on the server's clock, pauses with what is
// left, resumes from then, takes added time, and stops.
func TestTimer(t *testing.T) {
	b, dir, actors := boardIn(t, PhaseLive)
	coord := actors[RoleCoordinator]
	at := func(d time.Duration, raw string) {
		t.Helper()
		ch, err := b.ApplyWith(dir, coord, decode(t, raw), b.Seq+1, ApplyEnv{At: testTime.Add(d)})
		if err != nil {
			t.Fatalf("%s: %v", raw, err)
		}
		b.Commit(ch)
	}
	at(0, `{"cid":"t1","op":"timer","entity":"meeting","data":{"action":"start","item":"a1"}}`) // its time box: 10 min
	if tm := b.Meeting.Timer; !tm.Running || tm.EndsAt != testTime.Add(10*time.Minute).UnixMilli() || tm.Item != "a1" {
		t.Fatalf("started: %+v", tm)
	}
	at(4*time.Minute, `{"cid":"t2","op":"timer","entity":"meeting","data":{"action":"pause"}}`)
	if tm := b.Meeting.Timer; tm.Running || tm.Remaining(testTime.Add(time.Hour)) != 6*time.Minute {
		t.Fatalf("paused: %+v", tm)
	}
	if _, err := b.ApplyWith(dir, coord, decode(t, `{"cid":"t3","op":"timer","entity":"meeting","data":{"action":"pause"}}`), b.Seq+1, ApplyEnv{At: testTime}); code(err) != CodeState {
		t.Errorf("pausing a paused timer: %v", err)
	}
	at(20*time.Minute, `{"cid":"t4","op":"timer","entity":"meeting","data":{"action":"add","minutes":5}}`)
	at(21*time.Minute, `{"cid":"t5","op":"timer","entity":"meeting","data":{"action":"resume"}}`)
	if got := b.Meeting.Timer.Remaining(testTime.Add(21 * time.Minute)); got != 11*time.Minute {
		t.Errorf("after adding 5 and resuming: %v left, want 11m", got)
	}
	if got := b.Meeting.Timer.Remaining(testTime.Add(33 * time.Minute)); got != -time.Minute {
		t.Errorf("over time: %v, want -1m", got)
	}
	at(33*time.Minute, `{"cid":"t6","op":"timer","entity":"meeting","data":{"action":"stop"}}`)
	if b.Meeting.Timer != nil {
		t.Errorf("stopped: %+v", b.Meeting.Timer)
	}
	if _, err := applyEnv(t, b, dir, coord, `{"cid":"t7","op":"timer","entity":"meeting","data":{"action":"start","item":"nope"}}`); code(err) != CodeNotFound {
		t.Errorf("a timer for no item: %v", err)
	}
}

// TestRoundAndProposals: a round marks who has spoken, once each; a proposed agenda item
// stays out of the agenda until the coordinator takes it in, last.
func TestRoundAndProposals(t *testing.T) {
	b, dir, actors := boardIn(t, PhaseLive)
	coord := actors[RoleCoordinator]
	mustApplyEnv(t, b, dir, coord, `{"cid":"r1","op":"round","entity":"meeting","data":{"action":"start"}}`)
	mustApplyEnv(t, b, dir, coord, `{"cid":"r2","op":"round","entity":"meeting","data":{"action":"spoken","member":"g1"}}`)
	mustApplyEnv(t, b, dir, coord, `{"cid":"r3","op":"round","entity":"meeting","data":{"action":"spoken","member":"g1"}}`)
	mustApplyEnv(t, b, dir, coord, `{"cid":"r4","op":"round","entity":"meeting","data":{"action":"spoken","member":"prof"}}`)
	mustApplyEnv(t, b, dir, coord, `{"cid":"r5","op":"round","entity":"meeting","data":{"action":"unspoken","member":"g1"}}`)
	if got := strings.Join(b.Meeting.Round.Spoken, ","); got != "prof" {
		t.Errorf("spoken = %s, want prof", got)
	}
	mustApplyEnv(t, b, dir, coord, `{"cid":"r6","op":"round","entity":"meeting","data":{"action":"end"}}`)
	if b.Meeting.Round != nil {
		t.Errorf("the round did not end")
	}

	mustApplyEnv(t, b, dir, actors[RoleGuardian], `{"cid":"q1","op":"create","entity":"agenda/p1","data":{"title":"Läxorna","proposed":true}}`)
	if len(b.AgendaList()) != 2 || len(b.Proposals()) != 1 || b.Proposals()[0].ProposedBy != "g1" {
		t.Fatalf("agenda %d, proposals %d", len(b.AgendaList()), len(b.Proposals()))
	}
	if _, err := applyEnv(t, b, dir, coord, `{"cid":"q2","op":"goto","entity":"meeting","data":{"from":"","to":"p1"}}`); code(err) != CodeNotFound {
		t.Errorf("going to a proposal: %v", err)
	}
	if _, err := applyEnv(t, b, dir, actors[RoleGuardian], `{"cid":"q3","op":"set","entity":"agenda/p1","data":{"field":"proposed","value":false}}`); code(err) != CodeForbidden {
		t.Errorf("the guardian taking their own proposal in: %v", err)
	}
	mustApplyEnv(t, b, dir, coord, `{"cid":"q4","op":"set","entity":"agenda/p1","data":{"field":"proposed","value":false}}`)
	list := b.AgendaList()
	if len(list) != 3 || list[2].ID != "p1" || len(b.Proposals()) != 0 {
		t.Errorf("after taking the proposal in: %d items, last %s", len(list), list[len(list)-1].ID)
	}
}

// TestActionReview: an action carried over from an agreed plan is reviewed (done,
// ongoing, not done, with a comment); an action made in this meeting is not.
func TestActionReview(t *testing.T) {
	b, dir, actors := boardIn(t, PhaseLive)
	coord := actors[RoleCoordinator]
	mustApplyEnv(t, b, dir, coord, `{"cid":"c1","op":"create","entity":"action/c1","data":{"what":"Rastvärd","carried_from":"old-x1","status":"ongoing"}}`)
	mustApplyEnv(t, b, dir, actors[RoleGuardian], `{"cid":"c2","op":"set","entity":"action/c1","data":{"field":"review","value":"done"}}`)
	mustApplyEnv(t, b, dir, actors[RoleGuardian], `{"cid":"c3","op":"set","entity":"action/c1","base":0,"data":{"field":"review_comment","value":"Det har fungerat bra."}}`)
	x := b.Actions["c1"]
	if x.CarriedFrom != "old-x1" || x.Review != ActionDone || x.ReviewComment.Value != "Det har fungerat bra." {
		t.Errorf("the reviewed action: %+v", x)
	}
	if _, err := applyEnv(t, b, dir, coord, `{"cid":"c4","op":"set","entity":"action/x1","data":{"field":"review","value":"done"}}`); code(err) != CodeInvalid {
		t.Errorf("reviewing an action made in this meeting: %v", err)
	}
	if _, err := applyEnv(t, b, dir, coord, `{"cid":"c5","op":"set","entity":"action/c1","data":{"field":"review","value":"planned"}}`); code(err) != CodeInvalid {
		t.Errorf("a review of 'planned': %v", err)
	}
}
