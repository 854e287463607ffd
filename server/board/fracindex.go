package board

import (
	"errors"
	"strings"
)

// Fractional indexing for list order.
//
// A key is a string of base-62 digits, alphabet "0-9A-Za-z", which is in byte order, so
// plain Go string comparison orders keys. A key d1 d2 … dn stands for the fraction
// 0.d1d2…dn in base 62, and string order and numeric order agree as long as no key ends
// in '0' (then no key is a proper prefix padded with zeros of another: "V" and "V0" would
// be the same number but different strings). Because keys never end in '0' and are never
// empty, there is always room below any key ("V" > "Uz" > … > "01" > "001") and above it,
// so moving an item only ever rewrites that item's key.
//
// KeyBetween picks keys so they stay short under the common patterns:
//   - between two keys it takes the shortest midpoint, so repeated inserts between the same
//     two neighbours grow the key by one byte per log2(62) ≈ 6 inserts, the best a
//     bisection can do;
//   - appending (no upper bound) and prepending (no lower bound) step by one unit in the
//     second digit, from the key cut to two digits: "V" → "V1" → … → "Vz" → "W" → "W1".
//     That gives about 30·62 ≈ 1,900 appends (and as many prepends) within two bytes; the
//     key grows only when it reaches the end of the range ("zz" → "zz1").
//
// Keys are capped at MaxKeyLen bytes; past that KeyBetween returns ErrKeyTooLong, which
// the caller reports as "too many moves here".

// MaxKeyLen is the longest key KeyBetween returns.
const MaxKeyLen = 64

const keyDigits = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

const keyBase = len(keyDigits) // 62

var (
	// ErrKeyTooLong means the key between two neighbours would exceed MaxKeyLen bytes.
	ErrKeyTooLong = errors.New("fractional index: key too long")
	// ErrKeyOrder means the bounds are not in strictly increasing order.
	ErrKeyOrder = errors.New("fractional index: lower bound not below upper bound")
	// ErrKeyInvalid means a bound is not a valid key (see ValidKey).
	ErrKeyInvalid = errors.New("fractional index: invalid key")
)

// digitVal returns the value of a key digit, or -1 for a byte outside the alphabet.
func digitVal(c byte) int {
	switch {
	case c >= '0' && c <= '9':
		return int(c - '0')
	case c >= 'A' && c <= 'Z':
		return int(c-'A') + 10
	case c >= 'a' && c <= 'z':
		return int(c-'a') + 36
	}
	return -1
}

// ValidKey reports whether s is a key KeyBetween could have made: non-empty, at most
// MaxKeyLen bytes, only alphabet digits, not ending in '0'.
func ValidKey(s string) bool {
	if s == "" || len(s) > MaxKeyLen || s[len(s)-1] == '0' {
		return false
	}
	for i := 0; i < len(s); i++ {
		if digitVal(s[i]) < 0 {
			return false
		}
	}
	return true
}

// KeyBetween returns a key k with lo < k < hi. An empty lo means no lower bound, an empty
// hi no upper bound; KeyBetween("", "") is "V", the middle. Non-empty bounds must be valid
// keys (ErrKeyInvalid) with lo < hi (ErrKeyOrder). If the only keys between lo and hi are
// longer than MaxKeyLen, it returns ErrKeyTooLong.
func KeyBetween(lo, hi string) (string, error) {
	if (lo != "" && !ValidKey(lo)) || (hi != "" && !ValidKey(hi)) {
		return "", ErrKeyInvalid
	}
	var k string
	switch {
	case lo != "" && hi != "":
		if lo >= hi {
			return "", ErrKeyOrder
		}
		k = keyMidpoint(lo, hi)
	case lo != "":
		k = keyAfter(lo)
	case hi != "":
		k = keyBefore(hi)
	default:
		k = keyMidpoint("", "")
	}
	if k == "" || len(k) > MaxKeyLen {
		return "", ErrKeyTooLong
	}
	return k, nil
}

// keyAfter returns a short key above k: k cut (or padded) to p digits plus one unit in
// digit p, with p = 2, or more while the first p digits are all 'z'. The result is above
// k because cutting k lowers it by less than one unit in digit p. The result never ends
// in '0' (trailing zeros from a carry are dropped). It may be longer than MaxKeyLen.
func keyAfter(k string) string {
	for p := 2; ; p++ {
		d := keyDigitsPadded(k, p)
		i := p - 1
		for i >= 0 && d[i] == keyBase-1 {
			d[i] = 0
			i--
		}
		if i < 0 { // all 'z': no room at this length
			if p > MaxKeyLen {
				return strings.Repeat("z", p) // too long; KeyBetween reports it
			}
			continue
		}
		d[i]++
		return keyString(d)
	}
}

// keyBefore returns a short key below k: k cut to p digits, p = 2, 3, …, or if k has at
// most p digits, k padded to p digits minus one unit in digit p; the first such key that
// is not zero (empty after dropping trailing zeros) wins. It may be longer than MaxKeyLen.
func keyBefore(k string) string {
	for p := 2; ; p++ {
		d := keyDigitsPadded(k, p)
		if len(k) <= p {
			// k > 0, so the borrow stops inside the number.
			i := p - 1
			for i >= 0 && d[i] == 0 {
				d[i] = keyBase - 1
				i--
			}
			if i < 0 {
				return "" // unreachable for a valid k
			}
			d[i]--
		}
		if s := keyString(d); s != "" {
			return s
		}
		if p > MaxKeyLen {
			return strings.Repeat("0", p) + "z" // too long; KeyBetween reports it
		}
	}
}

// keyMidpoint returns the shortest-prefix midpoint of lo < hi; "" for hi means 1.0
// (no upper bound) and "" for lo means 0. Both are valid keys or empty. It follows
// the well-known midpoint of fractional indexing (D. Greenspan, E. Wallace): skip the
// common prefix (reading lo as padded with '0'), then if the next digits differ by two
// or more take the digit halfway between (rounded toward the middle digit); if they differ by one, either hi's first digit
// alone is already a key between (when hi has more digits) or keep lo's digit and find a
// key above the rest of lo with no upper bound.
func keyMidpoint(lo, hi string) string {
	var out []byte
	for len(out) <= MaxKeyLen {
		if hi != "" {
			n := 0
			for n < len(hi) && keyPadAt(lo, n) == hi[n] {
				n++
			}
			if n == len(hi) {
				return "" // lo >= hi: unreachable for valid, ordered bounds
			}
			out = append(out, hi[:n]...)
			if n >= len(lo) {
				lo = ""
			} else {
				lo = lo[n:]
			}
			hi = hi[n:]
		}
		da, db := 0, keyBase
		if lo != "" {
			da = digitVal(lo[0])
		}
		if hi != "" {
			db = digitVal(hi[0])
		}
		if db-da > 1 {
			// Halfway, rounded toward the middle digit: repeated inserts after lo climb
			// 31, 46, 54, 58, 60, 61 and repeated inserts before hi fall 31, 16, 8, 4, 2, 1,
			// six keys per byte either way (plain rounding up gives only five going up).
			mid := (da + db) / 2
			if (da+db)%2 == 1 && da+db < keyBase {
				mid++
			}
			return string(append(out, keyDigits[mid]))
		}
		if len(hi) > 1 {
			return string(append(out, hi[0]))
		}
		// hi is empty or one digit just above lo's first digit: keep that digit of lo and
		// go above the rest of lo, unbounded.
		out = append(out, keyDigits[da])
		if lo != "" {
			lo = lo[1:]
		}
		hi = ""
	}
	return string(out) // too long; KeyBetween reports it
}

// keyPadAt returns byte i of k, or '0' past its end.
func keyPadAt(k string, i int) byte {
	if i < len(k) {
		return k[i]
	}
	return '0'
}

// keyDigitsPadded returns the first p digit values of k, padded with zeros.
func keyDigitsPadded(k string, p int) []int {
	d := make([]int, p)
	for i := 0; i < p && i < len(k); i++ {
		d[i] = digitVal(k[i])
	}
	return d
}

// keyString renders digit values as a key, dropping trailing zeros.
func keyString(d []int) string {
	n := len(d)
	for n > 0 && d[n-1] == 0 {
		n--
	}
	b := make([]byte, n)
	for i := 0; i < n; i++ {
		b[i] = keyDigits[d[i]]
	}
	return string(b)
}
