package server

import (
	"errors"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/barnteam/barnteam/server/board"
	"github.com/barnteam/barnteam/server/secret"
)

// Joining with a personal link: the link lands here, the token moves into a short-lived
// cookie and leaves the address bar at once; the person chooses a language, confirms
// "this is me", and waits in the lobby until the coordinator lets them in. A signed-in
// staff member whose link it is goes straight to the board.
//
// Nothing here changes state on a GET: the session is made by the confirming POST.

// inviteLink is GET /j/<token>.
func (s *Server) inviteLink(c echo.Context) error {
	token := c.Param("token")
	if len(token) < 20 || len(token) > 100 {
		return echo.ErrNotFound
	}
	inv, err := s.cfg.Store.InviteByHash(c.Request().Context(), secret.Hash(token), s.cfg.Now())
	if errors.Is(err, board.ErrNotFound) {
		return echo.ErrNotFound
	}
	if err != nil {
		return err
	}
	if u := currentUser(c); u != nil {
		if m, err := s.cfg.Store.Member(c.Request().Context(), inv.MemberID); err == nil && m.UserID == u.ID {
			return c.Redirect(http.StatusSeeOther, boardPath(inv.MeetingID, inv.MemberID))
		}
	}
	s.setCookie(c, capCookieName, token, s.cfg.Now().Add(capCookieTTL))
	return c.Redirect(http.StatusSeeOther, "/join")
}

type joinPage struct {
	Member board.Member
	Child  string
	Team   string
}

// pendingInvite reads the invite whose token waits in the cap cookie, with its member and
// team. Anything wrong is the plain 404.
func (s *Server) pendingInvite(c echo.Context) (string, board.Invite, *board.Directory, board.Member, error) {
	token := s.cookie(c, capCookieName)
	if token == "" {
		return "", board.Invite{}, nil, board.Member{}, echo.ErrNotFound
	}
	ctx := c.Request().Context()
	inv, err := s.cfg.Store.InviteByHash(ctx, secret.Hash(token), s.cfg.Now())
	if err != nil {
		if errors.Is(err, board.ErrNotFound) {
			err = echo.ErrNotFound
		}
		return "", inv, nil, board.Member{}, err
	}
	dir, err := s.hub.Directory(ctx, inv.MeetingID)
	if err != nil {
		return "", inv, nil, board.Member{}, err
	}
	m, ok := dir.Member(inv.MemberID)
	if !ok {
		return "", inv, nil, m, echo.ErrNotFound
	}
	return token, inv, dir, m, nil
}

// joinForm is GET /join: language choice and "this is me".
func (s *Server) joinForm(c echo.Context) error {
	_, _, dir, m, err := s.pendingInvite(c)
	if err != nil {
		return err
	}
	p := s.printer(c, m.Lang)
	return s.render(c, http.StatusOK, "join", pageData{P: p, Title: p.T("join.title"), Page: joinPage{Member: m, Child: dir.Team.ChildFirstName}})
}

// joinConfirm is POST /join: the person confirmed who they are. A guest session starts,
// waiting in the lobby.
func (s *Server) joinConfirm(c echo.Context) error {
	_, inv, dir, m, err := s.pendingInvite(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	removed, err := s.cfg.Store.Removed(ctx, inv.MeetingID)
	if err != nil {
		return err
	}
	if _, gone := removed[m.ID]; gone {
		return echo.ErrNotFound
	}
	token, hash := secret.NewToken()
	now := s.cfg.Now()
	ss := board.Session{TokenHash: hash, MemberID: m.ID, MeetingID: inv.MeetingID, CreatedAt: now, ExpiresAt: now.Add(GuestSessionTTL)}
	if err := s.cfg.Store.CreateSession(ctx, ss); err != nil {
		return err
	}
	a := &roomAccess{Dir: dir, Member: m, Session: &ss}
	if err := s.auditRoom(ctx, a, board.AuditJoin, "member "+m.ID); err != nil {
		return err
	}
	s.clearCookie(c, capCookieName)
	s.setCookie(c, "bt-"+m.ID, token, ss.ExpiresAt)
	return c.Redirect(http.StatusSeeOther, boardPath(inv.MeetingID, m.ID))
}

// joinNotMe is GET /join/not-me: the link reached the wrong person. Nothing is made; the
// link keeps working for the right one.
func (s *Server) joinNotMe(c echo.Context) error {
	s.clearCookie(c, capCookieName)
	p := s.printer(c, "")
	return s.render(c, http.StatusOK, "error", pageData{P: p, Title: p.T("join.not_me_title"), Message: p.T("join.not_me")})
}
