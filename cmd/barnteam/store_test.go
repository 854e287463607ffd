package main

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/barnteam/barnteam/server/board"
	"github.com/barnteam/barnteam/server/store/pgtest"
	"github.com/barnteam/barnteam/server/store/postgres"
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

	ctx := context.Background()
	u := pgtest.Schema(t)
	st, err := openStore(Config{DataDir: dir, DatabaseURL: u})
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
