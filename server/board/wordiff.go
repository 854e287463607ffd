package board

import (
	"strings"
	"unicode"
)

// DiffPart is one stretch of a word diff: words kept, inserted or deleted.
type DiffPart struct {
	Op   DiffOp
	Text string
}

// DiffOp says what happened to a DiffPart's words.
type DiffOp int

const (
	DiffEqual DiffOp = iota
	DiffInsert
	DiffDelete
)

// DiffWords compares two texts word by word (words with the space after them), for
// showing people what changed between two versions of a plan. It uses the merge's bounded
// Myers diff on words (each distinct word becomes one symbol); when the texts are too
// different for the budget, the answer is the old text deleted and the new inserted,
// which is still true.
func DiffWords(old, new string) []DiffPart {
	if old == new {
		if old == "" {
			return nil
		}
		return []DiffPart{{DiffEqual, old}}
	}
	ow, nw := splitWords(old), splitWords(new)
	ids := map[string]rune{}
	symbols := func(words []string) []rune {
		out := make([]rune, len(words))
		for i, w := range words {
			r, ok := ids[w]
			if !ok {
				r = rune(len(ids)) // symbols need only be distinct, not printable
				ids[w] = r
			}
			out[i] = r
		}
		return out
	}
	a, b := symbols(ow), symbols(nw)
	d := differ{work: mergeMaxWork}
	hs, ok := d.hunks(a, b)
	if !ok {
		return compact([]DiffPart{{DiffDelete, old}, {DiffInsert, new}})
	}
	var out []DiffPart
	pa := 0
	for _, h := range hs {
		out = append(out, DiffPart{DiffEqual, strings.Join(ow[pa:h.s], "")})
		out = append(out, DiffPart{DiffDelete, strings.Join(ow[h.s:h.e], "")})
		out = append(out, DiffPart{DiffInsert, strings.Join(nw[h.ns:h.ne], "")})
		pa = h.e
	}
	out = append(out, DiffPart{DiffEqual, strings.Join(ow[pa:], "")})
	return compact(out)
}

// compact drops empty parts.
func compact(parts []DiffPart) []DiffPart {
	out := parts[:0]
	for _, p := range parts {
		if p.Text != "" {
			out = append(out, p)
		}
	}
	return out
}

// splitWords cuts a text into words, each with the white space that follows it, so that
// joining them gives the text back.
func splitWords(s string) []string {
	var out []string
	start := 0
	inSpace := false
	for i, r := range s {
		space := unicode.IsSpace(r)
		if inSpace && !space {
			out = append(out, s[start:i])
			start = i
		}
		inSpace = space
	}
	if start < len(s) {
		out = append(out, s[start:])
	}
	return out
}
