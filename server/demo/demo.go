// Package demo seeds a realistic Barnteam so that a newcomer can try the whole flow in a
// few browser windows: a 9-year-old, two guardians, a class teacher, a school nurse, a
// social worker from IFO and the Stödsamordnare, with a meeting on the default agenda
// (mötescirkeln) and some content. Every name and fact is invented.
package demo

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"time"

	"github.com/barnteam/barnteam/server/auth"
	"github.com/barnteam/barnteam/server/board"
	"github.com/barnteam/barnteam/server/secret"
)

// IDs of the demo's rows; fixed so that seeding is done once per database.
const (
	TeamID    = "demo-team"
	MeetingID = "demo-meeting"
)

// InviteTTL is how long the printed demo links work.
const InviteTTL = 7 * 24 * time.Hour

// Link is one member's personal join link.
type Link struct {
	Member board.Member
	URL    string
}

// Result is what a newcomer needs: the coordinator's login and everyone's links.
type Result struct {
	LoginURL string
	Email    string
	Password string // a fresh one on every start: the demo's only secret, printed on purpose
	Links    []Link
}

// CoordinatorEmail is the demo coordinator's login.
const CoordinatorEmail = "maria.lind@demo.barnteam.se"

var orgs = []board.Organisation{
	{ID: "demo-skola", Name: "Solrosskolan", Huvudman: board.HuvudmanKommun},
	{ID: "demo-elevhalsa", Name: "Elevhälsan, Solrosskolan", Huvudman: board.HuvudmanKommun},
	{ID: "demo-ifo", Name: "Socialtjänsten, IFO Barn och familj", Huvudman: board.HuvudmanKommun},
	{ID: "demo-stod", Name: "Stödsamordning, Barn- och utbildningsförvaltningen", Huvudman: board.HuvudmanKommun},
}

var members = []board.Member{
	{ID: "demo-coord", Name: "Maria Lind", Role: board.RoleCoordinator, OrgID: "demo-stod", Title: "Stödsamordnare", Lang: "sv", UserID: "demo-user-coord"},
	{ID: "demo-guardian1", Name: "Sara Nilsson", Role: board.RoleGuardian, Lang: "sv"},
	{ID: "demo-guardian2", Name: "Ahmed Nilsson", Role: board.RoleGuardian, Lang: "en"},
	{ID: "demo-teacher", Name: "Johan Berg", Role: board.RoleProfessional, OrgID: "demo-skola", Title: "Klasslärare", Discoverer: true, Lang: "sv"},
	{ID: "demo-nurse", Name: "Eva Holm", Role: board.RoleChildContact, OrgID: "demo-elevhalsa", Title: "Skolsköterska", Lang: "sv"},
	{ID: "demo-ifo", Name: "Karin Ek", Role: board.RoleProfessional, OrgID: "demo-ifo", Title: "Socialsekreterare", Lang: "sv"},
	{ID: "demo-child", Name: "Alva", Role: board.RoleChild, Lang: "sv"},
}

// content is the board the demo starts with, as ops by member, applied through the real
// domain so the op log is a true history.
var content = []struct {
	by string
	op string
}{
	// The demo meeting is under way, so that everyone who follows a link can take part.
	{"demo-coord", `{"op":"phase","entity":"meeting","data":{"from":"draft","to":"live"}}`},
	{"demo-coord", `{"op":"create","entity":"agenda/inledning","data":{"title":"Inledning","timebox_min":10}}`},
	{"demo-coord", `{"op":"create","entity":"agenda/situation","data":{"title":"Aktuell situation","timebox_min":20}}`},
	{"demo-coord", `{"op":"create","entity":"agenda/behov","data":{"title":"Behov","timebox_min":30}}`},
	{"demo-coord", `{"op":"create","entity":"agenda/sammanfattning","data":{"title":"Sammanfattning","timebox_min":10}}`},
	{"demo-coord", `{"op":"create","entity":"agenda/avslutning","data":{"title":"Avslutning","timebox_min":5}}`},
	{"demo-coord", `{"op":"set","entity":"agenda/inledning","base":0,"data":{"field":"notes","value":"- Syftet med mötet\n- Vi presenterar oss\n- Samtycket bekräftas"}}`},
	{"demo-teacher", `{"op":"set","entity":"compass/utveckling","base":0,"data":{"field":"works","value":"Alva läser gärna och är duktig på matematik."}}`},
	{"demo-teacher", `{"op":"set","entity":"compass/utveckling","base":0,"data":{"field":"worries","value":"Frånvaro på måndagar sedan september, ungefär var tredje vecka."}}`},
	{"demo-nurse", `{"op":"set","entity":"compass/halsa","base":0,"data":{"field":"worries","value":"Ont i magen på morgnarna, sover dåligt enligt Alva."}}`},
	{"demo-guardian1", `{"op":"set","entity":"compass/trygghet","base":0,"data":{"field":"guardians_view","value":"Hemma är Alva glad. Hon berättar att rasterna är jobbiga."}}`},
	{"demo-nurse", `{"op":"set","entity":"compass/trygghet","base":0,"data":{"field":"child_voice","value":"Jag vet aldrig vem jag ska vara med på rasten."}}`},
	{"demo-guardian1", `{"op":"rate","entity":"compass/trygghet","data":{"perspective":"guardian:demo-guardian1","value":"3"}}`},
	{"demo-teacher", `{"op":"rate","entity":"compass/utveckling","data":{"perspective":"professionals","value":"3"}}`},
	{"demo-coord", `{"op":"create","entity":"goal/trygg-rast","data":{"area":"trygghet","term":"long","text":"Alva känner sig trygg i skolan, också på rasterna."}}`},
	{"demo-coord", `{"op":"create","entity":"goal/rastkompis","data":{"area":"trygghet","term":"short","text":"Alva har en vuxen att gå till på varje rast."}}`},
	{"demo-teacher", `{"op":"create","entity":"action/rastvakt","data":{"what":"Rastvärd som Alva känner hälsar på henne vid varje rast.","responsible":"org:demo-skola","frequency":"Varje skoldag","area":"trygghet","goal_id":"rastkompis"}}`},
	{"demo-nurse", `{"op":"create","entity":"action/halsosamtal","data":{"what":"Hälsosamtal med Alva om sömn och magont.","responsible":"member:demo-nurse","due":"2026-12-11","area":"halsa"}}`},
}

// Seed creates the demo team and meeting once (a database that already has them is left
// as it is), gives the demo coordinator's account a fresh password and makes a fresh
// personal link for every member. Links and the password are printed, never stored: only
// their hashes are.
func Seed(ctx context.Context, s board.Store, baseURL string, now time.Time) (Result, error) {
	var res Result
	if _, err := s.Team(ctx, TeamID); errors.Is(err, board.ErrNotFound) {
		if err := seedTeam(ctx, s, now); err != nil {
			return res, fmt.Errorf("seed demo: %w", err)
		}
	} else if err != nil {
		return res, err
	}
	base, err := url.Parse(baseURL)
	if err != nil {
		return res, err
	}
	u, err := s.User(ctx, "demo-user-coord")
	if err != nil {
		return res, err
	}
	res.Password = secret.ID(20)
	u.PasswordHash, u.Disabled, u.MustChangePassword = auth.Hash(res.Password), false, false
	if err := s.UpdateUser(ctx, u); err != nil {
		return res, err
	}
	res.Email, res.LoginURL = u.Email, base.JoinPath("login").String()
	ms, err := s.Members(ctx, TeamID)
	if err != nil {
		return res, err
	}
	for _, m := range ms {
		if m.Role == board.RoleCoordinator {
			continue // signs in: nobody could let the coordinator in from the lobby
		}
		token, hash := secret.NewToken()
		inv := board.Invite{TokenHash: hash, MemberID: m.ID, MeetingID: MeetingID, CreatedAt: now, ExpiresAt: now.Add(InviteTTL)}
		if err := s.CreateInvite(ctx, inv); err != nil {
			return res, err
		}
		res.Links = append(res.Links, Link{Member: m, URL: base.JoinPath("j", token).String()})
	}
	return res, nil
}

func seedTeam(ctx context.Context, s board.Store, now time.Time) error {
	for _, o := range orgs {
		if _, err := s.Organisation(ctx, o.ID); err == nil {
			continue // left by an earlier, interrupted seeding
		}
		if err := s.CreateOrganisation(ctx, o); err != nil {
			return err
		}
	}
	team := board.Team{ID: TeamID, ChildFirstName: "Alva", ChildBirthYear: now.Year() - 9,
		Reason: "Alva har ofta ont i magen och är borta från skolan på måndagar. Skolan och vårdnadshavarna vill tillsammans hitta det som hjälper.", CreatedAt: now}
	if err := s.CreateTeam(ctx, team); err != nil {
		return err
	}
	// The coordinator has an account; the others come in with their links.
	if err := s.CreateUser(ctx, board.User{ID: "demo-user-coord", Email: CoordinatorEmail, Name: "Maria Lind", OrgID: "demo-stod",
		Title: "Stödsamordnare", CreatedAt: now}); err != nil && !errors.Is(err, board.ErrExists) {
		return err
	}
	for _, m := range members {
		m.TeamID = TeamID
		if err := s.AddMember(ctx, m); err != nil {
			return err
		}
	}
	// Both guardians have consented, in writing, to the coordination with every
	// organisation in the team, for half a year.
	today := now.Format(time.DateOnly)
	for i, g := range []string{"demo-guardian1", "demo-guardian2"} {
		c := board.Consent{ID: fmt.Sprintf("demo-consent-%d", i+1), TeamID: TeamID, GivenBy: g, OrgIDs: []string{"demo-skola", "demo-elevhalsa", "demo-ifo", "demo-stod"},
			Purpose: "Samordning av stöd till Alva i barnteamet", ValidFrom: today, ValidTo: now.AddDate(0, 6, 0).Format(time.DateOnly),
			Method: board.ConsentWritten, RecordedBy: "demo-user-coord", RecordedAt: now}
		if err := s.CreateConsent(ctx, c); err != nil {
			return err
		}
	}
	meeting := board.Meeting{ID: MeetingID, TeamID: TeamID, Title: "Barnteamsmöte för Alva", ScheduledAt: now.Truncate(time.Hour).Add(time.Hour), Epoch: secret.ID(8)}
	if err := s.CreateMeeting(ctx, meeting); err != nil {
		return err
	}
	dir, err := board.LoadDirectory(ctx, s, MeetingID)
	if err != nil {
		return err
	}
	b, err := s.LoadBoard(ctx, MeetingID)
	if err != nil {
		return err
	}
	for i, c := range content {
		var raw map[string]json.RawMessage
		if err := json.Unmarshal([]byte(c.op), &raw); err != nil {
			return fmt.Errorf("demo op %d: %w", i, err)
		}
		raw["cid"], _ = json.Marshal(fmt.Sprintf("demo-%d", i+1))
		opJSON, _ := json.Marshal(raw)
		op, err := board.DecodeOp(opJSON)
		if err != nil {
			return fmt.Errorf("demo op %d: %w", i, err)
		}
		m, _ := dir.Member(c.by)
		ch, err := b.Apply(dir, board.ActorOf(m), op, b.Seq+1)
		if err != nil {
			return fmt.Errorf("demo op %d: %w", i, err)
		}
		if err := s.Commit(ctx, MeetingID, ch); err != nil {
			return err
		}
		b.Commit(ch)
	}
	return nil
}
