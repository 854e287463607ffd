package board

import (
	"bytes"
	"fmt"
	"regexp"
	"strings"
	"testing"
)

// applyEnv applies one op with the test clock and the fake plan document.
func applyEnv(t testing.TB, b *Board, dir *Directory, a Actor, raw string) (Change, error) {
	t.Helper()
	return b.ApplyWith(dir, a, decode(t, raw), b.Seq+1, ApplyEnv{At: testTime, Freeze: fakeFreeze})
}

func mustApplyEnv(t testing.TB, b *Board, dir *Directory, a Actor, raw string) Change {
	t.Helper()
	ch, err := applyEnv(t, b, dir, a, raw)
	if err != nil {
		t.Fatalf("apply %s: %v", raw, err)
	}
	b.Commit(ch)
	return ch
}

func signOp(cid string, version int, sha, extra string) string {
	return fmt.Sprintf(`{"cid":%q,"op":"sign","entity":"plan","data":{"version":%d,"sha256":%q%s}}`, cid, version, sha, extra)
}

// TestPlanFreezeSignEstablish walks one version from the draft to fastställd: freezing
// makes the content read-only, every required signer signs (one with a disagreement, one
// recorded in the room), and the last signature establishes the plan.
func TestPlanFreezeSignEstablish(t *testing.T) {
	b, dir, actors := seeded(t)
	coord := actors[RoleCoordinator]
	mustApplyEnv(t, b, dir, coord, `{"cid":"r1","op":"set","entity":"plan","base":0,"data":{"field":"reason","value":"Frånvaro och magont"}}`)
	if _, err := applyEnv(t, b, dir, coord, `{"cid":"f0","op":"freeze","entity":"plan","data":{"version":2}}`); code(err) != CodeState {
		t.Errorf("freezing version 2 first: %v, want a state error", err)
	}
	ch := mustApplyEnv(t, b, dir, coord, `{"cid":"f1","op":"freeze","entity":"plan","data":{"version":1}}`)
	want, _ := fakeFreeze(1)
	if ch.PlanVersion == nil || !bytes.Equal(ch.PlanVersion.Canonical, want) || ch.PlanVersion.SHA256 != PlanSHA256(want) {
		t.Fatalf("the freeze's version record = %+v", ch.PlanVersion)
	}
	if b.Plan.Status != PlanSigning || b.Plan.Version != 1 || b.Plan.Code != VerificationCode("m1", 1, b.Plan.SHA256) {
		t.Fatalf("after freezing: %+v", b.Plan)
	}
	// Read-only: content, the plan's fields and a second freeze are refused; moving the
	// meeting on is not.
	for _, raw := range []string{
		`{"cid":"x1","op":"set","entity":"compass/halsa","base":0,"data":{"field":"works","value":"Sover"}}`,
		`{"cid":"x2","op":"create","entity":"action/n1","data":{"what":"Samtal"}}`,
		`{"cid":"x3","op":"set","entity":"plan","data":{"field":"follow_up","value":"2027-01-10"}}`,
		`{"cid":"x4","op":"freeze","entity":"plan","data":{"version":2}}`,
		`{"cid":"x5","op":"set","entity":"agenda/a1","base":0,"data":{"field":"notes","value":"Anteckning"}}`,
	} {
		if _, err := applyEnv(t, b, dir, coord, raw); code(err) != CodeState {
			t.Errorf("%s while frozen: %v, want a state error", raw, err)
		}
	}
	mustApplyEnv(t, b, dir, coord, `{"cid":"g1","op":"goto","entity":"meeting","data":{"from":"a1","to":"a2"}}`)

	sha := b.Plan.SHA256
	if _, err := applyEnv(t, b, dir, actors[RoleGuardian], signOp("bad", 1, strings.Repeat("0", 64), "")); code(err) != CodeState {
		t.Errorf("signing another hash: %v, want a state error", err)
	}
	required := RequiredSigners(dir, testTime.Year(), DefaultChildSignAge)
	if len(required) != 5 { // coord, contact, prof, g1, g2: not the 9-year-old, not the network
		t.Fatalf("required signers: %v", required)
	}
	mustApplyEnv(t, b, dir, actors[RoleGuardian], signOp("s1", 1, sha, `,"disagreement":"Vi vill ha fler möten."`))
	if _, err := applyEnv(t, b, dir, actors[RoleGuardian], signOp("s1b", 1, sha, "")); code(err) != CodeState {
		t.Errorf("signing twice: %v, want a state error", err)
	}
	mustApplyEnv(t, b, dir, coord, signOp("s2", 1, sha, `,"member":"g2"`)) // aloud in the room
	mustApplyEnv(t, b, dir, actors[RoleNetwork], signOp("s3", 1, sha, "")) // optional
	mustApplyEnv(t, b, dir, actors[RoleChildContact], signOp("s4", 1, sha, ""))
	mustApplyEnv(t, b, dir, actors[RoleProfessional], signOp("s5", 1, sha, ""))
	if b.Plan.Status != PlanSigning {
		t.Fatalf("established before the coordinator signed: %+v", b.Plan.Status)
	}
	ch = mustApplyEnv(t, b, dir, coord, signOp("s6", 1, sha, ""))
	if b.Plan.Status != PlanEstablished || !b.Plan.EstablishedAt.Equal(testTime) || ch.PlanVersion.Status != PlanEstablished {
		t.Fatalf("after the last signature: %+v / %+v", b.Plan.Status, ch.PlanVersion)
	}
	g2, _ := b.Plan.SignatureOf("g2")
	if g2.Method != SignInRoom || g2.RecordedBy != "Maria" || g2.PlanSHA256 != sha {
		t.Errorf("the in-room approval: %+v", g2)
	}
	g1, _ := b.Plan.SignatureOf("g1")
	if g1.Disagreement != "Vi vill ha fler möten." || g1.Method != SignOnDevice {
		t.Errorf("the guardian's signature: %+v", g1)
	}
	var kinds []string
	for _, e := range b.Plan.Events {
		kinds = append(kinds, string(e.Kind))
	}
	if got := strings.Join(kinds, ","); got != "frozen,signed,recorded_in_room,signed,signed,signed,signed,established" {
		t.Errorf("events: %s", got)
	}
	if _, err := applyEnv(t, b, dir, actors[RoleChild], signOp("s7", 1, sha, "")); code(err) != CodeState {
		t.Errorf("signing an established plan: %v, want a state error", err)
	}
}

// TestPlanReopen: reopening a version being signed withdraws it (its signatures stay in
// its record but no longer count) and the board is editable; the next freeze is version 2
// and starts with no signatures. Reopening an established version keeps it established.
func TestPlanReopen(t *testing.T) {
	b, dir, actors := seeded(t)
	coord := actors[RoleCoordinator]
	freezeBoard(t, b, dir, coord)
	mustApplyEnv(t, b, dir, actors[RoleGuardian], signOp("s1", 1, b.Plan.SHA256, ""))
	if _, err := applyEnv(t, b, dir, coord, `{"cid":"o0","op":"reopen","entity":"plan","data":{"version":2}}`); code(err) != CodeState {
		t.Errorf("reopening another version: %v", err)
	}
	ch := mustApplyEnv(t, b, dir, coord, `{"cid":"o1","op":"reopen","entity":"plan","data":{"version":1}}`)
	if ch.PlanVersion.Status != PlanWithdrawn || len(ch.PlanVersion.Signatures) != 1 || ch.PlanVersion.Events[len(ch.PlanVersion.Events)-1].Kind != PlanEventReopened {
		t.Errorf("the withdrawn version's record: %+v", ch.PlanVersion)
	}
	if b.Plan.Frozen() || len(b.Plan.Signatures) != 0 || b.Plan.Version != 1 {
		t.Errorf("after reopening: %+v", b.Plan)
	}
	mustApplyEnv(t, b, dir, coord, `{"cid":"e1","op":"set","entity":"compass/halsa","base":0,"data":{"field":"need","value":"Sova bättre"}}`)
	freezeBoard(t, b, dir, coord)
	if b.Plan.Version != 2 || len(b.Plan.Signatures) != 0 {
		t.Fatalf("version 2: %+v", b.Plan)
	}
	// Establish version 2, then reopen it: it stays established.
	for _, m := range RequiredSigners(dir, testTime.Year(), DefaultChildSignAge) {
		mustApplyEnv(t, b, dir, ActorOf(m), signOp("v2-"+m.ID, 2, b.Plan.SHA256, ""))
	}
	if b.Plan.Status != PlanEstablished {
		t.Fatalf("version 2 not established: %s", b.Plan.Status)
	}
	ch = mustApplyEnv(t, b, dir, coord, `{"cid":"o2","op":"reopen","entity":"plan","data":{"version":2}}`)
	if ch.PlanVersion.Status != PlanEstablished {
		t.Errorf("reopening an established version changed its status to %s", ch.PlanVersion.Status)
	}
}

// TestRequiredSigners: the child agrees from the configured age; the network never has to.
func TestRequiredSigners(t *testing.T) {
	dir, _ := fixture() // the child was born in 2017
	has := func(year, age int) bool {
		for _, m := range RequiredSigners(dir, year, age) {
			if m.Role == RoleChild {
				return true
			}
			if m.Role == RoleNetwork {
				t.Fatalf("the network is a required signer")
			}
		}
		return false
	}
	for _, tc := range []struct {
		year, age int
		want      bool
	}{{2026, 12, false}, {2029, 12, true}, {2026, 9, true}, {2026, 10, false}} {
		if got := has(tc.year, tc.age); got != tc.want {
			t.Errorf("child born 2017, year %d, sign age %d: required = %v", tc.year, tc.age, got)
		}
	}
}

// TestVerificationCode: deterministic, unambiguous, read back from what people type, and
// every single wrong symbol caught.
func TestVerificationCode(t *testing.T) {
	sha := PlanSHA256([]byte("plan"))
	code := VerificationCode("mt-1", 2, sha)
	if !regexp.MustCompile(`^[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){3}$`).MatchString(code) {
		t.Fatalf("code %q is not four groups of Crockford base 32", code)
	}
	if VerificationCode("mt-1", 2, sha) != code {
		t.Error("not deterministic")
	}
	seen := map[string]bool{code: true}
	for _, c := range []string{
		VerificationCode("mt-2", 2, sha), VerificationCode("mt-1", 3, sha),
		VerificationCode("mt-1", 2, PlanSHA256([]byte("plan!"))),
		VerificationCode("mt-12", 2, sha), VerificationCode("mt-1", 22, sha), // no ambiguity by concatenation
	} {
		if seen[c] {
			t.Errorf("two inputs share code %s", c)
		}
		seen[c] = true
	}

	// what people type is read back
	for _, typed := range []string{code, strings.ToLower(code), strings.ReplaceAll(code, "-", ""), " " + strings.ReplaceAll(code, "-", " ") + " "} {
		got, err := NormalVerificationCode(typed)
		if err != nil || got != code {
			t.Errorf("%q: %q, %v", typed, got, err)
		}
	}
	if got, err := NormalVerificationCode(strings.NewReplacer("0", "O", "1", "l").Replace(code)); err != nil || got != code {
		t.Errorf("O for 0 and l for 1: %q, %v", got, err)
	}
	// every single wrong symbol is caught by the check symbol
	plain := strings.ReplaceAll(code, "-", "")
	for i := range plain {
		for _, r := range crockford {
			if byte(r) == plain[i] {
				continue
			}
			typo := plain[:i] + string(r) + plain[i+1:]
			if _, err := NormalVerificationCode(typo); err == nil {
				t.Errorf("typo %s accepted", typo)
			}
		}
	}
	for _, bad := range []string{"", "ABC", plain + "0", plain[:15], "ÅÄÖÅ-ÅÄÖÅ-ÅÄÖÅ-ÅÄÖÅ", strings.Replace(plain, plain[:1], "U", 1)} {
		if _, err := NormalVerificationCode(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

// FuzzNormalVerificationCode: what is typed on the verify page normalises to a code that
// normalises to itself, or is refused.
func FuzzNormalVerificationCode(f *testing.F) {
	f.Add(VerificationCode("mt-1", 1, PlanSHA256(nil)))
	f.Add("zrn9 4hhp 41y3 tpek")
	f.Add("ÅÄÖ-\x00")
	f.Fuzz(func(t *testing.T, s string) {
		code, err := NormalVerificationCode(s)
		if err != nil {
			return
		}
		if again, err := NormalVerificationCode(code); err != nil || again != code {
			t.Errorf("%q normalises to %q, which normalises to %q, %v", s, code, again, err)
		}
	})
}

func TestSupersededBy(t *testing.T) {
	v := func(n int, st PlanStatus) PlanVersion { return PlanVersion{Version: n, Status: st} }
	list := []PlanVersion{v(1, PlanEstablished), v(2, PlanWithdrawn), v(3, PlanEstablished), v(4, PlanEstablished), v(5, PlanSigning)}
	for _, c := range []struct {
		v    PlanVersion
		want int
	}{
		{list[0], 4}, // the latest established version replaces it
		{list[1], 0}, // withdrawn: never established, nothing to replace
		{list[2], 4},
		{list[3], 0}, // current: a version still being signed does not replace it
		{list[4], 0},
	} {
		if got := SupersededBy(list, c.v); got != c.want {
			t.Errorf("version %d (%s): superseded by %d, want %d", c.v.Version, c.v.Status, got, c.want)
		}
	}
}
