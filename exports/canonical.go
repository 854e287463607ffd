// Package exports turns one frozen version of Barnets plan (a board.PlanDoc) into bytes:
// its canonical JSON and SHA-256, the server's Ed25519 signature over that JSON, a short
// verification code, the signed PDF (Swedish, with the needs compass drawn and an evidence
// page in the style of e-signing services) and a Markdown text for journal systems.
//
// The package is pure: no clock, no randomness (except when a signing key is created), no
// network, no global mutable state. Same input, same bytes. It imports only server/board
// of this module (see server/architecture_test.go).
package exports

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/barnteam/barnteam/server/board"
)

// Canonical returns the canonical JSON of doc: the JSON encoding of board.PlanDoc (its
// field tags decide names and omitted fields) re-serialised the RFC 8785 (JCS) way:
// object keys sorted by UTF-16 code units, no insignificant whitespace, strings with only
// the escapes JSON requires (no HTML escaping; U+2028/U+2029 literal), UTF-8.
//
// Two normalisations make "the same plan" give the same bytes however it sits in memory:
// FrozenAt is written in UTC (the same instant in another time.Location hashes the same),
// and invalid UTF-8 in a string becomes U+FFFD (JSON cannot carry it; a plan that held
// such bytes therefore reads back with U+FFFD in their place). Numbers must be integers
// of at most 2^53 in magnitude (I-JSON); PlanDoc has no other kind.
func Canonical(doc board.PlanDoc) ([]byte, error) {
	doc.FrozenAt = doc.FrozenAt.UTC()
	var plain bytes.Buffer
	enc := json.NewEncoder(&plain)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(doc); err != nil {
		return nil, fmt.Errorf("exports: encoding plan: %w", err)
	}
	dec := json.NewDecoder(&plain)
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, fmt.Errorf("exports: re-reading plan: %w", err)
	}
	out := make([]byte, 0, plain.Cap())
	out, err := appendCanonical(out, v)
	if err != nil {
		return nil, err
	}
	return out, nil
}

// ErrNotCanonical is returned by ParseCanonical for JSON that is a valid plan but not in
// canonical form (so its SHA-256 would not be the plan's).
var ErrNotCanonical = errors.New("exports: plan JSON is not canonical")

// ParseCanonical reads canonical plan JSON (as stored) back into a PlanDoc. It is strict,
// because the bytes are what was signed: unknown fields, another Format than
// board.PlanFormat, trailing data and non-canonical bytes are errors; so a plan read back
// always canonicalises to exactly b.
func ParseCanonical(b []byte) (board.PlanDoc, error) {
	var doc board.PlanDoc
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&doc); err != nil {
		return board.PlanDoc{}, fmt.Errorf("exports: reading plan: %w", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return board.PlanDoc{}, errors.New("exports: reading plan: data after the plan")
	}
	if doc.Format != board.PlanFormat {
		return board.PlanDoc{}, fmt.Errorf("exports: plan format %q, want %q", doc.Format, board.PlanFormat)
	}
	again, err := Canonical(doc)
	if err != nil {
		return board.PlanDoc{}, err
	}
	if !bytes.Equal(again, b) {
		return board.PlanDoc{}, ErrNotCanonical
	}
	return doc, nil
}

// appendCanonical writes one decoded JSON value (from a decoder with UseNumber) in JCS form.
func appendCanonical(out []byte, v any) ([]byte, error) {
	switch v := v.(type) {
	case nil:
		return append(out, "null"...), nil
	case bool:
		return strconv.AppendBool(out, v), nil
	case string:
		return appendJCSString(out, v), nil
	case json.Number:
		n, err := strconv.ParseInt(string(v), 10, 64)
		if err != nil || n > 1<<53 || n < -(1<<53) {
			return nil, fmt.Errorf("exports: number %s is not an integer within ±2^53", v)
		}
		return strconv.AppendInt(out, n, 10), nil
	case []any:
		out = append(out, '[')
		for i, e := range v {
			if i > 0 {
				out = append(out, ',')
			}
			var err error
			if out, err = appendCanonical(out, e); err != nil {
				return nil, err
			}
		}
		return append(out, ']'), nil
	case map[string]any:
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		slices.SortFunc(keys, compareUTF16)
		out = append(out, '{')
		for i, k := range keys {
			if i > 0 {
				out = append(out, ',')
			}
			out = appendJCSString(out, k)
			out = append(out, ':')
			var err error
			if out, err = appendCanonical(out, v[k]); err != nil {
				return nil, err
			}
		}
		return append(out, '}'), nil
	}
	return nil, fmt.Errorf("exports: unexpected JSON value %T", v)
}

// compareUTF16 orders strings by their UTF-16 code units, as RFC 8785 sorts keys (it
// differs from byte order only for characters above U+FFFF against U+E000–U+FFFF).
func compareUTF16(a, b string) int {
	ua, ub := utf16.Encode([]rune(a)), utf16.Encode([]rune(b))
	return slices.Compare(ua, ub)
}

// appendJCSString writes s as a JSON string the way ECMAScript's JSON.stringify does:
// the two-character escapes for \b \t \n \f \r " \, \u00xx (lower-case hex) for other
// control characters, everything else as itself. s is valid UTF-8 (encoding/json made it so).
func appendJCSString(out []byte, s string) []byte {
	out = append(out, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c >= utf8.RuneSelf {
			r, size := utf8.DecodeRuneInString(s[i:])
			out = utf8.AppendRune(out, r) // U+FFFD for a stray byte, though there are none
			i += size
			continue
		}
		switch c {
		case '"':
			out = append(out, '\\', '"')
		case '\\':
			out = append(out, '\\', '\\')
		case '\b':
			out = append(out, '\\', 'b')
		case '\t':
			out = append(out, '\\', 't')
		case '\n':
			out = append(out, '\\', 'n')
		case '\f':
			out = append(out, '\\', 'f')
		case '\r':
			out = append(out, '\\', 'r')
		default:
			if c < 0x20 {
				const hexdigits = "0123456789abcdef"
				out = append(out, '\\', 'u', '0', '0', hexdigits[c>>4], hexdigits[c&0xf])
			} else {
				out = append(out, c)
			}
		}
		i++
	}
	return append(out, '"')
}
