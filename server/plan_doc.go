package server

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/barnteam/barnteam/exports"
	"github.com/barnteam/barnteam/server/board"
	"github.com/barnteam/barnteam/server/i18n"
)

// Barnets plan as a document: made from the board, the team's directory and its consents,
// with every name and label resolved in Swedish (the signed plan's language), so that a
// frozen version reads the same however the team changes later.

// DefaultLegalBasis names the rules a plan is made under. References are data: the
// social services act was replaced in 2025 (SFS 2025:400), and a deployment sets its own
// wording with -legal-basis.
var DefaultLegalBasis = []string{
	"Samordnad individuell plan enligt socialtjänstlagen (2025:400) och 16 kap. 4 § hälso- och sjukvårdslagen (2017:30)",
	"Samtycke till att sekretessen bryts mellan de verksamheter som samtycket gäller, enligt offentlighets- och sekretesslagen (2009:400)",
}

// makePlan is the hub's MakePlan: the canonical JSON of a new version's document. It runs
// on the meeting's room goroutine.
func (s *Server) makePlan(b *board.Board, dir *board.Directory, version int, at time.Time, by board.Actor) ([]byte, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	doc, err := s.planDoc(ctx, b, dir, version, at, by.MemberID)
	if err != nil {
		return nil, err
	}
	return exports.Canonical(doc)
}

// planDoc makes the plan document from the board as it is. Only what the child has shared
// of their own answers is in it.
func (s *Server) planDoc(ctx context.Context, b *board.Board, dir *board.Directory, version int, at time.Time, frozenBy string) (board.PlanDoc, error) {
	p := s.cfg.Catalog.Printer(i18n.Default)
	consents, err := s.cfg.Store.Consents(ctx, dir.Team.ID)
	if err != nil {
		return board.PlanDoc{}, fmt.Errorf("consents: %w", err)
	}
	person := func(id string) board.PlanPerson {
		m, ok := dir.Member(id)
		if !ok {
			return board.PlanPerson{}
		}
		pp := board.PlanPerson{MemberID: m.ID, Name: m.Name, Role: m.Role, RoleLabel: p.Plain("role." + string(m.Role)), Title: m.Title, Contact: m.Contact}
		if o, ok := dir.Org(m.OrgID); ok && m.OrgID != "" {
			pp.OrgID, pp.OrgName, pp.Huvudman = o.ID, o.Name, string(o.Huvudman)
		}
		return pp
	}
	doc := board.PlanDoc{
		Format: board.PlanFormat, Version: version, TeamID: dir.Team.ID, MeetingID: dir.Meeting.ID,
		Date: dir.Meeting.ScheduledAt.In(stockholm).Format(time.DateOnly), MeetingTitle: dir.Meeting.Title,
		FrozenAt: at.UTC().Truncate(time.Second), FrozenBy: person(frozenBy),
		Child:      board.PlanChild{FirstName: dir.Team.ChildFirstName, BirthYear: dir.Team.ChildBirthYear},
		Reason:     strings.TrimSpace(b.Plan.Reason.Value),
		ChildVoice: board.PlanChildVoice{Participation: b.Plan.Participation, HowCaptured: strings.TrimSpace(b.Plan.HowCaptured.Value)},
		LegalBasis: slices.Clone(s.legalBasis()),
		Consents:   []board.PlanConsent{}, Notes: []board.PlanNote{}, Actions: []board.PlanAction{},
	}
	if doc.Reason == "" {
		doc.Reason = dir.Team.Reason
	}
	// The people: by role as the product lists roles, then in the team's order.
	members := slices.Clone(dir.Members)
	sort.SliceStable(members, func(i, j int) bool {
		return slices.Index(board.Roles, members[i].Role) < slices.Index(board.Roles, members[j].Role)
	})
	for _, m := range members {
		doc.People = append(doc.People, person(m.ID))
	}
	if contact, err := s.staffContact(ctx, dir); err == nil {
		for i := range doc.People {
			if c, ok := contact[doc.People[i].MemberID]; ok && doc.People[i].Contact == "" {
				doc.People[i].Contact = c
			}
		}
	} else {
		return board.PlanDoc{}, err
	}

	// The perspectives, side by side: the child, each guardian, the professionals.
	doc.Perspectives = append(doc.Perspectives, board.PlanPerspective{Key: board.PerspectiveChild, Label: p.Plain("rating.perspective.child", "name", dir.Team.ChildFirstName)})
	for _, m := range dir.Members {
		if m.Role == board.RoleGuardian {
			doc.Perspectives = append(doc.Perspectives, board.PlanPerspective{Key: board.GuardianPerspective(m.ID), Label: m.Name})
		}
	}
	doc.Perspectives = append(doc.Perspectives, board.PlanPerspective{Key: board.PerspectiveProfessionals, Label: p.Plain("rating.perspective.professionals")})

	for _, a := range board.Areas {
		e := b.Compass[a].ForViewer(false) // only what the child has shared
		pa := board.PlanArea{Area: a, Label: p.Plain("area." + string(a)), ChildLabel: p.Plain("area." + string(a) + ".child"),
			ChildVoice: e.ChildVoice.Value, GuardiansView: e.GuardiansView.Value, Works: e.Works.Value, Worries: e.Worries.Value,
			ChildWords: e.Child.Words.Value, Need: strings.TrimSpace(e.Need.Value), Priority: e.Priority, Goals: []board.PlanGoal{}}
		if e.ChildVoice.Value != "" {
			if m, ok := dir.Member(e.ChildVoiceBy); ok {
				pa.ChildVoiceBy = m.Name
			}
		}
		for _, ps := range doc.Perspectives {
			pa.Ratings = append(pa.Ratings, e.RatingOf(ps.Key))
		}
		for _, g := range b.GoalsFor(a) {
			pa.Goals = append(pa.Goals, board.PlanGoal{ID: g.ID, Term: g.Term, Text: g.Text.Value, Evidence: g.Evidence.Value})
		}
		doc.Areas = append(doc.Areas, pa)
	}

	for i, x := range b.ActionList() {
		pa := board.PlanAction{ID: x.ID, N: i + 1, What: x.What.Value, Due: x.Due, Frequency: x.Frequency, Area: x.Area,
			GoalID: x.GoalID, External: x.External, Status: x.Status}
		orgID := x.ResponsibleOrg
		if m, ok := dir.Member(x.ResponsibleMember); ok && x.ResponsibleMember != "" {
			pa.ResponsibleName, orgID = m.Name, m.OrgID
		}
		if o, ok := dir.Org(orgID); ok && orgID != "" {
			pa.ResponsibleOrg, pa.ResponsibleOrgKind = o.Name, string(o.Huvudman)
		}
		doc.Actions = append(doc.Actions, pa)
	}

	for _, m := range dir.Members {
		if m.Role == board.RoleCoordinator {
			doc.Responsibility.Coordinator = person(m.ID)
		}
	}
	if o, ok := dir.Org(b.Plan.LeadOrg); ok && b.Plan.LeadOrg != "" {
		doc.Responsibility.LeadOrgID, doc.Responsibility.LeadOrgName = o.ID, o.Name
	}
	doc.FollowUp.Date = b.Plan.FollowUp
	if m, ok := dir.Member(b.Plan.Convener); ok && b.Plan.Convener != "" {
		doc.FollowUp.Convener = m.Name
	}

	orgName := func(id string) string {
		if o, ok := dir.Org(id); ok {
			return o.Name
		}
		if o, err := s.cfg.Store.Organisation(ctx, id); err == nil {
			return o.Name // an organisation no member belongs to any more
		}
		return id
	}
	for _, c := range consents {
		pc := board.PlanConsent{Purpose: c.Purpose, ValidFrom: c.ValidFrom, ValidTo: c.ValidTo, Method: c.Method, Orgs: []string{}}
		if m, ok := dir.Member(c.GivenBy); ok {
			pc.GivenBy = m.Name
		}
		for _, id := range c.OrgIDs {
			pc.Orgs = append(pc.Orgs, orgName(id))
		}
		if !c.WithdrawnAt.IsZero() {
			pc.Withdrawn = c.WithdrawnAt.In(stockholm).Format(time.DateOnly)
		}
		doc.Consents = append(doc.Consents, pc)
	}

	for _, it := range b.AgendaList() {
		if strings.TrimSpace(it.Notes.Value) != "" {
			doc.Notes = append(doc.Notes, board.PlanNote{Title: it.Title.Value, Markdown: it.Notes.Value})
		}
	}
	return doc, nil
}

// staffContact is how to reach the team's staff members who have an account: their
// e-mail address (the coordinator's contact in the plan's header).
func (s *Server) staffContact(ctx context.Context, dir *board.Directory) (map[string]string, error) {
	out := map[string]string{}
	for _, m := range dir.Members {
		if m.UserID == "" {
			continue
		}
		u, err := s.cfg.Store.User(ctx, m.UserID)
		if err != nil {
			return nil, fmt.Errorf("user of member: %w", err)
		}
		out[m.ID] = u.Email
	}
	return out, nil
}

func (s *Server) legalBasis() []string {
	if len(s.cfg.LegalBasis) > 0 {
		return s.cfg.LegalBasis
	}
	return DefaultLegalBasis
}
