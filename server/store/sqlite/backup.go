package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// Backup writes a consistent copy of the database file at dbPath to out, which must not
// exist yet, while a running server goes on reading and writing it: VACUUM INTO reads one
// snapshot of the database in a read transaction (WAL readers never block the writer and
// the writer never blocks them), and writes a compact, self-contained file without a
// WAL. The copy is then checked (Check). Copying the live barnteam.db with cp would miss
// whatever is still in the WAL.
func Backup(ctx context.Context, dbPath, out string) error {
	if _, err := os.Stat(dbPath); err != nil {
		return fmt.Errorf("the database %s: %w", dbPath, err)
	}
	if _, err := os.Stat(out); err == nil {
		return fmt.Errorf("%s exists already; a backup never overwrites a file", out)
	}
	db, err := sql.Open("sqlite", "file:"+filepath.ToSlash(dbPath)+"?_pragma=busy_timeout(5000)&_pragma=query_only(0)")
	if err != nil {
		return err
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	if _, err := db.ExecContext(ctx, `VACUUM INTO ?`, out); err != nil {
		os.Remove(out)
		return fmt.Errorf("backup: %w", err)
	}
	if err := os.Chmod(out, 0o600); err != nil {
		return err
	}
	if _, err := Check(ctx, out); err != nil {
		return fmt.Errorf("the backup %s does not check out: %w", out, err)
	}
	return nil
}

// Check opens a database file read-only and checks it: SQLite's integrity check, and a
// schema this program knows (no migration newer than its own). It returns the schema
// version.
func Check(ctx context.Context, path string) (int, error) {
	if _, err := os.Stat(path); err != nil {
		return 0, err
	}
	db, err := sql.Open("sqlite", "file:"+filepath.ToSlash(path)+"?mode=ro&_pragma=query_only(1)")
	if err != nil {
		return 0, err
	}
	defer db.Close()
	var res string
	if err := db.QueryRowContext(ctx, `PRAGMA integrity_check`).Scan(&res); err != nil {
		return 0, err
	}
	if res != "ok" {
		return 0, fmt.Errorf("integrity check: %s", res)
	}
	var version int
	if err := db.QueryRowContext(ctx, `SELECT coalesce(max(version), 0) FROM schema_migrations`).Scan(&version); err != nil {
		return 0, fmt.Errorf("not a barnteam database: %w", err)
	}
	if latest := latestMigration(); version > latest {
		return version, fmt.Errorf("schema version %d is newer than this program's %d; restore it with a newer barnteam", version, latest)
	}
	return version, nil
}

// latestMigration is the version of the newest embedded migration.
func latestMigration() int {
	names, _ := fs.Glob(migrations, "migrations/*.sql")
	if len(names) == 0 {
		return 0
	}
	sort.Strings(names)
	v, _ := strconv.Atoi(strings.SplitN(filepath.Base(names[len(names)-1]), "_", 2)[0])
	return v
}

// Restore replaces the database at dbPath with the backup at from (checked first). The
// files it replaces (the database, its WAL and shared-memory files) are kept beside it
// with the suffix ".replaced-"+stamp, never deleted. No server may have the database
// open: the caller makes sure (the data directory's lock).
func Restore(ctx context.Context, from, dbPath, stamp string) error {
	if _, err := Check(ctx, from); err != nil {
		return fmt.Errorf("the backup %s: %w", from, err)
	}
	tmp := dbPath + ".restoring"
	if err := copyFile(from, tmp); err != nil {
		return err
	}
	for _, suffix := range []string{"", "-wal", "-shm"} {
		old := dbPath + suffix
		if _, err := os.Stat(old); errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err := os.Rename(old, old+".replaced-"+stamp); err != nil {
			os.Remove(tmp)
			return err
		}
	}
	return os.Rename(tmp, dbPath)
}

// copyFile copies src to dst (created with mode 0600, never overwritten) and syncs it.
func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	if _, err := out.ReadFrom(in); err != nil {
		out.Close()
		os.Remove(dst)
		return err
	}
	if err := out.Sync(); err != nil {
		out.Close()
		os.Remove(dst)
		return err
	}
	return out.Close()
}
