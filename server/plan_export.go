package server

import (
	"context"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/barnteam/barnteam/server/board"
	"github.com/barnteam/barnteam/server/secret"
)

// Downloads of an established plan: the PDF (Swedish, signed, the same bytes for
// everyone), the family's copy as an accessible web page in their language, and for staff
// the Markdown (to paste into a journal system) and the canonical JSON. Each participant
// downloads through their own session on the meeting day, or afterwards with a download
// link of their own, until the deployment's retention ends. Every download is audited.

// DefaultRetention is how long a meeting's plan can be downloaded after it is established.
const DefaultRetention = 365 * 24 * time.Hour

// establishedVersion returns the latest established version of a meeting's plan.
func (s *Server) establishedVersion(ctx context.Context, meetingID string) (board.PlanVersion, board.PlanDoc, error) {
	list, err := s.cfg.Store.PlanVersions(ctx, meetingID)
	if err != nil {
		return board.PlanVersion{}, board.PlanDoc{}, err
	}
	for i := len(list) - 1; i >= 0; i-- {
		if list[i].Status == board.PlanEstablished {
			return s.planVersionDoc(ctx, meetingID, list[i].Version)
		}
	}
	return board.PlanVersion{}, board.PlanDoc{}, errNoPlan
}

// downloader is who downloads and how they came: a session on the meeting's board, or a
// download link.
type downloader struct {
	Dir    *board.Directory
	Member board.Member
	User   *board.User
	Lang   string
	Base   string // the path the download URLs hang under
}

func (s *Server) fromRoom(a *roomAccess) downloader {
	return downloader{Dir: a.Dir, Member: a.Member, User: a.User, Lang: a.Lang, Base: boardPath(a.Dir.Meeting.ID, a.Member.ID)}
}

// auditDownload writes the download's audit row: who, which child, which version, which
// form. Never the content.
func (s *Server) auditDownload(ctx context.Context, d downloader, action board.AuditAction, what string, version int) error {
	e := board.AuditEntry{At: s.cfg.Now(), MemberID: d.Member.ID, ActorName: d.Member.Name, OrgID: d.Member.OrgID,
		Action: action, TeamID: d.Dir.Team.ID, MeetingID: d.Dir.Meeting.ID, Target: fmt.Sprintf("plan v%d %s", version, what)}
	if o, ok := d.Dir.Org(d.Member.OrgID); ok {
		e.OrgName = o.Name
	}
	if d.User != nil {
		e.UserID = d.User.ID
	}
	return s.cfg.Store.AppendAudit(ctx, e)
}

// roomDownloader is the access of a request on a member's board for a download.
func (s *Server) roomDownloader(c echo.Context) (downloader, error) {
	a, err := s.roomAccess(c)
	if err != nil {
		return downloader{}, err
	}
	if !a.Admitted() {
		return downloader{}, echo.ErrForbidden
	}
	return s.fromRoom(a), nil
}

// serveDownload sends one form of the latest established plan.
func (s *Server) serveDownload(c echo.Context, d downloader, form string) error {
	ctx := c.Request().Context()
	v, doc, err := s.establishedVersion(ctx, d.Dir.Meeting.ID)
	if errors.Is(err, errNoPlan) {
		return echo.ErrNotFound
	}
	if err != nil {
		return err
	}
	if (form == "md" || form == "json") && !d.Member.Role.IsStaff() {
		return echo.ErrForbidden // staff exports for the organisations' own records
	}
	action := board.AuditDownload
	if form == "md" || form == "json" {
		action = board.AuditExport
	}
	if err := s.auditDownload(ctx, d, action, form, v.Version); err != nil {
		return err
	}
	name := fmt.Sprintf("barnets-plan-%s-%d-v%d", asciiName(doc.Child.FirstName), doc.Child.BirthYear, v.Version)
	h := c.Response().Header()
	switch form {
	case "pdf":
		pdf, err := s.planPDF(ctx, v, doc)
		if err != nil {
			return err
		}
		h.Set("Content-Disposition", `attachment; filename="`+name+`.pdf"`)
		return c.Blob(http.StatusOK, "application/pdf", pdf)
	case "json":
		h.Set("Content-Disposition", `attachment; filename="`+name+`.json"`)
		return c.Blob(http.StatusOK, "application/json", v.Canonical)
	case "md":
		md, err := s.planMarkdown(v, doc)
		if err != nil {
			return err
		}
		h.Set("Content-Disposition", `attachment; filename="`+name+`.md"`)
		return c.Blob(http.StatusOK, "text/markdown; charset=utf-8", md)
	}
	// The family's copy: the plan as a page in their language, to read, keep and print.
	p := s.cfg.Catalog.Printer(d.Lang)
	v.Canonical = nil
	return s.render(c, http.StatusOK, "plan_copy", pageData{P: p, Title: p.T("plan.page_title", "name", doc.Child.FirstName),
		Page: planCopyPage{Doc: doc, Version: &v, PDFURL: d.Base + "plan.pdf"}})
}

type planCopyPage struct {
	Doc     board.PlanDoc
	Version *board.PlanVersion
	PDFURL  string
}

// asciiName keeps a file name to ASCII letters and digits (å ä ö become a a o).
func asciiName(s string) string {
	out := make([]byte, 0, len(s))
	for _, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9':
			out = append(out, byte(r))
		case r == 'å' || r == 'ä' || r == 'Å' || r == 'Ä':
			out = append(out, 'a')
		case r == 'ö' || r == 'Ö':
			out = append(out, 'o')
		}
	}
	if len(out) == 0 {
		return "barn"
	}
	return string(out)
}

func (s *Server) planDownloadPDF(c echo.Context) error  { return s.roomDownload(c, "pdf") }
func (s *Server) planDownloadHTML(c echo.Context) error { return s.roomDownload(c, "html") }
func (s *Server) planDownloadMD(c echo.Context) error   { return s.roomDownload(c, "md") }
func (s *Server) planDownloadJSON(c echo.Context) error { return s.roomDownload(c, "json") }

func (s *Server) roomDownload(c echo.Context, form string) error {
	d, err := s.roomDownloader(c)
	if err != nil {
		return err
	}
	return s.serveDownload(c, d, form)
}

// --- Download links ---------------------------------------------------------------------

const (
	dlCookie      = "dl"      // the download link's token after /p/<token>
	dlCookieTTL   = time.Hour // long enough to download, short on a shared computer
	newDLCookie   = "dl-new"  // the link just made, shown once
	newDLCookieTT = 10 * time.Minute
)

// planMakeLink is POST /b/:meeting/:member/plan/link: a download link for this member,
// shown once on the next page.
func (s *Server) planMakeLink(c echo.Context) error {
	d, err := s.roomDownloader(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	if _, _, err := s.establishedVersion(ctx, d.Dir.Meeting.ID); err != nil {
		if errors.Is(err, errNoPlan) {
			return echo.ErrNotFound
		}
		return err
	}
	token, hash := secret.NewToken()
	now := s.cfg.Now()
	if err := s.cfg.Store.CreateDownloadLink(ctx, board.DownloadLink{TokenHash: hash, MeetingID: d.Dir.Meeting.ID, MemberID: d.Member.ID,
		CreatedAt: now, ExpiresAt: now.Add(s.retention())}); err != nil {
		return err
	}
	if err := s.auditDownload(ctx, d, board.AuditInviteCreated, "download link", 0); err != nil {
		return err
	}
	s.setCookie(c, newDLCookie, token, now.Add(newDLCookieTT))
	return c.Redirect(http.StatusSeeOther, d.Base+"plan/link")
}

type dlLinkPage struct {
	Link    string
	Expires string
	QR      template.HTML
	BackURL string
}

// planShowLink is GET /b/:meeting/:member/plan/link: the link just made, once.
func (s *Server) planShowLink(c echo.Context) error {
	d, err := s.roomDownloader(c)
	if err != nil {
		return err
	}
	token := s.cookie(c, newDLCookie)
	back := d.Base + "#plan"
	if token == "" {
		return c.Redirect(http.StatusSeeOther, back)
	}
	s.clearCookie(c, newDLCookie)
	l, err := s.cfg.Store.DownloadLinkByHash(c.Request().Context(), secret.Hash(token), s.cfg.Now())
	if errors.Is(err, board.ErrNotFound) || (err == nil && (l.MemberID != d.Member.ID || l.MeetingID != d.Dir.Meeting.ID)) {
		return c.Redirect(http.StatusSeeOther, back)
	}
	if err != nil {
		return err
	}
	p := s.cfg.Catalog.Printer(d.Lang)
	link := s.base.JoinPath("p", token).String()
	qr, err := qrSVG(link, p.T("plan.link_qr"))
	if err != nil {
		return err
	}
	return s.render(c, http.StatusOK, "plan_link", pageData{P: p, Title: p.T("plan.link_title"), Script: "js/copy.js",
		Page: dlLinkPage{Link: link, Expires: l.ExpiresAt.In(stockholm).Format(time.DateOnly), QR: qr, BackURL: back}})
}

// downloadLink is GET /p/:token: the token moves into a short-lived cookie and leaves
// the address bar.
func (s *Server) downloadLink(c echo.Context) error {
	token := c.Param("token")
	if len(token) < 20 || len(token) > 100 {
		return echo.ErrNotFound
	}
	_, err := s.cfg.Store.DownloadLinkByHash(c.Request().Context(), secret.Hash(token), s.cfg.Now())
	if errors.Is(err, board.ErrNotFound) {
		return echo.ErrNotFound
	}
	if err != nil {
		return err
	}
	s.setCookie(c, dlCookie, token, s.cfg.Now().Add(dlCookieTTL))
	return c.Redirect(http.StatusSeeOther, "/p/")
}

// linkDownloader is the downloader of the download link in the cookie.
func (s *Server) linkDownloader(c echo.Context) (downloader, error) {
	token := s.cookie(c, dlCookie)
	if token == "" {
		return downloader{}, echo.ErrNotFound
	}
	ctx := c.Request().Context()
	l, err := s.cfg.Store.DownloadLinkByHash(ctx, secret.Hash(token), s.cfg.Now())
	if errors.Is(err, board.ErrNotFound) {
		return downloader{}, echo.ErrNotFound
	}
	if err != nil {
		return downloader{}, err
	}
	dir, err := board.LoadDirectory(ctx, s.cfg.Store, l.MeetingID)
	if err != nil {
		return downloader{}, err
	}
	m, ok := dir.Member(l.MemberID)
	if !ok {
		return downloader{}, echo.ErrNotFound
	}
	// The link is the member's right to the plan, and goes with it: someone removed from
	// the meeting, or whose organisation no consent covers any more, cannot download
	// through it, as they cannot through their session.
	removed, err := s.cfg.Store.Removed(ctx, l.MeetingID)
	if err != nil {
		return downloader{}, err
	}
	if _, out := removed[m.ID]; out {
		return downloader{}, echo.ErrNotFound
	}
	if board.NeedsConsent(m) {
		covered, err := s.coveredOrgs(ctx, dir)
		if err != nil {
			return downloader{}, err
		}
		if !covered[m.OrgID] {
			return downloader{}, echo.ErrForbidden
		}
	}
	return downloader{Dir: dir, Member: m, Lang: s.printer(c, m.Lang).Lang, Base: "/p/"}, nil
}

type dlPage struct {
	Child   string
	Version board.PlanVersion
}

// downloadPage is GET /p/: what the download link offers.
func (s *Server) downloadPage(c echo.Context) error {
	d, err := s.linkDownloader(c)
	if err != nil {
		return err
	}
	v, doc, err := s.establishedVersion(c.Request().Context(), d.Dir.Meeting.ID)
	if errors.Is(err, errNoPlan) {
		return echo.ErrNotFound
	}
	if err != nil {
		return err
	}
	p := s.cfg.Catalog.Printer(d.Lang)
	v.Canonical = nil
	return s.render(c, http.StatusOK, "plan_downloads", pageData{P: p, Title: p.T("plan.downloads_title", "name", doc.Child.FirstName),
		Page: dlPage{Child: doc.Child.FirstName, Version: v}})
}

func (s *Server) linkDownloadPDF(c echo.Context) error  { return s.linkDownload(c, "pdf") }
func (s *Server) linkDownloadHTML(c echo.Context) error { return s.linkDownload(c, "html") }

func (s *Server) linkDownload(c echo.Context, form string) error {
	d, err := s.linkDownloader(c)
	if err != nil {
		return err
	}
	return s.serveDownload(c, d, form)
}

func (s *Server) retention() time.Duration {
	if s.cfg.Retention > 0 {
		return s.cfg.Retention
	}
	return DefaultRetention
}
