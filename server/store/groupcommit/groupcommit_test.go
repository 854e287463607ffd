package groupcommit

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/barnteam/barnteam/server/board"
)

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

// TestChangesWaitingTogetherShareABatch: while one batch is being written, the changes
// that arrive wait and then go in one batch together, each with its own result.
func TestChangesWaitingTogetherShareABatch(t *testing.T) {
	release := make(chan struct{})
	var mu sync.Mutex
	var sizes []int
	write := func(ctx context.Context, items []board.MeetingChange) []error {
		mu.Lock()
		sizes = append(sizes, len(items))
		first := len(sizes) == 1
		mu.Unlock()
		if first {
			<-release // hold the writer busy
		}
		errs := make([]error, len(items))
		for i, it := range items {
			if it.Change.CID == "bad" {
				errs[i] = board.ErrSeqConflict
			}
		}
		return errs
	}
	c := New(write, Options{})
	defer c.Close()

	results := make(chan error, 20)
	go func() { results <- c.Commit(context.Background(), "m0", board.Change{CID: "first"}) }()
	waitFor(t, "the first batch to start", func() bool { mu.Lock(); defer mu.Unlock(); return len(sizes) == 1 })
	const waiting = 10
	errsByCID := make(map[string]chan error)
	for i := 0; i < waiting; i++ {
		cid := fmt.Sprint("c", i)
		if i == 3 {
			cid = "bad"
		}
		ch := make(chan error, 1)
		errsByCID[cid] = ch
		go func() { ch <- c.Commit(context.Background(), fmt.Sprint("m", i), board.Change{CID: cid}) }()
	}
	waitFor(t, "the changes to queue", func() bool { return len(c.in) == waiting })
	close(release)
	if err := <-results; err != nil {
		t.Errorf("first change: %v", err)
	}
	for cid, ch := range errsByCID {
		err := <-ch
		if cid == "bad" && !errors.Is(err, board.ErrSeqConflict) {
			t.Errorf("the conflicting change: %v, want ErrSeqConflict", err)
		} else if cid != "bad" && err != nil {
			t.Errorf("%s: %v", cid, err)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if len(sizes) != 2 || sizes[1] != waiting {
		t.Errorf("batch sizes %v, want [1 %d]", sizes, waiting)
	}
	if b, n := c.Stats(); b != 2 || n != waiting+1 {
		t.Errorf("stats: %d batches, %d changes; want 2, %d", b, n, waiting+1)
	}
}

// TestGivenUpChangesAreNotWritten: a change whose caller gave up before its batch began
// is not written, and its caller hears why.
func TestGivenUpChangesAreNotWritten(t *testing.T) {
	release := make(chan struct{})
	var mu sync.Mutex
	var written []string
	c := New(func(ctx context.Context, items []board.MeetingChange) []error {
		mu.Lock()
		for _, it := range items {
			written = append(written, it.Change.CID)
		}
		first := len(written) == 1
		mu.Unlock()
		if first {
			<-release
		}
		return make([]error, len(items))
	}, Options{})
	defer c.Close()
	done := make(chan error, 1)
	go func() { done <- c.Commit(context.Background(), "m", board.Change{CID: "busy"}) }()
	waitFor(t, "the first batch", func() bool { mu.Lock(); defer mu.Unlock(); return len(written) == 1 })
	ctx, cancel := context.WithCancel(context.Background())
	gaveUp := make(chan error, 1)
	go func() { gaveUp <- c.Commit(ctx, "m", board.Change{CID: "impatient"}) }()
	waitFor(t, "the change to queue", func() bool { return len(c.in) == 1 })
	cancel()
	if err := <-gaveUp; !errors.Is(err, context.Canceled) {
		t.Errorf("the impatient caller: %v, want context.Canceled", err)
	}
	close(release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	// A later change still goes through, and the given-up one was never written.
	if err := c.Commit(context.Background(), "m", board.Change{CID: "later"}); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	for _, cid := range written {
		if cid == "impatient" {
			t.Errorf("written %v: the given-up change was written", written)
		}
	}
}

// TestClose: Close waits for the batch being written; later commits get ErrClosed.
func TestClose(t *testing.T) {
	release := make(chan struct{})
	started := make(chan struct{})
	c := New(func(ctx context.Context, items []board.MeetingChange) []error {
		close(started)
		<-release
		return make([]error, len(items))
	}, Options{})
	done := make(chan error, 1)
	go func() { done <- c.Commit(context.Background(), "m", board.Change{CID: "a"}) }()
	<-started
	closed := make(chan struct{})
	go func() { c.Close(); close(closed) }()
	close(release)
	if err := <-done; err != nil {
		t.Errorf("the change being written when Close was called: %v", err)
	}
	<-closed
	if err := c.Commit(context.Background(), "m", board.Change{CID: "b"}); !errors.Is(err, ErrClosed) {
		t.Errorf("commit after Close: %v, want ErrClosed", err)
	}
}
