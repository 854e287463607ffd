package sqlite_test

import (
	"context"
	"database/sql"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/barnteam/barnteam/server/board"
	"github.com/barnteam/barnteam/server/store"
	"github.com/barnteam/barnteam/server/store/sqlite"
)

func open(t testing.TB, path string) *sqlite.Store {
	t.Helper()
	s, err := sqlite.Open(path, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestContract(t *testing.T) {
	store.RunContract(t, func(t *testing.T) board.Store {
		return open(t, filepath.Join(t.TempDir(), "barnteam.db"))
	})
}

// TestReopen checks that committed changes and the seq survive closing and reopening the
// file, and that migrating an existing database again is harmless.
func TestReopen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "barnteam.db")
	s := open(t, path)
	f := store.Seed(t, s, "1")
	dir, err := board.LoadDirectory(context.Background(), s, f.Meeting.ID)
	if err != nil {
		t.Fatal(err)
	}
	b, err := s.LoadBoard(context.Background(), f.Meeting.ID)
	if err != nil {
		t.Fatal(err)
	}
	op, err := board.DecodeOp([]byte(`{"cid":"c1","op":"create","entity":"agenda/a1","data":{"title":"Inledning"}}`))
	if err != nil {
		t.Fatal(err)
	}
	ch, err := b.Apply(dir, board.Actor{MemberID: f.Coord.ID, Role: board.RoleCoordinator}, op, 1)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Commit(context.Background(), f.Meeting.ID, ch); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = open(t, path)
	defer s.Close()
	b, err = s.LoadBoard(context.Background(), f.Meeting.ID)
	if err != nil {
		t.Fatal(err)
	}
	if b.Seq != 1 || b.Agenda["a1"] == nil || b.Agenda["a1"].Title.Value != "Inledning" {
		t.Fatalf("after reopen: seq %d, agenda %+v", b.Seq, b.Agenda)
	}
}

// TestAuditLogIsAppendOnly: the database itself refuses to change or delete audit rows,
// whatever code runs against it.
func TestAuditLogIsAppendOnly(t *testing.T) {
	path := filepath.Join(t.TempDir(), "barnteam.db")
	s := open(t, path)
	defer s.Close()
	if err := s.AppendAudit(context.Background(), board.AuditEntry{At: time.Now(), Action: board.AuditLogin, ActorName: "A"}); err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, q := range []string{`UPDATE audit_log SET actor_name = 'B'`, `DELETE FROM audit_log`} {
		if _, err := db.Exec(q); err == nil || !strings.Contains(err.Error(), "append-only") {
			t.Errorf("%s: err %v, want the append-only refusal", q, err)
		}
	}
	rows, err := s.Audit(context.Background(), board.AuditFilter{})
	if err != nil || len(rows) != 1 || rows[0].ActorName != "A" {
		t.Errorf("audit after the attempts: %+v, %v", rows, err)
	}
}
