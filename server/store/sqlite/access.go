package sqlite

import (
	"context"
	"database/sql"
	"strings"
	"time"

	"github.com/barnteam/barnteam/server/board"
)

// Users

const userColumns = `id, email, name, coalesce(org_id, ''), title, admin, disabled, must_change_password, password_hash, created_at`

func scanUser(row interface{ Scan(...any) error }) (board.User, error) {
	var u board.User
	var created int64
	err := row.Scan(&u.ID, &u.Email, &u.Name, &u.OrgID, &u.Title, &u.Admin, &u.Disabled, &u.MustChangePassword, &u.PasswordHash, &created)
	u.CreatedAt = fromMS(created)
	return u, err
}

func (s *Store) CreateUser(ctx context.Context, u board.User) error {
	_, err := s.w.ExecContext(ctx, `INSERT INTO users(id, email, name, org_id, title, admin, disabled, must_change_password, password_hash, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		u.ID, strings.ToLower(u.Email), u.Name, nullable(u.OrgID), u.Title, u.Admin, u.Disabled, u.MustChangePassword, u.PasswordHash, ms(u.CreatedAt))
	return exists(err)
}

func (s *Store) User(ctx context.Context, id string) (board.User, error) {
	u, err := scanUser(s.r.QueryRowContext(ctx, `SELECT `+userColumns+` FROM users WHERE id = ?`, id))
	return u, notFound(err)
}

func (s *Store) UserByEmail(ctx context.Context, email string) (board.User, error) {
	u, err := scanUser(s.r.QueryRowContext(ctx, `SELECT `+userColumns+` FROM users WHERE email = ?`, strings.ToLower(email)))
	return u, notFound(err)
}

func (s *Store) Users(ctx context.Context) ([]board.User, error) {
	return query(ctx, s.r, `SELECT `+userColumns+` FROM users ORDER BY name, email`, nil,
		func(rows *sql.Rows) (board.User, error) { return scanUser(rows) })
}

func (s *Store) UpdateUser(ctx context.Context, u board.User) error {
	return affected(s.w.ExecContext(ctx, `UPDATE users SET name = ?, org_id = ?, title = ?, admin = ?, disabled = ?,
		must_change_password = ?, password_hash = ? WHERE id = ?`,
		u.Name, nullable(u.OrgID), u.Title, u.Admin, u.Disabled, u.MustChangePassword, u.PasswordHash, u.ID))
}

func (s *Store) CountAdmins(ctx context.Context) (int, error) {
	var n int
	err := s.r.QueryRowContext(ctx, `SELECT count(*) FROM users WHERE admin AND NOT disabled`).Scan(&n)
	return n, err
}

// Staff sessions

func (s *Store) CreateUserSession(ctx context.Context, ss board.UserSession) error {
	_, err := s.w.ExecContext(ctx, `INSERT INTO user_sessions(token_hash, user_id, created_at, last_seen, expires_at) VALUES (?, ?, ?, ?, ?)`,
		ss.TokenHash, ss.UserID, ms(ss.CreatedAt), ms(ss.LastSeen), ms(ss.ExpiresAt))
	return err
}

func (s *Store) UserSessionByHash(ctx context.Context, hash []byte, now time.Time) (board.UserSession, error) {
	var ss board.UserSession
	var created, seen, expires int64
	err := s.r.QueryRowContext(ctx, `SELECT token_hash, user_id, created_at, last_seen, expires_at FROM user_sessions
		WHERE token_hash = ? AND expires_at > ?`, hash, ms(now)).Scan(&ss.TokenHash, &ss.UserID, &created, &seen, &expires)
	ss.CreatedAt, ss.LastSeen, ss.ExpiresAt = fromMS(created), fromMS(seen), fromMS(expires)
	return ss, notFound(err)
}

func (s *Store) TouchUserSession(ctx context.Context, hash []byte, now time.Time) error {
	return affected(s.w.ExecContext(ctx, `UPDATE user_sessions SET last_seen = ? WHERE token_hash = ?`, ms(now), hash))
}

func (s *Store) DeleteUserSession(ctx context.Context, hash []byte) error {
	_, err := s.w.ExecContext(ctx, `DELETE FROM user_sessions WHERE token_hash = ?`, hash)
	return err
}

func (s *Store) DeleteUserSessions(ctx context.Context, userID string) error {
	_, err := s.w.ExecContext(ctx, `DELETE FROM user_sessions WHERE user_id = ?`, userID)
	return err
}

// One-time account tokens

func (s *Store) CreateAccountToken(ctx context.Context, t board.AccountToken) error {
	_, err := s.w.ExecContext(ctx, `INSERT INTO account_tokens(token_hash, purpose, user_id, created_at, expires_at) VALUES (?, ?, ?, ?, ?)`,
		t.TokenHash, string(t.Purpose), nullable(t.UserID), ms(t.CreatedAt), ms(t.ExpiresAt))
	return err
}

func (s *Store) AccountToken(ctx context.Context, hash []byte, purpose board.TokenPurpose, now time.Time) (board.AccountToken, error) {
	return scanToken(s.r.QueryRowContext(ctx, `SELECT token_hash, purpose, coalesce(user_id, ''), created_at, expires_at FROM account_tokens
		WHERE token_hash = ? AND purpose = ? AND used_at = 0 AND expires_at > ?`, hash, string(purpose), ms(now)))
}

func (s *Store) UseAccountToken(ctx context.Context, hash []byte, purpose board.TokenPurpose, now time.Time) (board.AccountToken, error) {
	// One statement marks it used and returns it: of two racing requests only one
	// finds it unused.
	return scanToken(s.w.QueryRowContext(ctx, `UPDATE account_tokens SET used_at = ?
		WHERE token_hash = ? AND purpose = ? AND used_at = 0 AND expires_at > ?
		RETURNING token_hash, purpose, coalesce(user_id, ''), created_at, expires_at`, ms(now), hash, string(purpose), ms(now)))
}

func (s *Store) RevokeAccountTokens(ctx context.Context, userID string, purpose board.TokenPurpose) error {
	_, err := s.w.ExecContext(ctx, `DELETE FROM account_tokens WHERE user_id = ? AND purpose = ? AND used_at = 0`, userID, string(purpose))
	return err
}

func scanToken(row *sql.Row) (board.AccountToken, error) {
	var t board.AccountToken
	var created, expires int64
	err := row.Scan(&t.TokenHash, &t.Purpose, &t.UserID, &created, &expires)
	t.CreatedAt, t.ExpiresAt = fromMS(created), fromMS(expires)
	return t, notFound(err)
}

// Invites

func (s *Store) CreateInvite(ctx context.Context, inv board.Invite) error {
	_, err := s.w.ExecContext(ctx, `INSERT INTO invites(token_hash, member_id, meeting_id, created_at, expires_at) VALUES (?, ?, ?, ?, ?)`,
		inv.TokenHash, inv.MemberID, inv.MeetingID, ms(inv.CreatedAt), ms(inv.ExpiresAt))
	return err
}

func scanInvite(row interface{ Scan(...any) error }) (board.Invite, error) {
	var inv board.Invite
	var created, expires int64
	err := row.Scan(&inv.TokenHash, &inv.MemberID, &inv.MeetingID, &created, &expires)
	inv.CreatedAt, inv.ExpiresAt = fromMS(created), fromMS(expires)
	return inv, err
}

func (s *Store) InviteByHash(ctx context.Context, hash []byte, now time.Time) (board.Invite, error) {
	inv, err := scanInvite(s.r.QueryRowContext(ctx, `SELECT token_hash, member_id, meeting_id, created_at, expires_at FROM invites
		WHERE token_hash = ? AND expires_at > ?`, hash, ms(now)))
	return inv, notFound(err)
}

func (s *Store) Invites(ctx context.Context, meetingID string, now time.Time) ([]board.Invite, error) {
	return query(ctx, s.r, `SELECT token_hash, member_id, meeting_id, created_at, expires_at FROM invites
		WHERE meeting_id = ? AND expires_at > ? ORDER BY created_at`, []any{meetingID, ms(now)},
		func(rows *sql.Rows) (board.Invite, error) { return scanInvite(rows) })
}

func (s *Store) RevokeInvites(ctx context.Context, meetingID, memberID string) error {
	_, err := s.w.ExecContext(ctx, `DELETE FROM invites WHERE meeting_id = ? AND member_id = ?`, meetingID, memberID)
	return err
}

// Guest sessions and the lobby

func (s *Store) CreateSession(ctx context.Context, ss board.Session) error {
	_, err := s.w.ExecContext(ctx, `INSERT INTO sessions(token_hash, member_id, meeting_id, created_at, expires_at, admitted_at, denied_at, unlock_hash, return_to)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		ss.TokenHash, ss.MemberID, ss.MeetingID, ms(ss.CreatedAt), ms(ss.ExpiresAt), ms(ss.AdmittedAt), ms(ss.DeniedAt), ss.UnlockHash, ss.ReturnTo)
	return err
}

func (s *Store) SessionByHash(ctx context.Context, hash []byte, now time.Time) (board.Session, error) {
	var ss board.Session
	var created, expires, admitted, denied int64
	err := s.r.QueryRowContext(ctx, `SELECT token_hash, member_id, meeting_id, created_at, expires_at, admitted_at, denied_at, unlock_hash, return_to
		FROM sessions WHERE token_hash = ? AND expires_at > ?`, hash, ms(now)).
		Scan(&ss.TokenHash, &ss.MemberID, &ss.MeetingID, &created, &expires, &admitted, &denied, &ss.UnlockHash, &ss.ReturnTo)
	ss.CreatedAt, ss.ExpiresAt, ss.AdmittedAt, ss.DeniedAt = fromMS(created), fromMS(expires), fromMS(admitted), fromMS(denied)
	return ss, notFound(err)
}

func (s *Store) DeleteSession(ctx context.Context, hash []byte) error {
	_, err := s.w.ExecContext(ctx, `DELETE FROM sessions WHERE token_hash = ?`, hash)
	return err
}

func (s *Store) DeleteSessions(ctx context.Context, meetingID, memberID string) error {
	_, err := s.w.ExecContext(ctx, `DELETE FROM sessions WHERE meeting_id = ? AND member_id = ?`, meetingID, memberID)
	return err
}

func (s *Store) Admit(ctx context.Context, hash []byte, admit bool, at time.Time) error {
	col := "denied_at"
	if admit {
		col = "admitted_at"
	}
	return affected(s.w.ExecContext(ctx, `UPDATE sessions SET `+col+` = ? WHERE token_hash = ? AND admitted_at = 0 AND denied_at = 0`, ms(at), hash))
}

// Removals

func (s *Store) RemoveFromMeeting(ctx context.Context, r board.Removal) error {
	_, err := s.w.ExecContext(ctx, `INSERT INTO removals(meeting_id, member_id, removed_by, removed_at) VALUES (?, ?, ?, ?)
		ON CONFLICT (meeting_id, member_id) DO UPDATE SET removed_by = excluded.removed_by, removed_at = excluded.removed_at`,
		r.MeetingID, r.MemberID, r.By, ms(r.At))
	return err
}

func (s *Store) Readmit(ctx context.Context, meetingID, memberID string) error {
	_, err := s.w.ExecContext(ctx, `DELETE FROM removals WHERE meeting_id = ? AND member_id = ?`, meetingID, memberID)
	return err
}

func (s *Store) Removed(ctx context.Context, meetingID string) (map[string]board.Removal, error) {
	list, err := query(ctx, s.r, `SELECT meeting_id, member_id, removed_by, removed_at FROM removals WHERE meeting_id = ?`, []any{meetingID},
		func(rows *sql.Rows) (board.Removal, error) {
			var r board.Removal
			var at int64
			err := rows.Scan(&r.MeetingID, &r.MemberID, &r.By, &at)
			r.At = fromMS(at)
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
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `INSERT INTO consents(id, team_id, given_by, purpose, valid_from, valid_to, method, recorded_by, recorded_at, withdrawn_at, withdrawn_by)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		c.ID, c.TeamID, c.GivenBy, c.Purpose, c.ValidFrom, c.ValidTo, string(c.Method), c.RecordedBy, ms(c.RecordedAt), ms(c.WithdrawnAt), c.WithdrawnBy); err != nil {
		return exists(err)
	}
	for _, org := range c.OrgIDs {
		if _, err := tx.ExecContext(ctx, `INSERT INTO consent_orgs(consent_id, org_id) VALUES (?, ?)`, c.ID, org); err != nil {
			return exists(err)
		}
	}
	return tx.Commit()
}

func (s *Store) WithdrawConsent(ctx context.Context, id, by string, at time.Time) error {
	return affected(s.w.ExecContext(ctx, `UPDATE consents SET withdrawn_at = ?, withdrawn_by = ? WHERE id = ? AND withdrawn_at = 0`, ms(at), by, id))
}

func (s *Store) Consents(ctx context.Context, teamID string) ([]board.Consent, error) {
	list, err := query(ctx, s.r, `SELECT id, team_id, given_by, purpose, valid_from, valid_to, method, recorded_by, recorded_at, withdrawn_at, withdrawn_by
		FROM consents WHERE team_id = ? ORDER BY recorded_at, id`, []any{teamID}, func(rows *sql.Rows) (board.Consent, error) {
		var c board.Consent
		var recorded, withdrawn int64
		err := rows.Scan(&c.ID, &c.TeamID, &c.GivenBy, &c.Purpose, &c.ValidFrom, &c.ValidTo, &c.Method, &c.RecordedBy, &recorded, &withdrawn, &c.WithdrawnBy)
		c.RecordedAt, c.WithdrawnAt = fromMS(recorded), fromMS(withdrawn)
		return c, err
	})
	if err != nil {
		return nil, err
	}
	orgs, err := query(ctx, s.r, `SELECT co.consent_id, co.org_id FROM consent_orgs co JOIN consents c ON c.id = co.consent_id
		WHERE c.team_id = ? ORDER BY co.org_id`, []any{teamID}, func(rows *sql.Rows) ([2]string, error) {
		var p [2]string
		err := rows.Scan(&p[0], &p[1])
		return p, err
	})
	if err != nil {
		return nil, err
	}
	byID := make(map[string]*board.Consent, len(list))
	for i := range list {
		byID[list[i].ID] = &list[i]
	}
	for _, p := range orgs {
		if c := byID[p[0]]; c != nil {
			c.OrgIDs = append(c.OrgIDs, p[1])
		}
	}
	return list, nil
}

// Shared screens

func (s *Store) CreateDisplay(ctx context.Context, d board.Display) error {
	_, err := s.w.ExecContext(ctx, `INSERT INTO displays(token_hash, code_hash, meeting_id, created_by, created_at, code_expires_at, expires_at)
		VALUES (?, ?, ?, ?, ?, ?, ?)`, d.TokenHash, d.CodeHash, d.MeetingID, d.CreatedBy, ms(d.CreatedAt), ms(d.CodeExpiresAt), ms(d.ExpiresAt))
	return exists(err)
}

const displayColumns = `token_hash, code_hash, meeting_id, created_by, created_at, code_expires_at, expires_at`

func scanDisplay(row *sql.Row) (board.Display, error) {
	var d board.Display
	var created, codeExp, exp int64
	err := row.Scan(&d.TokenHash, &d.CodeHash, &d.MeetingID, &d.CreatedBy, &created, &codeExp, &exp)
	d.CreatedAt, d.CodeExpiresAt, d.ExpiresAt = fromMS(created), fromMS(codeExp), fromMS(exp)
	return d, notFound(err)
}

func (s *Store) DisplayByHash(ctx context.Context, hash []byte, now time.Time) (board.Display, error) {
	return scanDisplay(s.r.QueryRowContext(ctx, `SELECT `+displayColumns+` FROM displays WHERE token_hash = ? AND expires_at > ?`, hash, ms(now)))
}

func (s *Store) UseDisplayCode(ctx context.Context, codeHash []byte, now time.Time) (board.Display, error) {
	// Spending the code is moving its expiry to now: one statement, so two racing
	// requests cannot both use it.
	return scanDisplay(s.w.QueryRowContext(ctx, `UPDATE displays SET code_expires_at = ? WHERE code_hash = ? AND code_expires_at > ? AND expires_at > ?
		RETURNING `+displayColumns, ms(now), codeHash, ms(now), ms(now)))
}

func (s *Store) DeleteDisplays(ctx context.Context, meetingID string) error {
	_, err := s.w.ExecContext(ctx, `DELETE FROM displays WHERE meeting_id = ?`, meetingID)
	return err
}
