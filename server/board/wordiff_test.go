package board

import (
	"strings"
	"testing"
)

// TestDiffWords: the parts give back both texts, and a changed word shows as that word
// deleted and its replacement inserted.
func TestDiffWords(t *testing.T) {
	cases := []struct{ old, new, want string }{
		{"Rastvärd varje dag", "Rastvärd varje skoldag", "Rastvärd varje [-dag-]{+skoldag+}"},
		{"", "Ny text", "{+Ny text+}"},
		{"Gammal text", "", "[-Gammal text-]"},
		{"Samma", "Samma", "Samma"},
		{"Alva sover dåligt. Ont i magen.", "Alva sover bättre. Ont i magen.", "Alva sover [-dåligt. -]{+bättre. +}Ont i magen."},
	}
	for _, tc := range cases {
		parts := DiffWords(tc.old, tc.new)
		var got, oldBack, newBack strings.Builder
		for _, p := range parts {
			switch p.Op {
			case DiffEqual:
				got.WriteString(p.Text)
				oldBack.WriteString(p.Text)
				newBack.WriteString(p.Text)
			case DiffDelete:
				got.WriteString("[-" + p.Text + "-]")
				oldBack.WriteString(p.Text)
			case DiffInsert:
				got.WriteString("{+" + p.Text + "+}")
				newBack.WriteString(p.Text)
			}
		}
		if got.String() != tc.want {
			t.Errorf("DiffWords(%q, %q) = %s, want %s", tc.old, tc.new, got.String(), tc.want)
		}
		if oldBack.String() != tc.old || newBack.String() != tc.new {
			t.Errorf("DiffWords(%q, %q) does not give the texts back: %q, %q", tc.old, tc.new, oldBack.String(), newBack.String())
		}
	}
}
