package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/barnteam/barnteam/server/board"
	"github.com/barnteam/barnteam/server/secret"
	"github.com/barnteam/barnteam/server/store/postgres"
	"github.com/barnteam/barnteam/server/store/sqlite"
)

// This file seeds meetings and admitted guest sessions directly in the server's database.
// The server has no endpoint for that (and must not get one): the generator writes through
// the same board.Store the server uses, and applies the board's ops through the domain
// (board.Board.ApplyWith + Store.Commit) so the op log is a true history.

// participant is one seeded member with the session the client will present.
type participant struct {
	ID    string
	Name  string
	Role  board.Role
	Token string // the session cookie's value; only its hash is in the database
}

// seededMeeting is one meeting with its participants, coordinator first.
type seededMeeting struct {
	ID     string
	People []participant
	// Agenda items made while seeding (so notes can be written from the first second).
	Agenda []string
}

// openStore opens the server's database: exactly one of the SQLite file or the URL.
func openStore(ctx context.Context, sqlitePath, databaseURL string) (board.Store, error) {
	switch {
	case sqlitePath != "" && databaseURL != "":
		return nil, errors.New("give exactly one of -sqlite and -database-url")
	case sqlitePath != "":
		return sqlite.Open(sqlitePath, sqlite.Options{})
	case databaseURL != "":
		return postgres.Open(ctx, databaseURL, postgres.Options{MaxConns: 8})
	}
	return nil, errors.New("give one of -sqlite <path to barnteam.db> or -database-url <postgres url>")
}

// busy reports whether err is SQLite's "another writer holds the lock": the server is the
// database's writer, so the generator's writes wait their turn.
func busy(err error) bool {
	if err == nil {
		return false
	}
	s := err.Error()
	return strings.Contains(s, "SQLITE_BUSY") || strings.Contains(s, "database is locked") || strings.Contains(s, "(5)") && strings.Contains(s, "locked")
}

// retry runs f until it succeeds, fails with something other than busy, or ctx ends.
func retry(ctx context.Context, f func() error) error {
	for attempt := 0; ; attempt++ {
		err := f()
		if !busy(err) || attempt >= 50 {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(time.Duration(10*(attempt+1)) * time.Millisecond):
		}
	}
}

// seedConfig is what to seed.
type seedConfig struct {
	RunID    string // prefix of every id, so runs against one database never collide
	Meetings int
	Clients  int // participants per meeting (at least 1: the coordinator)
	Agenda   int // agenda items per meeting
	Workers  int
	TTL      time.Duration // how long the sessions are valid
}

// seed creates cfg.Meetings meetings and returns them. Meetings are seeded by a few
// workers at once: PostgreSQL commits them in parallel; SQLite has one writer, so there
// the workers overlap only the Go-side work with the writes.
func seed(ctx context.Context, s board.Store, cfg seedConfig, progress func(done int)) ([]*seededMeeting, error) {
	if cfg.Clients < 1 {
		return nil, errors.New("at least one client per meeting")
	}
	if cfg.Workers < 1 {
		cfg.Workers = 4
	}
	out := make([]*seededMeeting, cfg.Meetings)
	var next, done atomic.Int64
	var wg sync.WaitGroup
	errc := make(chan error, cfg.Workers)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	for w := 0; w < cfg.Workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= cfg.Meetings || ctx.Err() != nil {
					return
				}
				m, err := seedMeeting(ctx, s, cfg, i)
				if err != nil {
					errc <- fmt.Errorf("seed meeting %d: %w", i, err)
					cancel()
					return
				}
				out[i] = m
				if n := int(done.Add(1)); progress != nil {
					progress(n)
				}
			}
		}()
	}
	wg.Wait()
	select {
	case err := <-errc:
		return nil, err
	default:
	}
	return out, ctx.Err()
}

// roleFor gives the j-th participant of a meeting its role: the coordinator, then two
// guardians, then professionals with one Barnkontakt among them.
func roleFor(j int) board.Role {
	switch {
	case j == 0:
		return board.RoleCoordinator
	case j <= 2:
		return board.RoleGuardian
	case j == 3:
		return board.RoleChildContact
	}
	return board.RoleProfessional
}

func seedMeeting(ctx context.Context, s board.Store, cfg seedConfig, i int) (*seededMeeting, error) {
	now := time.Now()
	p := fmt.Sprintf("lt%s-%d", cfg.RunID, i) // short: ids are at most 40 characters
	org := board.Organisation{ID: p + "-org", Name: "Lastskolan " + p, Huvudman: board.HuvudmanKommun}
	team := board.Team{ID: p + "-team", ChildFirstName: "Barn", ChildBirthYear: now.Year() - 10, Reason: "Lastprov", CreatedAt: now}
	meeting := board.Meeting{ID: p + "-m", TeamID: team.ID, Title: "Lastprov " + p, ScheduledAt: now, Epoch: secret.ID(8)}
	do := func(f func() error) error { return retry(ctx, f) }
	if err := do(func() error { return s.CreateOrganisation(ctx, org) }); err != nil {
		return nil, err
	}
	if err := do(func() error { return s.CreateTeam(ctx, team) }); err != nil {
		return nil, err
	}
	sm := &seededMeeting{ID: meeting.ID}
	var guardians []string
	for j := 0; j < cfg.Clients; j++ {
		role := roleFor(j)
		m := board.Member{ID: fmt.Sprintf("%s-%d", p, j), TeamID: team.ID, Name: fmt.Sprintf("Deltagare %d", j), Role: role, Lang: "sv"}
		if role.IsStaff() {
			m.OrgID = org.ID
			m.Title = "Lastprovare"
		}
		if role == board.RoleGuardian {
			guardians = append(guardians, m.ID)
		}
		if err := do(func() error { return s.AddMember(ctx, m) }); err != nil {
			return nil, err
		}
		sm.People = append(sm.People, participant{ID: m.ID, Name: m.Name, Role: role})
	}
	// Professionals come in only when consent covers their organisation: every guardian
	// consents to it (the coordinator is exempt, board.NeedsConsent).
	from := now.AddDate(0, 0, -1).Format(time.DateOnly) // yesterday in any time zone
	to := now.AddDate(0, 0, 60).Format(time.DateOnly)
	for k, g := range guardians {
		c := board.Consent{ID: fmt.Sprintf("%s-c%d", p, k), TeamID: team.ID, GivenBy: g, OrgIDs: []string{org.ID},
			Purpose: "Lastprov", ValidFrom: from, ValidTo: to, Method: board.ConsentWritten, RecordedBy: "barnteam-load", RecordedAt: now}
		if err := do(func() error { return s.CreateConsent(ctx, c) }); err != nil {
			return nil, err
		}
	}
	if err := do(func() error { return s.CreateMeeting(ctx, meeting) }); err != nil {
		return nil, err
	}
	// The meeting is under way: draft → live, then the coordinator's agenda.
	ops := []string{`{"op":"phase","entity":"meeting","data":{"from":"draft","to":"live"}}`}
	for a := 0; a < cfg.Agenda; a++ {
		id := fmt.Sprintf("ag%d", a)
		sm.Agenda = append(sm.Agenda, id)
		ops = append(ops, fmt.Sprintf(`{"op":"create","entity":"agenda/%s","data":{"title":"Punkt %d","timebox_min":10}}`, id, a+1))
	}
	if err := applyOps(ctx, s, meeting.ID, sm.People[0].ID, ops); err != nil {
		return nil, err
	}
	for j := range sm.People {
		token, hash := secret.NewToken()
		ss := board.Session{TokenHash: hash, MemberID: sm.People[j].ID, MeetingID: meeting.ID, CreatedAt: now,
			ExpiresAt: now.Add(cfg.TTL), AdmittedAt: now}
		if err := do(func() error { return s.CreateSession(ctx, ss) }); err != nil {
			return nil, err
		}
		sm.People[j].Token = token
	}
	return sm, nil
}

// applyOps applies ops as one member through the domain and commits each, as the server
// (and server/demo) does.
func applyOps(ctx context.Context, s board.Store, meetingID, by string, ops []string) error {
	dir, err := board.LoadDirectory(ctx, s, meetingID)
	if err != nil {
		return err
	}
	b, err := s.LoadBoard(ctx, meetingID)
	if err != nil {
		return err
	}
	m, ok := dir.Member(by)
	if !ok {
		return fmt.Errorf("no member %s", by)
	}
	for i, raw := range ops {
		var fields map[string]json.RawMessage
		if err := json.Unmarshal([]byte(raw), &fields); err != nil {
			return err
		}
		fields["cid"], _ = json.Marshal(fmt.Sprintf("seed-%d", i+1))
		opJSON, _ := json.Marshal(fields)
		op, err := board.DecodeOp(opJSON)
		if err != nil {
			return fmt.Errorf("seed op %d: %w", i, err)
		}
		ch, err := b.ApplyWith(dir, board.ActorOf(m), op, b.Seq+1, board.ApplyEnv{At: time.Now()})
		if err != nil {
			return fmt.Errorf("seed op %d: %w", i, err)
		}
		if err := retry(ctx, func() error { return s.Commit(ctx, meetingID, ch) }); err != nil {
			return err
		}
		b.Commit(ch)
	}
	return nil
}
