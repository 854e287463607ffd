package server

import (
	"context"
	"encoding/hex"
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

// The board pages: who may see a meeting and as whom (roomAccess), the board itself, the
// lobby page for those not let in yet, the WebSocket and the no-JavaScript form path.

// GuestSessionTTL is how long a personal link's session lasts: a meeting day.
const GuestSessionTTL = 12 * time.Hour

func boardPath(meetingID, memberID string) string {
	return "/b/" + meetingID + "/" + memberID + "/"
}

// roomAccess is what one request may see of one meeting, and as whom. Exactly one of
// User and Session is set. When Lobby is set the person waits and sees no board content.
type roomAccess struct {
	Dir     *board.Directory
	Member  board.Member
	User    *board.User
	Session *board.Session
	Lobby   *realtime.LobbyEntry
	Denied  bool // turned away from the lobby
	Removed bool // taken out of the meeting by the coordinator
	Lang    string
}

// Admitted reports whether the person may see the board.
func (a *roomAccess) Admitted() bool { return a.Lobby == nil && !a.Denied && !a.Removed }

// Participant is the realtime identity of the access.
func (a *roomAccess) Participant() realtime.Participant {
	p := realtime.Participant{Member: a.Member, Lang: a.Lang, View: viewBoard, Lobby: a.Lobby}
	if a.Member.Role == board.RoleChild {
		p.View = viewChild
	}
	if a.User != nil {
		p.UserID = a.User.ID
	}
	if a.Session != nil {
		p.GuestSession = string(a.Session.TokenHash)
		p.Expires = a.Session.ExpiresAt
	}
	return p
}

// roomAccess works out who the request is for the meeting and member in its path: a
// guest session for that member, or the signed-in staff user whose member it is. Anything
// else is the same plain 404, so addresses reveal nothing.
func (s *Server) roomAccess(c echo.Context) (*roomAccess, error) {
	meetingID, memberID := c.Param("meeting"), c.Param("member")
	if !board.ValidID(meetingID) || !board.ValidID(memberID) {
		return nil, echo.ErrNotFound
	}
	ctx := c.Request().Context()
	dir, err := s.hub.Directory(ctx, meetingID)
	if errors.Is(err, board.ErrNotFound) {
		return nil, echo.ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	me, ok := dir.Member(memberID)
	if !ok {
		return nil, echo.ErrNotFound
	}
	a := &roomAccess{Dir: dir, Member: me}
	if token := s.cookie(c, "bt-"+memberID); token != "" {
		ss, err := s.cfg.Store.SessionByHash(ctx, secret.Hash(token), s.cfg.Now())
		switch {
		case err == nil && ss.MemberID == memberID && ss.MeetingID == meetingID:
			a.Session = &ss
		case err != nil && !errors.Is(err, board.ErrNotFound):
			return nil, err
		}
	}
	if u := currentUser(c); a.Session == nil && u != nil && me.UserID != "" && me.UserID == u.ID {
		a.User = u
	}
	if a.Session == nil && a.User == nil {
		return nil, echo.ErrNotFound
	}
	removed, err := s.cfg.Store.Removed(ctx, meetingID)
	if err != nil {
		return nil, err
	}
	_, a.Removed = removed[memberID]
	if a.Session != nil {
		a.Denied = !a.Session.DeniedAt.IsZero()
		if a.Session.Waiting() {
			a.Lobby = &realtime.LobbyEntry{Key: hex.EncodeToString(a.Session.TokenHash), Member: me, Reason: realtime.ReasonAdmission}
		}
	}
	if a.Lobby == nil && board.NeedsConsent(me) {
		covered, err := s.coveredOrgs(ctx, dir)
		if err != nil {
			return nil, err
		}
		if !covered[me.OrgID] {
			a.Lobby = &realtime.LobbyEntry{Key: "member:" + me.ID, Member: me, Reason: realtime.ReasonConsent}
		}
	}
	if a.Lobby != nil {
		if o, ok := dir.Org(me.OrgID); ok {
			a.Lobby.OrgName = o.Name
		}
	}
	a.Lang = s.printer(c, me.Lang).Lang
	return a, nil
}

// stockholm is the time zone of consent dates and of times shown to people.
var stockholm = func() *time.Location {
	loc, err := time.LoadLocation("Europe/Stockholm")
	if err != nil {
		panic(err) // time/tzdata is embedded (tzdata.go), so this cannot fail
	}
	return loc
}()

// today is the civil date in Sweden.
func (s *Server) today() string { return s.cfg.Now().In(stockholm).Format(time.DateOnly) }

// coveredOrgs are the organisations valid consent covers today in a meeting's team.
func (s *Server) coveredOrgs(ctx context.Context, dir *board.Directory) (map[string]bool, error) {
	consents, err := s.cfg.Store.Consents(ctx, dir.Team.ID)
	if err != nil {
		return nil, err
	}
	return board.CoveredOrgs(consents, dir.Members, s.today()), nil
}

// audit writes an audit row about a meeting on behalf of the person of a roomAccess.
func (s *Server) auditRoom(ctx context.Context, a *roomAccess, action board.AuditAction, target string) error {
	e := board.AuditEntry{At: s.cfg.Now(), MemberID: a.Member.ID, ActorName: a.Member.Name, OrgID: a.Member.OrgID,
		Action: action, TeamID: a.Dir.Team.ID, MeetingID: a.Dir.Meeting.ID, Target: target}
	if o, ok := a.Dir.Org(a.Member.OrgID); ok {
		e.OrgName = o.Name
	}
	if a.User != nil {
		e.UserID = a.User.ID
	}
	return s.cfg.Store.AppendAudit(ctx, e)
}

// boardPage renders the board as it is now with the seq it shows (the client then
// connects with since=seq), or the lobby, turned-away or removed page.
func (s *Server) boardPage(c echo.Context) error {
	a, err := s.roomAccess(c)
	if err != nil {
		return err
	}
	if !a.Admitted() {
		return s.renderOutside(c, a)
	}
	if err := s.auditRoom(c.Request().Context(), a, board.AuditView, "page"); err != nil {
		return err
	}
	return s.renderBoard(c, a, http.StatusOK, "", "", "")
}

type outsidePage struct {
	Member  board.Member
	Child   string
	WSPath  string
	Reason  string
	Denied  bool
	Removed bool
}

// renderOutside is the page for someone not (or no longer) let in. It holds no board
// content: the child's first name and the person's own name, nothing else.
func (s *Server) renderOutside(c echo.Context, a *roomAccess) error {
	p := s.cfg.Catalog.Printer(a.Lang)
	page := outsidePage{Member: a.Member, Child: a.Dir.Team.ChildFirstName, Denied: a.Denied, Removed: a.Removed}
	code := http.StatusForbidden
	title := p.T("lobby.removed_title")
	script := ""
	switch {
	case a.Removed:
	case a.Denied:
		title = p.T("lobby.denied_title")
	default:
		code, title, script = http.StatusOK, p.T("lobby.title"), "js/lobby.js"
		page.Reason = a.Lobby.Reason
		page.WSPath = boardPath(a.Dir.Meeting.ID, a.Member.ID) + "ws"
	}
	return s.render(c, code, "lobby", pageData{P: p, Title: title, Script: script, Page: page})
}

func (s *Server) renderBoard(c echo.Context, a *roomAccess, code int, flash, flashKind, flashText string) error {
	ctx := c.Request().Context()
	meeting := a.Dir.Meeting
	part := a.Participant()
	frags, seq, epoch, err := s.hub.Render(ctx, meeting.ID, part)
	if err != nil {
		return err
	}
	p := s.cfg.Catalog.Printer(a.Lang)
	data := pageData{
		P: p, Title: meeting.Title, Script: "js/board.js",
		Meeting: meeting, Dir: a.Dir, Me: a.Member, Seq: seq, Epoch: epoch,
		WSPath: boardPath(meeting.ID, a.Member.ID) + "ws",
		Frags:  map[string]any{},
		Flash:  flash, FlashKind: flashKind, FlashText: flashText,
	}
	if part.View == viewChild {
		return s.renderChild(c, a, code, data, frags)
	}
	if _, ok := childOf(a.Dir); ok && a.Member.Role != board.RoleChild {
		data.ChildModeURL = boardPath(meeting.ID, a.Member.ID) + "child-mode"
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
	a, err := s.roomAccess(c)
	if err != nil {
		return err
	}
	if !a.Admitted() {
		return s.renderOutside(c, a)
	}
	if err := c.Request().ParseForm(); err != nil {
		return echo.ErrBadRequest
	}
	op, err := opFromForm(c.Request().PostForm)
	p := s.cfg.Catalog.Printer(a.Lang)
	if err != nil {
		var be *board.Error
		if errors.As(err, &be) {
			return s.renderBoard(c, a, http.StatusUnprocessableEntity, p.T(be.Key, be.Args...), "error", "")
		}
		return echo.ErrBadRequest
	}
	ctx, cancel := context.WithTimeout(c.Request().Context(), 15*time.Second)
	defer cancel()
	res := s.hub.Submit(ctx, a.Dir.Meeting.ID, a.Participant(), op)
	switch {
	case res.Reject != nil:
		// Keep what the person typed: show it with the message.
		text := c.Request().PostForm.Get("value")
		if op.Kind != board.OpSet {
			text = ""
		}
		return s.renderBoard(c, a, http.StatusUnprocessableEntity, p.T(res.Reject.Key, res.Reject.Args...), "error", text)
	case res.Err != nil:
		return s.renderBoard(c, a, http.StatusServiceUnavailable, p.T("op.unavailable"), "error", c.Request().PostForm.Get("value"))
	}
	if op.Kind == board.OpSign && c.Request().PostForm.Get("back") == "plan" {
		// From the plan page: back to it, where the person reads that their approval is in.
		return c.Redirect(http.StatusSeeOther, boardPath(a.Dir.Meeting.ID, a.Member.ID)+"plan?signed=1#signed")
	}
	anchor := anchorFor(op.Ref())
	if next := c.Request().PostForm.Get("next"); validAnchor(next) {
		anchor = next // the child view returns to its step
	}
	return c.Redirect(http.StatusSeeOther, boardPath(a.Dir.Meeting.ID, a.Member.ID)+anchor)
}

// validAnchor reports whether s is an anchor of our own pages ("#q-trygghet"): a form
// may name where to return to, but nothing else.
func validAnchor(s string) bool {
	if len(s) < 2 || len(s) > 40 || s[0] != '#' {
		return false
	}
	return board.ValidID(s[1:])
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
	intFormFields  = map[string]bool{"timebox_min": true, "version": true, "priority": true, "minutes": true}
	boolFormFields = map[string]bool{"external": true, "shared": true, "proposed": true}
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

// websocket upgrades to the live board, or to the lobby for someone not let in yet.
// Accept checks the Origin against the request's host (and the public base URL's host);
// the session says who this is.
func (s *Server) websocket(c echo.Context) error {
	a, err := s.roomAccess(c)
	if err != nil {
		return err
	}
	if a.Denied || a.Removed {
		return echo.ErrForbidden
	}
	since, epoch := sinceOf(c)
	ws, err := websocket.Accept(c.Response(), c.Request(), &websocket.AcceptOptions{OriginPatterns: s.origins})
	if err != nil {
		return nil // Accept has written the error response
	}
	if a.Admitted() {
		if err := s.auditRoom(c.Request().Context(), a, board.AuditView, "live"); err != nil {
			ws.Close(realtime.CloseTryAgain, "")
			return nil
		}
	}
	p := a.Participant()
	if token, _ := c.Get(ctxStaffToken).(string); a.User != nil && token != "" {
		p.StaffSession = string(secret.Hash(token))
		p.Expires, _ = c.Get(ctxStaffExpires).(time.Time)
	}
	s.hub.Serve(c.Request().Context(), ws, a.Dir.Meeting.ID, p, since, epoch)
	return nil
}

// sinceOf reads a WebSocket's resume position: the seq and epoch the client has; a
// missing or unreadable since asks for a snapshot (-1).
func sinceOf(c echo.Context) (int64, string) {
	since, err := strconv.ParseInt(c.QueryParam("since"), 10, 64)
	if err != nil {
		since = -1
	}
	return since, c.QueryParam("epoch")
}
