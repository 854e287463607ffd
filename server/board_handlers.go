package server

import (
	"context"
	"encoding/json"
	"errors"
	"html/template"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/coder/websocket"
	"github.com/labstack/echo/v4"

	"github.com/barnteam/barnteam/server/board"
	"github.com/barnteam/barnteam/server/realtime"
	"github.com/barnteam/barnteam/server/secret"
)

// SessionTTL is how long a join link's session lasts.
const SessionTTL = 12 * time.Hour

// sessionCookie names the cookie of one member's session. One cookie per member lets a
// browser hold several people at once (the demo's three windows; later, a device handed
// over to the child) without one identity replacing another.
func (s *Server) sessionCookie(memberID string) string {
	if s.secure {
		return "__Host-bt-" + memberID
	}
	return "bt-" + memberID
}

// join turns a personal invite link into a session and redirects to the board, so the
// token leaves the address bar at once. Unknown, expired and revoked links all get the
// same 404. No Referer ever carries the token (Referrer-Policy: no-referrer).
func (s *Server) join(c echo.Context) error {
	token := c.Param("token")
	if len(token) < 20 || len(token) > 100 {
		return echo.ErrNotFound
	}
	ctx := c.Request().Context()
	now := time.Now()
	inv, err := s.cfg.Store.InviteByHash(ctx, secret.Hash(token), now)
	if errors.Is(err, board.ErrNotFound) {
		return echo.ErrNotFound
	}
	if err != nil {
		return err
	}
	stoken, shash := secret.NewToken()
	ss := board.Session{TokenHash: shash, MemberID: inv.MemberID, MeetingID: inv.MeetingID, CreatedAt: now, ExpiresAt: now.Add(SessionTTL)}
	if err := s.cfg.Store.CreateSession(ctx, ss); err != nil {
		return err
	}
	c.SetCookie(&http.Cookie{
		Name: s.sessionCookie(inv.MemberID), Value: stoken, Path: "/",
		Expires: ss.ExpiresAt, HttpOnly: true, Secure: s.secure, SameSite: http.SameSiteLaxMode,
	})
	return c.Redirect(http.StatusSeeOther, boardPath(inv.MeetingID, inv.MemberID))
}

func boardPath(meetingID, memberID string) string {
	return "/b/" + meetingID + "/" + memberID + "/"
}

// participant checks the session cookie of the member in the URL and returns who they are.
// Anything wrong is a plain 404, so URLs reveal nothing.
func (s *Server) participant(c echo.Context) (realtime.Participant, *board.Directory, error) {
	meetingID, memberID := c.Param("meeting"), c.Param("member")
	if !board.ValidID(meetingID) || !board.ValidID(memberID) {
		return realtime.Participant{}, nil, echo.ErrNotFound
	}
	ck, err := c.Cookie(s.sessionCookie(memberID))
	if err != nil || len(ck.Value) > 100 {
		return realtime.Participant{}, nil, echo.ErrNotFound
	}
	ctx := c.Request().Context()
	ss, err := s.cfg.Store.SessionByHash(ctx, secret.Hash(ck.Value), time.Now())
	if err != nil || ss.MemberID != memberID || ss.MeetingID != meetingID {
		if err != nil && !errors.Is(err, board.ErrNotFound) {
			return realtime.Participant{}, nil, err
		}
		return realtime.Participant{}, nil, echo.ErrNotFound
	}
	dir, err := s.hub.Directory(ctx, meetingID)
	if err != nil {
		return realtime.Participant{}, nil, err
	}
	me, ok := dir.Member(memberID)
	if !ok {
		return realtime.Participant{}, nil, echo.ErrNotFound
	}
	p := s.printer(c, me.Lang)
	return realtime.Participant{Member: me, Lang: p.Lang, View: "board"}, dir, nil
}

// boardPage renders the whole board as it is now, with the seq it shows; the client then
// connects with since=seq.
func (s *Server) boardPage(c echo.Context) error {
	return s.renderBoard(c, http.StatusOK, "", "", "")
}

func (s *Server) renderBoard(c echo.Context, code int, flash, flashKind, flashText string) error {
	part, dir, err := s.participant(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	meeting, err := s.cfg.Store.Meeting(ctx, c.Param("meeting"))
	if err != nil {
		return err
	}
	frags, seq, epoch, err := s.hub.Render(ctx, meeting.ID, part.Variant())
	if err != nil {
		return err
	}
	p := s.cfg.Catalog.Printer(part.Lang)
	data := pageData{
		P: p, Title: meeting.Title, Script: "js/board.js",
		Meeting: meeting, Dir: dir, Me: part.Member, Seq: seq, Epoch: epoch,
		WSPath: boardPath(meeting.ID, part.Member.ID) + "ws",
		Frags:  map[string]any{},
		Flash:  flash, FlashKind: flashKind, FlashText: flashText,
	}
	for _, f := range frags {
		h := template.HTML(f.HTML) // rendered by our own templates
		if strings.HasPrefix(f.Target, "area-") {
			data.AreaFrags = append(data.AreaFrags, h)
			continue
		}
		data.Frags[strings.ReplaceAll(f.Target, "-", "_")] = h
	}
	return s.render(c, code, "board", data)
}

// formOp applies an op posted by a plain HTML form (the board works without JavaScript),
// then redirects back to the board (post/redirect/get).
func (s *Server) formOp(c echo.Context) error {
	part, _, err := s.participant(c)
	if err != nil {
		return err
	}
	if err := c.Request().ParseForm(); err != nil {
		return echo.ErrBadRequest
	}
	op, err := opFromForm(c.Request().PostForm)
	p := s.cfg.Catalog.Printer(part.Lang)
	if err != nil {
		var be *board.Error
		if errors.As(err, &be) {
			return s.renderBoard(c, http.StatusUnprocessableEntity, p.T(be.Key, be.Args...), "error", "")
		}
		return echo.ErrBadRequest
	}
	ctx, cancel := context.WithTimeout(c.Request().Context(), 15*time.Second)
	defer cancel()
	res := s.hub.Submit(ctx, c.Param("meeting"), part, op)
	switch {
	case res.Reject != nil:
		// Keep what the person typed: show it with the message.
		text := c.Request().PostForm.Get("value")
		if op.Kind != board.OpSet {
			text = ""
		}
		return s.renderBoard(c, http.StatusUnprocessableEntity, p.T(res.Reject.Key, res.Reject.Args...), "error", text)
	case res.Err != nil:
		return s.renderBoard(c, http.StatusServiceUnavailable, p.T("op.unavailable"), "error", c.Request().PostForm.Get("value"))
	}
	return c.Redirect(http.StatusSeeOther, boardPath(c.Param("meeting"), part.Member.ID)+anchorFor(op.Ref()))
}

// anchorFor is the element to return to after a form post.
func anchorFor(r board.Ref) string {
	switch r.Kind {
	case board.EntityAgenda:
		return "#ag-" + r.ID
	case board.EntityCompass:
		return "#area-" + r.ID
	case board.EntityAction:
		return "#act-" + r.ID
	case board.EntityGoal:
		return "#goal-" + r.ID
	}
	return "#agenda"
}

// Form fields whose values are numbers or booleans; everything else is a string.
var (
	intFormFields  = map[string]bool{"timebox_min": true}
	boolFormFields = map[string]bool{"external": true}
)

// opFromForm builds an op from form fields: cid, op, entity, base, and for "set" field and
// value, for other kinds d.<name> data fields. The same names are what the JavaScript client
// reads from the same forms.
func opFromForm(f map[string][]string) (board.Op, error) {
	get := func(k string) string {
		if v := f[k]; len(v) > 0 {
			return v[len(v)-1] // a checkbox after its hidden "false" wins
		}
		return ""
	}
	typed := func(name, v string) any {
		switch {
		case intFormFields[name]:
			n, err := strconv.Atoi(strings.TrimSpace(v))
			if err != nil {
				return v // the domain refuses it with a clear message
			}
			return n
		case boolFormFields[name]:
			return v == "true"
		}
		return v
	}
	op := board.Op{CID: get("cid"), Kind: board.Kind(get("op")), Entity: get("entity")}
	if op.CID == "" {
		op.CID = "f" + secret.ID(21)
	}
	if b := get("base"); b != "" {
		n, err := strconv.ParseInt(b, 10, 64)
		if err != nil {
			return op, &board.Error{Code: board.CodeInvalid, Key: "op.invalid.base"}
		}
		op.Base = n
	}
	// "agenda/new" etc.: the server picks the id of a new item.
	if kind, id, ok := strings.Cut(op.Entity, "/"); ok && id == "new" && op.Kind == board.OpCreate {
		op.Entity = kind + "/" + secret.ID(16)
	}
	data := map[string]any{}
	if op.Kind == board.OpSet {
		field := get("field")
		data["field"] = field
		data["value"] = typed(field, get("value"))
	} else {
		for k := range f {
			if name, ok := strings.CutPrefix(k, "d."); ok {
				data[name] = typed(name, get(k))
			}
		}
	}
	raw, _ := json.Marshal(data)
	op.Data = raw
	if err := op.Validate(); err != nil {
		return op, err
	}
	return op, nil
}

// websocket upgrades to the live board. Accept checks the Origin against the request's
// host (and the public base URL's host); the session cookie says who this is.
func (s *Server) websocket(c echo.Context) error {
	part, _, err := s.participant(c)
	if err != nil {
		return err
	}
	since, err := strconv.ParseInt(c.QueryParam("since"), 10, 64)
	if err != nil {
		since = -1
	}
	ws, err := websocket.Accept(c.Response(), c.Request(), &websocket.AcceptOptions{OriginPatterns: s.origins})
	if err != nil {
		return nil // Accept has written the error response
	}
	s.hub.Serve(c.Request().Context(), ws, c.Param("meeting"), part, since, c.QueryParam("epoch"))
	return nil
}
