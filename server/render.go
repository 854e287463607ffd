package server

import (
	"bytes"
	"fmt"
	"html/template"
	"io/fs"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/extension"

	"github.com/barnteam/barnteam/server/board"
	"github.com/barnteam/barnteam/server/compass"
	"github.com/barnteam/barnteam/server/i18n"
	"github.com/barnteam/barnteam/server/realtime"
	"github.com/barnteam/barnteam/server/secret"
	"github.com/barnteam/barnteam/templates"
)

// views holds the parsed templates: the shared base (layout and board fragments) and one
// clone per page, so each page can define its own "body".
type views struct {
	base  *template.Template
	pages map[string]*template.Template
	cat   *i18n.Catalog
	md    goldmark.Markdown
}

func newViews(cat *i18n.Catalog, assetURL func(string) string) (*views, error) {
	v := &views{
		cat:   cat,
		pages: map[string]*template.Template{},
		// Raw HTML in notes is dropped (goldmark's default; never WithUnsafe) and
		// dangerous link schemes are not rendered as links.
		md: goldmark.New(goldmark.WithExtensions(extension.Strikethrough, extension.Linkify)),
	}
	// The base holds the layout and every live region's template (fragments*.html): the
	// board's, the child view's and the shared screen's.
	base, err := template.New("base").Funcs(v.funcs(assetURL)).ParseFS(templates.FS, "layout.html", "fragments*.html")
	if err != nil {
		return nil, err
	}
	v.base = base
	pages, err := fs.Glob(templates.FS, "*.html")
	if err != nil {
		return nil, err
	}
	for _, name := range pages {
		if name == "layout.html" || strings.HasPrefix(name, "fragments") {
			continue
		}
		t, err := template.Must(base.Clone()).ParseFS(templates.FS, name)
		if err != nil {
			return nil, err
		}
		v.pages[strings.TrimSuffix(name, ".html")] = t
	}
	return v, nil
}

func (v *views) funcs(assetURL func(string) string) template.FuncMap {
	return template.FuncMap{
		"asset": assetURL,
		"dict": func(kv ...any) (map[string]any, error) {
			if len(kv)%2 != 0 {
				return nil, fmt.Errorf("dict: odd number of arguments")
			}
			m := make(map[string]any, len(kv)/2)
			for i := 0; i < len(kv); i += 2 {
				k, ok := kv[i].(string)
				if !ok {
					return nil, fmt.Errorf("dict: key %v is not a string", kv[i])
				}
				m[k] = kv[i+1]
			}
			return m, nil
		},
		"list":   func(xs ...string) []string { return xs },
		"str":    func(x any) string { return fmt.Sprint(x) },
		"inc":    func(i int) int { return i + 1 },
		"dec":    func(i int) int { return i - 1 },
		"newCID": func() string { return "f" + secret.ID(21) },
		"fieldID": func(entity, field string) string {
			return "f-" + strings.NewReplacer("/", "-", "#", "-").Replace(entity) + "-" + field
		},
		"fieldText": func(e *board.CompassEntry, f string) board.Text {
			switch f {
			case "works":
				return e.Works
			case "worries":
				return e.Worries
			case "child_voice":
				return e.ChildVoice
			case "guardians_view":
				return e.GuardiansView
			case "need":
				return e.Need
			}
			return board.Text{}
		},
		"markdown":  v.markdown,
		"planNeeds": planNeeds,
		"dateOf":    dateOf,
		"areaLabel": func(p i18n.Printer, a board.Area) string {
			return p.T("area." + string(a))
		},
		// face is a decorative face for a rating, next to its words (the words carry it).
		"face": func(r any, size int) template.HTML {
			return template.HTML(compass.Face(board.Rating(fmt.Sprint(r)), 5, "", size)) // compass escapes what it writes
		},
		// pictogram is an area's pictogram, decorative (the area's words are next to it).
		"pictogram": func(a board.Area, size int) template.HTML {
			return template.HTML(compass.Pictogram(a, "", size)) // compass escapes what it writes
		},
		"ratingLabel": func(p i18n.Printer, r any) string {
			return p.T("rating." + fmt.Sprint(r))
		},
		"roleLabel": func(p i18n.Printer, r any) string {
			return p.T("role." + fmt.Sprint(r))
		},
		"memberName": func(d *board.Directory, id string) string {
			if m, ok := d.Member(id); ok {
				return m.Name
			}
			return "?"
		},
		"responsible": func(p i18n.Printer, d *board.Directory, x *board.Action) template.HTML {
			if m, ok := d.Member(x.ResponsibleMember); ok && x.ResponsibleMember != "" {
				s := "<bdi>" + template.HTMLEscapeString(m.Name) + "</bdi>"
				if o, ok := d.Org(m.OrgID); ok && m.OrgID != "" {
					s += ", <bdi>" + template.HTMLEscapeString(o.Name) + "</bdi>"
				}
				return template.HTML(s)
			}
			if o, ok := d.Org(x.ResponsibleOrg); ok && x.ResponsibleOrg != "" {
				return template.HTML("<bdi>" + template.HTMLEscapeString(o.Name) + "</bdi>")
			}
			return template.HTML(template.HTMLEscapeString(p.T("common.not_set")))
		},
		"truncate": truncate,
		"opHidden": opHidden,
	}
}

// markdown renders notes to safe HTML: goldmark without raw HTML.
func (v *views) markdown(s string) template.HTML {
	var buf bytes.Buffer
	if err := v.md.Convert([]byte(s), &buf); err != nil {
		return template.HTML(template.HTMLEscapeString(s))
	}
	return template.HTML(buf.String())
}

// page renders a full page.
func (v *views) page(w *bytes.Buffer, name string, data any) error {
	t, ok := v.pages[name]
	if !ok {
		return fmt.Errorf("no page %q", name)
	}
	return t.ExecuteTemplate(w, "layout", data)
}

// perspective is one rating column as the board shows it.
type perspective struct {
	Key   string
	Label string
}

// fragData is what every board fragment template gets. The region templates that show one
// item or one field get a copy with Agenda, Action or Field set.
type fragData struct {
	P     i18n.Printer
	V     realtime.Variant
	B     *board.Board
	D     *board.Directory
	Area  board.Area
	Areas []board.Area
	// OpURL is relative ("op"): fragments are shared by every connection of a variant, and
	// each page lives at /b/<meeting>/<member>/, so a form posts to its own member's URL.
	OpURL string
	// Perspectives lists the rating perspectives side by side: the child, each guardian,
	// the professionals. Never averaged.
	Perspectives []perspective

	Field  string      // a compass text field ("works", …)
	Agenda agendaEntry // one agenda item with its place in the list
	Action actionEntry // one action with its place in the list

	childSignAge int              // from the configuration, for the plan's required signers
	now          func() time.Time // the server's clock (timers and the meeting's clock)

	// Drawing actions' items once (render_cache.go): the templates, the kept items, and
	// for an entry of ActionEntries the goals' hash.
	views   *views
	items   *itemCache
	keeping bool // drawing an item to keep: the goal picker's options become a slot
}

// listPos is an item's place in an ordered list, as the move buttons need it.
type listPos struct {
	CanUp, CanDown bool
	UpAfter        string // the id to place the item after to move it up ("" = first)
	DownAfter      string // the id to place it after to move it down
}

type agendaEntry struct {
	Item    *board.AgendaItem
	N       int // 1-based number shown to people
	Current bool
	Pos     listPos
}

type actionEntry struct {
	Item *board.Action
	N    int
	Pos  listPos
}

// positions computes every item's place for move buttons from the ordered ids.
func positions(ids []string) []listPos {
	out := make([]listPos, len(ids))
	for i := range ids {
		p := &out[i]
		if i > 0 {
			p.CanUp = true
			if i > 1 {
				p.UpAfter = ids[i-2]
			}
		}
		if i+1 < len(ids) {
			p.CanDown, p.DownAfter = true, ids[i+1]
		}
	}
	return out
}

// AgendaEntries returns a fragData per live agenda item, in order.
func (d fragData) AgendaEntries() []fragData {
	return entries(d, d.B.AgendaList(), func(it *board.AgendaItem) string { return it.ID },
		func(e *fragData, it *board.AgendaItem, n int, pos listPos) {
			e.Agenda = agendaEntry{Item: it, N: n, Current: it.ID == d.B.Meeting.CurrentItem, Pos: pos}
		})
}

// ActionEntries returns a fragData per live action, in order.
func (d fragData) ActionEntries() []fragData {
	return entries(d, d.B.ActionList(), func(x *board.Action) string { return x.ID },
		func(e *fragData, x *board.Action, n int, pos listPos) {
			e.Action = actionEntry{Item: x, N: n, Pos: pos}
		})
}

// entries makes one copy of d per item of an ordered list, with the item's number and its
// neighbours for the move buttons set by fill.
func entries[T any](d fragData, items []T, id func(T) string, fill func(*fragData, T, int, listPos)) []fragData {
	ids := make([]string, len(items))
	for i, x := range items {
		ids[i] = id(x)
	}
	pos := positions(ids)
	out := make([]fragData, len(items))
	for i, x := range items {
		out[i] = d
		fill(&out[i], x, i+1, pos[i])
	}
	return out
}

// WithField returns a copy for one compass text field.
func (d fragData) WithField(f string) fragData {
	d.Field = f
	return d
}

// Can reports whether the variant's role holds a permission (for showing controls; the
// server checks again on every op). While the plan is frozen nothing of its content can
// be changed, so no control for it is shown.
func (d fragData) Can(p string) bool {
	perm := board.Perm(p)
	if !board.Can(d.V.Role, perm) {
		return false
	}
	command := perm == board.PermPlanSign || perm == board.PermPlanFreeze || perm == board.PermMeetingControl
	switch d.B.Phase() {
	case board.PhaseClosed:
		return false
	case board.PhaseSigning:
		return command
	case board.PhaseDraft:
		// The professionals prepare; the family writes once the meeting is open.
		return command || d.V.Role.IsStaff()
	}
	return true
}

// Entry is a compass area as the variant may see it (the child's unshared answer only
// for the child and the coordinator).
func (d fragData) Entry(a board.Area) *board.CompassEntry {
	return d.B.Compass[a].ForViewer(d.SeesPrivate())
}

// Drawing is the needs compass's radar for the variant.
func (d fragData) Drawing() compassDrawing {
	return drawCompass(d.P, d.B, d.D, d.SeesPrivate(), "compass-radar", 0)
}

// SeesPrivate reports whether the variant sees the child's answers before they are shared.
func (d fragData) SeesPrivate() bool { return d.V.Private }

// CanWriteField reports whether the variant may write the compass field d.Field.
func (d fragData) CanWriteField() bool {
	p := board.PermCompassWrite
	switch d.Field {
	case "child_voice":
		p = board.PermChildVoice
	case "guardians_view":
		p = board.PermGuardiansView
	}
	return d.Can(string(p))
}

// CurrentItem returns the current agenda item, if any.
func (d fragData) CurrentItem() *board.AgendaItem {
	it := d.B.Agenda[d.B.Meeting.CurrentItem]
	if it == nil || it.Deleted {
		return nil
	}
	return it
}

// boardRenderer implements realtime.Renderer with the templates.
type boardRenderer struct {
	v            *views
	childSignAge int              // from the configuration (0: the default), for the plan's progress
	now          func() time.Time // the server's clock (tests move it)
	items        *itemCache       // actions' items drawn before (nil: none kept)
}

var _ realtime.Renderer = boardRenderer{}

func (r boardRenderer) data(v realtime.Variant, b *board.Board, d *board.Directory) fragData {
	p := r.v.cat.Printer(v.Lang)
	persp := []perspective{{board.PerspectiveChild, p.T("rating.perspective.child", "name", d.Team.ChildFirstName)}}
	for _, m := range d.Members {
		if m.Role == board.RoleGuardian {
			persp = append(persp, perspective{board.GuardianPerspective(m.ID), p.T("rating.perspective.guardian", "name", m.Name)})
		}
	}
	persp = append(persp, perspective{board.PerspectiveProfessionals, p.T("rating.perspective.professionals")})
	now := r.now
	if now == nil {
		now = time.Now
	}
	return fragData{P: p, V: v, B: b, D: d, Areas: board.Areas, OpURL: "op", Perspectives: persp, childSignAge: r.childSignAge, now: now,
		views: r.v, items: r.items}
}

func (r boardRenderer) frag(target, tpl string, data fragData) (realtime.Fragment, error) {
	var buf bytes.Buffer
	if err := r.v.base.ExecuteTemplate(&buf, tpl, data); err != nil {
		return realtime.Fragment{}, err
	}
	return realtime.Fragment{Target: target, HTML: buf.String()}, nil
}

// The views a participant can have of a meeting: the board, the child view (child.go)
// and the room's shared screen (screen.go). Each renders its own regions.
const (
	viewBoard  = realtime.ViewBoard
	viewChild  = realtime.ViewChild
	viewScreen = realtime.ViewScreen
)

// Board renders every region.
func (r boardRenderer) Board(v realtime.Variant, b *board.Board, d *board.Directory) ([]realtime.Fragment, error) {
	switch v.View {
	case viewScreen:
		return r.renderRegions(screenRegions(r.data(v, b, d), nil))
	case viewChild:
		return r.renderRegions(childRegions(r.data(v, b, d), nil))
	}
	data := r.data(v, b, d)
	out := make([]realtime.Fragment, 0, 3+len(board.Areas))
	for _, x := range []struct{ target, tpl string }{{"meeting-status", "meeting-status"}, {"agenda", "agenda"}, {"compass-drawing", "compass-drawing"}, {"actions", "actions"}, {"plan", "plan"}, {"round", "round"}} {
		f, err := r.frag(x.target, x.tpl, data)
		if err != nil {
			return nil, err
		}
		out = append(out, f)
	}
	for _, a := range board.Areas {
		data.Area = a
		f, err := r.frag("area-"+string(a), "area", data)
		if err != nil {
			return nil, err
		}
		out = append(out, f)
	}
	return out, nil
}

// Change renders the regions one change touched, and announces it politely.
func (r boardRenderer) Change(v realtime.Variant, b *board.Board, d *board.Directory, ch *board.Change) ([]realtime.Fragment, string, error) {
	data := r.data(v, b, d)
	// The child's unshared answer: others get nothing to see and nothing announced. Taking
	// a share back is the exception: their view must lose the answer, silently.
	hidden := childPrivate(ch, d) && !data.SeesPrivate()
	if hidden && ch.Kind != board.OpShare {
		return nil, "", nil
	}
	switch v.View {
	case viewScreen:
		frags, err := r.renderRegions(screenRegions(data, ch))
		return frags, "", err
	case viewChild:
		frags, err := r.renderRegions(childRegions(data, ch))
		return frags, "", err
	}
	who := "?"
	if m, ok := d.Member(ch.Actor); ok {
		who = m.Name
	}
	var regions []region
	var announce string
	switch {
	case ch.Kind == board.OpFreeze || ch.Kind == board.OpReopen:
		// Every control of the board appears or goes: the whole board again.
		frags, err := r.Board(v, b, d)
		key := "announce.plan_frozen"
		if ch.Kind == board.OpReopen {
			key = "announce.plan_reopened"
		}
		return frags, data.P.T(key, "version", b.Plan.Version), err
	case ch.Plan != nil:
		regions = []region{{"plan", "plan", data}}
		announce = data.P.T("announce.plan", "name", who)
		if ch.Kind == board.OpSign {
			pv := data.PlanView()
			announce = data.P.T("announce.plan_signed", "signed", pv.Signed, "total", pv.Required)
			if b.Plan.Status == board.PlanEstablished {
				announce = data.P.T("announce.plan_established", "version", b.Plan.Version)
			}
		}
	case ch.Kind == board.OpPhase:
		// Who may write what changes with the phase: the whole board again.
		frags, err := r.Board(v, b, d)
		return frags, data.P.T("announce.phase", "phase", data.P.T(fmt.Sprintf("meeting.phase.%s", b.Phase()))), err
	case ch.Kind == board.OpTimer:
		regions = []region{{"meeting-status", "meeting-status", data}}
		announce = timerAnnouncement(data.P, ch, data.now())
	case ch.Kind == board.OpRound:
		regions = []region{{"round", "round", data}}
		if b.Meeting.Round == nil || len(b.Meeting.Round.Spoken) == 0 {
			announce = data.P.T("announce.round", "name", who)
		}
	case ch.Meeting != nil:
		regions = []region{{"meeting-status", "meeting-status", data}, {"agenda", "agenda", data}}
		title := ""
		if it := data.CurrentItem(); it != nil {
			title = it.Title.Value
		}
		announce = data.P.T("announce.meeting", "name", who, "title", title)
	case ch.Agenda != nil:
		regions = agendaRegions(data, ch)
		announce = data.P.T("announce.agenda", "name", who)
	case ch.Compass != nil:
		data.Area = ch.Compass.Area
		if ch.Kind == board.OpRate || ch.Kind == board.OpShare || ch.Field == "child_words" {
			// The ratings region also shows the child's own words and whether they are shared.
			regions = []region{{"area-" + string(data.Area) + "-ratings", "area-ratings", data}}
			if ch.Kind != board.OpSet {
				regions = append(regions, region{"compass-drawing", "compass-drawing", data})
			}
		} else if ch.Field == "priority" {
			regions = []region{{"t-compass-" + string(data.Area) + "-priority", "compass-priority", data}}
		} else {
			regions = []region{{"t-compass-" + string(data.Area) + "-" + ch.Field, "compass-text", data.WithField(ch.Field)}}
		}
		switch {
		case hidden:
		case ch.Kind == board.OpShare:
			announce = data.P.T("announce.child_shared", "name", who, "area", data.P.T("area."+string(ch.Compass.Area)))
		default:
			announce = data.P.T("announce.compass", "name", who, "area", data.P.T("area."+string(ch.Compass.Area)))
		}
	case ch.Goal != nil:
		// Goals also appear in every action (the linked goal, the goal picker).
		data.Area = ch.Goal.Area
		regions = []region{{"area-" + string(data.Area) + "-goals", "area-goals", data}, {"actions", "actions", data}}
		announce = data.P.T("announce.goal", "name", who, "area", data.P.T("area."+string(ch.Goal.Area)))
	case ch.Action != nil:
		regions = actionRegions(data, ch)
		announce = data.P.T("announce.action", "name", who)
	}
	out, err := r.renderRegions(regions)
	return out, announce, err
}

// ChangeVariant: on the board, only the rating form (the area's ratings region) and the
// whole board are drawn for the viewer's own rating perspective; every other change
// looks the same to viewers who differ only in it.
func (r boardRenderer) ChangeVariant(v realtime.Variant, ch *board.Change) realtime.Variant {
	if v.View != viewBoard {
		return v
	}
	switch {
	case ch.Kind == board.OpFreeze || ch.Kind == board.OpReopen || ch.Kind == board.OpPhase:
	case ch.Compass != nil && (ch.Kind == board.OpRate || ch.Kind == board.OpShare || ch.Field == "child_words"):
	default:
		v.Perspective = ""
	}
	return v
}

// renderRegions renders each region with its template.
func (r boardRenderer) renderRegions(regions []region) ([]realtime.Fragment, error) {
	out := make([]realtime.Fragment, 0, len(regions))
	for _, x := range regions {
		f, err := r.frag(x.target, x.tpl, x.data)
		if err != nil {
			return nil, err
		}
		out = append(out, f)
	}
	return out, nil
}

// region is one element to re-render: its id, its template and the template's data.
type region struct {
	target, tpl string
	data        fragData
}

// agendaRegions: a change to one item's fields re-renders that item; anything that
// changes the list (create, move, delete) re-renders the list, whose numbering and move
// buttons depend on every item.
func agendaRegions(data fragData, ch *board.Change) []region {
	status := region{"meeting-status", "meeting-status", data}
	if ch.Kind == board.OpSet {
		for _, e := range data.AgendaEntries() {
			if e.Agenda.Item.ID == ch.Agenda.ID {
				out := []region{{"ag-" + ch.Agenda.ID, "agenda-item", e}}
				if e.Agenda.Current && ch.Field == "title" {
					out = append(out, status)
				}
				return out
			}
		}
	}
	return []region{status, {"agenda", "agenda", data}}
}

// actionRegions works like agendaRegions for the actions. Each goal lists the actions
// linked to it (their "what", in order), so an action's goal's area is re-rendered when
// the action appears, goes, moves or is renamed; a changed link re-renders every area's
// goals, since the goal it was linked to before is not known here.
func actionRegions(data fragData, ch *board.Change) []region {
	out := []region{{"actions", "actions", data}}
	if ch.Kind == board.OpSet {
		for _, e := range data.ActionEntries() {
			if e.Action.Item.ID == ch.Action.ID {
				out = []region{{"act-" + ch.Action.ID, "action-item", e}}
			}
		}
	}
	goalArea := func(a board.Area) region {
		d := data
		d.Area = a
		return region{"area-" + string(a) + "-goals", "area-goals", d}
	}
	switch {
	case ch.Field == "goal_id":
		for _, a := range board.Areas {
			out = append(out, goalArea(a))
		}
	case ch.Action.GoalID != "" && (ch.Kind != board.OpSet || ch.Field == "what"):
		if g, ok := data.B.Goals[ch.Action.GoalID]; ok {
			out = append(out, goalArea(g.Area))
		}
	}
	return out
}

type presenceData struct {
	P      i18n.Printer
	People []realtime.PresenceEntry
	Lead   bool // the viewer leads the meeting: the queue has "give the floor" buttons
}

// Queue lists the raised hands in the order they went up.
func (d presenceData) Queue() []realtime.PresenceEntry {
	var q []realtime.PresenceEntry
	for _, p := range d.People {
		if p.Hand {
			q = append(q, p)
		}
	}
	sort.SliceStable(q, func(i, j int) bool { return q[i].HandOrder < q[j].HandOrder })
	return q
}

// Presence renders the participants region.
func (r boardRenderer) Presence(lang string, lead bool, d *board.Directory, people []realtime.PresenceEntry) ([]realtime.Fragment, error) {
	var buf bytes.Buffer
	if err := r.v.base.ExecuteTemplate(&buf, "presence", presenceData{P: r.v.cat.Printer(lang), People: people, Lead: lead}); err != nil {
		return nil, err
	}
	return []realtime.Fragment{{Target: "presence", HTML: buf.String()}}, nil
}

// controlData is the data of the room-control region.
type controlData struct {
	P       i18n.Printer
	D       *board.Directory
	Waiting []realtime.LobbyEntry
	// Phase: in a draft nobody is let in yet; the meeting must be opened first.
	Phase board.Phase
	// Staff are the members who can take the lead: professionals with an account.
	Staff []board.Member
}

// Lobby renders the region from which the meeting's leader runs the room: who waits in
// the lobby, who is in the team, the co-facilitator and the hand-over.
func (r boardRenderer) Lobby(lang string, phase board.Phase, d *board.Directory, waiting []realtime.LobbyEntry) ([]realtime.Fragment, error) {
	data := controlData{P: r.v.cat.Printer(lang), D: d, Waiting: waiting, Phase: phase}
	for _, m := range d.Members {
		if m.Role.IsStaff() && m.Role != board.RoleCoordinator && m.UserID != "" {
			data.Staff = append(data.Staff, m)
		}
	}
	var buf bytes.Buffer
	if err := r.v.base.ExecuteTemplate(&buf, "room-control", data); err != nil {
		return nil, err
	}
	return []realtime.Fragment{{Target: "room-control", HTML: buf.String()}}, nil
}

// Message looks up a refusal message.
func (r boardRenderer) Message(lang, key string, args ...any) string {
	return r.v.cat.T(lang, key, args...)
}

// truncate shortens s to n characters and an ellipsis.
func truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n]) + "…"
}
