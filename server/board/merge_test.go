package board

import (
	"math/rand"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestMerge3Table(t *testing.T) {
	const conflict = "\x00conflict"
	tests := []struct {
		name               string
		base, mine, theirs string
		want               string // conflict: want ok=false
	}{
		// Trivial cases.
		{"all equal", "abc", "abc", "abc", "abc"},
		{"only theirs changed", "abc", "abc", "abXc", "abXc"},
		{"only mine changed", "abc", "aXbc", "abc", "aXbc"},
		{"both same", "abc", "aXc", "aXc", "aXc"},
		{"empty base", "", "hej", "", "hej"},
		{"both cleared", "hej", "", "", ""},
		{"mine cleared, theirs unchanged", "hej", "", "hej", ""},

		// Different places.
		{"start vs end", "the quick brown fox", "The quick brown fox", "the quick brown fox!", "The quick brown fox!"},
		{"end vs start", "the quick brown fox", "the quick brown fox!", "The quick brown fox", "The quick brown fox!"},
		{"start vs middle", "one two three four", "zero one two three four", "one two 3 four", "zero one two 3 four"},
		{"middle vs end", "one two three four", "one 2 three four", "one two three four five", "one 2 three four five"},
		{"insert vs delete apart", "alpha beta gamma delta", "alpha beta gamma delta epsilon", "beta gamma delta", "beta gamma delta epsilon"},
		{"two edits each", "a b c d e f g h", "A b c D e f g h", "a b C d e F g H", "A b C D e F g H"},
		{"lines", "rad ett\nrad två\nrad tre\n", "rad ett\nrad 2\nrad tre\n", "rad ett\nrad två\nrad tre\nrad fyra\n", "rad ett\nrad 2\nrad tre\nrad fyra\n"},

		// Both sides made the same change, plus others.
		{"same insert plus other", "hello world", "Hello world!", "Hello World", "Hello World!"},
		{"same fix plus apart edits", "one twoo three four five", "ONE two three four five", "one two three four FIVE", "ONE two three four FIVE"},
		{"same deletion in a run", "xylophone aaaa y and more text", "xylophone aaa y and more text!", "Xylophone aaa y and more text", "Xylophone aaa y and more text!"},
		{"same insertion in a repeat", "xylophone abab y and more text", "xylophone ababab y and more text!", "Xylophone ababab y and more text", "Xylophone ababab y and more text!"},
		// Coarsening joins theirs' x→X with the nearby deletion, so mine's deletion meets
		// a different change: refused, conservatively.
		{"same deletion next to another edit", "x aaaa y and more text", "x aaa y and more text!", "X aaa y and more text", conflict},

		// Conflicts.
		{"overlapping edits", "the quick brown fox", "the slow brown fox", "the quack brown fox", conflict},
		{"neighbouring words", "the quick brown fox", "the slow brown fox", "the quick red fox", "the slow red fox"},
		{"same word, one rune apart", "the quick brown fox", "the quack brown fox", "the quicK brown fox", "the quacK brown fox"},
		{"overlapping replace", "abcdefgh", "abXYZfgh", "abcdQQgh", conflict},
		{"same position insertions", "ab", "aXb", "aYb", conflict},
		{"same position insertions at end", "ab", "abX", "abY", conflict},
		{"same position insertions at start", "ab", "Xab", "Yab", conflict},
		{"insertions sharing a prefix", "ab", "aXYb", "aXZb", conflict},
		{"deletion vs edit inside", "keep this sentence here", "keep here", "keep this Sentence here", conflict},
		{"deletion vs insertion inside", "keep this sentence here", "keep here", "keep this long sentence here", conflict},
		{"insertion at start of deletion", "aaa bbb ccc", "aaa ccc", "aaa Xbbb ccc", conflict},
		{"insertion at end of deletion", "aaa bbb ccc", "aaa ccc", "aaa bbbX ccc", conflict},
		{"insertion next to replacement", "aaa bbb ccc", "aaa BBB ccc", "aaa bbbX ccc", conflict},
		{"replacements back to back", "abcdef", "abXdef", "abcYef", conflict},
		{"both cleared vs edit", "hej hopp", "", "hej Hopp", conflict},
		{"delete all vs append", "hej", "", "hej!", conflict},
		{"edit vs delete all", "hej", "hej!", "", conflict},

		// Unicode.
		{"swedish", "Vi träffas på måndag och går igenom målen för hösten.",
			"Vi träffas på tisdag och går igenom målen för hösten.",
			"Vi träffas på måndag och går igenom målen för våren.",
			"Vi träffas på tisdag och går igenom målen för våren."},
		{"swedish å vs ä same byte prefix", "på väg ut ur gården", "på väg ut ur gärden", "Pä väg ut ur gården", "Pä väg ut ur gärden"},
		{"swedish same position", "Åsa", "Åsa ö", "Åsa ä", conflict},
		{"emoji", "Bra jobbat 👍 idag! Vi ses 🙂 snart.", "Bra jobbat 👍👍 idag! Vi ses 🙂 snart.", "Bra jobbat 👍 idag! Vi ses 😀 snart.", "Bra jobbat 👍👍 idag! Vi ses 😀 snart."},
		{"emoji sharing leading bytes", "a😀b c d e", "a😁b c d e", "a😀b c d 😂", "a😁b c d 😂"},
		{"arabic", "مرحبا بك في الاجتماع اليوم", "مرحبا بكم في الاجتماع اليوم", "مرحبا بك في الاجتماع غدا", "مرحبا بكم في الاجتماع غدا"},
		{"combining marks", "e\u0301 x y z", "e\u0301\u0301 x y z", "e\u0301 x y Z", "e\u0301\u0301 x y Z"},

		// Invalid UTF-8 where a merge is needed.
		{"invalid base", "a\xffb c d", "A\xffb c d", "a\xffb c D", conflict},
		{"invalid mine", "abc def", "Abc\xff def", "abc deF", conflict},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := Merge3(tt.base, tt.mine, tt.theirs)
			if tt.want == conflict {
				if ok {
					t.Fatalf("Merge3(%q, %q, %q) = %q, true; want a conflict", tt.base, tt.mine, tt.theirs, got)
				}
				if got != "" {
					t.Fatalf("conflict returned %q; want \"\"", got)
				}
				return
			}
			if !ok || got != tt.want {
				t.Fatalf("Merge3(%q, %q, %q) = %q, %v; want %q", tt.base, tt.mine, tt.theirs, got, ok, tt.want)
			}
			if !utf8.ValidString(got) {
				t.Fatalf("merged text is not valid UTF-8: %q", got)
			}
			// The merge does not depend on which side is which.
			if got2, ok2 := Merge3(tt.base, tt.theirs, tt.mine); !ok2 || got2 != got {
				t.Fatalf("swapped sides: %q, %v; want %q", got2, ok2, got)
			}
		})
	}
}

// TestMerge3SameWordConflicts pins that two edits in one word still conflict when they
// touch, and documents that they merge when an unchanged rune lies between them.
func TestMerge3SameWordConflicts(t *testing.T) {
	if got, ok := Merge3("cat", "cut", "cap"); ok {
		t.Errorf("adjacent edits merged to %q", got)
	}
	if got, ok := Merge3("stack", "stuck", "stacy"); !ok || got != "stucy" {
		t.Errorf("edits one rune apart = %q, %v; want \"stucy\", true", got, ok)
	}
}

// mergeRunes is the alphabet for random texts: ASCII, Swedish letters, a combining mark,
// Arabic, a CJK ideograph and emoji (two to four bytes each).
var mergeRunes = []rune("abcdefghijklmnopqrstuvwxyz   ,.\nåäöÅÄÖé\u0301مرحبا日😀👍")

func randomRunes(rng *rand.Rand, n int) []rune {
	r := make([]rune, n)
	for i := range r {
		r[i] = mergeRunes[rng.Intn(len(mergeRunes))]
	}
	return r
}

type region struct {
	s, e int
	repl []rune
}

// randomRegions picks k disjoint regions of base, in order, each followed by at least
// minGap untouched runes, with a random replacement that differs from the original.
func randomRegions(rng *rand.Rand, base []rune, k, minGap int) []region {
	var rs []region
	pos := rng.Intn(4)
	for len(rs) < k && pos <= len(base) {
		s := pos
		e := min(len(base), s+rng.Intn(8))
		repl := randomRunes(rng, rng.Intn(8))
		if string(repl) == string(base[s:e]) {
			repl = append(repl, 'Z')
		}
		rs = append(rs, region{s, e, repl})
		pos = e + minGap + rng.Intn(30)
	}
	return rs
}

// applyRegions replaces the regions in base (which must be in order).
func applyRegions(base []rune, rs []region) string {
	var b strings.Builder
	p := 0
	for _, r := range rs {
		b.WriteString(string(base[p:r.s]))
		b.WriteString(string(r.repl))
		p = r.e
	}
	b.WriteString(string(base[p:]))
	return b.String()
}

// TestMerge3Property edits disjoint, non-adjacent regions of a random text, some on each
// side, and checks the merge is exactly the text with all edits applied.
func TestMerge3Property(t *testing.T) {
	rng := rand.New(rand.NewSource(42))
	for iter := 0; iter < 3000; iter++ {
		base := randomRunes(rng, 20+rng.Intn(400))
		k := 2
		if iter%2 == 1 {
			k = 2 + rng.Intn(6) // several edits per side
		}
		rs := randomRegions(rng, base, k, 3)
		if len(rs) < 2 {
			continue
		}
		var mine, theirs []region
		// At least one region per side, the rest at random.
		perm := rng.Perm(len(rs))
		side := make([]bool, len(rs))
		side[perm[0]] = true
		for _, i := range perm[2:] {
			side[i] = rng.Intn(2) == 0
		}
		for i, r := range rs {
			if side[i] {
				mine = append(mine, r)
			} else {
				theirs = append(theirs, r)
			}
		}
		b, m, th, want := string(base), applyRegions(base, mine), applyRegions(base, theirs), applyRegions(base, rs)
		got, ok := Merge3(b, m, th)
		if !ok || got != want {
			t.Fatalf("iteration %d:\nbase   %q\nmine   %q\ntheirs %q\ngot    %q, %v\nwant   %q", iter, b, m, th, got, ok, want)
		}
	}
}

// TestMerge3RandomEditsNeverCorrupt applies random, possibly overlapping edits and checks
// what must hold whatever the outcome: valid UTF-8, symmetry, and that a merge is exact
// when the edits do not touch.
func TestMerge3RandomEditsNeverCorrupt(t *testing.T) {
	rng := rand.New(rand.NewSource(7))
	merged := 0
	for iter := 0; iter < 3000; iter++ {
		base := randomRunes(rng, rng.Intn(60))
		edit := func() []region {
			s := rng.Intn(len(base) + 1)
			e := min(len(base), s+rng.Intn(6))
			return []region{{s, e, randomRunes(rng, rng.Intn(4))}}
		}
		rm, rt := edit(), edit()
		b, m, th := string(base), applyRegions(base, rm), applyRegions(base, rt)
		got, ok := Merge3(b, m, th)
		got2, ok2 := Merge3(b, th, m)
		if ok != ok2 || got != got2 {
			t.Fatalf("not symmetric: %q %q %q: %q,%v vs %q,%v", b, m, th, got, ok, got2, ok2)
		}
		// Regions well apart must merge to both edits applied.
		if a, c := rm[0], rt[0]; a.e+3 <= c.s || c.e+3 <= a.s {
			rs := []region{a, c}
			if c.s < a.s {
				rs = []region{c, a}
			}
			if want := applyRegions(base, rs); !ok || got != want {
				t.Fatalf("%q %q %q: got %q, %v; want %q", b, m, th, got, ok, want)
			}
		}
		if !ok {
			continue
		}
		merged++
		if !utf8.ValidString(got) {
			t.Fatalf("invalid UTF-8 from %q %q %q: %q", b, m, th, got)
		}
	}
	t.Logf("%d of 3000 random edit pairs merged", merged)
}

// TestMerge3DiffIsMinimal checks the bounded Myers diff against a plain LCS table: the
// matches are in order, really match, and are as many runes as the longest common
// subsequence; and the hunks made from them rebuild the new text.
func TestMerge3DiffIsMinimal(t *testing.T) {
	rng := rand.New(rand.NewSource(3))
	alpha := []rune("abcå😀")
	gen := func(n int) []rune {
		r := make([]rune, n)
		for i := range r {
			r[i] = alpha[rng.Intn(1+rng.Intn(len(alpha)))]
		}
		return r
	}
	for iter := 0; iter < 5000; iter++ {
		a, b := gen(rng.Intn(40)), gen(rng.Intn(40))
		d := differ{work: mergeMaxWork}
		if !d.diff(a, b, 0, 0) {
			t.Fatalf("diff(%q, %q) gave up", string(a), string(b))
		}
		total, pa, pb := 0, 0, 0
		for _, m := range d.matches {
			if m.n <= 0 || m.a < pa || m.b < pb {
				t.Fatalf("diff(%q, %q): bad match order %v", string(a), string(b), d.matches)
			}
			for i := 0; i < m.n; i++ {
				if a[m.a+i] != b[m.b+i] {
					t.Fatalf("diff(%q, %q): match %v does not match", string(a), string(b), m)
				}
			}
			total += m.n
			pa, pb = m.a+m.n, m.b+m.n
		}
		if want := lcsLen(a, b); total != want {
			t.Fatalf("diff(%q, %q) matches %d runes; LCS is %d", string(a), string(b), total, want)
		}
		hs, ok := (&differ{work: mergeMaxWork}).hunks(a, b)
		if !ok {
			t.Fatal("hunks gave up")
		}
		if got := string(applyHunks(nil, a, b, hs, 0, len(a))); got != string(b) {
			t.Fatalf("hunks of %q → %q rebuild %q", string(a), string(b), got)
		}
		for i := 1; i < len(hs); i++ {
			if hs[i].s <= hs[i-1].e || hs[i].ns <= hs[i-1].ne {
				t.Fatalf("hunks of %q → %q touch: %v", string(a), string(b), hs)
			}
		}
	}
}

func lcsLen(a, b []rune) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for i := 1; i <= len(a); i++ {
		for j := 1; j <= len(b); j++ {
			if a[i-1] == b[j-1] {
				cur[j] = prev[j-1] + 1
			} else {
				cur[j] = max(prev[j], cur[j-1])
			}
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// mergeTestLen is the longest text Merge3 is meant for, in runes.
const mergeTestLen = 16000

// swedishText returns about n runes of Swedish-looking prose.
func swedishText(rng *rand.Rand, n int) []rune {
	words := strings.Fields("och att det som en på är av för med till den har de inte om ett han men var jag sig från vi så kan man när år säga hon under också efter eller nu sin där vid mot ska skulle kommer ut får finns vara hade alla andra mycket än här då sedan över bara in blir upp även vad få två vill ha många hur mer går sverige kronor detta nya procent skolan barnet mål vårdnadshavare möte hösten våren trygghet hälsa fritid ansvar")
	var r []rune
	for len(r) < n {
		r = append(r, []rune(words[rng.Intn(len(words))])...)
		if rng.Intn(12) == 0 {
			r = append(r, '.')
		}
		r = append(r, ' ')
	}
	return r[:n:n]
}

// TestMerge3Large merges edits in two 16,000-rune texts. It asserts no time, only that
// the bounded diff does not give up on them.
func TestMerge3Large(t *testing.T) {
	rng := rand.New(rand.NewSource(11))
	base := swedishText(rng, mergeTestLen)
	r := func(s, e int, repl string) region { return region{s, e, []rune(repl)} }
	cases := []struct {
		name         string
		mine, theirs []region
	}{
		{"start vs end", []region{r(10, 15, "måndag")}, []region{r(15900, 15905, "🙂 klart")}},
		{"both ends vs middle", []region{r(0, 3, "Hej"), r(mergeTestLen-10, mergeTestLen, "slut.")}, []region{r(8000, 8000, "infogat här ")}},
		{"many small edits", func() []region {
			var rs []region
			for p := 100; p < 15000; p += 300 {
				rs = append(rs, r(p, p+2, "åä"))
			}
			return rs
		}(), []region{r(15500, 15600, "")}},
		{"big paste", []region{r(5000, 5000, string(swedishText(rng, 3000)))}, []region{r(200, 210, "x")}},
		{"big deletion", []region{r(2000, 9000, "")}, []region{r(12000, 12001, "Ö")}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			all := append(append([]region(nil), tc.mine...), tc.theirs...)
			sortRegions(all)
			want := applyRegions(base, all)
			got, ok := Merge3(string(base), applyRegions(base, tc.mine), applyRegions(base, tc.theirs))
			if !ok || got != want {
				t.Fatalf("Merge3 = ok %v, equal %v", ok, got == want)
			}
		})
	}
}

func sortRegions(rs []region) {
	for i := 1; i < len(rs); i++ {
		for j := i; j > 0 && rs[j].s < rs[j-1].s; j-- {
			rs[j], rs[j-1] = rs[j-1], rs[j]
		}
	}
}

// TestMerge3GivesUp checks that texts too different to diff cheaply are refused (and
// that the refusal is an answer, not a hang; the budget keeps each case short).
func TestMerge3GivesUp(t *testing.T) {
	rng := rand.New(rand.NewSource(5))
	gen := func(alpha string, n int) string {
		b := make([]byte, n)
		for i := range b {
			b[i] = alpha[rng.Intn(len(alpha))]
		}
		return string(b)
	}
	base := gen("ab", mergeTestLen)
	small := base[:8000] + "X" + base[8000:]
	everyFifth := []rune(base)
	for i := 0; i < len(everyFifth); i += 5 {
		everyFifth[i] = 'c'
	}
	cases := []struct{ name, base, mine, theirs string }{
		{"unrelated binary texts", base, gen("ab", mergeTestLen), small},
		{"no common rune", strings.Repeat("a", mergeTestLen), strings.Repeat("b", mergeTestLen), "a"},
		{"every fifth rune changed", base, string(everyFifth), small},
		{"unrelated prose", string(swedishText(rng, mergeTestLen)), string(swedishText(rng, mergeTestLen)), "x"},
	}
	for _, tc := range cases {
		if got, ok := Merge3(tc.base, tc.mine, tc.theirs); ok {
			t.Errorf("%s: merged (%d bytes); want ok=false", tc.name, len(got))
		}
	}
}

func FuzzMerge3(f *testing.F) {
	f.Add("", "", "")
	f.Add("abc", "aXbc", "abcY")
	f.Add("ab", "aXb", "aYb")
	f.Add("the quick brown fox", "the slow brown fox", "the quick brown fox!")
	f.Add("Vi ses på måndag.", "Vi ses på tisdag.", "Vi ses på måndag!")
	f.Add("aaaa", "aaa", "aaaaa")
	f.Add("abab", "ababab", "ab")
	f.Add("😀👍", "😀😁👍", "😀👍😂")
	f.Add("مرحبا", "مرحبا بك", "أهلا مرحبا")
	f.Add("a\xffb", "a\xffbc", "Xa\xffb")
	f.Add("\xe2\x82", "\xe2\x82\xac", "\xe2")
	f.Fuzz(func(t *testing.T, base, mine, theirs string) {
		got, ok := Merge3(base, mine, theirs)
		if got2, ok2 := Merge3(base, mine, theirs); got2 != got || ok2 != ok {
			t.Fatalf("not deterministic: %q,%v then %q,%v", got, ok, got2, ok2)
		}
		if got2, ok2 := Merge3(base, theirs, mine); got2 != got || ok2 != ok {
			t.Fatalf("not symmetric: %q,%v vs swapped %q,%v", got, ok, got2, ok2)
		}
		if !ok && got != "" {
			t.Fatalf("conflict returned text %q", got)
		}
		switch {
		case mine == base:
			if !ok || got != theirs {
				t.Fatalf("mine == base: got %q, %v; want theirs %q", got, ok, theirs)
			}
		case theirs == base, mine == theirs:
			if !ok || got != mine {
				t.Fatalf("theirs == base or mine == theirs: got %q, %v; want mine %q", got, ok, mine)
			}
		}
		if ok && utf8.ValidString(base) && utf8.ValidString(mine) && utf8.ValidString(theirs) && !utf8.ValidString(got) {
			t.Fatalf("invalid UTF-8 %q from valid inputs", got)
		}
	})
}

func BenchmarkMerge3(b *testing.B) {
	rng := rand.New(rand.NewSource(1))
	base := swedishText(rng, 4000)
	mine := applyRegions(base, []region{{500, 506, []rune("tisdag")}})
	theirs := applyRegions(base, []region{{3000, 3000, []rune("mycket ")}})
	want := applyRegions(base, []region{{500, 506, []rune("tisdag")}, {3000, 3000, []rune("mycket ")}})
	bs := string(base)
	b.ReportAllocs()
	for b.Loop() {
		if got, ok := Merge3(bs, mine, theirs); !ok || got != want {
			b.Fatal("merge failed")
		}
	}
}
