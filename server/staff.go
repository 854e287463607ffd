package server

import (
	"context"
	"errors"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/barnteam/barnteam/server/accounts"
	"github.com/barnteam/barnteam/server/board"
	"github.com/barnteam/barnteam/server/realtime"
	"github.com/barnteam/barnteam/server/secret"
)

// Staff sign-in: login, logout, the one-time setup and password links, changing one's
// password. The logic is in package accounts; this file is its pages.

const (
	ctxUser         = "user"          // *board.User of a signed-in staff member
	ctxStaffToken   = "staff-token"   // their session token
	ctxStaffExpires = "staff-expires" // when the session ends, whatever happens
)

// loadUser puts the signed-in staff user, if any, into the request context.
func (s *Server) loadUser(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		// A device handed to the child is not the adult's while it is locked.
		if token := s.cookie(c, staffCookieName); token != "" && !locked(c) {
			u, ss, err := s.accounts.Session(c.Request().Context(), token)
			switch {
			case err == nil:
				c.Set(ctxUser, &u)
				c.Set(ctxStaffToken, token)
				c.Set(ctxStaffExpires, ss.ExpiresAt)
			case errors.Is(err, board.ErrNotFound):
				s.clearCookie(c, staffCookieName)
			default:
				return err
			}
		}
		return next(c)
	}
}

// currentUser returns the signed-in staff user, or nil.
func currentUser(c echo.Context) *board.User {
	u, _ := c.Get(ctxUser).(*board.User)
	return u
}

// requireUser sends visitors who are not signed in to the login page, and users who must
// change their password to that page first.
func (s *Server) requireUser(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		u := currentUser(c)
		if u == nil {
			return c.Redirect(http.StatusSeeOther, "/login?next="+url.QueryEscape(c.Request().URL.RequestURI()))
		}
		if u.MustChangePassword && c.Path() != "/account/password" {
			return c.Redirect(http.StatusSeeOther, "/account/password")
		}
		return next(c)
	}
}

// requireAdmin lets administrators through; anyone else gets the plain 404, so the
// administration's addresses reveal nothing.
func (s *Server) requireAdmin(next echo.HandlerFunc) echo.HandlerFunc {
	return s.requireUser(func(c echo.Context) error {
		if !currentUser(c).Admin {
			return echo.ErrNotFound
		}
		return next(c)
	})
}

// localPath accepts only a path on this site as a place to go after login (no //host,
// no scheme), so the login page cannot be used to send people elsewhere.
func localPath(p string) string {
	if !strings.HasPrefix(p, "/") || strings.HasPrefix(p, "//") || strings.HasPrefix(p, "/\\") || strings.ContainsAny(p, "\r\n") {
		return "/teams"
	}
	return p
}

// address is the client's network address for rate limits and login audit rows. The
// server trusts no forwarding header unless configured to (see Config.TrustedProxies).
func address(c echo.Context) string { return c.RealIP() }

type loginPage struct {
	Email   string
	Next    string
	Error   string
	Limited bool
}

func (s *Server) loginForm(c echo.Context) error {
	if currentUser(c) != nil {
		return c.Redirect(http.StatusSeeOther, localPath(c.QueryParam("next")))
	}
	p := s.printer(c, "")
	return s.render(c, http.StatusOK, "login", pageData{P: p, Title: p.T("login.title"), Page: loginPage{Next: localPath(c.QueryParam("next"))}})
}

func (s *Server) login(c echo.Context) error {
	p := s.printer(c, "")
	email, pw := c.FormValue("email"), c.FormValue("password")
	next := localPath(c.FormValue("next"))
	u, token, err := s.accounts.Login(c.Request().Context(), email, pw, address(c))
	page := loginPage{Email: email, Next: next}
	switch {
	case errors.Is(err, accounts.ErrRateLimited):
		wait := s.accounts.RetryAfter(email, address(c))
		minutes := max(int(math.Ceil(wait.Minutes())), 1)
		page.Error, page.Limited = p.T("login.rate_limited", "count", minutes), true
		c.Response().Header().Set("Retry-After", strconv.Itoa(max(int(math.Ceil(wait.Seconds())), 1)))
		return s.render(c, http.StatusTooManyRequests, "login", pageData{P: p, Title: p.T("login.title"), Page: page})
	case errors.Is(err, accounts.ErrBadLogin):
		page.Error = p.T("login.failed")
		return s.render(c, http.StatusUnauthorized, "login", pageData{P: p, Title: p.T("login.title"), Page: page})
	case err != nil:
		return err
	}
	s.startStaffSession(c, token)
	if u.MustChangePassword {
		next = "/account/password"
	}
	return c.Redirect(http.StatusSeeOther, next)
}

func (s *Server) startStaffSession(c echo.Context, token string) {
	s.setCookie(c, staffCookieName, token, s.accounts.Now().Add(accounts.SessionMax))
}

// logout ends the session and closes every live connection that came in on it.
func (s *Server) logout(c echo.Context) error {
	if token, _ := c.Get(ctxStaffToken).(string); token != "" {
		u := currentUser(c)
		if err := s.accounts.Logout(c.Request().Context(), token, *u, address(c)); err != nil {
			return err
		}
		hash := secret.Hash(token)
		s.hub.CloseWhere(realtime.Match{StaffSession: string(hash)}, realtime.CloseUnauthorized)
	}
	s.clearCookie(c, staffCookieName)
	return c.Redirect(http.StatusSeeOther, "/login")
}

// accountLink is where a one-time setup or password link lands: the token moves into a
// short-lived cookie and the address bar is cleaned at once.
func (s *Server) accountLink(c echo.Context) error {
	token := c.Param("token")
	if len(token) < 20 || len(token) > 100 {
		return echo.ErrNotFound
	}
	if _, _, err := s.accounts.TokenInfo(c.Request().Context(), token); err != nil {
		if errors.Is(err, board.ErrNotFound) {
			return echo.ErrNotFound
		}
		return err
	}
	s.setCookie(c, capCookieName, token, s.accounts.Now().Add(capCookieTTL))
	return c.Redirect(http.StatusSeeOther, "/account/link")
}

type accountLinkPage struct {
	Setup bool
	Email string
	Name  string
	Error string
	Field string
	Min   int
}

func (s *Server) accountLinkForm(c echo.Context) error {
	token := s.cookie(c, capCookieName)
	t, u, err := s.accounts.TokenInfo(c.Request().Context(), token)
	if err != nil {
		if errors.Is(err, board.ErrNotFound) {
			return echo.ErrNotFound
		}
		return err
	}
	p := s.printer(c, "")
	page := accountLinkPage{Setup: t.Purpose == board.TokenSetup, Email: u.Email, Name: u.Name, Min: minPassword}
	return s.render(c, http.StatusOK, "account_link", pageData{P: p, Title: p.T(accountLinkTitle(page.Setup)), Page: page})
}

func accountLinkTitle(setup bool) string {
	if setup {
		return "setup.title"
	}
	return "password.title"
}

func (s *Server) accountLinkSubmit(c echo.Context) error {
	ctx := c.Request().Context()
	p := s.printer(c, "")
	token := s.cookie(c, capCookieName)
	t, u, err := s.accounts.TokenInfo(ctx, token)
	if err != nil {
		if errors.Is(err, board.ErrNotFound) {
			return echo.ErrNotFound
		}
		return err
	}
	page := accountLinkPage{Setup: t.Purpose == board.TokenSetup, Email: u.Email, Name: u.Name, Min: minPassword}
	fail := func(code int, key, field string, args ...any) error {
		page.Error, page.Field = p.T(key, args...), field
		return s.render(c, code, "account_link", pageData{P: p, Title: p.T(accountLinkTitle(page.Setup)), Page: page})
	}
	if !s.accounts.SetupAllowed(address(c)) {
		return fail(http.StatusTooManyRequests, "login.rate_limited", "", "count", 15)
	}
	pw := c.FormValue("password")
	if pw != c.FormValue("password2") {
		return fail(http.StatusUnprocessableEntity, "account.invalid.password_mismatch", "password2")
	}
	var sess string
	dest := "/teams"
	if page.Setup {
		page.Email, page.Name = c.FormValue("email"), c.FormValue("name")
		_, sess, err = s.accounts.CompleteSetup(ctx, token, board.User{Email: page.Email, Name: page.Name}, pw, address(c))
		dest = "/admin"
	} else {
		_, sess, err = s.accounts.SetPasswordWithLink(ctx, token, pw, address(c))
	}
	var be *board.Error
	switch {
	case errors.As(err, &be):
		return fail(http.StatusUnprocessableEntity, be.Key, be.Field, be.Args...)
	case errors.Is(err, board.ErrNotFound):
		return echo.ErrNotFound
	case err != nil:
		return err
	}
	s.clearCookie(c, capCookieName)
	s.startStaffSession(c, sess)
	return c.Redirect(http.StatusSeeOther, dest)
}

const minPassword = 12

type passwordPage struct {
	Forced bool
	Error  string
	Field  string
	Done   bool
	Min    int
}

func (s *Server) passwordForm(c echo.Context) error {
	p := s.printer(c, "")
	return s.render(c, http.StatusOK, "account_password", pageData{P: p, Title: p.T("password.change_title"),
		Page: passwordPage{Forced: currentUser(c).MustChangePassword, Done: c.QueryParam("done") == "1", Min: minPassword}})
}

func (s *Server) passwordSubmit(c echo.Context) error {
	p := s.printer(c, "")
	u := currentUser(c)
	page := passwordPage{Forced: u.MustChangePassword, Min: minPassword}
	fail := func(key, field string, args ...any) error {
		page.Error, page.Field = p.T(key, args...), field
		return s.render(c, http.StatusUnprocessableEntity, "account_password", pageData{P: p, Title: p.T("password.change_title"), Page: page})
	}
	pw := c.FormValue("password")
	if pw != c.FormValue("password2") {
		return fail("account.invalid.password_mismatch", "password2")
	}
	sess, err := s.accounts.ChangePassword(c.Request().Context(), *u, c.FormValue("current"), pw, address(c))
	var be *board.Error
	if errors.As(err, &be) {
		return fail(be.Key, be.Field, be.Args...)
	}
	if err != nil {
		return err
	}
	// Every session of the user ended with the change: live connections on other devices
	// close; this browser continues with its new session.
	s.hub.CloseWhere(realtime.Match{UserID: u.ID}, realtime.CloseUnauthorized)
	s.startStaffSession(c, sess)
	return c.Redirect(http.StatusSeeOther, "/account/password?done=1")
}

// endUserSessions ends every session of a user and closes their live connections (a
// disabled user, a forced password change). It answers within the request.
func (s *Server) endUserSessions(ctx context.Context, userID string) error {
	if err := s.cfg.Store.DeleteUserSessions(ctx, userID); err != nil {
		return err
	}
	s.hub.CloseWhere(realtime.Match{UserID: userID}, realtime.CloseUnauthorized)
	return nil
}
