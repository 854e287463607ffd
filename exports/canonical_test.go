package exports

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/barnteam/barnteam/server/board"
)

func mustCanonical(t *testing.T, doc board.PlanDoc) []byte {
	t.Helper()
	b, err := Canonical(doc)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestCanonicalIsDeterministic(t *testing.T) {
	doc := fixtureDoc()
	a := mustCanonical(t, doc)
	for range 20 { // map order in the intermediate form must never leak
		if b := mustCanonical(t, fixtureDoc()); !bytes.Equal(a, b) {
			t.Fatal("the same plan gave different canonical bytes")
		}
	}
	// The same instant in another time zone is the same plan.
	doc.FrozenAt = doc.FrozenAt.In(time.FixedZone("CET", 3600))
	if b := mustCanonical(t, doc); !bytes.Equal(a, b) {
		t.Errorf("FrozenAt in CET changed the canonical bytes:\n%s\n%s", a[:200], b[:200])
	}
}

// TestCanonicalForm checks the JCS rules on the fixture's bytes: keys sorted in every
// object, no whitespace outside strings, no HTML escaping.
func TestCanonicalForm(t *testing.T) {
	doc := fixtureDoc()
	doc.Reason = "<b>&</b> \u2028 \"citat\" \\ \t\x01 å"
	b := mustCanonical(t, doc)
	if !json.Valid(b) {
		t.Fatal("not valid JSON")
	}
	var compact bytes.Buffer
	if err := json.Compact(&compact, b); err != nil || !bytes.Equal(compact.Bytes(), b) {
		t.Error("canonical JSON has whitespace between tokens")
	}
	for _, bad := range []string{`\u003c`, `\u003e`, `\u0026`, `\u2028`, "\n"} {
		if bytes.Contains(b, []byte(bad)) {
			t.Errorf("canonical JSON contains %q", bad)
		}
	}
	for _, want := range []string{`"reason":"<b>&</b> ` + "\u2028" + ` \"citat\" \\ \t\u0001 å"`, `"format":"barnteam.plan/1"`, `"frozen_at":"2026-03-12T14:02:00Z"`} {
		if !bytes.Contains(b, []byte(want)) {
			t.Errorf("canonical JSON lacks %s", want)
		}
	}
	// keys in order, at every depth
	dec := json.NewDecoder(bytes.NewReader(b))
	type frame struct {
		obj  bool
		last string
		key  bool // the next string token is a key
	}
	var stack []frame
	objects := 0
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		top := len(stack) - 1
		switch v := tok.(type) {
		case json.Delim:
			switch v {
			case '{':
				objects++
				if top >= 0 && stack[top].obj {
					stack[top].key = true
				}
				stack = append(stack, frame{obj: true, key: true})
				continue
			case '[':
				if top >= 0 && stack[top].obj {
					stack[top].key = true
				}
				stack = append(stack, frame{})
				continue
			default:
				stack = stack[:top]
				continue
			}
		case string:
			if top >= 0 && stack[top].obj && stack[top].key {
				if stack[top].last != "" && compareUTF16(stack[top].last, v) >= 0 {
					t.Errorf("key %q after %q", v, stack[top].last)
				}
				stack[top].last = v
				stack[top].key = false
				continue
			}
		}
		if top >= 0 && stack[top].obj {
			stack[top].key = true
		}
	}
	if objects < 50 {
		t.Errorf("walked only %d objects", objects)
	}
}

func TestJCSStrings(t *testing.T) {
	for in, want := range map[string]string{
		"a\"b\\c":         `"a\"b\\c"`,
		"\b\f\n\r\t":      `"\b\f\n\r\t"`,
		"\x00\x1f\x7f":    `"\u0000\u001f` + "\x7f\"",
		"<>&\u2028\u2029": "\"<>&\u2028\u2029\"",
		"😀 é":             "\"😀 é\"",
	} {
		if got := string(appendJCSString(nil, in)); got != want {
			t.Errorf("%q: got %s, want %s", in, got, want)
		}
	}
	// RFC 8785 sorts by UTF-16 code units: U+1F600 (surrogates D83D DE00) before U+FFFD,
	// although its UTF-8 bytes sort after.
	if compareUTF16("\U0001F600", "\uFFFD") >= 0 || compareUTF16("a", "b") >= 0 || compareUTF16("ab", "a") <= 0 {
		t.Error("compareUTF16 does not order by UTF-16 code units")
	}
	if strings.Compare("\U0001F600", "\uFFFD") <= 0 {
		t.Error("test premise: bytes order the other way")
	}
}

func TestCanonicalRoundTrip(t *testing.T) {
	doc := fixtureDoc()
	b := mustCanonical(t, doc)
	back, err := ParseCanonical(b)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back, doc) {
		t.Errorf("round trip changed the plan:\n%+v\n%+v", back, doc)
	}
	if again := mustCanonical(t, back); !bytes.Equal(again, b) {
		t.Error("canonical bytes of the parsed plan differ")
	}

	// invalid UTF-8 is stored as U+FFFD and reads back as such, stably
	doc.Reason = "tr\xffasig"
	b = mustCanonical(t, doc)
	back, err = ParseCanonical(b)
	if err != nil {
		t.Fatal(err)
	}
	if back.Reason != "tr\uFFFDasig" {
		t.Errorf("reason %q", back.Reason)
	}
}

func TestParseCanonicalIsStrict(t *testing.T) {
	good := mustCanonical(t, fixtureDoc())
	var generic map[string]any
	if err := json.Unmarshal(good, &generic); err != nil {
		t.Fatal(err)
	}
	indented, _ := json.MarshalIndent(generic, "", " ")
	wrongFormat := bytes.Replace(good, []byte(`"format":"barnteam.plan/1"`), []byte(`"format":"barnteam.plan/9"`), 1)
	unknown := bytes.Replace(good, []byte(`{"actions"`), []byte(`{"aaa":1,"actions"`), 1)
	for name, in := range map[string][]byte{
		"whitespace":    indented,
		"trailing data": append(append([]byte{}, good...), []byte(` {}`)...),
		"wrong format":  wrongFormat,
		"unknown field": unknown,
		"not JSON":      []byte("Barnets plan"),
		"empty":         nil,
	} {
		if _, err := ParseCanonical(in); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if _, err := ParseCanonical(indented); !errors.Is(err, ErrNotCanonical) {
		t.Errorf("indented JSON: %v, want ErrNotCanonical", err)
	}
}

func TestCanonicalRefusesLargeNumbers(t *testing.T) {
	doc := fixtureDoc()
	doc.Version = 1 << 60
	if _, err := Canonical(doc); err == nil {
		t.Error("a version beyond 2^53 was accepted")
	}
}

// TestHashChangesWithEveryField changes each field of the plan in turn, down to every
// element of every list, and checks that the SHA-256 changes each time.
func TestHashChangesWithEveryField(t *testing.T) {
	base := board.PlanSHA256(mustCanonical(t, fixtureDoc()))
	var paths []string
	var walk func(v reflect.Value, path string)
	count := 0
	check := func(path string) {
		count++
		doc := fixtureDoc()
		if !mutateAt(reflect.ValueOf(&doc).Elem(), strings.Split(path, "/")[1:]) {
			t.Fatalf("%s: could not mutate", path)
		}
		if board.PlanSHA256(mustCanonical(t, doc)) == base {
			t.Errorf("changing %s did not change the hash", path)
		}
	}
	walk = func(v reflect.Value, path string) {
		switch v.Kind() {
		case reflect.Struct:
			if v.Type() == reflect.TypeFor[time.Time]() {
				paths = append(paths, path)
				return
			}
			for i := range v.NumField() {
				walk(v.Field(i), path+"/"+v.Type().Field(i).Name)
			}
		case reflect.Slice:
			paths = append(paths, path+"/+") // one more element
			for i := range v.Len() {
				walk(v.Index(i), path+"/"+fmt.Sprintf("%03d", i))
			}
		default:
			paths = append(paths, path)
		}
	}
	doc := fixtureDoc()
	walk(reflect.ValueOf(doc), "")
	for _, p := range paths {
		check(p)
	}
	if count < 400 {
		t.Errorf("checked only %d fields", count)
	}
}

// mutateAt changes the value at path (field names and 3-digit indexes; "+" appends).
func mutateAt(v reflect.Value, path []string) bool {
	if len(path) == 0 {
		switch v.Kind() {
		case reflect.String:
			v.SetString(v.String() + "x")
		case reflect.Int:
			v.SetInt(v.Int() + 1)
		case reflect.Bool:
			v.SetBool(!v.Bool())
		case reflect.Struct: // time.Time
			v.Set(reflect.ValueOf(v.Interface().(time.Time).Add(time.Second)))
		default:
			return false
		}
		return true
	}
	switch v.Kind() {
	case reflect.Struct:
		return mutateAt(v.FieldByName(path[0]), path[1:])
	case reflect.Slice:
		if path[0] == "+" {
			v.Set(reflect.Append(v, reflect.Zero(v.Type().Elem())))
			return true
		}
		i := int(path[0][0]-'0')*100 + int(path[0][1]-'0')*10 + int(path[0][2]-'0')
		return mutateAt(v.Index(i), path[1:])
	}
	return false
}
