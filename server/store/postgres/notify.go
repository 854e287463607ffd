package postgres

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/barnteam/barnteam/server/board"
)

// notifyChannel is the one LISTEN/NOTIFY channel of the instances sharing a database.
// Payloads are "c <store> <seq> <meeting>" after a commit (sent by the commit's own
// transaction, so only when it commits) and "m <store> <message>" for Notify. <store> is
// the sending Store's random id, so that an instance skips what it sent itself.
const notifyChannel = "barnteam"

// listenAppName names the listening connection in pg_stat_activity, for operators (and
// the test that cuts it).
const listenAppName = "barnteam-listen"

func newStoreID() string {
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err) // crypto/rand does not fail on supported platforms
	}
	return hex.EncodeToString(b[:])
}

func (s *Store) commitPayload(meetingID string, seq int64) string {
	return "c " + s.id + " " + strconv.FormatInt(seq, 10) + " " + meetingID
}

var _ board.Notifier = (*Store)(nil)

// Notify sends payload to every other instance. See board.Notifier.
func (s *Store) Notify(ctx context.Context, payload []byte) error {
	if len(payload) > board.MaxNotifyBytes {
		return fmt.Errorf("notify: %d bytes is too long", len(payload))
	}
	_, err := s.pool.Exec(ctx, `SELECT pg_notify($1, $2)`, notifyChannel, "m "+s.id+" "+string(payload))
	return err
}

// Listen listens on a connection of its own (LISTEN holds a session, so it cannot be a
// pooled one) until ctx ends. A lost connection is made again after a short pause that
// grows to a few seconds while the database stays away. See board.Notifier.
func (s *Store) Listen(ctx context.Context, h board.Listener) {
	pause := 50 * time.Millisecond
	for ctx.Err() == nil {
		heard, err := s.listenOnce(ctx, h)
		if ctx.Err() != nil {
			return
		}
		h.Lost(err)
		if heard {
			pause = 50 * time.Millisecond
		}
		t := time.NewTimer(pause)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
		pause = min(2*pause, 5*time.Second)
	}
}

// listenOnce connects, listens and delivers until the connection fails. heard says
// whether it got as far as listening.
func (s *Store) listenOnce(ctx context.Context, h board.Listener) (heard bool, err error) {
	cfg := s.pool.Config().ConnConfig.Copy()
	cfg.RuntimeParams["application_name"] = listenAppName
	cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	conn, err := pgx.ConnectConfig(cctx, cfg)
	cancel()
	if err != nil {
		return false, err
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(ctx, "LISTEN "+notifyChannel); err != nil {
		return false, err
	}
	// Listening from here on: whatever was sent before may have been missed.
	h.Resync()
	for {
		n, err := conn.WaitForNotification(ctx)
		if err != nil {
			return true, err
		}
		s.deliver(n.Payload, h)
	}
}

// deliver parses one payload and hands it on; its own and malformed ones are dropped.
func (s *Store) deliver(payload string, h board.Listener) {
	kind, rest, _ := strings.Cut(payload, " ")
	from, rest, ok := strings.Cut(rest, " ")
	if !ok || from == s.id {
		return
	}
	switch kind {
	case "c":
		seqText, meetingID, ok := strings.Cut(rest, " ")
		seq, err := strconv.ParseInt(seqText, 10, 64)
		if ok && err == nil && meetingID != "" {
			h.Committed(meetingID, seq)
		}
	case "m":
		h.Message([]byte(rest))
	}
}
