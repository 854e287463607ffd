// Package pgtest gives tests a throwaway PostgreSQL schema in the database named by
// BARNTEAM_TEST_DATABASE_URL: tests that need PostgreSQL skip when the variable is not
// set and fail when it is set but the database cannot be reached.
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// Env names the variable that switches the PostgreSQL tests on.
const Env = "BARNTEAM_TEST_DATABASE_URL"

// BaseURL returns the test database's URL, or skips the test.
func BaseURL(t testing.TB) string {
	t.Helper()
	u := os.Getenv(Env)
	if u == "" {
		t.Skip(Env + " is not set; set it (e.g. postgres://postgres@127.0.0.1:5432/test?sslmode=disable) to run the PostgreSQL tests")
	}
	return u
}

// Connect opens one plain connection to u, or fails the test.
func Connect(t testing.TB, u string) *pgx.Conn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, u)
	if err != nil {
		t.Fatalf("%s is set but the database is unreachable: %v", Env, err)
	}
	return conn
}

// Schema creates an empty schema with a random name and returns a URL whose search_path
// is that schema, so that what a test makes is isolated from every other test, package
// and run. The schema is dropped when the test ends.
func Schema(t testing.TB) string {
	t.Helper()
	base := BaseURL(t)
	var b [8]byte
	rand.Read(b[:])
	name := pgx.Identifier{"barnteam_test_" + hex.EncodeToString(b[:])}
	conn := Connect(t, base)
	defer conn.Close(context.Background())
	if _, err := conn.Exec(context.Background(), `CREATE SCHEMA `+name.Sanitize()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		conn := Connect(t, base)
		defer conn.Close(context.Background())
		if _, err := conn.Exec(context.Background(), `DROP SCHEMA `+name.Sanitize()+` CASCADE`); err != nil {
			t.Errorf("drop schema %s: %v", name[0], err)
		}
	})
	return WithSearchPath(t, base, name[0])
}

// WithSearchPath adds search_path to a postgres:// URL or a key=value connection string.
func WithSearchPath(t testing.TB, base, schema string) string {
	t.Helper()
	if strings.HasPrefix(base, "postgres://") || strings.HasPrefix(base, "postgresql://") {
		u, err := url.Parse(base)
		if err != nil {
			t.Fatalf("%s: %v", Env, err)
		}
		q := u.Query()
		q.Set("search_path", schema)
		u.RawQuery = q.Encode()
		return u.String()
	}
	return base + " search_path=" + schema
}
