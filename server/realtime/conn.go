package realtime

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/coder/websocket"

	"github.com/barnteam/barnteam/server/board"
)

// conn is one WebSocket connection in a room. Three goroutines touch it: the reader (run),
// the writer, and the room, which only ever calls enqueue and kill, neither of which blocks.
type conn struct {
	hub     *Hub
	room    *Room
	ws      *websocket.Conn
	p       Participant
	variant Variant

	send sendQueue

	closeOnce sync.Once
	closed    chan struct{}
	code      websocket.StatusCode

	// Owned by the room goroutine.
	editing string
	hand    bool
	handAt  int64 // the room's count of raised hands when this one went up: the queue's order

	// Owned by the reader: a token bucket limiting ops per connection (not per address:
	// a whole school or municipality may share one address).
	tokens float64
	last   time.Time
}

func newConn(h *Hub, r *Room, ws *websocket.Conn, p Participant) *conn {
	return &conn{
		hub: h, room: r, ws: ws, p: p, variant: p.Variant(),
		send:   sendQueue{max: h.opt.SendQueue, wake: make(chan struct{}, 1)},
		closed: make(chan struct{}),
		tokens: float64(h.opt.OpsBurst),
		last:   time.Now(),
	}
}

// enqueue queues a message without ever blocking. A connection whose queue is full is too
// slow to keep up; it is closed with a "reconnect" code and will resume with since.
func (c *conn) enqueue(msg []byte) {
	select {
	case <-c.closed:
		return
	default:
	}
	if !c.send.push(msg) {
		c.hub.m.slowConsumers.Inc()
		c.kill(CloseSlowConsumer)
	}
}

// kill marks the connection closed with code; the writer sends the close frame.
func (c *conn) kill(code websocket.StatusCode) {
	c.closeOnce.Do(func() {
		c.code = code
		close(c.closed)
	})
}

// run serves the connection: it joins the room, starts the writer and reads until the
// connection ends.
func (c *conn) run(ctx context.Context, since int64, epoch string) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	if !c.p.Expires.IsZero() {
		// The session ends while the socket is open: close it, saying why.
		t := time.AfterFunc(time.Until(c.p.Expires), func() { c.kill(CloseUnauthorized) })
		defer t.Stop()
	}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		c.writer(ctx)
		cancel()
	}()
	if c.room.send(ctx, request{kind: reqJoin, conn: c, since: since, epoch: epoch}) {
		c.reader(ctx)
	} else {
		c.kill(CloseServerRestart)
	}
	c.kill(websocket.StatusNormalClosure) // no-op if already killed
	// Leave without blocking on a room that has stopped.
	c.room.send(context.Background(), request{kind: reqLeave, conn: c})
	wg.Wait()
}

func (c *conn) reader(ctx context.Context) {
	for {
		typ, data, err := c.ws.Read(ctx)
		if err != nil {
			// Oversized messages: the library has already closed with 1009.
			if websocket.CloseStatus(err) == -1 && !errors.Is(err, context.Canceled) {
				c.kill(websocket.StatusAbnormalClosure)
			}
			return
		}
		if typ != websocket.MessageText {
			c.kill(websocket.StatusUnsupportedData)
			return
		}
		m, op, err := decodeClientMsg(data)
		if err != nil {
			var be *board.Error
			if errors.As(err, &be) && m.T == "op" && m.CID != "" {
				// A well-formed envelope with a bad op: refuse the op, keep the connection.
				c.enqueue(mustJSON(rejectMsg{T: "reject", CID: m.CID, Code: string(be.Code), Field: be.Field,
					Message: c.hub.render.Message(c.p.Lang, be.Key, be.Args...)}))
				continue
			}
			c.kill(CloseProtocol)
			return
		}
		switch m.T {
		case "op":
			if !c.allowOp() {
				c.enqueue(mustJSON(rejectMsg{T: "reject", CID: op.CID, Code: codeRate, Message: c.hub.render.Message(c.p.Lang, "op.rate")}))
				continue
			}
			if !c.room.send(ctx, request{kind: reqOp, conn: c, actor: c.p.actor(), op: op}) {
				c.kill(CloseServerRestart)
				return
			}
		case "presence":
			if !c.room.send(ctx, request{kind: reqPresence, conn: c, editing: m.Editing, hand: m.Hand}) {
				c.kill(CloseServerRestart)
				return
			}
		}
	}
}

func (c *conn) allowOp() bool {
	now := time.Now()
	c.tokens += now.Sub(c.last).Seconds() * c.hub.opt.OpsPerSecond
	c.last = now
	if max := float64(c.hub.opt.OpsBurst); c.tokens > max {
		c.tokens = max
	}
	if c.tokens < 1 {
		return false
	}
	c.tokens--
	return true
}

// writer sends queued messages, each with a deadline, an application heartbeat that
// browsers can see, and a ping that detects dead peers. It sends the close frame when the
// connection is killed.
func (c *conn) writer(ctx context.Context) {
	hb := time.NewTicker(c.hub.opt.Heartbeat)
	defer hb.Stop()
	var batch [][]byte
	for {
		select {
		case <-c.send.wake:
			batch = c.send.take(batch)
			for i, msg := range batch {
				batch[i] = nil
				if !c.write(ctx, msg) {
					return
				}
			}
		case <-hb.C:
			// The server's clock rides along, so that timers count down alike on every device.
			if !c.write(ctx, mustJSON(heartbeatMsg{T: "hb", Now: c.hub.opt.Now().UnixMilli()})) {
				return
			}
			go c.ping(ctx)
		case <-c.closed:
			// Flush what is already queued (e.g. a reject before a protocol close), then
			// close. A slow consumer gets no flush: its queue is the problem.
			if c.code != CloseSlowConsumer {
				for _, msg := range c.send.take(batch) {
					if !c.write(ctx, msg) {
						return
					}
				}
			}
			c.closeWS(c.code)
			return
		case <-ctx.Done():
			c.closeWS(websocket.StatusGoingAway)
			return
		}
	}
}

func (c *conn) write(ctx context.Context, msg []byte) bool {
	wctx, cancel := context.WithTimeout(ctx, c.hub.opt.WriteTimeout)
	defer cancel()
	if err := c.ws.Write(wctx, websocket.MessageText, msg); err != nil {
		c.kill(CloseTryAgain)
		c.ws.CloseNow()
		return false
	}
	return true
}

func (c *conn) ping(ctx context.Context) {
	pctx, cancel := context.WithTimeout(ctx, c.hub.opt.WriteTimeout)
	defer cancel()
	if err := c.ws.Ping(pctx); err != nil && ctx.Err() == nil {
		c.kill(CloseTryAgain)
	}
}

// closeWS sends the close frame and gives the peer a moment to answer; the library bounds
// the wait. It runs on the writer goroutine, never on the room's.
func (c *conn) closeWS(code websocket.StatusCode) {
	if err := c.ws.Close(code, ""); err != nil {
		c.ws.CloseNow()
	}
}

// sendQueue holds a connection's messages until its writer sends them. Unlike a channel
// it holds memory only for what waits (most of the time nothing), which matters at
// twenty thousand connections; max bounds it, and a connection that reaches it is too
// slow and is closed.
type sendQueue struct {
	mu   sync.Mutex
	msgs [][]byte
	max  int
	wake chan struct{} // capacity 1: "there is something to send"
}

// push adds a message; false when the queue is full.
func (q *sendQueue) push(msg []byte) bool {
	q.mu.Lock()
	if len(q.msgs) >= q.max {
		q.mu.Unlock()
		return false
	}
	q.msgs = append(q.msgs, msg)
	q.mu.Unlock()
	select {
	case q.wake <- struct{}{}:
	default:
	}
	return true
}

// take moves every waiting message into buf (reused) and returns it.
func (q *sendQueue) take(buf [][]byte) [][]byte {
	q.mu.Lock()
	defer q.mu.Unlock()
	buf = append(buf[:0], q.msgs...)
	clear(q.msgs)
	if cap(q.msgs) > 32 {
		q.msgs = nil // a burst's backing array goes back to the heap
	} else {
		q.msgs = q.msgs[:0]
	}
	return buf
}
