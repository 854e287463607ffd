package board

import "time"

// Barnets plan, the meeting's deliverable, as it is frozen, signed and exported. A plan
// version is an immutable snapshot of the board and the team's directory at the moment
// the coordinator froze it: everything the plan shows, with every name and label
// resolved, so that the PDF, the Markdown, the family's HTML copy and the canonical JSON
// are made from the document alone, and stay the same however the team changes later.
//
// Sections follow ../shared/DOMAIN.md "Barnets plan". Texts are the people's own words,
// verbatim; labels are the Swedish (or the municipality's configured) labels at freeze
// time, because the signed plan is in Swedish.

// PlanFormat names the schema of PlanDoc. It changes when a field changes meaning, so
// a verifier can tell which rules a stored plan was made under.
const PlanFormat = "barnteam.plan/1"

// PlanDoc is one version of Barnets plan.
type PlanDoc struct {
	Format    string `json:"format"` // PlanFormat
	Version   int    `json:"version"`
	TeamID    string `json:"team_id"`
	MeetingID string `json:"meeting_id"`
	// Date is the meeting's civil date (YYYY-MM-DD, Europe/Stockholm).
	Date         string     `json:"date"`
	MeetingTitle string     `json:"meeting_title"`
	FrozenAt     time.Time  `json:"frozen_at"` // UTC, to the second
	FrozenBy     PlanPerson `json:"frozen_by"`

	// 1. Header: the child, and the people (guardians, Barnkontakt, Stödsamordnare, …).
	Child  PlanChild    `json:"child"`
	People []PlanPerson `json:"people"` // every team member, in board.Roles order then name

	// 2. Why the plan exists (anledning).
	Reason string `json:"reason"`

	// 3. Barnets röst: how the child took part, and per area (in Areas) the child's words.
	ChildVoice PlanChildVoice `json:"child_voice"`

	// Perspectives are the rating columns, in order: the child, each guardian, the
	// professionals. Each PlanArea's Ratings follow this order.
	Perspectives []PlanPerspective `json:"perspectives"`

	// 4.–8. Per Behovskompass area, in compass order, all eight: the guardians' view, the
	// present situation, ratings, the need, its goals and how we will know it works.
	Areas []PlanArea `json:"areas"`

	// 7. Insatser / åtgärder, in board order.
	Actions []PlanAction `json:"actions"`

	// 10. Who has the overall responsibility.
	Responsibility PlanResponsibility `json:"responsibility"`

	// 11. Follow-up.
	FollowUp PlanFollowUp `json:"follow_up"`

	// 12. Consent summary: every consent recorded for the team, in force or not at freeze
	// time (a withdrawn one says so).
	Consents []PlanConsent `json:"consents"`

	// Notes from the meeting: the agenda items' notes (Markdown), in agenda order, those
	// with any text only.
	Notes []PlanNote `json:"notes"`

	// LegalBasis names the rules the plan is made under, as configured data (the Swedish
	// social services act was replaced in 2025; references change, code does not).
	LegalBasis []string `json:"legal_basis"`
}

// PlanPerson is a team member as the plan names them.
type PlanPerson struct {
	MemberID string `json:"member_id"`
	Name     string `json:"name"`
	Role     Role   `json:"role"`
	// RoleLabel is the role in Swedish ("Vårdnadshavare").
	RoleLabel string `json:"role_label"`
	Title     string `json:"title,omitempty"`
	OrgID     string `json:"org_id,omitempty"`
	OrgName   string `json:"org_name,omitempty"`
	Huvudman  string `json:"huvudman,omitempty"`
	// Contact is shown for the Stödsamordnare (and anyone whose contact the team keeps).
	Contact string `json:"contact,omitempty"`
}

// PlanChild identifies the child: first name and birth year only (data minimisation).
type PlanChild struct {
	FirstName string `json:"first_name"`
	BirthYear int    `json:"birth_year"`
}

// Participation says how the child took part in making the plan.
type Participation string

const (
	ParticipationUnset     Participation = ""
	ParticipationMeeting   Participation = "meeting"    // took part in the meeting
	ParticipationChildView Participation = "child_view" // answered in the child view
	ParticipationBefore    Participation = "before"     // was heard before the meeting
	ParticipationNone      Participation = "none"       // did not take part
)

// Participations lists the choices in the order forms show them.
var Participations = []Participation{ParticipationMeeting, ParticipationChildView, ParticipationBefore, ParticipationNone}

// PlanChildVoice is how the child's voice was captured.
type PlanChildVoice struct {
	Participation Participation `json:"participation"`
	// HowCaptured is the team's own words on how the child was heard.
	HowCaptured string `json:"how_captured"`
}

// PlanPerspective is one rating column.
type PlanPerspective struct {
	Key   string `json:"key"` // "child", "guardian:<member id>", "professionals"
	Label string `json:"label"`
}

// PlanArea is one Behovskompass area in the plan.
type PlanArea struct {
	Area       Area   `json:"area"`
	Label      string `json:"label"`
	ChildLabel string `json:"child_label"`
	// The child's voice as written down by an adult, and by whom.
	ChildVoice   string `json:"child_voice"`
	ChildVoiceBy string `json:"child_voice_by,omitempty"` // a name
	// ChildWords are the child's own words from the child view, only if the child
	// shared them.
	ChildWords    string `json:"child_words,omitempty"`
	GuardiansView string `json:"guardians_view"`
	Works         string `json:"works"`
	Worries       string `json:"worries"`
	// Ratings has one entry per PlanDoc.Perspectives, in that order; Rating "" is unrated.
	// The child's rating is there only if the child shared their answer.
	Ratings []Rating `json:"ratings"`
	// Need is the need the team sees in this area, in words the child understands;
	// Priority orders the needs (1 first); 0 means the area is not a prioritised need.
	Need     string     `json:"need,omitempty"`
	Priority int        `json:"priority,omitempty"`
	Goals    []PlanGoal `json:"goals"` // long-term first
}

// PlanGoal is a goal with how the team will know it works.
type PlanGoal struct {
	ID       string   `json:"id"`
	Term     GoalTerm `json:"term"`
	Text     string   `json:"text"`
	Evidence string   `json:"evidence,omitempty"`
}

// PlanAction is one insats or åtgärd.
type PlanAction struct {
	ID string `json:"id"`
	N  int    `json:"n"` // 1-based number in the plan
	// What is done, by whom (a person with their organisation, or an organisation).
	What               string `json:"what"`
	ResponsibleName    string `json:"responsible_name,omitempty"`
	ResponsibleOrg     string `json:"responsible_org,omitempty"`
	ResponsibleOrgKind string `json:"responsible_huvudman,omitempty"`
	Due                string `json:"due,omitempty"` // YYYY-MM-DD
	Frequency          string `json:"frequency,omitempty"`
	Area               Area   `json:"area,omitempty"`
	GoalID             string `json:"goal_id,omitempty"`
	// External: done by someone other than kommun or region.
	External bool         `json:"external,omitempty"`
	Status   ActionStatus `json:"status"`
}

// PlanResponsibility is who holds the overall responsibility for the plan.
type PlanResponsibility struct {
	LeadOrgID   string     `json:"lead_org_id,omitempty"`
	LeadOrgName string     `json:"lead_org_name,omitempty"`
	Coordinator PlanPerson `json:"coordinator"`
}

// PlanFollowUp is when the plan is followed up and who convenes.
type PlanFollowUp struct {
	Date     string `json:"date,omitempty"` // YYYY-MM-DD
	Convener string `json:"convener,omitempty"`
}

// PlanConsent is one recorded consent, as the plan summarises it.
type PlanConsent struct {
	GivenBy   string        `json:"given_by"` // a name
	Orgs      []string      `json:"orgs"`     // organisation names
	Purpose   string        `json:"purpose"`
	ValidFrom string        `json:"valid_from"`
	ValidTo   string        `json:"valid_to"`
	Method    ConsentMethod `json:"method"`
	Withdrawn string        `json:"withdrawn,omitempty"` // YYYY-MM-DD when withdrawn
}

// PlanNote is one agenda item's notes.
type PlanNote struct {
	Title    string `json:"title"`
	Markdown string `json:"markdown"`
}

// PlanStatus is where a plan version stands.
type PlanStatus string

const (
	// PlanSigning: frozen, collecting signatures.
	PlanSigning PlanStatus = "signing"
	// PlanEstablished: every required signature is in; the plan is fastställd.
	PlanEstablished PlanStatus = "established"
	// PlanSuperseded: an established version that a later established version of the
	// same meeting replaces. It is never stored (an established version stays
	// established); SupersededBy works it out from the list of versions.
	PlanSuperseded PlanStatus = "superseded"
)

// SupersededBy returns the latest established version after v in list (a meeting's
// versions), or 0 when v is not established or nothing replaces it.
func SupersededBy(list []PlanVersion, v PlanVersion) int {
	latest := 0
	if v.Status != PlanEstablished {
		return 0
	}
	for _, x := range list {
		if x.Version > v.Version && x.Status == PlanEstablished && x.Version > latest {
			latest = x.Version
		}
	}
	return latest
}

// PlanWithdrawn: the coordinator reopened the plan before it was established; its
// signatures no longer count. (An established version stays established; a later
// established version supersedes it.)
const PlanWithdrawn PlanStatus = "withdrawn"

// PlanVersion is one frozen version: the canonical JSON of its PlanDoc, that JSON's
// SHA-256 (hex), and its sign-off. The canonical JSON never changes; the status, the
// signatures and the events grow as the version is signed.
type PlanVersion struct {
	MeetingID string     `json:"meeting_id"`
	Version   int        `json:"version"`
	Canonical []byte     `json:"-"`
	SHA256    string     `json:"sha256"`
	Code      string     `json:"code"` // the verification code (VerificationCode)
	Status    PlanStatus `json:"status"`
	FrozenAt  time.Time  `json:"frozen_at"`
	FrozenBy  string     `json:"frozen_by"` // member id
	// EstablishedAt is when the last required signature came in (zero until then).
	EstablishedAt time.Time   `json:"established_at,omitzero"`
	Signatures    []Signature `json:"signatures,omitempty"`
	Events        []PlanEvent `json:"events,omitempty"`
}

// SignMethod is how a signature was given.
type SignMethod string

const (
	// SignOnDevice: the person signed on their own device, in their own session.
	SignOnDevice SignMethod = "device"
	// SignInRoom: the person approved aloud in the room and the coordinator recorded it
	// (someone without a device).
	SignInRoom SignMethod = "in_room"
)

// Signature is one participant's approval of one plan version, possibly with a
// disagreement (avvikande mening) in their own words.
type Signature struct {
	MeetingID string `json:"meeting_id"`
	Version   int    `json:"version"`
	MemberID  string `json:"member_id"`
	// Name, role, title and organisation as they were when signing.
	Name    string     `json:"name"`
	Role    Role       `json:"role"`
	Title   string     `json:"title,omitempty"`
	OrgName string     `json:"org_name,omitempty"`
	Method  SignMethod `json:"method"`
	// RecordedBy names the coordinator who recorded an in-room approval.
	RecordedBy   string    `json:"recorded_by,omitempty"`
	Disagreement string    `json:"disagreement,omitempty"`
	At           time.Time `json:"at"`
	// PlanSHA256 is the hash of the canonical plan that was signed.
	PlanSHA256 string `json:"plan_sha256"`
}

// PlanEventKind names one step of a plan's sign-off, for the evidence page.
type PlanEventKind string

const (
	PlanEventFrozen      PlanEventKind = "frozen"
	PlanEventSigned      PlanEventKind = "signed"
	PlanEventRecorded    PlanEventKind = "recorded_in_room"
	PlanEventEstablished PlanEventKind = "established"
	PlanEventReopened    PlanEventKind = "reopened"
)

// PlanEvent is one step of a version's sign-off: frozen, each signature, established,
// reopened. Events never carry what anyone wrote.
type PlanEvent struct {
	Version int           `json:"version"`
	At      time.Time     `json:"at"`
	Kind    PlanEventKind `json:"kind"`
	Name    string        `json:"name,omitempty"` // who did it
	Role    Role          `json:"role,omitempty"`
	// Disagreement marks a signature that came with an avvikande mening.
	Disagreement bool `json:"disagreement,omitempty"`
}
