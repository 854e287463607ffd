package server

import (
	"context"
	"encoding/hex"
	"errors"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/barnteam/barnteam/server/board"
	"github.com/barnteam/barnteam/server/realtime"
)

// Running the room: letting people in from the lobby or turning them away, taking someone
// out of the meeting, naming a co-facilitator and handing the coordinator role over. Only
// the person who leads the meeting now may do these (the coordinator, or the
// co-facilitator while the coordinator is away); the server checks it on every request.
// The forms work without JavaScript (they answer with a redirect to the board); the client
// sends them in the background and the room-control region updates live.

// leader returns the access of a request by the meeting's leader, or 403.
func (s *Server) leader(c echo.Context) (*roomAccess, error) {
	a, err := s.roomAccess(c)
	if err != nil {
		return nil, err
	}
	if !a.Admitted() {
		return nil, echo.ErrForbidden
	}
	leads, err := s.hub.Leads(c.Request().Context(), a.Dir.Meeting.ID, a.Member.ID)
	if err != nil {
		return nil, err
	}
	if !leads {
		return nil, echo.ErrForbidden
	}
	return a, nil
}

func (s *Server) backToBoard(c echo.Context, a *roomAccess) error {
	return c.Redirect(http.StatusSeeOther, boardPath(a.Dir.Meeting.ID, a.Member.ID)+"#room-control")
}

// lobbyDecision lets a waiting guest session in, or turns it away.
func (s *Server) lobbyDecision(c echo.Context) error {
	a, err := s.leader(c)
	if err != nil {
		return err
	}
	key := c.FormValue("key")
	hash, err := hex.DecodeString(key)
	if err != nil || len(hash) != 32 {
		return echo.ErrBadRequest
	}
	admit := c.FormValue("decision") == "admit"
	ctx := c.Request().Context()
	if admit {
		// Nobody is let into a meeting that is still being prepared, or that is over.
		var phase board.Phase
		if err := s.hub.View(ctx, a.Dir.Meeting.ID, func(b *board.Board, _ *board.Directory) { phase = b.Phase() }); err != nil {
			return err
		}
		if phase == board.PhaseDraft || phase == board.PhaseClosed {
			return echo.NewHTTPError(http.StatusConflict)
		}
	}
	ss, err := s.cfg.Store.SessionByHash(ctx, hash, s.cfg.Now())
	if err != nil || ss.MeetingID != a.Dir.Meeting.ID {
		return echo.ErrNotFound // gone, or another meeting's
	}
	switch err := s.cfg.Store.Admit(ctx, hash, admit, s.cfg.Now()); {
	case errors.Is(err, board.ErrNotFound):
		return echo.NewHTTPError(http.StatusConflict) // already decided, by another device
	case err != nil:
		return err
	}
	action := board.AuditTurnedAway
	if admit {
		action = board.AuditAdmitted
	}
	if err := s.auditRoom(ctx, a, action, "member "+ss.MemberID); err != nil {
		return err
	}
	s.hub.Admitted(a.Dir.Meeting.ID, key, admit)
	return s.backToBoard(c, a)
}

// removeMember takes someone out of the meeting: their links and sessions are revoked, their
// connections close with a "stop" code within the second, and they cannot come back until
// they are invited again.
func (s *Server) removeMember(c echo.Context) error {
	a, err := s.leader(c)
	if err != nil {
		return err
	}
	id := c.FormValue("member")
	m, ok := a.Dir.Member(id)
	if !ok || m.Role == board.RoleCoordinator || m.ID == a.Member.ID {
		return echo.ErrBadRequest
	}
	ctx := c.Request().Context()
	meeting := a.Dir.Meeting.ID
	if err := s.cfg.Store.RemoveFromMeeting(ctx, board.Removal{MeetingID: meeting, MemberID: id, By: a.Member.ID, At: s.cfg.Now()}); err != nil {
		return err
	}
	if err := s.revokeAccess(ctx, meeting, id); err != nil {
		return err
	}
	s.hub.CloseMember(meeting, id, realtime.CloseForbidden)
	if err := s.auditRoom(ctx, a, board.AuditRemoved, "member "+id); err != nil {
		return err
	}
	return s.backToBoard(c, a)
}

// revokeAccess deletes a member's invites and guest sessions for a meeting.
func (s *Server) revokeAccess(ctx context.Context, meetingID, memberID string) error {
	if err := s.cfg.Store.RevokeInvites(ctx, meetingID, memberID); err != nil {
		return err
	}
	return s.cfg.Store.DeleteSessions(ctx, meetingID, memberID)
}

// staffMember returns a team member who can lead a meeting: a professional with an
// account (the lead needs to sign in).
func staffMember(dir *board.Directory, id string) (board.Member, bool) {
	m, ok := dir.Member(id)
	return m, ok && m.Role.IsStaff() && m.UserID != ""
}

// setCofacilitator names (or clears) the member who leads while the coordinator is away.
func (s *Server) setCofacilitator(c echo.Context) error {
	a, err := s.leader(c)
	if err != nil {
		return err
	}
	id := c.FormValue("member")
	if id != "" {
		if m, ok := staffMember(a.Dir, id); !ok || m.Role == board.RoleCoordinator {
			return echo.ErrBadRequest
		}
	}
	ctx := c.Request().Context()
	if err := s.cfg.Store.SetCofacilitator(ctx, a.Dir.Meeting.ID, id); err != nil {
		return err
	}
	if err := s.auditRoom(ctx, a, board.AuditCofacilitator, "member "+id); err != nil {
		return err
	}
	s.hub.Reload(ctx, a.Dir.Meeting.ID)
	return s.backToBoard(c, a)
}

// handover makes another staff member the coordinator of the team, mid-meeting; the
// previous coordinator stays in the team as a professional. Every open meeting of the team
// reloads its directory: the two people's pages reload with their new roles.
func (s *Server) handover(c echo.Context) error {
	a, err := s.leader(c)
	if err != nil {
		return err
	}
	to, ok := staffMember(a.Dir, c.FormValue("member"))
	if !ok || to.Role == board.RoleCoordinator {
		return echo.ErrBadRequest
	}
	ctx := c.Request().Context()
	if err := s.handOver(ctx, a.Dir, to); err != nil {
		return err
	}
	if err := s.auditRoom(ctx, a, board.AuditCoordinatorHandover, "member "+to.ID); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, boardPath(a.Dir.Meeting.ID, a.Member.ID))
}

// handOver sets the roles and reloads every loaded meeting of the team.
func (s *Server) handOver(ctx context.Context, dir *board.Directory, to board.Member) error {
	for _, m := range dir.Members {
		if m.Role == board.RoleCoordinator {
			if err := s.cfg.Store.SetMemberRole(ctx, m.ID, board.RoleProfessional); err != nil {
				return err
			}
		}
	}
	if err := s.cfg.Store.SetMemberRole(ctx, to.ID, board.RoleCoordinator); err != nil {
		return err
	}
	return s.reloadTeam(ctx, dir.Team.ID)
}

// reloadTeam makes every loaded meeting of a team read its directory again.
func (s *Server) reloadTeam(ctx context.Context, teamID string) error {
	meetings, err := s.cfg.Store.MeetingsOfTeam(ctx, teamID)
	if err != nil {
		return err
	}
	for _, m := range meetings {
		s.hub.Reload(ctx, m.ID)
	}
	return nil
}

// consentChanged applies a team's consent as it is now to every loaded meeting of the
// team: the effect of a withdrawal is immediate.
func (s *Server) consentChanged(ctx context.Context, teamID string) error {
	meetings, err := s.cfg.Store.MeetingsOfTeam(ctx, teamID)
	if err != nil {
		return err
	}
	members, err := s.cfg.Store.Members(ctx, teamID)
	if err != nil {
		return err
	}
	consents, err := s.cfg.Store.Consents(ctx, teamID)
	if err != nil {
		return err
	}
	covered := board.CoveredOrgs(consents, members, s.today())
	for _, m := range meetings {
		s.hub.ConsentChanged(m.ID, covered)
	}
	return nil
}

// lowerHand is POST /b/:meeting/:member/lower-hand: the leader gives the floor to someone
// in the queue of raised hands, which lowers their hand.
func (s *Server) lowerHand(c echo.Context) error {
	a, err := s.leader(c)
	if err != nil {
		return err
	}
	member := c.FormValue("member")
	if _, ok := a.Dir.Member(member); !ok {
		return echo.ErrBadRequest
	}
	s.hub.LowerHand(a.Dir.Meeting.ID, member)
	return s.backToBoard(c, a)
}
