// Command barnteam-load is the load generator of the live board: a real client written
// from docs/PROTOCOL.md that measures the server as its clients see it.
//
// It seeds R meetings × C participants with admitted guest sessions directly in the
// server's database (-sqlite or -database-url), connects one WebSocket per participant,
// makes E edits per second per meeting for a duration (with connection churn), drains,
// checks every confirmed op against the op log, and reports fan-out and durable-ack
// latency, lost and duplicated ops, rejects, reconnects and the server's memory per
// connection. With -storm it starts the server itself (-server-cmd), restarts it under
// the connected clients and times their return.
//
//	barnteam-load -sqlite barnteam-data/barnteam.db -server http://127.0.0.1:8080 \
//	    -meetings 1000 -clients 8 -edits 1 -duration 60s
//
// Exit status: 0 pass, 1 lost or duplicated ops (with -assert), 2 the run itself failed.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/pprof"
	"strings"
	"syscall"
	"time"

	"github.com/barnteam/barnteam/server/secret"
)

func main() {
	os.Exit(mainErr(os.Args[1:], os.Stdout, os.Stderr))
}

func parseFlags(args []string, stdout, stderr io.Writer) (config, error) {
	fs := flag.NewFlagSet("barnteam-load", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var c config
	var serverCmd string
	fs.StringVar(&c.SQLite, "sqlite", "", "the server's SQLite database (`path` to barnteam.db in its data directory)")
	fs.StringVar(&c.DatabaseURL, "database-url", "", "the server's PostgreSQL `url` (give exactly one of -sqlite and -database-url)")
	fs.StringVar(&c.Server, "server", "http://127.0.0.1:8080", "the server's base `url`")
	fs.StringVar(&c.Metrics, "metrics", "", "the server's Prometheus metrics `url`, e.g. http://127.0.0.1:9090/metrics (default: from -metrics-addr in -server-cmd, else none)")
	fs.StringVar(&serverCmd, "server-cmd", "", "start the server with this `command line` (after seeding) and stop it at the end, e.g. \"./barnteam -addr 127.0.0.1:8080 -data d\"; required by -storm")
	fs.IntVar(&c.ServerPID, "server-pid", 0, "`pid` of a server on this machine, to read its memory and CPU use from /proc")
	fs.StringVar(&c.ServerLog, "server-log", "", "append the started server's output to this `file` (default: discarded)")
	fs.IntVar(&c.Meetings, "meetings", 10, "R: meetings")
	fs.IntVar(&c.Clients, "clients", 8, "C: participants (one WebSocket each) per meeting: 1 coordinator, 2 guardians, the rest staff")
	fs.Float64Var(&c.EditsPerSec, "edits", 1, "E: edits per second per meeting, in total (a Poisson process per client)")
	fs.DurationVar(&c.Duration, "duration", 60*time.Second, "D: how long to edit")
	fs.Float64Var(&c.Churn, "churn", 0.1, "reconnects per client per minute (closes, drops and drops with an op in flight); 0 for none")
	fs.DurationVar(&c.ChurnPause, "churn-pause", time.Second, "a churned client comes back within this long")
	fs.DurationVar(&c.Ramp, "ramp", 10*time.Second, "spread the first connections over this long")
	fs.DurationVar(&c.ConnectWait, "connect-wait", 60*time.Second, "how long after the ramp to wait for everyone to be connected")
	fs.DurationVar(&c.Drain, "drain", 30*time.Second, "after editing, wait this long at most for every op to be confirmed or refused")
	fs.BoolVar(&c.Storm, "storm", false, "reconnect storm: restart the server (-server-cmd) halfway and time everyone's resume")
	fs.DurationVar(&c.StormWait, "storm-wait", 120*time.Second, "how long to wait for everyone to resume after the restart")
	fs.IntVar(&c.Agenda, "agenda", 3, "agenda items seeded per meeting")
	fs.StringVar(&c.RunID, "run-id", "", "prefix of the seeded ids (default: random), so runs never collide")
	fs.DurationVar(&c.DialTimeout, "dial-timeout", 20*time.Second, "timeout of one WebSocket handshake")
	fs.IntVar(&c.SeedWorkers, "seed-workers", 4, "meetings seeded at once")
	fs.StringVar(&c.JSON, "json", "", "also write the figures to this JSON `file`")
	fs.BoolVar(&c.Assert, "assert", true, "exit 1 when anything was lost or duplicated")
	fs.StringVar(&c.CPUProfile, "cpuprofile", "", "write the generator's own CPU profile to this `file`")
	fs.StringVar(&c.MemProfile, "memprofile", "", "write the generator's own heap profile to this `file` (taken after connecting)")
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if fs.NArg() > 0 {
		return c, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if (c.SQLite == "") == (c.DatabaseURL == "") {
		return c, fmt.Errorf("give exactly one of -sqlite and -database-url")
	}
	if c.Meetings < 1 || c.Clients < 1 {
		return c, fmt.Errorf("-meetings and -clients must be at least 1")
	}
	if serverCmd != "" {
		var err error
		if c.ServerCmd, err = splitCmd(serverCmd); err != nil {
			return c, err
		}
	}
	if c.Metrics == "" {
		// The server serves its metrics on an address of its own (-metrics-addr).
		c.Metrics = "none"
		for i, a := range c.ServerCmd {
			if (a == "-metrics-addr" || a == "--metrics-addr") && i+1 < len(c.ServerCmd) {
				c.Metrics = "http://" + c.ServerCmd[i+1] + "/metrics"
			} else if v, ok := strings.CutPrefix(strings.TrimPrefix(a, "-"), "-metrics-addr="); ok {
				c.Metrics = "http://" + v + "/metrics"
			}
		}
	}
	if c.Storm && len(c.ServerCmd) == 0 {
		return c, fmt.Errorf("-storm needs -server-cmd: the generator restarts the server itself")
	}
	if c.RunID == "" {
		c.RunID = secret.ID(5)
	}
	c.Out = &syncWriter{w: stdout}
	return c, nil
}

func mainErr(args []string, stdout, stderr io.Writer) int {
	cfg, err := parseFlags(args, stdout, stderr)
	if err != nil {
		if err == flag.ErrHelp {
			return 0
		}
		fmt.Fprintln(stderr, "barnteam-load:", err)
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if cfg.CPUProfile != "" {
		f, err := os.Create(cfg.CPUProfile)
		if err != nil {
			fmt.Fprintln(stderr, "barnteam-load:", err)
			return 2
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			fmt.Fprintln(stderr, "barnteam-load:", err)
			return 2
		}
		defer pprof.StopCPUProfile()
	}
	res, err := run(ctx, cfg)
	if res != nil {
		writeReport(stdout, res)
		if cfg.JSON != "" {
			if jerr := writeJSON(cfg.JSON, res); jerr != nil {
				fmt.Fprintln(stderr, "barnteam-load:", jerr)
			}
		}
	}
	if err != nil {
		fmt.Fprintln(stderr, "barnteam-load:", err)
		return 2
	}
	if cfg.Assert && !res.Pass {
		return 1
	}
	return 0
}
