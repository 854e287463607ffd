package server

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"github.com/barnteam/barnteam/server/accounts"
	"github.com/barnteam/barnteam/server/board"
	"github.com/barnteam/barnteam/server/secret"
)

// The administration: organisations (verksamheter), staff users and the audit log.
// Administrators only; anyone else gets the plain 404 (requireAdmin), visitors who are not
// signed in go to the login page. Every change writes its audit row, and so does every
// look at the audit log. One-time password links are shown once, on the page that answers
// the POST that made them: they are never stored, logged or put in an address.

// adminRoutes registers the administration: organisations, staff users, the audit log.
func (s *Server) adminRoutes(g *echo.Group) {
	for _, r := range []struct {
		path string
		get  echo.HandlerFunc
		post echo.HandlerFunc
	}{
		{"/admin", s.adminHome, nil},
		{"/admin/orgs", s.adminOrgs, s.adminOrgCreate},
		{"/admin/orgs/:id", s.adminOrgForm, s.adminOrgUpdate},
		{"/admin/users", s.adminUsers, s.adminUserCreate},
		{"/admin/users/new", s.adminUserNew, nil},
		{"/admin/users/:id", s.adminUserForm, s.adminUserUpdate},
		{"/admin/users/:id/disable", nil, s.adminUserDisable},
		{"/admin/users/:id/enable", nil, s.adminUserEnable},
		{"/admin/users/:id/password", nil, s.adminUserForcePassword},
		{"/admin/audit", s.adminAudit, nil},
	} {
		// Every method goes through requireAdmin first, so a method a path does not
		// answer is a 404 for non-administrators too (a 405 would tell them it exists).
		g.Any(r.path, func(echo.Context) error { return echo.ErrMethodNotAllowed }, s.requireAdmin)
		if r.get != nil {
			g.GET(r.path, r.get, s.requireAdmin)
		}
		if r.post != nil {
			g.POST(r.path, r.post, s.requireAdmin)
		}
	}
}

// adminMu serialises the changes that check how many administrators are left, so two
// administrators disabling each other at once cannot leave none. (One process only: with
// several instances the store would need an atomic "change unless last admin".)
var adminMu sync.Mutex

// Limits of organisation fields.
const adminMaxOrgName = 200

// adminAuditPageSize is how many audit rows one page of the viewer shows.
const adminAuditPageSize = 100

// adminAuditActions lists every audit action, in the order the viewer's filter offers them.
var adminAuditActions = []board.AuditAction{
	board.AuditLogin, board.AuditLoginFailed, board.AuditLogout, board.AuditPasswordSet, board.AuditSetup,
	board.AuditUserCreated, board.AuditUserChanged, board.AuditOrgCreated, board.AuditOrgChanged,
	board.AuditTeamCreated, board.AuditTeamChanged, board.AuditMemberAdded, board.AuditMeetingCreated,
	board.AuditInviteCreated, board.AuditInviteRevoked, board.AuditJoin, board.AuditAdmitted,
	board.AuditTurnedAway, board.AuditRemoved, board.AuditRefused, board.AuditView, board.AuditEdit,
	board.AuditConsentGiven, board.AuditConsentWithdrawn, board.AuditCoordinatorHandover,
	board.AuditCofacilitator, board.AuditExport, board.AuditDownload, board.AuditAuditExtract,
	board.AuditChildMode, board.AuditDisplayOpened, board.AuditDisplayClosed, board.AuditDisplayView,
}

// adminDone are the confirmations a redirect after a change may ask for (?done=…).
var adminDone = map[string]bool{
	"org_created": true, "org_saved": true, "user_saved": true, "user_disabled": true, "user_enabled": true,
}

// adminPage is the data of every administration page; View says which one.
type adminPage struct {
	View  string // home, orgs, org, users, user_new, user, link, audit
	Error string
	Field string // the id of the field at fault, or ""
	Done  string // a confirmation after a change

	Huvudman []board.Huvudman
	Orgs     []board.Organisation
	Org      board.Organisation // the organisation form (new or edited)

	Users []adminUserRow
	User  board.User    // the user as stored (edit page, link page)
	Form  adminUserForm // what the user form shows
	Self  bool          // the edited user is the signed-in administrator

	// The one-time link page: shown once, never stored.
	Link      string
	LinkNew   bool // a new account (else a forced password change)
	LinkHours int
	LinkUntil string

	Audit *adminAudit
}

type adminUserRow struct {
	User    board.User
	OrgName string
}

// adminUserForm is the user form as typed.
type adminUserForm struct {
	Email, Name, OrgID, Title string
	Admin                     bool
}

func (s *Server) adminRender(c echo.Context, code int, titleKey string, page adminPage) error {
	p := s.printer(c, "")
	if done := c.QueryParam("done"); page.Error == "" && adminDone[done] {
		key := "admin.done." + done
		page.Done = p.T(key)
	}
	page.LinkHours = int(accounts.PasswordLinkTTL / time.Hour)
	title := p.T(titleKey)
	if page.View == "user" || page.View == "link" {
		title = p.T(titleKey, "name", page.User.Name)
	}
	data := pageData{P: p, Title: title, Page: page}
	if page.View == "link" {
		data.Script = "js/copy.js" // the copy button; without it the link is selected by hand
	}
	return s.render(c, code, "admin", data)
}

// adminFail re-renders a form with the refusal's message on its field.
func (s *Server) adminFail(c echo.Context, code int, titleKey string, page adminPage, err *board.Error) error {
	p := s.printer(c, "")
	page.Error, page.Field = p.T(err.Key, err.Args...), err.Field
	return s.adminRender(c, code, titleKey, page)
}

func adminInvalid(field, key string, args ...any) *board.Error {
	return &board.Error{Code: board.CodeInvalid, Field: field, Key: key, Args: args}
}

func (s *Server) adminHome(c echo.Context) error {
	return s.adminRender(c, http.StatusOK, "admin.title", adminPage{View: "home"})
}

// Organisations

func (s *Server) adminOrgs(c echo.Context) error {
	return s.adminOrgList(c, http.StatusOK, adminPage{Org: board.Organisation{Huvudman: board.HuvudmanKommun}})
}

func (s *Server) adminOrgList(c echo.Context, code int, page adminPage) error {
	orgs, err := s.cfg.Store.Organisations(ctxOf(c))
	if err != nil {
		return err
	}
	page.View, page.Orgs, page.Huvudman = "orgs", orgs, board.HuvudmanKinds
	return s.adminRender(c, code, "admin.orgs.title", page)
}

// adminOrgFromForm reads and checks the organisation form.
func adminOrgFromForm(c echo.Context) (board.Organisation, *board.Error) {
	o := board.Organisation{Name: strings.TrimSpace(c.FormValue("name")), Huvudman: board.Huvudman(c.FormValue("huvudman"))}
	if o.Name == "" || !utf8.ValidString(o.Name) || utf8.RuneCountInString(o.Name) > adminMaxOrgName || strings.ContainsAny(o.Name, "\r\n") {
		return o, adminInvalid("name", "admin.org.invalid.name", "count", adminMaxOrgName)
	}
	if !o.Huvudman.Valid() {
		return o, adminInvalid("huvudman", "admin.org.invalid.huvudman")
	}
	return o, nil
}

func (s *Server) adminOrgCreate(c echo.Context) error {
	o, bad := adminOrgFromForm(c)
	if bad != nil {
		page := adminPage{Org: o}
		p := s.printer(c, "")
		page.Error, page.Field = p.T(bad.Key, bad.Args...), bad.Field
		return s.adminOrgList(c, http.StatusUnprocessableEntity, page)
	}
	o.ID = secret.ID(12)
	if err := s.cfg.Store.CreateOrganisation(ctxOf(c), o); err != nil {
		return err
	}
	if err := s.auditStaff(c, board.AuditOrgCreated, "", "", "org "+o.ID); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/admin/orgs?done=org_created")
}

// adminOrg loads the organisation of the path, or answers 404.
func (s *Server) adminOrg(c echo.Context) (board.Organisation, error) {
	id := c.Param("id")
	if !board.ValidID(id) {
		return board.Organisation{}, echo.ErrNotFound
	}
	o, err := s.cfg.Store.Organisation(ctxOf(c), id)
	if errors.Is(err, board.ErrNotFound) {
		return o, echo.ErrNotFound
	}
	return o, err
}

func (s *Server) adminOrgForm(c echo.Context) error {
	o, err := s.adminOrg(c)
	if err != nil {
		return err
	}
	return s.adminRender(c, http.StatusOK, "admin.org.edit_title", adminPage{View: "org", Org: o, Huvudman: board.HuvudmanKinds})
}

func (s *Server) adminOrgUpdate(c echo.Context) error {
	old, err := s.adminOrg(c)
	if err != nil {
		return err
	}
	o, bad := adminOrgFromForm(c)
	o.ID = old.ID
	if bad != nil {
		return s.adminFail(c, http.StatusUnprocessableEntity, "admin.org.edit_title", adminPage{View: "org", Org: o, Huvudman: board.HuvudmanKinds}, bad)
	}
	if o != old {
		if err := s.cfg.Store.UpdateOrganisation(ctxOf(c), o); err != nil {
			return err
		}
		if err := s.auditStaff(c, board.AuditOrgChanged, "", "", "org "+o.ID); err != nil {
			return err
		}
	}
	return c.Redirect(http.StatusSeeOther, "/admin/orgs?done=org_saved")
}

// Staff users

func (s *Server) adminUsers(c echo.Context) error {
	ctx := ctxOf(c)
	users, err := s.cfg.Store.Users(ctx)
	if err != nil {
		return err
	}
	orgs, err := s.cfg.Store.Organisations(ctx)
	if err != nil {
		return err
	}
	names := map[string]string{}
	for _, o := range orgs {
		names[o.ID] = o.Name
	}
	rows := make([]adminUserRow, len(users))
	for i, u := range users {
		rows[i] = adminUserRow{User: u, OrgName: names[u.OrgID]}
	}
	return s.adminRender(c, http.StatusOK, "admin.users.title", adminPage{View: "users", Users: rows})
}

func (s *Server) adminUserNew(c echo.Context) error {
	return s.adminUserNewPage(c, http.StatusOK, adminPage{})
}

func (s *Server) adminUserNewPage(c echo.Context, code int, page adminPage) error {
	orgs, err := s.cfg.Store.Organisations(ctxOf(c))
	if err != nil {
		return err
	}
	page.View, page.Orgs = "user_new", orgs
	return s.adminRender(c, code, "admin.user.new_title", page)
}

func adminUserFormOf(c echo.Context) adminUserForm {
	return adminUserForm{Email: c.FormValue("email"), Name: c.FormValue("name"), OrgID: c.FormValue("org"),
		Title: c.FormValue("title"), Admin: c.FormValue("admin") == "1"}
}

func (s *Server) adminUserCreate(c echo.Context) error {
	ctx := ctxOf(c)
	f := adminUserFormOf(c)
	me := currentUser(c)
	actor := accounts.Actor{User: *me, OrgName: s.accounts.OrgName(ctx, me.OrgID), Address: c.RealIP()}
	u, link, err := s.accounts.AddUser(ctx, board.User{Email: f.Email, Name: f.Name, OrgID: f.OrgID, Title: f.Title, Admin: f.Admin}, actor)
	var be *board.Error
	if errors.As(err, &be) {
		p := s.printer(c, "")
		return s.adminUserNewPage(c, http.StatusUnprocessableEntity, adminPage{Form: f, Error: p.T(be.Key, be.Args...), Field: be.Field})
	}
	if err != nil {
		return err
	}
	return s.adminLinkPage(c, u, link, true)
}

// adminLinkPage shows a one-time password link, once. The response is not cached
// (Cache-Control: no-store on every page) and sends no Referer.
func (s *Server) adminLinkPage(c echo.Context, u board.User, link string, isNew bool) error {
	title := "admin.link.reset_title"
	if isNew {
		title = "admin.link.new_title"
	}
	until := s.cfg.Now().Add(accounts.PasswordLinkTTL).In(stockholm).Format("2006-01-02 15:04")
	return s.adminRender(c, http.StatusOK, title, adminPage{View: "link", User: u, Link: link, LinkNew: isNew, LinkUntil: until})
}

// adminUser loads the user of the path, or answers 404.
func (s *Server) adminUser(c echo.Context) (board.User, error) {
	id := c.Param("id")
	if !board.ValidID(id) {
		return board.User{}, echo.ErrNotFound
	}
	u, err := s.cfg.Store.User(ctxOf(c), id)
	if errors.Is(err, board.ErrNotFound) {
		return u, echo.ErrNotFound
	}
	return u, err
}

func (s *Server) adminUserForm(c echo.Context) error {
	u, err := s.adminUser(c)
	if err != nil {
		return err
	}
	f := adminUserForm{Email: u.Email, Name: u.Name, OrgID: u.OrgID, Title: u.Title, Admin: u.Admin}
	return s.adminUserPage(c, http.StatusOK, adminPage{User: u, Form: f})
}

func (s *Server) adminUserPage(c echo.Context, code int, page adminPage) error {
	orgs, err := s.cfg.Store.Organisations(ctxOf(c))
	if err != nil {
		return err
	}
	page.View, page.Orgs, page.Self = "user", orgs, page.User.ID == currentUser(c).ID
	return s.adminRender(c, code, "admin.user.edit_title", page)
}

// adminUserRefused re-renders the user page with a refusal; the form shows the user as
// stored unless a form was typed.
func (s *Server) adminUserRefused(c echo.Context, u board.User, f *adminUserForm, bad *board.Error) error {
	page := adminPage{User: u, Form: adminUserForm{Email: u.Email, Name: u.Name, OrgID: u.OrgID, Title: u.Title, Admin: u.Admin}}
	if f != nil {
		page.Form = *f
	}
	p := s.printer(c, "")
	page.Error, page.Field = p.T(bad.Key, bad.Args...), bad.Field
	return s.adminUserPage(c, http.StatusUnprocessableEntity, page)
}

// adminLastAdmin reports whether u is the only enabled administrator.
func (s *Server) adminLastAdmin(ctx context.Context, u board.User) (bool, error) {
	if !u.Admin || u.Disabled {
		return false, nil
	}
	n, err := s.cfg.Store.CountAdmins(ctx)
	return n <= 1, err
}

func (s *Server) adminUserUpdate(c echo.Context) error {
	adminMu.Lock()
	defer adminMu.Unlock()
	ctx := ctxOf(c)
	old, err := s.adminUser(c)
	if err != nil {
		return err
	}
	f := adminUserFormOf(c)
	f.Email = old.Email // the login name does not change here
	u := old
	u.Name, u.OrgID, u.Title, u.Admin = f.Name, f.OrgID, f.Title, f.Admin
	if err := accounts.CleanUser(ctx, s.cfg.Store, &u); err != nil {
		var be *board.Error
		if errors.As(err, &be) {
			return s.adminUserRefused(c, old, &f, be)
		}
		return err
	}
	if old.Admin && !u.Admin {
		last, err := s.adminLastAdmin(ctx, old)
		if err != nil {
			return err
		}
		if last {
			return s.adminUserRefused(c, old, &f, adminInvalid("admin", "admin.user.invalid.last_admin"))
		}
		if old.ID == currentUser(c).ID {
			return s.adminUserRefused(c, old, &f, adminInvalid("admin", "admin.user.invalid.self_admin"))
		}
	}
	var changed []string
	if u.Name != old.Name {
		changed = append(changed, "name")
	}
	if u.OrgID != old.OrgID {
		changed = append(changed, "org")
	}
	if u.Title != old.Title {
		changed = append(changed, "title")
	}
	if u.Admin != old.Admin {
		changed = append(changed, map[bool]string{true: "admin_granted", false: "admin_revoked"}[u.Admin])
	}
	if len(changed) > 0 {
		if err := s.cfg.Store.UpdateUser(ctx, u); err != nil {
			return err
		}
		if err := s.auditStaff(c, board.AuditUserChanged, "", "", "user "+u.ID+" "+strings.Join(changed, " ")); err != nil {
			return err
		}
	}
	return c.Redirect(http.StatusSeeOther, "/admin/users/"+u.ID+"?done=user_saved")
}

func (s *Server) adminUserDisable(c echo.Context) error {
	adminMu.Lock()
	defer adminMu.Unlock()
	ctx := ctxOf(c)
	u, err := s.adminUser(c)
	if err != nil {
		return err
	}
	if !u.Disabled {
		last, err := s.adminLastAdmin(ctx, u)
		if err != nil {
			return err
		}
		if last {
			return s.adminUserRefused(c, u, nil, adminInvalid("", "admin.user.invalid.last_admin_disable"))
		}
		if u.ID == currentUser(c).ID {
			return s.adminUserRefused(c, u, nil, adminInvalid("", "admin.user.invalid.self_disable"))
		}
		u.Disabled = true
		if err := s.cfg.Store.UpdateUser(ctx, u); err != nil {
			return err
		}
		// Their sessions end and their live connections close now, within this request.
		if err := s.endUserSessions(ctx, u.ID); err != nil {
			return err
		}
		if err := s.auditStaff(c, board.AuditUserChanged, "", "", "user "+u.ID+" disabled"); err != nil {
			return err
		}
	}
	return c.Redirect(http.StatusSeeOther, "/admin/users/"+u.ID+"?done=user_disabled")
}

func (s *Server) adminUserEnable(c echo.Context) error {
	adminMu.Lock()
	defer adminMu.Unlock()
	u, err := s.adminUser(c)
	if err != nil {
		return err
	}
	if u.Disabled {
		u.Disabled = false
		if err := s.cfg.Store.UpdateUser(ctxOf(c), u); err != nil {
			return err
		}
		if err := s.auditStaff(c, board.AuditUserChanged, "", "", "user "+u.ID+" enabled"); err != nil {
			return err
		}
	}
	return c.Redirect(http.StatusSeeOther, "/admin/users/"+u.ID+"?done=user_enabled")
}

// adminUserForcePassword makes the user choose a new password: their sessions end, their
// next login goes to the password page, and a fresh one-time link is shown once.
func (s *Server) adminUserForcePassword(c echo.Context) error {
	ctx := ctxOf(c)
	u, err := s.adminUser(c)
	if err != nil {
		return err
	}
	if u.ID == currentUser(c).ID {
		return s.adminUserRefused(c, u, nil, adminInvalid("", "admin.user.invalid.self_password"))
	}
	if u.Disabled {
		return s.adminUserRefused(c, u, nil, adminInvalid("", "admin.user.invalid.disabled_password"))
	}
	u.MustChangePassword = true
	if err := s.cfg.Store.UpdateUser(ctx, u); err != nil {
		return err
	}
	if err := s.endUserSessions(ctx, u.ID); err != nil {
		return err
	}
	if err := s.auditStaff(c, board.AuditUserChanged, "", "", "user "+u.ID+" must_change_password"); err != nil {
		return err
	}
	link, err := s.accounts.PasswordLink(ctx, u.ID)
	if err != nil {
		return err
	}
	return s.adminLinkPage(c, u, link, false)
}

// The audit log

// adminAudit is the audit viewer's data.
type adminAudit struct {
	// The filter as typed.
	Team, User, Action, From, To string

	Teams   []adminOption
	Users   []adminOption
	Actions []adminOption

	Rows   []adminAuditRow
	Older  string // the address of the next page of older rows, or ""
	Paged  bool   // this is not the newest page
	Newest string // the first page with the same filter
}

type adminOption struct {
	Value, Label string
}

type adminAuditRow struct {
	ID      int64
	At      string // Swedish time, for people
	AtISO   string // for <time datetime>
	Actor   string
	Org     string
	Address string
	Action  string // readable
	Child   string // "Alva (2017)", or ""
	TeamID  string // when the team is gone
	Meeting string // the meeting's scheduled time, or its id when it is gone
	Target  string
	Guest   bool // a guest (member without an account)
}

func (s *Server) adminAudit(c echo.Context) error {
	ctx := ctxOf(c)
	p := s.printer(c, "")
	q := c.QueryParams()
	view := &adminAudit{Team: q.Get("team"), User: q.Get("user"), Action: q.Get("action"),
		From: strings.TrimSpace(q.Get("from")), To: strings.TrimSpace(q.Get("to"))}
	f := board.AuditFilter{TeamID: view.Team, UserID: view.User, Action: board.AuditAction(view.Action), Limit: adminAuditPageSize + 1}
	var bad *board.Error
	switch {
	case view.Team != "" && !board.ValidID(view.Team):
		bad = adminInvalid("team", "admin.audit.invalid.team")
	case view.User != "" && !board.ValidID(view.User):
		bad = adminInvalid("user", "admin.audit.invalid.user")
	case view.Action != "" && !slices.Contains(adminAuditActions, f.Action):
		bad = adminInvalid("action", "admin.audit.invalid.action")
	}
	if bad == nil && view.From != "" {
		t, err := time.ParseInLocation(time.DateOnly, view.From, stockholm)
		if err != nil {
			bad = adminInvalid("from", "admin.audit.invalid.date")
		}
		f.From = t
	}
	if bad == nil && view.To != "" {
		t, err := time.ParseInLocation(time.DateOnly, view.To, stockholm)
		if err != nil {
			bad = adminInvalid("to", "admin.audit.invalid.date")
		}
		f.To = t.AddDate(0, 0, 1) // the whole day, in Swedish time
	}
	if bad == nil && !f.From.IsZero() && !f.To.IsZero() && !f.From.Before(f.To) {
		bad = adminInvalid("to", "admin.audit.invalid.period")
	}
	if before := q.Get("before"); bad == nil && before != "" {
		n, err := strconv.ParseInt(before, 10, 64)
		if err != nil || n <= 0 {
			return echo.ErrBadRequest
		}
		f.BeforeID, view.Paged = n, true
	}
	page := adminPage{View: "audit", Audit: view}
	code := http.StatusOK
	var entries []board.AuditEntry
	if bad != nil {
		page.Error, page.Field, code = p.T(bad.Key, bad.Args...), bad.Field, http.StatusUnprocessableEntity
	} else {
		// Looking at the log is itself audited (for the child concerned, when filtered
		// by one), before anything is shown.
		if err := s.auditStaff(c, board.AuditAuditExtract, f.TeamID, "", "admin view"); err != nil {
			return err
		}
		var err error
		if entries, err = s.cfg.Store.Audit(ctx, f); err != nil {
			return err
		}
		if len(entries) > adminAuditPageSize {
			entries = entries[:adminAuditPageSize]
			older := adminAuditQuery(view)
			older.Set("before", strconv.FormatInt(entries[len(entries)-1].ID, 10))
			view.Older = "/admin/audit?" + older.Encode()
		}
		newest := adminAuditQuery(view).Encode()
		view.Newest = "/admin/audit"
		if newest != "" {
			view.Newest += "?" + newest
		}
	}
	if err := s.adminAuditRows(ctx, p.T, view, entries); err != nil {
		return err
	}
	if err := s.adminAuditOptions(ctx, p.T, view); err != nil {
		return err
	}
	return s.adminRender(c, code, "admin.audit.title", page)
}

// adminAuditQuery is the viewer's filter as query parameters (without paging).
func adminAuditQuery(v *adminAudit) url.Values {
	q := url.Values{}
	for k, x := range map[string]string{"team": v.Team, "user": v.User, "action": v.Action, "from": v.From, "to": v.To} {
		if x != "" {
			q.Set(k, x)
		}
	}
	return q
}

type adminTranslate func(key string, args ...any) string

// adminAuditRows turns audit entries into rows for people: Swedish time, readable
// actions, the child by first name and birth year, the meeting by its time.
func (s *Server) adminAuditRows(ctx context.Context, t adminTranslate, v *adminAudit, entries []board.AuditEntry) error {
	teams := map[string]*board.Team{}
	meetings := map[string]*board.Meeting{}
	for _, e := range entries {
		r := adminAuditRow{ID: e.ID, At: e.At.In(stockholm).Format("2006-01-02 15:04:05"), AtISO: e.At.UTC().Format(time.RFC3339),
			Actor: e.ActorName, Org: e.OrgName, Address: e.Address, Action: t("admin.action." + string(e.Action)),
			Target: e.Target, Guest: e.MemberID != "" && e.UserID == ""}
		if e.TeamID != "" {
			tm, err := adminLookup(ctx, teams, e.TeamID, s.cfg.Store.Team)
			if err != nil {
				return err
			}
			if tm != nil {
				r.Child = t("admin.audit.child", "name", tm.ChildFirstName, "year", tm.ChildBirthYear)
			} else {
				r.TeamID = e.TeamID
			}
		}
		if e.MeetingID != "" {
			m, err := adminLookup(ctx, meetings, e.MeetingID, s.cfg.Store.Meeting)
			if err != nil {
				return err
			}
			if m != nil && !m.ScheduledAt.IsZero() {
				r.Meeting = m.ScheduledAt.In(stockholm).Format("2006-01-02 15:04")
			} else {
				r.Meeting = e.MeetingID
			}
		}
		v.Rows = append(v.Rows, r)
	}
	return nil
}

// adminLookup reads a row once per page; a row that is gone is nil.
func adminLookup[T any](ctx context.Context, cache map[string]*T, id string, get func(context.Context, string) (T, error)) (*T, error) {
	if x, ok := cache[id]; ok {
		return x, nil
	}
	x, err := get(ctx, id)
	switch {
	case errors.Is(err, board.ErrNotFound):
		cache[id] = nil
		return nil, nil
	case err != nil:
		return nil, err
	}
	cache[id] = &x
	return &x, nil
}

// adminAuditOptions fills the filter's choices: every staff user and every child's team.
func (s *Server) adminAuditOptions(ctx context.Context, t adminTranslate, v *adminAudit) error {
	users, err := s.cfg.Store.Users(ctx)
	if err != nil {
		return err
	}
	for _, u := range users {
		v.Users = append(v.Users, adminOption{Value: u.ID, Label: t("admin.audit.user_option", "name", u.Name, "email", u.Email)})
	}
	teams, err := s.cfg.Store.Teams(ctx)
	if err != nil {
		return err
	}
	for i, tm := range teams { // ordered by child's name and birth year by the store
		label := t("admin.audit.child", "name", tm.ChildFirstName, "year", tm.ChildBirthYear)
		// Two children of one name and year are told apart by when their team began.
		same := func(j int) bool {
			return j >= 0 && j < len(teams) && teams[j].ChildFirstName == tm.ChildFirstName && teams[j].ChildBirthYear == tm.ChildBirthYear
		}
		if same(i-1) || same(i+1) {
			label = t("admin.audit.team_since", "child", label, "date", tm.CreatedAt.In(stockholm).Format(time.DateOnly))
		}
		v.Teams = append(v.Teams, adminOption{Value: tm.ID, Label: label})
	}
	for _, a := range adminAuditActions {
		v.Actions = append(v.Actions, adminOption{Value: string(a), Label: t("admin.action." + string(a))})
	}
	return nil
}
