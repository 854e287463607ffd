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

// Invite is a personal join link. Only the SHA-256 of the token is stored.
type Invite struct {
	TokenHash []byte
	MemberID  string
	MeetingID string
	CreatedAt time.Time
	ExpiresAt time.Time
}

// Session binds a browser to one member in one meeting. Only the token's hash is stored.
type Session struct {
	TokenHash []byte
	MemberID  string
	MeetingID string
	CreatedAt time.Time
	ExpiresAt time.Time
}

// Store keeps teams, meetings and boards. Implementations: store/sqlite (default) and a
// PostgreSQL one (later); both must pass the shared contract suite in package store.
type Store interface {
	CreateOrganisation(ctx context.Context, o Organisation) error
	Organisation(ctx context.Context, id string) (Organisation, error)

	CreateTeam(ctx context.Context, t Team) error
	Team(ctx context.Context, id string) (Team, error)
	AddMember(ctx context.Context, m Member) error
	Members(ctx context.Context, teamID string) ([]Member, error)

	CreateMeeting(ctx context.Context, m Meeting) error
	Meeting(ctx context.Context, id string) (Meeting, error)

	CreateInvite(ctx context.Context, inv Invite) error
	// InviteByHash returns a valid (unexpired) invite; anything else is ErrNotFound.
	InviteByHash(ctx context.Context, hash []byte, now time.Time) (Invite, error)

	CreateSession(ctx context.Context, s Session) error
	// SessionByHash returns a valid (unexpired) session; anything else is ErrNotFound.
	SessionByHash(ctx context.Context, hash []byte, now time.Time) (Session, error)
	DeleteSession(ctx context.Context, hash []byte) error

	// LoadBoard reads a meeting's board at its latest seq.
	LoadBoard(ctx context.Context, meetingID string) (*Board, error)
	// Commit durably writes one applied change in one transaction: it advances the
	// meeting's seq from ch.Seq-1 to ch.Seq (ErrSeqConflict otherwise), appends the op to
	// the log (ErrDuplicateCID if its cid is taken) and stores the entity's new version.
	// When Commit returns nil the change survives a crash or power loss.
	Commit(ctx context.Context, meetingID string, ch Change) error
	// SeqByCID returns the seq of a stored op by its client id, or ErrNotFound.
	SeqByCID(ctx context.Context, meetingID, cid string) (int64, error)
	// ChangesSince returns up to limit changes with seq > since, in seq order.
	ChangesSince(ctx context.Context, meetingID string, since int64, limit int) ([]Change, error)

	Close() error
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
	d := &Directory{Team: t, Members: members}
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
