package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// memSample is the server's memory and connection count at one moment. Values are -1
// when unknown.
type memSample struct {
	RSS    float64 // bytes
	Source string  // where RSS came from
	Conns  float64
}

// memoryResult is the memory per connection: (RSS after − RSS before) / connections.
type memoryResult struct {
	RSSBeforeMiB float64 `json:"rss_before_mib"`
	RSSAfterMiB  float64 `json:"rss_after_mib"`
	Source       string  `json:"source"`
	Connections  int     `json:"connections"`
	PerConnKiB   float64 `json:"per_connection_kib"` // -1: n/a
}

// parseProm reads the named unlabelled (or first labelled) samples of a Prometheus text
// exposition.
func parseProm(r io.Reader, names ...string) map[string]float64 {
	want := map[string]bool{}
	for _, n := range names {
		want[n] = true
	}
	out := map[string]float64{}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == '#' {
			continue
		}
		name, rest, ok := strings.Cut(line, " ")
		if i := strings.IndexByte(name, '{'); i >= 0 {
			if j := strings.LastIndexByte(line, '}'); j > i {
				name, rest, ok = line[:i], strings.TrimSpace(line[j+1:]), true
			}
		}
		if !ok || !want[name] {
			continue
		}
		if _, seen := out[name]; seen {
			continue
		}
		f := strings.Fields(rest)
		if len(f) == 0 {
			continue
		}
		if v, err := strconv.ParseFloat(f[0], 64); err == nil {
			out[name] = v
		}
	}
	return out
}

// sampleMemory reads the metrics endpoint (default: <server>/metrics); without a
// resident-memory metric it falls back to go_memstats_sys_bytes, and then, for a server
// on this machine whose pid is known, to /proc/<pid>/status.
func sampleMemory(ctx context.Context, hc *http.Client, metricsURL, base string, pid int) memSample {
	s := memSample{RSS: -1, Conns: -1}
	if metricsURL != "" && metricsURL != "none" {
		cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		req, _ := http.NewRequestWithContext(cctx, http.MethodGet, metricsURL, nil)
		if resp, err := hc.Do(req); err == nil {
			if resp.StatusCode == http.StatusOK {
				m := parseProm(resp.Body, "barnteam_connections", "process_resident_memory_bytes", "go_memstats_sys_bytes")
				if v, ok := m["barnteam_connections"]; ok {
					s.Conns = v
				}
				if v, ok := m["process_resident_memory_bytes"]; ok {
					s.RSS, s.Source = v, "process_resident_memory_bytes"
				} else if v, ok := m["go_memstats_sys_bytes"]; ok {
					s.RSS, s.Source = v, "go_memstats_sys_bytes"
				}
			}
			resp.Body.Close()
		}
	}
	if s.RSS < 0 && pid > 0 {
		if v, ok := procRSS(pid); ok {
			s.RSS, s.Source = v, "/proc/<pid>/status VmRSS"
		}
	}
	return s
}

func procRSS(pid int) (float64, bool) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, false
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			f := strings.Fields(rest)
			if len(f) >= 1 {
				kb, err := strconv.ParseFloat(f[0], 64)
				return kb * 1024, err == nil
			}
		}
	}
	return 0, false
}

func memoryOf(before, after memSample, connected int) memoryResult {
	m := memoryResult{RSSBeforeMiB: -1, RSSAfterMiB: -1, PerConnKiB: -1, Connections: connected, Source: after.Source}
	if before.Conns >= 0 && after.Conns >= 0 && after.Conns > before.Conns {
		m.Connections = int(after.Conns - before.Conns)
	}
	if before.RSS >= 0 && after.RSS >= 0 && before.Source == after.Source {
		m.RSSBeforeMiB, m.RSSAfterMiB = before.RSS/(1<<20), after.RSS/(1<<20)
		if m.Connections > 0 {
			m.PerConnKiB = (after.RSS - before.RSS) / 1024 / float64(m.Connections)
		}
	}
	if m.Source == "" {
		m.Source = "n/a"
	}
	return m
}

// cpuSample is CPU time used so far by the server (when its pid is known) and by the
// generator itself.
type cpuSample struct {
	server float64 // seconds; -1 unknown
	self   float64
}

type cpuResult struct {
	ServerPct    float64 `json:"server_pct"`    // of one core, over the editing period; -1: n/a
	GeneratorPct float64 `json:"generator_pct"` // of one core
}

func sampleCPU(pid int) cpuSample {
	s := cpuSample{server: -1}
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) == nil {
		s.self = float64(ru.Utime.Nano()+ru.Stime.Nano()) / 1e9
	}
	if pid > 0 {
		if b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid)); err == nil {
			// Fields after the command name (which may hold spaces) in parentheses.
			if i := strings.LastIndexByte(string(b), ')'); i > 0 {
				f := strings.Fields(string(b)[i+1:])
				if len(f) > 13 {
					ut, _ := strconv.ParseFloat(f[11], 64)
					stt, _ := strconv.ParseFloat(f[12], 64)
					s.server = (ut + stt) / 100 // USER_HZ is 100 on Linux
				}
			}
		}
	}
	return s
}

func cpuOf(a, b cpuSample, d time.Duration) cpuResult {
	r := cpuResult{ServerPct: -1}
	if a.server >= 0 && b.server >= a.server {
		r.ServerPct = 100 * (b.server - a.server) / d.Seconds()
	}
	r.GeneratorPct = 100 * (b.self - a.self) / d.Seconds()
	return r
}
