package server

import (
	"fmt"
	"github.com/barnteam/barnteam/server/board"
	"github.com/barnteam/barnteam/server/i18n"
	"slices"
	"time"
)

// The meeting as its status bar shows it: the clock against the planned length and the
// current item's timer. The texts are what the page shows first; the client counts on
// from the server's clock every second.

// ClockText is the meeting clock now: minutes since the meeting went live, of the
// planned minutes.
func (d fragData) ClockText() string {
	m := d.B.Meeting
	if m.StartedAt == 0 {
		return ""
	}
	end := d.now().UnixMilli()
	if m.EndedAt != 0 {
		end = m.EndedAt
	}
	return d.P.Plain("meeting.clock", "minutes", fmt.Sprint((end-m.StartedAt)/60000), "planned", fmt.Sprint(d.B.PlannedMinutes()))
}

// NowMS is the server's clock when the fragment was drawn, in Unix ms: a page counts the
// timer from it until its connection brings the clock (a device's own clock may be wrong).
func (d fragData) NowMS() int64 { return d.now().UnixMilli() }

// TimerText is the time left on the item's timer now, as m:ss (with a minus sign when
// over).
func (d fragData) TimerText() string {
	t := d.B.Meeting.Timer
	if t == nil {
		return ""
	}
	return clockFormat(t.Remaining(d.now()))
}

func clockFormat(left time.Duration) string {
	sign := ""
	if left < 0 {
		sign, left = "−", -left
	}
	s := int(left.Round(time.Second) / time.Second)
	return fmt.Sprintf("%s%d:%02d", sign, s/60, s%60)
}

// ItemTitle is an agenda item's title, for the timer's label.
func (d fragData) ItemTitle(id string) string {
	if it, ok := d.B.Agenda[id]; ok {
		return it.Title.Value
	}
	return ""
}

// HasSpoken reports whether a member has spoken in the round.
func (d fragData) HasSpoken(memberID string) bool {
	r := d.B.Meeting.Round
	return r != nil && slices.Contains(r.Spoken, memberID)
}

// timerAnnouncement says what a timer op left: stopped, paused, or running with the
// whole minutes left.
func timerAnnouncement(p i18n.Printer, ch *board.Change, now time.Time) string {
	t := ch.Meeting.Timer
	switch {
	case t == nil:
		return p.T("announce.timer_stopped")
	case !t.Running:
		return p.T("announce.timer_paused")
	}
	return p.T("announce.timer_running", "count", int(t.Remaining(now).Round(time.Minute)/time.Minute))
}
