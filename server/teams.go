package server

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/labstack/echo/v4"
	"rsc.io/qr"

	"github.com/barnteam/barnteam/server/board"
	"github.com/barnteam/barnteam/server/i18n"
	"github.com/barnteam/barnteam/server/realtime"
	"github.com/barnteam/barnteam/server/secret"
)

// The Stödsamordnare's pages: my teams, creating a team, a team's page (members, consent,
// meetings), a meeting's personal links and the audit extract for one child.
//
// Who may do what, checked on every request:
//   - every page needs a signed-in staff user;
//   - a team's pages are for staff users who are members of the team; anyone else gets the
//     plain 404, so addresses reveal nothing;
//   - a professional whose organisation no valid consent covers sees only that the team
//     exists (secrecy: nothing about the child flows before consent);
//   - managing (members, consent, meetings, links, the extract) is for the team's
//     coordinator only; other members get 403.
//
// Every change writes its audit row (target by id, never content); opening a team's page
// or a meeting's links is a read of the child's data and is audited as a view.

// InviteTTL is how long a personal link made here works.
const InviteTTL = 14 * 24 * time.Hour

// newLinkTTL bounds how long a freshly made link waits in a cookie for the page that shows
// it once (post/redirect/get: reloading the page never makes another link).
const newLinkTTL = 5 * time.Minute

// Limits of the team forms (runes).
const (
	maxChildNameLen = 50
	maxReasonLen    = 2000
	maxPersonName   = 100
	maxContactLen   = 200
	minChildYear    = 2000
)

func (s *Server) teamRoutes(g *echo.Group) {
	g.GET("/teams", s.teamsList, s.requireUser)
	g.GET("/teams/new", s.teamNewForm, s.requireUser)
	g.POST("/teams/new", s.teamCreate, s.requireUser)
	g.GET("/teams/:team", s.teamShow, s.requireUser)
	g.POST("/teams/:team/members/staff", s.teamAddStaff, s.requireUser)
	g.POST("/teams/:team/members/guest", s.teamAddGuest, s.requireUser)
	g.POST("/teams/:team/consents", s.teamRecordConsent, s.requireUser)
	g.POST("/teams/:team/consents/:consent/withdraw", s.teamWithdrawConsent, s.requireUser)
	g.POST("/teams/:team/meetings", s.teamScheduleMeeting, s.requireUser)
	g.GET("/teams/:team/meetings/:meeting", s.meetingInvites, s.requireUser)
	g.POST("/teams/:team/meetings/:meeting/links/:member", s.meetingNewLink, s.requireUser)
	g.GET("/teams/:team/meetings/:meeting/links/:member", s.meetingShowLink, s.requireUser)
	g.POST("/teams/:team/meetings/:meeting/links/:member/revoke", s.meetingRevokeLink, s.requireUser)
	g.GET("/teams/:team/audit.csv", s.teamAuditCSV, s.requireUser)
	g.POST("/teams/:team/faces", s.teamSetFaces, s.requireUser)
	g.POST("/teams/:team/meetings/:meeting/follow-up", s.teamFollowUp, s.requireUser)
	g.GET("/teams/:team/meetings/:meeting/meeting.ics", s.teamMeetingICS, s.requireUser)
}

// teamCtx is a team as one signed-in member sees it.
type teamCtx struct {
	Team    board.Team
	Members []board.Member
	Orgs    []board.Organisation // the organisations of the members, in member order
	Me      board.Member
	// Coordinator: the user is the team's coordinator and may manage it.
	Coordinator bool
}

func (t *teamCtx) dir() *board.Directory {
	return &board.Directory{Team: t.Team, Members: t.Members, Orgs: t.Orgs}
}

func (t *teamCtx) member(id string) (board.Member, bool) {
	for _, m := range t.Members {
		if m.ID == id {
			return m, true
		}
	}
	return board.Member{}, false
}

func (t *teamCtx) orgName(id string) string {
	for _, o := range t.Orgs {
		if o.ID == id {
			return o.Name
		}
	}
	return ""
}

// loadTeam reads the team in the path for the signed-in user: the plain 404 unless the
// user is a member of it.
func (s *Server) loadTeam(c echo.Context) (*teamCtx, error) {
	id := c.Param("team")
	if !board.ValidID(id) {
		return nil, echo.ErrNotFound
	}
	ctx := ctxOf(c)
	team, err := s.cfg.Store.Team(ctx, id)
	if errors.Is(err, board.ErrNotFound) {
		return nil, echo.ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	members, err := s.cfg.Store.Members(ctx, id)
	if err != nil {
		return nil, err
	}
	u := currentUser(c)
	t := &teamCtx{Team: team, Members: members}
	found := false
	for _, m := range members {
		if m.UserID == "" || m.UserID != u.ID {
			continue
		}
		if !found || m.Role == board.RoleCoordinator {
			t.Me, found = m, true
		}
	}
	if !found {
		return nil, echo.ErrNotFound
	}
	t.Coordinator = t.Me.Role == board.RoleCoordinator
	seen := map[string]bool{}
	for _, m := range members {
		if m.OrgID == "" || seen[m.OrgID] {
			continue
		}
		seen[m.OrgID] = true
		o, err := s.cfg.Store.Organisation(ctx, m.OrgID)
		if err != nil {
			return nil, fmt.Errorf("organisation of member: %w", err)
		}
		t.Orgs = append(t.Orgs, o)
	}
	return t, nil
}

// manageTeam is loadTeam for changes: only the coordinator; other members get 403.
func (s *Server) manageTeam(c echo.Context) (*teamCtx, error) {
	t, err := s.loadTeam(c)
	if err != nil {
		return nil, err
	}
	if !t.Coordinator {
		return nil, echo.ErrForbidden
	}
	return t, nil
}

// teamMeeting returns the meeting in the path if it belongs to the team; else 404.
func (s *Server) teamMeeting(c echo.Context, t *teamCtx) (board.Meeting, error) {
	id := c.Param("meeting")
	if !board.ValidID(id) {
		return board.Meeting{}, echo.ErrNotFound
	}
	m, err := s.cfg.Store.Meeting(ctxOf(c), id)
	if errors.Is(err, board.ErrNotFound) || (err == nil && m.TeamID != t.Team.ID) {
		return board.Meeting{}, echo.ErrNotFound
	}
	return m, err
}

// --- Forms: values, errors, validation ----------------------------------------------

// fieldError is one problem with a form, shown in the error summary (linking to the
// field by id) and next to the field.
type fieldError struct {
	Field string // the id of the control at fault
	Msg   string
}

// formState is the errors of one form.
type formState struct {
	Errors []fieldError
}

func (f *formState) add(field, msg string) { f.Errors = append(f.Errors, fieldError{field, msg}) }

// Invalid reports whether the field with this id has an error.
func (f formState) Invalid(field string) bool { return f.Msg(field) != "" }

// Msg is the field's error message, or "".
func (f formState) Msg(field string) string {
	for _, e := range f.Errors {
		if e.Field == field {
			return e.Msg
		}
	}
	return ""
}

// Failed reports whether the form has errors.
func (f formState) Failed() bool { return len(f.Errors) > 0 }

// cleanLine trims a one-line text and checks its length in runes; control characters
// (line breaks included) are refused.
func cleanLine(s string, lo, hi int) (string, bool) {
	s = strings.TrimSpace(s)
	if !utf8.ValidString(s) || strings.IndexFunc(s, unicode.IsControl) >= 0 {
		return s, false
	}
	n := utf8.RuneCountInString(s)
	return s, n >= lo && n <= hi
}

// cleanText is cleanLine for text with line breaks (CR LF becomes LF).
func cleanText(s string, lo, hi int) (string, bool) {
	s = strings.TrimSpace(strings.ReplaceAll(s, "\r\n", "\n"))
	if !utf8.ValidString(s) || strings.IndexFunc(s, func(r rune) bool { return unicode.IsControl(r) && r != '\n' && r != '\t' }) >= 0 {
		return s, false
	}
	n := utf8.RuneCountInString(s)
	return s, n >= lo && n <= hi
}

// personnummer matches a Swedish personal identity number (YYYYMMDD-NNNN, YYMMDD-NNNN):
// data minimisation says the child is named by first name and birth year only.
var personnummer = regexp.MustCompile(`\b(?:(?:19|20)\d{6}[-+ ]?\d{4}|\d{6}[-+]\d{4})\b`)

var fourDigits = regexp.MustCompile(`^[0-9]{4}$`)

// stockholmDate parses a civil date written YYYY-MM-DD.
func stockholmDate(s string) (time.Time, bool) {
	t, err := time.ParseInLocation(time.DateOnly, strings.TrimSpace(s), stockholm)
	return t, err == nil
}

// --- My teams ---------------------------------------------------------------------------

type teamSummary struct {
	Team board.Team
	Role board.Role
	Next *meetingView
	URL  string
}

type teamsListPage struct {
	Teams []teamSummary
	// The coordinator's overview, across the teams they coordinate.
	Upcoming  []overviewMeeting
	FollowUps []overviewFollowUp
	Overdue   []overviewAction
	Today     string
}

type overviewMeeting struct {
	Child   string
	Meeting meetingView
}

type overviewFollowUp struct {
	Child   string
	Of      string // the meeting whose plan asks for it
	Date    string
	Late    bool
	TeamURL string
}

type overviewAction struct {
	Child    string
	What     string
	Due      string
	Status   board.ActionStatus
	BoardURL string
}

type meetingView struct {
	Meeting    board.Meeting
	When       string // Stockholm time, YYYY-MM-DD HH:MM
	Date       string // Stockholm date, for <time datetime>
	BoardURL   string // the user's own board for the meeting
	InvitesURL string
	ICSURL     string
	Past       bool

	// The meeting's plan versions (the team's timeline), the follow-up its agreed plan
	// asks for, and whether it may be booked now (no follow-up meeting of it yet).
	Versions     []board.PlanVersion
	FollowUpDate string
	CanFollowUp  bool
	FollowUpURL  string
	FollowUpOf   string // the title of the meeting this one follows up
}

func (s *Server) meetingView(t board.Team, m board.Meeting, me board.Member) meetingView {
	at := m.ScheduledAt.In(stockholm)
	return meetingView{Meeting: m, When: at.Format("2006-01-02 15:04"), Date: at.Format(time.RFC3339),
		BoardURL: boardPath(m.ID, me.ID), InvitesURL: "/teams/" + t.ID + "/meetings/" + m.ID,
		ICSURL: "/teams/" + t.ID + "/meetings/" + m.ID + "/meeting.ics", FollowUpURL: "/teams/" + t.ID + "/meetings/" + m.ID + "/follow-up",
		Past: at.Add(4 * time.Hour).Before(s.cfg.Now())}
}

// teamsList is GET /teams, "Mina barnteam".
func (s *Server) teamsList(c echo.Context) error {
	ctx := ctxOf(c)
	u := currentUser(c)
	teams, err := s.cfg.Store.TeamsOfUser(ctx, u.ID)
	if err != nil {
		return err
	}
	page := teamsListPage{}
	now := s.cfg.Now()
	for _, t := range teams {
		members, err := s.cfg.Store.Members(ctx, t.ID)
		if err != nil {
			return err
		}
		sum := teamSummary{Team: t, URL: "/teams/" + t.ID}
		var me board.Member
		for _, m := range members {
			if m.UserID == u.ID && (me.ID == "" || m.Role == board.RoleCoordinator) {
				me = m
			}
		}
		sum.Role = me.Role
		meetings, err := s.cfg.Store.MeetingsOfTeam(ctx, t.ID)
		if err != nil {
			return err
		}
		for _, m := range meetings { // by scheduled time
			if !m.ScheduledAt.Add(4 * time.Hour).Before(now) {
				v := s.meetingView(t, m, me)
				sum.Next = &v
				break
			}
		}
		page.Teams = append(page.Teams, sum)
		if me.Role == board.RoleCoordinator {
			if err := s.overview(c, &page, t, me, meetings); err != nil {
				return err
			}
		}
	}
	sort.SliceStable(page.Upcoming, func(i, j int) bool {
		return page.Upcoming[i].Meeting.Meeting.ScheduledAt.Before(page.Upcoming[j].Meeting.Meeting.ScheduledAt)
	})
	sort.SliceStable(page.FollowUps, func(i, j int) bool { return page.FollowUps[i].Date < page.FollowUps[j].Date })
	sort.SliceStable(page.Overdue, func(i, j int) bool { return page.Overdue[i].Due < page.Overdue[j].Due })
	p := s.printer(c, "")
	return s.render(c, http.StatusOK, "teams", pageData{P: p, Title: p.T("teams.list.title"), Page: page})
}

// --- Creating a team --------------------------------------------------------------------

type teamNewPage struct {
	Name, BirthYear, Reason string
	MinYear, MaxYear        int
	Form                    formState
}

func (s *Server) teamNewForm(c echo.Context) error {
	p := s.printer(c, "")
	return s.render(c, http.StatusOK, "team_new", pageData{P: p, Title: p.T("teams.new.title"),
		Page: teamNewPage{MinYear: minChildYear, MaxYear: s.cfg.Now().In(stockholm).Year()}})
}

// teamCreate is POST /teams/new: the creator becomes the team's coordinator.
func (s *Server) teamCreate(c echo.Context) error {
	p := s.printer(c, "")
	u := currentUser(c)
	page := teamNewPage{Name: c.FormValue("name"), BirthYear: strings.TrimSpace(c.FormValue("birth_year")), Reason: c.FormValue("reason"),
		MinYear: minChildYear, MaxYear: s.cfg.Now().In(stockholm).Year()}
	name, ok := cleanLine(page.Name, 1, maxChildNameLen)
	if !ok {
		page.Form.add("team-name", p.T("teams.invalid.child_name", "count", maxChildNameLen))
	}
	year, err := strconv.Atoi(page.BirthYear)
	if !fourDigits.MatchString(page.BirthYear) || err != nil || year < page.MinYear || year > page.MaxYear {
		page.Form.add("team-birth-year", p.T("teams.invalid.birth_year", "min", page.MinYear, "max", page.MaxYear))
	}
	reason, ok := cleanText(page.Reason, 1, maxReasonLen)
	switch {
	case !ok:
		page.Form.add("team-reason", p.T("teams.invalid.reason", "count", maxReasonLen))
	case personnummer.MatchString(reason):
		page.Form.add("team-reason", p.T("teams.invalid.personnummer"))
	}
	if personnummer.MatchString(name) {
		page.Form.add("team-name", p.T("teams.invalid.personnummer"))
	}
	if page.Form.Failed() {
		return s.render(c, http.StatusUnprocessableEntity, "team_new", pageData{P: p, Title: p.T("teams.new.title"), Page: page})
	}
	ctx := ctxOf(c)
	now := s.cfg.Now()
	team := board.Team{ID: secret.ID(16), ChildFirstName: name, ChildBirthYear: year, Reason: reason, CreatedAt: now}
	if err := s.cfg.Store.CreateTeam(ctx, team); err != nil {
		return err
	}
	me := board.Member{ID: secret.ID(16), TeamID: team.ID, Name: u.Name, Role: board.RoleCoordinator, OrgID: u.OrgID, Title: u.Title, Lang: "sv", UserID: u.ID}
	if err := s.cfg.Store.AddMember(ctx, me); err != nil {
		return err
	}
	if err := s.auditStaff(c, board.AuditTeamCreated, team.ID, "", "team "+team.ID); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/teams/"+team.ID)
}

// --- A team's page ------------------------------------------------------------------------

type memberView struct {
	Member   board.Member
	OrgName  string
	LangName string // the member's preferred language, named in that language
	IsMe     bool
}

type consentView struct {
	Consent        board.Consent
	GivenBy        string
	GivenByRole    board.Role
	Orgs           []string
	Method         string
	RecordedBy     string
	RecordedAt     string
	WithdrawnBy    string
	WithdrawnAt    string
	WithdrawnAtISO string
	Status         string // in_force, upcoming, expired, withdrawn
	CanWithdraw    bool
	WithdrawURL    string
	RecordedAtISO  string
}

// orgCover is one organisation of the team and whether consent covers it today.
type orgCover struct {
	Org     board.Organisation
	Covered bool
	// Missing are the guardians whose valid consent naming the organisation is lacking.
	Missing []string
}

type option struct {
	Value, Label, Lang string
}

type staffForm struct {
	UserID, Role string
	Discoverer   bool
	Form         formState
}

type guestForm struct {
	Name, Role, Lang, Contact string
	Form                      formState
}

type consentForm struct {
	GivenBy, Purpose, From, To, Method string
	Orgs                               map[string]bool
	Form                               formState
}

type meetingForm struct {
	Title, Date, Time string
	Template          string // the agenda template to start from ("" for none)
	Form              formState
}

type teamPage struct {
	Team        board.Team
	Me          board.Member
	Coordinator bool
	// Restricted: the user is a professional whose organisation no valid consent covers;
	// they see only that the team exists.
	Restricted bool
	Saved      string
	Action     string // the base path of the team's forms

	Members    []memberView
	Consents   []consentView
	Covered    []orgCover
	KeptOut    []memberView
	Meetings   []meetingView
	AuditURL   string
	Candidates []option
	Languages  []option
	Givers     []board.Member
	Today      string
	// FacesNow is how many faces the child would answer with by age this year.
	FacesNow int
	// Templates are the agendas a meeting can start from.
	Templates []board.AgendaTemplate

	Staff   staffForm
	Guest   guestForm
	Consent consentForm
	Meeting meetingForm
}

// Errors lists every form's errors, for the summary at the top of the page.
func (t teamPage) Errors() []fieldError {
	var out []fieldError
	for _, f := range []formState{t.Staff.Form, t.Guest.Form, t.Consent.Form, t.Meeting.Form} {
		out = append(out, f.Errors...)
	}
	return out
}

// savedKeys are the confirmations a redirect after a change may ask the page to show.
var savedKeys = map[string]string{
	"member":    "teams.saved.member",
	"consent":   "teams.saved.consent",
	"withdrawn": "teams.saved.withdrawn",
	"meeting":   "teams.saved.meeting",
	"revoked":   "teams.saved.revoked",
	"faces":     "teams.saved.faces",
	"follow_up": "teams.saved.follow_up",
}

// teamPageData assembles the team's page with empty forms.
func (s *Server) teamPageData(c echo.Context, t *teamCtx) (teamPage, error) {
	ctx := ctxOf(c)
	p := s.printer(c, "")
	now := s.cfg.Now().In(stockholm)
	today := now.Format(time.DateOnly)
	page := teamPage{Team: t.Team, Me: t.Me, Coordinator: t.Coordinator, Action: "/teams/" + t.Team.ID, Today: today,
		AuditURL: "/teams/" + t.Team.ID + "/audit.csv", FacesNow: board.Team{ChildBirthYear: t.Team.ChildBirthYear}.Faces(now.Year())}
	if k, ok := savedKeys[c.QueryParam("saved")]; ok {
		page.Saved = p.T(k)
	}
	consents, err := s.cfg.Store.Consents(ctx, t.Team.ID)
	if err != nil {
		return page, err
	}
	covered := board.CoveredOrgs(consents, t.Members, today)
	if board.NeedsConsent(t.Me) && !covered[t.Me.OrgID] {
		page.Restricted = true
		return page, nil
	}
	for _, m := range t.Members {
		mv := memberView{Member: m, OrgName: t.orgName(m.OrgID), LangName: m.Lang, IsMe: m.ID == t.Me.ID}
		if s.cfg.Catalog.Has(m.Lang, "lang."+m.Lang) {
			mv.LangName = s.cfg.Catalog.T(m.Lang, "lang."+m.Lang)
		}
		page.Members = append(page.Members, mv)
		if board.NeedsConsent(m) && !covered[m.OrgID] {
			page.KeptOut = append(page.KeptOut, mv)
		}
		switch m.Role {
		case board.RoleGuardian, board.RoleChild:
			page.Givers = append(page.Givers, m)
		}
	}

	// Which organisations are covered today, and whose consent is missing.
	for _, o := range t.Orgs {
		oc := orgCover{Org: o, Covered: covered[o.ID]}
		for _, m := range t.Members {
			if m.Role != board.RoleGuardian {
				continue
			}
			has := false
			for _, cs := range consents {
				if cs.GivenBy == m.ID && cs.ValidOn(today) && slices.Contains(cs.OrgIDs, o.ID) {
					has = true
				}
			}
			if !has {
				oc.Missing = append(oc.Missing, m.Name)
			}
		}
		page.Covered = append(page.Covered, oc)
	}

	names := map[string]string{} // user id -> name
	userName := func(id string) string {
		if id == "" {
			return ""
		}
		if n, ok := names[id]; ok {
			return n
		}
		n := id
		if u, err := s.cfg.Store.User(ctx, id); err == nil {
			n = u.Name
		}
		names[id] = n
		return n
	}
	for i := len(consents) - 1; i >= 0; i-- { // newest first
		cs := consents[i]
		methodKey := "teams.consent.method." + string(cs.Method)
		v := consentView{Consent: cs, Method: p.T(methodKey),
			RecordedBy: userName(cs.RecordedBy), RecordedAt: cs.RecordedAt.In(stockholm).Format("2006-01-02 15:04"),
			RecordedAtISO: cs.RecordedAt.In(stockholm).Format(time.RFC3339),
			WithdrawURL:   "/teams/" + t.Team.ID + "/consents/" + cs.ID + "/withdraw"}
		if m, ok := t.member(cs.GivenBy); ok {
			v.GivenBy, v.GivenByRole = m.Name, m.Role
		} else {
			v.GivenBy = "?"
		}
		for _, id := range cs.OrgIDs {
			if n := t.orgName(id); n != "" {
				v.Orgs = append(v.Orgs, n)
			} else if o, err := s.cfg.Store.Organisation(ctx, id); err == nil {
				v.Orgs = append(v.Orgs, o.Name)
			} else {
				v.Orgs = append(v.Orgs, id)
			}
		}
		switch {
		case !cs.WithdrawnAt.IsZero():
			v.Status = "withdrawn"
			v.WithdrawnBy = userName(cs.WithdrawnBy)
			v.WithdrawnAt = cs.WithdrawnAt.In(stockholm).Format("2006-01-02 15:04")
			v.WithdrawnAtISO = cs.WithdrawnAt.In(stockholm).Format(time.RFC3339)
		case cs.ValidOn(today):
			v.Status = "in_force"
		case today < cs.ValidFrom:
			v.Status = "upcoming"
		default:
			v.Status = "expired"
		}
		v.CanWithdraw = t.Coordinator && (v.Status == "in_force" || v.Status == "upcoming")
		page.Consents = append(page.Consents, v)
	}

	meetings, err := s.cfg.Store.MeetingsOfTeam(ctx, t.Team.ID)
	if err != nil {
		return page, err
	}
	if page.Meetings, err = s.meetingTimeline(ctx, t, meetings); err != nil {
		return page, err
	}
	if page.Templates, err = s.templateOptions(ctx, currentUser(c).ID); err != nil {
		return page, err
	}
	if !t.Coordinator {
		return page, nil
	}

	// The forms: staff from the directory who are not members yet.
	users, err := s.cfg.Store.Users(ctx)
	if err != nil {
		return page, err
	}
	orgs, err := s.cfg.Store.Organisations(ctx)
	if err != nil {
		return page, err
	}
	orgNames := map[string]string{}
	for _, o := range orgs {
		orgNames[o.ID] = o.Name
	}
	inTeam := map[string]bool{}
	for _, m := range t.Members {
		if m.UserID != "" {
			inTeam[m.UserID] = true
		}
	}
	for _, u := range users {
		if u.Disabled || inTeam[u.ID] || u.OrgID == "" || orgNames[u.OrgID] == "" {
			continue
		}
		label := u.Name + " – " + orgNames[u.OrgID]
		if u.Title != "" {
			label += ", " + u.Title
		}
		page.Candidates = append(page.Candidates, option{Value: u.ID, Label: label})
	}
	slices.SortStableFunc(page.Candidates, func(a, b option) int { return strings.Compare(a.Label, b.Label) })
	for _, l := range s.cfg.Catalog.Languages() {
		page.Languages = append(page.Languages, option{Value: l, Label: s.cfg.Catalog.T(l, "lang."+l), Lang: l})
	}
	page.Staff = staffForm{Role: string(board.RoleProfessional)}
	page.Guest = guestForm{Role: string(board.RoleGuardian), Lang: "sv"}
	page.Consent = consentForm{Purpose: p.T("teams.consent.default_purpose"), From: today,
		To: now.AddDate(0, 6, 0).Format(time.DateOnly), Method: string(board.ConsentWritten), Orgs: map[string]bool{}}
	page.Meeting = meetingForm{Title: p.T("teams.meeting.default_title", "name", t.Team.ChildFirstName)}
	page.Meeting.Title = strings.NewReplacer("\u2068", "", "\u2069", "").Replace(page.Meeting.Title)
	return page, nil
}

func (s *Server) renderTeam(c echo.Context, code int, page teamPage) error {
	p := s.printer(c, "")
	return s.render(c, code, "team", pageData{P: p, Title: p.T("teams.team.title", "name", page.Team.ChildFirstName), Page: page})
}

// teamShow is GET /teams/:team.
func (s *Server) teamShow(c echo.Context) error {
	t, err := s.loadTeam(c)
	if err != nil {
		return err
	}
	page, err := s.teamPageData(c, t)
	if err != nil {
		return err
	}
	if err := s.auditStaff(c, board.AuditView, t.Team.ID, "", "team page"); err != nil {
		return err
	}
	return s.renderTeam(c, http.StatusOK, page)
}

func (s *Server) backToTeam(c echo.Context, t *teamCtx, saved, anchor string) error {
	return c.Redirect(http.StatusSeeOther, "/teams/"+t.Team.ID+"?saved="+saved+"#"+anchor)
}

// teamAddStaff adds a staff user from the directory as a professional or Barnkontakt.
func (s *Server) teamAddStaff(c echo.Context) error {
	t, err := s.manageTeam(c)
	if err != nil {
		return err
	}
	ctx := ctxOf(c)
	p := s.printer(c, "")
	f := staffForm{UserID: c.FormValue("user"), Role: c.FormValue("role"), Discoverer: c.FormValue("discoverer") == "1"}
	var u board.User
	switch uu, err := s.cfg.Store.User(ctx, f.UserID); {
	case f.UserID == "" || errors.Is(err, board.ErrNotFound):
		f.Form.add("staff-user", p.T("teams.invalid.staff_user"))
	case err != nil:
		return err
	default:
		u = uu
		if u.Disabled {
			f.Form.add("staff-user", p.T("teams.invalid.staff_user"))
		}
		for _, m := range t.Members {
			if m.UserID == u.ID {
				f.Form.add("staff-user", p.T("teams.invalid.staff_member"))
				break
			}
		}
	}
	if role := board.Role(f.Role); role != board.RoleProfessional && role != board.RoleChildContact {
		f.Form.add("staff-role-professional", p.T("teams.invalid.staff_role"))
	}
	if u.ID != "" && !f.Form.Failed() {
		if _, ok := cleanLine(u.Name, 1, maxPersonName); !ok {
			f.Form.add("staff-user", p.T("teams.invalid.staff_user"))
		} else if u.OrgID == "" {
			f.Form.add("staff-user", p.T("teams.invalid.staff_org"))
		} else if _, err := s.cfg.Store.Organisation(ctx, u.OrgID); errors.Is(err, board.ErrNotFound) {
			f.Form.add("staff-user", p.T("teams.invalid.staff_org"))
		} else if err != nil {
			return err
		}
	}
	if f.Form.Failed() {
		page, err := s.teamPageData(c, t)
		if err != nil {
			return err
		}
		page.Staff = f
		return s.renderTeam(c, http.StatusUnprocessableEntity, page)
	}
	m := board.Member{ID: secret.ID(16), TeamID: t.Team.ID, Name: strings.TrimSpace(u.Name), Role: board.Role(f.Role), OrgID: u.OrgID,
		Title: u.Title, Discoverer: f.Discoverer, Lang: "sv", UserID: u.ID}
	return s.addMember(c, t, m)
}

// teamAddGuest adds a guardian, the child or someone of the family's network.
func (s *Server) teamAddGuest(c echo.Context) error {
	t, err := s.manageTeam(c)
	if err != nil {
		return err
	}
	p := s.printer(c, "")
	f := guestForm{Name: c.FormValue("name"), Role: c.FormValue("role"), Lang: c.FormValue("lang"), Contact: c.FormValue("contact")}
	name, ok := cleanLine(f.Name, 1, maxPersonName)
	if !ok {
		f.Form.add("guest-name", p.T("teams.invalid.person_name", "count", maxPersonName))
	}
	if role := board.Role(f.Role); role != board.RoleGuardian && role != board.RoleChild && role != board.RoleNetwork {
		f.Form.add("guest-role-guardian", p.T("teams.invalid.guest_role"))
	}
	if !slices.Contains(s.cfg.Catalog.Languages(), f.Lang) {
		f.Form.add("guest-lang", p.T("teams.invalid.lang"))
	}
	contact, ok := cleanLine(f.Contact, 0, maxContactLen)
	if !ok {
		f.Form.add("guest-contact", p.T("teams.invalid.contact", "count", maxContactLen))
	}
	if f.Form.Failed() {
		page, err := s.teamPageData(c, t)
		if err != nil {
			return err
		}
		page.Guest = f
		return s.renderTeam(c, http.StatusUnprocessableEntity, page)
	}
	m := board.Member{ID: secret.ID(16), TeamID: t.Team.ID, Name: name, Role: board.Role(f.Role), Lang: f.Lang, Contact: contact}
	return s.addMember(c, t, m)
}

func (s *Server) addMember(c echo.Context, t *teamCtx, m board.Member) error {
	ctx := ctxOf(c)
	if err := s.cfg.Store.AddMember(ctx, m); err != nil {
		return err
	}
	if err := s.auditStaff(c, board.AuditMemberAdded, t.Team.ID, "", "member "+m.ID); err != nil {
		return err
	}
	// Open meetings see the new member; a new guardian also changes which organisations
	// consent covers (both guardians must consent).
	if err := s.reloadTeam(ctx, t.Team.ID); err != nil {
		return err
	}
	if err := s.consentChanged(ctx, t.Team.ID); err != nil {
		return err
	}
	return s.backToTeam(c, t, "member", "members")
}

// teamSetFaces sets how many faces the child answers with in the child view: by age (3
// under board.YoungChildAge, else 5), or 3 or 5 whatever the age. Open child views
// change at once.
func (s *Server) teamSetFaces(c echo.Context) error {
	t, err := s.manageTeam(c)
	if err != nil {
		return err
	}
	faces, err := strconv.Atoi(c.FormValue("faces"))
	if err != nil || (faces != 0 && faces != 3 && faces != 5) {
		return echo.ErrBadRequest // the form offers nothing else
	}
	ctx := ctxOf(c)
	if err := s.cfg.Store.SetFaceScale(ctx, t.Team.ID, faces); err != nil {
		return err
	}
	if err := s.auditStaff(c, board.AuditTeamChanged, t.Team.ID, "", "face scale"); err != nil {
		return err
	}
	if err := s.reloadTeam(ctx, t.Team.ID); err != nil {
		return err
	}
	return s.backToTeam(c, t, "faces", "child-view")
}

// teamRecordConsent records a samtycke.
func (s *Server) teamRecordConsent(c echo.Context) error {
	t, err := s.manageTeam(c)
	if err != nil {
		return err
	}
	ctx := ctxOf(c)
	p := s.printer(c, "")
	form, err := c.FormParams()
	if err != nil {
		return echo.ErrBadRequest
	}
	f := consentForm{GivenBy: form.Get("given_by"), Purpose: form.Get("purpose"), From: strings.TrimSpace(form.Get("valid_from")),
		To: strings.TrimSpace(form.Get("valid_to")), Method: form.Get("method"), Orgs: map[string]bool{}}
	for _, id := range form["org"] {
		f.Orgs[id] = true
	}
	cs := board.Consent{ID: secret.ID(16), TeamID: t.Team.ID, GivenBy: f.GivenBy, Purpose: strings.TrimSpace(f.Purpose),
		ValidFrom: f.From, ValidTo: f.To, Method: board.ConsentMethod(f.Method), RecordedBy: currentUser(c).ID, RecordedAt: s.cfg.Now()}
	for _, o := range t.Orgs { // in the team's order; unknown ids are refused below
		if f.Orgs[o.ID] {
			cs.OrgIDs = append(cs.OrgIDs, o.ID)
		}
	}
	if len(cs.OrgIDs) != len(f.Orgs) {
		cs.OrgIDs = append(cs.OrgIDs, "?") // an organisation outside the team
	}
	verr := board.ValidateConsent(cs, t.dir())
	if verr == nil {
		if _, ok := cleanText(cs.Purpose, 1, board.MaxPurposeLen); !ok {
			verr = &board.Error{Code: board.CodeInvalid, Field: "purpose", Key: "consent.invalid.purpose", Args: []any{"count", board.MaxPurposeLen}}
		}
	}
	var be *board.Error
	if errors.As(verr, &be) {
		field := map[string]string{"given_by": "consent-given-by", "purpose": "consent-purpose", "valid_from": "consent-from",
			"valid_to": "consent-to", "method": "consent-method-written"}[be.Field]
		if be.Field == "org_ids" {
			field = "consent-orgs"
			if len(t.Orgs) > 0 {
				field = "consent-org-" + t.Orgs[0].ID
			}
		}
		f.Form.add(field, p.T(be.Key, be.Args...))
		page, err := s.teamPageData(c, t)
		if err != nil {
			return err
		}
		page.Consent = f
		return s.renderTeam(c, http.StatusUnprocessableEntity, page)
	}
	if verr != nil {
		return verr
	}
	if err := s.cfg.Store.CreateConsent(ctx, cs); err != nil {
		return err
	}
	if err := s.auditStaff(c, board.AuditConsentGiven, t.Team.ID, "", "consent "+cs.ID); err != nil {
		return err
	}
	if err := s.consentChanged(ctx, t.Team.ID); err != nil {
		return err
	}
	return s.backToTeam(c, t, "consent", "consent")
}

// teamWithdrawConsent withdraws a consent, with effect at once: professionals of an
// organisation no longer covered leave every open meeting of the team.
func (s *Server) teamWithdrawConsent(c echo.Context) error {
	t, err := s.manageTeam(c)
	if err != nil {
		return err
	}
	ctx := ctxOf(c)
	id := c.Param("consent")
	consents, err := s.cfg.Store.Consents(ctx, t.Team.ID)
	if err != nil {
		return err
	}
	if !slices.ContainsFunc(consents, func(cs board.Consent) bool { return cs.ID == id }) {
		return echo.ErrNotFound
	}
	switch err := s.cfg.Store.WithdrawConsent(ctx, id, currentUser(c).ID, s.cfg.Now()); {
	case errors.Is(err, board.ErrNotFound):
		return s.backToTeam(c, t, "withdrawn", "consent") // already withdrawn, perhaps in another tab
	case err != nil:
		return err
	}
	// Consent first: the room must not wait for the audit row.
	if err := s.consentChanged(ctx, t.Team.ID); err != nil {
		return err
	}
	if err := s.auditStaff(c, board.AuditConsentWithdrawn, t.Team.ID, "", "consent "+id); err != nil {
		return err
	}
	return s.backToTeam(c, t, "withdrawn", "consent")
}

// teamScheduleMeeting schedules a meeting at a Swedish date and time.
func (s *Server) teamScheduleMeeting(c echo.Context) error {
	t, err := s.manageTeam(c)
	if err != nil {
		return err
	}
	p := s.printer(c, "")
	f := meetingForm{Title: c.FormValue("title"), Date: strings.TrimSpace(c.FormValue("date")), Time: strings.TrimSpace(c.FormValue("time")), Template: c.FormValue("template")}
	ctx := ctxOf(c)
	tpl, found, err := s.findTemplate(ctx, currentUser(c).ID, f.Template)
	if err != nil {
		return err
	}
	if f.Template != "" && !found {
		f.Form.add("meeting-template", p.T("teams.invalid.template"))
	}
	at, title, ok := s.checkMeetingForm(p, &f)
	if !ok {
		page, err := s.teamPageData(c, t)
		if err != nil {
			return err
		}
		page.Meeting = f
		return s.renderTeam(c, http.StatusUnprocessableEntity, page)
	}
	m := board.Meeting{ID: secret.ID(16), TeamID: t.Team.ID, Title: title, ScheduledAt: at, Epoch: secret.ID(8)}
	if err := s.cfg.Store.CreateMeeting(ctx, m); err != nil {
		return err
	}
	if err := s.auditStaff(c, board.AuditMeetingCreated, t.Team.ID, m.ID, "meeting "+m.ID); err != nil {
		return err
	}
	if found {
		if err := s.seederFor(ctx, m.ID, t.Me).agenda(tpl); err != nil {
			return err
		}
	}
	return c.Redirect(http.StatusSeeOther, "/teams/"+t.Team.ID+"/meetings/"+m.ID+"?saved=meeting")
}

// checkMeetingForm checks a meeting's title, Swedish date and time; it returns the time
// and the cleaned title, or records the problems in f.
func (s *Server) checkMeetingForm(p i18n.Printer, f *meetingForm) (time.Time, string, bool) {
	title, ok := cleanLine(f.Title, 1, board.MaxTitleLen)
	if !ok {
		f.Form.add("meeting-title", p.T("teams.invalid.meeting_title", "count", board.MaxTitleLen))
	}
	now := s.cfg.Now().In(stockholm)
	day, ok := stockholmDate(f.Date)
	today, _ := stockholmDate(now.Format(time.DateOnly))
	switch {
	case !ok:
		f.Form.add("meeting-date", p.T("teams.invalid.date"))
	case day.Before(today):
		f.Form.add("meeting-date", p.T("teams.invalid.meeting_past"))
	case day.After(today.AddDate(2, 0, 0)):
		f.Form.add("meeting-date", p.T("teams.invalid.meeting_far"))
	}
	clock, err := time.Parse("15:04", f.Time)
	if err != nil {
		f.Form.add("meeting-time", p.T("teams.invalid.time"))
	}
	if f.Form.Failed() {
		return time.Time{}, title, false
	}
	return time.Date(day.Year(), day.Month(), day.Day(), clock.Hour(), clock.Minute(), 0, 0, stockholm), title, true
}

// --- A meeting's personal links ---------------------------------------------------------

type inviteRow struct {
	Member     board.Member
	OrgName    string
	Active     bool
	Expires    string
	ExpiresISO string
	Removed    bool
	HasAccount bool
	NewURL     string
	RevokeURL  string
}

type meetingPage struct {
	Team    board.Team
	Meeting meetingView
	Rows    []inviteRow
	Saved   string
	TeamURL string
}

// meetingInvites is GET /teams/:team/meetings/:meeting: who has a working personal link.
func (s *Server) meetingInvites(c echo.Context) error {
	t, err := s.manageTeam(c)
	if err != nil {
		return err
	}
	m, err := s.teamMeeting(c, t)
	if err != nil {
		return err
	}
	ctx := ctxOf(c)
	now := s.cfg.Now()
	invites, err := s.cfg.Store.Invites(ctx, m.ID, now)
	if err != nil {
		return err
	}
	removed, err := s.cfg.Store.Removed(ctx, m.ID)
	if err != nil {
		return err
	}
	p := s.printer(c, "")
	base := "/teams/" + t.Team.ID + "/meetings/" + m.ID + "/links/"
	page := meetingPage{Team: t.Team, Meeting: s.meetingView(t.Team, m, t.Me), TeamURL: "/teams/" + t.Team.ID}
	if k, ok := savedKeys[c.QueryParam("saved")]; ok {
		page.Saved = p.T(k)
	}
	for _, mem := range t.Members {
		row := inviteRow{Member: mem, OrgName: t.orgName(mem.OrgID), HasAccount: mem.UserID != "",
			NewURL: base + mem.ID, RevokeURL: base + mem.ID + "/revoke"}
		_, row.Removed = removed[mem.ID]
		var last time.Time
		for _, inv := range invites {
			if inv.MemberID == mem.ID && inv.ExpiresAt.After(last) {
				last = inv.ExpiresAt
			}
		}
		if !last.IsZero() {
			row.Active = true
			row.Expires = last.In(stockholm).Format("2006-01-02 15:04")
			row.ExpiresISO = last.In(stockholm).Format(time.RFC3339)
		}
		page.Rows = append(page.Rows, row)
	}
	if err := s.auditStaff(c, board.AuditView, t.Team.ID, m.ID, "invitations page"); err != nil {
		return err
	}
	return s.render(c, http.StatusOK, "meeting", pageData{P: p, Title: p.T("teams.invites.title", "title", m.Title), Page: page})
}

// linkMember reads the meeting and member of a link route.
func (s *Server) linkMember(c echo.Context) (*teamCtx, board.Meeting, board.Member, error) {
	t, err := s.manageTeam(c)
	if err != nil {
		return nil, board.Meeting{}, board.Member{}, err
	}
	m, err := s.teamMeeting(c, t)
	if err != nil {
		return nil, m, board.Member{}, err
	}
	mem, ok := t.member(c.Param("member"))
	if !ok {
		return nil, m, mem, echo.ErrNotFound
	}
	return t, m, mem, nil
}

func newLinkCookie(memberID string) string { return "nl-" + memberID }

// meetingNewLink makes a member's personal link: the old one stops working, a removal
// from the meeting is lifted, and the new link is shown once, on the page this redirects
// to (the token waits for it in a short-lived cookie; only its hash is stored).
func (s *Server) meetingNewLink(c echo.Context) error {
	t, m, mem, err := s.linkMember(c)
	if err != nil {
		return err
	}
	ctx := ctxOf(c)
	if err := s.cfg.Store.RevokeInvites(ctx, m.ID, mem.ID); err != nil {
		return err
	}
	if err := s.cfg.Store.Readmit(ctx, m.ID, mem.ID); err != nil {
		return err
	}
	now := s.cfg.Now()
	token, hash := secret.NewToken()
	if err := s.cfg.Store.CreateInvite(ctx, board.Invite{TokenHash: hash, MemberID: mem.ID, MeetingID: m.ID, CreatedAt: now, ExpiresAt: now.Add(InviteTTL)}); err != nil {
		return err
	}
	if err := s.auditStaff(c, board.AuditInviteCreated, t.Team.ID, m.ID, "member "+mem.ID); err != nil {
		return err
	}
	s.setCookie(c, newLinkCookie(mem.ID), token, now.Add(newLinkTTL))
	return c.Redirect(http.StatusSeeOther, "/teams/"+t.Team.ID+"/meetings/"+m.ID+"/links/"+mem.ID)
}

type linkPage struct {
	Team       board.Team
	Meeting    meetingView
	Member     board.Member
	Link       string
	Expires    string
	ExpiresISO string
	QR         template.HTML
	BackURL    string
}

// meetingShowLink shows a link just made, once: the cookie that carried it is cleared.
// Without it (a reload, another browser) the page sends the coordinator back to the
// meeting's links, where a new one can be made.
func (s *Server) meetingShowLink(c echo.Context) error {
	t, m, mem, err := s.linkMember(c)
	if err != nil {
		return err
	}
	back := "/teams/" + t.Team.ID + "/meetings/" + m.ID
	token := s.cookie(c, newLinkCookie(mem.ID))
	if token == "" {
		return c.Redirect(http.StatusSeeOther, back)
	}
	s.clearCookie(c, newLinkCookie(mem.ID))
	inv, err := s.cfg.Store.InviteByHash(ctxOf(c), secret.Hash(token), s.cfg.Now())
	if errors.Is(err, board.ErrNotFound) || (err == nil && (inv.MeetingID != m.ID || inv.MemberID != mem.ID)) {
		return c.Redirect(http.StatusSeeOther, back)
	}
	if err != nil {
		return err
	}
	p := s.printer(c, "")
	link := s.base.JoinPath("j", token).String()
	svg, err := qrSVG(link, p.T("teams.link.qr_label", "name", mem.Name))
	if err != nil {
		return err
	}
	exp := inv.ExpiresAt.In(stockholm)
	page := linkPage{Team: t.Team, Meeting: s.meetingView(t.Team, m, t.Me), Member: mem, Link: link,
		Expires: exp.Format("2006-01-02 15:04"), ExpiresISO: exp.Format(time.RFC3339), QR: svg, BackURL: back}
	// The page holds a capability: never cached, never in a Referer (no-referrer is global).
	c.Response().Header().Set("Cache-Control", "no-store")
	return s.render(c, http.StatusOK, "meeting_link", pageData{P: p, Title: p.T("teams.link.title", "name", mem.Name), Script: "js/copy.js", Page: page})
}

// meetingRevokeLink revokes a member's link and guest sessions for the meeting; their
// connections that came in by link close with a "stop" code at once.
func (s *Server) meetingRevokeLink(c echo.Context) error {
	t, m, mem, err := s.linkMember(c)
	if err != nil {
		return err
	}
	ctx := ctxOf(c)
	if err := s.revokeAccess(ctx, m.ID, mem.ID); err != nil {
		return err
	}
	id := mem.ID
	s.hub.CloseWhere(realtime.Match{MemberID: id, GuestsOnly: true}, realtime.CloseForbidden)
	if err := s.auditStaff(c, board.AuditInviteRevoked, t.Team.ID, m.ID, "member "+mem.ID); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/teams/"+t.Team.ID+"/meetings/"+m.ID+"?saved=revoked#member-"+mem.ID)
}

// qrSVG draws text as a QR code (error correction M) in inline SVG: one path of the dark
// modules, run-length merged per row, on a white square with the 4-module quiet zone
// scanners need. It scales to 240 px; crisp edges keep the modules sharp.
func qrSVG(text, label string) (template.HTML, error) {
	code, err := qr.Encode(text, qr.M)
	if err != nil {
		return "", err
	}
	const quiet = 4
	n := code.Size + 2*quiet
	var b strings.Builder
	esc := template.HTMLEscapeString(label)
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" class="qr" viewBox="0 0 %d %d" width="240" height="240" role="img" aria-label="%s" shape-rendering="crispEdges" data-modules="%d">`, n, n, esc, code.Size)
	fmt.Fprintf(&b, `<title>%s</title><rect width="%d" height="%d" fill="#fff"/><path fill="#000" d="`, esc, n, n)
	for y := 0; y < code.Size; y++ {
		for x := 0; x < code.Size; {
			if !code.Black(x, y) {
				x++
				continue
			}
			run := 1
			for x+run < code.Size && code.Black(x+run, y) {
				run++
			}
			fmt.Fprintf(&b, "M%d %dh%dv1h-%dz", x+quiet, y+quiet, run, run)
			x += run
		}
	}
	b.WriteString(`"/></svg>`)
	return template.HTML(b.String()), nil // numbers and an escaped label only
}

// --- The audit extract (loggutdrag) -----------------------------------------------------

// teamAuditCSV is GET /teams/:team/audit.csv: every audit row about the child, oldest
// first, for the coordinator. Producing it is itself audited (first, so that an extract
// that could not be recorded is never handed out).
func (s *Server) teamAuditCSV(c echo.Context) error {
	t, err := s.manageTeam(c)
	if err != nil {
		return err
	}
	if err := s.auditStaff(c, board.AuditAuditExtract, t.Team.ID, "", "team "+t.Team.ID); err != nil {
		return err
	}
	ctx := ctxOf(c)
	var rows []board.AuditEntry
	const pageSize = 1000
	for before := int64(0); ; {
		batch, err := s.cfg.Store.Audit(ctx, board.AuditFilter{TeamID: t.Team.ID, BeforeID: before, Limit: pageSize})
		if err != nil {
			return err
		}
		rows = append(rows, batch...)
		if len(batch) < pageSize {
			break
		}
		before = batch[len(batch)-1].ID
	}
	slices.Reverse(rows) // oldest first
	meetings, err := s.cfg.Store.MeetingsOfTeam(ctx, t.Team.ID)
	if err != nil {
		return err
	}
	when := map[string]string{}
	for _, m := range meetings {
		when[m.ID] = m.ScheduledAt.In(stockholm).Format("2006-01-02 15:04")
	}
	p := s.printer(c, "")

	var b strings.Builder
	b.WriteString("\uFEFF") // a byte order mark, so spreadsheet programs read UTF-8
	w := csv.NewWriter(&b)
	w.UseCRLF = true
	write := func(cells ...string) {
		for i, v := range cells {
			cells[i] = csvSafe(v)
		}
		_ = w.Write(cells) // writes to a strings.Builder do not fail
	}
	write(p.T("teams.audit.col_time"), p.T("teams.audit.col_who"), p.T("teams.audit.col_org"),
		p.T("teams.audit.col_action"), p.T("teams.audit.col_meeting"), p.T("teams.audit.col_target"))
	for _, e := range rows {
		action := string(e.Action)
		if key := "teams.audit.action." + action; s.cfg.Catalog.Has(p.Lang, key) {
			action = p.T(key)
		}
		meeting := e.MeetingID
		if w, ok := when[e.MeetingID]; ok {
			meeting = w + " (" + e.MeetingID + ")"
		}
		target := e.Target
		if id, ok := strings.CutPrefix(target, "member "); ok {
			if m, ok := t.member(id); ok {
				target = m.Name + " (" + target + ")"
			}
		}
		write(e.At.In(stockholm).Format(time.RFC3339), e.ActorName, e.OrgName, action, meeting, target)
	}
	w.Flush()

	name := fmt.Sprintf("loggutdrag-%s-%s", t.Team.ChildFirstName, s.today())
	h := c.Response().Header()
	h.Set("Content-Disposition", fmt.Sprintf(`attachment; filename="%s.csv"; filename*=UTF-8''%s.csv`, asciiFilename(name), url.PathEscape(name)))
	h.Set("Cache-Control", "no-store")
	return c.Blob(http.StatusOK, "text/csv; charset=utf-8", []byte(b.String()))
}

// csvSafe keeps a cell from being read as a formula by spreadsheet programs (CSV
// injection): a cell that starts with = + - @ (or a tab or carriage return) gets a
// leading single quote.
func csvSafe(v string) string {
	if v != "" && strings.ContainsRune("=+-@\t\r", rune(v[0])) {
		return "'" + v
	}
	return v
}

// asciiFilename makes a file name for the plain filename parameter: Swedish letters lose
// their marks, anything else but letters, digits and - becomes _.
func asciiFilename(s string) string {
	r := strings.NewReplacer("å", "a", "ä", "a", "ö", "o", "Å", "A", "Ä", "A", "Ö", "O", "é", "e", "É", "E", "ü", "u", "Ü", "U")
	s = r.Replace(s)
	return strings.Map(func(c rune) rune {
		if c < 128 && (c == '-' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
			return c
		}
		return '_'
	}, s)
}

// meetingTimeline makes the team's meetings into its timeline: each with its plan
// versions, and for an agreed plan the follow-up it asks for.
func (s *Server) meetingTimeline(ctx context.Context, t *teamCtx, meetings []board.Meeting) ([]meetingView, error) {
	followed := map[string]bool{}
	titles := map[string]string{}
	for _, m := range meetings {
		followed[m.FollowUpOf] = true
		titles[m.ID] = m.Title
	}
	var out []meetingView
	for _, m := range meetings {
		v := s.meetingView(t.Team, m, t.Me)
		v.FollowUpOf = titles[m.FollowUpOf]
		versions, err := s.cfg.Store.PlanVersions(ctx, m.ID)
		if err != nil {
			return nil, err
		}
		// On the timeline an established version that a later one replaced reads "ersatt".
		stored := slices.Clone(versions)
		for i := range versions {
			if board.SupersededBy(stored, versions[i]) > 0 {
				versions[i].Status = board.PlanSuperseded
			}
		}
		v.Versions = versions
		if _, doc, agreed, err := s.agreedPlan(ctx, m.ID); err != nil {
			return nil, err
		} else if agreed {
			v.FollowUpDate = doc.FollowUp.Date
			v.CanFollowUp = t.Coordinator && !followed[m.ID]
		}
		out = append(out, v)
	}
	return out, nil
}

// overview adds one coordinated team to the coordinator's overview: its coming meetings,
// the follow-ups its agreed plans ask for and nobody has booked, and the actions of its
// latest board that are past their date and not done. Reading the board is a view of the
// child's data, audited once per team.
func (s *Server) overview(c echo.Context, page *teamsListPage, t board.Team, me board.Member, meetings []board.Meeting) error {
	ctx := ctxOf(c)
	now := s.cfg.Now()
	today := now.In(stockholm).Format(time.DateOnly)
	page.Today = today
	followed := map[string]bool{}
	for _, m := range meetings {
		followed[m.FollowUpOf] = true
	}
	var latest *board.Meeting
	for i, m := range meetings {
		if !m.ScheduledAt.Add(4 * time.Hour).Before(now) {
			page.Upcoming = append(page.Upcoming, overviewMeeting{Child: t.ChildFirstName, Meeting: s.meetingView(t, m, me)})
		}
		if !m.ScheduledAt.After(now) || latest == nil {
			latest = &meetings[i]
		}
		if followed[m.ID] {
			continue
		}
		if _, doc, agreed, err := s.agreedPlan(ctx, m.ID); err != nil {
			return err
		} else if agreed && doc.FollowUp.Date != "" {
			page.FollowUps = append(page.FollowUps, overviewFollowUp{Child: t.ChildFirstName, Of: m.Title, Date: doc.FollowUp.Date,
				Late: doc.FollowUp.Date < today, TeamURL: "/teams/" + t.ID + "#meetings"})
		}
	}
	if latest == nil {
		return nil
	}
	b, err := s.cfg.Store.LoadBoard(ctx, latest.ID)
	if err != nil {
		return err
	}
	found := false
	for _, x := range b.ActionList() {
		if x.Due != "" && x.Due < today && x.Status != board.ActionDone && x.Status != board.ActionNotDone {
			found = true
			page.Overdue = append(page.Overdue, overviewAction{Child: t.ChildFirstName, What: x.What.Value, Due: x.Due, Status: x.Status,
				BoardURL: boardPath(latest.ID, me.ID) + "#act-" + x.ID})
		}
	}
	if found {
		return s.auditStaff(c, board.AuditView, t.ID, latest.ID, "overview: overdue actions")
	}
	return nil
}
