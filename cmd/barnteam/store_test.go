package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/barnteam/barnteam/server/board"
	"github.com/barnteam/barnteam/server/store/postgres"

	"github.com/jackc/pgx/v5"
)

// TestDatabaseURLOpensPostgreSQL: with -database-url the server opens PostgreSQL (and
// never SQLite); a database it cannot reach stops the start with an error that does not
// repeat the URL's password.
func TestDatabaseURLOpensPostgreSQL(t *testing.T) {
	dir := t.TempDir()
	_, err := openStore(Config{DataDir: dir, DatabaseURL: "postgres://barnteam:s3cret-pw@127.0.0.1:1/barnteam?connect_timeout=2"})
	if err == nil || !strings.Contains(err.Error(), "PostgreSQL") || strings.Contains(err.Error(), "s3cret") {
		t.Errorf("unreachable database: err %v; want a PostgreSQL error without the password", err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("the data directory got %d entries; with a database URL SQLite must not be opened", len(entries))
	}

	base := os.Getenv("BARNTEAM_TEST_DATABASE_URL")
	if base == "" {
		t.Skip("BARNTEAM_TEST_DATABASE_URL is not set; the rest of this test needs PostgreSQL")
	}
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, base)
	if err != nil {
		t.Fatalf("BARNTEAM_TEST_DATABASE_URL is set but the database is unreachable: %v", err)
	}
	defer conn.Close(ctx)
	var b [8]byte
	rand.Read(b[:])
	schema := pgx.Identifier{"barnteam_test_" + hex.EncodeToString(b[:])}
	if _, err := conn.Exec(ctx, `CREATE SCHEMA `+schema.Sanitize()); err != nil {
		t.Fatal(err)
	}
	defer conn.Exec(ctx, `DROP SCHEMA `+schema.Sanitize()+` CASCADE`)
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("search_path", schema[0])
	u.RawQuery = q.Encode()

	st, err := openStore(Config{DataDir: dir, DatabaseURL: u.String()})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, ok := st.(*postgres.Store); !ok {
		t.Fatalf("store is %T, want *postgres.Store", st)
	}
	if err := st.CreateUser(ctx, board.User{ID: "u1", Email: "a@example.se", Name: "A", CreatedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	if n, err := st.Users(ctx); err != nil || len(n) != 1 {
		t.Errorf("users = %v, %v", n, err)
	}
}
