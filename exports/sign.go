package exports

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
)

// KeyFileName is the server's plan-signing key in the data directory: an Ed25519 private
// key as PKCS#8 in PEM ("-----BEGIN PRIVATE KEY-----"), mode 0600, readable with
// standard tools (openssl pkey -in plan-signing-key.pem -pubout). Back it up with the
// database: without it, new plans are signed with a new key and its id changes.
const KeyFileName = "plan-signing-key.pem"

// Signer signs canonical plans with the server's Ed25519 key. It is safe for concurrent use.
type Signer struct {
	priv ed25519.PrivateKey
	pub  ed25519.PublicKey
	id   string
}

// LoadOrCreateSigner loads dataDir/KeyFileName, or creates it on first use (creating
// dataDir with mode 0700 if needed). Creation is atomic: the key is written to a
// temporary file that is then hard-linked into place, so two processes starting at once
// end up with the same key, and a crash never leaves half a key. A key file that group or
// others may read, or that is not a regular file, is refused rather than used, because
// anyone who can read it can forge plans.
func LoadOrCreateSigner(dataDir string) (*Signer, error) {
	path := filepath.Join(dataDir, KeyFileName)
	s, err := loadSigner(path)
	if !errors.Is(err, fs.ErrNotExist) {
		return s, err
	}
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return nil, fmt.Errorf("exports: signing key: %w", err)
	}
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("exports: signing key: %w", err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return nil, fmt.Errorf("exports: signing key: %w", err)
	}
	tmp, err := os.CreateTemp(dataDir, ".plan-signing-key-*.tmp") // mode 0600
	if err != nil {
		return nil, fmt.Errorf("exports: signing key: %w", err)
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return nil, fmt.Errorf("exports: signing key: %w", err)
	}
	if err := pem.Encode(tmp, &pem.Block{Type: "PRIVATE KEY", Bytes: der}); err != nil {
		tmp.Close()
		return nil, fmt.Errorf("exports: signing key: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return nil, fmt.Errorf("exports: signing key: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return nil, fmt.Errorf("exports: signing key: %w", err)
	}
	// Link fails if another process got there first; then its key is the key.
	if err := os.Link(tmp.Name(), path); err != nil && !errors.Is(err, fs.ErrExist) {
		return nil, fmt.Errorf("exports: signing key: %w", err)
	}
	if d, err := os.Open(dataDir); err == nil { // make the new name durable
		_ = d.Sync()
		d.Close()
	}
	return loadSigner(path)
}

func loadSigner(path string) (*Signer, error) {
	fi, err := os.Lstat(path)
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("exports: signing key %s is not a regular file", path)
	}
	if runtime.GOOS != "windows" && fi.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("exports: signing key %s has mode %v; it must be readable by its owner only (chmod 600)", path, fi.Mode().Perm())
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	block, rest := pem.Decode(b)
	if block == nil || block.Type != "PRIVATE KEY" || len(pemTrim(rest)) != 0 {
		return nil, fmt.Errorf("exports: signing key %s is not one PEM PRIVATE KEY", path)
	}
	key, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("exports: signing key %s: %w", path, err)
	}
	priv, ok := key.(ed25519.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("exports: signing key %s is a %T, not Ed25519", path, key)
	}
	pub := priv.Public().(ed25519.PublicKey)
	return &Signer{priv: priv, pub: pub, id: KeyID(pub)}, nil
}

func pemTrim(b []byte) []byte {
	for len(b) > 0 && (b[0] == '\n' || b[0] == '\r' || b[0] == ' ' || b[0] == '\t') {
		b = b[1:]
	}
	return b
}

// Sign returns the Ed25519 signature (64 bytes) of canonical plan bytes.
func (s *Signer) Sign(canonical []byte) []byte { return ed25519.Sign(s.priv, canonical) }

// PublicKey is the key that verifies this signer's signatures.
func (s *Signer) PublicKey() ed25519.PublicKey { return s.pub }

// KeyID is the short id of the public key (see KeyID).
func (s *Signer) KeyID() string { return s.id }

// PublicKeyPEM is the public key as PKIX in PEM ("-----BEGIN PUBLIC KEY-----"), for
// publishing next to the verify page.
func (s *Signer) PublicKeyPEM() []byte {
	der, err := x509.MarshalPKIXPublicKey(s.pub)
	if err != nil { // cannot happen for an Ed25519 key
		panic(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
}

// KeyID is a public key's short fingerprint: the first 16 hex digits (64 bits) of the
// SHA-256 of its 32 raw bytes. It names the key on the evidence page; it is not a
// security boundary (always verify with the full key).
func KeyID(pub ed25519.PublicKey) string {
	sum := sha256.Sum256(pub)
	return hex.EncodeToString(sum[:8])
}

// Verify reports whether sig is pub's Ed25519 signature of canonical. Malformed keys and
// signatures are simply not valid (no panic).
func Verify(canonical, sig []byte, pub ed25519.PublicKey) bool {
	if len(pub) != ed25519.PublicKeySize || len(sig) != ed25519.SignatureSize {
		return false
	}
	return ed25519.Verify(pub, canonical, sig)
}
