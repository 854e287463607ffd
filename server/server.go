// Package server is the HTTP layer: Echo routes, middleware, sessions and page rendering.
// It wires the domain (board), storage (board.Store) and the live board (realtime)
// together; none of those know about it.
package server

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"

	"github.com/barnteam/barnteam/exports"
	"github.com/barnteam/barnteam/server/accounts"
	"github.com/barnteam/barnteam/server/auth"
	"github.com/barnteam/barnteam/server/board"
	"github.com/barnteam/barnteam/server/i18n"
	"github.com/barnteam/barnteam/server/metrics"
	"github.com/barnteam/barnteam/server/realtime"
	"github.com/barnteam/barnteam/static"
)

// Config is what the server needs; cmd/barnteam builds it from flags and environment.
type Config struct {
	BaseURL string // public URL, e.g. https://barnteam.example.se; links and cookies follow it
	Store   board.Store
	Catalog *i18n.Catalog
	Log     *slog.Logger
	Hub     realtime.Options
	// Now is the clock (tests move it); nil means time.Now.
	Now func() time.Time
	// LegalBasis names the rules Barnets plan is made under (nil: DefaultLegalBasis).
	LegalBasis []string
	// ChildSignAge is the age from which the child's agreement to the plan is required
	// (0: board.DefaultChildSignAge).
	ChildSignAge int
	// Signer seals every plan version with the server's Ed25519 key (required).
	Signer *exports.Signer
	// Retention is how long an established plan can be downloaded (0: DefaultRetention).
	Retention time.Duration
}

// Server serves pages, the live board and static assets.
type Server struct {
	cfg      Config
	accounts *accounts.Service
	// unlockLimiter counts wrong child-mode codes per child-mode session; screenLimiter
	// counts wrong shared-screen codes per address.
	unlockLimiter *auth.Limiter
	screenLimiter *auth.Limiter
	verifyLimiter *auth.Limiter
	signer        *exports.Signer
	base          *url.URL
	echo          *echo.Echo
	hub           *realtime.Hub
	views         *views
	assets        string // content hash prefix of static assets
	secure        bool   // cookies get Secure and the __Host- prefix
	origins       []string
	metrics       *metrics.Registry
	httpRequests  map[int]*metrics.Counter // by status class (2 for 2xx, …)
	// pdfMaking lets one plan PDF be made at a time: when a plan is established everyone
	// in the room downloads it at once, and one drawing (then kept) serves them all, while
	// the live board keeps the other core.
	pdfMaking sync.Mutex
	pdfsMade  *metrics.Counter
	pdfTime   *metrics.Histogram
}

// New builds a server.
func New(cfg Config) (*Server, error) {
	base, err := url.Parse(cfg.BaseURL)
	if err != nil || base.Host == "" || (base.Scheme != "http" && base.Scheme != "https") {
		return nil, fmt.Errorf("base URL %q must be an absolute http(s) URL", cfg.BaseURL)
	}
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.ChildSignAge <= 0 {
		cfg.ChildSignAge = board.DefaultChildSignAge
	}
	s := &Server{cfg: cfg, base: base,
		unlockLimiter: auth.NewLimiter(unlockAttempts, unlockLockedFor),
		screenLimiter: auth.NewLimiter(screenCodeAttempts, screenCodeWindow),
		verifyLimiter: auth.NewLimiter(verifyCodeAttempts, verifyCodeWindow),
		signer:        cfg.Signer}
	if s.signer == nil {
		return nil, errors.New("server: no plan signer (exports.LoadOrCreateSigner)")
	}
	if s.accounts, err = accounts.New(cfg.Store, cfg.BaseURL, cfg.Now); err != nil {
		return nil, err
	}
	// Browsers accept Secure cookies on http://localhost, so development keeps the
	// __Host- prefix too; only plain http on another host goes without it.
	s.secure = base.Scheme == "https" || isLoopback(base.Hostname())
	if s.assets, err = hashFS(static.FS); err != nil {
		return nil, err
	}
	if s.views, err = newViews(cfg.Catalog, s.assetURL); err != nil {
		return nil, fmt.Errorf("templates: %w", err)
	}
	s.origins = append([]string{base.Host}, cfg.Hub.OriginPatterns...)
	s.metrics = metrics.New()
	s.registerMetrics(s.metrics)
	hubOpt := cfg.Hub
	hubOpt.Now, hubOpt.MakePlan, hubOpt.ChildSignAge = cfg.Now, s.makePlan, cfg.ChildSignAge
	hubOpt.Metrics, hubOpt.StillAllowed = s.metrics, s.stillAllowed
	s.hub = realtime.NewHub(cfg.Store, boardRenderer{v: s.views, childSignAge: cfg.ChildSignAge, now: cfg.Now, items: newItemCache()}, cfg.Log, hubOpt)
	s.echo = s.routes()
	return s, nil
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// Handler returns the HTTP handler.
func (s *Server) Handler() http.Handler { return s.echo }

// Routes lists every route (for tests that check a rule on all of them).
func (s *Server) Routes() []*echo.Route { return s.echo.Routes() }

// Accounts returns the staff sign-in service (the setup link at start, for one).
func (s *Server) Accounts() *accounts.Service { return s.accounts }

// Hub returns the live board hub.
func (s *Server) Hub() *realtime.Hub { return s.hub }

// Shutdown closes every live connection with a "reconnect" code. Call it before
// http.Server.Shutdown, which does not close hijacked connections.
func (s *Server) Shutdown(ctx context.Context) { s.hub.Shutdown(ctx) }

func (s *Server) routes() *echo.Echo {
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.HTTPErrorHandler = s.errorHandler
	e.Use(s.accessLog)
	e.Use(s.securityHeaders)
	// A whole board is about 100 KB of HTML and compresses about tenfold: that is what
	// makes the first load bearable on a phone on a weak network. No secret is ever in a
	// page body (sessions live in cookies; CSRF protection is by origin), so BREACH-style
	// attacks have nothing to find. The WebSocket is not compressed here.
	e.Use(middleware.GzipWithConfig(middleware.GzipConfig{
		MinLength: 1024,
		Skipper:   func(c echo.Context) bool { return strings.HasSuffix(c.Request().URL.Path, "/ws") },
	}))
	e.Use(echo.WrapMiddleware(crossOrigin().Handler))
	// No forwarding header is trusted: behind a reverse proxy the proxy's address is the
	// client's, until deployment configuration says otherwise.
	e.IPExtractor = echo.ExtractIPDirect()

	e.GET("/healthz", s.healthz)
	e.GET("/readyz", s.ready)
	e.GET("/static/:hash/*", s.static)

	// Everything below knows the signed-in staff user, if any.
	// A device in child mode stays on the child view (childLock), so it runs first.
	g := e.Group("", s.childLock, s.loadUser)
	g.GET("/", s.home)

	// Staff sign-in.
	g.GET("/login", s.loginForm)
	g.POST("/login", s.login)
	g.POST("/logout", s.logout)
	g.GET("/a/:token", s.accountLink)
	g.GET("/account/link", s.accountLinkForm)
	g.POST("/account/link", s.accountLinkSubmit)
	g.GET("/account/password", s.passwordForm, s.requireUser)
	g.POST("/account/password", s.passwordSubmit, s.requireUser)

	// Personal links and the lobby.
	g.GET("/j/:token", s.inviteLink)
	g.GET("/join", s.joinForm)
	g.POST("/join", s.joinConfirm)
	g.GET("/join/not-me", s.joinNotMe)

	// One meeting's board, as one member.
	g.GET("/b/:meeting/:member/", s.boardPage)
	g.POST("/b/:meeting/:member/op", s.formOp)
	g.GET("/b/:meeting/:member/ws", s.websocket)
	g.POST("/b/:meeting/:member/lobby", s.lobbyDecision)
	g.POST("/b/:meeting/:member/remove", s.removeMember)
	g.POST("/b/:meeting/:member/cofacilitator", s.setCofacilitator)
	g.POST("/b/:meeting/:member/handover", s.handover)
	g.POST("/b/:meeting/:member/lower-hand", s.lowerHand)
	g.GET("/b/:meeting/:member/child-mode", s.childModeForm)
	g.POST("/b/:meeting/:member/child-mode", s.startChildMode)
	g.GET("/b/:meeting/:member/unlock", s.unlockForm)
	g.POST("/b/:meeting/:member/unlock", s.unlock)
	g.GET("/b/:meeting/:member/plan", s.planShow)
	g.GET("/b/:meeting/:member/minutes", s.minutesShow)
	g.GET("/b/:meeting/:member/changes", s.changesShow)
	g.GET("/b/:meeting/:member/meeting.ics", s.boardICS)
	g.POST("/b/:meeting/:member/template", s.saveTemplate)
	g.GET("/b/:meeting/:member/minutes.md", s.minutesMarkdown)
	g.GET("/b/:meeting/:member/plan.pdf", s.planDownloadPDF)
	g.GET("/b/:meeting/:member/plan.html", s.planDownloadHTML)
	g.GET("/b/:meeting/:member/plan.md", s.planDownloadMD)
	g.GET("/b/:meeting/:member/plan.json", s.planDownloadJSON)
	g.POST("/b/:meeting/:member/plan/link", s.planMakeLink)
	g.GET("/b/:meeting/:member/plan/link", s.planShowLink)

	// Download links after the meeting, and verification for anyone.
	g.GET("/p/:token", s.downloadLink)
	g.GET("/p/", s.downloadPage)
	g.GET("/p/plan.pdf", s.linkDownloadPDF)
	g.GET("/p/plan.html", s.linkDownloadHTML)
	g.GET("/verify", s.verifyForm)
	g.POST("/verify/code", s.verifyCode)
	g.POST("/verify/file", s.verifyFile)
	g.GET("/verify/key.pem", s.verifyKey)
	g.POST("/b/:meeting/:member/display", s.openDisplay)
	g.POST("/b/:meeting/:member/display/close", s.closeDisplays)

	// The room's shared screen: a short code or a link, then a read-only view.
	g.GET("/screen", s.screenCodeForm)
	g.POST("/screen", s.screenCode)
	g.GET("/screen/t/:token", s.screenLink)
	g.GET("/screen/view", s.screenPage)
	g.GET("/screen/ws", s.screenSocket)

	s.teamRoutes(g)
	s.adminRoutes(g)
	return e
}

// accessLog logs one line per request with the route pattern, never the path: a path
// can hold a capability token (/j/<token>) or a meeting's id, and the log must hold
// neither secrets nor anything about a child.
func (s *Server) accessLog(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		start := time.Now()
		err := next(c)
		status := c.Response().Status
		var he *echo.HTTPError
		if err != nil && errors.As(err, &he) {
			status = he.Code
		}
		s.countRequest(status)
		if c.Path() == "/healthz" || c.Path() == "/readyz" || c.Path() == "/static/:hash/*" {
			return err // too many, too dull
		}
		s.cfg.Log.Info("request", "method", c.Request().Method, "route", c.Path(), "status", status,
			"ms", time.Since(start).Milliseconds())
		return err
	}
}

// crossOrigin refuses state-changing requests from other sites (Sec-Fetch-Site and
// Origin). Together with SameSite=Lax session cookies this is the CSRF protection; the
// WebSocket upgrade (a GET) checks Origin itself.
func crossOrigin() *http.CrossOriginProtection {
	return http.NewCrossOriginProtection()
}

// securityHeaders sets the headers every response carries. Pages carry personal data, so
// nothing but hashed static assets may be cached.
func (s *Server) securityHeaders(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		h := c.Response().Header()
		wsOrigin := "ws://" + c.Request().Host + " wss://" + c.Request().Host
		h.Set("Content-Security-Policy", "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; connect-src 'self' "+wsOrigin+"; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		h.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=()")
		h.Set("Cache-Control", "no-store")
		if s.base.Scheme == "https" {
			h.Set("Strict-Transport-Security", "max-age=31536000")
		}
		return next(c)
	}
}

// errorHandler renders errors as a page in the visitor's language. It unwraps with
// errors.As (Echo's default handler turns a wrapped HTTPError into a 500).
func (s *Server) errorHandler(err error, c echo.Context) {
	if c.Response().Committed {
		return
	}
	code := http.StatusInternalServerError
	var he *echo.HTTPError
	switch {
	case errors.As(err, &he):
		code = he.Code
	case errors.Is(err, realtime.ErrShutdown):
		// A request that raced the shutdown: the client tries again on the next instance.
		code = http.StatusServiceUnavailable
		c.Response().Header().Set("Retry-After", "2")
	}
	if code >= 500 && code != http.StatusServiceUnavailable {
		s.cfg.Log.Error("request failed", "route", c.Path(), "err", err)
	}
	p := s.printer(c, "")
	key := "error.server"
	switch code {
	case http.StatusServiceUnavailable:
		key = "error.unavailable"
	case http.StatusNotFound:
		key = "error.not_found"
	case http.StatusForbidden:
		key = "error.forbidden"
	case http.StatusMethodNotAllowed, http.StatusBadRequest:
		key = "error.bad_request"
	}
	s.render(c, code, "error", pageData{P: p, Title: p.T(key + ".title"), Message: p.T(key)})
}

// pageData is the data of a full page.
type pageData struct {
	P         i18n.Printer
	Title     string
	Message   string
	Script    string
	Languages []string
	// User is the signed-in staff member, for the navigation; nil for guests.
	User *board.User
	// Page is the page's own data.
	Page     any
	NoScript bool

	// Board page.
	Meeting   board.Meeting
	Dir       *board.Directory
	Me        board.Member
	Seq       int64
	Epoch     string
	WSPath    string
	Frags     map[string]any
	AreaFrags []any
	Flash     string
	FlashKind string
	FlashText string
	// ChildModeURL is where an adult hands their device to the child ("" when the team
	// has no child member).
	ChildModeURL string
}

func (s *Server) render(c echo.Context, code int, page string, data pageData) error {
	if data.Languages == nil {
		data.Languages = s.cfg.Catalog.Languages()
	}
	if data.User == nil {
		data.User = currentUser(c)
	}
	var buf bytes.Buffer
	if err := s.views.page(&buf, page, data); err != nil {
		s.cfg.Log.Error("render page", "page", page, "err", err)
		return c.String(http.StatusInternalServerError, "internal error")
	}
	return c.HTMLBlob(code, buf.Bytes())
}

const langCookie = "barnteam_lang"

// printer picks the page language: an explicit ?lang= (remembered in a cookie), then the
// cookie, then the member's preferred language, then Accept-Language, then Swedish.
func (s *Server) printer(c echo.Context, memberLang string) i18n.Printer {
	cat := s.cfg.Catalog
	want := c.QueryParam("lang")
	if want != "" && cat.Has(want, "app.name") {
		c.SetCookie(&http.Cookie{Name: langCookie, Value: want, Path: "/", MaxAge: 365 * 24 * 3600, HttpOnly: true, Secure: s.secure, SameSite: http.SameSiteLaxMode})
	} else if ck, err := c.Cookie(langCookie); err == nil && cat.Has(ck.Value, "app.name") {
		want = ck.Value
	} else {
		want = memberLang
	}
	return cat.Printer(cat.Match(c.Request().Header.Get("Accept-Language"), want))
}

func (s *Server) home(c echo.Context) error {
	if currentUser(c) != nil {
		return c.Redirect(http.StatusSeeOther, "/teams")
	}
	p := s.printer(c, "")
	return s.render(c, http.StatusOK, "home", pageData{P: p, Title: p.T("home.heading")})
}

// hashFS returns a short hash of every file's path and content.
func hashFS(fsys fs.FS) (string, error) {
	var names []string
	err := fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			names = append(names, p)
		}
		return err
	})
	if err != nil {
		return "", err
	}
	sort.Strings(names)
	h := sha256.New()
	for _, n := range names {
		b, err := fs.ReadFile(fsys, n)
		if err != nil {
			return "", err
		}
		fmt.Fprintf(h, "%s\x00%d\x00", n, len(b))
		h.Write(b)
	}
	return hex.EncodeToString(h.Sum(nil))[:12], nil
}

func (s *Server) assetURL(name string) string { return "/static/" + s.assets + "/" + name }

// static serves embedded assets. The current hash is cached for a year; an old hash (a
// page from before a deploy) still gets the file, uncached.
func (s *Server) static(c echo.Context) error {
	name := strings.TrimPrefix(c.Param("*"), "/")
	if name == "" || strings.HasSuffix(name, ".go") {
		return echo.ErrNotFound
	}
	f, err := fs.Stat(static.FS, name)
	if err != nil || f.IsDir() {
		return echo.ErrNotFound
	}
	if c.Param("hash") == s.assets {
		c.Response().Header().Set("Cache-Control", "public, max-age=31536000, immutable")
	}
	http.ServeFileFS(c.Response(), c.Request(), static.FS, name)
	return nil
}
