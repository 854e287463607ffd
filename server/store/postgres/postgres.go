// Package postgres is the Store for a PostgreSQL database shared by one or more server
// instances, through pgx (no ORM, no database/sql).
//
// Everything that must hold across instances is a database guarantee, never an in-process
// one: a meeting's seq grows inside the transaction that writes its op while that
// transaction holds the meeting's row lock; one-time tokens and codes are spent by one
// conditional UPDATE; nothing is cached in the process. Commits are durable when they
// return: the store never runs with synchronous_commit=off, even when the server's
// default says so.
//
// It mirrors the SQLite store (store/sqlite) in every observable way, and both pass the
// same contract suite (package store): the same errors for the same situations, times in
// UTC at millisecond precision, and lists in byte order of their sort keys (COLLATE "C"),
// whatever the database's locale.
package postgres

import (
	"context"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/barnteam/barnteam/server/board"
	"github.com/barnteam/barnteam/server/store/groupcommit"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/pgxpool"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Store is the PostgreSQL implementation of board.Store.
type Store struct {
	pool    *pgxpool.Pool
	gc      *groupcommit.Committer // batches Commit's writes
	id      string                 // this Store's random id in wake-ups (see notify.go)
	channel string                 // the LISTEN/NOTIFY channel of this database schema

	listenPID atomic.Uint32 // the listening connection's backend, for tests that cut it
}

// Options tune a Store; the zero value is the safe default.
type Options struct {
	// MaxConns caps the connection pool; 0 keeps pgxpool's default (or the URL's
	// pool_max_conns).
	MaxConns int32
}

// defaultMaxConns is the pool's size unless the URL (pool_max_conns) or Options say.
const defaultMaxConns = 16

// migrateLock is the first key of the advisory lock taken while migrating; the second is
// the schema's name, so instances sharing one schema migrate one at a time while
// databases with several schemas (the tests) do not wait for each other.
const migrateLock = 0x62746d31 // "btm1"

// Open connects to the database at databaseURL (a postgres:// URL or key=value string;
// search_path and pool_max_conns may be set in it) and migrates it.
func Open(ctx context.Context, databaseURL string, opt Options) (*Store, error) {
	cfg, err := pgxpool.ParseConfig(databaseURL)
	if err != nil {
		// The parse error quotes the URL, password and all (pgx masks it only on a best
		// effort basis): say what is wrong without repeating it.
		return nil, errors.New("the database URL is not a valid PostgreSQL connection string")
	}
	switch {
	case opt.MaxConns > 0:
		cfg.MaxConns = opt.MaxConns
	case !strings.Contains(databaseURL, "pool_max_conns"):
		// pgxpool's default (the number of CPUs, at least 4) is too small for a live
		// board: the group commit's writers, each room's catch-up reads and every page
		// load and socket upgrade share it, and a page waiting for a connection is a
		// page that does not load.
		cfg.MaxConns = defaultMaxConns
	}
	// A transaction holding a meeting's row lock blocks every instance's commits to that
	// meeting. If the instance that opened it vanishes without the connection closing (a
	// network partition; TCP keepalive takes hours), the server ends it after this long.
	// The store's own transactions are never idle for more than a round trip.
	if _, set := cfg.ConnConfig.RuntimeParams["idle_in_transaction_session_timeout"]; !set {
		cfg.ConnConfig.RuntimeParams["idle_in_transaction_session_timeout"] = "60s"
	}
	cfg.AfterConnect = durableCommits
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, err
	}
	s := &Store{pool: pool, id: newStoreID()}
	if err := s.migrate(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("migrate: %w", err)
	}
	var schema string
	if err := pool.QueryRow(ctx, `SELECT current_schema()`).Scan(&schema); err != nil {
		pool.Close()
		return nil, err
	}
	s.channel = channelFor(schema)
	s.gc = groupcommit.New(s.CommitBatch, groupcommit.Options{Workers: 2})
	return s, nil
}

// durableCommits makes sure a commit has reached the disk when it returns: a server (or a
// URL) that turned synchronous_commit off is overruled for this store's sessions.
// Stronger settings (remote_write, remote_apply with synchronous standbys) are kept.
func durableCommits(ctx context.Context, c *pgx.Conn) error {
	_, err := c.Exec(ctx, `SELECT set_config('synchronous_commit', 'on', false) WHERE current_setting('synchronous_commit') = 'off'`)
	return err
}

// Close waits for the commits being written and closes every connection of the pool.
func (s *Store) Close() error {
	s.gc.Close()
	s.pool.Close()
	return nil
}

// migrate applies the embedded migrations in order, each in its own transaction that
// first takes an advisory lock, so that two instances starting at once against one
// database apply each migration exactly once: the second waits, then finds it done.
func (s *Store) migrate(ctx context.Context) error {
	names, err := fs.Glob(migrations, "migrations/*.sql")
	if err != nil {
		return err
	}
	sort.Strings(names)
	for _, name := range names {
		v, err := strconv.Atoi(strings.SplitN(path.Base(name), "_", 2)[0])
		if err != nil {
			return fmt.Errorf("migration %s: bad name", name)
		}
		body, err := migrations.ReadFile(name)
		if err != nil {
			return err
		}
		if err := s.migrateOne(ctx, v, string(body)); err != nil {
			return fmt.Errorf("%s: %w", path.Base(name), err)
		}
	}
	return nil
}

func (s *Store) migrateOne(ctx context.Context, version int, body string) error {
	tx, err := s.pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.ReadCommitted})
	if err != nil {
		return err
	}
	defer tx.Rollback(ctx)
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1, hashtext(current_schema()))`, int32(migrateLock)); err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version    integer PRIMARY KEY,
		applied_at timestamptz NOT NULL DEFAULT now())`); err != nil {
		return err
	}
	var done bool
	if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM schema_migrations WHERE version = $1)`, version).Scan(&done); err != nil {
		return err
	}
	if done {
		return tx.Commit(ctx)
	}
	// Without arguments pgx uses the simple protocol, which runs every statement of the
	// file, inside this transaction.
	if _, err := tx.Exec(ctx, body); err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, `INSERT INTO schema_migrations(version) VALUES ($1)`, version); err != nil {
		return err
	}
	return tx.Commit(ctx)
}

// Times are kept at millisecond precision, as the SQLite store keeps them, and come back
// in UTC; a zero time.Time comes back as a zero time.Time.

// when is a time for a NOT NULL column. The zero time is an instant timestamptz can hold
// (0001-01-01 UTC), so it round-trips as itself.
func when(t time.Time) time.Time { return t.Truncate(time.Millisecond) }

// maybe is a time for a column where NULL means "not set" (a zero time.Time).
func maybe(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return when(t)
}

// timeCol scans a timestamptz (NULL or not) into a time.Time in UTC.
type timeCol struct{ t *time.Time }

func at(t *time.Time) *timeCol { return &timeCol{t} }

func (c *timeCol) ScanTimestamptz(v pgtype.Timestamptz) error {
	switch {
	case !v.Valid:
		*c.t = time.Time{}
	case v.InfinityModifier != pgtype.Finite:
		return errors.New("an infinite time in the database")
	default:
		*c.t = v.Time.UTC()
	}
	return nil
}

func notFound(err error) error {
	if errors.Is(err, pgx.ErrNoRows) {
		return board.ErrNotFound
	}
	return err
}

// inserted turns an INSERT … ON CONFLICT DO NOTHING that inserted nothing into
// board.ErrExists. (Conflicts are expected outcomes, so they are not raised as errors:
// the server's log stays free of the keys.)
func inserted(tag pgconn.CommandTag, err error) error {
	if err != nil {
		return err
	}
	if tag.RowsAffected() == 0 {
		return board.ErrExists
	}
	return nil
}

// affected turns "no row changed" into board.ErrNotFound.
func affected(tag pgconn.CommandTag, err error) error {
	if err != nil {
		return err
	}
	if tag.RowsAffected() == 0 {
		return board.ErrNotFound
	}
	return nil
}

// nullable stores "" as NULL, for optional foreign keys.
func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// LoadBoard reads the meeting row and every entity in one statement, so the board and its
// seq come from one snapshot.
func (s *Store) LoadBoard(ctx context.Context, meetingID string) (*board.Board, error) {
	rows, err := s.pool.Query(ctx, `SELECT m.epoch, m.seq, e.kind, e.data FROM meetings m
		LEFT JOIN entities e ON e.meeting_id = m.id WHERE m.id = $1`, meetingID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var b *board.Board
	for rows.Next() {
		var epoch string
		var seq int64
		var kind *string
		var data []byte
		if err := rows.Scan(&epoch, &seq, &kind, &data); err != nil {
			return nil, err
		}
		if b == nil {
			b = board.NewBoard(meetingID, epoch)
			b.Seq = seq
		}
		if kind == nil {
			continue // a meeting without entities yet
		}
		if err := b.LoadEntity(board.EntityKind(*kind), data); err != nil {
			return nil, err
		}
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if b == nil {
		return nil, board.ErrNotFound
	}
	return b, nil
}

// Commit writes one change durably. See board.Store. Changes of every meeting that wait
// at the same moment share one transaction (see groupcommit and writeBatch).
func (s *Store) Commit(ctx context.Context, meetingID string, ch board.Change) error {
	return s.gc.Commit(ctx, meetingID, ch)
}

// CommitStats reports the transactions written by Commit and the changes they carried.
func (s *Store) CommitStats() (batches, changes uint64) { return s.gc.Stats() }

// CommitBatch writes a batch of changes in one transaction.
//
// Each change's first statement advances its meeting's seq and so takes the meeting's
// row lock; a second writer of the same meeting (in this process or another instance)
// waits on that lock, then sees the advanced seq and gets ErrSeqConflict. Every other
// statement writes only if the meeting is at exactly the change's seq. The whole batch
// goes to the server in one round trip (a pipeline), so a batch costs three: BEGIN, the
// statements, COMMIT, whatever its size.
//
// Meetings are locked in id order, so that two instances' batches never wait for each
// other in a circle. A change that fails (its seq taken, its cid used, its meeting gone,
// or any statement of its own refused) is taken out and the rest written again; a failure
// that is no one change's (the connection, the commit) fails them all.
func (s *Store) CommitBatch(ctx context.Context, items []board.MeetingChange) []error {
	errs := make([]error, len(items))
	todo := make([]int, len(items))
	for i := range todo {
		todo[i] = i
	}
	sort.SliceStable(todo, func(a, b int) bool { return items[todo[a]].MeetingID < items[todo[b]].MeetingID })
	for len(todo) > 0 {
		bad, err := s.tryBatch(ctx, items, todo)
		if err == nil {
			return errs
		}
		if bad < 0 {
			for _, i := range todo {
				errs[i] = err
			}
			return errs
		}
		errs[todo[bad]] = err
		todo = append(todo[:bad:bad], todo[bad+1:]...)
	}
	return errs
}

// tryBatch writes the items at the indexes todo in one transaction. On failure it says
// which of todo is at fault (-1: none in particular).
func (s *Store) tryBatch(ctx context.Context, items []board.MeetingChange, todo []int) (bad int, err error) {
	tx, err := s.pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.ReadCommitted})
	if err != nil {
		return -1, err
	}
	defer tx.Rollback(ctx)
	now := when(time.Now())
	var b pgx.Batch
	for _, i := range todo {
		if err := s.queueChange(&b, items[i].MeetingID, items[i].Change, now); err != nil {
			return -1, err // cannot happen for a change Apply made
		}
	}
	br := tx.SendBatch(ctx, &b)
	for k, i := range todo {
		if err := readChange(br, items[i].Change.Seq); err != nil {
			br.Close()
			return blame(k, err)
		}
	}
	if err := br.Close(); err != nil {
		return -1, err
	}
	for k, i := range todo {
		if pv := items[i].Change.PlanVersion; pv != nil {
			if err := writePlanVersion(ctx, tx, pv); err != nil {
				return blame(k, err)
			}
		}
	}
	if err := tx.Commit(ctx); err != nil {
		return -1, err
	}
	return 0, nil
}

// blame says whether err is the change's own (its answer, or a statement of its refused
// by the server) or the connection's.
func blame(k int, err error) (int, error) {
	var pe *pgconn.PgError
	if errors.Is(err, board.ErrSeqConflict) || errors.Is(err, board.ErrDuplicateCID) || errors.Is(err, board.ErrNotFound) ||
		(errors.As(err, &pe) && !connectionClass(pe.Code)) {
		return k, err
	}
	return -1, err
}

// connectionClass reports SQLSTATEs that are the server's or the connection's condition
// (out of disk, shutting down, too many connections), not the statement's.
func connectionClass(code string) bool {
	switch code[:2] {
	case "08", "53", "57", "58", "XX":
		return true
	}
	return false
}

// queueChange adds one change's statements to the batch: the seq, the op, the entity, the
// audit row and the wake-up for other instances (sent by the server at commit).
func (s *Store) queueChange(b *pgx.Batch, meetingID string, ch board.Change, now time.Time) error {
	change, err := json.Marshal(ch)
	if err != nil {
		return err
	}
	entity, err := ch.EntityJSON()
	if err != nil {
		return err
	}
	ref := ch.Ref()
	id := ref.ID
	if ref.Kind == board.EntityMeeting || ref.Kind == board.EntityPlan {
		id = meetingID // one per meeting
	}
	b.Queue(`UPDATE meetings SET seq = seq + 1 WHERE id = $1 RETURNING seq`, meetingID)
	// A taken cid inserts nothing: that is an answer (ErrDuplicateCID), not an error.
	b.Queue(`INSERT INTO ops(meeting_id, seq, cid, actor, change, created_at)
		SELECT id, seq, $3::text, $4::text, $5::json, $6::timestamptz FROM meetings WHERE id = $1 AND seq = $2
		ON CONFLICT (meeting_id, cid) DO NOTHING`,
		meetingID, ch.Seq, ch.CID, ch.Actor, change, now)
	b.Queue(`INSERT INTO entities(meeting_id, kind, id, data, seq)
		SELECT id, $3::text, $4::text, $5::json, seq FROM meetings WHERE id = $1 AND seq = $2
		ON CONFLICT (meeting_id, kind, id) DO UPDATE SET data = excluded.data, seq = excluded.seq`,
		meetingID, ch.Seq, string(ref.Kind), id, entity)
	// The edit's audit row, in the same transaction: who (with their organisation as it
	// is now), which child, and the op by its seq. Never the content.
	b.Queue(`INSERT INTO audit_log(at, user_id, member_id, actor_name, org_id, org_name, action, team_id, meeting_id, target)
		SELECT $3::timestamptz, coalesce(m.user_id, ''), coalesce(m.id, $4::text), coalesce(m.name, ''), coalesce(m.org_id, ''), coalesce(o.name, ''), $5::text, mt.team_id, mt.id, $6::text
		FROM meetings mt LEFT JOIN members m ON m.id = $4 LEFT JOIN organisations o ON o.id = m.org_id
		WHERE mt.id = $1 AND mt.seq = $2`,
		meetingID, ch.Seq, now, ch.Actor, string(board.AuditEdit), ch.AuditTarget())
	b.Queue(`SELECT pg_notify($1, $2)`, s.channel, s.commitPayload(meetingID, ch.Seq))
	return nil
}

// readChange reads the results of one change's statements (see queueChange), in order.
func readChange(br pgx.BatchResults, want int64) error {
	var seq int64
	if err := br.QueryRow().Scan(&seq); err != nil {
		return notFound(err)
	}
	if seq != want {
		return board.ErrSeqConflict
	}
	tag, err := br.Exec()
	if err != nil {
		return err
	}
	if tag.RowsAffected() != 1 {
		return board.ErrDuplicateCID
	}
	for _, what := range []string{"entity", "audit row"} {
		tag, err := br.Exec()
		if err != nil {
			return err
		}
		if tag.RowsAffected() != 1 {
			return fmt.Errorf("commit wrote no %s", what)
		}
	}
	_, err = br.Exec() // pg_notify
	return err
}

func (s *Store) SeqByCID(ctx context.Context, meetingID, cid string) (int64, error) {
	var seq int64
	err := s.pool.QueryRow(ctx, `SELECT seq FROM ops WHERE meeting_id = $1 AND cid = $2`, meetingID, cid).Scan(&seq)
	return seq, notFound(err)
}

func (s *Store) ChangesSince(ctx context.Context, meetingID string, since int64, limit int) ([]board.Change, error) {
	var lim any = limit
	if limit < 0 {
		lim = nil // no limit, as SQLite reads a negative LIMIT
	}
	return query(ctx, s.pool, `SELECT change FROM ops WHERE meeting_id = $1 AND seq > $2 ORDER BY seq LIMIT $3`,
		[]any{meetingID, since, lim}, func(rows pgx.Rows) (board.Change, error) {
			var data []byte
			var ch board.Change
			if err := rows.Scan(&data); err != nil {
				return ch, err
			}
			err := json.Unmarshal(data, &ch)
			return ch, err
		})
}

// query runs a query and scans every row with scan.
func query[T any](ctx context.Context, db *pgxpool.Pool, q string, args []any, scan func(pgx.Rows) (T, error)) ([]T, error) {
	rows, err := db.Query(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		x, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, x)
	}
	return out, rows.Err()
}

var _ board.Store = (*Store)(nil)
