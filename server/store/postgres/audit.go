package postgres

import (
	"context"
	"strconv"
	"strings"

	"github.com/barnteam/barnteam/server/board"

	"github.com/jackc/pgx/v5"
)

func (s *Store) AppendAudit(ctx context.Context, e board.AuditEntry) error {
	_, err := s.pool.Exec(ctx, `INSERT INTO audit_log(at, user_id, member_id, actor_name, org_id, org_name, action, team_id, meeting_id, target, address)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
		when(e.At), e.UserID, e.MemberID, e.ActorName, e.OrgID, e.OrgName, string(e.Action), e.TeamID, e.MeetingID, e.Target, e.Address)
	return err
}

// Audit lists rows newest first. The id is an identity: rows are numbered in the order
// their inserts began, which for concurrent writers (several instances) may differ
// slightly from the order they committed in; paging by id is stable all the same.
func (s *Store) Audit(ctx context.Context, f board.AuditFilter) ([]board.AuditEntry, error) {
	var where []string
	var args []any
	add := func(cond string, arg any) {
		args = append(args, arg)
		where = append(where, strings.ReplaceAll(cond, "?", "$"+strconv.Itoa(len(args))))
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
		add("at >= ?", when(f.From))
	}
	if !f.To.IsZero() {
		add("at < ?", when(f.To))
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
	args = append(args, limit)
	q += " ORDER BY id DESC LIMIT $" + strconv.Itoa(len(args))
	return query(ctx, s.pool, q, args, func(rows pgx.Rows) (board.AuditEntry, error) {
		var e board.AuditEntry
		err := rows.Scan(&e.ID, at(&e.At), &e.UserID, &e.MemberID, &e.ActorName, &e.OrgID, &e.OrgName, &e.Action, &e.TeamID, &e.MeetingID, &e.Target, &e.Address)
		return e, err
	})
}
