package store

import (
	"fmt"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/barnteam/barnteam/server/board"
)

// BenchCommitManyMeetings measures durable commits from many meetings at once, as the
// rooms of a busy server make them: meetings goroutines each commit their own meeting's
// changes one after another (a room waits for its commit before the next op), b.N changes
// in all. It reports changes per second and, if the store tells, changes per transaction:
// group commit is what makes the first large and the second more than one.
func BenchCommitManyMeetings(b *testing.B, s board.Store, meetings int) {
	ids := make([]string, meetings)
	for i := range ids {
		ids[i] = Seed(b, s, fmt.Sprint("bench", i)).Meeting.ID
	}
	type stats interface {
		CommitStats() (batches, changes uint64)
	}
	var batches0, changes0 uint64
	if st, ok := s.(stats); ok {
		batches0, changes0 = st.CommitStats()
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, meetings)
	b.ResetTimer()
	for _, id := range ids {
		wg.Add(1)
		go func(id string) {
			defer wg.Done()
			for seq := int64(1); next.Add(1) <= int64(b.N); seq++ {
				ch := agendaChange(seq, fmt.Sprint("c", seq), fmt.Sprint("a", seq%20), "Punkt")
				if err := s.Commit(ctx, id, ch); err != nil {
					errs <- err
					return
				}
			}
		}(id)
	}
	wg.Wait()
	b.StopTimer()
	close(errs)
	for err := range errs {
		b.Fatal(err)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "changes/s")
	if st, ok := s.(stats); ok {
		batches, changes := st.CommitStats()
		if batches > batches0 {
			b.ReportMetric(float64(changes-changes0)/float64(batches-batches0), "changes/tx")
		}
	}
}
