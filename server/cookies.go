package server

import (
	"net/http"
	"time"

	"github.com/labstack/echo/v4"
)

// Cookies. All are HttpOnly and SameSite=Lax, and on https (and http://localhost, which
// browsers treat as secure) Secure with the __Host- prefix, so no subdomain and no plain
// http page can set or read them.
//
//   - staff:       a signed-in staff user's session (one per browser)
//   - bt-<member>: a guest's session for one member in one meeting (one per member, so a
//     browser can hold the coordinator's account and a demo guardian's link at once)
//   - cap:         a one-time link's token between the link and its page, so the token
//     leaves the address bar at once (join links, setup and password links)
const (
	staffCookieName = "staff"
	capCookieName   = "cap"
	capCookieTTL    = 30 * time.Minute
)

func (s *Server) cookieName(name string) string {
	if s.secure {
		return "__Host-" + name
	}
	return name
}

// guestCookie names the cookie of one member's guest session.
func (s *Server) guestCookie(memberID string) string { return s.cookieName("bt-" + memberID) }

func (s *Server) setCookie(c echo.Context, name, value string, expires time.Time) {
	c.SetCookie(&http.Cookie{
		Name: s.cookieName(name), Value: value, Path: "/", Expires: expires,
		HttpOnly: true, Secure: s.secure, SameSite: http.SameSiteLaxMode,
	})
}

func (s *Server) clearCookie(c echo.Context, name string) {
	c.SetCookie(&http.Cookie{
		Name: s.cookieName(name), Value: "", Path: "/", MaxAge: -1,
		HttpOnly: true, Secure: s.secure, SameSite: http.SameSiteLaxMode,
	})
}

// cookie returns a cookie's value, or "" (values longer than any token are ignored).
func (s *Server) cookie(c echo.Context, name string) string {
	ck, err := c.Cookie(s.cookieName(name))
	if err != nil || len(ck.Value) > 100 {
		return ""
	}
	return ck.Value
}
