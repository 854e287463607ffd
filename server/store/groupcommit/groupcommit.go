// Package groupcommit batches the commits of many meetings into one database transaction.
//
// Every change must be durable before it is broadcast, and a durable commit costs a disk
// flush (an fsync) of several milliseconds. One transaction per change would cap a server
// at a few hundred changes a second across all its meetings. Instead, a committer takes
// every change that is waiting when it becomes free, writes them all in one transaction
// and flushes once: under load each flush carries many changes, and with no load a change
// is written at once, without waiting for company (no timer, no added latency).
//
// The store decides how a batch is written (its WriteFunc) and reports one result per
// change, so a change that conflicts (another instance took its seq) fails alone.
package groupcommit

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"time"

	"github.com/barnteam/barnteam/server/board"
)

// WriteFunc (a store's CommitBatch) writes items in one transaction and returns one error per item (nil when that
// item is durable). It must leave no item half-written.
type WriteFunc func(ctx context.Context, items []board.MeetingChange) []error

// Options tune a Committer; zero values get the defaults noted.
type Options struct {
	// Workers is how many batches may be written at once (1). SQLite has one writer; a
	// PostgreSQL server flushes concurrent transactions together, so two workers overlap
	// one batch's flush with the next batch's statements.
	Workers int
	// MaxBatch caps the changes in one transaction (256), which bounds how long row locks
	// are held and how much one failure retries.
	MaxBatch int
	// Timeout bounds the writing of one batch (10s).
	Timeout time.Duration
}

// Committer is the queue in front of a store's writer.
type Committer struct {
	write WriteFunc
	opt   Options
	in    chan *pending
	quit  chan struct{}
	// drained is closed once Close has answered everything queued: a commit queued
	// after that is answered by Commit itself.
	drained chan struct{}
	wg      sync.WaitGroup
	once    sync.Once

	batches atomic.Uint64
	items   atomic.Uint64
}

type pending struct {
	ctx  context.Context
	item board.MeetingChange
	done chan error
}

// ErrClosed is returned for commits after Close.
var ErrClosed = errors.New("groupcommit: closed")

// New starts a committer.
func New(write WriteFunc, opt Options) *Committer {
	if opt.Workers <= 0 {
		opt.Workers = 1
	}
	if opt.MaxBatch <= 0 {
		opt.MaxBatch = 256
	}
	if opt.Timeout <= 0 {
		opt.Timeout = 10 * time.Second
	}
	c := &Committer{write: write, opt: opt, in: make(chan *pending, opt.MaxBatch), quit: make(chan struct{}), drained: make(chan struct{})}
	for i := 0; i < opt.Workers; i++ {
		c.wg.Add(1)
		go c.loop()
	}
	return c
}

// Commit queues one change and waits until it is durable or failed. If ctx ends first,
// Commit returns ctx's error; the change may still be written (a caller that retries
// finds it by its cid).
func (c *Committer) Commit(ctx context.Context, meetingID string, ch board.Change) error {
	p := &pending{ctx: ctx, item: board.MeetingChange{MeetingID: meetingID, Change: ch}, done: make(chan error, 1)}
	select {
	case c.in <- p:
	case <-c.quit:
		return ErrClosed
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case err := <-p.done:
		return err
	case <-ctx.Done():
		return ctx.Err()
	case <-c.drained:
		select {
		case err := <-p.done:
			return err
		default:
			return ErrClosed
		}
	}
}

// Close stops taking commits and waits for the batches being written.
func (c *Committer) Close() {
	c.once.Do(func() {
		close(c.quit)
		c.wg.Wait()
		// Anything still queued was never started: tell its waiter.
		for {
			select {
			case p := <-c.in:
				p.done <- ErrClosed
			default:
				close(c.drained)
				return
			}
		}
	})
}

// Stats reports the batches written and the changes they carried, since the start.
func (c *Committer) Stats() (batches, items uint64) { return c.batches.Load(), c.items.Load() }

func (c *Committer) loop() {
	defer c.wg.Done()
	batch := make([]*pending, 0, c.opt.MaxBatch)
	items := make([]board.MeetingChange, 0, c.opt.MaxBatch)
	for {
		batch = batch[:0]
		select {
		case p := <-c.in:
			batch = append(batch, p)
		case <-c.quit:
			return
		}
		// Take whatever else is already waiting, without waiting for more.
	fill:
		for len(batch) < c.opt.MaxBatch {
			select {
			case p := <-c.in:
				batch = append(batch, p)
			default:
				break fill
			}
		}
		// A waiter that gave up before its batch began is not written.
		live := batch[:0]
		for _, p := range batch {
			if err := p.ctx.Err(); err != nil {
				p.done <- err
				continue
			}
			live = append(live, p)
		}
		if len(live) == 0 {
			continue
		}
		items = items[:0]
		for _, p := range live {
			items = append(items, p.item)
		}
		ctx, cancel := context.WithTimeout(context.Background(), c.opt.Timeout)
		errs := c.write(ctx, items)
		cancel()
		c.batches.Add(1)
		c.items.Add(uint64(len(items)))
		for i, p := range live {
			var err error
			if i < len(errs) {
				err = errs[i]
			} else {
				err = errors.New("groupcommit: no result for the change")
			}
			p.done <- err
		}
	}
}
