package server

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/barnteam/barnteam/exports"
	"github.com/barnteam/barnteam/server/board"
)

// Barnets plan's pages: the plan to read and sign (a "check your answers" page), and,
// for a draft, its preview. The sign-off itself is ops (sign), posted by the page's forms
// to the board's op path like every other change.

// planVersionDoc reads a frozen version and its document.
func (s *Server) planVersionDoc(ctx context.Context, meetingID string, version int) (board.PlanVersion, board.PlanDoc, error) {
	v, err := s.cfg.Store.PlanVersion(ctx, meetingID, version)
	if err != nil {
		return v, board.PlanDoc{}, err
	}
	doc, err := exports.ParseCanonical(v.Canonical)
	if err != nil {
		return v, doc, fmt.Errorf("plan %s version %d: %w", meetingID, version, err)
	}
	return v, doc, nil
}

// planPage is the data of the plan page.
type planPage struct {
	Doc     board.PlanDoc
	Version *board.PlanVersion // nil for a draft's preview
	Plan    board.PlanState
	Me      board.Member
	Mine    *board.Signature
	MaySign bool
	BackURL string
	OpURL   string
	Staff   bool
	// JustSigned: the person comes back from approving (the page confirms it).
	JustSigned bool
}

// loadPlanPage gathers the plan as this person may read it now: the version being signed
// or the latest established one, or a preview of the draft.
func (s *Server) loadPlanPage(c echo.Context, a *roomAccess) (planPage, error) {
	ctx := c.Request().Context()
	meetingID := a.Dir.Meeting.ID
	pg := planPage{Me: a.Member, BackURL: boardPath(meetingID, a.Member.ID) + "#plan", OpURL: boardPath(meetingID, a.Member.ID) + "op",
		Staff: a.Member.Role.IsStaff(), JustSigned: c.QueryParam("signed") == "1"}
	var previewErr error
	err := s.hub.View(ctx, meetingID, func(b *board.Board, dir *board.Directory) {
		pg.Plan = b.Plan
		pg.Plan.Signatures = append([]board.Signature(nil), b.Plan.Signatures...)
		if !b.Plan.Frozen() {
			pg.Doc, previewErr = s.planDoc(ctx, b, dir, b.Plan.Version+1, s.cfg.Now(), a.Member.ID)
		}
	})
	if err != nil {
		return pg, err
	}
	if !pg.Plan.Frozen() {
		return pg, previewErr
	}
	v, doc, err := s.planVersionDoc(ctx, meetingID, pg.Plan.Version)
	if err != nil {
		return pg, err
	}
	v.Signatures = pg.Plan.Signatures // the live list: the stored one is written with each signature too
	pg.Doc, pg.Version = doc, &v
	if sig, ok := pg.Plan.SignatureOf(a.Member.ID); ok {
		pg.Mine = &sig
	}
	pg.MaySign = pg.Plan.Status == board.PlanSigning && pg.Mine == nil && board.MaySign(a.Member)
	return pg, nil
}

// planShow is GET /b/:meeting/:member/plan.
func (s *Server) planShow(c echo.Context) error {
	a, err := s.roomAccess(c)
	if err != nil {
		return err
	}
	if !a.Admitted() {
		return s.renderOutside(c, a)
	}
	pg, err := s.loadPlanPage(c, a)
	if err != nil {
		return err
	}
	if err := s.auditRoom(c.Request().Context(), a, board.AuditView, planTarget(pg, "page")); err != nil {
		return err
	}
	p := s.cfg.Catalog.Printer(a.Lang)
	return s.render(c, http.StatusOK, "plan_page", pageData{P: p, Title: p.T("plan.page_title", "name", a.Dir.Team.ChildFirstName), Page: pg})
}

// planTarget names what an audit row is about: the plan's version, never its content.
func planTarget(pg planPage, what string) string {
	if pg.Version == nil {
		return "plan preview " + what
	}
	return fmt.Sprintf("plan v%d %s", pg.Version.Version, what)
}

// dateOf formats a time as a Swedish civil date and time.
func dateOf(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.In(stockholm).Format("2006-01-02 15:04")
}

var errNoPlan = errors.New("no established plan")
