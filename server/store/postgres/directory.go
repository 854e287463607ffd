package postgres

import (
	"context"
	"encoding/json"

	"github.com/barnteam/barnteam/server/board"

	"github.com/jackc/pgx/v5"
)

// Lists are sorted with COLLATE "C" (byte order), as SQLite sorts them, whatever the
// database's default collation is.

func (s *Store) CreateOrganisation(ctx context.Context, o board.Organisation) error {
	return inserted(s.pool.Exec(ctx, `INSERT INTO organisations(id, name, huvudman) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`,
		o.ID, o.Name, string(o.Huvudman)))
}

func (s *Store) Organisation(ctx context.Context, id string) (board.Organisation, error) {
	var o board.Organisation
	err := s.pool.QueryRow(ctx, `SELECT id, name, huvudman FROM organisations WHERE id = $1`, id).Scan(&o.ID, &o.Name, &o.Huvudman)
	return o, notFound(err)
}

func (s *Store) Organisations(ctx context.Context) ([]board.Organisation, error) {
	return query(ctx, s.pool, `SELECT id, name, huvudman FROM organisations ORDER BY name COLLATE "C", id COLLATE "C"`, nil,
		func(rows pgx.Rows) (board.Organisation, error) {
			var o board.Organisation
			err := rows.Scan(&o.ID, &o.Name, &o.Huvudman)
			return o, err
		})
}

func (s *Store) UpdateOrganisation(ctx context.Context, o board.Organisation) error {
	return affected(s.pool.Exec(ctx, `UPDATE organisations SET name = $1, huvudman = $2 WHERE id = $3`, o.Name, string(o.Huvudman), o.ID))
}

func (s *Store) CreateTeam(ctx context.Context, t board.Team) error {
	return inserted(s.pool.Exec(ctx, `INSERT INTO teams(id, child_first_name, child_birth_year, reason, created_at, face_scale)
		VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING`,
		t.ID, t.ChildFirstName, t.ChildBirthYear, t.Reason, when(t.CreatedAt), t.FaceScale))
}

const teamColumns = `t.id, t.child_first_name, t.child_birth_year, t.reason, t.created_at, t.face_scale`

func scanTeam(row pgx.Row) (board.Team, error) {
	var t board.Team
	err := row.Scan(&t.ID, &t.ChildFirstName, &t.ChildBirthYear, &t.Reason, at(&t.CreatedAt), &t.FaceScale)
	return t, err
}

func (s *Store) Team(ctx context.Context, id string) (board.Team, error) {
	t, err := scanTeam(s.pool.QueryRow(ctx, `SELECT `+teamColumns+` FROM teams t WHERE t.id = $1`, id))
	return t, notFound(err)
}

func (s *Store) SetFaceScale(ctx context.Context, teamID string, faces int) error {
	return affected(s.pool.Exec(ctx, `UPDATE teams SET face_scale = $1 WHERE id = $2`, faces, teamID))
}

func (s *Store) Teams(ctx context.Context) ([]board.Team, error) {
	return query(ctx, s.pool, `SELECT `+teamColumns+` FROM teams t
		ORDER BY t.child_first_name COLLATE "C", t.child_birth_year, t.id COLLATE "C"`, nil,
		func(rows pgx.Rows) (board.Team, error) { return scanTeam(rows) })
}

func (s *Store) TeamsOfUser(ctx context.Context, userID string) ([]board.Team, error) {
	return query(ctx, s.pool, `SELECT `+teamColumns+` FROM teams t
		WHERE EXISTS (SELECT 1 FROM members m WHERE m.team_id = t.id AND m.user_id = $1)
		ORDER BY t.created_at DESC, t.id COLLATE "C"`, []any{userID},
		func(rows pgx.Rows) (board.Team, error) { return scanTeam(rows) })
}

func (s *Store) AddMember(ctx context.Context, m board.Member) error {
	// position is an identity column: members list in the order they were added.
	return inserted(s.pool.Exec(ctx, `INSERT INTO members(id, team_id, name, role, org_id, title, discoverer, lang, user_id, contact)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT DO NOTHING`,
		m.ID, m.TeamID, m.Name, string(m.Role), nullable(m.OrgID), m.Title, m.Discoverer, m.Lang, nullable(m.UserID), m.Contact))
}

const memberColumns = `id, team_id, name, role, coalesce(org_id, ''), title, discoverer, lang, coalesce(user_id, ''), contact`

func scanMember(row pgx.Row) (board.Member, error) {
	var m board.Member
	err := row.Scan(&m.ID, &m.TeamID, &m.Name, &m.Role, &m.OrgID, &m.Title, &m.Discoverer, &m.Lang, &m.UserID, &m.Contact)
	return m, err
}

func (s *Store) Member(ctx context.Context, id string) (board.Member, error) {
	m, err := scanMember(s.pool.QueryRow(ctx, `SELECT `+memberColumns+` FROM members WHERE id = $1`, id))
	return m, notFound(err)
}

func (s *Store) Members(ctx context.Context, teamID string) ([]board.Member, error) {
	return query(ctx, s.pool, `SELECT `+memberColumns+` FROM members WHERE team_id = $1 ORDER BY position`, []any{teamID},
		func(rows pgx.Rows) (board.Member, error) { return scanMember(rows) })
}

func (s *Store) SetMemberRole(ctx context.Context, memberID string, role board.Role) error {
	return affected(s.pool.Exec(ctx, `UPDATE members SET role = $1 WHERE id = $2`, string(role), memberID))
}

func (s *Store) CreateMeeting(ctx context.Context, m board.Meeting) error {
	return inserted(s.pool.Exec(ctx, `INSERT INTO meetings(id, team_id, title, scheduled_at, epoch, cofacilitator, follow_up_of)
		VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING`,
		m.ID, m.TeamID, m.Title, when(m.ScheduledAt), m.Epoch, m.Cofacilitator, m.FollowUpOf))
}

const meetingColumns = `id, team_id, title, scheduled_at, epoch, cofacilitator, follow_up_of`

func scanMeeting(row pgx.Row) (board.Meeting, error) {
	var m board.Meeting
	err := row.Scan(&m.ID, &m.TeamID, &m.Title, at(&m.ScheduledAt), &m.Epoch, &m.Cofacilitator, &m.FollowUpOf)
	return m, err
}

func (s *Store) Meeting(ctx context.Context, id string) (board.Meeting, error) {
	m, err := scanMeeting(s.pool.QueryRow(ctx, `SELECT `+meetingColumns+` FROM meetings WHERE id = $1`, id))
	return m, notFound(err)
}

func (s *Store) MeetingsOfTeam(ctx context.Context, teamID string) ([]board.Meeting, error) {
	return query(ctx, s.pool, `SELECT `+meetingColumns+` FROM meetings WHERE team_id = $1 ORDER BY scheduled_at, id COLLATE "C"`, []any{teamID},
		func(rows pgx.Rows) (board.Meeting, error) { return scanMeeting(rows) })
}

func (s *Store) SetCofacilitator(ctx context.Context, meetingID, memberID string) error {
	return affected(s.pool.Exec(ctx, `UPDATE meetings SET cofacilitator = $1 WHERE id = $2`, memberID, meetingID))
}

// Agenda templates

func (s *Store) CreateAgendaTemplate(ctx context.Context, t board.AgendaTemplate) error {
	items, err := json.Marshal(t.Items)
	if err != nil {
		return err
	}
	return inserted(s.pool.Exec(ctx, `INSERT INTO agenda_templates(id, user_id, name, items, created_at) VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT DO NOTHING`, t.ID, t.UserID, t.Name, items, when(t.CreatedAt)))
}

func (s *Store) AgendaTemplates(ctx context.Context, userID string) ([]board.AgendaTemplate, error) {
	return query(ctx, s.pool, `SELECT id, user_id, name, items, created_at FROM agenda_templates WHERE user_id = $1 ORDER BY name COLLATE "C", id COLLATE "C"`, []any{userID},
		func(rows pgx.Rows) (board.AgendaTemplate, error) {
			var t board.AgendaTemplate
			var items []byte
			if err := rows.Scan(&t.ID, &t.UserID, &t.Name, &items, at(&t.CreatedAt)); err != nil {
				return t, err
			}
			return t, json.Unmarshal(items, &t.Items)
		})
}

func (s *Store) DeleteAgendaTemplate(ctx context.Context, userID, id string) error {
	return affected(s.pool.Exec(ctx, `DELETE FROM agenda_templates WHERE id = $1 AND user_id = $2`, id, userID))
}
