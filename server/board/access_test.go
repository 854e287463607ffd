package board

import (
	"testing"
	"time"
)

func TestCoveredOrgs(t *testing.T) {
	members := []Member{
		{ID: "g1", Role: RoleGuardian}, {ID: "g2", Role: RoleGuardian}, {ID: "child", Role: RoleChild},
		{ID: "p1", Role: RoleProfessional, OrgID: "skola"},
	}
	c := func(id, by string, from, to string, orgs ...string) Consent {
		return Consent{ID: id, GivenBy: by, OrgIDs: orgs, ValidFrom: from, ValidTo: to}
	}
	withdrawn := c("w", "g2", "2026-01-01", "2026-12-31", "bup")
	withdrawn.WithdrawnAt = time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	cases := []struct {
		name     string
		consents []Consent
		members  []Member
		today    string
		want     map[string]bool
	}{
		{"nothing", nil, members, "2026-11-23", map[string]bool{}},
		{"one guardian of two is not enough", []Consent{c("a", "g1", "2026-11-01", "2027-01-01", "skola")}, members, "2026-11-23", map[string]bool{"skola": false}},
		{"both guardians", []Consent{c("a", "g1", "2026-11-01", "2027-01-01", "skola", "bup"), c("b", "g2", "2026-11-20", "2026-11-30", "skola")}, members, "2026-11-23",
			map[string]bool{"skola": true, "bup": false}},
		{"first and last day count", []Consent{c("a", "g1", "2026-11-23", "2026-11-23", "skola"), c("b", "g2", "2026-11-01", "2026-11-23", "skola")}, members, "2026-11-23",
			map[string]bool{"skola": true}},
		{"expired", []Consent{c("a", "g1", "2026-01-01", "2026-11-22", "skola"), c("b", "g2", "2026-01-01", "2027-01-01", "skola")}, members, "2026-11-23",
			map[string]bool{"skola": false}},
		{"not yet", []Consent{c("a", "g1", "2026-11-24", "2027-01-01", "skola"), c("b", "g2", "2026-01-01", "2027-01-01", "skola")}, members, "2026-11-23",
			map[string]bool{"skola": false}},
		{"withdrawn covers nothing", []Consent{c("a", "g1", "2026-01-01", "2026-12-31", "bup"), withdrawn}, members, "2026-11-23", map[string]bool{"bup": false}},
		{"no guardians: the young person alone", []Consent{c("a", "child", "2026-01-01", "2026-12-31", "bup")}, []Member{{ID: "child", Role: RoleChild}}, "2026-11-23",
			map[string]bool{"bup": true}},
	}
	for _, tc := range cases {
		got := CoveredOrgs(tc.consents, tc.members, tc.today)
		for org, want := range tc.want {
			if got[org] != want {
				t.Errorf("%s: %s covered = %v, want %v", tc.name, org, got[org], want)
			}
		}
		for org, ok := range got {
			if ok && !tc.want[org] {
				t.Errorf("%s: %s covered unexpectedly", tc.name, org)
			}
		}
	}
}

func TestNeedsConsent(t *testing.T) {
	for role, want := range map[Role]bool{RoleCoordinator: false, RoleChildContact: true, RoleProfessional: true, RoleGuardian: false, RoleChild: false, RoleNetwork: false} {
		if got := NeedsConsent(Member{Role: role}); got != want {
			t.Errorf("%s needs consent = %v, want %v", role, got, want)
		}
	}
}

func TestValidateConsent(t *testing.T) {
	dir, _ := fixture()
	ok := Consent{GivenBy: "g1", OrgIDs: []string{"skola", "bup"}, Purpose: "Samordning i barnteamet", ValidFrom: "2026-11-23", ValidTo: "2027-05-23", Method: ConsentWritten}
	if err := ValidateConsent(ok, dir); err != nil {
		t.Fatalf("a good consent: %v", err)
	}
	for _, tc := range []struct {
		field string
		edit  func(*Consent)
	}{
		{"given_by", func(c *Consent) { c.GivenBy = "prof" }},
		{"given_by", func(c *Consent) { c.GivenBy = "nobody" }},
		{"org_ids", func(c *Consent) { c.OrgIDs = nil }},
		{"org_ids", func(c *Consent) { c.OrgIDs = []string{"polisen"} }},
		{"purpose", func(c *Consent) { c.Purpose = "   " }},
		{"valid_from", func(c *Consent) { c.ValidFrom = "23/11/2026" }},
		{"valid_to", func(c *Consent) { c.ValidTo = "2026-02-30" }},
		{"valid_to", func(c *Consent) { c.ValidTo = "2026-11-22" }},
		{"valid_to", func(c *Consent) { c.ValidTo = "2028-01-01" }},
		{"method", func(c *Consent) { c.Method = "telepathic" }},
	} {
		c := ok
		tc.edit(&c)
		err := ValidateConsent(c, dir)
		e, isErr := err.(*Error)
		if !isErr || e.Field != tc.field || e.Code != CodeInvalid {
			t.Errorf("%+v: err %v, want invalid %s", c, err, tc.field)
		}
	}
	child := ok
	child.GivenBy = "child"
	if err := ValidateConsent(child, dir); err != nil {
		t.Errorf("the child may give consent: %v", err)
	}
}

func TestFaces(t *testing.T) {
	for _, tc := range []struct {
		born, scale, year, want int
	}{
		{2020, 0, 2026, 3}, // 6 years old
		{2019, 0, 2026, 3}, // 7 (by birth year): still three
		{2018, 0, 2026, 5}, // 8
		{2017, 0, 2026, 5}, // 9
		{2017, 3, 2026, 3}, // the coordinator chose three
		{2021, 5, 2026, 5}, // and five
	} {
		tm := Team{ChildBirthYear: tc.born, FaceScale: tc.scale}
		if got := tm.Faces(tc.year); got != tc.want {
			t.Errorf("born %d scale %d in %d: %d faces, want %d", tc.born, tc.scale, tc.year, got, tc.want)
		}
	}
	if v := FaceValues(3); len(v) != 3 || v[0] != "1" || v[1] != "3" || v[2] != "5" {
		t.Errorf("three faces = %v", v)
	}
}
