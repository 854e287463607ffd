package server

import (
	"context"
	"crypto/rand"
	"errors"
	"html/template"
	"net/http"
	"strings"
	"time"

	"github.com/coder/websocket"
	"github.com/labstack/echo/v4"

	"github.com/barnteam/barnteam/server/board"
	"github.com/barnteam/barnteam/server/i18n"
	"github.com/barnteam/barnteam/server/realtime"
	"github.com/barnteam/barnteam/server/secret"
)

// The room's shared screen (storbildsskärm). The meeting's leader opens it from the
// board: the server makes a display with a long token (a link, also as a QR code) and a
// short code to type at /screen on the room's computer, both usable for minutes only, so
// nobody signs in there. Opening either gives that browser a display of its own, for the
// meeting day, under a fresh token in an HttpOnly cookie (nothing stays in the address
// bar); the screen page then shows the meeting read-only (screen_view.go) until that
// display expires or the leader closes every screen of the meeting.

const (
	screenCookie       = "screen"
	displayTTL         = 12 * time.Hour   // an opened screen lasts a meeting day
	displayCodeTTL     = 10 * time.Minute // the link and the code are used at once, or not at all
	screenCodeAttempts = 20               // wrong codes per address per window
	screenCodeWindow   = 15 * time.Minute
)

// codeAlphabet has no letters that look like digits or each other (no I, L, O, U), so a
// code read off a projector can be typed without doubt. 8 of them carry 40 bits.
const codeAlphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

// newDisplayCode returns a short code like "K7QM-2XTP".
func newDisplayCode() string {
	var b [8]byte
	rand.Read(b[:])
	out := make([]byte, 0, 9)
	for i, x := range b {
		if i == 4 {
			out = append(out, '-')
		}
		out = append(out, codeAlphabet[int(x)%len(codeAlphabet)])
	}
	return string(out)
}

// normalCode turns what someone typed into the stored form: upper case, without spaces
// and dashes, with the look-alike letters read as the digits they resemble.
func normalCode(s string) string {
	r := strings.NewReplacer(" ", "", "-", "", "O", "0", "I", "1", "L", "1", "U", "V")
	return r.Replace(strings.ToUpper(strings.TrimSpace(s)))
}

type displayPage struct {
	Link     string
	Code     string
	CodeURL  string
	QR       template.HTML
	Minutes  int
	BackURL  string
	CloseURL string
}

// openDisplay is POST /b/:meeting/:member/display: the leader opens a shared screen.
func (s *Server) openDisplay(c echo.Context) error {
	a, err := s.leader(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	token, hash := secret.NewToken()
	code := newDisplayCode()
	now := s.cfg.Now()
	d := board.Display{TokenHash: hash, CodeHash: secret.Hash(normalCode(code)), MeetingID: a.Dir.Meeting.ID,
		CreatedBy: a.Member.ID, CreatedAt: now, CodeExpiresAt: now.Add(displayCodeTTL), ExpiresAt: now.Add(displayCodeTTL)}
	if err := s.cfg.Store.CreateDisplay(ctx, d); err != nil {
		return err
	}
	if err := s.auditRoom(ctx, a, board.AuditDisplayOpened, "display"); err != nil {
		return err
	}
	p := s.cfg.Catalog.Printer(a.Lang)
	link := s.cfg.BaseURL + "/screen/t/" + token
	qr, err := qrSVG(link, p.T("screen.qr_label"))
	if err != nil {
		return err
	}
	path := boardPath(a.Dir.Meeting.ID, a.Member.ID)
	return s.render(c, http.StatusOK, "display", pageData{P: p, Title: p.T("screen.open_title"), Script: "js/copy.js",
		Page: displayPage{Link: link, Code: code, CodeURL: s.cfg.BaseURL + "/screen", QR: qr,
			Minutes: int(displayCodeTTL / time.Minute), BackURL: path + "#room-control", CloseURL: path + "display/close"}})
}

// closeDisplays is POST /b/:meeting/:member/display/close: every shared screen of the
// meeting goes dark at once.
func (s *Server) closeDisplays(c echo.Context) error {
	a, err := s.leader(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	if err := s.cfg.Store.DeleteDisplays(ctx, a.Dir.Meeting.ID); err != nil {
		return err
	}
	if err := s.auditRoom(ctx, a, board.AuditDisplayClosed, "display"); err != nil {
		return err
	}
	s.hub.CloseScreens(a.Dir.Meeting.ID)
	return s.backToBoard(c, a)
}

type screenCodePage struct {
	Code  string
	Error string
}

// screenCodeForm is GET /screen: the room's computer types the short code.
func (s *Server) screenCodeForm(c echo.Context) error {
	p := s.printer(c, "")
	return s.render(c, http.StatusOK, "screen_code", pageData{P: p, Title: p.T("screen.code_title"), Page: screenCodePage{}})
}

// screenCode is POST /screen.
func (s *Server) screenCode(c echo.Context) error {
	p := s.printer(c, "")
	typed := c.FormValue("code")
	addr := c.RealIP()
	now := s.cfg.Now()
	fail := func(code int, key string) error {
		return s.render(c, code, "screen_code", pageData{P: p, Title: p.T("screen.code_title"), Page: screenCodePage{Code: typed, Error: p.T(key)}})
	}
	if !s.screenLimiter.Allow(addr, now) {
		c.Response().Header().Set("Retry-After", "900")
		return fail(http.StatusTooManyRequests, "screen.too_many")
	}
	code := normalCode(typed)
	if len(code) != 8 {
		return fail(http.StatusUnprocessableEntity, "screen.code_invalid")
	}
	d, err := s.cfg.Store.UseDisplayCode(c.Request().Context(), secret.Hash(code), now)
	if errors.Is(err, board.ErrNotFound) {
		s.screenLimiter.Hit(addr, now)
		return fail(http.StatusUnprocessableEntity, "screen.code_unknown")
	}
	if err != nil {
		return err
	}
	return s.startScreen(c, d)
}

// screenLink is GET /screen/t/:token: the display's link (or its QR code).
func (s *Server) screenLink(c echo.Context) error {
	token := c.Param("token")
	if len(token) < 20 || len(token) > 100 {
		return echo.ErrNotFound
	}
	d, err := s.cfg.Store.DisplayByHash(c.Request().Context(), secret.Hash(token), s.cfg.Now())
	if errors.Is(err, board.ErrNotFound) {
		return echo.ErrNotFound
	}
	if err != nil {
		return err
	}
	return s.startScreen(c, d)
}

// startScreen gives this browser a display of its own, made from the one whose link was
// opened or whose code was typed: a fresh token in the cookie, for the meeting day.
func (s *Server) startScreen(c echo.Context, from board.Display) error {
	token, hash := secret.NewToken()
	now := s.cfg.Now()
	d := board.Display{TokenHash: hash, CodeHash: secret.Hash("no code:" + token), // a code nobody can type
		MeetingID: from.MeetingID, CreatedBy: from.CreatedBy, CreatedAt: now, CodeExpiresAt: now, ExpiresAt: now.Add(displayTTL)}
	if err := s.cfg.Store.CreateDisplay(c.Request().Context(), d); err != nil {
		return err
	}
	s.setCookie(c, screenCookie, token, d.ExpiresAt)
	return c.Redirect(http.StatusSeeOther, "/screen/view")
}

// screenAccess is the display of this browser, with its meeting's directory.
func (s *Server) screenAccess(c echo.Context) (board.Display, *board.Directory, error) {
	token := s.cookie(c, screenCookie)
	if token == "" {
		return board.Display{}, nil, echo.ErrNotFound
	}
	ctx := c.Request().Context()
	d, err := s.cfg.Store.DisplayByHash(ctx, secret.Hash(token), s.cfg.Now())
	if errors.Is(err, board.ErrNotFound) {
		s.clearCookie(c, screenCookie)
		return d, nil, echo.ErrNotFound
	}
	if err != nil {
		return d, nil, err
	}
	dir, err := s.hub.Directory(ctx, d.MeetingID)
	if err != nil {
		return d, nil, err
	}
	return d, dir, nil
}

func (s *Server) screenParticipant(c echo.Context, d board.Display) realtime.Participant {
	// The room's screen speaks the meeting's language, Swedish, unless someone chose
	// another (?lang=): the room computer's own browser language says nothing about it.
	return realtime.Participant{Lang: s.printer(c, i18n.Default).Lang, View: viewScreen,
		Screen: string(d.TokenHash), Expires: d.ExpiresAt}
}

// auditScreen records that a shared screen showed a child's board.
func (s *Server) auditScreen(ctx context.Context, d board.Display, dir *board.Directory, target string) error {
	return s.cfg.Store.AppendAudit(ctx, board.AuditEntry{At: s.cfg.Now(), ActorName: "display", Action: board.AuditDisplayView,
		TeamID: dir.Team.ID, MeetingID: d.MeetingID, Target: target})
}

type screenPageData struct {
	Status, Now, Compass, Goals, Actions template.HTML
}

// screenPage is GET /screen/view: the meeting on the room's screen.
func (s *Server) screenPage(c echo.Context) error {
	d, dir, err := s.screenAccess(c)
	if err != nil {
		if errors.Is(err, echo.ErrNotFound) {
			return c.Redirect(http.StatusSeeOther, "/screen")
		}
		return err
	}
	ctx := c.Request().Context()
	if err := s.auditScreen(ctx, d, dir, "page"); err != nil {
		return err
	}
	part := s.screenParticipant(c, d)
	frags, seq, epoch, err := s.hub.Render(ctx, d.MeetingID, part)
	if err != nil {
		return err
	}
	pg := screenPageData{}
	for _, f := range frags {
		h := template.HTML(f.HTML) // rendered by our own templates
		switch f.Target {
		case "meeting-status":
			pg.Status = h
		case "screen-now":
			pg.Now = h
		case "screen-compass":
			pg.Compass = h
		case "screen-goals":
			pg.Goals = h
		case "screen-actions":
			pg.Actions = h
		}
	}
	p := s.cfg.Catalog.Printer(part.Lang)
	return s.render(c, http.StatusOK, "screen", pageData{P: p, Title: p.T("screen.title", "name", dir.Team.ChildFirstName),
		Script: "js/board.js", Meeting: dir.Meeting, Dir: dir, Seq: seq, Epoch: epoch, WSPath: "/screen/ws", Page: pg})
}

// screenSocket is GET /screen/ws: the shared screen's live connection, read-only.
func (s *Server) screenSocket(c echo.Context) error {
	d, dir, err := s.screenAccess(c)
	if err != nil {
		return err
	}
	ws, err := websocket.Accept(c.Response(), c.Request(), &websocket.AcceptOptions{OriginPatterns: s.origins})
	if err != nil {
		return nil // Accept has written the error response
	}
	if err := s.auditScreen(c.Request().Context(), d, dir, "live"); err != nil {
		ws.Close(realtime.CloseTryAgain, "")
		return nil
	}
	since, epoch := sinceOf(c)
	s.hub.Serve(c.Request().Context(), ws, d.MeetingID, s.screenParticipant(c, d), since, epoch)
	return nil
}
