package store

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/barnteam/barnteam/server/board"
)

// The contract of the plan parts of board.Store: versions written with the ops that
// freeze, sign and reopen them; kept PDFs; download links.

// planOp applies one op to the store's board, as the room would, and commits it.
func planOp(t *testing.T, s board.Store, f Fixture, actor board.Member, raw string, at time.Time) board.Change {
	t.Helper()
	dir, err := board.LoadDirectory(ctx, s, f.Meeting.ID)
	must(t, err)
	b, err := s.LoadBoard(ctx, f.Meeting.ID)
	must(t, err)
	op, err := board.DecodeOp([]byte(raw))
	must(t, err)
	env := board.ApplyEnv{At: at, Freeze: func(v int) ([]byte, error) {
		return json.Marshal(board.PlanDoc{Format: board.PlanFormat, Version: v, MeetingID: f.Meeting.ID,
			Child: board.PlanChild{FirstName: f.Team.ChildFirstName, BirthYear: f.Team.ChildBirthYear}})
	}}
	ch, err := b.ApplyWith(dir, board.ActorOf(actor), op, b.Seq+1, env)
	must(t, err)
	must(t, s.Commit(ctx, f.Meeting.ID, ch))
	return ch
}

func testPlanVersions(t *testing.T, s board.Store) {
	f := Seed(t, s, "1")
	at := time.Date(2026, 12, 4, 15, 0, 0, 0, time.UTC)
	planOp(t, s, f, f.Coord, `{"cid":"live","op":"phase","entity":"meeting","data":{"from":"draft","to":"live"}}`, at)
	frozen := planOp(t, s, f, f.Coord, `{"cid":"f1","op":"freeze","entity":"plan","data":{"version":1}}`, at)
	v := frozen.PlanVersion

	got, err := s.PlanVersion(ctx, f.Meeting.ID, 1)
	must(t, err)
	if !bytes.Equal(got.Canonical, v.Canonical) || got.SHA256 != board.PlanSHA256(v.Canonical) || got.Code != v.Code ||
		got.Status != board.PlanSigning || !got.FrozenAt.Equal(at) || got.FrozenBy != f.Coord.ID || !got.EstablishedAt.IsZero() {
		t.Errorf("version 1 = %+v (canonical %d bytes)", got, len(got.Canonical))
	}
	byCode, err := s.PlanVersionByCode(ctx, v.Code)
	must(t, err)
	if byCode.Version != 1 || byCode.MeetingID != f.Meeting.ID || !bytes.Equal(byCode.Canonical, v.Canonical) {
		t.Errorf("version by code = %+v", byCode)
	}
	if _, err := s.PlanVersionByCode(ctx, "0000-0000-0000-0000"); !errors.Is(err, board.ErrNotFound) {
		t.Errorf("an unknown code: err = %v, want ErrNotFound", err)
	}
	if _, err := s.PlanVersion(ctx, f.Meeting.ID, 2); !errors.Is(err, board.ErrNotFound) {
		t.Errorf("an unknown version: err = %v, want ErrNotFound", err)
	}

	// Signatures and the establishment update the version; the board holds the plan state.
	sign := func(m board.Member, cid string, extra string) {
		planOp(t, s, f, m, fmt.Sprintf(`{"cid":%q,"op":"sign","entity":"plan","data":{"version":1,"sha256":%q%s}}`, cid, v.SHA256, extra), at.Add(time.Minute))
	}
	sign(f.Guardian, "s1", `,"disagreement":"Vi vill träffas oftare."`)
	sign(f.Coord, "s2", "")
	got, err = s.PlanVersion(ctx, f.Meeting.ID, 1)
	must(t, err)
	if got.Status != board.PlanEstablished || !got.EstablishedAt.Equal(at.Add(time.Minute)) || len(got.Signatures) != 2 ||
		got.Signatures[0].Disagreement != "Vi vill träffas oftare." || len(got.Events) != 4 {
		t.Errorf("version 1 after both signed = %+v", got)
	}
	b, err := s.LoadBoard(ctx, f.Meeting.ID)
	must(t, err)
	if b.Plan.Status != board.PlanEstablished || b.Plan.Version != 1 || len(b.Plan.Signatures) != 2 {
		t.Errorf("the board's plan after loading = %+v", b.Plan)
	}

	// Reopen and freeze again: version 2, version 1 untouched but for its event.
	planOp(t, s, f, f.Coord, `{"cid":"o1","op":"reopen","entity":"plan","data":{"version":1}}`, at.Add(time.Hour))
	planOp(t, s, f, f.Coord, `{"cid":"f2","op":"freeze","entity":"plan","data":{"version":2}}`, at.Add(2*time.Hour))
	list, err := s.PlanVersions(ctx, f.Meeting.ID)
	must(t, err)
	if len(list) != 2 || list[0].Version != 1 || list[1].Version != 2 || list[0].Canonical != nil || list[1].Status != board.PlanSigning {
		t.Fatalf("versions = %+v", list)
	}
	if list[0].Status != board.PlanEstablished || list[0].Events[len(list[0].Events)-1].Kind != board.PlanEventReopened {
		t.Errorf("version 1 after reopening = %+v", list[0])
	}
	// The op log holds the changes without the canonical JSON, which lives only once.
	chs, err := s.ChangesSince(ctx, f.Meeting.ID, 0, 100)
	must(t, err)
	raw, _ := json.Marshal(chs)
	if bytes.Contains(raw, []byte(`"canonical"`)) {
		t.Errorf("the op log carries the canonical plan")
	}
}

func testPlanPDFs(t *testing.T, s board.Store) {
	f := Seed(t, s, "1")
	at := time.Date(2026, 12, 4, 15, 0, 0, 0, time.UTC)
	if _, err := s.SavePlanPDF(ctx, f.Meeting.ID, 1, []byte("%PDF-1"), at); !errors.Is(err, board.ErrNotFound) {
		t.Errorf("a PDF of a version that does not exist: err = %v, want ErrNotFound", err)
	}
	planOp(t, s, f, f.Coord, `{"cid":"live","op":"phase","entity":"meeting","data":{"from":"draft","to":"live"}}`, at)
	planOp(t, s, f, f.Coord, `{"cid":"f1","op":"freeze","entity":"plan","data":{"version":1}}`, at)
	if _, err := s.PlanPDF(ctx, f.Meeting.ID, 1); !errors.Is(err, board.ErrNotFound) {
		t.Errorf("no PDF kept yet: err = %v, want ErrNotFound", err)
	}
	first := []byte("%PDF-1.4 first")
	kept, err := s.SavePlanPDF(ctx, f.Meeting.ID, 1, first, at)
	must(t, err)
	if !bytes.Equal(kept, first) {
		t.Errorf("kept %q, want the first PDF", kept)
	}
	kept, err = s.SavePlanPDF(ctx, f.Meeting.ID, 1, []byte("%PDF-1.4 second"), at)
	must(t, err)
	if !bytes.Equal(kept, first) {
		t.Errorf("a second PDF for the version replaced the first: kept %q", kept)
	}
	got, err := s.PlanPDF(ctx, f.Meeting.ID, 1)
	must(t, err)
	if !bytes.Equal(got, first) {
		t.Errorf("PlanPDF = %q", got)
	}
	meeting, version, err := s.PlanPDFByHash(ctx, board.PlanSHA256(first))
	must(t, err)
	if meeting != f.Meeting.ID || version != 1 {
		t.Errorf("PDF by hash = %s v%d", meeting, version)
	}
	if _, _, err := s.PlanPDFByHash(ctx, board.PlanSHA256([]byte("%PDF-1.4 second"))); !errors.Is(err, board.ErrNotFound) {
		t.Errorf("the hash of a PDF never kept: err = %v, want ErrNotFound", err)
	}
}

func testDownloadLinks(t *testing.T, s board.Store) {
	f := Seed(t, s, "1")
	now := time.Date(2026, 12, 4, 15, 0, 0, 0, time.UTC)
	l := board.DownloadLink{TokenHash: []byte("dl-1"), MeetingID: f.Meeting.ID, MemberID: f.Guardian.ID, CreatedAt: now, ExpiresAt: now.AddDate(1, 0, 0)}
	must(t, s.CreateDownloadLink(ctx, l))
	if err := s.CreateDownloadLink(ctx, l); !errors.Is(err, board.ErrExists) {
		t.Errorf("the same token twice: err = %v, want ErrExists", err)
	}
	got, err := s.DownloadLinkByHash(ctx, l.TokenHash, now.AddDate(0, 6, 0))
	must(t, err)
	if got.MemberID != l.MemberID || got.MeetingID != l.MeetingID || !got.CreatedAt.Equal(now) || !got.ExpiresAt.Equal(l.ExpiresAt) {
		t.Errorf("download link = %+v", got)
	}
	if _, err := s.DownloadLinkByHash(ctx, l.TokenHash, l.ExpiresAt); !errors.Is(err, board.ErrNotFound) {
		t.Errorf("an expired download link: err = %v, want ErrNotFound", err)
	}
}

func testAgendaTemplates(t *testing.T, s board.Store) {
	f := Seed(t, s, "1")
	must(t, s.CreateUser(ctx, board.User{ID: "u1", Email: "a@example.se", Name: "Anna", CreatedAt: t0}))
	must(t, s.CreateUser(ctx, board.User{ID: "u2", Email: "b@example.se", Name: "Bo", CreatedAt: t0}))
	tpl := board.AgendaTemplate{ID: "tp1", UserID: "u1", Name: "Uppföljning kort", CreatedAt: t0,
		Items: []board.AgendaTemplateItem{{Title: "Inledning", TimeboxMin: 5, Notes: "- Läget"}, {Title: "Insatserna", TimeboxMin: 20}}}
	must(t, s.CreateAgendaTemplate(ctx, tpl))
	must(t, s.CreateAgendaTemplate(ctx, board.AgendaTemplate{ID: "tp2", UserID: "u1", Name: "Första mötet", CreatedAt: t0, Items: []board.AgendaTemplateItem{{Title: "Inledning", TimeboxMin: 10}}}))
	if err := s.CreateAgendaTemplate(ctx, tpl); !errors.Is(err, board.ErrExists) {
		t.Errorf("the same template id twice: err = %v, want ErrExists", err)
	}
	list, err := s.AgendaTemplates(ctx, "u1")
	must(t, err)
	if len(list) != 2 || list[0].Name != "Första mötet" || list[1].ID != "tp1" || len(list[1].Items) != 2 || list[1].Items[0].Notes != "- Läget" || !list[1].CreatedAt.Equal(t0) {
		t.Errorf("templates = %+v", list)
	}
	if other, err := s.AgendaTemplates(ctx, "u2"); err != nil || len(other) != 0 {
		t.Errorf("another user's templates = %v, %v", other, err)
	}
	if err := s.DeleteAgendaTemplate(ctx, "u2", "tp1"); !errors.Is(err, board.ErrNotFound) {
		t.Errorf("deleting another user's template: err = %v, want ErrNotFound", err)
	}
	must(t, s.DeleteAgendaTemplate(ctx, "u1", "tp1"))
	if list, _ := s.AgendaTemplates(ctx, "u1"); len(list) != 1 {
		t.Errorf("after deleting: %d templates", len(list))
	}
	// A follow-up meeting names the meeting it follows up.
	fu := board.Meeting{ID: "fu1", TeamID: f.Team.ID, Title: "Uppföljning", ScheduledAt: f.Meeting.ScheduledAt.AddDate(0, 2, 0), Epoch: "e-fu", FollowUpOf: f.Meeting.ID}
	must(t, s.CreateMeeting(ctx, fu))
	got, err := s.Meeting(ctx, "fu1")
	must(t, err)
	if got != fu {
		t.Errorf("follow-up meeting = %+v, want %+v", got, fu)
	}
}

// testSigningKey: the first key claimed is the deployment's; a later claim with another
// key gets the first one back and changes nothing.
func testSigningKey(t *testing.T, s board.Store) {
	got, err := s.ClaimSigningKey(ctx, "key-a")
	must(t, err)
	if got != "key-a" {
		t.Errorf("first claim: %q, want key-a", got)
	}
	for _, k := range []string{"key-b", "key-a"} {
		got, err := s.ClaimSigningKey(ctx, k)
		must(t, err)
		if got != "key-a" {
			t.Errorf("claim with %s: %q, want the recorded key-a", k, got)
		}
	}
}
