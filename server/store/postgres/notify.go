package postgres

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/barnteam/barnteam/server/board"
)

// channelFor names the LISTEN/NOTIFY channel of the instances sharing a database schema.
// Channels are database-wide, so the schema is in the name: two deployments (or two
// tests) in one database, each in its own schema, do not hear each other.
func channelFor(schema string) string {
	sum := sha256.Sum256([]byte(schema))
	return "barnteam_" + hex.EncodeToString(sum[:8])
}

// The channel's payloads are "c <store> <seq> <meeting>" after a commit (sent by the commit's own
// transaction, so only when it commits) and "m <store> <message>" for Notify. <store> is
// the sending Store's random id, so that an instance skips what it sent itself.
// ListenApplicationName is how the store's listening connection shows in
// pg_stat_activity: "barnteam-listen " and the store's random id.
func (s *Store) ListenApplicationName() string { return "barnteam-listen " + s.id }

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
	_, err := s.pool.Exec(ctx, `SELECT pg_notify($1, $2)`, s.channel, "m "+s.id+" "+string(payload))
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
	cfg.RuntimeParams["application_name"] = s.ListenApplicationName()
	cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	conn, err := pgx.ConnectConfig(cctx, cfg)
	cancel()
	if err != nil {
		return false, err
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(ctx, "LISTEN "+pgx.Identifier{s.channel}.Sanitize()); err != nil {
		return false, err
	}
	s.listenPID.Store(conn.PgConn().PID())
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
