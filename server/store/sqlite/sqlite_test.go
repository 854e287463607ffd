package sqlite_test

import (
	"context"
	"path/filepath"
	"testing"

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
