package server_test

import (
	"bytes"
	"context"
	"fmt"
	"sort"
	"strconv"
	"testing"
	"time"

	"github.com/coder/websocket"

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
func BenchmarkFanoutRoomOf10(b *testing.B) {
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
