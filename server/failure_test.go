package server_test

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/barnteam/barnteam/server/board"
	"github.com/barnteam/barnteam/server/servertest"
	"github.com/barnteam/barnteam/server/store/pgtest"
	"github.com/barnteam/barnteam/server/store/postgres"
)

// When the database cannot save: the op is refused with "try again" in the person's
// language, nothing is acknowledged or broadcast, the server stays up, and once the
// database is back the client's resend is applied once.

// awaitReject reads a peer's messages until the answer to cid, which must be the
// "unavailable" refusal with a message in Swedish.
func awaitUnavailable(ctx context.Context, t *testing.T, env *servertest.Env, p *peer, cid string) {
	t.Helper()
	for {
		m, err := p.step(ctx)
		if err != nil {
			t.Fatalf("%s: waiting for the refusal of %s: %v", p.member, cid, err)
		}
		if m.T == "event" && m.Change != nil && m.Change.CID == cid {
			t.Fatalf("%s: the op was applied (event %d) although the database could not save it", p.member, m.Seq)
		}
		if m.T == "reject" && m.CID == cid {
			if m.Code != "unavailable" {
				t.Fatalf("%s: refused with %q, want unavailable", p.member, m.Code)
			}
			checkSwedish(t, env, m.Message)
			return
		}
	}
}

func status(t *testing.T, u string) (int, string) {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatalf("GET %s: %v (the server must stay up)", u, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestDatabaseFullPostgreSQL: PostgreSQL refuses every insert into the op log with its
// "disk full" error (SQLSTATE 53100, raised by a trigger), then recovers.
func TestDatabaseFullPostgreSQL(t *testing.T) {
	t.Parallel()
	u := pgtest.Schema(t)
	ctx := testCtx(t, 60*time.Second)
	st, err := postgres.Open(ctx, u, postgres.Options{})
	if err != nil {
		t.Fatal(err)
	}
	env := servertest.Start(t, servertest.Options{Store: st})
	ps := connectPeers(ctx, t, env, "demo-teacher", "demo-ifo")
	a, b := ps[0], ps[1]
	before := storeSeq(t, env)

	admin := pgtest.Connect(t, u)
	defer admin.Close(context.Background())
	if _, err := admin.Exec(ctx, `
		CREATE FUNCTION disk_full() RETURNS trigger LANGUAGE plpgsql AS $$
		BEGIN RAISE EXCEPTION 'could not extend file: No space left on device' USING ERRCODE = '53100'; END $$;
		CREATE TRIGGER disk_full BEFORE INSERT ON ops FOR EACH ROW EXECUTE FUNCTION disk_full();`); err != nil {
		t.Fatal(err)
	}
	op := setOp("compass/fritid", "works", a.model.Compass["fritid"].Works.R, "Spelar fotboll två gånger i veckan.")
	if err := a.send(ctx, op); err != nil {
		t.Fatal(err)
	}
	awaitUnavailable(ctx, t, env, a, op.CID)
	if got := storeSeq(t, env); got != before {
		t.Fatalf("the refused op moved the board from seq %d to %d", before, got)
	}
	if code, _ := status(t, env.URL+"/healthz"); code != http.StatusOK {
		t.Errorf("/healthz while the database refuses writes: %d", code)
	}
	if code, _ := status(t, env.URL+"/readyz"); code != http.StatusOK {
		t.Errorf("/readyz while the database still answers reads: %d, want 200", code)
	}

	// The database is back; the client sends the op again, as the refusal said.
	if _, err := admin.Exec(ctx, `DROP TRIGGER disk_full ON ops`); err != nil {
		t.Fatal(err)
	}
	if err := a.c.sendJSON(ctx, op); err != nil {
		t.Fatal(err)
	}
	o, err := a.await(ctx, op.CID)
	if err != nil {
		t.Fatal(err)
	}
	if o.Code != "" || o.Seq != before+1 {
		t.Fatalf("the resent op: %+v, want applied at %d", o, before+1)
	}
	// The other client got exactly that one event (the peer fails on a duplicate or gap).
	if err := b.catchUp(ctx, before+1); err != nil {
		t.Fatal(err)
	}
	if got, want := b.model.content(), storeModel(t, env).content(); got != want {
		t.Errorf("the other client differs from the store:\n%s", firstDiff(got, want))
	}
}

// TestDatabaseGone: the SQLite database is closed under the running server (as when it
// fails outright). Edits are refused, /readyz says so, and every page that does not need
// the database still works.
func TestDatabaseGone(t *testing.T) {
	t.Parallel()
	env := servertest.Start(t, servertest.Options{})
	ctx := testCtx(t, 30*time.Second)
	a := connectPeers(ctx, t, env, "demo-teacher")[0]
	if err := env.Store.Close(); err != nil {
		t.Fatal(err)
	}
	op := newOp("rate", "compass/fritid", 0, map[string]any{"perspective": board.PerspectiveProfessionals, "value": "4"})
	if err := a.send(ctx, op); err != nil {
		t.Fatal(err)
	}
	awaitUnavailable(ctx, t, env, a, op.CID)
	if code, body := status(t, env.URL+"/readyz"); code != http.StatusServiceUnavailable || !strings.Contains(body, "database") {
		t.Errorf("/readyz with the database gone: %d %q, want 503 naming the database", code, body)
	}
	if code, _ := status(t, env.URL+"/healthz"); code != http.StatusOK {
		t.Errorf("/healthz: %d, want 200 (the process is fine)", code)
	}
	if code, _ := status(t, env.URL+"/"); code != http.StatusOK {
		t.Errorf("the home page: %d, want 200", code)
	}
	// The connection stays open: the refusal was an answer, not a failure.
	if err := a.c.sendJSON(ctx, map[string]any{"t": "presence", "hand": true}); err != nil {
		t.Fatal(err)
	}
	if err := awaitPresence(ctx, a, func(ps []wPerson) bool { p, ok := findPerson(ps, "demo-teacher"); return ok && p.Hand }); err != nil {
		t.Fatalf("the connection after the refusal: %v", err)
	}
}
