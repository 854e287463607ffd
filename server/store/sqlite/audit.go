package sqlite

import (
	"context"
	"database/sql"
	"strings"

	"github.com/barnteam/barnteam/server/board"
)

func (s *Store) AppendAudit(ctx context.Context, e board.AuditEntry) error {
	_, err := s.w.ExecContext(ctx, `INSERT INTO audit_log(at, user_id, member_id, actor_name, org_id, org_name, action, team_id, meeting_id, target, address)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		ms(e.At), e.UserID, e.MemberID, e.ActorName, e.OrgID, e.OrgName, string(e.Action), e.TeamID, e.MeetingID, e.Target, e.Address)
	return err
}

func (s *Store) Audit(ctx context.Context, f board.AuditFilter) ([]board.AuditEntry, error) {
	var where []string
	var args []any
	add := func(cond string, arg any) {
		where = append(where, cond)
		args = append(args, arg)
	}
	if f.TeamID != "" {
		add("team_id = ?", f.TeamID)
	}
	if f.UserID != "" {
		add("user_id = ?", f.UserID)
	}
	if f.Action != "" {
		add("action = ?", string(f.Action))
	}
	if !f.From.IsZero() {
		add("at >= ?", ms(f.From))
	}
	if !f.To.IsZero() {
		add("at < ?", ms(f.To))
	}
	if f.BeforeID > 0 {
		add("id < ?", f.BeforeID)
	}
	q := `SELECT id, at, user_id, member_id, actor_name, org_id, org_name, action, team_id, meeting_id, target, address FROM audit_log`
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	limit := f.Limit
	if limit <= 0 {
		limit = 1000
	}
	q += " ORDER BY id DESC LIMIT ?"
	args = append(args, limit)
	return query(ctx, s.r, q, args, func(rows *sql.Rows) (board.AuditEntry, error) {
		var e board.AuditEntry
		var at int64
		err := rows.Scan(&e.ID, &at, &e.UserID, &e.MemberID, &e.ActorName, &e.OrgID, &e.OrgName, &e.Action, &e.TeamID, &e.MeetingID, &e.Target, &e.Address)
		e.At = fromMS(at)
		return e, err
	})
}
