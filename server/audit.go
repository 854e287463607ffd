package server

import (
	"context"

	"github.com/labstack/echo/v4"

	"github.com/barnteam/barnteam/server/board"
)

// auditStaff writes an audit row for something a signed-in staff user did (teams,
// consent, administration). teamID is the child concerned, or "" for none; target names
// what was acted on by id, never by content.
func (s *Server) auditStaff(c echo.Context, action board.AuditAction, teamID, meetingID, target string) error {
	u := currentUser(c)
	e := board.AuditEntry{At: s.cfg.Now(), Action: action, TeamID: teamID, MeetingID: meetingID, Target: target}
	if u != nil {
		e.UserID, e.ActorName, e.OrgID = u.ID, u.Name, u.OrgID
		e.OrgName = s.accounts.OrgName(c.Request().Context(), u.OrgID)
	}
	return s.cfg.Store.AppendAudit(c.Request().Context(), e)
}

// ctxOf is the request's context.
func ctxOf(c echo.Context) context.Context { return c.Request().Context() }
