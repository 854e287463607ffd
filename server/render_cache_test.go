package server

import (
	"fmt"
	"testing"
	"time"

	"github.com/barnteam/barnteam/server/board"
	"github.com/barnteam/barnteam/server/realtime"
)

// TestActionItemCache: after every kind of change that an action's item shows (the action
// itself, its place in the list, the goals, the people, the phase), the kept item of every
// variant is exactly what drawing it afresh gives. A key that misses an input fails here.
func TestActionItemCache(t *testing.T) {
	bd, dir, cat := demoBoard(t)
	v, err := newViews(cat, func(s string) string { return "/static/x/" + s })
	if err != nil {
		t.Fatal(err)
	}
	cached := boardRenderer{v: v, items: newItemCache()}
	var variants []realtime.Variant
	for _, id := range []string{"demo-coord", "demo-guardian1", "demo-teacher"} {
		m, _ := dir.Member(id)
		for _, lang := range []string{"sv", "en"} {
			variants = append(variants, realtime.Participant{Member: m, Lang: lang, View: viewBoard}.Variant())
		}
	}
	check := func(step string) {
		t.Helper()
		hits := 0
		for _, vr := range variants {
			d := cached.data(vr, bd, dir)
			for _, e := range d.ActionEntries() {
				// Twice: the second is from the cache whenever the key is unchanged.
				for i := 0; i < 2; i++ {
					got, err := d.ActionItem(e)
					if err != nil {
						t.Fatal(err)
					}
					want, err := d.drawActionItem(e)
					if err != nil {
						t.Fatal(err)
					}
					if got != want {
						t.Fatalf("%s: the kept item of %s for %+v differs from a fresh one", step, e.Action.Item.ID, vr)
					}
				}
				hits++
			}
		}
		if hits == 0 {
			t.Fatalf("%s: no actions drawn", step)
		}
	}
	coord, _ := dir.Member("demo-coord")
	apply := func(step, raw string) {
		t.Helper()
		op, err := board.DecodeOp([]byte(raw))
		if err != nil {
			t.Fatalf("%s: %v", step, err)
		}
		ch, err := bd.ApplyWith(dir, board.ActorOf(coord), op, bd.Seq+1, board.ApplyEnv{At: time.Now()})
		if err != nil {
			t.Fatalf("%s: %v", step, err)
		}
		bd.Commit(ch)
		check(step)
	}
	check("the demo board")
	first := bd.ActionList()[0].ID
	rev := func(x int64) string { return fmt.Sprint(x) }
	steps := []struct {
		name string
		op   func() string
	}{
		{"a new action", func() string { return `{"cid":"c1","op":"create","entity":"action/k1","data":{"what":"Ringa skolan"}}` }},
		{"its text", func() string {
			return `{"cid":"c2","op":"set","entity":"action/k1","base":` + rev(bd.Actions["k1"].What.Rev) + `,"data":{"field":"what","value":"Ringa mentorn"}}`
		}},
		{"its status", func() string {
			return `{"cid":"c3","op":"set","entity":"action/k1","data":{"field":"status","value":"ongoing"}}`
		}},
		{"responsible", func() string {
			return `{"cid":"c4","op":"set","entity":"action/k1","data":{"field":"responsible","value":"member:demo-teacher"}}`
		}},
		{"moved first", func() string { return `{"cid":"c5","op":"move","entity":"action/k1","data":{"after":""}}` }},
		{"a new goal", func() string {
			return `{"cid":"c6","op":"create","entity":"goal/h1","data":{"area":"halsa","term":"short","text":"Sova bättre"}}`
		}},
		{"linked to it", func() string {
			return `{"cid":"c7","op":"set","entity":"action/k1","data":{"field":"goal_id","value":"h1"}}`
		}},
		{"the goal's text", func() string {
			return `{"cid":"c8","op":"set","entity":"goal/h1","base":` + rev(bd.Goals["h1"].Text.Rev) + `,"data":{"field":"text","value":"Sova hela natten"}}`
		}},
		{"the goal deleted", func() string { return `{"cid":"c9","op":"delete","entity":"goal/h1"}` }},
		{"another action deleted", func() string { return `{"cid":"c10","op":"delete","entity":"action/` + first + `"}` }},
		{"the meeting closed", func() string {
			return `{"cid":"c11","op":"phase","entity":"meeting","data":{"from":"live","to":"closed"}}`
		}},
	}
	for _, s := range steps {
		apply(s.name, s.op())
	}
	// A reloaded directory (a member renamed) is a new directory.
	renamed := *dir
	renamed.Members = append([]board.Member(nil), dir.Members...)
	for i := range renamed.Members {
		if renamed.Members[i].ID == "demo-teacher" {
			renamed.Members[i].Name = "Johan Bergström"
		}
	}
	dir = &renamed
	check("a member renamed")
}
