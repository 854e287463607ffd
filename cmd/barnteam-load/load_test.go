package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// These tests build the real barnteam binary, start it (the generator starts it, as with
// -server-cmd) on a free port, and run the generator in-process against it.

func buildServer(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "barnteam")
	cmd := exec.Command("go", "build", "-o", bin, "github.com/barnteam/barnteam/cmd/barnteam")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build ./cmd/barnteam: %v\n%s", err, out)
	}
	return bin
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// serverArgs is the command line of a server on a free port, with its metrics on
// another.
func serverArgs(t *testing.T, bin, dataDir string, extra ...string) (args []string, base, metrics string) {
	t.Helper()
	addr, maddr := freeAddr(t), freeAddr(t)
	args = append([]string{bin, "-addr", addr, "-data", dataDir, "-metrics-addr", maddr}, extra...)
	return args, "http://" + addr, "http://" + maddr + "/metrics"
}

func testConfig(t *testing.T, base, metrics string, serverCmd []string) config {
	var out bytes.Buffer
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("generator output:\n%s", out.String())
		}
	})
	return config{
		Server: base, Metrics: metrics, ServerCmd: serverCmd, ServerLog: filepath.Join(t.TempDir(), "server.log"),
		Meetings: 10, Clients: 4, EditsPerSec: 2, Duration: 4 * time.Second,
		Churn: 15, ChurnPause: 300 * time.Millisecond, Ramp: 500 * time.Millisecond, ConnectWait: 30 * time.Second,
		Drain: 30 * time.Second, StormWait: 60 * time.Second, Agenda: 3, RunID: "t", DialTimeout: 10 * time.Second,
		SeedWorkers: 4, Assert: true, Out: &syncWriter{w: &out},
	}
}

func checkResult(t *testing.T, res *result, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
	var rep bytes.Buffer
	writeReport(&rep, res)
	t.Logf("\n%s", rep.String())
	if res.Lost != 0 {
		t.Errorf("lost %d ops", res.Lost)
	}
	if res.Duplicated != 0 {
		t.Errorf("duplicated %d", res.Duplicated)
	}
	if !res.Pass {
		t.Errorf("failures: %v", res.Failures)
	}
	if res.Applied == 0 || res.Fanout.Samples == 0 || res.Ack.Samples == 0 {
		t.Errorf("nothing measured: applied %d, fan-out samples %d, ack samples %d", res.Applied, res.Fanout.Samples, res.Ack.Samples)
	}
	if res.Churned == 0 || res.Reconnects == 0 {
		t.Errorf("no churn: churned %d, reconnects %d", res.Churned, res.Reconnects)
	}
	if res.Verify.Confirmed != res.Applied {
		t.Errorf("confirmed in the trackers %d, applied %d", res.Verify.Confirmed, res.Applied)
	}
}

func TestLoadSQLite(t *testing.T) {
	bin := buildServer(t)
	data := t.TempDir()
	args, base, metrics := serverArgs(t, bin, data)
	cfg := testConfig(t, base, metrics, args)
	cfg.SQLite = filepath.Join(data, "barnteam.db")
	res, err := run(context.Background(), cfg)
	checkResult(t, res, err)
}

// TestStormSQLite restarts the server under the connected clients: everyone resumes,
// nothing is lost or duplicated across the restart.
func TestStormSQLite(t *testing.T) {
	bin := buildServer(t)
	data := t.TempDir()
	args, base, metrics := serverArgs(t, bin, data)
	cfg := testConfig(t, base, metrics, args)
	cfg.SQLite = filepath.Join(data, "barnteam.db")
	cfg.Meetings, cfg.Storm, cfg.Duration = 5, true, 6*time.Second
	res, err := run(context.Background(), cfg)
	checkResult(t, res, err)
	if res.Storm == nil || !res.Storm.AllResumed || res.Storm.Resumed == 0 {
		t.Errorf("storm: %+v", res.Storm)
	}
	if res.Closes["4002"] == 0 {
		t.Errorf("no client saw the restart's close code 4002: %v", res.Closes)
	}
}

// TestLoadPostgres runs the same against PostgreSQL when BARNTEAM_TEST_DATABASE_URL is
// set (in a fresh schema, dropped afterwards); an unreachable database fails the test.
func TestLoadPostgres(t *testing.T) {
	baseURL := os.Getenv("BARNTEAM_TEST_DATABASE_URL")
	if baseURL == "" {
		t.Skip("BARNTEAM_TEST_DATABASE_URL is not set")
	}
	dbURL := newSchema(t, baseURL)
	bin := buildServer(t)
	args, base, metrics := serverArgs(t, bin, t.TempDir(), "-database-url", dbURL)
	cfg := testConfig(t, base, metrics, args)
	cfg.DatabaseURL = dbURL
	res, err := run(context.Background(), cfg)
	checkResult(t, res, err)
}

func newSchema(t *testing.T, base string) string {
	t.Helper()
	ctx := context.Background()
	connect := func() *pgx.Conn {
		cctx, cancel := context.WithTimeout(ctx, 15*time.Second)
		defer cancel()
		conn, err := pgx.Connect(cctx, base)
		if err != nil {
			t.Fatalf("BARNTEAM_TEST_DATABASE_URL is set but the database is unreachable: %v", err)
		}
		return conn
	}
	var b [8]byte
	rand.Read(b[:])
	name := "barnteam_load_" + hex.EncodeToString(b[:])
	conn := connect()
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, `CREATE SCHEMA `+pgx.Identifier{name}.Sanitize()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		conn := connect()
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, `DROP SCHEMA `+pgx.Identifier{name}.Sanitize()+` CASCADE`); err != nil {
			t.Errorf("drop schema %s: %v", name, err)
		}
	})
	if strings.HasPrefix(base, "postgres://") || strings.HasPrefix(base, "postgresql://") {
		u, err := url.Parse(base)
		if err != nil {
			t.Fatal(err)
		}
		q := u.Query()
		q.Set("search_path", name)
		u.RawQuery = q.Encode()
		return u.String()
	}
	return fmt.Sprintf("%s search_path=%s", base, name)
}

func TestSplitCmd(t *testing.T) {
	got, err := splitCmd(`./barnteam -addr 127.0.0.1:1 -data "my dir" -x ''`)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"./barnteam", "-addr", "127.0.0.1:1", "-data", "my dir", "-x", ""}
	if fmt.Sprint(got) != fmt.Sprint(want) || len(got) != len(want) {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestParseProm(t *testing.T) {
	m := parseProm(strings.NewReader("# HELP x\n# TYPE barnteam_connections gauge\nbarnteam_connections 12\n"+
		"process_resident_memory_bytes 1.5e+07\ngo_memstats_sys_bytes{a=\"b c\"} 7\n"),
		"barnteam_connections", "process_resident_memory_bytes", "go_memstats_sys_bytes")
	if m["barnteam_connections"] != 12 || m["process_resident_memory_bytes"] != 1.5e7 || m["go_memstats_sys_bytes"] != 7 {
		t.Errorf("got %v", m)
	}
}

func TestHistogram(t *testing.T) {
	var h histogram
	for i := 1; i <= 10000; i++ {
		h.record(time.Duration(i) * time.Microsecond) // 1 µs … 10 ms
	}
	for _, c := range []struct{ q, want float64 }{{0.5, 5}, {0.99, 9.9}, {0.999, 9.99}} {
		got := h.quantile(c.q)
		if got < c.want*0.98 || got > c.want*1.02 {
			t.Errorf("q%.3f = %.3f ms, want ≈ %.3f", c.q, got, c.want)
		}
	}
	for us := int64(0); us < 1<<30; us = us*3/2 + 1 {
		if b := bucketOf(us); bucketValue(b) < us {
			t.Fatalf("bucket %d of %d µs has upper bound %d", b, us, bucketValue(b))
		}
	}
}

func TestStripHTML(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{`{"t":"event","seq":3,"change":{"cid":"x","compass":{"works":{"v":"a \"html\":[ b","r":3}}},"html":[{"target":"a","html":"<p class=\"x\">]}\\\\</p>"}],"announce":"A"}`,
			`{"t":"event","seq":3,"change":{"cid":"x","compass":{"works":{"v":"a \"html\":[ b","r":3}}},"announce":"A"}`},
		{`{"t":"event","seq":3,"html":[]}`, `{"t":"event","seq":3}`},
		{`{"t":"hb","now":1}`, `{"t":"hb","now":1}`},
		{`{"t":"event","html":["unterminated`, `{"t":"event","html":["unterminated`},
	} {
		if got := string(stripHTML([]byte(c.in))); got != c.want {
			t.Errorf("stripHTML(%s)\n got %s\nwant %s", c.in, got, c.want)
		}
	}
}
