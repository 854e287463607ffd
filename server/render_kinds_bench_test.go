package server

import (
	"testing"

	"github.com/barnteam/barnteam/server/board"
	"github.com/barnteam/barnteam/server/realtime"
)

// benchRenderer is the demo board with a renderer and the variant of member's view.
func benchRenderer(b *testing.B, member string) (*board.Board, *board.Directory, boardRenderer, realtime.Variant) {
	bd, dir, cat := demoBoard(b)
	v, err := newViews(cat, func(s string) string { return "/static/x/" + s })
	if err != nil {
		b.Fatal(err)
	}
	m, _ := dir.Member(member)
	return bd, dir, boardRenderer{v: v, items: newItemCache()}, realtime.Participant{Member: m, Lang: "sv", View: "board"}.Variant()
}

func BenchmarkRenderKinds(b *testing.B) {
	bd, dir, r, variant := benchRenderer(b, "demo-guardian1")
	var act *board.Action
	for _, a := range bd.ActionList() {
		act = a
		break
	}
	var goal *board.Goal
	for _, g := range bd.Goals {
		goal = g
		break
	}
	agenda := bd.AgendaList()[0]
	kinds := map[string]*board.Change{
		"compass-text":  {Kind: board.OpSet, Entity: "compass/trygghet", Field: "works", Compass: bd.Compass["trygghet"]},
		"rate":          {Kind: board.OpRate, Entity: "compass/trygghet", Compass: bd.Compass["trygghet"]},
		"action-set":    {Kind: board.OpSet, Entity: "action/" + act.ID, Field: "what", Action: act},
		"action-create": {Kind: board.OpCreate, Entity: "action/" + act.ID, Action: act},
		"goal-create":   {Kind: board.OpCreate, Entity: "goal/" + goal.ID, Goal: goal},
		"agenda-notes":  {Kind: board.OpSet, Entity: "agenda/" + agenda.ID, Field: "notes", Agenda: agenda},
		"agenda-create": {Kind: board.OpCreate, Entity: "agenda/" + agenda.ID, Agenda: agenda},
	}
	for name, ch := range kinds {
		ch.Actor = "demo-teacher"
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				if _, _, err := r.Change(variant, bd, dir, ch); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkRenderRegions(b *testing.B) {
	bd, dir, r, variant := benchRenderer(b, "demo-guardian1")
	data := r.data(variant, bd, dir)
	data.Area = "trygghet"
	for _, x := range []region{{"actions", "actions", data}, {"area-trygghet-goals", "area-goals", data}, {"agenda", "agenda", data}, {"compass-drawing", "compass-drawing", data}, {"area-trygghet-ratings", "area-ratings", data}} {
		b.Run(x.tpl, func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				if _, err := r.frag(x.target, x.tpl, x.data); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	b.Logf("actions: %d, goals: %d, agenda: %d", len(bd.ActionList()), len(bd.Goals), len(bd.AgendaList()))
}

func BenchmarkRenderActionItem(b *testing.B) {
	bd, dir, r, variant := benchRenderer(b, "demo-coord")
	data := r.data(variant, bd, dir)
	e := data.ActionEntries()[0]
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if _, err := r.frag("act-x", "action-item", e); err != nil {
			b.Fatal(err)
		}
	}
}
