package postgres

import (
	"context"
	"strings"
	"time"

	"github.com/barnteam/barnteam/server/board"

	"github.com/jackc/pgx/v5"
)

// Users

const userColumns = `id, email, name, coalesce(org_id, ''), title, admin, disabled, must_change_password, password_hash, created_at`

func scanUser(row pgx.Row) (board.User, error) {
	var u board.User
	err := row.Scan(&u.ID, &u.Email, &u.Name, &u.OrgID, &u.Title, &u.Admin, &u.Disabled, &u.MustChangePassword, &u.PasswordHash, at(&u.CreatedAt))
	return u, err
}

func (s *Store) CreateUser(ctx context.Context, u board.User) error {
	return inserted(s.pool.Exec(ctx, `INSERT INTO users(id, email, name, org_id, title, admin, disabled, must_change_password, password_hash, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT DO NOTHING`,
		u.ID, strings.ToLower(u.Email), u.Name, nullable(u.OrgID), u.Title, u.Admin, u.Disabled, u.MustChangePassword, u.PasswordHash, when(u.CreatedAt)))
}

func (s *Store) User(ctx context.Context, id string) (board.User, error) {
	u, err := scanUser(s.pool.QueryRow(ctx, `SELECT `+userColumns+` FROM users WHERE id = $1`, id))
	return u, notFound(err)
}

func (s *Store) UserByEmail(ctx context.Context, email string) (board.User, error) {
	u, err := scanUser(s.pool.QueryRow(ctx, `SELECT `+userColumns+` FROM users WHERE email = $1`, strings.ToLower(email)))
	return u, notFound(err)
}

func (s *Store) Users(ctx context.Context) ([]board.User, error) {
	return query(ctx, s.pool, `SELECT `+userColumns+` FROM users ORDER BY name COLLATE "C", email COLLATE "C"`, nil,
		func(rows pgx.Rows) (board.User, error) { return scanUser(rows) })
}

func (s *Store) UpdateUser(ctx context.Context, u board.User) error {
	return affected(s.pool.Exec(ctx, `UPDATE users SET name = $1, org_id = $2, title = $3, admin = $4, disabled = $5,
		must_change_password = $6, password_hash = $7 WHERE id = $8`,
		u.Name, nullable(u.OrgID), u.Title, u.Admin, u.Disabled, u.MustChangePassword, u.PasswordHash, u.ID))
}

func (s *Store) CountAdmins(ctx context.Context) (int, error) {
	var n int
	err := s.pool.QueryRow(ctx, `SELECT count(*) FROM users WHERE admin AND NOT disabled`).Scan(&n)
	return n, err
}

// Staff sessions

func (s *Store) CreateUserSession(ctx context.Context, ss board.UserSession) error {
	_, err := s.pool.Exec(ctx, `INSERT INTO user_sessions(token_hash, user_id, created_at, last_seen, expires_at) VALUES ($1, $2, $3, $4, $5)`,
		ss.TokenHash, ss.UserID, when(ss.CreatedAt), when(ss.LastSeen), when(ss.ExpiresAt))
	return err
}

func (s *Store) UserSessionByHash(ctx context.Context, hash []byte, now time.Time) (board.UserSession, error) {
	var ss board.UserSession
	err := s.pool.QueryRow(ctx, `SELECT token_hash, user_id, created_at, last_seen, expires_at FROM user_sessions
		WHERE token_hash = $1 AND expires_at > $2`, hash, when(now)).
		Scan(&ss.TokenHash, &ss.UserID, at(&ss.CreatedAt), at(&ss.LastSeen), at(&ss.ExpiresAt))
	return ss, notFound(err)
}

func (s *Store) TouchUserSession(ctx context.Context, hash []byte, now time.Time) error {
	return affected(s.pool.Exec(ctx, `UPDATE user_sessions SET last_seen = $1 WHERE token_hash = $2`, when(now), hash))
}

func (s *Store) DeleteUserSession(ctx context.Context, hash []byte) error {
	_, err := s.pool.Exec(ctx, `DELETE FROM user_sessions WHERE token_hash = $1`, hash)
	return err
}

func (s *Store) DeleteUserSessions(ctx context.Context, userID string) error {
	_, err := s.pool.Exec(ctx, `DELETE FROM user_sessions WHERE user_id = $1`, userID)
	return err
}

// One-time account tokens

func (s *Store) CreateAccountToken(ctx context.Context, t board.AccountToken) error {
	_, err := s.pool.Exec(ctx, `INSERT INTO account_tokens(token_hash, purpose, user_id, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)`,
		t.TokenHash, string(t.Purpose), nullable(t.UserID), when(t.CreatedAt), when(t.ExpiresAt))
	return err
}

func (s *Store) AccountToken(ctx context.Context, hash []byte, purpose board.TokenPurpose, now time.Time) (board.AccountToken, error) {
	return scanToken(s.pool.QueryRow(ctx, `SELECT token_hash, purpose, coalesce(user_id, ''), created_at, expires_at FROM account_tokens
		WHERE token_hash = $1 AND purpose = $2 AND used_at IS NULL AND expires_at > $3`, hash, string(purpose), when(now)))
}

func (s *Store) UseAccountToken(ctx context.Context, hash []byte, purpose board.TokenPurpose, now time.Time) (board.AccountToken, error) {
	// One statement marks it used and returns it. Of two racing requests (from any
	// instance) the second waits for the first's row lock, then finds the row used.
	return scanToken(s.pool.QueryRow(ctx, `UPDATE account_tokens SET used_at = $1
		WHERE token_hash = $2 AND purpose = $3 AND used_at IS NULL AND expires_at > $1
		RETURNING token_hash, purpose, coalesce(user_id, ''), created_at, expires_at`, when(now), hash, string(purpose)))
}

func (s *Store) RevokeAccountTokens(ctx context.Context, userID string, purpose board.TokenPurpose) error {
	_, err := s.pool.Exec(ctx, `DELETE FROM account_tokens WHERE user_id = $1 AND purpose = $2 AND used_at IS NULL`, userID, string(purpose))
	return err
}

func scanToken(row pgx.Row) (board.AccountToken, error) {
	var t board.AccountToken
	err := row.Scan(&t.TokenHash, &t.Purpose, &t.UserID, at(&t.CreatedAt), at(&t.ExpiresAt))
	return t, notFound(err)
}

// Invites

func (s *Store) CreateInvite(ctx context.Context, inv board.Invite) error {
	_, err := s.pool.Exec(ctx, `INSERT INTO invites(token_hash, member_id, meeting_id, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)`,
		inv.TokenHash, inv.MemberID, inv.MeetingID, when(inv.CreatedAt), when(inv.ExpiresAt))
	return err
}

func scanInvite(row pgx.Row) (board.Invite, error) {
	var inv board.Invite
	err := row.Scan(&inv.TokenHash, &inv.MemberID, &inv.MeetingID, at(&inv.CreatedAt), at(&inv.ExpiresAt))
	return inv, err
}

func (s *Store) InviteByHash(ctx context.Context, hash []byte, now time.Time) (board.Invite, error) {
	inv, err := scanInvite(s.pool.QueryRow(ctx, `SELECT token_hash, member_id, meeting_id, created_at, expires_at FROM invites
		WHERE token_hash = $1 AND expires_at > $2`, hash, when(now)))
	return inv, notFound(err)
}

func (s *Store) Invites(ctx context.Context, meetingID string, now time.Time) ([]board.Invite, error) {
	return query(ctx, s.pool, `SELECT token_hash, member_id, meeting_id, created_at, expires_at FROM invites
		WHERE meeting_id = $1 AND expires_at > $2 ORDER BY created_at`, []any{meetingID, when(now)},
		func(rows pgx.Rows) (board.Invite, error) { return scanInvite(rows) })
}

func (s *Store) RevokeInvites(ctx context.Context, meetingID, memberID string) error {
	_, err := s.pool.Exec(ctx, `DELETE FROM invites WHERE meeting_id = $1 AND member_id = $2`, meetingID, memberID)
	return err
}

// Guest sessions and the lobby

func (s *Store) CreateSession(ctx context.Context, ss board.Session) error {
	_, err := s.pool.Exec(ctx, `INSERT INTO sessions(token_hash, member_id, meeting_id, created_at, expires_at, admitted_at, denied_at, unlock_hash, return_to)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
		ss.TokenHash, ss.MemberID, ss.MeetingID, when(ss.CreatedAt), when(ss.ExpiresAt), maybe(ss.AdmittedAt), maybe(ss.DeniedAt), ss.UnlockHash, ss.ReturnTo)
	return err
}

func (s *Store) SessionByHash(ctx context.Context, hash []byte, now time.Time) (board.Session, error) {
	var ss board.Session
	err := s.pool.QueryRow(ctx, `SELECT token_hash, member_id, meeting_id, created_at, expires_at, admitted_at, denied_at, unlock_hash, return_to
		FROM sessions WHERE token_hash = $1 AND expires_at > $2`, hash, when(now)).
		Scan(&ss.TokenHash, &ss.MemberID, &ss.MeetingID, at(&ss.CreatedAt), at(&ss.ExpiresAt), at(&ss.AdmittedAt), at(&ss.DeniedAt), &ss.UnlockHash, &ss.ReturnTo)
	return ss, notFound(err)
}

func (s *Store) DeleteSession(ctx context.Context, hash []byte) error {
	_, err := s.pool.Exec(ctx, `DELETE FROM sessions WHERE token_hash = $1`, hash)
	return err
}

func (s *Store) DeleteSessions(ctx context.Context, meetingID, memberID string) error {
	_, err := s.pool.Exec(ctx, `DELETE FROM sessions WHERE meeting_id = $1 AND member_id = $2`, meetingID, memberID)
	return err
}

func (s *Store) Admit(ctx context.Context, hash []byte, admit bool, t time.Time) error {
	col := "denied_at"
	if admit {
		col = "admitted_at"
	}
	return affected(s.pool.Exec(ctx, `UPDATE sessions SET `+col+` = $1 WHERE token_hash = $2 AND admitted_at IS NULL AND denied_at IS NULL`,
		maybe(t), hash))
}

// Removals

func (s *Store) RemoveFromMeeting(ctx context.Context, r board.Removal) error {
	_, err := s.pool.Exec(ctx, `INSERT INTO removals(meeting_id, member_id, removed_by, removed_at) VALUES ($1, $2, $3, $4)
		ON CONFLICT (meeting_id, member_id) DO UPDATE SET removed_by = excluded.removed_by, removed_at = excluded.removed_at`,
		r.MeetingID, r.MemberID, r.By, when(r.At))
	return err
}

func (s *Store) Readmit(ctx context.Context, meetingID, memberID string) error {
	_, err := s.pool.Exec(ctx, `DELETE FROM removals WHERE meeting_id = $1 AND member_id = $2`, meetingID, memberID)
	return err
}

func (s *Store) Removed(ctx context.Context, meetingID string) (map[string]board.Removal, error) {
	list, err := query(ctx, s.pool, `SELECT meeting_id, member_id, removed_by, removed_at FROM removals WHERE meeting_id = $1`, []any{meetingID},
		func(rows pgx.Rows) (board.Removal, error) {
			var r board.Removal
			err := rows.Scan(&r.MeetingID, &r.MemberID, &r.By, at(&r.At))
			return r, err
		})
	out := make(map[string]board.Removal, len(list))
	for _, r := range list {
		out[r.MemberID] = r
	}
	return out, err
}

// Consents

func (s *Store) CreateConsent(ctx context.Context, c board.Consent) error {
	tx, err := s.pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.ReadCommitted})
	if err != nil {
		return err
	}
	defer tx.Rollback(ctx)
	if err := inserted(tx.Exec(ctx, `INSERT INTO consents(id, team_id, given_by, purpose, valid_from, valid_to, method, recorded_by, recorded_at, withdrawn_at, withdrawn_by)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) ON CONFLICT DO NOTHING`,
		c.ID, c.TeamID, c.GivenBy, c.Purpose, c.ValidFrom, c.ValidTo, string(c.Method), c.RecordedBy, when(c.RecordedAt), maybe(c.WithdrawnAt), c.WithdrawnBy)); err != nil {
		return err
	}
	for _, org := range c.OrgIDs {
		// An organisation named twice is ErrExists, as in SQLite; an unknown one is the
		// foreign key's error.
		if err := inserted(tx.Exec(ctx, `INSERT INTO consent_orgs(consent_id, org_id) VALUES ($1, $2) ON CONFLICT DO NOTHING`, c.ID, org)); err != nil {
			return err
		}
	}
	return tx.Commit(ctx)
}

func (s *Store) WithdrawConsent(ctx context.Context, id, by string, t time.Time) error {
	return affected(s.pool.Exec(ctx, `UPDATE consents SET withdrawn_at = $1, withdrawn_by = $2 WHERE id = $3 AND withdrawn_at IS NULL`,
		maybe(t), by, id))
}

// Consents reads a team's consents with their organisations in one statement (one
// snapshot).
func (s *Store) Consents(ctx context.Context, teamID string) ([]board.Consent, error) {
	return query(ctx, s.pool, `SELECT c.id, c.team_id, c.given_by, c.purpose, c.valid_from, c.valid_to, c.method, c.recorded_by, c.recorded_at,
			c.withdrawn_at, c.withdrawn_by,
			coalesce((SELECT array_agg(co.org_id ORDER BY co.org_id COLLATE "C") FROM consent_orgs co WHERE co.consent_id = c.id), '{}')
		FROM consents c WHERE c.team_id = $1 ORDER BY c.recorded_at, c.id COLLATE "C"`, []any{teamID},
		func(rows pgx.Rows) (board.Consent, error) {
			var c board.Consent
			err := rows.Scan(&c.ID, &c.TeamID, &c.GivenBy, &c.Purpose, &c.ValidFrom, &c.ValidTo, &c.Method, &c.RecordedBy, at(&c.RecordedAt),
				at(&c.WithdrawnAt), &c.WithdrawnBy, &c.OrgIDs)
			if len(c.OrgIDs) == 0 {
				c.OrgIDs = nil // as SQLite's store leaves it
			}
			return c, err
		})
}

// Shared screens

func (s *Store) CreateDisplay(ctx context.Context, d board.Display) error {
	return inserted(s.pool.Exec(ctx, `INSERT INTO displays(token_hash, code_hash, meeting_id, created_by, created_at, code_expires_at, expires_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING`,
		d.TokenHash, d.CodeHash, d.MeetingID, d.CreatedBy, when(d.CreatedAt), when(d.CodeExpiresAt), when(d.ExpiresAt)))
}

const displayColumns = `token_hash, code_hash, meeting_id, created_by, created_at, code_expires_at, expires_at`

func scanDisplay(row pgx.Row) (board.Display, error) {
	var d board.Display
	err := row.Scan(&d.TokenHash, &d.CodeHash, &d.MeetingID, &d.CreatedBy, at(&d.CreatedAt), at(&d.CodeExpiresAt), at(&d.ExpiresAt))
	return d, notFound(err)
}

func (s *Store) DisplayByHash(ctx context.Context, hash []byte, now time.Time) (board.Display, error) {
	return scanDisplay(s.pool.QueryRow(ctx, `SELECT `+displayColumns+` FROM displays WHERE token_hash = $1 AND expires_at > $2`, hash, when(now)))
}

func (s *Store) UseDisplayCode(ctx context.Context, codeHash []byte, now time.Time) (board.Display, error) {
	// Spending the code is moving its expiry to now: one statement, so two racing
	// requests (from any instance) cannot both use it.
	return scanDisplay(s.pool.QueryRow(ctx, `UPDATE displays SET code_expires_at = $1 WHERE code_hash = $2 AND code_expires_at > $1 AND expires_at > $1
		RETURNING `+displayColumns, when(now), codeHash))
}

func (s *Store) DeleteDisplays(ctx context.Context, meetingID string) error {
	_, err := s.pool.Exec(ctx, `DELETE FROM displays WHERE meeting_id = $1`, meetingID)
	return err
}
