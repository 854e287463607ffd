// Command barnteam serves the Barnteam meeting board.
//
//	go run ./cmd/barnteam          # http://127.0.0.1:8080 with SQLite under ./barnteam-data
//	go run ./cmd/barnteam -demo    # the same, with a demo team and one join link per member
//
// Every flag has an environment twin (see usage). This file only turns flags into a
// Config and wires the parts together; the logic lives under server/.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"syscall"
	"time"

	"github.com/barnteam/barnteam/server"
	"github.com/barnteam/barnteam/server/board"
	"github.com/barnteam/barnteam/server/demo"
	"github.com/barnteam/barnteam/server/i18n"
	"github.com/barnteam/barnteam/server/store/sqlite"
)

// Config is everything the process needs to start.
type Config struct {
	Addr        string
	DataDir     string
	BaseURL     string
	DatabaseURL string
	Demo        bool
}

func main() {
	if err := run(os.Args[1:], os.Getenv, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "barnteam:", err)
		os.Exit(1)
	}
}

// parseConfig reads flags, each with an environment twin; a flag given on the command
// line wins over the environment.
func parseConfig(args []string, getenv func(string) string, stderr io.Writer) (Config, error) {
	fs := flag.NewFlagSet("barnteam", flag.ContinueOnError)
	fs.SetOutput(stderr)
	env := func(name, def string) string {
		if v := getenv(name); v != "" {
			return v
		}
		return def
	}
	var c Config
	fs.StringVar(&c.Addr, "addr", env("BARNTEAM_ADDR", "127.0.0.1:8080"), "listen address (BARNTEAM_ADDR)")
	fs.StringVar(&c.DataDir, "data", env("BARNTEAM_DATA", "barnteam-data"), "data directory: the SQLite database lives here (BARNTEAM_DATA)")
	fs.StringVar(&c.BaseURL, "base-url", env("BARNTEAM_BASE_URL", ""), "public URL used in links, e.g. https://barnteam.example.se (BARNTEAM_BASE_URL; default http://<addr>)")
	fs.StringVar(&c.DatabaseURL, "database-url", env("BARNTEAM_DATABASE_URL", ""), "PostgreSQL URL; when empty the embedded SQLite is used (BARNTEAM_DATABASE_URL)")
	demoDefault, _ := strconv.ParseBool(env("BARNTEAM_DEMO", "false"))
	fs.BoolVar(&c.Demo, "demo", demoDefault, "seed a demo team and print one join link per member (BARNTEAM_DEMO)")
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if fs.NArg() > 0 {
		return c, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if c.BaseURL == "" {
		c.BaseURL = "http://" + c.Addr
	}
	return c, nil
}

func run(args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	cfg, err := parseConfig(args, getenv, stderr)
	if err != nil {
		return err
	}
	log := slog.New(slog.NewTextHandler(stderr, nil))

	store, err := openStore(cfg)
	if err != nil {
		return err
	}
	defer store.Close()

	cat, err := i18n.Load()
	if err != nil {
		return err
	}
	srv, err := server.New(server.Config{BaseURL: cfg.BaseURL, Store: store, Catalog: cat, Log: log})
	if err != nil {
		return err
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	if cfg.Demo {
		links, err := demo.Seed(ctx, store, cfg.BaseURL, time.Now())
		if err != nil {
			return err
		}
		printLinks(stdout, cat, links)
	}

	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return err
	}
	httpSrv := &http.Server{
		Handler:           srv.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       120 * time.Second,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	errc := make(chan error, 1)
	go func() { errc <- httpSrv.Serve(ln) }()
	log.Info("listening", "addr", ln.Addr().String(), "base_url", cfg.BaseURL, "data", cfg.DataDir)

	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down")
	// Live sockets first, with a "reconnect" close code: http.Server.Shutdown does not
	// close hijacked connections, and clients should resume on the next instance.
	sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	srv.Shutdown(sctx)
	if err := httpSrv.Shutdown(sctx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

func openStore(cfg Config) (board.Store, error) {
	if cfg.DatabaseURL != "" {
		return nil, errors.New("PostgreSQL is not supported yet; leave -database-url empty to use the embedded SQLite")
	}
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return nil, err
	}
	return sqlite.Open(filepath.Join(cfg.DataDir, "barnteam.db"), sqlite.Options{})
}

func printLinks(w io.Writer, cat *i18n.Catalog, links []demo.Link) {
	fmt.Fprintln(w, "Demo: one personal join link per member. Open each in its own browser window.")
	for _, l := range links {
		role := cat.T(i18n.Default, "role."+string(l.Member.Role))
		fmt.Fprintf(w, "  %-14s %-22s %s\n", l.Member.Name, role, l.URL)
	}
}
