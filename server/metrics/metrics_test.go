package metrics

import (
	"bufio"
	"strconv"
	"strings"
	"testing"
)

// parse reads the text format back into "name{labels}" -> value, and checks that every
// sample's metric was introduced by HELP and TYPE lines first.
func parse(t *testing.T, text string) map[string]float64 {
	t.Helper()
	out := map[string]float64{}
	typed := map[string]string{}
	sc := bufio.NewScanner(strings.NewReader(text))
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "# TYPE ") {
			f := strings.Fields(line)
			typed[f[2]] = f[3]
			continue
		}
		if strings.HasPrefix(line, "#") || line == "" {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		key, val := line[:i], line[i+1:]
		v, err := strconv.ParseFloat(val, 64)
		if err != nil {
			t.Fatalf("line %q: %v", line, err)
		}
		name := key
		if j := strings.IndexByte(name, '{'); j >= 0 {
			name = name[:j]
		}
		base := strings.TrimSuffix(strings.TrimSuffix(strings.TrimSuffix(name, "_bucket"), "_sum"), "_count")
		if typed[name] == "" && typed[base] != "histogram" {
			t.Errorf("sample %q before its TYPE line", line)
		}
		out[key] = v
	}
	return out
}

func TestTextFormat(t *testing.T) {
	r := New()
	ok := r.NewCounter("x_ops_total", "Ops.", Labels("result", "applied"))
	bad := r.NewCounter("x_ops_total", "Ops.", Labels("result", "rejected"))
	h := r.NewHistogram("x_latency_seconds", "Latency.", "", []float64{0.001, 0.01, 0.1})
	r.NewGaugeFunc("x_rooms", "Rooms with a \\ and\na newline.", "", func() float64 { return 7 })
	ok.Add(5)
	bad.Inc()
	for _, v := range []float64{0.0005, 0.001, 0.002, 0.05, 3} {
		h.Observe(v)
	}
	var sb strings.Builder
	if _, err := r.WriteTo(&sb); err != nil {
		t.Fatal(err)
	}
	text := sb.String()
	got := parse(t, text)
	want := map[string]float64{
		`x_ops_total{result="applied"}`:        5,
		`x_ops_total{result="rejected"}`:       1,
		`x_rooms`:                              7,
		`x_latency_seconds_bucket{le="0.001"}`: 2, // 0.0005 and 0.001: bounds are inclusive
		`x_latency_seconds_bucket{le="0.01"}`:  3,
		`x_latency_seconds_bucket{le="0.1"}`:   4,
		`x_latency_seconds_bucket{le="+Inf"}`:  5,
		`x_latency_seconds_count`:              5,
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %v, want %v", k, got[k], v)
		}
	}
	if s := got["x_latency_seconds_sum"]; s < 3.0534 || s > 3.0536 {
		t.Errorf("sum = %v, want 3.0535", s)
	}
	// One HELP and TYPE per name, even with two counters of it.
	if n := strings.Count(text, "# TYPE x_ops_total counter"); n != 1 {
		t.Errorf("%d TYPE lines for x_ops_total, want 1:\n%s", n, text)
	}
	if !strings.Contains(text, `# HELP x_rooms Rooms with a \\ and\na newline.`) {
		t.Errorf("HELP text not escaped:\n%s", text)
	}
}

func TestLabelsEscape(t *testing.T) {
	if got := Labels("a", `q"b\c`+"\n"); got != `{a="q\"b\\c\n"}` {
		t.Errorf("Labels = %s", got)
	}
}

func TestProcess(t *testing.T) {
	r := New()
	r.RegisterProcess()
	var sb strings.Builder
	if _, err := r.WriteTo(&sb); err != nil {
		t.Fatal(err)
	}
	got := parse(t, sb.String())
	if got["process_resident_memory_bytes"] <= 0 || got["go_memstats_sys_bytes"] <= 0 || got["go_goroutines"] < 1 {
		t.Errorf("process metrics missing or zero: %v", got)
	}
}

func BenchmarkHistogramObserve(b *testing.B) {
	h := New().NewHistogram("x", "x", "", LatencyBuckets)
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			h.Observe(0.0012)
		}
	})
}
