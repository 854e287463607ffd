package server_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/barnteam/barnteam/server/servertest"
)

// TestLogsHoldNoSecretsOrContent: the log gets a line per request, but never a join
// token, a password, a session, a lobby key, a person's e-mail address, a child's name or
// anything written on the board, whatever the way in: a failed and a successful login, a
// personal link, "this is me", the lobby decision, board edits.
func TestLogsHoldNoSecretsOrContent(t *testing.T) {
	var log servertest.LogBuffer
	env := servertest.Start(t, servertest.Options{Log: &log})
	link := env.Links["demo-nurse"]
	token := link[strings.LastIndex(link, "/")+1:]

	// A failed login, then the coordinator signs in and lets the nurse in from the lobby.
	wrongPassword := "Fel-lösenord-4471"
	resp, err := servertest.NewClient().PostForm(env.URL+"/login", url.Values{"email": {env.CoordinatorEmail}, "password": {wrongPassword}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("login with a wrong password: status %d, want 401", resp.StatusCode)
	}
	coord := coordinatorOnBoard(t, env)
	c := env.LobbyClient(t, "demo-nurse")
	key := sessionKey(t, env, c, "demo-nurse")
	resp, err = coord.PostForm(env.BoardURL("demo-coord")+"lobby", url.Values{"key": {key}, "decision": {"admit"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK { // the client follows the 303 to the board
		t.Fatalf("letting the nurse in: status %d", resp.StatusCode)
	}

	marker := "Hemlig anteckning 7731"
	resp, err = c.PostForm(env.BoardURL("demo-nurse")+"op", url.Values{
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
	for _, want := range []string{"route=/j/:token", "status=404", "route=/login", "route=/join", "route=/b/:meeting/:member/lobby"} {
		if !strings.Contains(out, want) {
			t.Fatalf("expected %q among the request lines in the log, got:\n%s", want, out)
		}
	}
	secrets := []string{token, marker, "Alva", "demo-meeting", strings.Repeat("x", 43), key,
		env.CoordinatorPassword, wrongPassword, env.CoordinatorEmail}
	u, _ := url.Parse(env.URL)
	for _, jar := range []*http.Client{c, coord} {
		for _, ck := range jar.Jar.Cookies(u) {
			if ck.Value != "" {
				secrets = append(secrets, ck.Value)
			}
		}
	}
	for _, secret := range secrets {
		if strings.Contains(out, secret) {
			t.Errorf("the log contains %q:\n%s", secret, out)
		}
	}
}
