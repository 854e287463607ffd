package exports

import (
	"strings"
	"testing"
)

// TestMinutesMarkdown: every item in order with its notes, decisions and parking lot;
// people's words kept; raw HTML never passes; an empty section is left out.
func TestMinutesMarkdown(t *testing.T) {
	m := Minutes{MeetingTitle: "Barnteamsmöte *1*", Date: "2026-12-04", Child: "Alva, född 2017", People: []string{"Maria Lind", "Sara Nilsson"},
		Items: []MinutesItem{
			{Title: "Inledning", TimeboxMin: 10, Status: "Klar", Notes: "- Syftet\n- Samtycket bekräftas", Decisions: "Vi träffas igen i februari."},
			{Title: "Behov", TimeboxMin: 30, Notes: "Magont <script>alert(1)</script> på morgnarna.", Parked: "Skolskjutsen"},
		},
		Proposals: []string{"Läxorna"}}
	md := string(MinutesMarkdown(m))
	for _, want := range []string{"# Protokoll: Barnteamsmöte \\*1\\*", "## 1. Inledning (10 min)", "- Syftet", "### Beslut", "Vi träffas igen i februari.", "## 2. Behov (30 min)", "### Parkerat", "Skolskjutsen", "Förslag som inte togs upp", "- Läxorna", "Maria Lind"} {
		if !strings.Contains(md, want) {
			t.Errorf("the minutes lack %q:\n%s", want, md)
		}
	}
	if strings.Contains(md, "<script>") {
		t.Errorf("raw HTML passed into the minutes:\n%s", md)
	}
	if strings.Index(md, "Inledning") > strings.Index(md, "Behov") {
		t.Errorf("items out of order")
	}
	if strings.Count(md, "### Beslut") != 1 {
		t.Errorf("an empty decisions section was written")
	}
}
