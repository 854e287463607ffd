package server

import (
	"errors"
	"html/template"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"github.com/barnteam/barnteam/server/auth"
	"github.com/barnteam/barnteam/server/board"
	"github.com/barnteam/barnteam/server/realtime"
	"github.com/barnteam/barnteam/server/secret"
)

// The child view's page, and child mode: an adult hands their own device to the child.
// The adult chooses a code; the device then shows only the child view, as the child,
// until an adult enters the code. While it is locked no other page opens in that
// browser (childLock redirects), and the adult's staff account is not used on it.

// childLockCookie holds the token of a child-mode session; while it is valid the
// browser is locked to that child view. It is HttpOnly like every cookie here, so the
// page cannot remove it.
const childLockCookie = "child-lock"

// ctxChildLock marks a request made from a locked device.
const ctxChildLock = "child-lock"

// Child-mode codes: at least four digits, so an adult can choose one quickly and a child
// cannot guess it in the few attempts allowed.
const (
	minUnlockCode   = 4
	maxUnlockCode   = 12
	unlockAttempts  = 5
	unlockLockedFor = 10 * time.Minute
)

// childStep is one question of the child view.
type childStep struct {
	Area       board.Area
	N, Total   int
	Prev, Next string // anchors
	Frag       template.HTML
}

type childPage struct {
	Steps         []childStep
	Wheel, Check  template.HTML
	Plan, Sign    template.HTML
	Propose       template.HTML
	FirstQuestion string
	LastQuestion  string
	Coordinator   string
	ChildMode     bool
	UnlockURL     string
}

// renderChild renders the child view from its regions.
func (s *Server) renderChild(c echo.Context, a *roomAccess, code int, data pageData, frags []realtime.Fragment) error {
	pg := childPage{ChildMode: a.Session != nil && a.Session.UnlockHash != ""}
	byTarget := map[string]template.HTML{}
	for _, f := range frags {
		byTarget[f.Target] = template.HTML(f.HTML) // rendered by our own templates
	}
	n := len(board.Areas)
	for i, ar := range board.Areas {
		st := childStep{Area: ar, N: i + 1, Total: n, Prev: "#start", Next: "#check", Frag: byTarget["child-q-"+string(ar)]}
		if i > 0 {
			st.Prev = "#q-" + string(board.Areas[i-1])
		}
		if i+1 < n {
			st.Next = "#q-" + string(board.Areas[i+1])
		}
		pg.Steps = append(pg.Steps, st)
	}
	pg.FirstQuestion = "#q-" + string(board.Areas[0])
	pg.LastQuestion = "#q-" + string(board.Areas[n-1])
	pg.Wheel, pg.Check, pg.Plan, pg.Sign = byTarget["child-wheel"], byTarget["child-check"], byTarget["child-plan"], byTarget["child-sign"]
	pg.Propose = byTarget["child-propose"]
	for _, m := range a.Dir.Members {
		if m.Role == board.RoleCoordinator {
			pg.Coordinator = m.Name
		}
	}
	pg.UnlockURL = boardPath(a.Dir.Meeting.ID, a.Member.ID) + "unlock"
	data.Page = pg
	data.Script = "js/child.js"
	data.Title = data.P.T("child.title", "name", a.Dir.Team.ChildFirstName)
	if pg.ChildMode {
		data.Languages = []string{} // the language is the adult's choice; nothing leads away
	}
	return s.render(c, code, "child", data)
}

// childLock keeps a browser in child mode on the child view. Requests for the child's own
// board (its page, socket, forms and the unlock form) pass, without the staff user
// loaded; every other page redirects there.
func (s *Server) childLock(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		token := s.cookie(c, childLockCookie)
		if token == "" {
			return next(c)
		}
		ss, err := s.cfg.Store.SessionByHash(c.Request().Context(), secret.Hash(token), s.cfg.Now())
		if errors.Is(err, board.ErrNotFound) || (err == nil && ss.UnlockHash == "") {
			s.clearCookie(c, childLockCookie) // child mode ended (expired, or ended elsewhere)
			return next(c)
		}
		if err != nil {
			return err
		}
		child := boardPath(ss.MeetingID, ss.MemberID)
		if strings.HasPrefix(c.Request().URL.Path, child) {
			c.Set(ctxChildLock, true)
			return next(c)
		}
		return c.Redirect(http.StatusSeeOther, child)
	}
}

// locked reports whether the request comes from a device in child mode.
func locked(c echo.Context) bool { v, _ := c.Get(ctxChildLock).(bool); return v }

type childModePage struct {
	Child     board.Member
	Error     string
	ErrorAt   string
	ActionURL string
	BackURL   string
}

// childOf returns the team's child member, if the team has one.
func childOf(dir *board.Directory) (board.Member, bool) {
	for _, m := range dir.Members {
		if m.Role == board.RoleChild {
			return m, true
		}
	}
	return board.Member{}, false
}

// childModeStartAccess is who may hand their device to the child: an adult let into the
// meeting, in a team that has the child as a member.
func (s *Server) childModeStartAccess(c echo.Context) (*roomAccess, board.Member, error) {
	a, err := s.roomAccess(c)
	if err != nil {
		return nil, board.Member{}, err
	}
	if !a.Admitted() || a.Member.Role == board.RoleChild {
		return nil, board.Member{}, echo.ErrForbidden
	}
	child, ok := childOf(a.Dir)
	if !ok {
		return nil, board.Member{}, echo.ErrNotFound
	}
	return a, child, nil
}

// childModeForm is GET /b/:meeting/:member/child-mode: the adult chooses a code.
func (s *Server) childModeForm(c echo.Context) error {
	a, child, err := s.childModeStartAccess(c)
	if err != nil {
		return err
	}
	return s.renderChildModeForm(c, a, child, http.StatusOK, "", "")
}

func (s *Server) renderChildModeForm(c echo.Context, a *roomAccess, child board.Member, code int, msg, at string) error {
	p := s.cfg.Catalog.Printer(a.Lang)
	path := boardPath(a.Dir.Meeting.ID, a.Member.ID)
	return s.render(c, code, "child_mode", pageData{P: p, Title: p.T("childmode.title", "name", child.Name),
		Page: childModePage{Child: child, Error: msg, ErrorAt: at, ActionURL: path + "child-mode", BackURL: path}})
}

// handOver is POST /b/:meeting/:member/child-mode: the device goes into child mode.
func (s *Server) startChildMode(c echo.Context) error {
	a, child, err := s.childModeStartAccess(c)
	if err != nil {
		return err
	}
	p := s.cfg.Catalog.Printer(a.Lang)
	code, again := c.FormValue("code"), c.FormValue("code_again")
	if !validUnlockCode(code) {
		return s.renderChildModeForm(c, a, child, http.StatusUnprocessableEntity, p.T("childmode.invalid_code", "min", minUnlockCode, "max", maxUnlockCode), "code")
	}
	if code != again {
		return s.renderChildModeForm(c, a, child, http.StatusUnprocessableEntity, p.T("childmode.codes_differ"), "code_again")
	}
	ctx := c.Request().Context()
	token, hash := secret.NewToken()
	now := s.cfg.Now()
	ss := board.Session{TokenHash: hash, MemberID: child.ID, MeetingID: a.Dir.Meeting.ID, CreatedAt: now,
		ExpiresAt: now.Add(GuestSessionTTL), AdmittedAt: now, // the adult vouches: no lobby
		UnlockHash: auth.Hash(code), ReturnTo: boardPath(a.Dir.Meeting.ID, a.Member.ID)}
	if err := s.cfg.Store.CreateSession(ctx, ss); err != nil {
		return err
	}
	if err := s.auditRoom(ctx, a, board.AuditChildMode, "start: member "+child.ID); err != nil {
		return err
	}
	s.setCookie(c, "bt-"+child.ID, token, ss.ExpiresAt)
	s.setCookie(c, childLockCookie, token, ss.ExpiresAt)
	// The device is the child's now: the adult's pages still open in other tabs of this
	// browser must not go on showing or editing the board as the adult. Their sockets
	// close with "reload", and the reloaded pages land in the child view.
	if token, _ := c.Get(ctxStaffToken).(string); token != "" {
		s.hub.CloseWhere(realtime.Match{StaffSession: string(secret.Hash(token))}, realtime.CloseReload)
	} else if a.Session != nil {
		s.hub.CloseWhere(realtime.Match{GuestSession: string(a.Session.TokenHash)}, realtime.CloseReload)
	}
	return c.Redirect(http.StatusSeeOther, boardPath(a.Dir.Meeting.ID, child.ID))
}

func validUnlockCode(code string) bool {
	n := utf8.RuneCountInString(code)
	if n < minUnlockCode || n > maxUnlockCode {
		return false
	}
	for _, r := range code {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

type unlockPage struct {
	Error     string
	ActionURL string
	BackURL   string
}

// childModeAccess is the child-mode session of the request, for the unlock form.
func (s *Server) childModeAccess(c echo.Context) (*roomAccess, error) {
	a, err := s.roomAccess(c)
	if err != nil {
		return nil, err
	}
	if a.Session == nil || a.Session.UnlockHash == "" {
		return nil, echo.ErrNotFound
	}
	return a, nil
}

// unlockForm is GET /b/:meeting/:member/unlock: an adult ends child mode with the code.
func (s *Server) unlockForm(c echo.Context) error {
	a, err := s.childModeAccess(c)
	if err != nil {
		return err
	}
	return s.renderUnlock(c, a, http.StatusOK, "")
}

func (s *Server) renderUnlock(c echo.Context, a *roomAccess, code int, msg string) error {
	p := s.cfg.Catalog.Printer(a.Lang)
	path := boardPath(a.Dir.Meeting.ID, a.Member.ID)
	return s.render(c, code, "child_unlock", pageData{P: p, Title: p.T("childmode.unlock_title"), Languages: []string{},
		Page: unlockPage{Error: msg, ActionURL: path + "unlock", BackURL: path}})
}

// unlock is POST /b/:meeting/:member/unlock: with the right code the child-mode session
// ends and the device returns to the adult's board.
func (s *Server) unlock(c echo.Context) error {
	a, err := s.childModeAccess(c)
	if err != nil {
		return err
	}
	p := s.cfg.Catalog.Printer(a.Lang)
	key := string(a.Session.TokenHash)
	now := s.cfg.Now()
	// Every attempt counts before the (slow) check, so that many sent at once cannot all
	// be checked: a child who wants out, or someone trying codes, gets the same few tries.
	if !s.unlockLimiter.Take(key, now) {
		return s.renderUnlock(c, a, http.StatusTooManyRequests, p.T("childmode.too_many", "count", int(unlockLockedFor/time.Minute)))
	}
	if !auth.Verify(a.Session.UnlockHash, c.FormValue("code")) {
		return s.renderUnlock(c, a, http.StatusUnprocessableEntity, p.T("childmode.wrong_code"))
	}
	s.unlockLimiter.Reset(key)
	ctx := c.Request().Context()
	if err := s.cfg.Store.DeleteSession(ctx, a.Session.TokenHash); err != nil {
		return err
	}
	if err := s.auditRoom(ctx, a, board.AuditChildMode, "end: member "+a.Member.ID); err != nil {
		return err
	}
	s.hub.CloseWhere(realtime.Match{GuestSession: key}, realtime.CloseUnauthorized)
	s.clearCookie(c, "bt-"+a.Member.ID)
	s.clearCookie(c, childLockCookie)
	back := a.Session.ReturnTo
	if !strings.HasPrefix(back, "/b/") {
		back = "/"
	}
	return c.Redirect(http.StatusSeeOther, back)
}
