// Package secret makes capability tokens (invite links, session cookies) and the hashes
// under which they are stored. The database never holds a usable token.
package secret

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
)

// TokenBytes is the entropy of a token: 256 bits, well above the 128 the design asks for.
const TokenBytes = 32

// NewToken returns a random URL-safe token and its hash.
func NewToken() (token string, hash []byte) {
	var b [TokenBytes]byte
	// crypto/rand.Read never returns an error on supported platforms (it panics instead).
	rand.Read(b[:])
	token = base64.RawURLEncoding.EncodeToString(b[:])
	return token, Hash(token)
}

// Hash is the form in which a token is stored and looked up.
func Hash(token string) []byte {
	h := sha256.Sum256([]byte(token))
	return h[:]
}

// ID returns a random identifier of n characters from [A-Za-z0-9_-] for new rows.
func ID(n int) string {
	b := make([]byte, (n*6+7)/8)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)[:n]
}
