package board

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// The plan on the board: the fields of Barnets plan that are not on the compass, goals or
// actions (why, how the child took part, who holds the overall responsibility, the
// follow-up), and the plan's sign-off: freezing the board into a version, signing it and
// reopening it. Freezing, signing and reopening are commands checked against the plan's
// state, never last-writer-wins; while a version is frozen the board's content is
// read-only.

// PlanState is the board's plan entity ("plan").
type PlanState struct {
	Reason        Text          `json:"reason"`
	Participation Participation `json:"participation,omitempty"`
	HowCaptured   Text          `json:"how_captured"`
	LeadOrg       string        `json:"lead_org,omitempty"`  // huvudansvarig verksamhet (org id)
	FollowUp      string        `json:"follow_up,omitempty"` // YYYY-MM-DD
	Convener      string        `json:"convener,omitempty"`  // member id of who convenes the follow-up

	// The latest frozen version (0: none yet) and where it stands; Status is "" (a draft)
	// while the board is editable. Signatures and Events are the latest version's.
	Version       int         `json:"version,omitempty"`
	Status        PlanStatus  `json:"status,omitempty"`
	SHA256        string      `json:"sha256,omitempty"`
	Code          string      `json:"code,omitempty"`
	FrozenAt      time.Time   `json:"frozen_at,omitzero"`
	FrozenBy      string      `json:"frozen_by,omitempty"`
	EstablishedAt time.Time   `json:"established_at,omitzero"`
	Signatures    []Signature `json:"signatures,omitempty"`
	Events        []PlanEvent `json:"events,omitempty"`
	Rev           int64       `json:"rev"`
}

// Frozen reports whether the board is read-only because a version is being signed or has
// been established.
func (p *PlanState) Frozen() bool { return p.Status == PlanSigning || p.Status == PlanEstablished }

// SignatureOf returns a member's signature of the latest version, if any.
func (p *PlanState) SignatureOf(memberID string) (Signature, bool) {
	for _, s := range p.Signatures {
		if s.MemberID == memberID {
			return s, true
		}
	}
	return Signature{}, false
}

// versionRecord is the latest version as the store keeps it (without its canonical JSON,
// which is written once when the version is frozen).
func (p *PlanState) versionRecord(meetingID string) *PlanVersion {
	return &PlanVersion{MeetingID: meetingID, Version: p.Version, SHA256: p.SHA256, Code: p.Code, Status: p.Status,
		FrozenAt: p.FrozenAt, FrozenBy: p.FrozenBy, EstablishedAt: p.EstablishedAt,
		Signatures: slices.Clone(p.Signatures), Events: slices.Clone(p.Events)}
}

// DefaultChildSignAge is the age from which the child's agreement to the plan is required
// (consent practice: from about 12 together with the guardians).
const DefaultChildSignAge = 12

// RequiredSigners lists who must sign a plan for it to be established: every member of the
// team but the network (who sign only if the family wants) and the child, who agrees from
// childSignAge (in the year given). The order is the directory's.
func RequiredSigners(dir *Directory, year, childSignAge int) []Member {
	var out []Member
	for _, m := range dir.Members {
		switch {
		case m.Role == RoleNetwork:
		case m.Role == RoleChild && year-dir.Team.ChildBirthYear < childSignAge:
		default:
			out = append(out, m)
		}
	}
	return out
}

// MaySign reports whether a member may sign at all: every required signer, and the network
// and a younger child who may add their agreement.
func MaySign(m Member) bool { return m.Role.Valid() }

// ApplyEnv is what applying an op needs besides the board, the directory and the actor.
type ApplyEnv struct {
	// At is the time of the op, recorded with signatures and plan events.
	At time.Time
	// Freeze makes the canonical JSON of the plan document of a new version from the board
	// as it is (see PlanDoc). Only a freeze op calls it; without it freezing is refused.
	Freeze func(version int) ([]byte, error)
	// ChildSignAge is the age from which the child's agreement is required (0: the default).
	ChildSignAge int
}

func (e ApplyEnv) childSignAge() int {
	if e.ChildSignAge > 0 {
		return e.ChildSignAge
	}
	return DefaultChildSignAge
}

// PlanSHA256 is the hex SHA-256 of a plan version's canonical JSON (made by package
// exports): the plan's fingerprint that signatures, the evidence page and the
// verification code refer to.
func PlanSHA256(canonical []byte) string {
	h := sha256.Sum256(canonical)
	return hex.EncodeToString(h[:])
}

// Crockford's base-32 alphabet: digits and capitals without I, L, O and U, so a code read
// aloud or typed from paper is unambiguous (0/O and 1/I/L are read as the same symbol).
const crockford = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

// VerificationCode is the short code printed on the plan for people to type into the
// verify page: 16 symbols of Crockford base 32 in four groups ("7KQ2-M9XD-4TPR-0WB6").
// The first 15 carry 75 bits of SHA-256 over the length-prefixed (meeting id, version,
// plan SHA-256); the last is a Luhn mod-32 check symbol that catches every single wrong
// symbol and most swaps of neighbours before anything is looked up.
func VerificationCode(meetingID string, version int, planSHA256 string) string {
	msg := fmt.Sprintf("barnteam.verify/1\n%d:%s\n%d\n%d:%s", len(meetingID), meetingID, version, len(planSHA256), planSHA256)
	sum := sha256.Sum256([]byte(msg))
	digits := make([]int, 0, 16)
	var acc uint64
	bits := 0
	for _, b := range sum {
		acc = acc<<8 | uint64(b)
		bits += 8
		for bits >= 5 && len(digits) < 15 {
			bits -= 5
			digits = append(digits, int(acc>>bits)&31)
		}
		if len(digits) == 15 {
			break
		}
	}
	return codeString(append(digits, luhn32(digits)))
}

// codeString writes code symbols in groups of four.
func codeString(digits []int) string {
	code := make([]byte, 0, 19)
	for i, d := range digits {
		if i > 0 && i%4 == 0 {
			code = append(code, '-')
		}
		code = append(code, crockford[d])
	}
	return string(code)
}

// luhn32 is the Luhn mod N check symbol (N = 32) for digits.
func luhn32(digits []int) int {
	sum, factor := 0, 2
	for i := len(digits) - 1; i >= 0; i-- {
		a := factor * digits[i]
		sum += a/32 + a%32
		factor = 3 - factor
	}
	return (32 - sum%32) % 32
}

// ErrBadCode is returned by NormalVerificationCode for input that cannot be a code.
var ErrBadCode = errors.New("not a verification code")

// NormalVerificationCode turns what a person typed into the code's printed form, or
// ErrBadCode: case, spaces and hyphens do not matter, O reads as 0 and I and L as 1, and
// the check symbol must match. Use it before looking a code up.
func NormalVerificationCode(s string) (string, error) {
	digits := make([]int, 0, 16)
	for _, r := range s {
		switch {
		case r == '-' || r == ' ' || r == '\t':
			continue
		case r >= 'a' && r <= 'z':
			r -= 'a' - 'A'
		}
		switch r {
		case 'O':
			r = '0'
		case 'I', 'L':
			r = '1'
		}
		i := strings.IndexRune(crockford, r)
		if i < 0 || len(digits) == 16 {
			return "", ErrBadCode
		}
		digits = append(digits, i)
	}
	if len(digits) != 16 || luhn32(digits[:15]) != digits[15] {
		return "", ErrBadCode
	}
	return codeString(digits), nil
}

// planData is the data of freeze, sign and reopen.
type planData struct {
	Version int    `json:"version"`
	SHA256  string `json:"sha256"`
	// Sign: a disagreement (avvikande mening) in the signer's own words, and for an
	// approval given aloud in the room, the member it is recorded for.
	Disagreement string `json:"disagreement"`
	Member       string `json:"member"`
}

func (a *applier) plan() error {
	cur := a.b.Plan
	next := cur
	next.Signatures = slices.Clone(cur.Signatures)
	next.Events = slices.Clone(cur.Events)
	next.Rev = a.seq
	a.ch.Plan = &next
	switch a.op.Kind {
	case OpSet:
		return a.setPlanField(&next)
	case OpFreeze:
		return a.freeze(&next)
	case OpSign:
		return a.sign(&next)
	case OpReopen:
		return a.reopen(&next)
	}
	return invalid("op", "op.invalid.kind")
}

func (a *applier) setPlanField(next *PlanState) error {
	d, err := a.setData()
	if err != nil {
		return err
	}
	switch d.Field {
	case "reason":
		return a.setText(d, &next.Reason, MaxTextLen, false)
	case "how_captured":
		return a.setText(d, &next.HowCaptured, MaxTextLen, false)
	case "participation":
		p, err := enumValue(d, append([]Participation{ParticipationUnset}, Participations...)...)
		if err != nil {
			return err
		}
		next.Participation = p
	case "lead_org":
		var id string
		if json.Unmarshal(d.Value, &id) != nil {
			return invalid(d.Field, "op.invalid.value")
		}
		if _, ok := a.dir.Org(id); id != "" && !ok {
			return invalid(d.Field, "op.invalid.responsible")
		}
		next.LeadOrg = id
	case "convener":
		var id string
		if json.Unmarshal(d.Value, &id) != nil {
			return invalid(d.Field, "op.invalid.value")
		}
		if _, ok := a.dir.Member(id); id != "" && !ok {
			return invalid(d.Field, "op.invalid.responsible")
		}
		next.Convener = id
	case "follow_up":
		var day string
		if json.Unmarshal(d.Value, &day) != nil {
			return invalid(d.Field, "op.invalid.due")
		}
		if day != "" {
			if _, err := time.Parse(time.DateOnly, day); err != nil {
				return invalid(d.Field, "op.invalid.due")
			}
		}
		next.FollowUp = day
	default:
		return invalid("field", "op.invalid.field")
	}
	return nil
}

func (a *applier) planCommand(d *planData) error {
	if err := a.allow(""); err != nil {
		return err
	}
	return decodeData(a.op.Data, d)
}

// freeze makes version n+1 of the plan from the board as it is now.
func (a *applier) freeze(next *PlanState) error {
	var d planData
	if err := a.planCommand(&d); err != nil {
		return err
	}
	cur := a.b.Plan
	switch {
	case cur.Frozen():
		return &Error{Code: CodeState, Key: "op.state.plan_frozen"}
	case d.Version != cur.Version+1:
		return &Error{Code: CodeState, Key: "op.state.plan_version"}
	case a.env.Freeze == nil:
		return &Error{Code: CodeState, Key: "op.state.plan_frozen"}
	}
	canonical, err := a.env.Freeze(d.Version)
	if err != nil {
		return fmt.Errorf("make plan version %d: %w", d.Version, err)
	}
	sha := PlanSHA256(canonical)
	*next = PlanState{Reason: cur.Reason, Participation: cur.Participation, HowCaptured: cur.HowCaptured,
		LeadOrg: cur.LeadOrg, FollowUp: cur.FollowUp, Convener: cur.Convener,
		Version: d.Version, Status: PlanSigning, SHA256: sha, Code: VerificationCode(a.b.MeetingID, d.Version, sha),
		FrozenAt: a.env.At, FrozenBy: a.actor.MemberID, Rev: a.seq,
		Events: []PlanEvent{{Version: d.Version, At: a.env.At, Kind: PlanEventFrozen, Name: a.actor.Name, Role: a.actor.Role}}}
	v := next.versionRecord(a.b.MeetingID)
	v.Canonical = canonical
	a.ch.PlanVersion = v
	return nil
}

// sign adds a signature to the version being signed, and establishes the plan when every
// required signature is in.
func (a *applier) sign(next *PlanState) error {
	var d planData
	if err := a.planCommand(&d); err != nil {
		return err
	}
	cur := a.b.Plan
	switch {
	case cur.Status != PlanSigning:
		return &Error{Code: CodeState, Key: "op.state.plan_not_signing"}
	case d.Version != cur.Version || d.SHA256 != cur.SHA256:
		// The signer must have seen exactly the version being signed.
		return &Error{Code: CodeState, Key: "op.state.plan_version"}
	}
	who, method, recordedBy := a.actor.MemberID, SignOnDevice, ""
	if d.Member != "" && d.Member != a.actor.MemberID {
		// An approval given aloud in the room, recorded by the meeting's leader.
		if !Can(a.actor.Role, PermPlanFreeze) {
			return &Error{Code: CodeForbidden, Key: "op.forbidden"}
		}
		who, method, recordedBy = d.Member, SignInRoom, a.actor.Name
	}
	m, ok := a.dir.Member(who)
	if !ok || !MaySign(m) {
		return invalid("member", "op.invalid.responsible")
	}
	if _, done := cur.SignatureOf(who); done {
		return &Error{Code: CodeState, Key: "op.state.plan_signed"}
	}
	text, err := cleanText("disagreement", d.Disagreement, MaxTextLen)
	if err != nil {
		return err
	}
	sig := Signature{MeetingID: a.b.MeetingID, Version: cur.Version, MemberID: m.ID, Name: m.Name, Role: m.Role,
		Title: m.Title, Method: method, RecordedBy: recordedBy, Disagreement: strings.TrimSpace(text), At: a.env.At, PlanSHA256: cur.SHA256}
	if o, ok := a.dir.Org(m.OrgID); ok && m.OrgID != "" {
		sig.OrgName = o.Name
	}
	next.Signatures = append(next.Signatures, sig)
	kind := PlanEventSigned
	if method == SignInRoom {
		kind = PlanEventRecorded
	}
	next.Events = append(next.Events, PlanEvent{Version: cur.Version, At: a.env.At, Kind: kind, Name: m.Name, Role: m.Role, Disagreement: sig.Disagreement != ""})
	if a.allSigned(next) {
		next.Status, next.EstablishedAt = PlanEstablished, a.env.At
		next.Events = append(next.Events, PlanEvent{Version: cur.Version, At: a.env.At, Kind: PlanEventEstablished})
	}
	a.ch.PlanVersion = next.versionRecord(a.b.MeetingID)
	return nil
}

// allSigned reports whether every required signer has signed the plan's version.
func (a *applier) allSigned(p *PlanState) bool {
	for _, m := range RequiredSigners(a.dir, a.signYear(), a.env.childSignAge()) {
		if _, ok := p.SignatureOf(m.ID); !ok {
			return false
		}
	}
	return true
}

// signYear is the year in which the child's age is counted: the op's.
func (a *applier) signYear() int {
	return a.env.At.In(swedish).Year()
}

// reopen makes the board editable again; the next freeze makes version n+1. A version not
// yet established is withdrawn (its signatures stay in its history but no longer count);
// an established one stays established until a later one supersedes it.
func (a *applier) reopen(next *PlanState) error {
	var d planData
	if err := a.planCommand(&d); err != nil {
		return err
	}
	cur := a.b.Plan
	switch {
	case !cur.Frozen():
		return &Error{Code: CodeState, Key: "op.state.plan_not_frozen"}
	case d.Version != cur.Version:
		return &Error{Code: CodeState, Key: "op.state.plan_version"}
	}
	closing := *next
	if closing.Status == PlanSigning {
		closing.Status = PlanWithdrawn
	}
	closing.Events = append(closing.Events, PlanEvent{Version: cur.Version, At: a.env.At, Kind: PlanEventReopened, Name: a.actor.Name, Role: a.actor.Role})
	a.ch.PlanVersion = closing.versionRecord(a.b.MeetingID)
	next.Status, next.Signatures, next.Events = "", nil, nil
	return nil
}

// swedish is the time zone in which years and dates of the plan are counted.
var swedish = func() *time.Location {
	loc, err := time.LoadLocation("Europe/Stockholm")
	if err != nil {
		return time.UTC // the binary embeds tzdata (cmd/barnteam); tests without it count in UTC
	}
	return loc
}()
