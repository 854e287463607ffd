package board

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// Errors every Store returns for the same situations; the contract suite checks them.
var (
	// ErrNotFound: no such row (or an expired or revoked invite or session).
	ErrNotFound = errors.New("not found")
	// ErrSeqConflict: the meeting's seq in the database is not the one the change was
	// applied at. Another writer got there first; the caller reloads the board.
	ErrSeqConflict = errors.New("seq conflict")
	// ErrDuplicateCID: an op with this client id is already stored for the meeting.
	ErrDuplicateCID = errors.New("duplicate client op id")
)

// ErrExists: a row with this key (an e-mail address, an id) is already there.
var ErrExists = errors.New("already exists")

// Invite is a personal join link for one member to one meeting. Only the SHA-256 of the
// token is stored; revoking deletes it, so a revoked link is as unknown as a wrong one.
type Invite struct {
	TokenHash []byte
	MemberID  string
	MeetingID string
	CreatedAt time.Time
	ExpiresAt time.Time
}

// Session binds a guest's browser (one device) to one member in one meeting. Only the
// token's hash is stored. A guest session starts in the lobby; the coordinator admits it
// or turns it away.
type Session struct {
	TokenHash  []byte
	MemberID   string
	MeetingID  string
	CreatedAt  time.Time
	ExpiresAt  time.Time
	AdmittedAt time.Time // zero while waiting in the lobby
	DeniedAt   time.Time // set when turned away
	// A child-mode session: an adult handed their own device to the child. The device
	// stays in the child view until an adult enters the code whose hash this is, and then
	// returns to ReturnTo's board.
	UnlockHash string
	ReturnTo   string
}

// Display is the room's shared screen (a projector or TV) for one meeting: a read-only
// view opened without signing in, with a long token (a link) or a short code typed on
// the room's computer within minutes. Only hashes are stored.
type Display struct {
	TokenHash     []byte
	CodeHash      []byte // of the short code; usable until CodeExpiresAt, once
	MeetingID     string
	CreatedBy     string // member id of the leader who opened it
	CreatedAt     time.Time
	CodeExpiresAt time.Time
	ExpiresAt     time.Time
}

// Waiting reports whether the session is still in the lobby.
func (s Session) Waiting() bool { return s.AdmittedAt.IsZero() && s.DeniedAt.IsZero() }

// Store keeps everything: the directory, boards and their op logs, access and the audit
// log. Implementations: store/sqlite (default) and a PostgreSQL one (later); both must pass
// the shared contract suite in package store.
type Store interface {
	DirectoryStore
	BoardStore
	PlanStore
	AccessStore
	AuditStore
	Close() error
}

// Notifier is implemented by a store that several server instances share (PostgreSQL).
// It carries wake-ups between instances, never data: "meeting M is at seq N" after a
// commit, and the hubs' own short messages (close these sessions, reload that room). An
// instance that hears of a commit reads the changes it lacks from the op log, so a lost
// wake-up delays an edit but never loses it.
type Notifier interface {
	// Notify sends payload (at most MaxNotifyBytes) to every other instance's listener.
	Notify(ctx context.Context, payload []byte) error
	// Listen delivers other instances' commits and messages to h until ctx ends,
	// reconnecting as often as it must; after every (re)connection it calls h.Resync,
	// because anything sent while it was not listening is lost.
	Listen(ctx context.Context, h Listener)
}

// MaxNotifyBytes is the largest payload Notify takes (PostgreSQL allows just under 8000).
const MaxNotifyBytes = 7000

// Listener receives what a Notifier hears. Its methods are called from one goroutine, in
// the order the database delivered them, and must not block for long.
type Listener interface {
	// Committed: another instance committed meeting's change seq.
	Committed(meetingID string, seq int64)
	// Message: another instance's Notify.
	Message(payload []byte)
	// Resync: listening (again) from now; whatever came before may have been missed.
	Resync()
	// Lost: the connection that listens failed (with err); Listen reconnects.
	Lost(err error)
}

// MeetingChange is one meeting's applied change, for CommitBatch.
type MeetingChange struct {
	MeetingID string
	Change    Change
}

// PlanStore keeps the plan's versions (written by Commit, with the op that froze, signed
// or reopened them), the PDFs made of established versions, and the download links.
type PlanStore interface {
	// PlanVersions lists a meeting's versions, oldest first, without their canonical JSON.
	PlanVersions(ctx context.Context, meetingID string) ([]PlanVersion, error)
	// PlanVersion returns one version with its canonical JSON.
	PlanVersion(ctx context.Context, meetingID string, version int) (PlanVersion, error)
	// PlanVersionByCode finds a version by its verification code, with its canonical JSON.
	PlanVersionByCode(ctx context.Context, code string) (PlanVersion, error)
	// SavePlanPDF keeps the PDF of a version. The first PDF kept for a version stays: a
	// later call for the same version changes nothing and returns the kept one, so every
	// download of a version is the same bytes.
	SavePlanPDF(ctx context.Context, meetingID string, version int, pdf []byte, at time.Time) ([]byte, error)
	// PlanPDF returns the kept PDF of a version (ErrNotFound if none yet).
	PlanPDF(ctx context.Context, meetingID string, version int) ([]byte, error)
	// PlanPDFByHash finds the version whose kept PDF has this SHA-256 (hex).
	PlanPDFByHash(ctx context.Context, sha256 string) (meetingID string, version int, err error)

	CreateDownloadLink(ctx context.Context, l DownloadLink) error

	// ClaimSigningKey records keyID as the id of the key that seals this deployment's
	// plans, unless one is recorded already, and returns the one recorded: an instance
	// whose key is not that one must not start (its seals would not verify elsewhere).
	ClaimSigningKey(ctx context.Context, keyID string) (string, error)
	// DownloadLinkByHash returns an unexpired download link by its token's hash.
	DownloadLinkByHash(ctx context.Context, hash []byte, now time.Time) (DownloadLink, error)
}

// DownloadLink lets one member download one meeting's established plan after the meeting
// (their session is long gone by then), until the deployment's retention ends. Only the
// token's hash is stored.
type DownloadLink struct {
	TokenHash []byte
	MeetingID string
	MemberID  string
	CreatedAt time.Time
	ExpiresAt time.Time
}

// DirectoryStore keeps organisations, teams, members and meetings.
type DirectoryStore interface {
	CreateOrganisation(ctx context.Context, o Organisation) error
	Organisation(ctx context.Context, id string) (Organisation, error)
	Organisations(ctx context.Context) ([]Organisation, error)
	UpdateOrganisation(ctx context.Context, o Organisation) error

	CreateTeam(ctx context.Context, t Team) error
	Team(ctx context.Context, id string) (Team, error)
	// TeamsOfUser lists the teams in which the user is a member, newest first.
	TeamsOfUser(ctx context.Context, userID string) ([]Team, error)
	// Teams lists every team, by child's first name, birth year and id (administration).
	Teams(ctx context.Context) ([]Team, error)
	// SetFaceScale sets how many faces the child answers with (3, 5, or 0 for by age).
	SetFaceScale(ctx context.Context, teamID string, faces int) error
	AddMember(ctx context.Context, m Member) error
	Member(ctx context.Context, id string) (Member, error)
	Members(ctx context.Context, teamID string) ([]Member, error)
	// SetMemberRole changes one member's role (the coordinator handing over).
	SetMemberRole(ctx context.Context, memberID string, role Role) error

	CreateMeeting(ctx context.Context, m Meeting) error
	Meeting(ctx context.Context, id string) (Meeting, error)
	// MeetingsOfTeam lists a team's meetings by scheduled time.
	MeetingsOfTeam(ctx context.Context, teamID string) ([]Meeting, error)
	SetCofacilitator(ctx context.Context, meetingID, memberID string) error

	CreateAgendaTemplate(ctx context.Context, t AgendaTemplate) error
	// AgendaTemplates lists a user's templates by name.
	AgendaTemplates(ctx context.Context, userID string) ([]AgendaTemplate, error)
	// DeleteAgendaTemplate deletes one of a user's templates (ErrNotFound if it is not theirs).
	DeleteAgendaTemplate(ctx context.Context, userID, id string) error
}

// BoardStore keeps each meeting's board: the op log and the current entities.
type BoardStore interface {
	// LoadBoard reads a meeting's board at its latest seq.
	LoadBoard(ctx context.Context, meetingID string) (*Board, error)
	// Commit durably writes one applied change in one transaction: it advances the
	// meeting's seq from ch.Seq-1 to ch.Seq (ErrSeqConflict otherwise), appends the op to
	// the log (ErrDuplicateCID if its cid is taken), stores the entity's new version,
	// writes ch.PlanVersion if the change carries one (inserted with its canonical JSON
	// when it is new, else its status, signatures and events updated) and writes the
	// edit's audit row. When Commit returns nil the change survives a crash or power loss.
	Commit(ctx context.Context, meetingID string, ch Change) error
	// CommitBatch writes several changes, of any meetings, in one transaction and one
	// flush, and returns one error per change, each what Commit would have returned: a
	// change that conflicts fails alone, a failure of the database fails them all.
	// Concurrent Commits are batched through it (group commit).
	CommitBatch(ctx context.Context, changes []MeetingChange) []error
	// SeqByCID returns the seq of a stored op by its client id, or ErrNotFound.
	SeqByCID(ctx context.Context, meetingID, cid string) (int64, error)
	// ChangesSince returns up to limit changes with seq > since, in seq order.
	ChangesSince(ctx context.Context, meetingID string, since int64, limit int) ([]Change, error)
}

// AccessStore keeps accounts, sessions, links, lobby admissions, removals and consents.
type AccessStore interface {
	CreateUser(ctx context.Context, u User) error // ErrExists for a taken e-mail
	User(ctx context.Context, id string) (User, error)
	UserByEmail(ctx context.Context, email string) (User, error)
	Users(ctx context.Context) ([]User, error)
	// UpdateUser writes every field of u but its id, e-mail and creation time.
	UpdateUser(ctx context.Context, u User) error
	CountAdmins(ctx context.Context) (int, error)

	CreateUserSession(ctx context.Context, s UserSession) error
	// UserSessionByHash returns a session that has not passed its absolute expiry.
	UserSessionByHash(ctx context.Context, hash []byte, now time.Time) (UserSession, error)
	TouchUserSession(ctx context.Context, hash []byte, now time.Time) error
	DeleteUserSession(ctx context.Context, hash []byte) error
	DeleteUserSessions(ctx context.Context, userID string) error

	CreateAccountToken(ctx context.Context, t AccountToken) error
	// UseAccountToken marks a valid, unused token of the purpose used and returns it, in
	// one step, so a token works once even when two requests race.
	UseAccountToken(ctx context.Context, hash []byte, purpose TokenPurpose, now time.Time) (AccountToken, error)
	// AccountToken returns a valid, unused token without using it (to show a form).
	AccountToken(ctx context.Context, hash []byte, purpose TokenPurpose, now time.Time) (AccountToken, error)
	// RevokeAccountTokens deletes a user's unused tokens of a purpose (a new password
	// link replaces the earlier ones).
	RevokeAccountTokens(ctx context.Context, userID string, purpose TokenPurpose) error

	CreateInvite(ctx context.Context, inv Invite) error
	// InviteByHash returns a valid (unexpired, unrevoked) invite; anything else is
	// ErrNotFound.
	InviteByHash(ctx context.Context, hash []byte, now time.Time) (Invite, error)
	// Invites lists a meeting's unexpired invites (their hashes, for expiry display).
	Invites(ctx context.Context, meetingID string, now time.Time) ([]Invite, error)
	// RevokeInvites deletes every invite of one member to one meeting.
	RevokeInvites(ctx context.Context, meetingID, memberID string) error

	CreateSession(ctx context.Context, s Session) error
	// SessionByHash returns a valid (unexpired) session; anything else is ErrNotFound.
	SessionByHash(ctx context.Context, hash []byte, now time.Time) (Session, error)
	DeleteSession(ctx context.Context, hash []byte) error
	// DeleteSessions ends every session of one member in one meeting.
	DeleteSessions(ctx context.Context, meetingID, memberID string) error
	// Admit lets a waiting session in (admit) or turns it away; ErrNotFound if it is
	// gone or no longer waiting.
	Admit(ctx context.Context, hash []byte, admit bool, at time.Time) error

	CreateDisplay(ctx context.Context, d Display) error
	// DisplayByHash returns an unexpired display by its token's hash.
	DisplayByHash(ctx context.Context, hash []byte, now time.Time) (Display, error)
	// UseDisplayCode returns the display whose short code this is, if the code is still
	// valid, and spends the code, in one step.
	UseDisplayCode(ctx context.Context, codeHash []byte, now time.Time) (Display, error)
	// DeleteDisplays closes every display of a meeting.
	DeleteDisplays(ctx context.Context, meetingID string) error

	RemoveFromMeeting(ctx context.Context, r Removal) error
	// Readmit lifts a removal (the coordinator invites the member again).
	Readmit(ctx context.Context, meetingID, memberID string) error
	Removed(ctx context.Context, meetingID string) (map[string]Removal, error)

	CreateConsent(ctx context.Context, c Consent) error
	// WithdrawConsent marks a consent withdrawn; ErrNotFound if there is none in force.
	WithdrawConsent(ctx context.Context, id, by string, at time.Time) error
	Consents(ctx context.Context, teamID string) ([]Consent, error)
}

// AuditStore keeps the append-only audit log. Nothing can change or delete a row.
type AuditStore interface {
	AppendAudit(ctx context.Context, e AuditEntry) error
	Audit(ctx context.Context, f AuditFilter) ([]AuditEntry, error)
}

// LoadDirectory assembles the directory of a meeting's team: the team, its members and
// the organisations they belong to.
func LoadDirectory(ctx context.Context, s Store, meetingID string) (*Directory, error) {
	m, err := s.Meeting(ctx, meetingID)
	if err != nil {
		return nil, err
	}
	t, err := s.Team(ctx, m.TeamID)
	if err != nil {
		return nil, err
	}
	members, err := s.Members(ctx, t.ID)
	if err != nil {
		return nil, err
	}
	d := &Directory{Meeting: m, Team: t, Members: members}
	seen := map[string]bool{}
	for _, mem := range members {
		if mem.OrgID == "" || seen[mem.OrgID] {
			continue
		}
		seen[mem.OrgID] = true
		o, err := s.Organisation(ctx, mem.OrgID)
		if err != nil {
			return nil, fmt.Errorf("organisation of member: %w", err)
		}
		d.Orgs = append(d.Orgs, o)
	}
	return d, nil
}

// LoadEntity puts one stored entity (as written by Commit from Change.EntityJSON) into a
// board being loaded. Stores share it so both dialects read entities the same way.
func (b *Board) LoadEntity(kind EntityKind, data []byte) error {
	switch kind {
	case EntityMeeting:
		return json.Unmarshal(data, &b.Meeting)
	case EntityPlan:
		return json.Unmarshal(data, &b.Plan)
	case EntityAgenda:
		var x AgendaItem
		if err := json.Unmarshal(data, &x); err != nil {
			return err
		}
		b.Agenda[x.ID] = &x
	case EntityCompass:
		var x CompassEntry
		if err := json.Unmarshal(data, &x); err != nil {
			return err
		}
		if !x.Area.Valid() {
			return fmt.Errorf("stored compass entry with unknown area %q", x.Area)
		}
		// Before the child view, the child's rating was one of the Ratings.
		if r, ok := x.Ratings[PerspectiveChild]; ok {
			if x.Child.Rating == "" {
				x.Child.Rating = r
			}
			delete(x.Ratings, PerspectiveChild)
		}
		b.Compass[x.Area] = &x
	case EntityGoal:
		var x Goal
		if err := json.Unmarshal(data, &x); err != nil {
			return err
		}
		b.Goals[x.ID] = &x
	case EntityAction:
		var x Action
		if err := json.Unmarshal(data, &x); err != nil {
			return err
		}
		b.Actions[x.ID] = &x
	default:
		return fmt.Errorf("stored entity of unknown kind %q", kind)
	}
	return nil
}
