package board

import (
	"errors"
	"math/rand"
	"sort"
	"strings"
	"testing"
)

func TestKeyBetweenTable(t *testing.T) {
	z64 := strings.Repeat("z", 64)
	tests := []struct {
		lo, hi string
		want   string // "" means: only check lo < k < hi and ValidKey
		err    error
	}{
		{"", "", "V", nil},
		{"V", "", "V1", nil},
		{"V1", "", "V2", nil},
		{"Vz", "", "W", nil},
		{"z", "", "z1", nil},
		{"zz", "", "zz1", nil},
		{"zy", "", "zz", nil},
		{"V1234", "", "V2", nil},
		{"", "V", "Uz", nil},
		{"", "V1", "V", nil},
		{"", "W", "Vz", nil},
		{"", "1", "0z", nil},
		{"", "01", "00z", nil},
		{"", "V0001", "V", nil},
		{"V", "W", "VV", nil},
		{"V", "z", "k", nil},
		{"V", "W5", "W", nil},
		{"1", "2", "1V", nil},
		{"V", "V1", "V0V", nil},
		{"Vz", "W", "VzV", nil},
		{"V", "V01", "V00V", nil},
		{"0z", "1", "0zV", nil},
		{"a", "b", "", nil},
		{"abc", "abd", "", nil},
		{"y", "z", "", nil},
		{"z", z64, "", nil},
		{z64, "", "", ErrKeyTooLong},
		{"", strings.Repeat("0", 63) + "1", "", ErrKeyTooLong},
		{strings.Repeat("V", 64), strings.Repeat("V", 63) + "W", "", ErrKeyTooLong},
		{"V", "V", "", ErrKeyOrder},
		{"W", "V", "", ErrKeyOrder},
		{"V0", "", "", ErrKeyInvalid},
		{"", "V0", "", ErrKeyInvalid},
		{"V-", "W", "", ErrKeyInvalid},
		{"V", "ä", "", ErrKeyInvalid},
		{z64 + "z", "", "", ErrKeyInvalid},
	}
	for _, tt := range tests {
		k, err := KeyBetween(tt.lo, tt.hi)
		if tt.err != nil {
			if !errors.Is(err, tt.err) || k != "" {
				t.Errorf("KeyBetween(%q, %q) = %q, %v; want error %v", tt.lo, tt.hi, k, err, tt.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("KeyBetween(%q, %q): unexpected error %v", tt.lo, tt.hi, err)
			continue
		}
		if tt.want != "" && k != tt.want {
			t.Errorf("KeyBetween(%q, %q) = %q; want %q", tt.lo, tt.hi, k, tt.want)
		}
		checkBetween(t, tt.lo, tt.hi, k)
	}
}

func checkBetween(t *testing.T, lo, hi, k string) {
	t.Helper()
	if !ValidKey(k) {
		t.Fatalf("KeyBetween(%q, %q) = %q: not a valid key", lo, hi, k)
	}
	if (lo != "" && !(lo < k)) || (hi != "" && !(k < hi)) {
		t.Fatalf("KeyBetween(%q, %q) = %q: not strictly between", lo, hi, k)
	}
}

func TestValidKey(t *testing.T) {
	tests := []struct {
		s    string
		want bool
	}{
		{"", false},
		{"V", true},
		{"0", false},
		{"10", false},
		{"01", true},
		{"azAZ09z", true},
		{"a b", false},
		{"a/", false},
		{"å", false},
		{strings.Repeat("z", 64), true},
		{strings.Repeat("z", 65), false},
	}
	for _, tt := range tests {
		if got := ValidKey(tt.s); got != tt.want {
			t.Errorf("ValidKey(%q) = %v; want %v", tt.s, got, tt.want)
		}
	}
	// The alphabet is in byte order, so string order is digit order.
	for i := 1; i < len(keyDigits); i++ {
		if keyDigits[i-1] >= keyDigits[i] || digitVal(keyDigits[i]) != i {
			t.Fatalf("alphabet not in byte order at %d", i)
		}
	}
}

// TestKeyBetweenRandomInserts inserts at random positions of a list and checks that key
// order always equals list order.
func TestKeyBetweenRandomInserts(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	var keys []string
	maxLen := 0
	for i := 0; i < 5000; i++ {
		idx := rng.Intn(len(keys) + 1) // insert before keys[idx]
		lo, hi := "", ""
		if idx > 0 {
			lo = keys[idx-1]
		}
		if idx < len(keys) {
			hi = keys[idx]
		}
		k, err := KeyBetween(lo, hi)
		if err != nil {
			t.Fatalf("insert %d: KeyBetween(%q, %q): %v", i, lo, hi, err)
		}
		checkBetween(t, lo, hi, k)
		keys = append(keys, "")
		copy(keys[idx+1:], keys[idx:])
		keys[idx] = k
		maxLen = max(maxLen, len(k))
	}
	if !sort.StringsAreSorted(keys) {
		t.Fatal("keys out of order")
	}
	for i := 1; i < len(keys); i++ {
		if keys[i-1] >= keys[i] {
			t.Fatalf("keys %d and %d not strictly increasing: %q, %q", i-1, i, keys[i-1], keys[i])
		}
	}
	t.Logf("5000 random inserts: longest key %d bytes", maxLen)
}

func TestKeyBetweenAppendPrependShort(t *testing.T) {
	for _, dir := range []string{"append", "prepend"} {
		k := ""
		for i := 0; i < 1000; i++ {
			var next string
			var err error
			if dir == "append" {
				next, err = KeyBetween(k, "")
			} else {
				next, err = KeyBetween("", k)
			}
			if err != nil {
				t.Fatalf("%s %d: %v", dir, i, err)
			}
			if k != "" && ((dir == "append") != (k < next)) {
				t.Fatalf("%s %d: %q then %q out of order", dir, i, k, next)
			}
			if len(next) > 4 || !ValidKey(next) {
				t.Fatalf("%s %d: key %q too long or invalid", dir, i, next)
			}
			k = next
		}
	}
	// Appending after a long key (made by inserts in the middle) comes back to short keys.
	if k, _ := KeyBetween("V0V0V0V0V1", ""); k != "V1" {
		t.Errorf("append after long key = %q; want V1", k)
	}
}

// TestKeyBetweenWorstCase inserts again and again between the same two neighbours, both
// right after lo and right before hi, and checks the growth rate and the clean error at
// the length cap.
func TestKeyBetweenWorstCase(t *testing.T) {
	for _, side := range []string{"after lo", "before hi"} {
		lo, hi := "V", "W"
		var n int
		for n = 1; ; n++ {
			k, err := KeyBetween(lo, hi)
			if err != nil {
				if !errors.Is(err, ErrKeyTooLong) {
					t.Fatalf("%s: insert %d: unexpected error %v", side, n, err)
				}
				break
			}
			checkBetween(t, lo, hi, k)
			// About one byte per log2(62) ≈ 5.95 inserts; allow a little slack.
			if limit := 2 + (n+4)/5; len(k) > limit {
				t.Fatalf("%s: insert %d: key %q has %d bytes, more than %d", side, n, k, len(k), limit)
			}
			if side == "after lo" {
				hi = k
			} else {
				lo = k
			}
			if n > 1000 {
				t.Fatalf("%s: no error after %d inserts", side, n)
			}
		}
		if n < 6*(MaxKeyLen-2) {
			t.Errorf("%s: ran out of room after %d inserts; want at least %d", side, n, 6*(MaxKeyLen-2))
		}
		t.Logf("%s: %d inserts before hitting %d bytes", side, n-1, MaxKeyLen)
	}
}

func FuzzKeyBetween(f *testing.F) {
	f.Add("", "")
	f.Add("V", "")
	f.Add("", "V")
	f.Add("V", "W")
	f.Add("V", "V1")
	f.Add("0z", "1")
	f.Add("zz", "")
	f.Add("", "001")
	f.Add("abc", "abd")
	f.Add(strings.Repeat("z", 64), "")
	f.Add(strings.Repeat("V", 64), strings.Repeat("V", 63)+"W")
	f.Add("V0", "W")
	f.Add("W", "V")
	f.Fuzz(func(t *testing.T, lo, hi string) {
		k, err := KeyBetween(lo, hi) // must not panic, whatever the input
		loOK := lo == "" || ValidKey(lo)
		hiOK := hi == "" || ValidKey(hi)
		if !loOK || !hiOK {
			if err == nil {
				t.Fatalf("KeyBetween(%q, %q) = %q; want an error for an invalid bound", lo, hi, k)
			}
			return
		}
		if lo != "" && hi != "" && lo >= hi {
			if err == nil {
				t.Fatalf("KeyBetween(%q, %q) = %q; want an error for unordered bounds", lo, hi, k)
			}
			return
		}
		if err != nil {
			if !errors.Is(err, ErrKeyTooLong) || k != "" {
				t.Fatalf("KeyBetween(%q, %q) = %q, %v", lo, hi, k, err)
			}
			return
		}
		checkBetween(t, lo, hi, k)
	})
}
