package exports

import (
	"crypto/ed25519"
	"fmt"
	"testing"
	"time"

	"github.com/barnteam/barnteam/server/board"
)

// The test plan: Alva, 9, after a first Barnteam meeting at her school. Typical in size
// (eight areas with text, twelve goals, fifteen actions, four signatures, notes in
// Markdown) and written the way people write, with Swedish letters, dashes, bullets,
// guillemets, one very long name and a disagreement.

var (
	fixtureFrozen = time.Date(2026, 3, 12, 14, 2, 0, 0, time.UTC)
	// fixtureKey is a fixed Ed25519 key so that the golden PDF holds a fixed signature.
	fixtureKey = ed25519.NewKeyFromSeed([]byte("barnteam exports test key 32 byt"))
	// longName is 80 characters: a name field must wrap, never overflow or be cut.
	longName = "Maria-Lovisa Åkerström Östergren-Wahlberg af Ödmansson-Lindqvist Ängelholm Ärlan"
)

func fixtureDoc() board.PlanDoc {
	coordinator := board.PlanPerson{MemberID: "m-coord", Name: "Anna Berg", Role: board.RoleCoordinator, RoleLabel: "Stödsamordnare",
		Title: "Kurator", OrgID: "o-elev", OrgName: "Elevhälsan, Backaskolan", Huvudman: "kommun", Contact: "anna.berg@ystad.se, 0411-57 70 00"}
	people := []board.PlanPerson{
		coordinator,
		{MemberID: "m-nurse", Name: "Karin Ek", Role: board.RoleChildContact, RoleLabel: "Barnkontakt", Title: "Skolsköterska", OrgID: "o-elev", OrgName: "Elevhälsan, Backaskolan", Huvudman: "kommun"},
		{MemberID: "m-teacher", Name: longName, Role: board.RoleProfessional, RoleLabel: "Professionell", Title: "Klasslärare", OrgID: "o-skola", OrgName: "Backaskolan", Huvudman: "kommun"},
		{MemberID: "m-ifo", Name: "Jonas Öberg", Role: board.RoleProfessional, RoleLabel: "Professionell", Title: "Socialsekreterare", OrgID: "o-ifo", OrgName: "Individ- och familjeomsorgen", Huvudman: "kommun"},
		{MemberID: "m-sara", Name: "Sara Lind", Role: board.RoleGuardian, RoleLabel: "Vårdnadshavare", Contact: "070-123 45 67"},
		{MemberID: "m-omar", Name: "Omar Lind", Role: board.RoleGuardian, RoleLabel: "Vårdnadshavare"},
		{MemberID: "m-alva", Name: "Alva", Role: board.RoleChild, RoleLabel: "Barnet"},
	}
	persp := []board.PlanPerspective{
		{Key: "child", Label: "Alva själv"},
		{Key: "guardian:m-sara", Label: "Sara Lind"},
		{Key: "guardian:m-omar", Label: "Omar Lind"},
		{Key: "professionals", Label: "De professionella"},
	}
	area := func(key, label, child string) board.PlanArea {
		return board.PlanArea{Area: board.Area(key), Label: label, ChildLabel: child}
	}
	areas := []board.PlanArea{
		area("trygghet", "Trygghet", "Jag känner mig trygg"),
		area("halsa", "Hälsa", "Jag mår bra"),
		area("utveckling", "Utveckling", "Jag lär mig och utvecklas"),
		area("omsorg", "Omsorg", "Någon tar hand om mig"),
		area("fritid", "Fritid", "Jag har något roligt att göra"),
		area("tillhorighet", "Tillhörighet", "Jag hör till och får vara med"),
		area("respekt", "Respekterad", "Jag blir lyssnad på"),
		area("ansvar", "Ansvar", "Jag får ta ansvar"),
	}
	ratings := [][]board.Rating{
		{"2", "3", "2", "2"},
		{"3", "4", board.RatingUnknown, "3"},
		{"2", "2", "3", "2"},
		{"5", "5", "4", "4"},
		{"4", "", "4", "5"},
		{"1", "2", "2", "2"},
		{board.RatingDeclined, "3", "3", "3"},
		{"4", "4", "", ""},
	}
	texts := []struct{ works, worries, guardians, voice, by, words string }{
		{"Alva har en trygg vuxen i skolan – Karin på elevhälsan – som hon söker upp.", "På rasterna blir Alva ofta ensam och säger att hon är rädd för några äldre elever.", "Vi oroar oss för rasterna. Hemma är hon trygg.", "Jag vill att någon vuxen är ute på rasten.", "Karin Ek", "Jag är rädd på rasten."},
		{"Sover bra de flesta nätter.", "Ont i magen på måndagsmorgnar; har varit hemma 9 dagar i år.", "Magontet kommer nästan bara på skoldagar.", "", "", "Magen gör ont när det är skola."},
		{"Läser gärna och mycket, främst om djur.", "Har svårt med matematiken och ger upp när det blir svårt – «jag är dum».", "Vi vill veta om hon behöver en utredning.", "Matte är tråkigt och svårt.", "Maria-Lovisa", ""},
		{"Två föräldrar som samarbetar väl kring Alva.", "", "", "", "", ""},
		{"Spelar fotboll i IFK två gånger i veckan.", "", "Fotbollen är det hon ser fram emot.", "", "", "Fotboll är roligast!"},
		{"Har en kompis i parallellklassen.", "Blir inte bjuden på kalas och väljs sist i idrotten.", "", "Ingen vill vara med mig i klassen.", "Karin Ek", ""},
		{"", "", "", "", "", ""},
		{"Tar hand om katten hemma.", "", "", "", "", ""},
	}
	for i := range areas {
		areas[i].Ratings = ratings[i]
		areas[i].Works, areas[i].Worries, areas[i].GuardiansView = texts[i].works, texts[i].worries, texts[i].guardians
		areas[i].ChildVoice, areas[i].ChildVoiceBy, areas[i].ChildWords = texts[i].voice, texts[i].by, texts[i].words
	}
	goal := func(id string, term board.GoalTerm, text, ev string) board.PlanGoal {
		return board.PlanGoal{ID: id, Term: term, Text: text, Evidence: ev}
	}
	areas[0].Need, areas[0].Priority = "Alva behöver känna sig trygg på rasterna.", 1
	areas[0].Goals = []board.PlanGoal{
		goal("g1", board.GoalLong, "Alva känner sig trygg i hela skolan.", "Alva säger själv att hon inte är rädd på rasten."),
		goal("g2", board.GoalShort, "En vuxen Alva känner är ute på varje lunchrast.", "Rastschemat visar det varje vecka."),
		goal("g3", board.GoalShort, "Alva vet vem hon går till när något händer.", "Alva kan säga vem."),
	}
	areas[5].Need, areas[5].Priority = "Alva behöver få vara med och ha kompisar i klassen.", 2
	areas[5].Goals = []board.PlanGoal{
		goal("g4", board.GoalLong, "Alva har minst en kompis i sin egen klass.", "Alva berättar om en kompis i klassen."),
		goal("g5", board.GoalShort, "Klassen arbetar med gruppstärkande övningar varje vecka.", ""),
		goal("g6", board.GoalShort, "Alva får en rastaktivitet hon tycker om.", "Alva deltar minst två raster i veckan."),
	}
	areas[1].Need, areas[1].Priority = "Magontet behöver förstås och minska.", 3
	areas[1].Goals = []board.PlanGoal{
		goal("g7", board.GoalLong, "Alva går till skolan utan magont.", "Färre än två frånvarodagar per månad."),
		goal("g8", board.GoalShort, "Alva träffar skolsköterskan en gång i veckan.", "Besöken är bokade."),
	}
	areas[2].Need, areas[2].Priority = "Stöd i matematik, och att Alva ser att hon kan.", 4
	areas[2].Goals = []board.PlanGoal{
		goal("g9", board.GoalLong, "Alva klarar kunskapskraven i matematik i åk 3.", "Resultat på nationella prov."),
		goal("g10", board.GoalShort, "Alva får extra anpassningar i matematik.", "Anpassningarna står i elevens dokumentation."),
		goal("g11", board.GoalShort, "Alva säger inte längre «jag är dum» om matte.", "Läraren och Alva pratar om det varannan vecka."),
	}
	areas[4].Goals = []board.PlanGoal{goal("g12", board.GoalShort, "Alva fortsätter med fotbollen.", "")}

	action := func(n int, what, name, org, kind, due, freq, ar, goal string, status board.ActionStatus, ext bool) board.PlanAction {
		return board.PlanAction{ID: fmt.Sprintf("a%d", n), N: n, What: what, ResponsibleName: name, ResponsibleOrg: org, ResponsibleOrgKind: kind,
			Due: due, Frequency: freq, Area: board.Area(ar), GoalID: goal, Status: status, External: ext}
	}
	actions := []board.PlanAction{
		action(1, "Rastvärdsschemat ändras så att en vuxen Alva känner är ute på varje lunchrast.", "Anders Holm", "Backaskolan", "kommun", "2026-03-20", "", "trygghet", "g2", board.ActionPlanned, false),
		action(2, "Samtal med Alva om vem hon kan gå till, med en bild av de vuxna att ha i väskan.", "Karin Ek", "Elevhälsan, Backaskolan", "kommun", "2026-03-19", "", "trygghet", "g3", board.ActionPlanned, false),
		action(3, "Kartläggning av tryggheten på skolgården (trygghetsvandring med eleverna).", "", "Backaskolan", "kommun", "2026-04-15", "", "trygghet", "g1", board.ActionPlanned, false),
		action(4, "Gruppstärkande övningar i klassen – «Vi i 3B».", longName, "Backaskolan", "kommun", "", "varje vecka", "tillhorighet", "g5", board.ActionOngoing, false),
		action(5, "Rastaktivitet: fotboll eller pingis, organiserad av fritidsledare.", "", "Fritidshemmet", "kommun", "", "två gånger i veckan", "tillhorighet", "g6", board.ActionPlanned, false),
		action(6, "Vårdnadshavarna bjuder hem en klasskompis.", "Sara Lind", "", "", "", "någon gång i månaden", "tillhorighet", "g4", board.ActionPlanned, false),
		action(7, "Besök hos skolsköterskan om magontet.", "Karin Ek", "Elevhälsan, Backaskolan", "kommun", "", "varje vecka", "halsa", "g8", board.ActionPlanned, false),
		action(8, "Remiss till BVC-läkare/vårdcentral för att utesluta kroppsliga orsaker.", "", "Vårdcentralen Ystad", "region", "2026-04-01", "", "halsa", "g7", board.ActionPlanned, false),
		action(9, "Frånvaron följs upp varje månad och tas upp med vårdnadshavarna.", "Anna Berg", "Elevhälsan, Backaskolan", "kommun", "", "varje månad", "halsa", "g7", board.ActionOngoing, false),
		action(10, "Extra anpassningar i matematik: konkret material, kortare uppgifter, lugn plats.", longName, "Backaskolan", "kommun", "2026-03-25", "", "utveckling", "g10", board.ActionPlanned, false),
		action(11, "Pedagogisk kartläggning i matematik.", "", "Elevhälsan, Backaskolan", "kommun", "2026-05-01", "", "utveckling", "g9", board.ActionPlanned, false),
		action(12, "Samtal om «jag är dum» – vad Alva kan och har lärt sig.", longName, "Backaskolan", "kommun", "", "varannan vecka", "utveckling", "g11", board.ActionPlanned, false),
		action(13, "Läxhjälp via Röda Korsets läxhjälp.", "", "Röda Korset Ystad", "ideburen", "", "en gång i veckan", "utveckling", "g9", board.ActionPlanned, true),
		action(14, "Föräldrastödsprogram om oro och skolfrånvaro erbjuds.", "Jonas Öberg", "Individ- och familjeomsorgen", "kommun", "2026-04-10", "", "omsorg", "", board.ActionPlanned, false),
		action(15, "Fotbollen fortsätter; tränaren får veta att Alva har det svårt i skolan (samtycke finns).", "", "IFK Ystad", "ideburen", "", "två gånger i veckan", "fritid", "g12", board.ActionDone, true),
	}
	return board.PlanDoc{
		Format: board.PlanFormat, Version: 2, TeamID: "t-alva", MeetingID: "mt-2026-03-12",
		Date: "2026-03-12", MeetingTitle: "Barnteam för Alva – första mötet", FrozenAt: fixtureFrozen, FrozenBy: coordinator,
		Child: board.PlanChild{FirstName: "Alva", BirthYear: 2016}, People: people,
		Reason:       "Alva har haft mycket frånvaro sedan jul, ofta med magont, och berättar att hon är rädd på rasterna.\nSkolan och vårdnadshavarna vill tillsammans ge henne rätt stöd – i tid.",
		ChildVoice:   board.PlanChildVoice{Participation: board.ParticipationMeeting, HowCaptured: "Alva var med i början av mötet och svarade med ansikten i barnvyn; Karin skrev ned det hon sa med hennes egna ord."},
		Perspectives: persp, Areas: areas, Actions: actions,
		Responsibility: board.PlanResponsibility{LeadOrgID: "o-elev", LeadOrgName: "Elevhälsan, Backaskolan", Coordinator: coordinator},
		FollowUp:       board.PlanFollowUp{Date: "2026-05-20", Convener: "Anna Berg"},
		Consents: []board.PlanConsent{
			{GivenBy: "Sara Lind", Orgs: []string{"Backaskolan", "Elevhälsan, Backaskolan", "Individ- och familjeomsorgen", "IFK Ystad"}, Purpose: "Samordning av stöd till Alva i barnteamet.", ValidFrom: "2026-03-01", ValidTo: "2027-02-28", Method: board.ConsentWritten},
			{GivenBy: "Omar Lind", Orgs: []string{"Backaskolan", "Elevhälsan, Backaskolan", "Individ- och familjeomsorgen"}, Purpose: "Samordning av stöd till Alva i barnteamet.", ValidFrom: "2026-03-01", ValidTo: "2027-02-28", Method: board.ConsentDigital},
			{GivenBy: "Omar Lind", Orgs: []string{"IFK Ystad"}, Purpose: "Att tränaren får veta om Alvas situation.", ValidFrom: "2026-03-01", ValidTo: "2026-06-30", Method: board.ConsentOral, Withdrawn: "2026-03-10"},
		},
		Notes: []board.PlanNote{
			{Title: "Inledning", Markdown: "Alla presenterade sig. **Samtycke** bekräftat för *alla* verksamheter.\n\n- Syftet: ett barn, en plan\n- Alva var med de första 20 minuterna\n  - hon ritade sin kompass\n\n> Aldrig för tidigt – aldrig för sent."},
			{Title: "Behov", Markdown: "## Rasterna\n\nSkolan ser över rastvärdsschemat; se [skolans trygghetsplan](https://backaskolan.ystad.se/trygghet).\n\n1. Schema klart till den 20:e\n2. Följs upp på nästa möte\n\nKod för schemat i lärplattformen: `RAST-3B`.\n\n<b>Obs:</b> ingen orosanmälan behövs nu, men IFO finns med.\n\n~~Förslag om byte av klass~~ – föll, familjen vill inte."},
		},
		LegalBasis: []string{"SIP enligt 5 kap. 8 a § socialtjänstlagen (2025:400) och 16 kap. 4 § hälso- och sjukvårdslagen (2017:30)"},
	}
}

// fixture is the plan with its evidence: four signatures (one given aloud in the room,
// one with a disagreement), the sign-off log and the server's signature.
func fixture(t testing.TB) (board.PlanDoc, Evidence) {
	t.Helper()
	doc := fixtureDoc()
	return doc, evidenceFor(t, doc)
}

func evidenceFor(t testing.TB, doc board.PlanDoc) Evidence {
	t.Helper()
	canon, err := Canonical(doc)
	if err != nil {
		t.Fatal(err)
	}
	sha := board.PlanSHA256(canon)
	at := func(min int) time.Time { return doc.FrozenAt.Add(time.Duration(min) * time.Minute) }
	sig := func(id, name string, role board.Role, roleLabel, title, org string, m board.SignMethod, by, dis string, min int) board.Signature {
		return board.Signature{MeetingID: doc.MeetingID, Version: doc.Version, MemberID: id, Name: name, Role: role,
			Title: title, OrgName: org, Method: m, RecordedBy: by, Disagreement: dis, At: at(min), PlanSHA256: sha}
	}
	sigs := []board.Signature{
		sig("m-coord", "Anna Berg", board.RoleCoordinator, "Stödsamordnare", "Kurator", "Elevhälsan, Backaskolan", board.SignOnDevice, "", "", 3),
		sig("m-sara", "Sara Lind", board.RoleGuardian, "Vårdnadshavare", "", "", board.SignOnDevice, "", "", 5),
		sig("m-omar", "Omar Lind", board.RoleGuardian, "Vårdnadshavare", "", "", board.SignInRoom, "Anna Berg", "Jag tycker att Alva borde byta klass redan nu, inte vänta till hösten.", 6),
		sig("m-teacher", longName, board.RoleProfessional, "Professionell", "Klasslärare", "Backaskolan", board.SignOnDevice, "", "", 8),
	}
	ev := func(min int, k board.PlanEventKind, name string, role board.Role, dis bool) board.PlanEvent {
		return board.PlanEvent{Version: doc.Version, At: at(min), Kind: k, Name: name, Role: role, Disagreement: dis}
	}
	events := []board.PlanEvent{
		ev(0, board.PlanEventFrozen, "Anna Berg", board.RoleCoordinator, false),
		ev(3, board.PlanEventSigned, "Anna Berg", board.RoleCoordinator, false),
		ev(5, board.PlanEventSigned, "Sara Lind", board.RoleGuardian, false),
		ev(6, board.PlanEventRecorded, "Omar Lind", board.RoleGuardian, true),
		ev(8, board.PlanEventSigned, longName, board.RoleProfessional, false),
	}
	return Evidence{
		Status: board.PlanSigning, Signatures: sigs, Events: events,
		VerifyURL:       "https://barnteam.ystad.se/verifiera",
		ServerSignature: ed25519.Sign(fixtureKey, canon),
		PublicKey:       fixtureKey.Public().(ed25519.PublicKey),
	}
}
