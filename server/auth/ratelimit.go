package auth

import (
	"sync"
	"time"
)

// Limiter counts attempts per key (an account, an address) in a sliding window and says
// when a key has had too many. Failed logins are counted per account, so an attacker
// cannot try many passwords on one person, and per address, so one machine cannot try
// one password on many people. The per-address ceiling is high: a whole school or
// municipality may sit behind one address.
//
// The state is in memory: a restart forgets it, and each server instance counts on its
// own. Both are acceptable for slowing down guessing, which is the job.
type Limiter struct {
	max    int
	window time.Duration

	mu   sync.Mutex
	hits map[string][]time.Time
	ops  int
}

// NewLimiter allows max attempts per key in any window.
func NewLimiter(max int, window time.Duration) *Limiter {
	return &Limiter{max: max, window: window, hits: map[string][]time.Time{}}
}

// Allow reports whether key may make another attempt now, without counting one.
func (l *Limiter) Allow(key string, now time.Time) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.recent(key, now)) < l.max
}

// Take counts an attempt by key if it may make one now, and reports whether it may: the
// check and the count in one step, so that attempts made at the same moment (parallel
// requests racing a slow check) cannot slip past the limit between the two.
func (l *Limiter) Take(key string, now time.Time) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	r := l.recent(key, now)
	if len(r) >= l.max {
		return false
	}
	l.hits[key] = append(r, now)
	l.ops++
	if l.ops%1024 == 0 {
		l.sweep(now)
	}
	return true
}

// Hit counts an attempt by key.
func (l *Limiter) Hit(key string, now time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.hits[key] = append(l.recent(key, now), now)
	l.ops++
	if l.ops%1024 == 0 {
		l.sweep(now)
	}
}

// Reset forgets key's attempts (after a successful login).
func (l *Limiter) Reset(key string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.hits, key)
}

// RetryAfter is how long until key may try again (0 if it may now).
func (l *Limiter) RetryAfter(key string, now time.Time) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	r := l.recent(key, now)
	if len(r) < l.max {
		return 0
	}
	return r[len(r)-l.max].Add(l.window).Sub(now)
}

// recent returns key's attempts within the window, dropping older ones. l.mu is held.
func (l *Limiter) recent(key string, now time.Time) []time.Time {
	h := l.hits[key]
	i := 0
	for i < len(h) && !h[i].After(now.Add(-l.window)) {
		i++
	}
	if i > 0 {
		h = append(h[:0:0], h[i:]...)
		if len(h) == 0 {
			delete(l.hits, key)
			return nil
		}
		l.hits[key] = h
	}
	return h
}

// sweep drops keys with no recent attempts, so memory stays bounded. l.mu is held.
func (l *Limiter) sweep(now time.Time) {
	for k := range l.hits {
		l.recent(k, now)
	}
}
