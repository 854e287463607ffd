// Package metrics keeps the server's operational figures and writes them in the
// Prometheus text exposition format (version 0.0.4), so that any Prometheus-compatible
// scraper can read them.
//
// It is deliberately small: counters, gauges read from a function at scrape time, and
// histograms with fixed buckets, all lock-free on the hot path (one atomic add per
// observation). No board content and nothing that identifies a person or a meeting is
// ever a label: labels name kinds of things, never instances.
package metrics

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"os"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Registry holds metrics and writes them out.
type Registry struct {
	mu      sync.Mutex
	metrics []metric
}

type metric interface {
	name() string
	help() string
	kind() string
	write(w *bufio.Writer)
}

// New returns an empty registry.
func New() *Registry { return &Registry{} }

func (r *Registry) add(m metric) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.metrics = append(r.metrics, m)
}

// WriteTo writes every metric, grouped by name in name order, in the text format.
func (r *Registry) WriteTo(out io.Writer) (int64, error) {
	r.mu.Lock()
	ms := append([]metric(nil), r.metrics...)
	r.mu.Unlock()
	sort.SliceStable(ms, func(i, j int) bool { return ms[i].name() < ms[j].name() })
	cw := &countingWriter{w: out}
	w := bufio.NewWriter(cw)
	for i, m := range ms {
		if i == 0 || ms[i-1].name() != m.name() {
			fmt.Fprintf(w, "# HELP %s %s\n# TYPE %s %s\n", m.name(), escapeHelp(m.help()), m.name(), m.kind())
		}
		m.write(w)
	}
	err := w.Flush()
	return cw.n, err
}

// ContentType is the media type of WriteTo's output.
const ContentType = "text/plain; version=0.0.4; charset=utf-8"

type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

func escapeHelp(s string) string {
	return strings.NewReplacer(`\`, `\\`, "\n", `\n`).Replace(s)
}

// Labels renders label pairs ("kind", "events") as {kind="events"}; values are escaped.
func Labels(pairs ...string) string {
	if len(pairs) == 0 {
		return ""
	}
	var b strings.Builder
	b.WriteByte('{')
	for i := 0; i+1 < len(pairs); i += 2 {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(pairs[i])
		b.WriteString(`="`)
		b.WriteString(strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`).Replace(pairs[i+1]))
		b.WriteByte('"')
	}
	b.WriteByte('}')
	return b.String()
}

type desc struct {
	n, h, labels string
}

func (d desc) name() string { return d.n }
func (d desc) help() string { return d.h }

// Counter only goes up.
type Counter struct {
	desc
	v atomic.Uint64
}

// NewCounter registers a counter; labels come from Labels ("" for none). Several counters
// may share a name with different labels.
func (r *Registry) NewCounter(name, help, labels string) *Counter {
	c := &Counter{desc: desc{name, help, labels}}
	r.add(c)
	return c
}

// Inc adds one.
func (c *Counter) Inc() { c.v.Add(1) }

// Add adds n.
func (c *Counter) Add(n uint64) { c.v.Add(n) }

// Value is the count so far.
func (c *Counter) Value() uint64 { return c.v.Load() }

func (c *Counter) kind() string { return "counter" }
func (c *Counter) write(w *bufio.Writer) {
	fmt.Fprintf(w, "%s%s %d\n", c.n, c.labels, c.v.Load())
}

// gaugeFunc is read at scrape time.
type gaugeFunc struct {
	desc
	typ string
	f   func() float64
}

// NewGaugeFunc registers a gauge whose value f returns at scrape time.
func (r *Registry) NewGaugeFunc(name, help, labels string, f func() float64) {
	r.add(&gaugeFunc{desc: desc{name, help, labels}, typ: "gauge", f: f})
}

// NewCounterFunc registers a counter whose value f returns at scrape time (a count kept
// elsewhere, such as the Go runtime's).
func (r *Registry) NewCounterFunc(name, help, labels string, f func() float64) {
	r.add(&gaugeFunc{desc: desc{name, help, labels}, typ: "counter", f: f})
}

func (g *gaugeFunc) kind() string { return g.typ }
func (g *gaugeFunc) write(w *bufio.Writer) {
	fmt.Fprintf(w, "%s%s %s\n", g.n, g.labels, formatFloat(g.f()))
}

// Histogram counts observations into fixed buckets (upper bounds, inclusive).
type Histogram struct {
	desc
	bounds []float64
	counts []atomic.Uint64 // one per bound, plus +Inf
	sum    atomic.Uint64   // float64 bits
	count  atomic.Uint64
}

// LatencyBuckets are upper bounds in seconds from 100 µs to 10 s, about three per decade:
// fine enough to tell 1 ms from 2 ms and 10 ms from 50 ms (the targets).
var LatencyBuckets = []float64{
	0.0001, 0.00025, 0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10,
}

// NewHistogram registers a histogram with the given bucket bounds (ascending).
func (r *Registry) NewHistogram(name, help, labels string, bounds []float64) *Histogram {
	h := &Histogram{desc: desc{name, help, labels}, bounds: bounds, counts: make([]atomic.Uint64, len(bounds)+1)}
	r.add(h)
	return h
}

// Observe records one value.
func (h *Histogram) Observe(v float64) {
	i := sort.SearchFloat64s(h.bounds, v) // the first bound >= v
	h.counts[i].Add(1)
	h.count.Add(1)
	for {
		old := h.sum.Load()
		if h.sum.CompareAndSwap(old, math.Float64bits(math.Float64frombits(old)+v)) {
			return
		}
	}
}

// ObserveSince records the seconds since start.
func (h *Histogram) ObserveSince(start time.Time) { h.Observe(time.Since(start).Seconds()) }

// Count is the number of observations so far.
func (h *Histogram) Count() uint64 { return h.count.Load() }

func (h *Histogram) kind() string { return "histogram" }
func (h *Histogram) write(w *bufio.Writer) {
	// Buckets are cumulative in the format.
	var cum uint64
	inner := strings.TrimSuffix(strings.TrimPrefix(h.labels, "{"), "}")
	if inner != "" {
		inner += ","
	}
	for i, b := range h.bounds {
		cum += h.counts[i].Load()
		fmt.Fprintf(w, "%s_bucket{%sle=\"%s\"} %d\n", h.n, inner, formatFloat(b), cum)
	}
	cum += h.counts[len(h.bounds)].Load()
	fmt.Fprintf(w, "%s_bucket{%sle=\"+Inf\"} %d\n", h.n, inner, cum)
	fmt.Fprintf(w, "%s_sum%s %s\n", h.n, h.labels, formatFloat(math.Float64frombits(h.sum.Load())))
	// The count is the +Inf bucket's, so the two never disagree within one scrape.
	fmt.Fprintf(w, "%s_count%s %d\n", h.n, h.labels, cum)
}

func formatFloat(v float64) string {
	switch {
	case math.IsInf(v, 1):
		return "+Inf"
	case math.IsInf(v, -1):
		return "-Inf"
	case math.IsNaN(v):
		return "NaN"
	}
	return strconv.FormatFloat(v, 'g', -1, 64)
}

// RegisterProcess adds the process's resident memory, the Go heap and goroutines, the
// same names the official Prometheus client uses so that existing dashboards work.
func (r *Registry) RegisterProcess() {
	r.NewGaugeFunc("process_resident_memory_bytes", "Resident memory size in bytes.", "", func() float64 {
		return float64(residentBytes())
	})
	r.NewGaugeFunc("go_goroutines", "Number of goroutines that currently exist.", "", func() float64 {
		return float64(runtime.NumGoroutine())
	})
	// One ReadMemStats per scrape (it stops the world briefly), shared by the gauges
	// below through a tiny cache.
	var mu sync.Mutex
	var ms runtime.MemStats
	var at time.Time
	read := func(f func(*runtime.MemStats) uint64) func() float64 {
		return func() float64 {
			mu.Lock()
			defer mu.Unlock()
			if time.Since(at) > time.Second {
				runtime.ReadMemStats(&ms)
				at = time.Now()
			}
			return float64(f(&ms))
		}
	}
	r.NewGaugeFunc("go_memstats_sys_bytes", "Number of bytes obtained from system.", "", read(func(m *runtime.MemStats) uint64 { return m.Sys }))
	r.NewGaugeFunc("go_memstats_heap_inuse_bytes", "Number of heap bytes that are in use.", "", read(func(m *runtime.MemStats) uint64 { return m.HeapInuse }))
	r.NewGaugeFunc("go_memstats_stack_inuse_bytes", "Number of bytes in use by the stack allocator.", "", read(func(m *runtime.MemStats) uint64 { return m.StackInuse }))
	r.NewCounterFunc("go_gc_cycles_total", "Number of completed GC cycles.", "", read(func(m *runtime.MemStats) uint64 { return uint64(m.NumGC) }))
}

// residentBytes reads the resident set size from /proc (Linux); 0 elsewhere.
func residentBytes() int64 {
	b, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		return 0
	}
	f := strings.Fields(string(b))
	if len(f) < 2 {
		return 0
	}
	pages, err := strconv.ParseInt(f[1], 10, 64)
	if err != nil {
		return 0
	}
	return pages * int64(os.Getpagesize())
}
