package board

import (
	"encoding/json"
	"testing"
	"unicode/utf8"
)

// FuzzDecodeOp feeds untrusted bytes to the op decoder and, when it accepts them, to Apply
// on a seeded board as every role. Nothing may panic; an accepted op must survive a
// re-encode; an applied change must keep every text valid UTF-8 and within limits.
func FuzzDecodeOp(f *testing.F) {
	for _, s := range []string{
		`{"cid":"a","op":"create","entity":"agenda/n1","data":{"title":"Ny","timebox_min":5,"after":"a1"}}`,
		`{"cid":"a","op":"set","entity":"compass/halsa","base":0,"data":{"field":"works","value":"Sover gott"}}`,
		`{"cid":"a","op":"set","entity":"agenda/a1","base":1,"data":{"field":"notes","value":"**fet**"}}`,
		`{"cid":"a","op":"rate","entity":"compass/trygghet","data":{"perspective":"guardian:g1","value":"unknown"}}`,
		`{"cid":"a","op":"goto","entity":"meeting","data":{"from":"a1","to":"a2"}}`,
		`{"cid":"a","op":"move","entity":"action/x1","data":{"after":""}}`,
		`{"cid":"a","op":"set","entity":"action/x1","data":{"field":"responsible","value":"member:g1"}}`,
		`{"cid":"a","op":"create","entity":"goal/n","data":{"area":"halsa","term":"short","text":"Mål"}}`,
		`{"cid":"a","op":"delete","entity":"goal/g1"}`,
		`{"cid":"\u00e5","op":"set","entity":"meeting","base":9223372036854775807}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		op, err := DecodeOp(raw)
		if err != nil {
			if code(err) != CodeInvalid {
				t.Fatalf("decode error of class %v: %v", code(err), err)
			}
			return
		}
		again, err := json.Marshal(op)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := DecodeOp(again); err != nil {
			t.Fatalf("re-encoded op %s refused: %v", again, err)
		}
		for _, role := range Roles {
			b, dir, actors := seeded(t)
			ch, err := b.Apply(dir, actors[role], op, b.Seq+1)
			if err != nil {
				if code(err) == "other" {
					t.Fatalf("Apply returned a non-domain error: %v", err)
				}
				continue
			}
			b.Commit(ch)
			for _, x := range []any{ch.Agenda, ch.Compass, ch.Goal, ch.Action} {
				if x == nil {
					continue
				}
				for name, txt := range textFields(x) {
					if !utf8.ValidString(txt.Value) || utf8.RuneCountInString(txt.Value) > MaxTextLen {
						t.Fatalf("field %s holds invalid or oversized text", name)
					}
				}
			}
			if _, err := ch.EntityJSON(); err != nil {
				t.Fatalf("applied change has no entity: %v", err)
			}
		}
	})
}
