package server_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/barnteam/barnteam/server/servertest"
)

// TestLogsHoldNoSecretsOrContent: the log gets a line per request, but never a join
// token, a session, a child's name or anything written on the board.
func TestLogsHoldNoSecretsOrContent(t *testing.T) {
	var log servertest.LogBuffer
	env := servertest.Start(t, servertest.Options{Log: &log})
	link := env.Links["demo-nurse"]
	token := link[strings.LastIndex(link, "/")+1:]
	c := env.Client(t, "demo-nurse")
	marker := "Hemlig anteckning 7731"
	resp, err := c.PostForm(env.BoardURL("demo-nurse")+"op", url.Values{
		"op": {"set"}, "entity": {"compass/halsa"}, "base": {"100000"}, "field": {"works"}, "value": {marker},
	})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	resp, err = c.PostForm(env.BoardURL("demo-nurse")+"op", url.Values{
		"op": {"set"}, "entity": {"compass/fritid"}, "base": {"0"}, "field": {"works"}, "value": {marker},
	})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("edit: status %d", resp.StatusCode)
	}
	get(t, http.DefaultClient, env.URL+"/j/"+strings.Repeat("x", 43)) // a wrong link: 404

	out := log.String()
	if !strings.Contains(out, "route=/j/:token") || !strings.Contains(out, "status=404") {
		t.Fatalf("expected request lines in the log, got:\n%s", out)
	}
	var cookies []string
	u, _ := url.Parse(env.URL)
	for _, ck := range c.Jar.Cookies(u) {
		cookies = append(cookies, ck.Value)
	}
	for _, secret := range append([]string{token, marker, "Alva", "demo-meeting", strings.Repeat("x", 43)}, cookies...) {
		if strings.Contains(out, secret) {
			t.Errorf("the log contains %q:\n%s", secret, out)
		}
	}
}
