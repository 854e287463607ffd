package sqlite

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/barnteam/barnteam/server/board"
	"github.com/barnteam/barnteam/server/store"
)

// TestDiskFull: when the database cannot grow (SQLite's "database or disk is full", here
// by capping its pages at what it has), a batch of commits fails as a whole and leaves no
// trace; the store is not broken by it and commits again once there is room.
func TestDiskFull(t *testing.T) {
	ctx := context.Background()
	s, err := Open(filepath.Join(t.TempDir(), "barnteam.db"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	f, g := store.Seed(t, s, "1"), store.Seed(t, s, "2")
	var pages int
	if err := s.w.QueryRowContext(ctx, `PRAGMA page_count`).Scan(&pages); err != nil {
		t.Fatal(err)
	}
	// The writer is one connection, so the cap holds for every commit.
	if _, err := s.w.ExecContext(ctx, fmt.Sprintf(`PRAGMA max_page_count = %d`, pages)); err != nil {
		t.Fatal(err)
	}
	big := strings.Repeat("Alva tycker om att läsa. ", 4000) // ~100 KB: needs new pages
	change := func(seq int64, id string) board.Change {
		return board.Change{Seq: seq, CID: "c-" + id, Actor: "coord1", Kind: board.OpCreate, Entity: "agenda/" + id,
			Agenda: &board.AgendaItem{ID: id, Pos: "V", Title: board.Text{Value: big, Rev: seq}, Status: board.AgendaOpen, Rev: seq}}
	}
	batch := []board.MeetingChange{{MeetingID: f.Meeting.ID, Change: change(1, "a1")}, {MeetingID: g.Meeting.ID, Change: change(1, "a1")}}
	errs := s.CommitBatch(ctx, batch)
	for i, err := range errs {
		if err == nil || !strings.Contains(err.Error(), "full") {
			t.Errorf("change %d with the disk full: err %v, want SQLite's \"full\"", i, err)
		}
	}
	for _, id := range []string{f.Meeting.ID, g.Meeting.ID} {
		b, err := s.LoadBoard(ctx, id)
		if err != nil {
			t.Fatalf("reading after the failed commit: %v", err)
		}
		if b.Seq != 0 || len(b.Agenda) != 0 {
			t.Errorf("%s after the failed commit: seq %d, %d agenda items; want nothing written", id, b.Seq, len(b.Agenda))
		}
	}
	// Room again: the same changes commit.
	if _, err := s.w.ExecContext(ctx, `PRAGMA max_page_count = 1073741823`); err != nil {
		t.Fatal(err)
	}
	for i, err := range s.CommitBatch(ctx, batch) {
		if err != nil {
			t.Errorf("change %d after the disk has room: %v", i, err)
		}
	}
	if b, err := s.LoadBoard(ctx, f.Meeting.ID); err != nil || b.Seq != 1 || b.Agenda["a1"] == nil {
		t.Errorf("after the retry: %v, %v", b, err)
	}
}
