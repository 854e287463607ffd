package main

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"strings"
	"sync"
	"text/tabwriter"
)

func ms(v float64) string {
	if math.IsNaN(v) {
		return "n/a"
	}
	return fmt.Sprintf("%.2f ms", v)
}

func orNA(v float64, format string) string {
	if v < 0 || math.IsNaN(v) {
		return "n/a"
	}
	return fmt.Sprintf(format, v)
}

func counts(m map[string]int64) string {
	if len(m) == 0 {
		return "none"
	}
	var parts []string
	for _, k := range sortedKeys(m) {
		name := k
		if name == "" {
			name = `""`
		}
		parts = append(parts, fmt.Sprintf("%s %d", name, m[k]))
	}
	return strings.Join(parts, ", ")
}

// writeReport prints the result as a table.
func writeReport(w io.Writer, r *result) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	row := func(k, format string, args ...any) { fmt.Fprintf(tw, "%s\t%s\n", k, fmt.Sprintf(format, args...)) }
	fmt.Fprintln(tw, "barnteam-load\t")
	row("scenario", "%s, %s", r.Scenario, r.Store)
	row("connections", "%d (%d meetings × %d)", r.Connections, r.Meetings, r.ClientsPerMtg)
	row("load", "%.3g edits/s per meeting for %.0f s", r.EditsPerSec, r.DurationS)
	row("seeding / connecting", "%.1f s / %.1f s", r.SeedS, r.ConnectS)
	row("ops/s applied", "%.1f (confirmed while editing)", r.OpsPerSec)
	row("fan-out latency", "p50 %s  p99 %s  p99.9 %s  max %s  (%d samples)", ms(r.Fanout.P50), ms(r.Fanout.P99), ms(r.Fanout.P999), ms(r.Fanout.Max), r.Fanout.Samples)
	row("durable-ack latency", "p50 %s  p99 %s  p99.9 %s  max %s  (%d samples)", ms(r.Ack.P50), ms(r.Ack.P99), ms(r.Ack.P999), ms(r.Ack.Max), r.Ack.Samples)
	row("ops", "made %d, sent %d, applied %d (%d by ack), re-sends %d (%d acked after their replayed event)", r.Made, r.Sent, r.Applied, r.ByAck, r.Resends, r.LateAcks)
	row("conflicts / merged", "%d / %d", r.Conflicts, r.Merged)
	row("rejects", "%s", counts(r.Rejects))
	row("lost", "%d (never confirmed nor refused %d, of which stored %d; confirmed but not logged %d)", r.Lost, r.Verify.Unconfirmed, r.Verify.UnconfirmedStored, r.Verify.ConfirmedMissing)
	row("duplicated", "%d (client-seen %d, in the op log %d)", r.Duplicated, r.Duplicated-r.Verify.DuplicateCIDs, r.Verify.DuplicateCIDs)
	row("op log", "%d meetings, %d ops, seq gaps %d, confirmed %d, at wrong seq %d, refused but stored %d, seen≠logged %d",
		r.Verify.Meetings, r.Verify.LoggedOps, r.Verify.SeqGaps, r.Verify.Confirmed, r.Verify.ConfirmedWrongSeq, r.Verify.RejectedButStored, r.Verify.SeenMismatch)
	row("reconnects", "%d (churned %d, gaps %d), resumes: %s", r.Reconnects, r.Churned, r.Gaps, counts(r.Resumes))
	row("close codes", "%s", counts(r.Closes))
	row("errors", "%s", counts(r.Errors))
	row("events received", "%d (not timed: %d)", r.Events, r.FanoutSkipped)
	row("server memory", "%s per connection (RSS %s → %s over %d connections; %s)", orNA(r.Memory.PerConnKiB, "%.1f KiB"),
		orNA(r.Memory.RSSBeforeMiB, "%.0f MiB"), orNA(r.Memory.RSSAfterMiB, "%.0f MiB"), r.Memory.Connections, r.Memory.Source)
	row("CPU (of one core)", "server %s, generator %s", orNA(r.CPU.ServerPct, "%.0f %%"), orNA(r.CPU.GeneratorPct, "%.0f %%"))
	if s := r.Storm; s != nil {
		row("storm", "%d of %d resumed; last %.1f s after SIGTERM, %.1f s after the restart (shutdown %.1f s, ready %.1f s; per client p50 %.1f s, p99 %.1f s)",
			s.Resumed, s.Connections, s.TotalS, s.FromRestartS, s.ShutdownS, s.RestartReadyS, s.ResumeP50, s.ResumeP99)
	}
	if r.Pass {
		row("result", "PASS")
	} else {
		row("result", "FAIL: %s", strings.Join(r.Failures, "; "))
	}
	tw.Flush()
}

// jsonSafe replaces NaN (no samples) with -1: JSON has no NaN.
func jsonSafe(l *latency) {
	for _, p := range []*float64{&l.P50, &l.P99, &l.P999, &l.Max} {
		if math.IsNaN(*p) {
			*p = -1
		}
	}
}

func writeJSON(path string, r *result) error {
	c := *r
	jsonSafe(&c.Fanout)
	jsonSafe(&c.Ack)
	b, err := json.MarshalIndent(&c, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o644)
}

// syncWriter serialises writes (the log lines come from several goroutines).
type syncWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}
