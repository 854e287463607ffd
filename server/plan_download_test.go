package server_test

import (
	"bytes"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/barnteam/barnteam/server/board"
	"github.com/barnteam/barnteam/server/demo"
	"github.com/barnteam/barnteam/server/servertest"
)

// Downloads of an established plan and its verification.

// establish freezes the demo meeting's plan and has every required signer approve it;
// it returns everyone's clients, the coordinator's under "demo-coord".
func establish(t testing.TB, env *servertest.Env, clients map[string]*http.Client) map[string]*http.Client {
	t.Helper()
	if clients == nil {
		clients = map[string]*http.Client{"demo-coord": accCoordinator(t, env)}
		for _, m := range []string{"demo-guardian1", "demo-guardian2", "demo-teacher", "demo-nurse", "demo-ifo"} {
			clients[m] = accGuest(t, env, m)
		}
	}
	next := strconv.Itoa(accBoard(t, env).Plan.Version + 1)
	if resp, body := planForm(t, env, clients["demo-coord"], "demo-coord", url.Values{"op": {"freeze"}, "entity": {"plan"}, "d.version": {next}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("freeze: status %d\n%s", resp.StatusCode, accShort(body))
	}
	for _, m := range []string{"demo-coord", "demo-guardian1", "demo-guardian2", "demo-teacher", "demo-nurse", "demo-ifo"} {
		signFromPage(t, env, clients[m], m, "")
	}
	if b := accBoard(t, env); b.Plan.Status != board.PlanEstablished {
		t.Fatalf("the plan is %s after everyone approved", b.Plan.Status)
	}
	return clients
}

func getBytes(t *testing.T, c *http.Client, u string) (*http.Response, []byte) {
	t.Helper()
	resp, body := accGet(t, c, u)
	return resp, []byte(body)
}

// verifyUpload posts a file to /verify/file and returns the page.
func verifyUpload(t *testing.T, env *servertest.Env, pdf []byte) string {
	t.Helper()
	var body bytes.Buffer
	w := multipart.NewWriter(&body)
	part, err := w.CreateFormFile("pdf", "plan.pdf")
	if err != nil {
		t.Fatal(err)
	}
	part.Write(pdf)
	w.Close()
	req, err := http.NewRequest(http.MethodPost, env.URL+"/verify/file", &body)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", w.FormDataContentType())
	resp, page := accDo(t, servertest.NewClient(), req)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("verify a file: status %d\n%s", resp.StatusCode, accShort(page))
	}
	return page
}

// TestPlanDownloadsAndVerify: nothing to download before the plan is established; then
// every participant downloads the same PDF bytes through their own session, the family
// reads it as a page in their language, staff export Markdown and JSON, a download link
// works after the session, every download is audited, and /verify tells an issued PDF,
// a changed one and a superseded one apart, by file and by code.
func TestPlanDownloadsAndVerify(t *testing.T) {
	t.Parallel()
	env := servertest.Start(t, servertest.Options{})
	coord := accCoordinator(t, env)
	if resp, _ := accGetNoRedirect(t, coord, accRoomPath(env, "demo-coord", "plan.pdf")); resp.StatusCode != http.StatusNotFound {
		t.Errorf("the PDF before any plan is established: status %d, want 404", resp.StatusCode)
	}
	clients := establish(t, env, map[string]*http.Client{"demo-coord": coord,
		"demo-guardian1": accGuest(t, env, "demo-guardian1"), "demo-guardian2": accGuest(t, env, "demo-guardian2"),
		"demo-teacher": accGuest(t, env, "demo-teacher"), "demo-nurse": accGuest(t, env, "demo-nurse"), "demo-ifo": accGuest(t, env, "demo-ifo")})

	var first []byte
	for _, m := range []string{"demo-guardian1", "demo-teacher", "demo-coord"} {
		resp, pdf := getBytes(t, clients[m], accRoomPath(env, m, "plan.pdf"))
		if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "application/pdf" || !bytes.HasPrefix(pdf, []byte("%PDF-")) {
			t.Fatalf("%s's PDF: status %d, %s, %q…", m, resp.StatusCode, resp.Header.Get("Content-Type"), pdf[:min(len(pdf), 8)])
		}
		if !strings.Contains(resp.Header.Get("Content-Disposition"), "barnets-plan-Alva-2017-v1.pdf") {
			t.Errorf("%s's PDF is named %q", m, resp.Header.Get("Content-Disposition"))
		}
		if first == nil {
			first = pdf
		} else if !bytes.Equal(pdf, first) {
			t.Errorf("%s got other PDF bytes than the first download", m)
		}
	}

	// The family's copy in their own language (Ahmed reads English).
	resp, page := accGet(t, clients["demo-guardian2"], accRoomPath(env, "demo-guardian2", "plan.html"))
	if resp.StatusCode != http.StatusOK || !strings.Contains(page, `<html lang="en"`) || !strings.Contains(page, "The child&#39;s plan for") {
		t.Errorf("the family's copy: status %d\n%s", resp.StatusCode, accShort(page))
	}
	// Staff exports: the teacher may, a guardian may not.
	if resp, md := accGet(t, clients["demo-teacher"], accRoomPath(env, "demo-teacher", "plan.md")); resp.StatusCode != http.StatusOK || !strings.Contains(md, "Alva") {
		t.Errorf("the Markdown for staff: status %d", resp.StatusCode)
	}
	resp, js := getBytes(t, clients["demo-teacher"], accRoomPath(env, "demo-teacher", "plan.json"))
	v, err := env.Store.PlanVersion(t.Context(), env.MeetingID, 1)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK || !bytes.Equal(js, v.Canonical) {
		t.Errorf("the JSON for staff is not the canonical plan (status %d)", resp.StatusCode)
	}
	for _, form := range []string{"plan.md", "plan.json"} {
		if resp, _ := accGetNoRedirect(t, clients["demo-guardian1"], accRoomPath(env, "demo-guardian1", form)); resp.StatusCode != http.StatusForbidden {
			t.Errorf("a guardian downloading %s: status %d, want 403", form, resp.StatusCode)
		}
	}

	// A download link for after the meeting: shown once, then works without any session.
	resp, _ = accPost(t, clients["demo-guardian1"], accRoomPath(env, "demo-guardian1", "plan/link"), nil, nil)
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("make a download link: status %d", resp.StatusCode)
	}
	_, linkPage := accGet(t, clients["demo-guardian1"], accRoomPath(env, "demo-guardian1", "plan/link"))
	m := regexp.MustCompile(`id="dl-link" [^>]*value="([^"]+)"`).FindStringSubmatch(linkPage)
	if m == nil {
		t.Fatalf("the link page shows no link:\n%s", accShort(linkPage))
	}
	if _, again := accGet(t, clients["demo-guardian1"], accRoomPath(env, "demo-guardian1", "plan/link")); strings.Contains(again, m[1]) {
		t.Errorf("the download link is shown a second time")
	}
	later := servertest.NewClient()
	resp, _ = accGet(t, later, m[1])
	if resp.StatusCode != http.StatusOK || resp.Request.URL.Path != "/p/" {
		t.Fatalf("the download link: status %d at %s", resp.StatusCode, resp.Request.URL.Path)
	}
	if _, pdf := getBytes(t, later, env.URL+"/p/plan.pdf"); !bytes.Equal(pdf, first) {
		t.Errorf("the PDF through the download link differs")
	}
	if n := len(accAuditOf(t, env, board.AuditDownload)); n != 5 { // 3 PDFs, the family's page, the link's PDF
		t.Errorf("%d download audit rows, want 5", n)
	}
	if n := len(accAuditOf(t, env, board.AuditExport)); n != 2 {
		t.Errorf("%d export audit rows, want 2", n)
	}

	// Verify: the issued PDF, a changed byte, the code.
	if page := verifyUpload(t, env, first); !strings.Contains(page, "Äkta och gällande") {
		t.Errorf("the issued PDF does not verify:\n%s", accShort(page))
	}
	changed := bytes.Clone(first)
	changed[len(changed)/2] ^= 1
	if page := verifyUpload(t, env, changed); !strings.Contains(page, "Inte äkta") {
		t.Errorf("a PDF with one byte changed verifies")
	}
	resp, page = accPost(t, servertest.NewClient(), env.URL+"/verify/code", url.Values{"code": {strings.ToLower(v.Code)}}, nil)
	if resp.StatusCode != http.StatusOK || !strings.Contains(page, "Äkta och gällande") || strings.Contains(page, "Alva") {
		t.Errorf("the code: status %d, or the answer names the child\n%s", resp.StatusCode, accShort(page))
	}
	bad := []byte(v.Code)
	// One symbol typed wrong (always another one than the code has).
	if bad[0] == 'A' {
		bad[0] = 'B'
	} else {
		bad[0] = 'A'
	}
	if _, page := accPost(t, servertest.NewClient(), env.URL+"/verify/code", url.Values{"code": {string(bad)}}, nil); !strings.Contains(page, "sexton tecken") && !strings.Contains(page, "Okänd kod") {
		t.Errorf("a mistyped code is not refused")
	}
	if resp, key := accGet(t, servertest.NewClient(), env.URL+"/verify/key.pem"); resp.StatusCode != http.StatusOK || !strings.Contains(key, "BEGIN PUBLIC KEY") {
		t.Errorf("the public key: status %d", resp.StatusCode)
	}

	// A second version supersedes the first.
	if resp, _ := planForm(t, env, coord, "demo-coord", url.Values{"op": {"reopen"}, "entity": {"plan"}, "d.version": {"1"}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("reopen: status %d", resp.StatusCode)
	}
	if resp, _ := getBytes(t, clients["demo-guardian1"], accRoomPath(env, "demo-guardian1", "plan.pdf")); resp.StatusCode != http.StatusOK {
		t.Errorf("version 1 cannot be downloaded while version 2 is drafted: status %d", resp.StatusCode)
	}
	establish(t, env, clients)
	if page := verifyUpload(t, env, first); !strings.Contains(page, "ersatt av version 2") {
		t.Errorf("version 1 is not shown as superseded:\n%s", accShort(page))
	}
	_, second := getBytes(t, clients["demo-guardian1"], accRoomPath(env, "demo-guardian1", "plan.pdf"))
	if bytes.Equal(second, first) {
		t.Errorf("version 2's PDF is version 1's")
	}
	if page := verifyUpload(t, env, second); !strings.Contains(page, "Äkta och gällande") {
		t.Errorf("version 2's PDF does not verify as current")
	}
	// The team's timeline says the same.
	_, team := accGet(t, coord, env.URL+"/teams/"+demo.TeamID)
	for _, want := range []string{"Planen, version 1: ersatt", "Planen, version 2: fastställd"} {
		if !strings.Contains(team, want) {
			t.Errorf("the team's timeline lacks %q", want)
		}
	}
}

// TestPlanPDFDrawnOnce: when the plan is established everyone in the room downloads it at
// once; the PDF is drawn once and every participant gets those bytes.
func TestPlanPDFDrawnOnce(t *testing.T) {
	t.Parallel()
	env := servertest.Start(t, servertest.Options{})
	clients := establish(t, env, nil)
	type got struct {
		member string
		pdf    []byte
		err    error
	}
	results := make(chan got, len(clients))
	for m, c := range clients {
		go func() {
			resp, err := c.Get(accRoomPath(env, m, "plan.pdf"))
			if err != nil {
				results <- got{m, nil, err}
				return
			}
			defer resp.Body.Close()
			pdf, err := io.ReadAll(resp.Body)
			if err == nil && resp.StatusCode != http.StatusOK {
				err = fmt.Errorf("status %d", resp.StatusCode)
			}
			results <- got{m, pdf, err}
		}()
	}
	var first []byte
	for range clients {
		r := <-results
		switch {
		case r.err != nil:
			t.Errorf("%s's download: %v", r.member, r.err)
		case first == nil:
			first = r.pdf
		case !bytes.Equal(r.pdf, first):
			t.Errorf("%s got other PDF bytes", r.member)
		}
	}
	if n := metricValue(t, env, "barnteam_plan_pdfs_made_total"); n != 1 {
		t.Errorf("%d downloads at once drew %v PDFs, want 1", len(clients), n)
	}
}

// TestDownloadLinkGoesWithTheRight: a download link works only while its member may
// have the plan: not after they are removed from the meeting, and not after the consent
// that covered their organisation is withdrawn.
func TestDownloadLinkGoesWithTheRight(t *testing.T) {
	t.Parallel()
	env := servertest.Start(t, servertest.Options{})
	clients := establish(t, env, nil)
	link := func(member string) string {
		t.Helper()
		if resp, _ := accPost(t, clients[member], accRoomPath(env, member, "plan/link"), nil, nil); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("%s makes a download link: status %d", member, resp.StatusCode)
		}
		_, page := accGet(t, clients[member], accRoomPath(env, member, "plan/link"))
		m := regexp.MustCompile(`id="dl-link" [^>]*value="([^"]+)"`).FindStringSubmatch(page)
		if m == nil {
			t.Fatalf("%s's link page shows no link", member)
		}
		return m[1]
	}
	download := func(l string) int {
		t.Helper()
		c := servertest.NewClient()
		accGet(t, c, l)
		resp, _ := accGetNoRedirect(t, c, env.URL+"/p/plan.pdf")
		return resp.StatusCode
	}
	teacher, ifo := link("demo-teacher"), link("demo-ifo")
	if got := download(teacher); got != http.StatusOK {
		t.Fatalf("the teacher's link before anything changed: status %d", got)
	}
	if resp, _ := accPost(t, clients["demo-coord"], accRoomPath(env, "demo-coord", "remove"), url.Values{"member": {"demo-teacher"}}, nil); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("remove the teacher: status %d", resp.StatusCode)
	}
	if got := download(teacher); got == http.StatusOK {
		t.Errorf("the removed teacher's link still downloads the plan")
	}
	if got := download(ifo); got != http.StatusOK {
		t.Fatalf("the social worker's link before the withdrawal: status %d", got)
	}
	for _, id := range []string{"demo-consent-1", "demo-consent-2"} {
		if err := env.Store.WithdrawConsent(t.Context(), id, "demo-user-coord", time.Now()); err != nil {
			t.Fatal(err)
		}
	}
	if got := download(ifo); got == http.StatusOK {
		t.Errorf("the social worker's link still downloads the plan after the consent was withdrawn")
	}
}
