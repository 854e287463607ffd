package realtime

import (
	"github.com/barnteam/barnteam/server/metrics"
)

// hubMetrics are the live board's figures for operators. Labels name kinds of things,
// never a meeting or a person.
type hubMetrics struct {
	opsApplied, opsRejected, opsFailed, opsRepeated *metrics.Counter

	apply  *metrics.Histogram // from the op reaching the room to its event queued to all
	commit *metrics.Histogram // the durable write alone

	slowConsumers *metrics.Counter
	resumes       map[string]*metrics.Counter // by how: events, current, snapshot

	remoteChanges *metrics.Counter // changes other instances committed, read from the log
	conflicts     *metrics.Counter // ops retried because another instance took the seq
	listenLost    *metrics.Counter
	notifyFailed  *metrics.Counter
}

func newHubMetrics(reg *metrics.Registry, h *Hub) *hubMetrics {
	const ops = "barnteam_ops_total"
	const opsHelp = "Ops received on the live board, by outcome: applied, rejected (refused with a reason), failed (could not be saved) and repeated (a resend of an op already applied)."
	m := &hubMetrics{
		opsApplied:  reg.NewCounter(ops, opsHelp, metrics.Labels("result", "applied")),
		opsRejected: reg.NewCounter(ops, opsHelp, metrics.Labels("result", "rejected")),
		opsFailed:   reg.NewCounter(ops, opsHelp, metrics.Labels("result", "failed")),
		opsRepeated: reg.NewCounter(ops, opsHelp, metrics.Labels("result", "repeated")),
		apply: reg.NewHistogram("barnteam_op_apply_seconds",
			"Time from an op reaching its room to its event queued to every connection: check, apply, durable commit, render.", "", metrics.LatencyBuckets),
		commit: reg.NewHistogram("barnteam_commit_seconds",
			"Time to write one change durably (with group commit: waiting for and writing its batch).", "", metrics.LatencyBuckets),
		slowConsumers: reg.NewCounter("barnteam_send_queue_drops_total",
			"Connections closed because their send queue was full (too slow to keep up); they resume.", ""),
		resumes:       map[string]*metrics.Counter{},
		remoteChanges: reg.NewCounter("barnteam_remote_changes_total", "Changes committed by other instances and read from the op log.", ""),
		conflicts:     reg.NewCounter("barnteam_seq_conflicts_total", "Ops applied again because another instance committed to the meeting first.", ""),
		listenLost:    reg.NewCounter("barnteam_listen_reconnects_total", "Times the connection listening for other instances was lost and made again.", ""),
		notifyFailed:  reg.NewCounter("barnteam_notify_failures_total", "Messages to other instances that could not be sent.", ""),
	}
	for _, how := range []string{"events", "current", "snapshot"} {
		m.resumes[how] = reg.NewCounter("barnteam_resumes_total",
			"Connections joining a room, by what they were sent: the events they missed, nothing (current), or the whole board (snapshot).", metrics.Labels("kind", how))
	}
	reg.NewGaugeFunc("barnteam_connections", "Open WebSocket connections (the lobby's included).", "", func() float64 { return float64(h.Stats().Conns) })
	reg.NewGaugeFunc("barnteam_rooms", "Meetings loaded in memory.", "", func() float64 { return float64(h.Stats().Rooms) })
	return m
}
