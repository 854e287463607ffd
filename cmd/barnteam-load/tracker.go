package main

import (
	"sync"
	"time"
)

// tracker is one meeting's shared bookkeeping across its clients, in one process on one
// monotonic clock: when each op was sent (for fan-out latency), which seq each cid was
// seen at (duplicates) and which cid each seq carried (divergence), and which ops their
// senders saw confirmed (checked against the database at the end).
type tracker struct {
	mu        sync.Mutex
	sent      map[string]sendInfo // cid → latest send
	seqOf     map[string]int64    // cid → seq, as any client saw it (event or ack)
	cidAt     map[int64]string    // seq → cid
	confirmed map[string]int64    // cid → seq, as its sender saw it confirmed
	made      map[string]bool     // every cid a client made (sent or queued)
	rejected  map[string]string   // cid → reject code (final rejects only)
}

type sendInfo struct {
	at    time.Time
	sends int32
}

func newTracker() *tracker {
	return &tracker{
		sent:      map[string]sendInfo{},
		seqOf:     map[string]int64{},
		cidAt:     map[int64]string{},
		confirmed: map[string]int64{},
		made:      map[string]bool{},
		rejected:  map[string]string{},
	}
}

// made records that a client made an op (before it is first sent).
func (t *tracker) noteMade(cid string) {
	t.mu.Lock()
	t.made[cid] = true
	t.mu.Unlock()
}

// noteSend records a send of cid at at.
func (t *tracker) noteSend(cid string, at time.Time) {
	t.mu.Lock()
	si := t.sent[cid]
	t.sent[cid] = sendInfo{at: at, sends: si.sends + 1}
	t.mu.Unlock()
}

// observe records that a client saw cid at seq (an event, or an ack). It returns whether
// this contradicts what was seen before (one cid at two seqs, or two cids at one seq),
// and the send to time a receipt from: ok is false when the op was sent more than once
// (its latency would include a reconnect) or never.
func (t *tracker) observe(cid string, seq int64) (dupCID, diverged bool, sentAt time.Time, ok bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if cid != "" {
		if s, seen := t.seqOf[cid]; seen && s != seq {
			dupCID = true
		} else if !seen {
			t.seqOf[cid] = seq
		}
	}
	if c, seen := t.cidAt[seq]; seen && c != cid {
		diverged = true
	} else if !seen {
		t.cidAt[seq] = cid
	}
	si, found := t.sent[cid]
	return dupCID, diverged, si.at, found && si.sends == 1
}

// confirm records that cid's sender saw it confirmed at seq.
func (t *tracker) confirm(cid string, seq int64) {
	t.mu.Lock()
	t.confirmed[cid] = seq
	t.mu.Unlock()
}

// reject records a final refusal.
func (t *tracker) reject(cid, code string) {
	t.mu.Lock()
	t.rejected[cid] = code
	t.mu.Unlock()
}
