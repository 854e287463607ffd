package sqlite

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"time"

	"github.com/barnteam/barnteam/server/board"
)

// Barnets plan: versions, kept PDFs and download links. Versions are written by Commit
// (writePlanVersion), in the transaction of the op that froze, signed or reopened them.

// writePlanVersion inserts a newly frozen version (it carries its canonical JSON) or
// updates the sign-off of an existing one.
func writePlanVersion(ctx context.Context, tx *sql.Tx, v *board.PlanVersion) error {
	sigs, err := json.Marshal(v.Signatures)
	if err != nil {
		return err
	}
	events, err := json.Marshal(v.Events)
	if err != nil {
		return err
	}
	if v.Canonical != nil {
		_, err = tx.ExecContext(ctx, `INSERT INTO plan_versions(meeting_id, version, canonical, sha256, code, status, frozen_at, frozen_by, established_at, signatures, events)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, v.MeetingID, v.Version, v.Canonical, v.SHA256, v.Code, string(v.Status),
			ms(v.FrozenAt), v.FrozenBy, ms(v.EstablishedAt), string(sigs), string(events))
		return err
	}
	res, err := tx.ExecContext(ctx, `UPDATE plan_versions SET status = ?, established_at = ?, signatures = ?, events = ? WHERE meeting_id = ? AND version = ?`,
		string(v.Status), ms(v.EstablishedAt), string(sigs), string(events), v.MeetingID, v.Version)
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil || n != 1 {
		return board.ErrNotFound
	}
	return nil
}

const planVersionColumns = `meeting_id, version, sha256, code, status, frozen_at, frozen_by, established_at, signatures, events`

type scanner interface{ Scan(dest ...any) error }

func scanPlanVersion(row scanner, canonical bool) (board.PlanVersion, error) {
	var v board.PlanVersion
	var status, sigs, events string
	var frozen, established int64
	dest := []any{&v.MeetingID, &v.Version, &v.SHA256, &v.Code, &status, &frozen, &v.FrozenBy, &established, &sigs, &events}
	if canonical {
		dest = append(dest, &v.Canonical)
	}
	if err := row.Scan(dest...); err != nil {
		return v, notFound(err)
	}
	v.Status, v.FrozenAt, v.EstablishedAt = board.PlanStatus(status), fromMS(frozen), fromMS(established)
	if err := json.Unmarshal([]byte(sigs), &v.Signatures); err != nil {
		return v, err
	}
	return v, json.Unmarshal([]byte(events), &v.Events)
}

func (s *Store) PlanVersions(ctx context.Context, meetingID string) ([]board.PlanVersion, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT `+planVersionColumns+` FROM plan_versions WHERE meeting_id = ? ORDER BY version`, meetingID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []board.PlanVersion
	for rows.Next() {
		v, err := scanPlanVersion(rows, false)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

func (s *Store) PlanVersion(ctx context.Context, meetingID string, version int) (board.PlanVersion, error) {
	return scanPlanVersion(s.r.QueryRowContext(ctx, `SELECT `+planVersionColumns+`, canonical FROM plan_versions WHERE meeting_id = ? AND version = ?`, meetingID, version), true)
}

func (s *Store) PlanVersionByCode(ctx context.Context, code string) (board.PlanVersion, error) {
	return scanPlanVersion(s.r.QueryRowContext(ctx, `SELECT `+planVersionColumns+`, canonical FROM plan_versions WHERE code = ?`, code), true)
}

func (s *Store) SavePlanPDF(ctx context.Context, meetingID string, version int, pdf []byte, at time.Time) ([]byte, error) {
	sum := sha256.Sum256(pdf)
	// Only for a version that exists; the PDF already kept for it stays.
	if _, err := s.w.ExecContext(ctx, `INSERT INTO plan_pdfs(meeting_id, version, sha256, pdf, created_at)
		SELECT meeting_id, version, ?, ?, ? FROM plan_versions WHERE meeting_id = ? AND version = ?
		ON CONFLICT (meeting_id, version) DO NOTHING`, hex.EncodeToString(sum[:]), pdf, ms(at), meetingID, version); err != nil {
		return nil, err
	}
	s.dirty.Store(true)
	var kept []byte
	err := s.w.QueryRowContext(ctx, `SELECT pdf FROM plan_pdfs WHERE meeting_id = ? AND version = ?`, meetingID, version).Scan(&kept)
	return kept, notFound(err)
}

func (s *Store) PlanPDF(ctx context.Context, meetingID string, version int) ([]byte, error) {
	var pdf []byte
	err := s.r.QueryRowContext(ctx, `SELECT pdf FROM plan_pdfs WHERE meeting_id = ? AND version = ?`, meetingID, version).Scan(&pdf)
	return pdf, notFound(err)
}

func (s *Store) PlanPDFByHash(ctx context.Context, sha string) (string, int, error) {
	var meeting string
	var version int
	err := s.r.QueryRowContext(ctx, `SELECT meeting_id, version FROM plan_pdfs WHERE sha256 = ?`, sha).Scan(&meeting, &version)
	return meeting, version, notFound(err)
}

func (s *Store) CreateDownloadLink(ctx context.Context, l board.DownloadLink) error {
	_, err := s.w.ExecContext(ctx, `INSERT INTO download_links(token_hash, meeting_id, member_id, created_at, expires_at) VALUES (?, ?, ?, ?, ?)`,
		l.TokenHash, l.MeetingID, l.MemberID, ms(l.CreatedAt), ms(l.ExpiresAt))
	return exists(err)
}

func (s *Store) DownloadLinkByHash(ctx context.Context, hash []byte, now time.Time) (board.DownloadLink, error) {
	l := board.DownloadLink{}
	var created, expires int64
	err := s.r.QueryRowContext(ctx, `SELECT token_hash, meeting_id, member_id, created_at, expires_at FROM download_links WHERE token_hash = ? AND expires_at > ?`,
		hash, ms(now)).Scan(&l.TokenHash, &l.MeetingID, &l.MemberID, &created, &expires)
	l.CreatedAt, l.ExpiresAt = fromMS(created), fromMS(expires)
	return l, notFound(err)
}

func (s *Store) ClaimSigningKey(ctx context.Context, keyID string) (string, error) {
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return "", err
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `INSERT INTO settings(name, value) VALUES ('plan_signing_key', ?) ON CONFLICT (name) DO NOTHING`, keyID); err != nil {
		return "", err
	}
	var recorded string
	if err := tx.QueryRowContext(ctx, `SELECT value FROM settings WHERE name = 'plan_signing_key'`).Scan(&recorded); err != nil {
		return "", err
	}
	return recorded, tx.Commit()
}
