package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"

	"github.com/barnteam/barnteam/server/board"
)

func (s *Store) CreateOrganisation(ctx context.Context, o board.Organisation) error {
	_, err := s.w.ExecContext(ctx, `INSERT INTO organisations(id, name, huvudman) VALUES (?, ?, ?)`, o.ID, o.Name, string(o.Huvudman))
	return exists(err)
}

func (s *Store) Organisation(ctx context.Context, id string) (board.Organisation, error) {
	var o board.Organisation
	err := s.r.QueryRowContext(ctx, `SELECT id, name, huvudman FROM organisations WHERE id = ?`, id).Scan(&o.ID, &o.Name, &o.Huvudman)
	return o, notFound(err)
}

func (s *Store) Organisations(ctx context.Context) ([]board.Organisation, error) {
	return query(ctx, s.r, `SELECT id, name, huvudman FROM organisations ORDER BY name, id`, nil, func(rows *sql.Rows) (board.Organisation, error) {
		var o board.Organisation
		err := rows.Scan(&o.ID, &o.Name, &o.Huvudman)
		return o, err
	})
}

func (s *Store) UpdateOrganisation(ctx context.Context, o board.Organisation) error {
	return affected(s.w.ExecContext(ctx, `UPDATE organisations SET name = ?, huvudman = ? WHERE id = ?`, o.Name, string(o.Huvudman), o.ID))
}

func (s *Store) CreateTeam(ctx context.Context, t board.Team) error {
	_, err := s.w.ExecContext(ctx, `INSERT INTO teams(id, child_first_name, child_birth_year, reason, created_at, face_scale) VALUES (?, ?, ?, ?, ?, ?)`,
		t.ID, t.ChildFirstName, t.ChildBirthYear, t.Reason, ms(t.CreatedAt), t.FaceScale)
	return exists(err)
}

const teamColumns = `t.id, t.child_first_name, t.child_birth_year, t.reason, t.created_at, t.face_scale`

func scanTeam(row interface{ Scan(...any) error }) (board.Team, error) {
	var t board.Team
	var created int64
	err := row.Scan(&t.ID, &t.ChildFirstName, &t.ChildBirthYear, &t.Reason, &created, &t.FaceScale)
	t.CreatedAt = fromMS(created)
	return t, err
}

func (s *Store) Team(ctx context.Context, id string) (board.Team, error) {
	t, err := scanTeam(s.r.QueryRowContext(ctx, `SELECT `+teamColumns+` FROM teams t WHERE t.id = ?`, id))
	return t, notFound(err)
}

func (s *Store) SetFaceScale(ctx context.Context, teamID string, faces int) error {
	return affected(s.w.ExecContext(ctx, `UPDATE teams SET face_scale = ? WHERE id = ?`, faces, teamID))
}

func (s *Store) Teams(ctx context.Context) ([]board.Team, error) {
	return query(ctx, s.r, `SELECT `+teamColumns+` FROM teams t ORDER BY t.child_first_name, t.child_birth_year, t.id`, nil,
		func(rows *sql.Rows) (board.Team, error) { return scanTeam(rows) })
}

func (s *Store) TeamsOfUser(ctx context.Context, userID string) ([]board.Team, error) {
	return query(ctx, s.r, `SELECT DISTINCT `+teamColumns+` FROM teams t JOIN members m ON m.team_id = t.id
		WHERE m.user_id = ? ORDER BY t.created_at DESC, t.id`, []any{userID}, func(rows *sql.Rows) (board.Team, error) { return scanTeam(rows) })
}

func (s *Store) AddMember(ctx context.Context, m board.Member) error {
	_, err := s.w.ExecContext(ctx, `INSERT INTO members(id, team_id, name, role, org_id, title, discoverer, lang, user_id, contact, position)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, (SELECT coalesce(max(position), 0) + 1 FROM members WHERE team_id = ?))`,
		m.ID, m.TeamID, m.Name, string(m.Role), nullable(m.OrgID), m.Title, m.Discoverer, m.Lang, nullable(m.UserID), m.Contact, m.TeamID)
	return exists(err)
}

const memberColumns = `id, team_id, name, role, coalesce(org_id, ''), title, discoverer, lang, coalesce(user_id, ''), contact`

func scanMember(row interface{ Scan(...any) error }) (board.Member, error) {
	var m board.Member
	err := row.Scan(&m.ID, &m.TeamID, &m.Name, &m.Role, &m.OrgID, &m.Title, &m.Discoverer, &m.Lang, &m.UserID, &m.Contact)
	return m, err
}

func (s *Store) Member(ctx context.Context, id string) (board.Member, error) {
	m, err := scanMember(s.r.QueryRowContext(ctx, `SELECT `+memberColumns+` FROM members WHERE id = ?`, id))
	return m, notFound(err)
}

func (s *Store) Members(ctx context.Context, teamID string) ([]board.Member, error) {
	return query(ctx, s.r, `SELECT `+memberColumns+` FROM members WHERE team_id = ? ORDER BY position`, []any{teamID},
		func(rows *sql.Rows) (board.Member, error) { return scanMember(rows) })
}

func (s *Store) SetMemberRole(ctx context.Context, memberID string, role board.Role) error {
	return affected(s.w.ExecContext(ctx, `UPDATE members SET role = ? WHERE id = ?`, string(role), memberID))
}

func (s *Store) CreateMeeting(ctx context.Context, m board.Meeting) error {
	_, err := s.w.ExecContext(ctx, `INSERT INTO meetings(id, team_id, title, scheduled_at, epoch, cofacilitator, follow_up_of) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		m.ID, m.TeamID, m.Title, ms(m.ScheduledAt), m.Epoch, m.Cofacilitator, m.FollowUpOf)
	return exists(err)
}

const meetingColumns = `id, team_id, title, scheduled_at, epoch, cofacilitator, follow_up_of`

func scanMeeting(row interface{ Scan(...any) error }) (board.Meeting, error) {
	var m board.Meeting
	var at int64
	err := row.Scan(&m.ID, &m.TeamID, &m.Title, &at, &m.Epoch, &m.Cofacilitator, &m.FollowUpOf)
	m.ScheduledAt = fromMS(at)
	return m, err
}

func (s *Store) Meeting(ctx context.Context, id string) (board.Meeting, error) {
	m, err := scanMeeting(s.r.QueryRowContext(ctx, `SELECT `+meetingColumns+` FROM meetings WHERE id = ?`, id))
	return m, notFound(err)
}

func (s *Store) MeetingsOfTeam(ctx context.Context, teamID string) ([]board.Meeting, error) {
	return query(ctx, s.r, `SELECT `+meetingColumns+` FROM meetings WHERE team_id = ? ORDER BY scheduled_at, id`, []any{teamID},
		func(rows *sql.Rows) (board.Meeting, error) { return scanMeeting(rows) })
}

func (s *Store) SetCofacilitator(ctx context.Context, meetingID, memberID string) error {
	return affected(s.w.ExecContext(ctx, `UPDATE meetings SET cofacilitator = ? WHERE id = ?`, memberID, meetingID))
}

// query runs a query and scans every row with scan.
func query[T any](ctx context.Context, db *sql.DB, q string, args []any, scan func(*sql.Rows) (T, error)) ([]T, error) {
	rows, err := db.QueryContext(ctx, q, args...)
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

// Agenda templates

func (s *Store) CreateAgendaTemplate(ctx context.Context, t board.AgendaTemplate) error {
	items, err := json.Marshal(t.Items)
	if err != nil {
		return err
	}
	_, err = s.w.ExecContext(ctx, `INSERT INTO agenda_templates(id, user_id, name, items, created_at) VALUES (?, ?, ?, ?, ?)`,
		t.ID, t.UserID, t.Name, string(items), ms(t.CreatedAt))
	return exists(err)
}

func (s *Store) AgendaTemplates(ctx context.Context, userID string) ([]board.AgendaTemplate, error) {
	return query(ctx, s.r, `SELECT id, user_id, name, items, created_at FROM agenda_templates WHERE user_id = ? ORDER BY name, id`, []any{userID},
		func(rows *sql.Rows) (board.AgendaTemplate, error) {
			var t board.AgendaTemplate
			var items string
			var at int64
			if err := rows.Scan(&t.ID, &t.UserID, &t.Name, &items, &at); err != nil {
				return t, err
			}
			t.CreatedAt = fromMS(at)
			return t, json.Unmarshal([]byte(items), &t.Items)
		})
}

func (s *Store) DeleteAgendaTemplate(ctx context.Context, userID, id string) error {
	return affected(s.w.ExecContext(ctx, `DELETE FROM agenda_templates WHERE id = ? AND user_id = ?`, id, userID))
}
