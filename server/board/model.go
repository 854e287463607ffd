// Package board is the domain of a Barnteam meeting: the team around one child, its
// members and meetings, and the live board (agenda, needs compass, goals, actions) with the
// operations that change it. It imports nothing but the standard library; storage,
// transport and rendering depend on it, never the other way round.
package board

import (
	"slices"
	"time"
)

// Role is what a member does in the team. The permission matrix (permissions.go) is keyed
// by it.
type Role string

const (
	RoleCoordinator  Role = "coordinator"   // Stödsamordnare: runs the meeting
	RoleChildContact Role = "child_contact" // Barnkontakt: named person in universal services
	RoleProfessional Role = "professional"  // Professionell: school, IFO, BVC, BUP, polis, …
	RoleGuardian     Role = "guardian"      // Vårdnadshavare
	RoleChild        Role = "child"         // Barnet
	RoleNetwork      Role = "network"       // Nätverk: other adults the family invites
)

// Roles lists every role in the order the UI shows them.
var Roles = []Role{RoleCoordinator, RoleChildContact, RoleProfessional, RoleGuardian, RoleChild, RoleNetwork}

// Valid reports whether r is a known role.
func (r Role) Valid() bool { return slices.Contains(Roles, r) }

// IsStaff reports whether the role belongs to a professional (as opposed to the family).
func (r Role) IsStaff() bool {
	return r == RoleCoordinator || r == RoleChildContact || r == RoleProfessional
}

// Huvudman is the kind of principal an organisation (verksamhet) answers to.
type Huvudman string

const (
	HuvudmanKommun   Huvudman = "kommun"
	HuvudmanRegion   Huvudman = "region"
	HuvudmanStat     Huvudman = "stat"
	HuvudmanPrivat   Huvudman = "privat"
	HuvudmanIdeburen Huvudman = "ideburen"
)

// HuvudmanKinds lists every huvudman kind.
var HuvudmanKinds = []Huvudman{HuvudmanKommun, HuvudmanRegion, HuvudmanStat, HuvudmanPrivat, HuvudmanIdeburen}

// Valid reports whether h is a known huvudman kind.
func (h Huvudman) Valid() bool { return slices.Contains(HuvudmanKinds, h) }

// Organisation is a verksamhet: a school, a BVC, IFO, BUP, the police.
type Organisation struct {
	ID       string   `json:"id"`
	Name     string   `json:"name"`
	Huvudman Huvudman `json:"huvudman"`
}

// Team is the Barnteam around one child. The child is identified by first name and birth
// year only (data minimisation: no personnummer).
type Team struct {
	ID             string    `json:"id"`
	ChildFirstName string    `json:"child_first_name"`
	ChildBirthYear int       `json:"child_birth_year"`
	Reason         string    `json:"reason"` // anledning: why the team exists
	CreatedAt      time.Time `json:"created_at"`
	// FaceScale is how many faces the child answers with: 3, 5, or 0 for "by age".
	FaceScale int `json:"face_scale,omitempty"`
}

// YoungChildAge is the age below which a child answers with three faces instead of five.
const YoungChildAge = 8

// Faces is the number of faces the child answers with in year: the coordinator's choice,
// or three for a child under YoungChildAge and five from then on.
func (t Team) Faces(year int) int {
	if t.FaceScale == 3 || t.FaceScale == 5 {
		return t.FaceScale
	}
	if year-t.ChildBirthYear < YoungChildAge {
		return 3
	}
	return 5
}

// FaceValues are the rating values of a face scale, saddest first. Three faces use the
// ends and the middle of the five-point scale, so perspectives stay comparable.
func FaceValues(faces int) []Rating {
	if faces == 3 {
		return []Rating{"1", "3", "5"}
	}
	return []Rating{"1", "2", "3", "4", "5"}
}

// Member is a person in a team.
type Member struct {
	ID     string `json:"id"`
	TeamID string `json:"team_id"`
	Name   string `json:"name"`
	Role   Role   `json:"role"`
	// OrgID is set for professionals; empty for the family and network.
	OrgID string `json:"org_id,omitempty"`
	Title string `json:"title,omitempty"` // yrkestitel, e.g. "Klasslärare"
	// Discoverer marks the Upptäckare, the adult who first noticed the need.
	Discoverer bool   `json:"discoverer,omitempty"`
	Lang       string `json:"lang"` // preferred language, BCP 47 ("sv", "ar", …)
	// UserID links a staff member to their account; empty for guests.
	UserID string `json:"user_id,omitempty"`
	// Contact is an optional phone number or e-mail for a guest, for the coordinator.
	Contact string `json:"contact,omitempty"`
}

// Meeting is one Barnteam meeting of a team.
type Meeting struct {
	ID          string    `json:"id"`
	TeamID      string    `json:"team_id"`
	Title       string    `json:"title"`
	ScheduledAt time.Time `json:"scheduled_at"`
	// Epoch changes when a meeting's history is reset (never today); clients that resume
	// with another epoch get a full snapshot.
	Epoch string `json:"epoch"`
	// Cofacilitator is the member who leads the meeting while the coordinator's
	// connection is down; empty for none.
	Cofacilitator string `json:"cofacilitator,omitempty"`
	// FollowUpOf is the meeting whose agreed plan this one follows up ("" for none).
	FollowUpOf string `json:"follow_up_of,omitempty"`
}

// AgendaTemplate is an agenda a coordinator saved to start meetings with.
type AgendaTemplate struct {
	ID        string               `json:"id"`
	UserID    string               `json:"user_id"`
	Name      string               `json:"name"`
	Items     []AgendaTemplateItem `json:"items"`
	CreatedAt time.Time            `json:"created_at"`
}

// AgendaTemplateItem is one point of a template.
type AgendaTemplateItem struct {
	Title      string `json:"title"`
	TimeboxMin int    `json:"timebox_min"`
	Notes      string `json:"notes,omitempty"`
}

// Actor is the member on whose behalf an op is applied, as the room knows them.
type Actor struct {
	MemberID string
	Name     string
	Role     Role
	OrgID    string
}

// ActorOf is the actor a member acts as.
func ActorOf(m Member) Actor {
	return Actor{MemberID: m.ID, Name: m.Name, Role: m.Role, OrgID: m.OrgID}
}

// Limits on sizes of user input. They keep a board small enough to render and send
// quickly and stop abuse; the wire protocol has its own 32 KiB message limit.
const (
	MaxTitleLen     = 200    // runes
	MaxTextLen      = 7000   // runes, per text field: at 4 bytes a rune an op still fits in 32 KiB
	MaxTimeboxMin   = 480    // minutes
	MaxAgendaItems  = 60     // live (not deleted) agenda items
	MaxGoals        = 200    // live goals per meeting
	MaxActions      = 200    // live actions per meeting
	MaxIDLen        = 40     // client-made entity ids
	MaxCIDLen       = 64     // client op ids
	MaxFrequencyLen = 100    // runes
	maxRevHistory   = 64     // text revisions kept in memory per field, for merges
	minBirthYear    = 1990   // sanity bound for a child's birth year
	maxRunesAnyText = 100000 // hard ceiling before counting precisely
)
