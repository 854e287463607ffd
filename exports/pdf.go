package exports

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/barnteam/barnteam/server/board"
	"github.com/barnteam/barnteam/server/compass"
)

// PDF draws Barnets plan as an A4 PDF in Swedish: the plan's sections in the order of
// DOMAIN.md (the child's voice first), the needs compass, the actions as a table, the
// meeting notes from their Markdown, the sign-off list, and a last page of evidence
// (verifikat) with the plan's SHA-256, each signature, the sign-off log, the verification
// code and the server's Ed25519 signature. Every page has a header (the child, the plan
// version) and a footer (the verification code, "Sida X av Y").
//
// The bytes depend on doc and ev only: the same input gives the same PDF. Text the font
// cannot show is replaced visibly by □ (see sanitize). PDF is safe to call concurrently.
func PDF(doc board.PlanDoc, ev Evidence) ([]byte, error) {
	m, err := fontMetrics()
	if err != nil {
		return nil, err
	}
	p, err := prepare(doc, ev)
	if err != nil {
		return nil, err
	}
	d := newPDFDoc(m)
	f := d.f
	// Fixed dates make the bytes reproducible; the plan's own time is the honest choice.
	created := doc.FrozenAt.UTC()
	if created.IsZero() {
		created = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)
	}
	f.SetCreationDate(created)
	f.SetModificationDate(created)
	child := sanitize(m, childName(doc.Child), false)
	f.SetTitle(fmt.Sprintf(txtDocumentName, child, doc.Version), true)
	f.SetSubject(txtTitle, true)
	f.SetCreator("barnteam", true)
	f.SetProducer("barnteam (gofpdf 1.16.2)", true)
	f.SetAuthor(sanitize(m, doc.Responsibility.LeadOrgName, false), true)
	d.headLeft = txtTitle + " – " + child
	d.headRight = fmt.Sprintf(txtPageHeader, doc.Version)
	d.footLeft = fmt.Sprintf(txtFooterCode, p.code)

	w := pdfPlan{d: d, p: p}
	stages := []func(){
		w.header, w.reason, w.childVoice, w.guardians, w.now, w.needs, w.actions,
		w.disagreements, w.responsibility, w.followUp, w.consents, w.notes, w.signatures,
		w.evidence,
	}
	for _, stage := range stages {
		stage()
		if err := f.Error(); err != nil {
			return nil, fmt.Errorf("exports: drawing the plan: %w", err)
		}
	}
	var out bytes.Buffer
	if err := f.Output(&out); err != nil {
		return nil, fmt.Errorf("exports: writing the PDF: %w", err)
	}
	return out.Bytes(), nil
}

// pdfPlan draws the sections of one plan.
type pdfPlan struct {
	d *pdfDoc
	p *plan
}

func (w pdfPlan) header() {
	d, p, doc := w.d, w.p, &w.p.doc
	d.addPage()
	d.color(colHeading)
	d.flow([]span{styled(txtTitle, styleBold)}, flowOpts{sizePt: 22})
	d.flow(plain(childName(doc.Child)), flowOpts{sizePt: 14})
	d.color(colText)
	d.y += 3

	var rows [][][]span
	row := func(label, value string) {
		if value == "" {
			value = txtNotGiven
		}
		rows = append(rows, [][]span{{styled(label, styleBold)}, {{text: value}}})
	}
	names := func(ps []board.PlanPerson, withContact bool) string {
		var out []string
		for _, x := range ps {
			s := personText(x)
			if withContact && x.Contact != "" {
				s += txtListSep + fmt.Sprintf(txtContact, x.Contact)
			}
			out = append(out, s)
		}
		return strings.Join(out, "\n")
	}
	row(txtDate, doc.Date)
	row(txtVersion, p.frozenLine())
	row(txtStatus, label(planStatusLabels, p.ev.Status))
	row(txtMeeting, doc.MeetingTitle)
	row(txtChild, childName(doc.Child))
	row(txtGuardians, names(p.withRole(board.RoleGuardian), true))
	row(txtChildCont, names(p.withRole(board.RoleChildContact), false))
	if c, ok := p.coordinator(); ok {
		row(txtCoordinator, names([]board.PlanPerson{c}, true))
	} else {
		row(txtCoordinator, "")
	}
	if others := p.others(); len(others) > 0 {
		var out []string
		for _, x := range others {
			out = append(out, personText(x)+" – "+roleLabel(x.Role, x.RoleLabel))
		}
		row(txtTeam, strings.Join(out, "\n"))
	}
	if len(doc.LegalBasis) > 0 {
		row(txtLegalBasis, strings.Join(doc.LegalBasis, "\n"))
	}
	d.table([]column{{w: 44}, {w: contentWidth - 44}}, rows, tableOpts{})
}

func (w pdfPlan) reason() {
	w.d.heading(secReason)
	if w.p.doc.Reason == "" {
		w.d.para(plain(txtReasonEmpty)...)
		return
	}
	w.d.para(plain(w.p.doc.Reason)...)
}

func (w pdfPlan) childVoice() {
	d, doc := w.d, &w.p.doc
	d.heading(secChildVoice)
	d.field(txtParticipation, label(participationLabels, doc.ChildVoice.Participation), 0)
	d.field(txtHowCaptured, doc.ChildVoice.HowCaptured, 0)
	d.y += blockGap
	found := false
	for _, a := range doc.Areas {
		if a.ChildWords == "" && a.ChildVoice == "" {
			continue
		}
		found = true
		d.subheading(a.Label, span{text: " – " + a.ChildLabel, style: styleItalic})
		if a.ChildWords != "" {
			d.field(txtOwnWords, quoted(a.ChildWords), 0)
		}
		if a.ChildVoice != "" {
			v := quoted(a.ChildVoice)
			if a.ChildVoiceBy != "" {
				v += " (" + fmt.Sprintf(txtWrittenBy, a.ChildVoiceBy) + ")"
			}
			d.field(txtVoiceWritten, v, 0)
		}
		d.y += blockGap / 2
	}
	if !found {
		d.para(plain(txtVoiceEmpty)...)
	}
}

func (w pdfPlan) guardians() {
	d, doc := w.d, &w.p.doc
	d.heading(secGuardians)
	found := false
	for _, a := range doc.Areas {
		if a.GuardiansView != "" {
			found = true
			d.field(a.Label, a.GuardiansView, 0)
			d.y += blockGap / 2
		}
	}
	if !found {
		d.para(plain(txtGuardiansNone)...)
	}
}

func (w pdfPlan) now() {
	d, doc := w.d, &w.p.doc
	d.heading(secNow)
	d.subheading(txtCompass)
	w.compass()
	if len(doc.Perspectives) == 0 {
		d.para(plain(txtNoPerspective)...)
	} else {
		areaW := 40.0
		colW := (contentWidth - areaW) / float64(len(doc.Perspectives))
		cols := []column{{title: txtArea, w: areaW}}
		for _, ps := range doc.Perspectives {
			cols = append(cols, column{title: ps.Label, w: colW})
		}
		var rows [][][]span
		for _, a := range doc.Areas {
			r := [][]span{{styled(a.Label, styleBold)}}
			for j := range doc.Perspectives {
				var rt board.Rating
				if j < len(a.Ratings) {
					rt = a.Ratings[j]
				}
				st := styleRegular
				if rt == "" {
					st = styleItalic
				}
				r = append(r, []span{styled(ratingText(rt), st)})
			}
			rows = append(rows, r)
		}
		size := bodySize
		if len(doc.Perspectives) > 4 {
			size = smallSize
		}
		d.table(cols, rows, tableOpts{header: true, grid: true, sizePt: size})
	}
	var empty []string
	for _, a := range doc.Areas {
		if a.Works == "" && a.Worries == "" {
			empty = append(empty, a.Label)
			continue
		}
		d.subheading(a.Label, span{text: " – " + a.ChildLabel, style: styleItalic})
		if a.Works != "" {
			d.field(txtWorks, a.Works, 0)
		}
		if a.Worries != "" {
			d.field(txtWorries, a.Worries, 0)
		}
		d.y += blockGap / 2
	}
	if len(empty) > 0 {
		d.para(plain(fmt.Sprintf(txtAreasEmpty, strings.Join(empty, txtListSep)))...)
	}
}

func (w pdfPlan) needs() {
	d, p := w.d, w.p
	d.heading(secNeeds)
	if len(p.needs) == 0 {
		d.para(plain(txtNeedsEmpty)...)
		return
	}
	for _, i := range p.needs {
		a := p.doc.Areas[i]
		title := fmt.Sprintf(txtNeedOther, a.Label)
		if a.Priority > 0 {
			title = fmt.Sprintf(txtNeed, a.Priority, a.Label)
		}
		d.subheading(title)
		if a.Need != "" {
			d.para(plain(a.Need)...)
		}
		var last board.GoalTerm = "-"
		for _, g := range goalsInOrder(a.Goals) {
			if g.Term != last {
				last = g.Term
				switch g.Term {
				case board.GoalLong:
					d.flow([]span{styled(txtGoalsLong, styleBold)}, flowOpts{keep: 1})
				case board.GoalShort:
					d.flow([]span{styled(txtGoalsShort, styleBold)}, flowOpts{keep: 1})
				}
				d.y += 0.6
			}
			no := fmt.Sprintf(txtGoalN, p.goalNo[g.ID])
			if g.ID == "" {
				no = "•"
			}
			marker := func(first bool, y, lh float64) {
				if first {
					d.useFont(styleBold, bodySize)
					d.f.SetXY(marginX+listIndent/2, y)
					d.f.CellFormat(16, lh, no, "", 0, "L", false, 0, "")
				}
			}
			// a goal and how we will know it works stay on one page when they fit on one
			goalOpts := flowOpts{indent: listIndent + 16, decorate: marker}
			evidence := []span{styled(txtEvidence+": ", styleBold), {text: g.Evidence}}
			h := d.height(plain(g.Text), goalOpts)
			if g.Evidence != "" {
				h += 0.4 + d.height(evidence, goalOpts)
			}
			if h < contentBottom-contentTop {
				d.ensure(h)
			}
			d.flow(plain(g.Text), goalOpts)
			if g.Evidence != "" {
				d.y += 0.4
				d.flow(evidence, flowOpts{indent: listIndent + 16})
			}
			d.y += 1.2
		}
		d.y += blockGap / 2
	}
}

func (w pdfPlan) actions() {
	d, p := w.d, w.p
	d.heading(secActions)
	if len(p.doc.Actions) == 0 {
		d.para(plain(txtActionsEmpty)...)
		return
	}
	cols := []column{
		{txtColNo, 9}, {txtColWhat, 58}, {txtColWho, 42}, {txtColWhen, 26}, {txtColFor, 20}, {txtColStatus, contentWidth - 9 - 58 - 42 - 26 - 20},
	}
	rows := make([][][]span, 0, len(p.doc.Actions))
	for _, a := range p.doc.Actions {
		rows = append(rows, [][]span{
			plain(fmt.Sprint(a.N)),
			plain(a.What),
			plain(p.actionWho(a)),
			plain(actionWhen(a)),
			plain(p.actionFor(a)),
			plain(label(statusLabels, a.Status)),
		})
	}
	d.table(cols, rows, tableOpts{header: true, grid: true, sizePt: 9})
}

func (w pdfPlan) disagreements() {
	d, p := w.d, w.p
	d.heading(secDisagreements)
	found := false
	for _, s := range p.sigs {
		if s.Disagreement == "" {
			continue
		}
		found = true
		who := s.Name + " (" + signerRole(p.doc, s)
		if s.OrgName != "" {
			who += txtListSep + s.OrgName
		}
		who += "): "
		d.para(styled(who, styleBold), span{text: quoted(s.Disagreement)})
	}
	if !found {
		d.para(plain(txtDisagreeNone)...)
	}
}

func (w pdfPlan) responsibility() {
	d, p := w.d, w.p
	r := p.doc.Responsibility
	d.heading(secResponsible)
	d.field(txtLeadOrg, r.LeadOrgName, 0)
	if c, ok := p.coordinator(); ok {
		v := personText(c)
		if c.Contact != "" {
			v += txtListSep + fmt.Sprintf(txtContact, c.Contact)
		}
		d.field(txtCoordinator, v, 0)
	} else {
		d.field(txtCoordinator, "", 0)
	}
	d.y += blockGap
	if orgs, numbers := p.actionsPerOrg(); len(orgs) > 0 {
		var rows [][][]span
		for _, o := range orgs {
			rows = append(rows, [][]span{plain(o), plain(strings.Join(numbers[o], txtListSep))})
		}
		d.table([]column{{txtColOrgAll, 110}, {txtColActionNos, contentWidth - 110}}, rows, tableOpts{header: true, sizePt: 9})
	}
	lead := ""
	if r.LeadOrgName != "" {
		lead = " (" + r.LeadOrgName + ")"
	}
	d.para(plain(fmt.Sprintf(txtOriginal, lead))...)
}

func (w pdfPlan) followUp() {
	d, fu := w.d, w.p.doc.FollowUp
	d.heading(secFollowUp)
	or := func(s string) string {
		if s == "" {
			return txtNotDecided
		}
		return s
	}
	d.field(txtFollowDate, or(fu.Date), 0)
	d.field(txtConvener, or(fu.Convener), 0)
}

func (w pdfPlan) consents() {
	d, doc := w.d, &w.p.doc
	d.heading(secConsents)
	if len(doc.Consents) == 0 {
		d.para(plain(txtConsentsEmpty)...)
		return
	}
	for _, c := range doc.Consents {
		d.subheading(fmt.Sprintf(txtConsentFrom, c.GivenBy))
		d.field(txtConsentOrgs, strings.Join(c.Orgs, txtListSep), 0)
		d.field(txtConsentPurpose, c.Purpose, 0)
		d.field(txtConsentPeriod, c.ValidFrom+" – "+c.ValidTo, 0)
		d.field(txtConsentMethod, label(consentMethodLabels, c.Method), 0)
		if c.Withdrawn != "" {
			d.flow([]span{styled(fmt.Sprintf(txtWithdrawn, c.Withdrawn), styleBold)}, flowOpts{})
		}
		d.y += blockGap / 2
	}
}

func (w pdfPlan) notes() {
	d, doc := w.d, &w.p.doc
	d.heading(secNotes)
	if len(doc.Notes) == 0 {
		d.para(plain(txtNotesEmpty)...)
		return
	}
	for _, n := range doc.Notes {
		d.subheading(n.Title)
		w.noteBlocks(parseNote(n.Markdown))
		d.y += blockGap / 2
	}
}

// noteBlocks draws a note's blocks: list items indented with their marker, quotes
// indented with a bar, headings bold, code in Go Mono on grey.
func (w pdfPlan) noteBlocks(blocks []noteBlock) {
	d := w.d
	for _, b := range blocks {
		indent := 0.0
		var markers []func(y, lh float64)
		var bars []float64
		for i, c := range b.path {
			x := marginX + indent
			if c.quote {
				bars = append(bars, x+1)
				indent += quoteIndent
				continue
			}
			if b.first[i] {
				bullet := c.bullet
				markers = append(markers, func(y, lh float64) {
					d.useFont(styleRegular, bodySize)
					d.f.SetXY(x, y)
					d.f.CellFormat(listIndent, lh, bullet, "", 0, "L", false, 0, "")
				})
			}
			indent += listIndent
		}
		decorate := func(first bool, y, lh float64) {
			if first {
				for _, mk := range markers {
					mk(y, lh)
				}
			}
			d.drawColor(colRule)
			d.f.SetLineWidth(0.5)
			for _, x := range bars {
				d.f.Line(x, y, x, y+lh)
			}
		}
		switch b.kind {
		case blockPara:
			d.flow(b.spans, flowOpts{indent: indent, decorate: decorate})
		case blockHeading:
			size := max(bodySize, 11-0.5*float64(b.level-1))
			d.y += 1
			d.flow(boldAll(b.spans), flowOpts{sizePt: size, indent: indent, decorate: decorate, keep: 1})
		case blockCode:
			// Spaces become no-break spaces so indentation survives wrapping.
			code := strings.ReplaceAll(b.code, " ", "\u00a0")
			d.flow([]span{{text: code, style: styleMono, code: true}}, flowOpts{sizePt: 9, indent: indent + 1, decorate: decorate})
		case blockRule:
			d.rule(indent)
		}
		d.y += 1.6
	}
}

func boldAll(spans []span) []span {
	out := make([]span, len(spans))
	for i, s := range spans {
		if s.style == styleItalic {
			s.style = styleBoldItalic
		} else if s.style == styleRegular {
			s.style = styleBold
		}
		out[i] = s
	}
	return out
}

func (w pdfPlan) signatures() {
	d, p := w.d, w.p
	d.heading(secSignatures)
	if len(p.sigs) == 0 {
		d.para(plain(txtSignNone)...)
	} else {
		var rows [][][]span
		for _, s := range p.sigs {
			role := signerRole(p.doc, s)
			if s.Title != "" {
				role += "\n" + s.Title
			}
			if s.OrgName != "" {
				role += "\n" + s.OrgName
			}
			how := signMethod(s)
			if s.Disagreement != "" {
				how += "\n" + txtSignDissent
			}
			rows = append(rows, [][]span{plain(s.Name), plain(role), plain(formatMinute(s.At)), plain(how)})
		}
		d.table([]column{{txtSignName, 46}, {txtSignRole, 52}, {txtSignTime, 30}, {txtSignMethod, contentWidth - 128}}, rows, tableOpts{header: true, grid: true, sizePt: 9})
	}
	if un := p.unsigned(); len(un) > 0 {
		d.para(plain(fmt.Sprintf(txtNotSigned, strings.Join(un, txtListSep)))...)
	}
	lead := ""
	if p.doc.Responsibility.LeadOrgName != "" {
		lead = " (" + p.doc.Responsibility.LeadOrgName + ")"
	}
	d.para(plain(fmt.Sprintf(txtOriginal, lead))...)
}

// evidence is the last page: what an e-signing service's verifikat shows.
func (w pdfPlan) evidence() {
	d, p, doc := w.d, w.p, &w.p.doc
	d.addPage()
	d.heading(secEvidence)
	d.para(plain(txtEvidenceIntro)...)
	mono := func(s string) []span { return []span{{text: s, style: styleMono}} }
	kv := func(k string, v []span) [][]span { return [][]span{{styled(k, styleBold)}, v} }
	rows := [][][]span{
		kv(txtDocument, plain(fmt.Sprintf(txtDocumentName, childName(doc.Child), doc.Version))),
		kv(txtMeetingID, mono(doc.MeetingID)),
		kv(txtVersion, plain(fmt.Sprint(doc.Version))),
		kv(txtStatus, plain(label(planStatusLabels, p.ev.Status))),
		kv(txtFrozen, plain(p.frozenAt())),
		kv(txtSHA, mono(p.sha)),
		kv(txtCode, []span{{text: p.code, style: styleBold}}),
	}
	if p.ev.VerifyURL != "" {
		rows = append(rows, kv(txtVerifyAt, []span{{text: p.ev.VerifyURL, link: safeURL(p.ev.VerifyURL)}}))
	}
	d.table([]column{{w: 44}, {w: contentWidth - 44}}, rows, tableOpts{sizePt: 9})
	d.para(styled(txtTimeNote, styleItalic))

	d.subheading(txtSignatures)
	if len(p.sigs) == 0 {
		d.para(plain(txtSignNone)...)
	} else {
		var rs [][][]span
		for _, s := range p.sigs {
			org := s.OrgName
			if s.Title != "" {
				org = strings.TrimPrefix(s.Title+txtListSep+org, txtListSep)
			}
			if org == "" {
				org = txtNone
			}
			how := signMethod(s)
			if s.Disagreement != "" {
				how += "\n" + txtSignDissent
			}
			rs = append(rs, [][]span{plain(s.Name), plain(signerRole(p.doc, s)), plain(org), plain(formatTime(s.At)), plain(how)})
		}
		d.table([]column{{txtSignName, 32}, {txtColRole, 24}, {txtColOrg, 32}, {txtSignTime, 43}, {txtSignMethod, contentWidth - 131}}, rs, tableOpts{header: true, grid: true, sizePt: 8})
	}

	d.subheading(txtEventLog)
	if len(p.events) == 0 {
		d.para(plain(txtEventsEmpty)...)
	} else {
		var rs [][][]span
		for _, e := range p.events {
			rs = append(rs, [][]span{plain(formatTime(e.At)), plain(p.eventText(e)), plain(p.eventWho(e))})
		}
		d.table([]column{{txtSignTime, 43}, {txtColEvent, 67}, {txtColActor, contentWidth - 110}}, rs, tableOpts{header: true, grid: true, sizePt: 8})
	}

	d.subheading(txtServerSig)
	if len(p.ev.ServerSignature) == 0 {
		d.para(plain(txtServerSigNone)...)
		return
	}
	d.table([]column{{w: 44}, {w: contentWidth - 44}}, [][][]span{
		kv(txtAlgorithm, plain("Ed25519")),
		kv(txtKeyID, mono(p.keyID)),
		kv(txtSignature, mono(base64.StdEncoding.EncodeToString(p.ev.ServerSignature))),
	}, tableOpts{sizePt: 9})
	d.para(plain(txtServerSigNote)...)
}

// compass draws the needs compass of every perspective, with how to read it: the radar
// the board and the shared screen draw, from compass.RadarLayout.
func (w pdfPlan) compass() {
	d := w.d
	if persp, l, ok := compassInput(w.p, d.m); ok {
		d.radar(compass.RadarLayout(persp, l, compass.Options{}))
	}
	d.flow([]span{{text: txtCompassNote, style: styleItalic}}, flowOpts{sizePt: smallSize})
	d.y += blockGap
}

// compassInput is the plan's needs compass as package compass takes it: the areas'
// labels as frozen into the plan, our words for the ratings and the scale, and each
// perspective's ratings (an area listed twice counts once, as its first entry). Every
// text is sanitised first, so that the layout wraps what will be drawn. The bool is
// false when the plan has none of the compass's areas: there is no picture to draw then
// (the table below shows the ratings).
func compassInput(p *plan, m *metrics) ([]compass.Perspective, compass.Labels, bool) {
	l := compass.Labels{
		Area:     map[board.Area]string{},
		Unrated:  ratingLabels[""],
		Unknown:  ratingLabels[board.RatingUnknown],
		Declined: ratingLabels[board.RatingDeclined],
		Title:    txtCompass,
	}
	for i := range l.Scale {
		l.Scale[i] = ratingLabels[board.Rating(rune('1'+i))]
	}
	var areas []board.PlanArea // the compass's areas in the plan, each its first entry
	for _, a := range board.Areas {
		if i := slices.IndexFunc(p.doc.Areas, func(x board.PlanArea) bool { return x.Area == a }); i >= 0 {
			areas = append(areas, p.doc.Areas[i])
			l.Area[a] = sanitize(m, p.doc.Areas[i].Label, false)
		}
	}
	persp := make([]compass.Perspective, len(p.doc.Perspectives))
	for j, ps := range p.doc.Perspectives {
		r := map[board.Area]board.Rating{}
		for _, a := range areas {
			if j < len(a.Ratings) && a.Ratings[j] != "" {
				r[a.Area] = a.Ratings[j]
			}
		}
		persp[j] = compass.Perspective{Key: ps.Key, Label: sanitize(m, ps.Label, false), Ratings: r}
	}
	return persp, l, len(areas) > 0
}
