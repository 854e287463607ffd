// Package sqlite is the default, embedded Store: one SQLite file under the data directory,
// through the pure-Go modernc.org/sqlite driver.
//
// Durability is never traded for speed: WAL with synchronous=FULL, so a committed op
// survives power loss. All writes go through one connection (SQLite has one writer anyway;
// queueing in Go is cheaper than busy-waiting in SQLite); reads use a separate pool.
// Automatic checkpoints are off on the writer because the commit that triggers one stalls;
// a background goroutine checkpoints instead.
package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/barnteam/barnteam/server/board"
	"github.com/barnteam/barnteam/server/store/groupcommit"

	_ "modernc.org/sqlite" // registers the "sqlite" driver
	sqlite3 "modernc.org/sqlite/lib"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Store is the SQLite implementation of board.Store.
type Store struct {
	w  *sql.DB // the one writer connection
	r  *sql.DB // readers
	cp *sql.DB // checkpoints, off the hot path

	gc          *groupcommit.Committer // batches Commit's writes
	commitStmts commitStmts            // prepared on w

	dirty atomic.Bool // commits since the last checkpoint
	stop  chan struct{}
	done  sync.WaitGroup

	closeOnce sync.Once
	closeErr  error
}

// Options tune a Store; the zero value is the safe default.
type Options struct {
	// CheckpointEvery is how often the WAL is checkpointed in the background (default 1s).
	CheckpointEvery time.Duration
}

// dsn builds a data source name with every pragma in it, so that every pooled connection
// gets them (a PRAGMA run with Exec reaches only one connection).
func dsn(path string, writer bool) string {
	q := url.Values{}
	q.Add("_pragma", "busy_timeout(5000)")
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "foreign_keys(1)")
	q.Add("_pragma", "synchronous(FULL)")
	if writer {
		q.Add("_pragma", "wal_autocheckpoint(0)")
		q.Set("_txlock", "immediate")
	} else {
		q.Add("_pragma", "query_only(1)")
	}
	return "file:" + filepath.ToSlash(path) + "?" + q.Encode()
}

// Open opens (creating if needed) the database file at path and migrates it.
func Open(path string, opt Options) (*Store, error) {
	w, err := sql.Open("sqlite", dsn(path, true))
	if err != nil {
		return nil, err
	}
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxLifetime(0)
	s := &Store{w: w, stop: make(chan struct{})}
	if err := s.migrate(context.Background()); err != nil {
		w.Close()
		return nil, fmt.Errorf("migrate %s: %w", path, err)
	}
	if s.r, err = sql.Open("sqlite", dsn(path, false)); err != nil {
		w.Close()
		return nil, err
	}
	s.r.SetMaxOpenConns(4)
	if s.cp, err = sql.Open("sqlite", dsn(path, false)+"&_pragma=query_only(0)"); err != nil {
		w.Close()
		s.r.Close()
		return nil, err
	}
	s.cp.SetMaxOpenConns(1)
	every := opt.CheckpointEvery
	if every <= 0 {
		every = time.Second
	}
	if s.commitStmts, err = prepareCommit(context.Background(), w); err != nil {
		w.Close()
		s.r.Close()
		s.cp.Close()
		return nil, err
	}
	s.gc = groupcommit.New(s.CommitBatch, groupcommit.Options{Workers: 1})
	s.done.Add(1)
	go s.checkpointLoop(every)
	return s, nil
}

func (s *Store) checkpointLoop(every time.Duration) {
	defer s.done.Done()
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-s.stop:
			return
		case <-t.C:
			if s.dirty.Swap(false) {
				// PASSIVE never blocks the writer; pages still needed by readers wait
				// for the next round.
				_, _ = s.cp.Exec("PRAGMA wal_checkpoint(PASSIVE)")
			}
		}
	}
}

// Close waits for the commits being written, stops the checkpointer, checkpoints fully
// and closes every connection. Closing twice is harmless.
func (s *Store) Close() error {
	s.closeOnce.Do(func() {
		s.gc.Close()
		s.commitStmts.close()
		close(s.stop)
		s.done.Wait()
		_, _ = s.cp.Exec("PRAGMA wal_checkpoint(TRUNCATE)")
		s.closeErr = errors.Join(s.cp.Close(), s.r.Close(), s.w.Close())
	})
	return s.closeErr
}

// migrate applies the embedded migrations in order, each in its own transaction.
func (s *Store) migrate(ctx context.Context) error {
	if _, err := s.w.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY) STRICT`); err != nil {
		return err
	}
	names, err := fs.Glob(migrations, "migrations/*.sql")
	if err != nil {
		return err
	}
	sort.Strings(names)
	for _, name := range names {
		v, err := strconv.Atoi(strings.SplitN(filepath.Base(name), "_", 2)[0])
		if err != nil {
			return fmt.Errorf("migration %s: bad name", name)
		}
		var n int
		if err := s.w.QueryRowContext(ctx, `SELECT count(*) FROM schema_migrations WHERE version = ?`, v).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			continue
		}
		body, err := migrations.ReadFile(name)
		if err != nil {
			return err
		}
		tx, err := s.w.BeginTx(ctx, nil)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, string(body)); err != nil {
			tx.Rollback()
			return fmt.Errorf("%s: %w", name, err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations(version) VALUES (?)`, v); err != nil {
			tx.Rollback()
			return err
		}
		if err := tx.Commit(); err != nil {
			return err
		}
	}
	return nil
}

// Times are stored as Unix milliseconds; 0 stands for "not set" (the zero time.Time).
func ms(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

func fromMS(v int64) time.Time {
	if v == 0 {
		return time.Time{}
	}
	return time.UnixMilli(v).UTC()
}

func notFound(err error) error {
	if errors.Is(err, sql.ErrNoRows) {
		return board.ErrNotFound
	}
	return err
}

// exists maps a uniqueness violation to board.ErrExists.
func exists(err error) error {
	var e interface{ Code() int }
	if errors.As(err, &e) && (e.Code() == sqlite3.SQLITE_CONSTRAINT_UNIQUE || e.Code() == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY) {
		return board.ErrExists
	}
	return err
}

// affected turns "no row changed" into board.ErrNotFound.
func affected(res sql.Result, err error) error {
	if err != nil {
		return err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	if n == 0 {
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

// LoadBoard reads the meeting row and every entity in one read transaction, so the board
// and its seq are consistent.
func (s *Store) LoadBoard(ctx context.Context, meetingID string) (*board.Board, error) {
	tx, err := s.r.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	var epoch string
	var seq int64
	if err := tx.QueryRowContext(ctx, `SELECT epoch, seq FROM meetings WHERE id = ?`, meetingID).Scan(&epoch, &seq); err != nil {
		return nil, notFound(err)
	}
	b := board.NewBoard(meetingID, epoch)
	b.Seq = seq
	rows, err := tx.QueryContext(ctx, `SELECT kind, data FROM entities WHERE meeting_id = ?`, meetingID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var kind string
		var data []byte
		if err := rows.Scan(&kind, &data); err != nil {
			return nil, err
		}
		if err := b.LoadEntity(board.EntityKind(kind), data); err != nil {
			return nil, err
		}
	}
	return b, rows.Err()
}

// Commit writes one change durably. See board.Store. Changes of every meeting that wait
// at the same moment share one transaction and one flush (see groupcommit).
func (s *Store) Commit(ctx context.Context, meetingID string, ch board.Change) error {
	return s.gc.Commit(ctx, meetingID, ch)
}

// CommitStats reports the transactions written by Commit and the changes they carried.
func (s *Store) CommitStats() (batches, changes uint64) { return s.gc.Stats() }

// CommitBatch writes a batch of changes in one transaction on the writer connection. In
// a batch of several, each change has its own savepoint, so a change that conflicts (its
// seq taken, its cid already used) is undone alone and the others still commit. Any other
// failure (a full disk, an I/O error) fails the whole batch: SQLite may have rolled the
// transaction back by itself, and nothing may be reported durable that is not.
func (s *Store) CommitBatch(ctx context.Context, items []board.MeetingChange) []error {
	errs := make([]error, len(items))
	fail := func(err error) []error {
		for i := range errs {
			if errs[i] == nil {
				errs[i] = err
			}
		}
		return errs
	}
	if len(items) == 0 {
		return errs
	}
	tx, err := s.w.BeginTx(ctx, nil) // BEGIN IMMEDIATE (see dsn)
	if err != nil {
		return fail(err)
	}
	defer tx.Rollback()
	now := time.Now()
	st := s.commitStmts.in(ctx, tx)
	savepoints := len(items) > 1 // alone, a change's failure is the transaction's
	for i, it := range items {
		if savepoints {
			if _, err := tx.ExecContext(ctx, `SAVEPOINT change`); err != nil {
				return fail(err)
			}
		}
		err := st.writeChange(ctx, it.MeetingID, it.Change, now)
		switch {
		case errors.Is(err, board.ErrSeqConflict) || errors.Is(err, board.ErrDuplicateCID) || errors.Is(err, board.ErrNotFound):
			errs[i] = err
			if !savepoints {
				return errs
			}
			if _, err := tx.ExecContext(ctx, `ROLLBACK TO change`); err != nil {
				return fail(err)
			}
		case err != nil:
			return fail(err)
		}
		if savepoints {
			if _, err := tx.ExecContext(ctx, `RELEASE change`); err != nil {
				return fail(err)
			}
		}
	}
	if err := tx.Commit(); err != nil {
		return fail(err)
	}
	s.dirty.Store(true)
	return errs
}

// commitStmts are Commit's statements, prepared once on the writer connection: parsing
// SQL again for every change costs more than running it.
type commitStmts struct {
	seq, op, entity, audit *sql.Stmt
}

func prepareCommit(ctx context.Context, w *sql.DB) (commitStmts, error) {
	var c commitStmts
	for _, p := range []struct {
		to  **sql.Stmt
		sql string
	}{
		{&c.seq, `UPDATE meetings SET seq = seq + 1 WHERE id = ? RETURNING seq`},
		// A taken cid inserts nothing: that is an answer (ErrDuplicateCID), not an error.
		{&c.op, `INSERT INTO ops(meeting_id, seq, cid, actor, change, created_at) VALUES (?, ?, ?, ?, ?, ?)
			ON CONFLICT (meeting_id, cid) DO NOTHING`},
		{&c.entity, `INSERT INTO entities(meeting_id, kind, id, data, seq) VALUES (?, ?, ?, ?, ?)
			ON CONFLICT (meeting_id, kind, id) DO UPDATE SET data = excluded.data, seq = excluded.seq`},
		// The edit's audit row: who (with their organisation as it is now), which child,
		// and the op by its seq. Never the content.
		{&c.audit, `INSERT INTO audit_log(at, user_id, member_id, actor_name, org_id, org_name, action, team_id, meeting_id, target)
			SELECT ?, coalesce(m.user_id, ''), coalesce(m.id, ?), coalesce(m.name, ''), coalesce(m.org_id, ''), coalesce(o.name, ''), ?, mt.team_id, mt.id, ?
			FROM meetings mt LEFT JOIN members m ON m.id = ? LEFT JOIN organisations o ON o.id = m.org_id WHERE mt.id = ?`},
	} {
		st, err := w.PrepareContext(ctx, p.sql)
		if err != nil {
			return c, err
		}
		*p.to = st
	}
	return c, nil
}

func (c commitStmts) close() {
	for _, st := range []*sql.Stmt{c.seq, c.op, c.entity, c.audit} {
		if st != nil {
			st.Close()
		}
	}
}

// txStmts are the commit statements bound to one transaction (on the same connection,
// so they are not prepared again).
type txStmts struct {
	tx                     *sql.Tx
	seq, op, entity, audit *sql.Stmt
}

func (c commitStmts) in(ctx context.Context, tx *sql.Tx) txStmts {
	return txStmts{tx: tx, seq: tx.StmtContext(ctx, c.seq), op: tx.StmtContext(ctx, c.op),
		entity: tx.StmtContext(ctx, c.entity), audit: tx.StmtContext(ctx, c.audit)}
}

// writeChange writes one change inside the transaction. See board.Store's Commit for
// what it writes.
func (t txStmts) writeChange(ctx context.Context, meetingID string, ch board.Change, now time.Time) error {
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
	var seq int64
	if err := t.seq.QueryRowContext(ctx, meetingID).Scan(&seq); err != nil {
		return notFound(err)
	}
	if seq != ch.Seq {
		return board.ErrSeqConflict
	}
	res, err := t.op.ExecContext(ctx, meetingID, seq, ch.CID, ch.Actor, string(change), ms(now))
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil {
		return err
	} else if n == 0 {
		return board.ErrDuplicateCID
	}
	if _, err := t.entity.ExecContext(ctx, meetingID, string(ref.Kind), id, string(entity), seq); err != nil {
		return err
	}
	if ch.PlanVersion != nil {
		if err := writePlanVersion(ctx, t.tx, ch.PlanVersion); err != nil {
			return err
		}
	}
	_, err = t.audit.ExecContext(ctx, ms(now), ch.Actor, string(board.AuditEdit), ch.AuditTarget(), ch.Actor, meetingID)
	return err
}

func (s *Store) SeqByCID(ctx context.Context, meetingID, cid string) (int64, error) {
	var seq int64
	err := s.r.QueryRowContext(ctx, `SELECT seq FROM ops WHERE meeting_id = ? AND cid = ?`, meetingID, cid).Scan(&seq)
	return seq, notFound(err)
}

func (s *Store) ChangesSince(ctx context.Context, meetingID string, since int64, limit int) ([]board.Change, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT change FROM ops WHERE meeting_id = ? AND seq > ? ORDER BY seq LIMIT ?`, meetingID, since, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []board.Change
	for rows.Next() {
		var data []byte
		if err := rows.Scan(&data); err != nil {
			return nil, err
		}
		var ch board.Change
		if err := json.Unmarshal(data, &ch); err != nil {
			return nil, err
		}
		out = append(out, ch)
	}
	return out, rows.Err()
}

var _ board.Store = (*Store)(nil)
