package exports

import (
	"fmt"
	"strings"
)

// The minutes (protokoll) of a meeting: its agenda items in order, each with its notes
// (Markdown already, written back through the same syntax tree as the plan's notes, so no
// raw HTML survives), its decisions and what was parked. For pasting into a journal
// system, like the plan's Markdown.

// Minutes is one meeting's minutes, every text as people wrote it.
type Minutes struct {
	MeetingTitle string
	Date         string // YYYY-MM-DD
	Child        string // "Alva, född 2017"
	People       []string
	Items        []MinutesItem
	// Proposals are items proposed and not taken into the agenda.
	Proposals []string
}

// MinutesItem is one agenda item.
type MinutesItem struct {
	Title      string
	TimeboxMin int
	Status     string // already in words ("Klar")
	Notes      string // Markdown
	Decisions  string // Markdown
	Parked     string // Markdown
}

// MinutesMarkdown writes the minutes as Markdown, in Swedish.
func MinutesMarkdown(m Minutes) []byte {
	w := &mdWriter{}
	w.heading(1, fmt.Sprintf(txtMinutesTitle, m.MeetingTitle))
	w.field("", txtMinutesDate, m.Date)
	w.field("", txtMinutesChild, m.Child)
	w.field("", txtMinutesPeople, strings.Join(m.People, txtListSep))
	w.blank()
	if len(m.Items) == 0 {
		w.para(txtMinutesEmpty)
	}
	for i, it := range m.Items {
		title := fmt.Sprintf("%d. %s", i+1, it.Title)
		if it.TimeboxMin > 0 {
			title += fmt.Sprintf(" (%d min)", it.TimeboxMin)
		}
		w.heading(2, title)
		if it.Status != "" {
			w.field("", txtMinutesStatus, it.Status)
			w.blank()
		}
		section := func(label, text string) {
			if strings.TrimSpace(text) == "" {
				return
			}
			w.heading(3, label)
			writeNoteMarkdown(w, parseNote(text))
		}
		section(txtMinutesNotes, it.Notes)
		section(txtMinutesDecisions, it.Decisions)
		section(txtMinutesParked, it.Parked)
	}
	if len(m.Proposals) > 0 {
		w.heading(2, txtMinutesProposals)
		for _, p := range m.Proposals {
			w.line("- ", mdEscape(p, "  "))
		}
		w.blank()
	}
	return []byte(w.b.String())
}
