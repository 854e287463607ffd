package exports

import (
	"cmp"
	"crypto/ed25519"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/barnteam/barnteam/server/board"
)

// Evidence is what a plan's export shows besides the plan itself: how far its sign-off
// has come and the server's seal. The plan's SHA-256, its verification code and the key
// id are computed here from the PlanDoc and the key, never passed in, so that what the
// evidence page says always matches the content it is printed with.
type Evidence struct {
	Status board.PlanStatus
	// Signatures of this version, each carrying this plan's SHA-256.
	Signatures []board.Signature
	// Events is this version's sign-off log (frozen, signed, established, reopened).
	Events []board.PlanEvent
	// VerifyURL is the public page where the code can be checked; printed as given.
	VerifyURL string
	// ServerSignature is the server's Ed25519 signature of the canonical plan
	// (Signer.Sign), or nil when the server has not signed this version yet. PublicKey
	// must verify it: an export never carries a signature that does not.
	ServerSignature []byte
	PublicKey       ed25519.PublicKey
}

// plan is a PlanDoc with everything both exports derive from it, checked once.
type plan struct {
	doc    board.PlanDoc
	ev     Evidence
	sha    string
	code   string
	keyID  string
	sigs   []board.Signature // by time
	events []board.PlanEvent // by time
	needs  []int             // indexes into doc.Areas in the order the plan lists needs
	goalNo map[string]int    // goal id → its number in the plan ("Mål 3")
	labels map[board.Area]string
}

// prepare checks that the evidence belongs to the plan and derives what the exports show.
func prepare(doc board.PlanDoc, ev Evidence) (*plan, error) {
	canon, err := Canonical(doc)
	if err != nil {
		return nil, err
	}
	p := &plan{doc: doc, ev: ev, sha: board.PlanSHA256(canon), goalNo: map[string]int{}, labels: map[board.Area]string{}}
	p.code = board.VerificationCode(doc.MeetingID, doc.Version, p.sha)
	for _, s := range ev.Signatures {
		if s.MeetingID != doc.MeetingID || s.Version != doc.Version {
			return nil, fmt.Errorf("exports: a signature of meeting %q version %d given with meeting %q version %d", s.MeetingID, s.Version, doc.MeetingID, doc.Version)
		}
		if s.PlanSHA256 != p.sha {
			return nil, fmt.Errorf("exports: %s signed a plan with SHA-256 %q, not this one (%s)", s.MemberID, s.PlanSHA256, p.sha)
		}
	}
	for _, e := range ev.Events {
		if e.Version != doc.Version {
			return nil, fmt.Errorf("exports: an event of version %d given with version %d", e.Version, doc.Version)
		}
	}
	if len(ev.ServerSignature) > 0 {
		if !Verify(canon, ev.ServerSignature, ev.PublicKey) {
			return nil, errors.New("exports: the server signature does not verify with the public key for this plan")
		}
		p.keyID = KeyID(ev.PublicKey)
	}
	for i, a := range doc.Areas {
		if len(a.Ratings) > len(doc.Perspectives) {
			return nil, fmt.Errorf("exports: area %q has %d ratings for %d perspectives", a.Area, len(a.Ratings), len(doc.Perspectives))
		}
		if _, dup := p.labels[a.Area]; !dup {
			p.labels[a.Area] = a.Label
		}
		if a.Need != "" || len(a.Goals) > 0 || a.Priority > 0 {
			p.needs = append(p.needs, i)
		}
	}
	// Prioritised needs first (1 before 2), then the others in compass order.
	slices.SortStableFunc(p.needs, func(x, y int) int {
		px, py := doc.Areas[x].Priority, doc.Areas[y].Priority
		if (px > 0) != (py > 0) {
			if px > 0 {
				return -1
			}
			return 1
		}
		return cmp.Compare(px, py)
	})
	n := 0
	for _, i := range p.needs {
		for _, g := range goalsInOrder(doc.Areas[i].Goals) {
			n++
			if _, dup := p.goalNo[g.ID]; !dup && g.ID != "" {
				p.goalNo[g.ID] = n
			}
		}
	}
	p.sigs = slices.Clone(ev.Signatures)
	slices.SortStableFunc(p.sigs, func(a, b board.Signature) int { return a.At.Compare(b.At) })
	p.events = slices.Clone(ev.Events)
	slices.SortStableFunc(p.events, func(a, b board.PlanEvent) int { return a.At.Compare(b.At) })
	return p, nil
}

// goalsInOrder is long-term goals, then short-term (each in the given order), then any
// of another term.
func goalsInOrder(gs []board.PlanGoal) []board.PlanGoal {
	out := make([]board.PlanGoal, 0, len(gs))
	for _, term := range []board.GoalTerm{board.GoalLong, board.GoalShort} {
		for _, g := range gs {
			if g.Term == term {
				out = append(out, g)
			}
		}
	}
	for _, g := range gs {
		if g.Term != board.GoalLong && g.Term != board.GoalShort {
			out = append(out, g)
		}
	}
	return out
}

func (p *plan) areaLabel(a board.Area) string {
	if l, ok := p.labels[a]; ok && l != "" {
		return l
	}
	return string(a)
}

// people in the plan's roles, in the plan's order.
func (p *plan) withRole(r board.Role) []board.PlanPerson {
	var out []board.PlanPerson
	for _, x := range p.doc.People {
		if x.Role == r {
			out = append(out, x)
		}
	}
	return out
}

// coordinator is the Stödsamordnare: the one named as responsible, else the team's.
func (p *plan) coordinator() (board.PlanPerson, bool) {
	if c := p.doc.Responsibility.Coordinator; c.Name != "" {
		return c, true
	}
	if cs := p.withRole(board.RoleCoordinator); len(cs) > 0 {
		return cs[0], true
	}
	return board.PlanPerson{}, false
}

// others are the team members the header does not name under their own heading.
func (p *plan) others() []board.PlanPerson {
	c, _ := p.coordinator()
	var out []board.PlanPerson
	for _, x := range p.doc.People {
		switch {
		case x.Role == board.RoleGuardian, x.Role == board.RoleChildContact, x.Role == board.RoleChild:
		case x.Role == board.RoleCoordinator && (x.MemberID == c.MemberID || x.Name == c.Name):
		default:
			out = append(out, x)
		}
	}
	return out
}

// personText is "Name, Title, Organisation (huvudman)", leaving out what is not known.
func personText(x board.PlanPerson) string {
	parts := []string{x.Name}
	if x.Title != "" {
		parts = append(parts, x.Title)
	}
	if x.OrgName != "" {
		parts = append(parts, orgText(x.OrgName, x.Huvudman))
	}
	return strings.Join(parts, txtListSep)
}

func orgText(name, huvudman string) string {
	if huvudman == "" {
		return name
	}
	return fmt.Sprintf(txtOrgKind, name, label(huvudmanLabels, huvudman))
}

// signMethod says how a signature was given.
func signMethod(s board.Signature) string {
	switch s.Method {
	case board.SignOnDevice:
		return txtOnDevice
	case board.SignInRoom:
		if s.RecordedBy == "" {
			return txtInRoomNoName
		}
		return fmt.Sprintf(txtInRoom, s.RecordedBy)
	}
	return string(s.Method)
}

func (p *plan) frozenLine() string {
	by := p.doc.FrozenBy.Name
	if by == "" {
		by = txtNotGiven
	}
	return fmt.Sprintf(txtVersionLine, p.doc.Version, formatMinute(p.doc.FrozenAt), by)
}

// frozenAt is when and by whom the version was frozen, for the evidence.
func (p *plan) frozenAt() string {
	if p.doc.FrozenBy.Name == "" {
		return formatTime(p.doc.FrozenAt)
	}
	return formatTime(p.doc.FrozenAt) + txtListSep + p.doc.FrozenBy.Name
}

// unsigned names the people in the team without a signature on this version.
func (p *plan) unsigned() []string {
	signed := map[string]bool{}
	for _, s := range p.sigs {
		signed[s.MemberID] = true
	}
	var out []string
	for _, x := range p.doc.People {
		if !signed[x.MemberID] {
			out = append(out, x.Name)
		}
	}
	return out
}

// actionsPerOrg lists, per responsible organisation in order of first appearance, the
// numbers of its actions: the plan shows responsibility per verksamhet.
func (p *plan) actionsPerOrg() (orgs []string, numbers map[string][]string) {
	numbers = map[string][]string{}
	for _, a := range p.doc.Actions {
		if a.ResponsibleOrg == "" {
			continue
		}
		key := orgText(a.ResponsibleOrg, a.ResponsibleOrgKind)
		if _, ok := numbers[key]; !ok {
			orgs = append(orgs, key)
		}
		numbers[key] = append(numbers[key], fmt.Sprint(a.N))
	}
	return orgs, numbers
}

// actionFor is what an action belongs to: its goal's number and the area.
func (p *plan) actionFor(a board.PlanAction) string {
	var parts []string
	if n, ok := p.goalNo[a.GoalID]; ok && a.GoalID != "" {
		parts = append(parts, fmt.Sprintf(txtGoalN, n))
	}
	if a.Area != "" {
		parts = append(parts, p.areaLabel(a.Area))
	}
	if len(parts) == 0 {
		return txtNone
	}
	return strings.Join(parts, "\n")
}

func (p *plan) actionWho(a board.PlanAction) string {
	var parts []string
	if a.ResponsibleName != "" {
		parts = append(parts, a.ResponsibleName)
	}
	if a.ResponsibleOrg != "" {
		parts = append(parts, orgText(a.ResponsibleOrg, a.ResponsibleOrgKind))
	}
	if a.External {
		parts = append(parts, txtExternal)
	}
	if len(parts) == 0 {
		return txtNotGiven
	}
	return strings.Join(parts, "\n")
}

func actionWhen(a board.PlanAction) string {
	var parts []string
	if a.Due != "" {
		parts = append(parts, fmt.Sprintf(txtDue, a.Due))
	}
	if a.Frequency != "" {
		parts = append(parts, a.Frequency)
	}
	if len(parts) == 0 {
		return txtNone
	}
	return strings.Join(parts, "\n")
}

func quoted(s string) string { return fmt.Sprintf(txtQuoted, s) }

func (p *plan) eventWho(e board.PlanEvent) string {
	if e.Name == "" {
		return txtNone
	}
	if e.Role == "" {
		return e.Name
	}
	return e.Name + " (" + roleLabel(e.Role, "") + ")"
}

func (p *plan) eventText(e board.PlanEvent) string {
	t := label(eventLabels, e.Kind)
	if e.Disagreement {
		t += ", " + txtWithDissent
	}
	return t
}
