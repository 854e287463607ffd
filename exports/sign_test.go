package exports

import (
	"bytes"
	"crypto/ed25519"
	"crypto/x509"
	"encoding/pem"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"testing"
)

func TestSignAndVerify(t *testing.T) {
	s, err := LoadOrCreateSigner(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	canon := mustCanonical(t, fixtureDoc())
	sig := s.Sign(canon)
	if !Verify(canon, sig, s.PublicKey()) {
		t.Fatal("own signature does not verify")
	}
	for _, i := range []int{0, len(canon) / 2, len(canon) - 1} {
		tampered := bytes.Clone(canon)
		tampered[i] ^= 0x01
		if Verify(tampered, sig, s.PublicKey()) {
			t.Errorf("tampered byte %d verified", i)
		}
	}
	badSig := bytes.Clone(sig)
	badSig[10] ^= 0x80
	other, _ := LoadOrCreateSigner(t.TempDir())
	for name, ok := range map[string]bool{
		"tampered signature": Verify(canon, badSig, s.PublicKey()),
		"another key":        Verify(canon, sig, other.PublicKey()),
		"short key":          Verify(canon, sig, s.PublicKey()[:31]),
		"nil key":            Verify(canon, sig, nil),
		"short signature":    Verify(canon, sig[:63], s.PublicKey()),
		"nil signature":      Verify(canon, nil, s.PublicKey()),
	} {
		if ok {
			t.Errorf("%s verified", name)
		}
	}
	if len(s.KeyID()) != 16 || s.KeyID() != KeyID(s.PublicKey()) || s.KeyID() == other.KeyID() {
		t.Errorf("key ids %q %q", s.KeyID(), other.KeyID())
	}
	block, _ := pem.Decode(s.PublicKeyPEM())
	if block == nil || block.Type != "PUBLIC KEY" {
		t.Fatal("public key PEM")
	}
	pub, err := x509.ParsePKIXPublicKey(block.Bytes)
	if err != nil || !pub.(ed25519.PublicKey).Equal(s.PublicKey()) {
		t.Errorf("published key does not parse back: %v", err)
	}
}

func TestKeyFileCreatedOnceAndReused(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data") // does not exist yet
	first, err := LoadOrCreateSigner(dir)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, KeyFileName)
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if runtime.GOOS != "windows" && fi.Mode().Perm() != 0o600 {
		t.Errorf("key file mode %v, want 0600", fi.Mode().Perm())
	}
	before, _ := os.ReadFile(path)
	if !bytes.HasPrefix(before, []byte("-----BEGIN PRIVATE KEY-----\n")) {
		t.Errorf("key file is not a PEM private key: %.40q", before)
	}
	second, err := LoadOrCreateSigner(dir)
	if err != nil {
		t.Fatal(err)
	}
	if !second.PublicKey().Equal(first.PublicKey()) {
		t.Error("second load made a new key")
	}
	after, _ := os.ReadFile(path)
	if !bytes.Equal(before, after) {
		t.Error("key file rewritten")
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("data directory holds %d entries, want only the key (no temporary files left)", len(entries))
	}
	// a signature made before a restart verifies with the key loaded after it
	canon := []byte(`{"a":1}`)
	if !Verify(canon, first.Sign(canon), second.PublicKey()) {
		t.Error("signature from the first load does not verify with the second")
	}
}

func TestKeyFileCreatedOnceUnderConcurrency(t *testing.T) {
	dir := t.TempDir()
	const n = 8
	keys := make([]ed25519.PublicKey, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			s, err := LoadOrCreateSigner(dir)
			errs[i] = err
			if err == nil {
				keys[i] = s.PublicKey()
			}
		})
	}
	wg.Wait()
	for i := range n {
		if errs[i] != nil {
			t.Fatal(errs[i])
		}
		if !keys[i].Equal(keys[0]) {
			t.Errorf("caller %d got another key", i)
		}
	}
}

func TestKeyFileRefusedWhenOthersCanRead(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no Unix permissions")
	}
	dir := t.TempDir()
	if _, err := LoadOrCreateSigner(dir); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, KeyFileName)
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadOrCreateSigner(dir); err == nil {
		t.Error("a world-readable key was used")
	}
	if err := os.WriteFile(path, []byte("not a key"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadOrCreateSigner(dir); err == nil {
		t.Error("garbage accepted as a key")
	}
}
