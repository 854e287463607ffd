package postgres

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/barnteam/barnteam/server/board"
)

// Barnets plan: versions, kept PDFs and download links, as in the SQLite store. Versions
// are written by Commit (writePlanVersion), in the transaction of the op that froze,
// signed or reopened them.

// writePlanVersion inserts a newly frozen version (it carries its canonical JSON) or
// updates the sign-off of an existing one.
func writePlanVersion(ctx context.Context, tx pgx.Tx, v *board.PlanVersion) error {
	sigs, err := json.Marshal(v.Signatures)
	if err != nil {
		return err
	}
	events, err := json.Marshal(v.Events)
	if err != nil {
		return err
	}
	if v.Canonical != nil {
		_, err = tx.Exec(ctx, `INSERT INTO plan_versions(meeting_id, version, canonical, sha256, code, status, frozen_at, frozen_by, established_at, signatures, events)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`, v.MeetingID, v.Version, v.Canonical, v.SHA256, v.Code, string(v.Status),
			when(v.FrozenAt), v.FrozenBy, maybe(v.EstablishedAt), sigs, events)
		return err
	}
	return affected(tx.Exec(ctx, `UPDATE plan_versions SET status = $1, established_at = $2, signatures = $3, events = $4 WHERE meeting_id = $5 AND version = $6`,
		string(v.Status), maybe(v.EstablishedAt), sigs, events, v.MeetingID, v.Version))
}

const planVersionColumns = `meeting_id, version, sha256, code, status, frozen_at, frozen_by, established_at, signatures, events`

func scanPlanVersion(row pgx.Row, canonical bool) (board.PlanVersion, error) {
	var v board.PlanVersion
	var status string
	var sigs, events []byte
	dest := []any{&v.MeetingID, &v.Version, &v.SHA256, &v.Code, &status, at(&v.FrozenAt), &v.FrozenBy, at(&v.EstablishedAt), &sigs, &events}
	if canonical {
		dest = append(dest, &v.Canonical)
	}
	if err := row.Scan(dest...); err != nil {
		return v, notFound(err)
	}
	v.Status = board.PlanStatus(status)
	if err := json.Unmarshal(sigs, &v.Signatures); err != nil {
		return v, err
	}
	return v, json.Unmarshal(events, &v.Events)
}

func (s *Store) PlanVersions(ctx context.Context, meetingID string) ([]board.PlanVersion, error) {
	return query(ctx, s.pool, `SELECT `+planVersionColumns+` FROM plan_versions WHERE meeting_id = $1 ORDER BY version`,
		[]any{meetingID}, func(rows pgx.Rows) (board.PlanVersion, error) { return scanPlanVersion(rows, false) })
}

func (s *Store) PlanVersion(ctx context.Context, meetingID string, version int) (board.PlanVersion, error) {
	return scanPlanVersion(s.pool.QueryRow(ctx, `SELECT `+planVersionColumns+`, canonical FROM plan_versions WHERE meeting_id = $1 AND version = $2`, meetingID, version), true)
}

func (s *Store) PlanVersionByCode(ctx context.Context, code string) (board.PlanVersion, error) {
	return scanPlanVersion(s.pool.QueryRow(ctx, `SELECT `+planVersionColumns+`, canonical FROM plan_versions WHERE code = $1`, code), true)
}

func (s *Store) SavePlanPDF(ctx context.Context, meetingID string, version int, pdf []byte, now time.Time) ([]byte, error) {
	sum := sha256.Sum256(pdf)
	// Only for a version that exists; the PDF already kept for it stays.
	if _, err := s.pool.Exec(ctx, `INSERT INTO plan_pdfs(meeting_id, version, sha256, pdf, created_at)
		SELECT meeting_id, version, $3, $4, $5 FROM plan_versions WHERE meeting_id = $1 AND version = $2
		ON CONFLICT (meeting_id, version) DO NOTHING`, meetingID, version, hex.EncodeToString(sum[:]), pdf, when(now)); err != nil {
		return nil, err
	}
	return s.PlanPDF(ctx, meetingID, version)
}

func (s *Store) PlanPDF(ctx context.Context, meetingID string, version int) ([]byte, error) {
	var pdf []byte
	err := s.pool.QueryRow(ctx, `SELECT pdf FROM plan_pdfs WHERE meeting_id = $1 AND version = $2`, meetingID, version).Scan(&pdf)
	return pdf, notFound(err)
}

func (s *Store) PlanPDFByHash(ctx context.Context, sha string) (string, int, error) {
	var meeting string
	var version int
	err := s.pool.QueryRow(ctx, `SELECT meeting_id, version FROM plan_pdfs WHERE sha256 = $1`, sha).Scan(&meeting, &version)
	return meeting, version, notFound(err)
}

func (s *Store) CreateDownloadLink(ctx context.Context, l board.DownloadLink) error {
	return inserted(s.pool.Exec(ctx, `INSERT INTO download_links(token_hash, meeting_id, member_id, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT DO NOTHING`, l.TokenHash, l.MeetingID, l.MemberID, when(l.CreatedAt), when(l.ExpiresAt)))
}

func (s *Store) DownloadLinkByHash(ctx context.Context, hash []byte, now time.Time) (board.DownloadLink, error) {
	var l board.DownloadLink
	err := s.pool.QueryRow(ctx, `SELECT token_hash, meeting_id, member_id, created_at, expires_at FROM download_links WHERE token_hash = $1 AND expires_at > $2`,
		hash, when(now)).Scan(&l.TokenHash, &l.MeetingID, &l.MemberID, at(&l.CreatedAt), at(&l.ExpiresAt))
	return l, notFound(err)
}

func (s *Store) ClaimSigningKey(ctx context.Context, keyID string) (string, error) {
	// Two instances starting at once: the second's insert waits for the first's and does
	// nothing; its select then sees the first's row.
	if _, err := s.pool.Exec(ctx, `INSERT INTO settings(name, value) VALUES ('plan_signing_key', $1) ON CONFLICT (name) DO NOTHING`, keyID); err != nil {
		return "", err
	}
	var recorded string
	err := s.pool.QueryRow(ctx, `SELECT value FROM settings WHERE name = 'plan_signing_key'`).Scan(&recorded)
	return recorded, err
}
