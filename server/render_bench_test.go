package server

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/barnteam/barnteam/server/board"
	"github.com/barnteam/barnteam/server/demo"
	"github.com/barnteam/barnteam/server/i18n"
	"github.com/barnteam/barnteam/server/realtime"
	"github.com/barnteam/barnteam/server/store/sqlite"
)

// demoBoard loads the demo meeting's board and directory from a fresh database.
func demoBoard(tb testing.TB) (*board.Board, *board.Directory, *i18n.Catalog) {
	tb.Helper()
	st, err := sqlite.Open(filepath.Join(tb.TempDir(), "r.db"), sqlite.Options{})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { st.Close() })
	ctx := context.Background()
	if _, err := demo.Seed(ctx, st, "http://127.0.0.1", time.Now()); err != nil {
		tb.Fatal(err)
	}
	b, err := st.LoadBoard(ctx, demo.MeetingID)
	if err != nil {
		tb.Fatal(err)
	}
	dir, err := board.LoadDirectory(ctx, st, demo.MeetingID)
	if err != nil {
		tb.Fatal(err)
	}
	cat, err := i18n.Load()
	if err != nil {
		tb.Fatal(err)
	}
	return b, dir, cat
}

// BenchmarkRenderAreaChange is the server's cost per variant of one compass edit: the
// area region re-rendered for one person's language, role and perspective.
func BenchmarkRenderAreaChange(b *testing.B) {
	bd, dir, cat := demoBoard(b)
	v, err := newViews(cat, func(s string) string { return "/static/x/" + s })
	if err != nil {
		b.Fatal(err)
	}
	r := boardRenderer{v: v}
	m, _ := dir.Member("demo-guardian1")
	variant := realtime.Participant{Member: m, Lang: "sv", View: "board"}.Variant()
	ch := &board.Change{Seq: bd.Seq, Actor: "demo-teacher", Kind: board.OpRate, Entity: "compass/trygghet", Compass: bd.Compass["trygghet"]}
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if _, _, err := r.Change(variant, bd, dir, ch); err != nil {
			b.Fatal(err)
		}
	}
}
