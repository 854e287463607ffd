package postgres_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/barnteam/barnteam/server/board"
	"github.com/barnteam/barnteam/server/store"
)

// BenchmarkApplyAndCommit is the hot path of every edit, without the network: decode the
// op, check and apply it, commit it durably (synchronous_commit=on: the WAL is flushed
// before COMMIT returns), then let the board take it. The same loop as SQLite's.
func BenchmarkApplyAndCommit(b *testing.B) {
	s := open(b, newSchema(b))
	defer s.Close()
	f := store.Seed(b, s, "1")
	ctx := context.Background()
	dir, err := board.LoadDirectory(ctx, s, f.Meeting.ID)
	if err != nil {
		b.Fatal(err)
	}
	bd, err := s.LoadBoard(ctx, f.Meeting.ID)
	if err != nil {
		b.Fatal(err)
	}
	actor := board.ActorOf(f.Coord)
	areas := board.Areas
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		area := areas[i%len(areas)]
		rev := bd.Compass[area].Works.Rev
		raw := fmt.Sprintf(`{"cid":"c%d","op":"set","entity":"compass/%s","base":%d,"data":{"field":"works","value":"Alva läser gärna och är duktig på matematik. Redigering %d."}}`, i, area, rev, i)
		op, err := board.DecodeOp([]byte(raw))
		if err != nil {
			b.Fatal(err)
		}
		ch, err := bd.Apply(dir, actor, op, bd.Seq+1)
		if err != nil {
			b.Fatal(err)
		}
		if err := s.Commit(ctx, f.Meeting.ID, ch); err != nil {
			b.Fatal(err)
		}
		bd.Commit(ch)
	}
}

// BenchmarkCommitManyMeetings: durable commits from 100 meetings at once (group commit).
func BenchmarkCommitManyMeetings(b *testing.B) {
	s := open(b, newSchema(b))
	defer s.Close()
	store.BenchCommitManyMeetings(b, s, 100)
}
