package main

import (
	"context"

	"github.com/barnteam/barnteam/server/board"
)

// verifyResult is the op log checked against what the clients saw.
type verifyResult struct {
	Meetings          int   `json:"meetings"`
	LoggedOps         int64 `json:"logged_ops"`          // ops in the op logs (seeded ones too)
	SeqGaps           int64 `json:"seq_gaps"`            // a log whose seqs are not 1, 2, 3, …
	DuplicateCIDs     int64 `json:"duplicate_cids"`      // one cid at two seqs in a log
	Confirmed         int64 `json:"confirmed"`           // ops their senders saw confirmed
	ConfirmedMissing  int64 `json:"confirmed_missing"`   // confirmed, but not in the log
	ConfirmedWrongSeq int64 `json:"confirmed_wrong_seq"` // confirmed at another seq than logged
	Unconfirmed       int64 `json:"unconfirmed"`         // made, never confirmed nor refused
	UnconfirmedStored int64 `json:"unconfirmed_stored"`  // of which in the log all the same
	RejectedButStored int64 `json:"rejected_but_stored"` // refused, yet in the log
	SeenMismatch      int64 `json:"seen_mismatch"`       // a client saw a cid at a seq the log disagrees with
}

// verify reads every meeting's op log (Store.ChangesSince) and checks it against the
// trackers: seqs gap-free from 1, every cid once, every confirmed op there exactly once
// at the seq its sender was told, nothing refused stored, every event seen as logged.
func verify(ctx context.Context, s board.Store, meetings []*meetingRun) (verifyResult, error) {
	var v verifyResult
	for _, mt := range meetings {
		v.Meetings++
		seqOf := map[string]int64{}
		cidAt := map[int64]string{}
		var since int64
		for {
			chs, err := s.ChangesSince(ctx, mt.seed.ID, since, 5000)
			if err != nil {
				return v, err
			}
			for _, ch := range chs {
				v.LoggedOps++
				if ch.Seq != since+1 {
					v.SeqGaps++
				}
				since = ch.Seq
				if _, dup := seqOf[ch.CID]; dup {
					v.DuplicateCIDs++
				} else {
					seqOf[ch.CID] = ch.Seq
				}
				cidAt[ch.Seq] = ch.CID
			}
			if len(chs) < 5000 {
				break
			}
		}
		tr := mt.tr
		tr.mu.Lock()
		for cid, seq := range tr.confirmed {
			v.Confirmed++
			got, ok := seqOf[cid]
			switch {
			case !ok:
				v.ConfirmedMissing++
			case got != seq:
				v.ConfirmedWrongSeq++
			}
		}
		for cid := range tr.made {
			if _, ok := tr.confirmed[cid]; ok {
				continue
			}
			_, stored := seqOf[cid]
			if _, ok := tr.rejected[cid]; ok {
				if stored {
					v.RejectedButStored++
				}
				continue
			}
			v.Unconfirmed++
			if stored {
				v.UnconfirmedStored++
			}
		}
		for seq, cid := range tr.cidAt {
			if cidAt[seq] != cid {
				v.SeenMismatch++
			}
		}
		tr.mu.Unlock()
	}
	return v, nil
}
