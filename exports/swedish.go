package exports

import (
	"fmt"
	"strconv"
	"time"
	_ "time/tzdata" // Europe/Stockholm on any machine, also one without /usr/share/zoneinfo

	"github.com/barnteam/barnteam/server/board"
)

// Every fixed text of the PDF and the Markdown export, in Swedish, in one place so that
// it can be read (and proofread) as a whole. The signed plan is always in Swedish
// (DOMAIN.md); a family's copy in their own language is the HTML page, not this.
const (
	txtTitle       = "Barnets plan"
	txtChildBorn   = "%s, född %d"              // first name, birth year
	txtPageHeader  = "Barnets plan, version %d" // version
	txtPageFooter  = "Sida %d av %s"            // page, total
	txtFooterCode  = "Verifieringskod %s"       // code
	txtVersionLine = "%d, fryst %s av %s"       // version, time, name
	txtOrgKind     = "%s (%s)"                  // organisation, huvudman
	txtQuoted      = "”%s”"                     // the Swedish quotation marks, both closing
	txtWrittenBy   = "nedskrivet av %s"         // a name
	txtNotGiven    = "Inte angivet"             // an empty field that should have a value
	txtNone        = "–"                        // an empty table cell
	txtListSep     = ", "                       // between names in a list
	txtLegalBasis  = "Planen bygger på"         // label of the legal references
	txtMeeting     = "Möte"                     // label
	txtDate        = "Datum"                    // label
	txtVersion     = "Planversion"              // label
	txtStatus      = "Status"                   // label
	txtChild       = "Barnet"                   // label
	txtGuardians   = "Vårdnadshavare"           // label
	txtChildCont   = "Barnkontakt"              // label
	txtCoordinator = "Stödsamordnare"           // label
	txtContact     = "kontakt: %s"              // contact details
	txtTeam        = "Övriga i barnteamet"      // label: everyone else
	txtTimeNote    = "Alla tider är svensk tid (Europe/Stockholm)."
	txtPlaceholder = "□" // what a character the font cannot show (emoji, control, broken byte) becomes

	// 1–12: the sections of the plan, in order (DOMAIN.md "Barnets plan").
	secReason        = "1. Anledning"
	secChildVoice    = "2. Barnets röst"
	secGuardians     = "3. Vårdnadshavarnas syn"
	secNow           = "4. Nuläge per område"
	secNeeds         = "5. Behov och mål"
	secActions       = "6. Insatser"
	secDisagreements = "7. Avvikande meningar"
	secResponsible   = "8. Huvudansvar"
	secFollowUp      = "9. Uppföljning"
	secConsents      = "10. Samtycken"
	secNotes         = "11. Mötesanteckningar"
	secSignatures    = "12. Underskrifter"
	secEvidence      = "Verifikat"

	txtReasonEmpty = "Ingen anledning är nedskriven."

	txtParticipation = "Barnets delaktighet"
	txtHowCaptured   = "Så hördes barnet"
	txtOwnWords      = "Med egna ord" // the child's own words from the child view
	txtVoiceWritten  = "Återgivet"    // the child's voice as an adult wrote it down
	txtVoiceEmpty    = "Inga av barnets egna ord är nedskrivna i planen."
	txtGuardiansNone = "Vårdnadshavarnas syn är inte nedskriven i planen."

	txtCompass       = "Behovskompassen"
	txtCompassNote   = "Varje perspektiv har en egen färg, linje och markering. Inte bedömt, ”vet inte” och ”vill inte svara” ritas inte ut; linjen bryts där. Bedömningarna visas sida vid sida och läggs aldrig ihop."
	txtArea          = "Område"
	txtWorks         = "Det som fungerar"
	txtWorries       = "Det som oroar"
	txtRatings       = "Bedömningar"
	txtAreasEmpty    = "Inget är nedskrivet om: %s."
	txtNoPerspective = "Inga perspektiv har bedömt områdena."

	txtNeed          = "Behov %d: %s"    // priority, area
	txtNeedOther     = "Behov: %s"       // an area with a need that is not prioritised, or goals only
	txtGoalsLong     = "Långsiktiga mål" // heading
	txtGoalsShort    = "Kortsiktiga mål" // heading
	txtGoalN         = "Mål %d"          // number
	txtEvidence      = "Så vet vi att det fungerar"
	txtNeedsEmpty    = "Inga behov eller mål är nedskrivna."
	txtActionsEmpty  = "Inga insatser är beslutade."
	txtColNo         = "Nr"
	txtColWhat       = "Vad ska göras"
	txtColWho        = "Vem ansvarar"
	txtColWhen       = "När / hur ofta"
	txtColFor        = "Hör till"
	txtColStatus     = "Status"
	txtDue           = "Klart senast %s"
	txtExternal      = "Annan huvudman än kommun eller region"
	txtDisagreeNone  = "Ingen har anmält avvikande mening."
	txtLeadOrg       = "Huvudansvarig verksamhet"
	txtActionsPerOrg = "Insatser per verksamhet"
	txtColOrgAll     = "Verksamhet"
	txtColActionNos  = "Insatser (nr)"
	txtOriginal      = "Alla i barnteamet får en kopia av planen. Originalet hör till den huvudansvariga verksamheten%s."
	txtFollowDate    = "Datum för uppföljning"
	txtConvener      = "Sammankallande"
	txtNotDecided    = "Inte bestämt"

	txtConsentFrom    = "Samtycke från %s"
	txtConsentOrgs    = "Gäller"
	txtConsentPurpose = "Syfte"
	txtConsentPeriod  = "Giltigt"
	txtConsentMethod  = "Sätt"
	txtWithdrawn      = "Återkallat %s"
	txtConsentsEmpty  = "Inga samtycken är registrerade."
	txtNotesEmpty     = "Inga anteckningar."
	txtLinkURL        = " (%s)" // after a link's text in the notes
	txtImage          = "bild"

	txtSignName     = "Namn"
	txtSignRole     = "Roll och verksamhet"
	txtSignTime     = "Tid"
	txtSignMethod   = "Så skrev de under"
	txtSignDissent  = "Med avvikande mening."
	txtSignNone     = "Ingen har skrivit under än."
	txtNotSigned    = "Har inte skrivit under den här versionen: %s."
	txtOnDevice     = "På egen enhet"
	txtInRoom       = "Godkänt muntligt i rummet, registrerat av %s"
	txtInRoomNoName = "Godkänt muntligt i rummet"

	txtEvidenceIntro = "Verifikatet visar vilken version av Barnets plan som skrevs under, av vem, när och hur. Planens innehåll identifieras med SHA-256 av planens kanoniska JSON; samma innehåll ger alltid samma summa, och minsta ändring ger en annan."
	txtDocument      = "Dokument"
	txtDocumentName  = "Barnets plan för %s, version %d"
	txtMeetingID     = "Mötes-id"
	txtFrozen        = "Fryst"
	txtSHA           = "SHA-256 (kanonisk JSON)"
	txtCode          = "Verifieringskod"
	txtVerifyAt      = "Verifiera på"
	txtSignatures    = "Underskrifter"
	txtColRole       = "Roll"
	txtColOrg        = "Titel och verksamhet"
	txtColEvent      = "Händelse"
	txtColActor      = "Vem"
	txtEventLog      = "Händelselogg"
	txtEventsEmpty   = "Inga händelser."
	txtWithDissent   = "med avvikande mening"
	txtServerSig     = "Serverns elektroniska underskrift"
	txtAlgorithm     = "Algoritm"
	txtKeyID         = "Nyckel-id"
	txtSignature     = "Underskrift (base64)"
	txtServerSigNote = "Underskriften gäller planens kanoniska JSON med SHA-256 ovan och kontrolleras med serverns publika nyckel med nyckel-id ovan."
	txtServerSigNone = "Servern har inte skrivit under den här versionen än."

	// The Markdown export's own words.
	txtMDFor = "för %s" // the child, under the title
)

var roleLabels = map[board.Role]string{
	board.RoleCoordinator:  "Stödsamordnare",
	board.RoleChildContact: "Barnkontakt",
	board.RoleProfessional: "Professionell",
	board.RoleGuardian:     "Vårdnadshavare",
	board.RoleChild:        "Barnet",
	board.RoleNetwork:      "Nätverk",
}

// roleLabel prefers the label frozen into the plan (a municipality may word it its own way).
func roleLabel(r board.Role, frozen string) string {
	if frozen != "" {
		return frozen
	}
	if l, ok := roleLabels[r]; ok {
		return l
	}
	return string(r)
}

var ratingLabels = map[board.Rating]string{
	"1":                  "Mycket dåligt",
	"2":                  "Ganska dåligt",
	"3":                  "Varken bra eller dåligt",
	"4":                  "Ganska bra",
	"5":                  "Mycket bra",
	board.RatingUnknown:  "Vet inte",
	board.RatingDeclined: "Vill inte svara",
	"":                   "Inte bedömt",
}

// ratingText is a rating in words, with the face value for numbers ("Ganska bra (4)") so
// the table reads against the compass. Never a number alone, never averaged.
func ratingText(r board.Rating) string {
	l, ok := ratingLabels[r]
	if !ok {
		return string(r)
	}
	if _, err := strconv.Atoi(string(r)); err == nil {
		return l + " (" + string(r) + ")"
	}
	return l
}

var participationLabels = map[board.Participation]string{
	board.ParticipationMeeting:   "Barnet var med på mötet.",
	board.ParticipationChildView: "Barnet svarade i barnvyn.",
	board.ParticipationBefore:    "Barnet hördes före mötet.",
	board.ParticipationNone:      "Barnet var inte med när planen gjordes.",
	board.ParticipationUnset:     "Det är inte angivet hur barnet var delaktigt.",
}

var statusLabels = map[board.ActionStatus]string{
	board.ActionPlanned: "Planerad",
	board.ActionOngoing: "Pågår",
	board.ActionDone:    "Klar",
	board.ActionNotDone: "Inte gjord",
}

var consentMethodLabels = map[board.ConsentMethod]string{
	board.ConsentWritten: "Skriftligt",
	board.ConsentOral:    "Muntligt",
	board.ConsentDigital: "Digitalt",
}

var huvudmanLabels = map[string]string{
	string(board.HuvudmanKommun):   "kommun",
	string(board.HuvudmanRegion):   "region",
	string(board.HuvudmanStat):     "staten",
	string(board.HuvudmanPrivat):   "privat",
	string(board.HuvudmanIdeburen): "idéburen",
}

var planStatusLabels = map[board.PlanStatus]string{
	board.PlanSigning:     "Under underskrift: alla har inte skrivit under än",
	board.PlanEstablished: "Fastställd: alla har skrivit under",
	board.PlanSuperseded:  "Ersatt: planen har öppnats igen och den här versionen gäller inte längre",
	"":                    "Inte angiven",
}

var eventLabels = map[board.PlanEventKind]string{
	board.PlanEventFrozen:      "Planen frystes för underskrift",
	board.PlanEventSigned:      "Skrev under på egen enhet",
	board.PlanEventRecorded:    "Godkände muntligt i rummet (registrerat av stödsamordnaren)",
	board.PlanEventEstablished: "Planen fastställdes",
	board.PlanEventReopened:    "Planen öppnades igen",
}

// label looks a code up in one of the tables above; an unknown code is shown as itself,
// visibly, rather than dropped.
func label[K ~string](m map[K]string, k K) string {
	if l, ok := m[k]; ok {
		return l
	}
	return string(k)
}

// stockholm is where the meetings happen; times on the plan are Swedish time.
var stockholm = func() *time.Location {
	loc, err := time.LoadLocation("Europe/Stockholm")
	if err != nil { // cannot happen with time/tzdata linked in
		panic(err)
	}
	return loc
}()

// formatTime is a moment in Swedish time with its UTC offset, to the second, so that the
// evidence page is unambiguous across the change to and from summer time.
func formatTime(t time.Time) string {
	if t.IsZero() {
		return txtNotGiven
	}
	return t.In(stockholm).Format("2006-01-02 15:04:05 -07:00")
}

// formatMinute is a moment in Swedish time to the minute, for the body of the plan.
func formatMinute(t time.Time) string {
	if t.IsZero() {
		return txtNotGiven
	}
	return t.In(stockholm).Format("2006-01-02 15:04")
}

// childName is "Alva, född 2016" (or the name alone when the year is unknown).
func childName(c board.PlanChild) string {
	if c.BirthYear == 0 {
		return c.FirstName
	}
	return fmt.Sprintf(txtChildBorn, c.FirstName, c.BirthYear)
}

// signerRole is a signer's role as the plan names it: the label frozen with the plan for
// that member, else the Swedish label of the role.
func signerRole(doc board.PlanDoc, s board.Signature) string {
	for _, p := range doc.People {
		if p.MemberID == s.MemberID {
			return roleLabel(s.Role, p.RoleLabel)
		}
	}
	return roleLabel(s.Role, "")
}

// The minutes (protokoll).
const (
	txtMinutesTitle     = "Protokoll: %s"
	txtMinutesDate      = "Datum"
	txtMinutesChild     = "Barnet"
	txtMinutesPeople    = "Barnteamet"
	txtMinutesEmpty     = "Dagordningen är tom."
	txtMinutesStatus    = "Status"
	txtMinutesNotes     = "Anteckningar"
	txtMinutesDecisions = "Beslut"
	txtMinutesParked    = "Parkerat"
	txtMinutesProposals = "Förslag som inte togs upp"
)
