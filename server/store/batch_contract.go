package store

import (
	"errors"
	"fmt"
	"testing"

	"github.com/barnteam/barnteam/server/board"
)

// testCommitBatch: one batch with changes of several meetings, some of which must fail
// (a stale seq, a taken cid, a meeting that does not exist, two changes to one meeting
// in order): each change gets Commit's answer, the failed ones leave no trace and the
// others are all there.
func testCommitBatch(t *testing.T, s board.Store) {
	var f [5]Fixture
	for i := range f {
		f[i] = Seed(t, s, fmt.Sprint("b", i))
	}
	// Meetings 0 and 2 already have change 1 (cid "c1").
	must(t, s.Commit(ctx, f[0].Meeting.ID, agendaChange(1, "c1", "a1", "Ett")))
	must(t, s.Commit(ctx, f[2].Meeting.ID, agendaChange(1, "c1", "a1", "Ett")))
	batch := []board.MeetingChange{
		{MeetingID: f[1].Meeting.ID, Change: agendaChange(1, "n1", "a1", "Första")},  // fine
		{MeetingID: f[0].Meeting.ID, Change: agendaChange(1, "stale", "a2", "Sent")}, // seq 1 is taken
		{MeetingID: f[2].Meeting.ID, Change: agendaChange(2, "c1", "a2", "Igen")},    // cid c1 is taken
		{MeetingID: "nope", Change: agendaChange(1, "x", "a1", "Ingen")},             // no such meeting
		{MeetingID: f[3].Meeting.ID, Change: agendaChange(1, "n1", "a1", "Första")},  // fine
		{MeetingID: f[3].Meeting.ID, Change: agendaChange(2, "n2", "a2", "Andra")},   // fine, after the one before
		{MeetingID: f[4].Meeting.ID, Change: agendaChange(1, "n1", "a1", "Första")},  // fine
		{MeetingID: f[0].Meeting.ID, Change: agendaChange(2, "n2", "a2", "Andra")},   // fine: the stale one is gone
	}
	want := []error{nil, board.ErrSeqConflict, board.ErrDuplicateCID, board.ErrNotFound, nil, nil, nil, nil}
	errs := s.CommitBatch(ctx, batch)
	if len(errs) != len(batch) {
		t.Fatalf("%d results for %d changes", len(errs), len(batch))
	}
	for i, err := range errs {
		if !errors.Is(err, want[i]) || (want[i] == nil && err != nil) {
			t.Errorf("change %d (%s seq %d): err %v, want %v", i, batch[i].MeetingID, batch[i].Change.Seq, err, want[i])
		}
	}
	wantSeq := map[string]int64{f[0].Meeting.ID: 2, f[1].Meeting.ID: 1, f[2].Meeting.ID: 1, f[3].Meeting.ID: 2, f[4].Meeting.ID: 1}
	for id, seq := range wantSeq {
		b, err := s.LoadBoard(ctx, id)
		must(t, err)
		chs, err := s.ChangesSince(ctx, id, 0, 100)
		must(t, err)
		if b.Seq != seq || int64(len(chs)) != seq {
			t.Errorf("%s: seq %d with %d changes in the log, want %d", id, b.Seq, len(chs), seq)
		}
		if b.Agenda["a2"] != nil && b.Agenda["a2"].Title.Value != "Andra" {
			t.Errorf("%s: a refused change was written: a2 is %q", id, b.Agenda["a2"].Title.Value)
		}
	}
	if _, err := s.SeqByCID(ctx, f[0].Meeting.ID, "stale"); !errors.Is(err, board.ErrNotFound) {
		t.Errorf("the stale change's cid: err %v, want ErrNotFound", err)
	}
	edits, err := s.Audit(ctx, board.AuditFilter{Action: board.AuditEdit})
	must(t, err)
	if len(edits) != 2+5 {
		t.Errorf("%d edit audit rows, want 7 (two before, five in the batch)", len(edits))
	}
	// An empty batch is no error.
	if errs := s.CommitBatch(ctx, nil); len(errs) != 0 {
		t.Errorf("an empty batch: %v", errs)
	}
}
