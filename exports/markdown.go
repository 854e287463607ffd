package exports

import (
	"encoding/base64"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/barnteam/barnteam/server/board"
	"golang.org/x/text/unicode/norm"
)

// Markdown writes the plan as CommonMark text for staff to paste into a journal system:
// the same sections as the PDF, in the same order, then the evidence. People's words are
// escaped so that a journal that renders Markdown shows them exactly as written (a "*"
// or "1." someone typed stays a star or a number, never becomes emphasis or a list);
// their line breaks are kept as hard breaks. Meeting notes, which are Markdown already,
// are written back from their syntax tree, so raw HTML in them arrives as text.
//
// Unlike the PDF, Markdown keeps emoji and every other character; only invalid UTF-8,
// control characters and bidirectional overrides become □ (they could hide or reorder
// text in the journal). The same input gives the same bytes.
func Markdown(doc board.PlanDoc, ev Evidence) ([]byte, error) {
	p, err := prepare(doc, ev)
	if err != nil {
		return nil, err
	}
	w := &mdWriter{}
	p.markdown(w)
	return []byte(w.b.String()), nil
}

type mdWriter struct{ b strings.Builder }

func (w *mdWriter) line(parts ...string) {
	for _, s := range parts {
		w.b.WriteString(s)
	}
	w.b.WriteByte('\n')
}

func (w *mdWriter) blank() { w.b.WriteByte('\n') }

func (w *mdWriter) heading(level int, text string) {
	w.line(strings.Repeat("#", level), " ", mdEscape(strings.ReplaceAll(mdClean(text), "\n", " "), ""))
	w.blank()
}

// field writes "**Label:** value" as a paragraph (or a list item with prefix "- ").
func (w *mdWriter) field(prefix, label, value string) {
	if value == "" {
		value = txtNotGiven
	}
	cont := strings.Repeat(" ", len(prefix))
	w.line(prefix, "**", mdEscape(label, ""), ":** ", mdEscape(value, cont))
}

func (w *mdWriter) para(text string) {
	w.line(mdParagraph(text))
	w.blank()
}

func (p *plan) markdown(w *mdWriter) {
	doc := &p.doc
	w.heading(1, txtTitle)
	w.para(fmt.Sprintf(txtMDFor, childName(doc.Child)))
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
	w.field("- ", txtDate, doc.Date)
	w.field("- ", txtVersion, p.frozenLine())
	w.field("- ", txtStatus, label(planStatusLabels, p.ev.Status))
	w.field("- ", txtMeeting, doc.MeetingTitle)
	w.field("- ", txtChild, childName(doc.Child))
	w.field("- ", txtGuardians, names(p.withRole(board.RoleGuardian), true))
	w.field("- ", txtChildCont, names(p.withRole(board.RoleChildContact), false))
	c, _ := p.coordinator()
	if c.Name != "" {
		w.field("- ", txtCoordinator, names([]board.PlanPerson{c}, true))
	} else {
		w.field("- ", txtCoordinator, "")
	}
	if others := p.others(); len(others) > 0 {
		var out []string
		for _, x := range others {
			out = append(out, personText(x)+" – "+roleLabel(x.Role, x.RoleLabel))
		}
		w.field("- ", txtTeam, strings.Join(out, "\n"))
	}
	if len(doc.LegalBasis) > 0 {
		w.field("- ", txtLegalBasis, strings.Join(doc.LegalBasis, "\n"))
	}
	w.blank()

	w.heading(2, secReason)
	if doc.Reason == "" {
		w.para(txtReasonEmpty)
	} else {
		w.para(doc.Reason)
	}

	w.heading(2, secChildVoice)
	w.field("", txtParticipation, label(participationLabels, doc.ChildVoice.Participation))
	w.blank()
	w.field("", txtHowCaptured, doc.ChildVoice.HowCaptured)
	w.blank()
	found := false
	for _, a := range doc.Areas {
		if a.ChildWords == "" && a.ChildVoice == "" {
			continue
		}
		found = true
		w.heading(3, a.Label+" – "+a.ChildLabel)
		if a.ChildWords != "" {
			w.field("", txtOwnWords, quoted(a.ChildWords))
			w.blank()
		}
		if a.ChildVoice != "" {
			v := quoted(a.ChildVoice)
			if a.ChildVoiceBy != "" {
				v += " (" + fmt.Sprintf(txtWrittenBy, a.ChildVoiceBy) + ")"
			}
			w.field("", txtVoiceWritten, v)
			w.blank()
		}
	}
	if !found {
		w.para(txtVoiceEmpty)
	}

	w.heading(2, secGuardians)
	found = false
	for _, a := range doc.Areas {
		if a.GuardiansView != "" {
			found = true
			w.field("", a.Label, a.GuardiansView)
			w.blank()
		}
	}
	if !found {
		w.para(txtGuardiansNone)
	}

	w.heading(2, secNow)
	w.heading(3, txtRatings)
	if len(doc.Perspectives) == 0 {
		w.para(txtNoPerspective)
	} else {
		for _, a := range doc.Areas {
			var parts []string
			for j, ps := range doc.Perspectives {
				var r board.Rating
				if j < len(a.Ratings) {
					r = a.Ratings[j]
				}
				parts = append(parts, ps.Label+": "+ratingText(r))
			}
			w.field("- ", a.Label, strings.Join(parts, "; "))
		}
		w.blank()
	}
	var empty []string
	for _, a := range doc.Areas {
		if a.Works == "" && a.Worries == "" {
			empty = append(empty, a.Label)
			continue
		}
		w.heading(3, a.Label+" – "+a.ChildLabel)
		if a.Works != "" {
			w.field("", txtWorks, a.Works)
			w.blank()
		}
		if a.Worries != "" {
			w.field("", txtWorries, a.Worries)
			w.blank()
		}
	}
	if len(empty) > 0 {
		w.para(fmt.Sprintf(txtAreasEmpty, strings.Join(empty, txtListSep)))
	}

	w.heading(2, secNeeds)
	if len(p.needs) == 0 {
		w.para(txtNeedsEmpty)
	}
	for _, i := range p.needs {
		a := doc.Areas[i]
		title := fmt.Sprintf(txtNeedOther, a.Label)
		if a.Priority > 0 {
			title = fmt.Sprintf(txtNeed, a.Priority, a.Label)
		}
		w.heading(3, title)
		if a.Need != "" {
			w.para(a.Need)
		}
		var last board.GoalTerm = "-"
		for _, g := range goalsInOrder(a.Goals) {
			if g.Term != last {
				if last != "-" {
					w.blank()
				}
				last = g.Term
				switch g.Term {
				case board.GoalLong:
					w.line("**", txtGoalsLong, "**")
					w.blank()
				case board.GoalShort:
					w.line("**", txtGoalsShort, "**")
					w.blank()
				}
			}
			no := fmt.Sprintf(txtGoalN, p.goalNo[g.ID])
			w.field("- ", no, g.Text)
			if g.Evidence != "" {
				w.field("  - ", txtEvidence, g.Evidence)
			}
		}
		if len(a.Goals) > 0 {
			w.blank()
		}
	}

	w.heading(2, secActions)
	if len(doc.Actions) == 0 {
		w.para(txtActionsEmpty)
	}
	for _, a := range doc.Actions {
		w.line("- **", txtColNo, " ", fmt.Sprint(a.N), ".** ", mdEscape(a.What, "  "))
		w.field("  - ", txtColWho, p.actionWho(a))
		w.field("  - ", txtColWhen, actionWhen(a))
		w.field("  - ", txtColFor, p.actionFor(a))
		w.field("  - ", txtColStatus, label(statusLabels, a.Status))
	}
	if len(doc.Actions) > 0 {
		w.blank()
	}

	w.heading(2, secDisagreements)
	found = false
	for _, s := range p.sigs {
		if s.Disagreement == "" {
			continue
		}
		found = true
		who := s.Name + " (" + signerRole(p.doc, s)
		if s.OrgName != "" {
			who += txtListSep + s.OrgName
		}
		w.field("", who+")", quoted(s.Disagreement))
		w.blank()
	}
	if !found {
		w.para(txtDisagreeNone)
	}

	w.heading(2, secResponsible)
	w.field("- ", txtLeadOrg, doc.Responsibility.LeadOrgName)
	if c.Name != "" {
		v := personText(c)
		if c.Contact != "" {
			v += txtListSep + fmt.Sprintf(txtContact, c.Contact)
		}
		w.field("- ", txtCoordinator, v)
	} else {
		w.field("- ", txtCoordinator, "")
	}
	if orgs, numbers := p.actionsPerOrg(); len(orgs) > 0 {
		w.line("- **", txtActionsPerOrg, ":**")
		for _, o := range orgs {
			w.line("  - ", mdEscape(o+": "+strings.Join(numbers[o], txtListSep), "    "))
		}
	}
	w.blank()
	lead := ""
	if doc.Responsibility.LeadOrgName != "" {
		lead = " (" + doc.Responsibility.LeadOrgName + ")"
	}
	w.para(fmt.Sprintf(txtOriginal, lead))

	w.heading(2, secFollowUp)
	or := func(s string) string {
		if s == "" {
			return txtNotDecided
		}
		return s
	}
	w.field("- ", txtFollowDate, or(doc.FollowUp.Date))
	w.field("- ", txtConvener, or(doc.FollowUp.Convener))
	w.blank()

	w.heading(2, secConsents)
	if len(doc.Consents) == 0 {
		w.para(txtConsentsEmpty)
	}
	for _, cs := range doc.Consents {
		w.heading(3, fmt.Sprintf(txtConsentFrom, cs.GivenBy))
		w.field("- ", txtConsentOrgs, strings.Join(cs.Orgs, txtListSep))
		w.field("- ", txtConsentPurpose, cs.Purpose)
		w.field("- ", txtConsentPeriod, cs.ValidFrom+" – "+cs.ValidTo)
		w.field("- ", txtConsentMethod, label(consentMethodLabels, cs.Method))
		if cs.Withdrawn != "" {
			w.line("- **", mdEscape(fmt.Sprintf(txtWithdrawn, cs.Withdrawn), ""), "**")
		}
		w.blank()
	}

	w.heading(2, secNotes)
	if len(doc.Notes) == 0 {
		w.para(txtNotesEmpty)
	}
	for _, n := range doc.Notes {
		w.heading(3, n.Title)
		writeNoteMarkdown(w, parseNote(n.Markdown))
	}

	w.heading(2, secSignatures)
	if len(p.sigs) == 0 {
		w.para(txtSignNone)
	}
	for _, s := range p.sigs {
		role := signerRole(p.doc, s)
		if s.Title != "" {
			role += txtListSep + s.Title
		}
		if s.OrgName != "" {
			role += txtListSep + s.OrgName
		}
		how := signMethod(s)
		if s.Disagreement != "" {
			how += ". " + txtSignDissent
		}
		w.line("- **", mdEscape(s.Name, "  "), "**, ", mdEscape(role+" – "+formatMinute(s.At)+" – "+how, "  "))
	}
	if len(p.sigs) > 0 {
		w.blank()
	}
	if un := p.unsigned(); len(un) > 0 {
		w.para(fmt.Sprintf(txtNotSigned, strings.Join(un, txtListSep)))
	}
	w.para(fmt.Sprintf(txtOriginal, lead))

	w.heading(2, secEvidence)
	w.field("- ", txtDocument, fmt.Sprintf(txtDocumentName, childName(doc.Child), doc.Version))
	w.line("- **", txtMeetingID, ":** ", mdCode(doc.MeetingID))
	w.field("- ", txtStatus, label(planStatusLabels, p.ev.Status))
	w.field("- ", txtFrozen, p.frozenAt())
	w.line("- **", txtSHA, ":** ", mdCode(p.sha))
	w.line("- **", txtCode, ":** ", mdCode(p.code))
	if p.ev.VerifyURL != "" {
		w.field("- ", txtVerifyAt, p.ev.VerifyURL)
	}
	if len(p.ev.ServerSignature) > 0 {
		w.line("- **", txtServerSig, ":** Ed25519, ", txtKeyID, " ", mdCode(p.keyID), ", ", mdCode(base64.StdEncoding.EncodeToString(p.ev.ServerSignature)))
	} else {
		w.field("- ", txtServerSig, txtServerSigNone)
	}
	w.blank()
	w.para(txtTimeNote)
	w.heading(3, txtSignatures)
	for _, s := range p.sigs {
		w.line("- ", mdEscape(formatTime(s.At)+" – "+s.Name+" ("+signerRole(p.doc, s)+") – "+signMethod(s), "  "))
	}
	if len(p.sigs) == 0 {
		w.para(txtSignNone)
	} else {
		w.blank()
	}
	w.heading(3, txtEventLog)
	for _, e := range p.events {
		w.line("- ", mdEscape(formatTime(e.At)+" – "+p.eventText(e)+" – "+p.eventWho(e), "  "))
	}
	if len(p.events) == 0 {
		w.para(txtEventsEmpty)
	}
}

// writeNoteMarkdown writes a note's blocks back as Markdown, one heading level below the
// section's (a note's "#" becomes "####"), with list markers and quote marks in place.
func writeNoteMarkdown(w *mdWriter, blocks []noteBlock) {
	prevCont := ""
	for bi, b := range blocks {
		// Quotes mark every line; a list item's marker goes on the first line of its
		// first block, and its other lines are indented by the marker's width.
		var first, cont strings.Builder
		for i, c := range b.path {
			switch {
			case c.quote:
				first.WriteString("> ")
				cont.WriteString("> ")
			case b.first[i]:
				first.WriteString(c.mdMarker)
				cont.WriteString(strings.Repeat(" ", len(c.mdMarker)))
			default:
				first.WriteString(strings.Repeat(" ", len(c.mdMarker)))
				cont.WriteString(strings.Repeat(" ", len(c.mdMarker)))
			}
		}
		if bi > 0 && !sameTightList(blocks[bi-1], b) {
			w.line(strings.TrimRight(commonPrefix(prevCont, cont.String()), " "))
		}
		prevCont = cont.String()
		switch b.kind {
		case blockPara:
			w.line(first.String(), mdInline(b.spans, cont.String(), true))
		case blockHeading:
			w.line(first.String(), strings.Repeat("#", min(b.level+3, 6)), " ", mdInline(b.spans, cont.String(), false))
		case blockCode:
			fence := "```"
			for strings.Contains(b.code, fence) {
				fence += "`"
			}
			lang := strings.Map(func(r rune) rune {
				if r == '`' || r == '\n' {
					return -1
				}
				return r
			}, mdClean(b.lang))
			w.line(first.String(), fence, lang)
			for _, l := range strings.Split(mdClean(b.code), "\n") {
				w.line(cont.String(), l)
			}
			w.line(cont.String(), fence)
		case blockRule:
			w.line(first.String(), "* * *")
		}
	}
	w.blank()
}

// sameTightList reports whether two blocks in a row sit in the same tight list (as
// siblings or one nested in the other): then no blank line goes between them, or the
// list would come out loose.
func sameTightList(prev, cur noteBlock) bool {
	for i := len(cur.path) - 1; i >= 0; i-- {
		l := cur.path[i].list
		if l == nil {
			continue
		}
		for _, c := range prev.path {
			if c.list == l {
				return l.tight
			}
		}
	}
	return false
}

func commonPrefix(a, b string) string {
	i := 0
	for i < len(a) && i < len(b) && a[i] == b[i] {
		i++
	}
	return a[:i]
}

// mdInline writes spans as inline Markdown: text escaped, styles as delimiters kept
// tight around the words (spaces go outside them, or CommonMark would not see them).
func mdInline(spans []span, cont string, atStart bool) string {
	var b strings.Builder
	lineStart := atStart // block syntax would start here: escape it
	for i := 0; i < len(spans); i++ {
		sp := spans[i]
		if sp.urlNote {
			continue
		}
		if sp.link != "" {
			// the link's text is every following span with the same link
			var text strings.Builder
			j := i
			for ; j < len(spans) && spans[j].link == sp.link && !spans[j].urlNote; j++ {
				text.WriteString(spans[j].text)
			}
			b.WriteString("[" + mdEscape(text.String(), cont) + "](<" + mdEscapeURL(sp.link) + ">)")
			i, lineStart = j-1, false
			continue
		}
		if sp.code {
			b.WriteString(mdCode(sp.text))
			lineStart = false
			continue
		}
		t := sp.text
		lead := t[:len(t)-len(strings.TrimLeft(t, " \n"))]
		t = strings.TrimLeft(t, " \n")
		trail := t[len(strings.TrimRight(t, " \n")):]
		t = strings.TrimRight(t, " \n")
		var open string
		switch sp.style {
		case styleBold:
			open = "**"
		case styleItalic:
			open = "*"
		case styleBoldItalic:
			open = "***"
		}
		if sp.strike {
			open += "~~"
		}
		if s := mdSpaces(lead, cont); s != "" {
			b.WriteString(s)
			lineStart = strings.HasSuffix(s, "\n"+cont)
		}
		if t != "" {
			b.WriteString(open + mdEscapeLines(t, cont, lineStart && open == "") + reverse(open))
			lineStart = false
		}
		if s := mdSpaces(trail, cont); s != "" {
			b.WriteString(s)
			lineStart = strings.HasSuffix(s, "\n"+cont)
		}
	}
	return b.String()
}

func reverse(s string) string {
	r := []byte(s)
	for i, j := 0, len(r)-1; i < j; i, j = i+1, j-1 {
		r[i], r[j] = r[j], r[i]
	}
	return string(r)
}

// mdSpaces keeps a run of spaces and line breaks between styled spans: a line break
// stays a hard break.
func mdSpaces(s, cont string) string {
	if strings.Contains(s, "\n") {
		return "\\\n" + cont
	}
	if s != "" {
		return " "
	}
	return ""
}

// mdCode is s as a code span, fenced with more backticks than s contains in a row.
func mdCode(s string) string {
	s = strings.ReplaceAll(mdClean(s), "\n", " ")
	fence := "`"
	for strings.Contains(s, fence) {
		fence += "`"
	}
	if strings.HasPrefix(s, "`") || strings.HasSuffix(s, "`") || strings.HasPrefix(s, " ") && strings.HasSuffix(s, " ") {
		s = " " + s + " "
	}
	return fence + s + fence
}

func mdEscapeURL(u string) string {
	u = strings.ReplaceAll(mdClean(u), "\n", "")
	return strings.NewReplacer(`\`, `\\`, `<`, `\<`, `>`, `\>`).Replace(u)
}

// mdEscape makes someone's text show as written in rendered Markdown: it escapes the
// characters that start or end inline syntax, quotes and headings (\ ` * _ [ ] < > ~ | &
// #) everywhere, and at the start of a line those that start a block (+ - = and "1." or
// "1)"); the first line counts as one only in mdParagraph. Leading
// spaces are dropped (four would make a code block). Line breaks become hard breaks
// ("\" at the end of a line), continued with cont, the indentation of the enclosing list
// item; an empty line becomes a line holding only the hard break, so a blank line the
// person left does not end the paragraph or the list item.
func mdEscape(s, cont string) string { return mdEscapeLines(s, cont, false) }

// mdParagraph is mdEscape for text that starts a line itself.
func mdParagraph(s string) string { return mdEscapeLines(s, "", true) }

func mdEscapeLines(s, cont string, firstAtStart bool) string {
	s = mdClean(s)
	var b strings.Builder
	b.Grow(len(s) + 8)
	for li, line := range strings.Split(s, "\n") {
		if li > 0 {
			b.WriteString("\\\n")
			b.WriteString(cont)
		}
		line = strings.TrimLeft(line, " \t")
		// block syntax at the start of a line
		switch {
		case line == "" || li == 0 && !firstAtStart:
		case strings.ContainsRune("+-=", rune(line[0])):
			b.WriteByte('\\')
		default:
			if i := strings.IndexFunc(line, func(r rune) bool { return r < '0' || r > '9' }); i > 0 && i <= 9 && (line[i] == '.' || line[i] == ')') {
				b.WriteString(line[:i])
				b.WriteByte('\\')
				line = line[i:]
			}
		}
		for _, r := range line {
			switch r {
			case '\\', '`', '*', '_', '[', ']', '<', '>', '~', '|', '&', '#':
				b.WriteByte('\\')
			}
			b.WriteRune(r)
		}
	}
	return b.String()
}

// mdClean is the Markdown export's sanitising: valid UTF-8 in NFC; tabs as spaces, CR LF
// and CR as line breaks; invalid bytes, other control characters and bidirectional
// controls as □.
func mdClean(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	if !norm.NFC.IsNormalString(s) {
		s = norm.NFC.String(s)
	}
	s = strings.ReplaceAll(s, "\r\n", "\n")
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		switch {
		case r == '\n':
		case r == '\r':
			r = '\n'
		case r == '\t':
			r = ' '
		case r == utf8.RuneError, unicode.IsControl(r), unicode.Is(unicode.Bidi_Control, r):
			b.WriteString(txtPlaceholder)
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}
