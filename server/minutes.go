package server

import (
	"fmt"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/barnteam/barnteam/exports"
	"github.com/barnteam/barnteam/server/board"
)

// The minutes (protokoll): the agenda with its notes, decisions and parking lot, to read
// on a page and to export as Markdown for a journal system. Built from the board as it is.

type minutesPage struct {
	Items     []*board.AgendaItem
	Proposals []*board.AgendaItem
	Meeting   board.Meeting
	Child     string
	BackURL   string
	MDURL     string
}

// minutesBoard reads the agenda from the meeting's room.
func (s *Server) minutesBoard(c echo.Context, a *roomAccess) (minutesPage, error) {
	pg := minutesPage{Meeting: a.Dir.Meeting, BackURL: boardPath(a.Dir.Meeting.ID, a.Member.ID), MDURL: boardPath(a.Dir.Meeting.ID, a.Member.ID) + "minutes.md"}
	err := s.hub.View(c.Request().Context(), a.Dir.Meeting.ID, func(b *board.Board, _ *board.Directory) {
		for _, it := range b.AgendaList() {
			cp := *it
			pg.Items = append(pg.Items, &cp)
		}
		for _, it := range b.Proposals() {
			cp := *it
			pg.Proposals = append(pg.Proposals, &cp)
		}
	})
	return pg, err
}

// minutesShow is GET /b/:meeting/:member/minutes.
func (s *Server) minutesShow(c echo.Context) error {
	a, err := s.roomAccess(c)
	if err != nil {
		return err
	}
	if !a.Admitted() {
		return s.renderOutside(c, a)
	}
	pg, err := s.minutesBoard(c, a)
	if err != nil {
		return err
	}
	if err := s.auditRoom(c.Request().Context(), a, board.AuditView, "minutes"); err != nil {
		return err
	}
	p := s.cfg.Catalog.Printer(a.Lang)
	pg.Child = p.T("board.child_line", "name", a.Dir.Team.ChildFirstName, "year", a.Dir.Team.ChildBirthYear)
	return s.render(c, http.StatusOK, "minutes", pageData{P: p, Title: p.T("minutes.title", "title", a.Dir.Meeting.Title), Dir: a.Dir, Page: pg})
}

// minutesMarkdown is GET /b/:meeting/:member/minutes.md.
func (s *Server) minutesMarkdown(c echo.Context) error {
	a, err := s.roomAccess(c)
	if err != nil {
		return err
	}
	if !a.Admitted() {
		return echo.ErrForbidden
	}
	pg, err := s.minutesBoard(c, a)
	if err != nil {
		return err
	}
	if err := s.auditRoom(c.Request().Context(), a, board.AuditExport, "minutes md"); err != nil {
		return err
	}
	sv := s.cfg.Catalog.Printer("sv") // like the plan, the minutes for the records are Swedish
	m := exports.Minutes{MeetingTitle: a.Dir.Meeting.Title, Date: a.Dir.Meeting.ScheduledAt.In(stockholm).Format(time.DateOnly),
		Child: sv.Plain("board.child_line", "name", a.Dir.Team.ChildFirstName, "year", a.Dir.Team.ChildBirthYear)}
	for _, mem := range a.Dir.Members {
		m.People = append(m.People, fmt.Sprintf("%s (%s)", mem.Name, sv.Plain("role."+string(mem.Role))))
	}
	for _, it := range pg.Items {
		m.Items = append(m.Items, exports.MinutesItem{Title: it.Title.Value, TimeboxMin: it.TimeboxMin,
			Status: sv.Plain(fmt.Sprintf("agenda.status.%s", it.Status)), Notes: it.Notes.Value, Decisions: it.Decisions.Value, Parked: it.Parked.Value})
	}
	for _, it := range pg.Proposals {
		m.Proposals = append(m.Proposals, it.Title.Value)
	}
	name := fmt.Sprintf("protokoll-%s-%s.md", asciiName(a.Dir.Team.ChildFirstName), m.Date)
	c.Response().Header().Set("Content-Disposition", `attachment; filename="`+name+`"`)
	return c.Blob(http.StatusOK, "text/markdown; charset=utf-8", exports.MinutesMarkdown(m))
}
