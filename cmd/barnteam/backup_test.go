//go:build unix

package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/barnteam/barnteam/exports"
	"github.com/barnteam/barnteam/server/board"
	"github.com/barnteam/barnteam/server/demo"
	"github.com/barnteam/barnteam/server/store/sqlite"
)

// logOf opens a database file and returns its meeting's seq and op log.
func logOf(t *testing.T, path string) (int64, []board.Change) {
	t.Helper()
	st, err := sqlite.Open(path, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	b, err := st.LoadBoard(context.Background(), demo.MeetingID)
	if err != nil {
		t.Fatal(err)
	}
	chs, err := st.ChangesSince(context.Background(), demo.MeetingID, 0, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	for i, ch := range chs {
		if ch.Seq != int64(i+1) {
			t.Fatalf("%s: log position %d holds seq %d", path, i+1, ch.Seq)
		}
	}
	return b.Seq, chs
}

// TestBackupWhileWritingAndRestore: "barnteam backup" copies the database while a writer
// commits changes as fast as it can; the copy is one consistent moment (its seq is its
// log's length, without gaps) with the signing key. "barnteam restore" refuses to run
// beside a server (the data directory's lock) and refuses a damaged backup, leaving
// everything as it was; otherwise it puts the backup in place and keeps the replaced
// files.
func TestBackupWhileWritingAndRestore(t *testing.T) {
	live := t.TempDir()
	vars := env(map[string]string{"BARNTEAM_DATA": live})
	if _, err := exports.LoadOrCreateSigner(live); err != nil {
		t.Fatal(err)
	}
	st, err := sqlite.Open(filepath.Join(live, dbFile), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, err := demo.Seed(ctx, st, "http://127.0.0.1:8080", time.Now()); err != nil {
		t.Fatal(err)
	}
	seeded, _ := logOf(t, filepath.Join(live, dbFile))

	// A writer that does not stop for the backup.
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var written int64
	wg.Add(1)
	go func() {
		defer wg.Done()
		for seq := seeded + 1; ; seq++ {
			select {
			case <-stop:
				return
			default:
			}
			ch := board.Change{Seq: seq, CID: fmt.Sprint("w", seq), Actor: "demo-coord", Kind: board.OpCreate, Entity: fmt.Sprint("agenda/w", seq),
				Agenda: &board.AgendaItem{ID: fmt.Sprint("w", seq), Pos: "V", Title: board.Text{Value: "Punkt", Rev: seq}, Status: board.AgendaOpen, Rev: seq}}
			if err := st.Commit(ctx, demo.MeetingID, ch); err != nil {
				t.Errorf("commit during the backup: %v", err)
				return
			}
			written = seq
		}
	}()
	// Let some writes through first (a condition, with a deadline).
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(time.Millisecond) {
		if s, _ := logOf(t, filepath.Join(live, dbFile)); s > seeded+20 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the writer made no progress")
		}
	}
	bk := filepath.Join(t.TempDir(), "backup")
	var out bytes.Buffer
	if err := backup([]string{"-to", bk}, vars, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	close(stop)
	wg.Wait()
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	t.Log(strings.TrimSpace(out.String()))
	backedUp, chs := logOf(t, filepath.Join(bk, dbFile))
	if backedUp != int64(len(chs)) || backedUp <= seeded+20 || backedUp > written {
		t.Errorf("the backup is at seq %d with %d changes; want one consistent moment between %d and %d", backedUp, len(chs), seeded+20, written)
	}
	key, _ := os.ReadFile(filepath.Join(live, keyFile))
	if got, err := os.ReadFile(filepath.Join(bk, keyFile)); err != nil || !bytes.Equal(got, key) {
		t.Errorf("the signing key was not backed up: %v", err)
	}
	if fi, err := os.Stat(filepath.Join(bk, dbFile)); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("the backup's mode: %v %v, want 0600", fi.Mode(), err)
	}
	if err := backup([]string{"-to", bk}, vars, io.Discard, io.Discard); err == nil {
		t.Error("a second backup into the same directory was made")
	}

	// Not beside a running server.
	release, err := lockDataDir(live)
	if err != nil {
		t.Fatal(err)
	}
	if err := restore([]string{"-from", bk}, vars, io.Discard, io.Discard); err == nil || !strings.Contains(err.Error(), "in use") {
		t.Errorf("restore beside a running server: %v, want a refusal", err)
	}
	if err := serve([]string{"-addr", "127.0.0.1:0"}, vars, io.Discard, io.Discard); err == nil || !strings.Contains(err.Error(), "in use") {
		t.Errorf("a second server on the same data directory: %v, want a refusal", err)
	}
	release()

	// Not a damaged backup.
	bad := t.TempDir()
	if err := os.WriteFile(filepath.Join(bad, dbFile), bytes.Repeat([]byte("x"), 8192), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := restore([]string{"-from", bad}, vars, io.Discard, io.Discard); err == nil {
		t.Error("a damaged backup was restored")
	}
	if s, _ := logOf(t, filepath.Join(live, dbFile)); s != written {
		t.Errorf("after the refused restore the database is at seq %d, want %d as before", s, written)
	}

	// The restore.
	out.Reset()
	if err := restore([]string{"-from", bk}, vars, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	t.Log(strings.TrimSpace(out.String()))
	if s, _ := logOf(t, filepath.Join(live, dbFile)); s != backedUp {
		t.Errorf("after the restore the database is at seq %d, want the backup's %d", s, backedUp)
	}
	kept, _ := filepath.Glob(filepath.Join(live, dbFile+".replaced-*"))
	if len(kept) != 1 {
		t.Fatalf("replaced files kept: %v, want the old database", kept)
	}
	if s, _ := logOf(t, kept[0]); s != written {
		t.Errorf("the kept database is at seq %d, want %d", s, written)
	}
}

// TestWrongSigningKeyRefused: a server whose data directory holds another key than the
// one that sealed this database's plans does not start, and says what to do.
func TestWrongSigningKeyRefused(t *testing.T) {
	dir := t.TempDir()
	st, err := sqlite.Open(filepath.Join(dir, dbFile), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.ClaimSigningKey(context.Background(), "0123456789abcdef"); err != nil {
		t.Fatal(err)
	}
	st.Close()
	err = serve([]string{"-addr", "127.0.0.1:0"}, env(map[string]string{"BARNTEAM_DATA": dir}), io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "0123456789abcdef") || !strings.Contains(err.Error(), keyFile) {
		t.Errorf("a server with another key: %v, want a refusal naming both keys and the file", err)
	}
}
