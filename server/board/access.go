package board

import (
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// This file is the domain of who may come in: staff accounts, the sessions and links that
// let people in, consent (samtycke) and the audit trail. Hashing passwords and tokens is
// not here (package auth and secret); the rules are.

// User is a staff account. Guests (guardians, the child, the network) have no account:
// they come in with a personal link to one meeting.
type User struct {
	ID    string `json:"id"`
	Email string `json:"email"` // the login name, stored lower-case
	Name  string `json:"name"`
	OrgID string `json:"org_id,omitempty"`
	Title string `json:"title,omitempty"`
	Admin bool   `json:"admin,omitempty"`
	// Disabled users cannot log in; their sessions are ended when they are disabled.
	Disabled bool `json:"disabled,omitempty"`
	// MustChangePassword sends the user to the password page before anything else.
	MustChangePassword bool `json:"must_change_password,omitempty"`
	// PasswordHash is an argon2id PHC string; empty until the user has set a password.
	PasswordHash string    `json:"-"`
	CreatedAt    time.Time `json:"created_at"`
}

// UserSession is a logged-in staff browser. Only the token's hash is stored.
type UserSession struct {
	TokenHash []byte
	UserID    string
	CreatedAt time.Time
	LastSeen  time.Time
	ExpiresAt time.Time // absolute expiry
}

// Expired reports whether the session has passed its absolute expiry or been idle too long.
func (s UserSession) Expired(now time.Time, idle time.Duration) bool {
	return !now.Before(s.ExpiresAt) || now.Sub(s.LastSeen) >= idle
}

// TokenPurpose says what a one-time account token is for.
type TokenPurpose string

const (
	// TokenSetup creates the first administrator; printed on the first start.
	TokenSetup TokenPurpose = "setup"
	// TokenPassword lets one user set their password (a new account, or a reset).
	TokenPassword TokenPurpose = "password"
)

// AccountToken is a one-time link for setting up the first administrator or setting a
// user's password. Only the token's hash is stored; using it marks it used.
type AccountToken struct {
	TokenHash []byte
	Purpose   TokenPurpose
	UserID    string // empty for TokenSetup
	CreatedAt time.Time
	ExpiresAt time.Time
}

// Removal records that the coordinator took a member out of a meeting: their links and
// sessions are revoked and they cannot come back in until invited again.
type Removal struct {
	MeetingID string
	MemberID  string
	By        string // member id of who removed them
	At        time.Time
}

// ConsentMethod is how a consent was given.
type ConsentMethod string

const (
	ConsentWritten ConsentMethod = "written"
	ConsentOral    ConsentMethod = "oral"
	ConsentDigital ConsentMethod = "digital"
)

// ConsentMethods lists the methods in the order forms show them.
var ConsentMethods = []ConsentMethod{ConsentWritten, ConsentOral, ConsentDigital}

// Consent is a samtycke: a guardian (or the child) waives secrecy for named verksamheter,
// for a purpose, for a limited time. It can be withdrawn at any time, with effect at once.
// Dates are civil dates (YYYY-MM-DD) in Swedish time, both days included.
type Consent struct {
	ID         string        `json:"id"`
	TeamID     string        `json:"team_id"`
	GivenBy    string        `json:"given_by"` // member id: a guardian or the child
	OrgIDs     []string      `json:"org_ids"`
	Purpose    string        `json:"purpose"`
	ValidFrom  string        `json:"valid_from"`
	ValidTo    string        `json:"valid_to"`
	Method     ConsentMethod `json:"method"`
	RecordedBy string        `json:"recorded_by"` // user id
	RecordedAt time.Time     `json:"recorded_at"`
	// WithdrawnAt is set when the consent was withdrawn; a withdrawn consent covers nothing.
	WithdrawnAt time.Time `json:"withdrawn_at,omitzero"`
	WithdrawnBy string    `json:"withdrawn_by,omitempty"`
}

// ValidOn reports whether the consent is in force on the civil date today.
func (c Consent) ValidOn(today string) bool {
	return c.WithdrawnAt.IsZero() && c.ValidFrom <= today && today <= c.ValidTo
}

// Limits of consent fields.
const (
	MaxPurposeLen = 500
	// MaxConsentDays is the longest a consent may run: a year, after which it is asked
	// for again (proportionality; the family decides anew).
	MaxConsentDays = 366
)

// ValidateConsent checks a consent before it is recorded, against the team's directory.
// Errors are *Error with catalog keys, like op errors.
func ValidateConsent(c Consent, dir *Directory) error {
	m, ok := dir.Member(c.GivenBy)
	if !ok || (m.Role != RoleGuardian && m.Role != RoleChild) {
		return invalid("given_by", "consent.invalid.given_by")
	}
	if len(c.OrgIDs) == 0 {
		return invalid("org_ids", "consent.invalid.orgs")
	}
	for _, id := range c.OrgIDs {
		if _, ok := dir.Org(id); !ok {
			return invalid("org_ids", "consent.invalid.orgs")
		}
	}
	p := strings.TrimSpace(c.Purpose)
	if p == "" || !utf8.ValidString(p) || utf8.RuneCountInString(p) > MaxPurposeLen {
		return invalid("purpose", "consent.invalid.purpose", "count", MaxPurposeLen)
	}
	from, err1 := time.Parse(time.DateOnly, c.ValidFrom)
	to, err2 := time.Parse(time.DateOnly, c.ValidTo)
	if err1 != nil {
		return invalid("valid_from", "consent.invalid.date")
	}
	if err2 != nil {
		return invalid("valid_to", "consent.invalid.date")
	}
	if to.Before(from) || to.Sub(from) > MaxConsentDays*24*time.Hour {
		return invalid("valid_to", "consent.invalid.period", "count", MaxConsentDays)
	}
	if !slices.Contains(ConsentMethods, c.Method) {
		return invalid("method", "consent.invalid.method")
	}
	return nil
}

// CoveredOrgs is the rule for who may be in the room: the verksamheter that valid consent
// covers today. With joint custody both guardians normally consent, so an organisation is
// covered only when every guardian in the team has a valid consent naming it. A team
// without guardian members (a mature young person deciding alone) needs one valid consent
// that names it.
func CoveredOrgs(consents []Consent, members []Member, today string) map[string]bool {
	var guardians []string
	for _, m := range members {
		if m.Role == RoleGuardian {
			guardians = append(guardians, m.ID)
		}
	}
	given := map[string]map[string]bool{} // org -> who consented
	for _, c := range consents {
		if !c.ValidOn(today) {
			continue
		}
		for _, org := range c.OrgIDs {
			if given[org] == nil {
				given[org] = map[string]bool{}
			}
			given[org][c.GivenBy] = true
		}
	}
	out := map[string]bool{}
	for org, by := range given {
		ok := len(by) > 0
		for _, g := range guardians {
			ok = ok && by[g]
		}
		out[org] = ok
	}
	return out
}

// NeedsConsent reports whether a member may be in the room only when consent covers their
// organisation: every professional does, except the coordinator, who runs the meeting in
// which consent is confirmed and recorded.
func NeedsConsent(m Member) bool {
	return m.Role == RoleProfessional || m.Role == RoleChildContact
}

// AuditAction names what an audit row records.
type AuditAction string

const (
	AuditLogin               AuditAction = "login"
	AuditLoginFailed         AuditAction = "login_failed"
	AuditLogout              AuditAction = "logout"
	AuditPasswordSet         AuditAction = "password_set"
	AuditSetup               AuditAction = "setup"
	AuditUserCreated         AuditAction = "user_created"
	AuditUserChanged         AuditAction = "user_changed"
	AuditOrgCreated          AuditAction = "org_created"
	AuditOrgChanged          AuditAction = "org_changed"
	AuditTeamCreated         AuditAction = "team_created"
	AuditTeamChanged         AuditAction = "team_changed"
	AuditMemberAdded         AuditAction = "member_added"
	AuditMeetingCreated      AuditAction = "meeting_created"
	AuditInviteCreated       AuditAction = "invite_created"
	AuditInviteRevoked       AuditAction = "invite_revoked"
	AuditJoin                AuditAction = "join"     // a guest confirmed "this is me" and waits in the lobby
	AuditAdmitted            AuditAction = "admitted" // let in from the lobby
	AuditTurnedAway          AuditAction = "turned_away"
	AuditRemoved             AuditAction = "removed"
	AuditRefused             AuditAction = "refused" // kept out: no consent covers their organisation
	AuditView                AuditAction = "view"    // opened the child's board
	AuditEdit                AuditAction = "edit"    // an op; Target names it by seq
	AuditConsentGiven        AuditAction = "consent_recorded"
	AuditConsentWithdrawn    AuditAction = "consent_withdrawn"
	AuditCoordinatorHandover AuditAction = "coordinator_handover"
	AuditCofacilitator       AuditAction = "cofacilitator"
	AuditExport              AuditAction = "export"
	AuditDownload            AuditAction = "download"
	AuditAuditExtract        AuditAction = "audit_extract"
	AuditChildMode           AuditAction = "child_mode"     // an adult handed their device to the child, or took it back
	AuditDisplayOpened       AuditAction = "display_opened" // the shared screen was opened (a link and a code made)
	AuditDisplayClosed       AuditAction = "display_closed" // every shared screen of the meeting closed
	AuditDisplayView         AuditAction = "display_view"   // a shared screen showed the board
)

// AuditEntry is one row of the append-only audit log: who (account or member, with their
// organisation as it was then), when, what, and which child (team). Never content: Target
// names things by id or seq, never by what anyone wrote.
type AuditEntry struct {
	ID        int64       `json:"id"`
	At        time.Time   `json:"at"`
	UserID    string      `json:"user_id,omitempty"`
	MemberID  string      `json:"member_id,omitempty"`
	ActorName string      `json:"actor_name"`
	OrgID     string      `json:"org_id,omitempty"`
	OrgName   string      `json:"org_name,omitempty"`
	Action    AuditAction `json:"action"`
	TeamID    string      `json:"team_id,omitempty"`
	MeetingID string      `json:"meeting_id,omitempty"`
	Target    string      `json:"target,omitempty"`
	// Address is the client's network address, kept for logins only (to see attacks).
	Address string `json:"address,omitempty"`
}

// AuditFilter selects audit rows; zero fields match everything. Rows come newest first.
type AuditFilter struct {
	TeamID   string
	UserID   string
	Action   AuditAction
	From, To time.Time // To is exclusive
	BeforeID int64     // for paging: rows with a smaller id
	Limit    int
}
