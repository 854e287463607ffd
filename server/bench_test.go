package server_test

import (
	"bytes"
	"context"
	"fmt"
	"sort"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/barnteam/barnteam/exports"
	"github.com/barnteam/barnteam/server/board"
	"github.com/barnteam/barnteam/server/realtime"
	"github.com/barnteam/barnteam/server/servertest"
)

// BenchmarkFanoutRoomOf10 measures one edit end to end through the real server: a client
// sends an op over its WebSocket; the server applies it, commits it durably to SQLite
// (synchronous=FULL), renders the fragments once per distinct variant and sends the
// event to all 10 connections of the room (the demo's 7 members, three of them on a
// second device; the coordinator signed in with their account, the others let in from the
// lobby). One op is one iteration: from the send until the last of the 10 has
// the event. p50 and p99 of that latency are reported as extra metrics.
func BenchmarkFanoutRoomOf10(b *testing.B) { benchFanout(b, nil) }

// BenchmarkFanoutWhileDrawingPDFs is BenchmarkFanoutRoomOf10 while the same process draws
// Barnets plan PDFs (a typical established plan, the work of a first download): one a
// second, a busy region's worst hour many times over, and back to back, one after the
// other without pause, as an instance never does (it draws one at a time, once per
// version). Compare its p50 and p99 with BenchmarkFanoutRoomOf10's: what an export costs
// the live board.
func BenchmarkFanoutWhileDrawingPDFs(b *testing.B) {
	doc, ev := establishedPlan(b)
	for _, c := range []struct {
		name  string
		every time.Duration
	}{{"one-a-second", time.Second}, {"back-to-back", 0}} {
		b.Run(c.name, func(b *testing.B) {
			var drawn atomic.Int64
			benchFanout(b, func(ctx context.Context) {
				for {
					if _, err := exports.PDF(doc, ev); err != nil {
						b.Error(err)
						return
					}
					drawn.Add(1)
					select {
					case <-ctx.Done():
						return
					case <-time.After(c.every):
					}
				}
			})
			b.ReportMetric(float64(drawn.Load()), "pdfs")
		})
	}
}

// establishedPlan is the demo meeting's Barnets plan, established by everyone's
// approval through the server, as package exports draws it: the frozen document and its
// evidence, sealed with a fresh key.
func establishedPlan(b *testing.B) (board.PlanDoc, exports.Evidence) {
	env := servertest.Start(b, servertest.Options{})
	establish(b, env, nil)
	v, err := env.Store.PlanVersion(b.Context(), env.MeetingID, 1)
	if err != nil {
		b.Fatal(err)
	}
	doc, err := exports.ParseCanonical(v.Canonical)
	if err != nil {
		b.Fatal(err)
	}
	signer, err := exports.LoadOrCreateSigner(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	ev := exports.Evidence{Status: v.Status, Signatures: v.Signatures, Events: v.Events, VerifyURL: env.URL + "/verify",
		ServerSignature: signer.Sign(v.Canonical), PublicKey: signer.PublicKey()}
	if _, err := exports.PDF(doc, ev); err != nil { // the fonts' metrics are read once per process
		b.Fatal(err)
	}
	return doc, ev
}

// benchFanout measures edits to a room of 10 (see BenchmarkFanoutRoomOf10) while
// background, if not nil, runs until the edits are done.
func benchFanout(b *testing.B, background func(ctx context.Context)) {
	// The per-connection op rate limit would refuse a benchmark's pace.
	env := servertest.Start(b, servertest.Options{Hub: realtime.Options{OpsPerSecond: 1e9, OpsBurst: 1 << 30}})
	members := []string{"demo-coord", "demo-teacher", "demo-nurse", "demo-ifo", "demo-guardian1", "demo-guardian2", "demo-child", "demo-coord", "demo-guardian1", "demo-teacher"}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()

	got := make(chan int64, 1024) // seq received, one per connection per event
	// A connection is in the room once its welcome has come: the upgrade returns before
	// the room has taken the join, and an op applied before that would not reach it.
	welcomed := make(chan struct{}, len(members))
	var conns []*websocket.Conn
	for _, m := range members {
		ws, _, err := env.Dial(ctx, memberClient(b, env, m), m, -1, "")
		if err != nil {
			b.Fatal(err)
		}
		conns = append(conns, ws)
		go func() {
			for {
				_, data, err := ws.Read(ctx)
				if err != nil {
					return
				}
				if bytes.HasPrefix(data, []byte(`{"t":"welcome"`)) {
					welcomed <- struct{}{}
				}
				// Events start {"t":"event","seq":N, (the server's field order): read just
				// that, so the benchmark's own JSON decoding does not crowd the server out.
				if rest, ok := bytes.CutPrefix(data, []byte(`{"t":"event","seq":`)); ok {
					end := bytes.IndexByte(rest, ',')
					seq, err := strconv.ParseInt(string(rest[:end]), 10, 64)
					if err != nil {
						b.Error(err)
						return
					}
					got <- seq
				}
			}
		}()
	}
	defer func() {
		for _, c := range conns {
			c.CloseNow()
		}
	}()
	for range conns {
		select {
		case <-welcomed:
		case <-ctx.Done():
			b.Fatal("timed out waiting for the welcomes")
		}
	}
	sender := conns[1] // the teacher
	lat := make([]time.Duration, 0, b.N)
	if background != nil {
		bgCtx, stop := context.WithCancel(ctx)
		done := make(chan struct{})
		go func() { defer close(done); background(bgCtx) }()
		defer func() { stop(); <-done }()
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		// A rating always applies and re-renders a whole compass area for every variant.
		op := fmt.Sprintf(`{"t":"op","cid":"bench-%d","op":"rate","entity":"compass/utveckling","data":{"perspective":"professionals","value":"%d"}}`, i, 1+i%5)
		start := time.Now()
		if err := sender.Write(ctx, websocket.MessageText, []byte(op)); err != nil {
			b.Fatal(err)
		}
		var want int64
		for n := 0; n < len(conns); n++ {
			select {
			case s := <-got:
				if want == 0 {
					want = s
				} else if s != want {
					b.Fatalf("connection got seq %d while waiting for %d", s, want)
				}
			case <-ctx.Done():
				b.Fatal("timed out waiting for the fan-out")
			}
		}
		lat = append(lat, time.Since(start))
	}
	b.StopTimer()
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds()), "p50-µs")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds()), "p99-µs")
}
