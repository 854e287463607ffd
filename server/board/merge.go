package board

import "unicode/utf8"

// Three-way text merge.
//
// A text field was base when a user started editing, the user sends mine, and the server
// meanwhile has theirs. Merge3 combines the two edits the way diff3 and diff-match-patch
// do, on Unicode code points (runes), so a UTF-8 sequence is never split:
//
//  1. Set aside the prefix and suffix all three texts share, then diff base→mine and
//     base→theirs. Each diff trims its own common prefix and suffix (most edits are one
//     short stretch, and that makes them O(n)) and runs Myers' O(ND)
//     algorithm on the rest, in its linear-space form (find the middle snake by walking
//     from both ends, recurse on the two halves), as diff-match-patch's diff_bisect does.
//     It is bounded twice: an edit distance D over mergeMaxEdits, or more than
//     mergeMaxWork steps in total, gives up (ok=false). Myers costs O((N+M)·D), so a small
//     edit in 16,000 runes costs little, and a pathological pair cannot take long.
//  2. Turn each diff into hunks (base range → replacement) and make them canonical and
//     coarse: slide pure insertions and deletions as far left as they go, so the same edit
//     gets the same position in both diffs whatever the rest of the diff looked like (an
//     'a' typed into "aaa" is one edit, not three candidates); then absorb short equal
//     runs between two hunks when the run is no longer than the edits on either side
//     (diff-match-patch's semantic cleanup), so a retyped word is one hunk rather than a
//     scatter of single letters that happened to match, which would let the other side's
//     edit slip in between them.
//  3. Walk both hunk lists in base order and group hunks that touch: overlap, or merely
//     meet at a boundary (an insertion at the edge of the other side's change, two
//     insertions at one position, two changes back to back). A group with hunks from one
//     side only is applied. A group with hunks from both sides is a conflict unless both
//     sides turned that stretch of base into exactly the same text (both made the same
//     change: it is taken once); otherwise Merge3 returns ok=false.
//
// Why this way: untouched base runes separate every applied change from every change of
// the other side, so each applied hunk keeps all text its side typed, and no text is
// deleted that both sides kept. Where the two sides' changes meet we cannot know what
// the users want (which of two insertions goes first, whether text typed at the edge of a
// deleted passage belongs to it), and the caller handles ok=false by showing both
// versions, so refusing is the safe answer. Being conservative costs a prompt; being
// wrong would silently drop or duplicate someone's text.

const (
	// mergeMaxEdits is the largest edit distance (runes inserted plus deleted) of one side
	// against base that Merge3 will diff.
	mergeMaxEdits = 2000
	// mergeMaxWork bounds the Myers steps (diagonals visited plus runes compared) of both
	// diffs together. A step costs 1–10 ns (a diagonal visit is a hard-to-predict
	// branch), so with mergeMaxEdits this keeps pathological input to a few tens of
	// milliseconds; ordinary edits of a 16,000-rune text use well under a million.
	mergeMaxWork = 10_000_000
)

// Merge3 merges two concurrent edits of one text: base is the text both started from,
// mine and theirs the two edited versions. It returns ok=false when the edits cannot be
// merged cleanly: they touch the same part of the text (and differ), the texts differ
// too much to diff in bounded time, or an input is not valid UTF-8. It never panics.
func Merge3(base, mine, theirs string) (merged string, ok bool) {
	switch {
	case mine == base:
		return theirs, true
	case theirs == base, mine == theirs:
		return mine, true
	}
	if !utf8.ValidString(base) || !utf8.ValidString(mine) || !utf8.ValidString(theirs) {
		return "", false
	}
	// Set aside what all three share at the start and the end (whole runes): most
	// merges are two small edits in a long text, and this keeps the rune work to the
	// stretch between them.
	p, s := commonAffixes(base, mine, theirs)
	b := []rune(base[p : len(base)-s])
	m := []rune(mine[p : len(mine)-s])
	t := []rune(theirs[p : len(theirs)-s])
	d := differ{work: mergeMaxWork}
	hm, ok := d.hunks(b, m)
	if !ok {
		return "", false
	}
	ht, ok := d.hunks(b, t)
	if !ok {
		return "", false
	}
	out, ok := mergeHunks(b, m, t, hm, ht)
	if !ok {
		return "", false
	}
	return base[:p] + string(out) + base[len(base)-s:], true
}

// commonAffixes returns the byte lengths of the longest prefix and suffix that all three
// (valid UTF-8) strings share, cut to whole runes and not overlapping in any of them.
func commonAffixes(x, y, z string) (prefix, suffix int) {
	n := min(len(x), len(y), len(z))
	for prefix < n && x[prefix] == y[prefix] && x[prefix] == z[prefix] {
		prefix++
	}
	// The shared bytes end on a rune boundary in all three or in none: back up to one.
	for prefix > 0 && prefix < n && !utf8.RuneStart(x[prefix]) {
		prefix--
	}
	n -= prefix
	for suffix < n && x[len(x)-1-suffix] == y[len(y)-1-suffix] && x[len(x)-1-suffix] == z[len(z)-1-suffix] {
		suffix++
	}
	for suffix > 0 && !utf8.RuneStart(x[len(x)-suffix]) {
		suffix--
	}
	return prefix, suffix
}

// hunk replaces base[s:e] by new[ns:ne] (the text the hunk's side typed there). Either
// range may be empty (a pure insertion or deletion), not both.
type hunk struct{ s, e, ns, ne int }

// mergeHunks applies the hunks of both sides to base; see step 3 above. Each side's hunks
// are sorted and separated by at least one unchanged rune.
func mergeHunks(base, mine, theirs []rune, hm, ht []hunk) ([]rune, bool) {
	out := make([]rune, 0, max(0, len(mine)+len(theirs)-len(base)))
	pos, i, j := 0, 0, 0
	for i < len(hm) || j < len(ht) {
		i0, j0 := i, j
		var lo, hi int
		if j == len(ht) || (i < len(hm) && hm[i].s <= ht[j].s) {
			lo, hi = hm[i].s, hm[i].e
			i++
		} else {
			lo, hi = ht[j].s, ht[j].e
			j++
		}
		for grew := true; grew; {
			grew = false
			if i < len(hm) && hm[i].s <= hi {
				hi = max(hi, hm[i].e)
				i++
				grew = true
			}
			if j < len(ht) && ht[j].s <= hi {
				hi = max(hi, ht[j].e)
				j++
				grew = true
			}
		}
		out = append(out, base[pos:lo]...)
		switch {
		case j == j0:
			out = applyHunks(out, base, mine, hm[i0:i], lo, hi)
		case i == i0:
			out = applyHunks(out, base, theirs, ht[j0:j], lo, hi)
		default:
			rm := applyHunks(nil, base, mine, hm[i0:i], lo, hi)
			rt := applyHunks(nil, base, theirs, ht[j0:j], lo, hi)
			if !equalRunes(rm, rt) {
				return nil, false
			}
			out = append(out, rm...)
		}
		pos = hi
	}
	return append(out, base[pos:]...), true
}

// applyHunks appends base[lo:hi] with hs (which lie inside it) applied.
func applyHunks(out, base, text []rune, hs []hunk, lo, hi int) []rune {
	p := lo
	for _, h := range hs {
		out = append(out, base[p:h.s]...)
		out = append(out, text[h.ns:h.ne]...)
		p = h.e
	}
	return append(out, base[p:hi]...)
}

func equalRunes(a, b []rune) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// differ computes bounded diffs; work is the budget of Myers steps left for the call.
// v1 and v2 are bisect's forward and reverse frontiers, allocated once per Merge3 and
// left all -1 between bisect calls.
type differ struct {
	work    int
	matches []match
	v1, v2  []int
}

// bisectLimit is the most steps bisect takes from each end: the middle snake of a diff
// with edit distance D is found after about D/2.
const bisectLimit = mergeMaxEdits/2 + 1

// match says a[a:a+n] equals b[b:b+n].
type match struct{ a, b, n int }

// hunks returns the canonical, coarsened hunks turning a into b (steps 1 and 2 above),
// or ok=false when the diff is over budget.
func (d *differ) hunks(a, b []rune) ([]hunk, bool) {
	d.matches = d.matches[:0]
	if !d.diff(a, b, 0, 0) {
		return nil, false
	}
	// The gaps between matches are the hunks.
	var hs []hunk
	pa, pb := 0, 0
	for _, m := range append(d.matches, match{len(a), len(b), 0}) {
		if m.a > pa || m.b > pb {
			hs = append(hs, hunk{pa, m.a, pb, m.b})
		}
		pa, pb = m.a+m.n, m.b+m.n
	}
	return coarsen(a, b, slideLeft(a, b, hs)), true
}

// diff appends to d.matches the matches of a Myers diff of a and b, which start at
// offsets ao and bo in the whole texts, in order.
func (d *differ) diff(a, b []rune, ao, bo int) bool {
	p := 0
	for p < len(a) && p < len(b) && a[p] == b[p] {
		p++
	}
	s := 0
	for s < len(a)-p && s < len(b)-p && a[len(a)-1-s] == b[len(b)-1-s] {
		s++
	}
	d.work -= p + s
	if d.work < 0 {
		return false
	}
	if p > 0 {
		d.matches = append(d.matches, match{ao, bo, p})
	}
	if am, bm := a[p:len(a)-s], b[p:len(b)-s]; len(am) > 0 && len(bm) > 0 {
		x, y, ok := d.bisect(am, bm)
		if !ok {
			return false
		}
		if x == -1 || (x == 0 && y == 0) || (x == len(am) && y == len(bm)) {
			// No common rune (or, defensively, a split that would not shrink the
			// problem): the middle is replaced whole, which is a correct diff.
		} else if !d.diff(am[:x], bm[:y], ao+p, bo+p) || !d.diff(am[x:], bm[y:], ao+p+x, bo+p+y) {
			return false
		}
	}
	if s > 0 {
		d.matches = append(d.matches, match{ao + len(a) - s, bo + len(b) - s, s})
	}
	return true
}

// bisect finds the middle snake of a Myers diff of a and b (both non-empty, first runes
// differ, last runes differ) and returns the point (x, y) where to split the problem, or
// x == -1 when a and b have no common rune. It walks forward from the top left and
// backward from the bottom right one edit at a time until the paths meet, following the
// Go port of diff-match-patch's diff_bisect. ok is false when the edit distance exceeds
// mergeMaxEdits or the work budget runs out.
func (d *differ) bisect(a, b []rune) (x, y int, ok bool) {
	n, m := len(a), len(b)
	maxD := (n + m + 1) / 2
	limit := min(maxD, bisectLimit)
	const vOffset = bisectLimit + 1
	const vLength = 2*bisectLimit + 3
	if d.v1 == nil {
		d.v1, d.v2 = make([]int, vLength), make([]int, vLength)
		for i := range d.v1 {
			d.v1[i], d.v2[i] = -1, -1
		}
	}
	v1, v2 := d.v1, d.v2
	v1[vOffset+1], v2[vOffset+1] = 0, 0
	// Steps up to dd write v[vOffset-dd .. vOffset+dd] (and vOffset+1 above); put back
	// the -1s on the way out, which costs no more than the walk did.
	dd := 0
	defer func() {
		for i := max(0, vOffset-dd-1); i <= min(vLength-1, vOffset+dd+1); i++ {
			v1[i], v2[i] = -1, -1
		}
	}()
	delta := n - m
	front := delta%2 != 0 // odd delta: the forward path meets the reverse one
	k1start, k1end, k2start, k2end := 0, 0, 0, 0
	for ; dd < maxD; dd++ {
		if dd >= limit {
			return 0, 0, false // edit distance over mergeMaxEdits
		}
		d.work -= 2*dd + 2
		if d.work < 0 {
			return 0, 0, false
		}
		// Walk the forward path one step.
		for k1 := -dd + k1start; k1 <= dd-k1end; k1 += 2 {
			k1o := vOffset + k1
			var x1 int
			if k1 == -dd || (k1 != dd && v1[k1o-1] < v1[k1o+1]) {
				x1 = v1[k1o+1]
			} else {
				x1 = v1[k1o-1] + 1
			}
			y1 := x1 - k1
			x0 := x1
			for x1 < n && y1 < m && a[x1] == b[y1] {
				x1++
				y1++
			}
			d.work -= x1 - x0
			v1[k1o] = x1
			switch {
			case x1 > n: // ran off the right of the graph
				k1end += 2
			case y1 > m: // ran off the bottom of the graph
				k1start += 2
			case front:
				k2o := vOffset + delta - k1
				if k2o >= 0 && k2o < vLength && v2[k2o] != -1 {
					if x1 >= n-v2[k2o] { // mirror x2 onto top-left coordinates
						return x1, y1, d.work >= 0
					}
				}
			}
		}
		// Walk the reverse path one step.
		for k2 := -dd + k2start; k2 <= dd-k2end; k2 += 2 {
			k2o := vOffset + k2
			var x2 int
			if k2 == -dd || (k2 != dd && v2[k2o-1] < v2[k2o+1]) {
				x2 = v2[k2o+1]
			} else {
				x2 = v2[k2o-1] + 1
			}
			y2 := x2 - k2
			x0 := x2
			for x2 < n && y2 < m && a[n-x2-1] == b[m-y2-1] {
				x2++
				y2++
			}
			d.work -= x2 - x0
			v2[k2o] = x2
			switch {
			case x2 > n: // ran off the left of the graph
				k2end += 2
			case y2 > m: // ran off the top of the graph
				k2start += 2
			case !front:
				k1o := vOffset + delta - k2
				if k1o >= 0 && k1o < vLength && v1[k1o] != -1 {
					x1 := v1[k1o]
					y1 := vOffset + x1 - k1o
					if x1 >= n-x2 { // mirror x2 onto top-left coordinates
						return x1, y1, d.work >= 0
					}
				}
			}
		}
		if d.work < 0 {
			return 0, 0, false
		}
	}
	// The paths did not meet: no rune in common.
	return -1, -1, true
}

// slideLeft moves every pure insertion and pure deletion as far left as it can go
// without changing the result: an insertion new[ns:ne] before base[s] can move one rune
// left when its last rune equals the rune before it, base[s-1] (likewise a deletion
// when base[e-1] == base[s-1]). It stops at the previous hunk, merging the two when they
// meet. The runes a hunk slides over are unchanged text, so each rune is passed at most
// once: O(len(base)).
func slideLeft(base, text []rune, hs []hunk) []hunk {
	out := hs[:0]
	for _, h := range hs {
		floor := 0
		if len(out) > 0 {
			floor = out[len(out)-1].e
		}
		switch {
		case h.s == h.e: // insertion
			for h.s > floor && text[h.ne-1] == base[h.s-1] {
				h.s, h.e, h.ns, h.ne = h.s-1, h.e-1, h.ns-1, h.ne-1
			}
		case h.ns == h.ne: // deletion
			for h.s > floor && base[h.e-1] == base[h.s-1] {
				h.s, h.e, h.ns, h.ne = h.s-1, h.e-1, h.ns-1, h.ne-1
			}
		}
		if len(out) > 0 && h.s == floor {
			last := &out[len(out)-1]
			last.e, last.ne = h.e, h.ne
			continue
		}
		out = append(out, h)
	}
	return out
}

// coarsen merges two neighbouring hunks, with the equal run between them, when that run
// is no longer than the larger side of either hunk (diff-match-patch's semantic
// cleanup): incidental one- or two-rune matches inside a rewritten passage stop
// splitting it. Each merge only grows a hunk, so a stack reaches the fixed point in one
// pass.
func coarsen(base, text []rune, hs []hunk) []hunk {
	out := hs[:0]
	for _, h := range hs {
		for len(out) > 0 {
			last := out[len(out)-1]
			gap := h.s - last.e
			if gap > max(last.e-last.s, last.ne-last.ns) || gap > max(h.e-h.s, h.ne-h.ns) {
				break
			}
			h = hunk{last.s, h.e, last.ns, h.ne}
			out = out[:len(out)-1]
		}
		out = append(out, h)
	}
	return out
}
