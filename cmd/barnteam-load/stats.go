package main

import (
	"math"
	"math/bits"
	"sort"
	"sync"
	"sync/atomic"
	"time"
)

// histogram records durations in microseconds in log-linear buckets (64 sub-buckets per
// power of two, so a quantile is off by at most 1/64 ≈ 1.6 %), with atomic counters:
// recording takes no lock and allocates nothing.
type histogram struct {
	counts [64 * 40]atomic.Int64
	n      atomic.Int64
	max    atomic.Int64
}

const subBits = 6 // 64 sub-buckets

func bucketOf(us int64) int {
	if us < 0 {
		us = 0
	}
	if us < 1<<subBits {
		return int(us)
	}
	e := bits.Len64(uint64(us)) - subBits // ≥ 1
	i := e<<subBits + int(us>>(e-1)) - 1<<subBits
	if i >= len(histogram{}.counts) {
		return len(histogram{}.counts) - 1
	}
	return i
}

// bucketValue is the upper bound (µs) of bucket i.
func bucketValue(i int) int64 {
	if i < 1<<subBits {
		return int64(i)
	}
	e := i >> subBits
	m := int64(i&(1<<subBits-1)) + 1<<subBits
	return (m+1)<<(e-1) - 1
}

func (h *histogram) record(d time.Duration) {
	us := d.Microseconds()
	h.counts[bucketOf(us)].Add(1)
	h.n.Add(1)
	for {
		m := h.max.Load()
		if us <= m || h.max.CompareAndSwap(m, us) {
			return
		}
	}
}

// quantile returns the q-quantile in milliseconds (NaN with no samples).
func (h *histogram) quantile(q float64) float64 {
	n := h.n.Load()
	if n == 0 {
		return math.NaN()
	}
	rank := int64(math.Ceil(q * float64(n)))
	if rank < 1 {
		rank = 1
	}
	var seen int64
	for i := range h.counts {
		seen += h.counts[i].Load()
		if seen >= rank {
			v := bucketValue(i)
			if m := h.max.Load(); v > m {
				v = m
			}
			return float64(v) / 1000
		}
	}
	return float64(h.max.Load()) / 1000
}

// latency is the summary of one histogram, in milliseconds.
type latency struct {
	Samples int64   `json:"samples"`
	P50     float64 `json:"p50_ms"`
	P99     float64 `json:"p99_ms"`
	P999    float64 `json:"p999_ms"`
	Max     float64 `json:"max_ms"`
}

func (h *histogram) summary() latency {
	l := latency{Samples: h.n.Load(), P50: h.quantile(0.5), P99: h.quantile(0.99), P999: h.quantile(0.999)}
	l.Max = float64(h.max.Load()) / 1000
	if l.Samples == 0 {
		l.Max = math.NaN()
	}
	return l
}

// counter is a named set of counts (rejects by code, close codes, errors by kind).
type counter struct {
	mu sync.Mutex
	m  map[string]int64
}

func (c *counter) add(key string, n int64) {
	c.mu.Lock()
	if c.m == nil {
		c.m = map[string]int64{}
	}
	c.m[key] += n
	c.mu.Unlock()
}

func (c *counter) snapshot() map[string]int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make(map[string]int64, len(c.m))
	for k, v := range c.m {
		out[k] = v
	}
	return out
}

func (c *counter) total() int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	var n int64
	for _, v := range c.m {
		n += v
	}
	return n
}

func sortedKeys(m map[string]int64) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

// stats is everything the clients count, shared by all of them.
type stats struct {
	fanout histogram // sender's send → another client's receipt of the event
	ack    histogram // sender's (latest) send → its own event or ack
	resume histogram // storm: restart → a client welcomed and resumed

	made        atomic.Int64 // ops made (queued; sent when connected)
	sent        atomic.Int64 // distinct ops sent at least once
	resends     atomic.Int64 // frames re-sending an op (after a reconnect, or unavailable/rate)
	applied     atomic.Int64 // confirmed by the sender: own event or ack
	acks        atomic.Int64 // of which by ack
	lateAcks    atomic.Int64 // acks of ops already confirmed by their replayed event
	conflicts   atomic.Int64 // refused with conflict (not a loss)
	merged      atomic.Int64 // own text edit merged three-way
	rejected    counter      // by code, conflicts included
	duplicated  atomic.Int64 // a receiver saw one cid at two seqs, or one seq twice
	diverged    atomic.Int64 // two receivers saw different cids at one seq
	gaps        atomic.Int64 // seq > last+1 seen: reconnected
	errors      counter      // by kind
	closes      counter      // close codes received (server-initiated)
	connects    atomic.Int64 // welcomes received
	reconnects  atomic.Int64 // welcomes after the first, per client
	churned     atomic.Int64 // closes the generator made on purpose
	resumeKinds counter      // welcome.resume: current/events/snapshot
	events      atomic.Int64 // events received (all clients)
	fanoutSkip  atomic.Int64 // events not timed: op re-sent, or replayed on resume
	stopped     atomic.Int64 // clients that got a "stop" close code
}
