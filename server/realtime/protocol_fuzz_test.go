package realtime

import "testing"

// FuzzDecodeClientMsg: every client frame is untrusted. The decoder must never panic, must
// accept only the two message types, and an op it accepts must be a valid op.
func FuzzDecodeClientMsg(f *testing.F) {
	for _, s := range []string{
		`{"t":"op","cid":"c1","op":"set","entity":"compass/halsa","base":3,"data":{"field":"works","value":"x"}}`,
		`{"t":"op","cid":"c1","op":"create","entity":"agenda/a","data":{"title":"T"}}`,
		`{"t":"presence","editing":"agenda/a1#notes","hand":true}`,
		`{"t":"presence","editing":""}`,
		`{"t":"presence","editing":"agenda/a1"}`,
		`{"t":"hello"}`,
		`{"t":"op"}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		m, op, err := decodeClientMsg(raw)
		if err != nil {
			return
		}
		switch m.T {
		case "op":
			if err := op.Validate(); err != nil {
				t.Fatalf("accepted an invalid op: %v", err)
			}
			if op.Ref().Kind == "" {
				t.Fatal("accepted op without a parsed entity")
			}
		case "presence":
			if m.Editing != nil && len(*m.Editing) > maxEditingLen {
				t.Fatal("accepted an oversized presence field")
			}
		default:
			t.Fatalf("accepted message type %q", m.T)
		}
	})
}
