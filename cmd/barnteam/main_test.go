package main

import (
	"bytes"
	"context"
	"io"
	"path/filepath"
	"strings"
	"testing"

	"github.com/barnteam/barnteam/server/store/sqlite"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestParseConfigFlagsWinOverEnvironment(t *testing.T) {
	cfg, err := parseConfigFor(t, []string{"-addr", "127.0.0.1:9999"}, map[string]string{
		"BARNTEAM_ADDR": "0.0.0.0:1", "BARNTEAM_DATA": "/srv/bt", "BARNTEAM_DEMO": "true",
	})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Addr != "127.0.0.1:9999" || cfg.DataDir != "/srv/bt" || !cfg.Demo || cfg.BaseURL != "http://127.0.0.1:9999" {
		t.Errorf("config = %+v", cfg)
	}
	if _, err := parseConfigFor(t, []string{"stray"}, nil); err == nil {
		t.Error("a stray argument was accepted")
	}
}

func parseConfigFor(t *testing.T, args []string, vars map[string]string) (Config, error) {
	t.Helper()
	return parseConfig(newFlagSet(), args, env(vars), io.Discard)
}

// TestUserAdd: "barnteam user add" creates the account and prints a one-time link to set
// the password; a bad e-mail address is refused with a readable message and nothing made.
func TestUserAdd(t *testing.T) {
	dir := t.TempDir()
	vars := env(map[string]string{"BARNTEAM_DATA": dir, "BARNTEAM_BASE_URL": "https://barnteam.example.se"})
	var out bytes.Buffer
	if err := userAdd([]string{"-email", "Anna.Berg@Kommun.se", "-name", "Anna Berg", "-title", "Kurator", "-admin"}, vars, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "https://barnteam.example.se/a/") {
		t.Errorf("no one-time link in %q", out.String())
	}
	err := userAdd([]string{"-email", "inte en adress", "-name", "X"}, vars, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "e-mail") {
		t.Errorf("bad e-mail: err %v, want a readable refusal", err)
	}
	st, err := sqlite.Open(filepath.Join(dir, "barnteam.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	u, err := st.UserByEmail(context.Background(), "anna.berg@kommun.se")
	if err != nil {
		t.Fatal(err)
	}
	if !u.Admin || u.Title != "Kurator" || u.PasswordHash != "" {
		t.Errorf("user = %+v: want an admin with no password until the link is used", u)
	}
	users, _ := st.Users(context.Background())
	if len(users) != 1 {
		t.Errorf("%d users, want 1 (the refused one must not be made)", len(users))
	}
}
