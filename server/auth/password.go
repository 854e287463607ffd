// Package auth holds what staff sign-in needs apart from HTTP: argon2id password hashes
// and the rate limiter for login and setup attempts.
package auth

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"
)

// Argon2id parameters: OWASP's minimum for argon2id (19 MiB, 2 passes, 1 lane), about
// 22 ms on the development machine. Stored with every hash, so they can be raised later
// without breaking old hashes.
const (
	argonMemory  = 19 * 1024 // KiB
	argonTime    = 2
	argonThreads = 1
	argonKeyLen  = 32
	saltLen      = 16
)

// Password length limits: long passphrases are welcome; a ceiling keeps hashing bounded.
const (
	MinPasswordLen = 12
	MaxPasswordLen = 200
)

// ErrPasswordPolicy: the new password is too short or too long.
var ErrPasswordPolicy = errors.New("password does not meet the policy")

// CheckPolicy reports whether a new password is acceptable.
func CheckPolicy(pw string) error {
	n := utf8.RuneCountInString(pw)
	if n < MinPasswordLen || len(pw) > MaxPasswordLen || strings.TrimSpace(pw) == "" {
		return ErrPasswordPolicy
	}
	return nil
}

// Hash returns an argon2id hash of pw in the PHC string format:
// $argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>.
func Hash(pw string) string {
	salt := make([]byte, saltLen)
	rand.Read(salt)
	key := argon2.IDKey([]byte(pw), salt, argonTime, argonMemory, argonThreads, argonKeyLen)
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, argonMemory, argonTime, argonThreads,
		base64.RawStdEncoding.EncodeToString(salt), base64.RawStdEncoding.EncodeToString(key))
}

// dummyHash is verified against when there is no user, so that an unknown e-mail address
// takes as long as a wrong password and timing tells nothing.
var dummyHash = Hash("no such user: this never matches")

// Verify reports whether pw matches the PHC hash. An empty or malformed hash never
// matches, but costs the same time as a real check.
func Verify(hash, pw string) bool {
	if len(pw) > MaxPasswordLen {
		return false
	}
	p, ok := parse(hash)
	if !ok {
		p, _ = parse(dummyHash)
		verify(p, pw)
		return false
	}
	return verify(p, pw)
}

type phc struct {
	memory  uint32
	time    uint32
	threads uint8
	salt    []byte
	key     []byte
}

func parse(hash string) (phc, bool) {
	parts := strings.Split(hash, "$")
	if len(parts) != 6 || parts[1] != "argon2id" || parts[2] != fmt.Sprintf("v=%d", argon2.Version) {
		return phc{}, false
	}
	var p phc
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &p.memory, &p.time, &p.threads); err != nil {
		return phc{}, false
	}
	// Refuse parameters that would make a stored hash a denial of service.
	if p.memory == 0 || p.memory > 1<<20 || p.time == 0 || p.time > 10 || p.threads == 0 {
		return phc{}, false
	}
	var err error
	if p.salt, err = base64.RawStdEncoding.DecodeString(parts[4]); err != nil || len(p.salt) < 8 {
		return phc{}, false
	}
	if p.key, err = base64.RawStdEncoding.DecodeString(parts[5]); err != nil || len(p.key) < 16 || len(p.key) > 64 {
		return phc{}, false
	}
	return p, true
}

func verify(p phc, pw string) bool {
	key := argon2.IDKey([]byte(pw), p.salt, p.time, p.memory, p.threads, uint32(len(p.key)))
	return subtle.ConstantTimeCompare(key, p.key) == 1
}

// VerifyNoUser spends the time of one verification, for logins with an unknown e-mail.
func VerifyNoUser(pw string) {
	p, _ := parse(dummyHash)
	verify(p, pw)
}
