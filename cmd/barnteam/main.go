// Command barnteam serves the Barnteam meeting board.
//
//	go run ./cmd/barnteam          # http://127.0.0.1:8080 with SQLite under ./barnteam-data
//	go run ./cmd/barnteam -demo    # the same, with a demo team and one join link per member
//
// Every flag has an environment twin (see usage). This file only turns flags into a
// Config and wires the parts together; the logic lives under server/.
package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/barnteam/barnteam/exports"
	"github.com/barnteam/barnteam/server"
	"github.com/barnteam/barnteam/server/accounts"
	"github.com/barnteam/barnteam/server/board"
	"github.com/barnteam/barnteam/server/demo"
	"github.com/barnteam/barnteam/server/i18n"
	"github.com/barnteam/barnteam/server/store/postgres"
	"github.com/barnteam/barnteam/server/store/sqlite"
)

// Config is everything the process needs to start.
type Config struct {
	Addr        string
	MetricsAddr string
	DataDir     string
	BaseURL     string
	DatabaseURL string
	Demo        bool
	Labels      string
	// Barnets plan: from which age the child's agreement is required, how long an
	// established plan can be downloaded, and the rules it is made under.
	ChildSignAge int
	Retention    time.Duration
	LegalBasis   []string
}

func main() {
	args := os.Args[1:]
	run := serve
	switch {
	case len(args) >= 2 && args[0] == "user" && args[1] == "add":
		run, args = userAdd, args[2:]
	case len(args) >= 1 && args[0] == "backup":
		run, args = backup, args[1:]
	case len(args) >= 1 && args[0] == "restore":
		run, args = restore, args[1:]
	}
	if err := run(args, os.Getenv, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "barnteam:", err)
		os.Exit(1)
	}
}

func newFlagSet() *flag.FlagSet { return flag.NewFlagSet("barnteam", flag.ContinueOnError) }

// parseConfig reads flags, each with an environment twin; a flag given on the command
// line wins over the environment.
func parseConfig(fs *flag.FlagSet, args []string, getenv func(string) string, stderr io.Writer) (Config, error) {
	fs.SetOutput(stderr)
	env := func(name, def string) string {
		if v := getenv(name); v != "" {
			return v
		}
		return def
	}
	var c Config
	fs.StringVar(&c.Addr, "addr", env("BARNTEAM_ADDR", "127.0.0.1:8080"), "listen address (BARNTEAM_ADDR)")
	fs.StringVar(&c.MetricsAddr, "metrics-addr", env("BARNTEAM_METRICS_ADDR", ""), "listen address of the Prometheus metrics (/metrics) and Go's profiles (/debug/pprof/), for the operators' network only; empty: neither (BARNTEAM_METRICS_ADDR)")
	fs.StringVar(&c.DataDir, "data", env("BARNTEAM_DATA", "barnteam-data"), "data directory: the SQLite database lives here (BARNTEAM_DATA)")
	fs.StringVar(&c.BaseURL, "base-url", env("BARNTEAM_BASE_URL", ""), "public URL used in links, e.g. https://barnteam.example.se (BARNTEAM_BASE_URL; default http://<addr>)")
	fs.StringVar(&c.DatabaseURL, "database-url", env("BARNTEAM_DATABASE_URL", ""), "PostgreSQL URL; when empty the embedded SQLite is used (BARNTEAM_DATABASE_URL)")
	fs.StringVar(&c.Labels, "labels", env("BARNTEAM_LABELS", ""), "a JSON file with the municipality's own names of the needs compass's areas (BARNTEAM_LABELS)")
	signAge, _ := strconv.Atoi(env("BARNTEAM_CHILD_SIGN_AGE", strconv.Itoa(board.DefaultChildSignAge)))
	fs.IntVar(&c.ChildSignAge, "child-sign-age", signAge, "the age from which the child's agreement to the plan is required (BARNTEAM_CHILD_SIGN_AGE)")
	retentionDays, _ := strconv.Atoi(env("BARNTEAM_RETENTION_DAYS", strconv.Itoa(int(server.DefaultRetention/(24*time.Hour)))))
	fs.Func("retention-days", "how many days an established plan can be downloaded with a participant's link (BARNTEAM_RETENTION_DAYS; default 365)", func(v string) error {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return errors.New("must be a whole number of days, at least 1")
		}
		retentionDays = n
		return nil
	})
	legal := env("BARNTEAM_LEGAL_BASIS", "")
	fs.StringVar(&legal, "legal-basis", legal, "the rules Barnets plan is made under, as printed in it, separated by '|' (BARNTEAM_LEGAL_BASIS; default: SoL (2025:400) and 16 kap. 4 § HSL, OSL)")
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
	if c.ChildSignAge < 1 || c.ChildSignAge > 18 {
		return c, fmt.Errorf("-child-sign-age %d: must be between 1 and 18", c.ChildSignAge)
	}
	if retentionDays < 1 {
		return c, fmt.Errorf("BARNTEAM_RETENTION_DAYS: must be a whole number of days, at least 1")
	}
	c.Retention = time.Duration(retentionDays) * 24 * time.Hour
	for _, l := range strings.Split(legal, "|") {
		if l = strings.TrimSpace(l); l != "" {
			c.LegalBasis = append(c.LegalBasis, l)
		}
	}
	return c, nil
}

// serve runs the server until SIGINT or SIGTERM.
func serve(args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	cfg, err := parseConfig(newFlagSet(), args, getenv, stderr)
	if err != nil {
		return err
	}
	log := slog.New(slog.NewTextHandler(stderr, nil))

	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return err
	}
	if cfg.DatabaseURL == "" {
		// One server per SQLite database. (With PostgreSQL the data directory holds only
		// the signing key, which several instances may share.)
		release, err := lockDataDir(cfg.DataDir)
		if err != nil {
			return err
		}
		defer release()
	}
	store, err := openStore(cfg)
	if err != nil {
		return err
	}
	defer store.Close()

	cat, err := loadCatalog(cfg)
	if err != nil {
		return err
	}
	// The key that seals every plan lives in the data directory (back it up with the
	// database); it is made on the first start.
	signer, err := exports.LoadOrCreateSigner(cfg.DataDir)
	if err != nil {
		return err
	}
	// Every instance must seal with the same key, or a plan sealed here would not verify
	// there; the first start records the key's id in the database.
	kctx, kcancel := context.WithTimeout(context.Background(), storeOpenTimeout)
	recorded, err := store.ClaimSigningKey(kctx, signer.KeyID())
	kcancel()
	if err != nil {
		return err
	}
	if recorded != signer.KeyID() {
		return fmt.Errorf("the plans in this database are sealed with the key %s, but %s holds the key %s: copy %s from an instance that has the right one (or restore it from the backup)",
			recorded, filepath.Join(cfg.DataDir, keyFile), signer.KeyID(), keyFile)
	}
	srv, err := server.New(server.Config{BaseURL: cfg.BaseURL, Store: store, Catalog: cat, Log: log,
		Signer: signer, ChildSignAge: cfg.ChildSignAge, Retention: cfg.Retention, LegalBasis: cfg.LegalBasis})
	if err != nil {
		return err
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	if cfg.Demo {
		res, err := demo.Seed(ctx, store, cfg.BaseURL, time.Now())
		if err != nil {
			return err
		}
		printDemo(stdout, cat, res)
	}
	// With no administrator yet, a one-time link sets the first one up.
	link, err := srv.Accounts().SetupLink(ctx)
	if err != nil {
		return err
	}
	if link != "" {
		fmt.Fprintf(stdout, "No administrator yet. Open this one-time link within 24 hours to create one:\n  %s\n", link)
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
	errc := make(chan error, 2)
	go func() { errc <- httpSrv.Serve(ln) }()
	if cfg.MetricsAddr != "" {
		mln, err := net.Listen("tcp", cfg.MetricsAddr)
		if err != nil {
			return fmt.Errorf("metrics: %w", err)
		}
		metricsSrv := &http.Server{Handler: operatorsMux(srv), ReadHeaderTimeout: 10 * time.Second}
		defer metricsSrv.Close()
		go func() { errc <- metricsSrv.Serve(mln) }()
		log.Info("metrics", "addr", mln.Addr().String())
	}
	if cfg.DatabaseURL != "" {
		// Never the URL: it may carry a password.
		log.Info("listening", "addr", ln.Addr().String(), "base_url", cfg.BaseURL, "store", "postgresql")
	} else {
		log.Info("listening", "addr", ln.Addr().String(), "base_url", cfg.BaseURL, "store", "sqlite", "data", cfg.DataDir)
	}

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

// operatorsMux serves what only operators may reach, on -metrics-addr: the metrics, and
// Go's profiles (/debug/pprof/) for finding where time and memory go under real load.
func operatorsMux(srv *server.Server) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/metrics", srv.MetricsHandler())
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	return mux
}

// loadCatalog loads the messages and the deployment's own area labels, if any.
func loadCatalog(cfg Config) (*i18n.Catalog, error) {
	cat, err := i18n.Load()
	if err != nil || cfg.Labels == "" {
		return cat, err
	}
	f, err := os.Open(cfg.Labels)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return cat, cat.OverrideAreaLabels(f)
}

// storeOpenTimeout bounds connecting to PostgreSQL and migrating it at start (a second
// instance starting at the same time waits for the first one's migrations).
const storeOpenTimeout = time.Minute

// openStore opens PostgreSQL when a database URL is given, else the embedded SQLite under
// the data directory. It takes no lock: "user add" may run beside a server.
func openStore(cfg Config) (board.Store, error) {
	if cfg.DatabaseURL != "" {
		ctx, cancel := context.WithTimeout(context.Background(), storeOpenTimeout)
		defer cancel()
		s, err := postgres.Open(ctx, cfg.DatabaseURL, postgres.Options{})
		if err != nil {
			return nil, fmt.Errorf("PostgreSQL: %w", err)
		}
		return s, nil
	}
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return nil, err
	}
	return sqlite.Open(filepath.Join(cfg.DataDir, "barnteam.db"), sqlite.Options{})
}

func printDemo(w io.Writer, cat *i18n.Catalog, res demo.Result) {
	fmt.Fprintln(w, "Demo: the Stödsamordnare signs in; everyone else joins with a personal link and waits")
	fmt.Fprintln(w, "in the lobby until the Stödsamordnare lets them in. Use one browser window each.")
	fmt.Fprintf(w, "  Stödsamordnare: %s  e-mail %s  password %s\n", res.LoginURL, res.Email, res.Password)
	for _, l := range res.Links {
		role := cat.T(i18n.Default, "role."+string(l.Member.Role))
		fmt.Fprintf(w, "  %-14s %-22s %s\n", l.Member.Name, role, l.URL)
	}
}

// userAdd is "barnteam user add": it creates a staff account and prints a one-time link
// with which the person sets their own password (no password goes through a shell).
func userAdd(args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("barnteam user add", flag.ContinueOnError)
	email := fs.String("email", "", "the user's e-mail address, their login (required)")
	name := fs.String("name", "", "the user's name (required)")
	org := fs.String("org", "", "the id of the user's organisation (verksamhet)")
	title := fs.String("title", "", "the user's title, e.g. Kurator")
	admin := fs.Bool("admin", false, "make the user an administrator")
	cfg, err := parseConfig(fs, args, getenv, stderr)
	if err != nil {
		return err
	}
	store, err := openStore(cfg)
	if err != nil {
		return err
	}
	defer store.Close()
	svc, err := accounts.New(store, cfg.BaseURL, nil)
	if err != nil {
		return err
	}
	cat, err := i18n.Load()
	if err != nil {
		return err
	}
	u, link, err := svc.AddUser(context.Background(), board.User{Email: *email, Name: *name, OrgID: *org, Title: *title, Admin: *admin}, accounts.Actor{User: board.User{Name: "barnteam user add"}})
	var be *board.Error
	if errors.As(err, &be) {
		return errors.New(cat.T("en", be.Key, be.Args...))
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "Created %s <%s>. Give them this one-time link (valid %s) to set their password:\n  %s\n", u.Name, u.Email, accounts.PasswordLinkTTL, link)
	return nil
}

// The SQLite database's file in the data directory, and the key that seals the plans.
const (
	dbFile  = "barnteam.db"
	keyFile = "plan-signing-key.pem"
)

// sqliteCommand reads the flags of backup and restore: the server's (-data and the rest)
// and the directory flag dirFlag, which is required. Both work on SQLite only.
func sqliteCommand(name, dirFlag, usage string, args []string, getenv func(string) string, stderr io.Writer) (Config, string, error) {
	fs := flag.NewFlagSet("barnteam "+name, flag.ContinueOnError)
	dir := fs.String(dirFlag, "", usage)
	cfg, err := parseConfig(fs, args, getenv, stderr)
	if err != nil {
		return cfg, "", err
	}
	if *dir == "" {
		return cfg, "", fmt.Errorf("-%s: %s", dirFlag, usage)
	}
	if cfg.DatabaseURL != "" {
		return cfg, "", fmt.Errorf("the database is PostgreSQL: %s it with the database's own tools (pg_dump, continuous archiving; docs/DEPLOY.md) and copy %s from the data directory", name, keyFile)
	}
	return cfg, *dir, nil
}

// backup is "barnteam backup -to DIR": a consistent copy of the SQLite database and the
// plan-signing key, made while the server runs. (With PostgreSQL, back up the database
// with its own tools; see docs/DEPLOY.md.)
func backup(args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	cfg, to, err := sqliteCommand("backup", "to", "a new directory for the backup (required; must not exist or be empty)", args, getenv, stderr)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(to, 0o700); err != nil {
		return err
	}
	if entries, err := os.ReadDir(to); err != nil || len(entries) > 0 {
		return fmt.Errorf("%s is not an empty directory", to)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	start := time.Now()
	if err := sqlite.Backup(ctx, filepath.Join(cfg.DataDir, dbFile), filepath.Join(to, dbFile)); err != nil {
		return err
	}
	keyCopied := false
	if b, err := os.ReadFile(filepath.Join(cfg.DataDir, keyFile)); err == nil {
		if err := os.WriteFile(filepath.Join(to, keyFile), b, 0o600); err != nil {
			return err
		}
		keyCopied = true
	} else if !errors.Is(err, os.ErrNotExist) {
		return err
	}
	info, err := os.Stat(filepath.Join(to, dbFile))
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "Backed up %s to %s (%d bytes, checked, %v)", filepath.Join(cfg.DataDir, dbFile), to, info.Size(), time.Since(start).Round(time.Millisecond))
	if keyCopied {
		fmt.Fprintf(stdout, " with %s", keyFile)
	}
	fmt.Fprintln(stdout, ".")
	return nil
}

// restore is "barnteam restore -from DIR": it puts a backup in place of the SQLite
// database (and the plan-signing key, if the backup has one). The server must be stopped;
// the files it replaces are kept beside them.
func restore(args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	cfg, from, err := sqliteCommand("restore", "from", "the backup directory, as made by barnteam backup (required)", args, getenv, stderr)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return err
	}
	release, err := lockDataDir(cfg.DataDir)
	if err != nil {
		return err
	}
	defer release()
	stamp := time.Now().UTC().Format("20060102T150405Z")
	ctx := context.Background()
	if err := sqlite.Restore(ctx, filepath.Join(from, dbFile), filepath.Join(cfg.DataDir, dbFile), stamp); err != nil {
		return err
	}
	msg := "Restored the database"
	if key, err := os.ReadFile(filepath.Join(from, keyFile)); err == nil {
		dst := filepath.Join(cfg.DataDir, keyFile)
		if cur, err := os.ReadFile(dst); err != nil || !bytes.Equal(cur, key) {
			if err == nil {
				if err := os.Rename(dst, dst+".replaced-"+stamp); err != nil {
					return err
				}
			}
			if err := os.WriteFile(dst, key, 0o600); err != nil {
				return err
			}
			msg += " and the plan-signing key"
		}
	}
	fmt.Fprintf(stdout, "%s from %s into %s; the replaced files are kept with the suffix .replaced-%s.\n", msg, from, cfg.DataDir, stamp)
	return nil
}
