package server

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/barnteam/barnteam/server/board"
	"github.com/barnteam/barnteam/server/metrics"
	"github.com/barnteam/barnteam/server/realtime"
)

// What operators see: health, readiness, metrics; and the check that keeps live
// connections honest when several instances share a database.

// healthz says the process is up and serving HTTP; it touches nothing else, so that a
// database outage does not get healthy instances restarted.
func (s *Server) healthz(c echo.Context) error { return c.String(http.StatusOK, "ok\n") }

// readyTimeout bounds the database check of /readyz: a load balancer asks often.
const readyTimeout = 2 * time.Second

// ready says whether this instance should get traffic: not shutting down, and its
// database answers. A load balancer takes an instance that is not ready out of rotation
// (clients then resume on another) and puts it back when it is.
func (s *Server) ready(c echo.Context) error {
	if s.hub.ShuttingDown() {
		return c.String(http.StatusServiceUnavailable, "shutting down\n")
	}
	ctx, cancel := context.WithTimeout(c.Request().Context(), readyTimeout)
	defer cancel()
	// Any cheap read that goes to the database; a meeting that does not exist is the
	// answer of a working one.
	if _, err := s.cfg.Store.Meeting(ctx, "readyz-probe"); err != nil && !errors.Is(err, board.ErrNotFound) {
		s.cfg.Log.Warn("readyz: the database does not answer", "err", err)
		return c.String(http.StatusServiceUnavailable, "database unavailable\n")
	}
	return c.String(http.StatusOK, "ready\n")
}

// registerMetrics adds the server's own figures to the registry the hub writes to.
func (s *Server) registerMetrics(reg *metrics.Registry) {
	reg.RegisterProcess()
	type commitStats interface {
		CommitStats() (batches, changes uint64)
	}
	if st, ok := s.cfg.Store.(commitStats); ok {
		reg.NewCounterFunc("barnteam_commit_batches_total", "Transactions written by group commit.", "", func() float64 {
			b, _ := st.CommitStats()
			return float64(b)
		})
		reg.NewCounterFunc("barnteam_commit_changes_total", "Changes written by group commit (divided by the batches: changes per transaction).", "", func() float64 {
			_, n := st.CommitStats()
			return float64(n)
		})
	}
	s.pdfsMade = reg.NewCounter("barnteam_plan_pdfs_made_total", "Plan PDFs drawn (each established version once; later downloads are the kept bytes).", "")
	s.pdfTime = reg.NewHistogram("barnteam_plan_pdf_seconds", "Time to draw one plan PDF.", "",
		[]float64{0.01, 0.02, 0.03, 0.05, 0.1, 0.2, 0.5, 1})
	s.httpRequests = map[int]*metrics.Counter{}
	for _, class := range []int{2, 3, 4, 5} {
		s.httpRequests[class] = reg.NewCounter("barnteam_http_requests_total", "HTTP requests answered, by status class.",
			metrics.Labels("code", string(rune('0'+class))+"xx"))
	}
}

// countRequest counts one answered request by its status class.
func (s *Server) countRequest(status int) {
	if c := s.httpRequests[status/100]; c != nil {
		c.Inc()
	}
}

// MetricsHandler serves the metrics in the Prometheus text format. It is not part of
// Handler: the numbers say how busy the service is, so they are served on an address of
// their own (-metrics-addr) that only the operators' network reaches.
func (s *Server) MetricsHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/metrics" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", metrics.ContentType)
		w.Header().Set("Cache-Control", "no-store")
		s.metrics.WriteTo(w)
	})
}

// stillAllowed checks a live connection's right to be in the room again, from the
// database, by the rules of roomAccess and screenAccess. The hub calls it after it may
// have missed another instance's "close these connections" (see realtime.Options).
// Only a definite answer closes a connection: if the database cannot be asked, the
// connection stays and the next resync asks again.
func (s *Server) stillAllowed(ctx context.Context, meetingID string, p realtime.Participant) bool {
	now := s.cfg.Now()
	st := s.cfg.Store
	gone := func(err error) bool { return errors.Is(err, board.ErrNotFound) }
	if p.Screen != "" {
		d, err := st.DisplayByHash(ctx, []byte(p.Screen), now)
		return !gone(err) && (err != nil || d.MeetingID == meetingID)
	}
	switch {
	case p.GuestSession != "":
		ss, err := st.SessionByHash(ctx, []byte(p.GuestSession), now)
		if gone(err) || (err == nil && (ss.MeetingID != meetingID || ss.MemberID != p.Member.ID || !ss.DeniedAt.IsZero())) {
			return false
		}
	case p.StaffSession != "":
		us, err := st.UserSessionByHash(ctx, []byte(p.StaffSession), now)
		if gone(err) || (err == nil && us.UserID != p.UserID) {
			return false
		}
		if u, err := st.User(ctx, p.UserID); gone(err) || (err == nil && u.Disabled) {
			return false
		}
	}
	if removed, err := st.Removed(ctx, meetingID); err == nil {
		if _, out := removed[p.Member.ID]; out {
			return false
		}
	}
	if p.Lobby == nil && board.NeedsConsent(p.Member) {
		dir, err := s.hub.Directory(ctx, meetingID)
		if err != nil {
			return true
		}
		covered, err := s.coveredOrgs(ctx, dir)
		if err == nil && !covered[p.Member.OrgID] {
			return false
		}
	}
	return true
}
