package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/barnteam/barnteam/server/board"
	"github.com/barnteam/barnteam/server/realtime"
	"github.com/barnteam/barnteam/server/secret"
)

// Agenda templates and follow-up meetings. A meeting starts from a template: the default
// mötescirkeln, the follow-up agenda, or one the coordinator saved. A follow-up meeting
// starts from the earlier meeting's agreed plan: its needs, goals and actions carry over,
// each action to be reviewed (done, ongoing, not done, with a comment).
//
// Both write the new meeting's board as ops through the meeting's room, as the
// coordinator, so the op log tells the board's whole story.

// defaultTemplates are the product's own agendas: Backa barnet's meeting circle, and the
// follow-up meeting's.
var defaultTemplates = []board.AgendaTemplate{
	{ID: "motescirkeln", Name: "Mötescirkeln", Items: []board.AgendaTemplateItem{
		{Title: "Inledning", TimeboxMin: 10, Notes: "- Syftet med mötet\n- Vi presenterar oss\n- Samtycket bekräftas"},
		{Title: "Aktuell situation", TimeboxMin: 20, Notes: "- Det som fungerar\n- Det som oroar\n- Barnets röst"},
		{Title: "Behov", TimeboxMin: 30, Notes: "- Mål\n- Vad familjen gör själv\n- Vilken hjälp, från vem, hur ofta"},
		{Title: "Sammanfattning", TimeboxMin: 10, Notes: "- Vem gör vad\n- Huvudansvarig\n- Har barnet förstått?"},
		{Title: "Avslutning", TimeboxMin: 5, Notes: "- Uppföljning bokas\n- Alla får planen"},
	}},
	{ID: "uppfoljning", Name: "Uppföljning", Items: []board.AgendaTemplateItem{
		{Title: "Inledning", TimeboxMin: 5, Notes: "- Syftet med uppföljningen\n- Samtycket bekräftas"},
		{Title: "Hur har det gått?", TimeboxMin: 25, Notes: "- Varje insats: klar, pågår eller inte gjord\n- Barnets röst"},
		{Title: "Behov nu", TimeboxMin: 20, Notes: "- Vad har ändrats sedan förra planen?\n- Nya eller ändrade mål"},
		{Title: "Sammanfattning", TimeboxMin: 10, Notes: "- Vem gör vad\n- Huvudansvarig"},
		{Title: "Avslutning", TimeboxMin: 5, Notes: "- Nästa uppföljning bokas\n- Alla får planen"},
	}},
}

// templateOptions lists the templates a coordinator can start a meeting with: the
// product's own, then their saved ones.
func (s *Server) templateOptions(ctx context.Context, userID string) ([]board.AgendaTemplate, error) {
	own, err := s.cfg.Store.AgendaTemplates(ctx, userID)
	if err != nil {
		return nil, err
	}
	return append(append([]board.AgendaTemplate(nil), defaultTemplates...), own...), nil
}

// findTemplate finds a template by id among a user's options ("" is none).
func (s *Server) findTemplate(ctx context.Context, userID, id string) (board.AgendaTemplate, bool, error) {
	if id == "" {
		return board.AgendaTemplate{}, false, nil
	}
	opts, err := s.templateOptions(ctx, userID)
	if err != nil {
		return board.AgendaTemplate{}, false, err
	}
	for _, t := range opts {
		if t.ID == id {
			return t, true, nil
		}
	}
	return board.AgendaTemplate{}, false, nil
}

// seeder applies ops to a new meeting's board as its coordinator.
type seeder struct {
	s       *Server
	ctx     context.Context
	meeting string
	p       realtime.Participant
	n       int
}

func (sd *seeder) op(kind board.Kind, entity string, data any) error {
	raw, err := json.Marshal(data)
	if err != nil {
		return err
	}
	sd.n++
	op := board.Op{CID: fmt.Sprintf("seed-%s-%d", secret.ID(8), sd.n), Kind: kind, Entity: entity, Data: raw}
	if err := op.Validate(); err != nil {
		return err
	}
	res := sd.s.hub.Submit(sd.ctx, sd.meeting, sd.p, op)
	switch {
	case res.Err != nil:
		return res.Err
	case res.Reject != nil:
		return fmt.Errorf("seeding %s %s: %w", kind, entity, res.Reject)
	}
	return nil
}

func (sd *seeder) set(entity, field string, value any) error {
	return sd.op(board.OpSet, entity, map[string]any{"field": field, "value": value})
}

// agenda writes a template's items, in order.
func (sd *seeder) agenda(t board.AgendaTemplate) error {
	for _, it := range t.Items {
		id := "ag" + secret.ID(10)
		if err := sd.op(board.OpCreate, "agenda/"+id, map[string]any{"title": it.Title, "timebox_min": it.TimeboxMin}); err != nil {
			return err
		}
		if it.Notes != "" {
			if err := sd.set("agenda/"+id, "notes", it.Notes); err != nil {
				return err
			}
		}
	}
	return nil
}

// seederFor is a seeder acting as the team's coordinator in a meeting.
func (s *Server) seederFor(ctx context.Context, meetingID string, coord board.Member) *seeder {
	return &seeder{s: s, ctx: ctx, meeting: meetingID, p: realtime.Participant{Member: coord, Lang: coord.Lang, View: viewBoard}}
}

// carryOver writes what an agreed plan carries into its follow-up: the plan's own fields
// (why, responsibility, who convenes), each area's need and priority, the goals, and the
// actions, each marked with where it came from so that the team reviews it.
func (sd *seeder) carryOver(prev *board.Board) error {
	pl := prev.Plan
	if pl.Reason.Value != "" {
		if err := sd.set("plan", "reason", pl.Reason.Value); err != nil {
			return err
		}
	}
	for field, v := range map[string]string{"lead_org": pl.LeadOrg, "convener": pl.Convener} {
		if v != "" {
			if err := sd.set("plan", field, v); err != nil {
				return err
			}
		}
	}
	goals := map[string]string{} // earlier goal id → its copy
	for _, a := range board.Areas {
		e := prev.Compass[a]
		if e.Need.Value != "" {
			if err := sd.set("compass/"+string(a), "need", e.Need.Value); err != nil {
				return err
			}
		}
		if e.Priority != 0 {
			if err := sd.set("compass/"+string(a), "priority", e.Priority); err != nil {
				return err
			}
		}
		for _, g := range prev.GoalsFor(a) {
			id := "g" + secret.ID(10)
			goals[g.ID] = id
			if err := sd.op(board.OpCreate, "goal/"+id, map[string]any{"area": a, "term": g.Term, "text": g.Text.Value}); err != nil {
				return err
			}
			if g.Evidence.Value != "" {
				if err := sd.set("goal/"+id, "evidence", g.Evidence.Value); err != nil {
					return err
				}
			}
		}
	}
	for _, x := range prev.ActionList() {
		d := map[string]any{"what": x.What.Value, "carried_from": x.ID, "status": x.Status, "due": x.Due,
			"frequency": x.Frequency, "area": x.Area, "external": x.External, "goal_id": goals[x.GoalID]}
		switch {
		case x.ResponsibleMember != "":
			d["responsible"] = "member:" + x.ResponsibleMember
		case x.ResponsibleOrg != "":
			d["responsible"] = "org:" + x.ResponsibleOrg
		}
		if err := sd.op(board.OpCreate, "action/x"+secret.ID(10), d); err != nil {
			return err
		}
	}
	return nil
}

// boardAsAgreed is a meeting's board as it was when the given plan version was frozen:
// its op log replayed up to that freeze. The plan may have been reopened and changed
// since; the follow-up carries over what everyone agreed to, not what came after.
func (s *Server) boardAsAgreed(ctx context.Context, m board.Meeting, version int) (*board.Board, error) {
	b := board.NewBoard(m.ID, m.Epoch)
	for {
		chs, err := s.cfg.Store.ChangesSince(ctx, m.ID, b.Seq, 1000)
		if err != nil {
			return nil, err
		}
		if len(chs) == 0 {
			return nil, fmt.Errorf("meeting %s: the op log has no freeze of plan version %d", m.ID, version)
		}
		for _, ch := range chs {
			b.Commit(ch)
			if ch.Kind == board.OpFreeze && ch.PlanVersion != nil && ch.PlanVersion.Version == version {
				return b, nil
			}
		}
	}
}

// agreedPlan is a meeting's latest established plan version with its document, if any.
func (s *Server) agreedPlan(ctx context.Context, meetingID string) (board.PlanVersion, board.PlanDoc, bool, error) {
	v, doc, err := s.establishedVersion(ctx, meetingID)
	if errors.Is(err, errNoPlan) {
		return v, doc, false, nil
	}
	return v, doc, err == nil, err
}

// teamFollowUp is POST /teams/:team/meetings/:meeting/follow-up: the coordinator books
// the follow-up of a meeting whose plan is agreed.
func (s *Server) teamFollowUp(c echo.Context) error {
	t, err := s.manageTeam(c)
	if err != nil {
		return err
	}
	prev, err := s.teamMeeting(c, t)
	if err != nil {
		return err
	}
	ctx := ctxOf(c)
	agreedVersion, _, agreed, err := s.agreedPlan(ctx, prev.ID)
	if err != nil {
		return err
	}
	if !agreed {
		return echo.NewHTTPError(http.StatusConflict)
	}
	// A meeting is followed up once: the form is gone once it is booked, and a second
	// press of the button (or a second tab) lands on the follow-up already booked.
	meetings, err := s.cfg.Store.MeetingsOfTeam(ctx, t.Team.ID)
	if err != nil {
		return err
	}
	for _, m := range meetings {
		if m.FollowUpOf == prev.ID {
			return c.Redirect(http.StatusSeeOther, "/teams/"+t.Team.ID+"/meetings/"+m.ID)
		}
	}
	p := s.printer(c, "")
	f := meetingForm{Title: c.FormValue("title"), Date: strings.TrimSpace(c.FormValue("date")), Time: strings.TrimSpace(c.FormValue("time")), Template: "uppfoljning"}
	at, title, ok := s.checkMeetingForm(p, &f)
	if !ok {
		page, err := s.teamPageData(c, t)
		if err != nil {
			return err
		}
		page.Meeting = f
		return s.renderTeam(c, http.StatusUnprocessableEntity, page)
	}
	m := board.Meeting{ID: secret.ID(16), TeamID: t.Team.ID, Title: title, ScheduledAt: at, Epoch: secret.ID(8), FollowUpOf: prev.ID}
	if err := s.cfg.Store.CreateMeeting(ctx, m); err != nil {
		return err
	}
	if err := s.auditStaff(c, board.AuditMeetingCreated, t.Team.ID, m.ID, "follow-up meeting "+m.ID+" of "+prev.ID); err != nil {
		return err
	}
	prevBoard, err := s.boardAsAgreed(ctx, prev, agreedVersion.Version)
	if err != nil {
		return err
	}
	tpl, _, err := s.findTemplate(ctx, currentUser(c).ID, "uppfoljning")
	if err != nil {
		return err
	}
	seed := s.seederFor(ctx, m.ID, t.Me)
	if err := seed.agenda(tpl); err != nil {
		return err
	}
	if err := seed.carryOver(prevBoard); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/teams/"+t.Team.ID+"/meetings/"+m.ID+"?saved=follow_up")
}

// saveTemplate is POST /b/:meeting/:member/template: the coordinator keeps the board's
// agenda as a template of their own.
func (s *Server) saveTemplate(c echo.Context) error {
	a, err := s.leader(c)
	if err != nil {
		return err
	}
	if a.User == nil {
		return echo.ErrForbidden // templates belong to accounts
	}
	name, ok := cleanLine(c.FormValue("name"), 1, 100)
	if !ok {
		return echo.NewHTTPError(http.StatusUnprocessableEntity)
	}
	tpl := board.AgendaTemplate{ID: secret.ID(16), UserID: a.User.ID, Name: name, CreatedAt: s.cfg.Now()}
	if err := s.hub.View(c.Request().Context(), a.Dir.Meeting.ID, func(b *board.Board, _ *board.Directory) {
		for _, it := range b.AgendaList() {
			tpl.Items = append(tpl.Items, board.AgendaTemplateItem{Title: it.Title.Value, TimeboxMin: it.TimeboxMin})
		}
	}); err != nil {
		return err
	}
	if len(tpl.Items) == 0 {
		return echo.NewHTTPError(http.StatusUnprocessableEntity)
	}
	if err := s.cfg.Store.CreateAgendaTemplate(c.Request().Context(), tpl); err != nil {
		return err
	}
	return s.backToBoard(c, a)
}

// followUpChanges is the difference between the agreed plan a follow-up meeting starts
// from and the plan as it would be now.
type followUpChanges struct {
	Before  board.PlanDoc
	After   board.PlanDoc
	Version int // the earlier plan's version
	Areas   []areaChange
	Actions []actionChange
	Reason  []board.DiffPart
}

type areaChange struct {
	Area     board.Area
	Need     []board.DiffPart
	Priority [2]int
	Goals    []textChange
}

type textChange struct {
	Label string
	Diff  []board.DiffPart
	Added bool
	Gone  bool
}

type actionChange struct {
	What     []board.DiffPart
	Added    bool
	Gone     bool
	Facts    []string // "Ansvarig: X → Y", in the viewer's language
	Review   board.ActionStatus
	Comment  string
	Reviewed bool
}

// Changed reports whether anything changed.
func (f followUpChanges) Changed() bool {
	return len(f.Areas) > 0 || len(f.Actions) > 0 || f.changedReason()
}

func (f followUpChanges) changedReason() bool {
	return len(f.Reason) > 1 || (len(f.Reason) == 1 && f.Reason[0].Op != board.DiffEqual)
}

func diffChanged(d []board.DiffPart) bool {
	for _, p := range d {
		if p.Op != board.DiffEqual {
			return true
		}
	}
	return false
}

// compareForFollowUp compares the earlier agreed plan with the plan as it would be now:
// per area the need, its priority and the goals; per action (matched by where it was
// carried from) its text and facts, and its review.
func compareForFollowUp(t func(string, ...any) string, before, after board.PlanDoc, reviews map[string]*board.Action) followUpChanges {
	out := followUpChanges{Before: before, After: after, Reason: board.DiffWords(before.Reason, after.Reason)}
	areaOf := func(doc board.PlanDoc, a board.Area) board.PlanArea {
		for _, x := range doc.Areas {
			if x.Area == a {
				return x
			}
		}
		return board.PlanArea{}
	}
	for _, a := range board.Areas {
		b, n := areaOf(before, a), areaOf(after, a)
		ac := areaChange{Area: a, Need: board.DiffWords(b.Need, n.Need), Priority: [2]int{b.Priority, n.Priority}}
		// Goals are matched by their text: carried goals are copies with new ids.
		old := map[string]bool{}
		for _, g := range b.Goals {
			old[g.Text] = true
		}
		now := map[string]bool{}
		for _, g := range n.Goals {
			now[g.Text] = true
			if !old[g.Text] {
				ac.Goals = append(ac.Goals, textChange{Label: t("goal.term." + string(g.Term)), Diff: []board.DiffPart{{Op: board.DiffInsert, Text: g.Text}}, Added: true})
			}
		}
		for _, g := range b.Goals {
			if !now[g.Text] {
				ac.Goals = append(ac.Goals, textChange{Label: t("goal.term." + string(g.Term)), Diff: []board.DiffPart{{Op: board.DiffDelete, Text: g.Text}}, Gone: true})
			}
		}
		if diffChanged(ac.Need) || ac.Priority[0] != ac.Priority[1] || len(ac.Goals) > 0 {
			out.Areas = append(out.Areas, ac)
		}
	}
	byCarried := map[string]*board.Action{}
	for id, x := range reviews {
		if x.CarriedFrom != "" {
			byCarried[x.CarriedFrom] = reviews[id]
		}
	}
	afterByID := map[string]board.PlanAction{}
	for _, x := range after.Actions {
		afterByID[x.ID] = x
	}
	matched := map[string]bool{}
	for _, old := range before.Actions {
		now, carried := byCarried[old.ID]
		if !carried || now.Deleted {
			out.Actions = append(out.Actions, actionChange{What: []board.DiffPart{{Op: board.DiffDelete, Text: old.What}}, Gone: true})
			continue
		}
		matched[now.ID] = true
		x := afterByID[now.ID]
		ch := actionChange{What: board.DiffWords(old.What, x.What), Review: now.Review, Comment: now.ReviewComment.Value, Reviewed: now.Review != ""}
		fact := func(label, a, b string) {
			if a != b {
				ch.Facts = append(ch.Facts, fmt.Sprintf("%s: %s → %s", label, orDash(a), orDash(b)))
			}
		}
		fact(t("action.responsible"), strings.TrimSpace(old.ResponsibleName+" "+old.ResponsibleOrg), strings.TrimSpace(x.ResponsibleName+" "+x.ResponsibleOrg))
		fact(t("action.due"), old.Due, x.Due)
		fact(t("action.frequency"), old.Frequency, x.Frequency)
		fact(t("action.status"), t("action.status."+string(old.Status)), t("action.status."+string(x.Status)))
		out.Actions = append(out.Actions, ch)
	}
	for _, x := range after.Actions {
		if !matched[x.ID] {
			out.Actions = append(out.Actions, actionChange{What: []board.DiffPart{{Op: board.DiffInsert, Text: x.What}}, Added: true})
		}
	}
	return out
}

func orDash(s string) string {
	if strings.TrimSpace(s) == "" {
		return "–"
	}
	return s
}

// changesShow is GET /b/:meeting/:member/changes: what changed since the agreed plan the
// follow-up meeting started from.
func (s *Server) changesShow(c echo.Context) error {
	a, err := s.roomAccess(c)
	if err != nil {
		return err
	}
	if !a.Admitted() {
		return s.renderOutside(c, a)
	}
	ctx := c.Request().Context()
	if a.Dir.Meeting.FollowUpOf == "" {
		return echo.ErrNotFound
	}
	v, before, agreed, err := s.agreedPlan(ctx, a.Dir.Meeting.FollowUpOf)
	if err != nil {
		return err
	}
	if !agreed {
		return echo.ErrNotFound
	}
	var after board.PlanDoc
	actions := map[string]*board.Action{}
	var docErr error
	if err := s.hub.View(ctx, a.Dir.Meeting.ID, func(b *board.Board, dir *board.Directory) {
		after, docErr = s.planDoc(ctx, b, dir, b.Plan.Version+1, s.cfg.Now(), a.Member.ID)
		for id, x := range b.Actions {
			cp := *x
			actions[id] = &cp
		}
	}); err != nil {
		return err
	}
	if docErr != nil {
		return docErr
	}
	if err := s.auditRoom(ctx, a, board.AuditView, "changes since plan v"+fmt.Sprint(v.Version)); err != nil {
		return err
	}
	p := s.cfg.Catalog.Printer(a.Lang)
	changes := compareForFollowUp(func(k string, args ...any) string { return p.T(k, args...) }, before, after, actions)
	changes.Version = v.Version
	return s.render(c, http.StatusOK, "changes", pageData{P: p, Title: p.T("changes.title"), Page: changesPage{Changes: changes,
		BackURL: boardPath(a.Dir.Meeting.ID, a.Member.ID)}})
}

type changesPage struct {
	Changes followUpChanges
	BackURL string
}

// icsEscape escapes a text value of iCalendar (RFC 5545 3.3.11).
func icsEscape(s string) string {
	return strings.NewReplacer(`\`, `\\`, ";", `\;`, ",", `\,`, "\r\n", `\n`, "\n", `\n`).Replace(s)
}

// icsFold folds a content line at 75 octets, never inside a UTF-8 sequence (RFC 5545
// 3.1), with CRLF line ends.
func icsFold(line string) string {
	var b strings.Builder
	n := 0
	for _, r := range line {
		size := len(string(r))
		if n+size > 75 {
			b.WriteString("\r\n ")
			n = 1
		}
		b.WriteRune(r)
		n += size
	}
	b.WriteString("\r\n")
	return b.String()
}

// meetingICS is a calendar file (iCalendar) of one meeting: its time and title, and the
// board's address; nothing about the child but what the meeting's title says.
func (s *Server) meetingICS(m board.Meeting, minutes int, now time.Time) []byte {
	if minutes <= 0 {
		minutes = 90
	}
	const stamp = "20060102T150405Z"
	lines := []string{
		"BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//barnteam//Barnteam//SV", "CALSCALE:GREGORIAN", "METHOD:PUBLISH",
		"BEGIN:VEVENT",
		"UID:" + m.ID + "@" + s.base.Hostname(),
		"DTSTAMP:" + now.UTC().Format(stamp),
		"DTSTART:" + m.ScheduledAt.UTC().Format(stamp),
		"DTEND:" + m.ScheduledAt.Add(time.Duration(minutes)*time.Minute).UTC().Format(stamp),
		"SUMMARY:" + icsEscape(m.Title),
		"DESCRIPTION:" + icsEscape("Barnteam. Öppna mötet med din personliga länk eller logga in."),
		"URL:" + s.cfg.BaseURL + "/",
		"END:VEVENT", "END:VCALENDAR",
	}
	var b strings.Builder
	for _, l := range lines {
		b.WriteString(icsFold(l))
	}
	return []byte(b.String())
}

// boardICS is GET /b/:meeting/:member/meeting.ics, for anyone with a way into the meeting.
func (s *Server) boardICS(c echo.Context) error {
	a, err := s.roomAccess(c)
	if err != nil {
		return err
	}
	minutes := 0
	_ = s.hub.View(c.Request().Context(), a.Dir.Meeting.ID, func(b *board.Board, _ *board.Directory) { minutes = b.PlannedMinutes() })
	return s.sendICS(c, a.Dir.Meeting, minutes)
}

// teamMeetingICS is GET /teams/:team/meetings/:meeting/meeting.ics, for the coordinator
// to attach to the invitation with each person's link.
func (s *Server) teamMeetingICS(c echo.Context) error {
	t, err := s.loadTeam(c)
	if err != nil {
		return err
	}
	m, err := s.teamMeeting(c, t)
	if err != nil {
		return err
	}
	minutes := 0
	_ = s.hub.View(c.Request().Context(), m.ID, func(b *board.Board, _ *board.Directory) { minutes = b.PlannedMinutes() })
	return s.sendICS(c, m, minutes)
}

func (s *Server) sendICS(c echo.Context, m board.Meeting, minutes int) error {
	c.Response().Header().Set("Content-Disposition", `attachment; filename="barnteam-`+m.ScheduledAt.In(stockholm).Format("2006-01-02")+`.ics"`)
	return c.Blob(http.StatusOK, "text/calendar; charset=utf-8", s.meetingICS(m, minutes, s.cfg.Now()))
}
