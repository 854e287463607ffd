package auth

import (
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestHashAndVerify(t *testing.T) {
	h := Hash("korrekt häst batteri häftklammer")
	if !strings.HasPrefix(h, "$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Errorf("hash %q is not an argon2id PHC string with OWASP parameters", h)
	}
	if !Verify(h, "korrekt häst batteri häftklammer") {
		t.Error("the right password does not verify")
	}
	for _, wrong := range []string{"", "korrekt häst batteri häftklamme", "Korrekt häst batteri häftklammer"} {
		if Verify(h, wrong) {
			t.Errorf("%q verifies", wrong)
		}
	}
	if h == Hash("korrekt häst batteri häftklammer") {
		t.Error("two hashes of one password are equal: no salt")
	}
	for _, bad := range []string{"", "plain", "$argon2id$v=19$m=999999999,t=2,p=1$c2FsdHNhbHQ$a2V5a2V5a2V5a2V5a2V5", "$argon2i$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$a2V5a2V5a2V5a2V5a2V5"} {
		if Verify(bad, "anything") {
			t.Errorf("malformed hash %q verifies", bad)
		}
	}
}

func TestPolicy(t *testing.T) {
	for pw, ok := range map[string]bool{"kort": false, "            ": false, "tolv tecken!": true, "åäöåäöåäöåäö": true, strings.Repeat("x", 201): false} {
		if got := CheckPolicy(pw) == nil; got != ok {
			t.Errorf("CheckPolicy(%q) ok = %v, want %v", pw, got, ok)
		}
	}
}

func TestLimiter(t *testing.T) {
	l := NewLimiter(3, time.Minute)
	t0 := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	for i := 0; i < 3; i++ {
		if !l.Allow("a", t0) {
			t.Fatalf("attempt %d refused", i+1)
		}
		l.Hit("a", t0.Add(time.Duration(i)*time.Second))
	}
	if l.Allow("a", t0.Add(3*time.Second)) {
		t.Error("a fourth attempt within the window is allowed")
	}
	if !l.Allow("b", t0) {
		t.Error("another key is limited too")
	}
	if got := l.RetryAfter("a", t0.Add(3*time.Second)); got != 57*time.Second {
		t.Errorf("RetryAfter = %v, want 57s", got)
	}
	if !l.Allow("a", t0.Add(61*time.Second)) {
		t.Error("the window does not slide")
	}
	l.Reset("a")
	for i := 0; i < 3; i++ {
		l.Hit("a", t0)
	}
	l.Reset("a")
	if !l.Allow("a", t0) {
		t.Error("Reset does not forget")
	}
}

// TestLimiterTakeAtOnce: attempts made at the same moment get exactly the limit, however
// many there are.
func TestLimiterTakeAtOnce(t *testing.T) {
	l := NewLimiter(5, time.Minute)
	now := time.Now()
	var wg sync.WaitGroup
	var taken atomic.Int32
	for range 64 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if l.Take("k", now) {
				taken.Add(1)
			}
		}()
	}
	wg.Wait()
	if n := taken.Load(); n != 5 {
		t.Errorf("%d of 64 attempts at once were taken, want 5", n)
	}
	if l.Take("k", now.Add(59*time.Second)) {
		t.Errorf("an attempt within the window was taken after the limit")
	}
	if !l.Take("k", now.Add(61*time.Second)) {
		t.Errorf("an attempt after the window was refused")
	}
}
