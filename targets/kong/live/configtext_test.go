package live

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"math/bits"
	"math/rand/v2"
	"strings"
	"testing"
)

// sameUnquote fails unless unquoteParts, in any number of parts, reads
// body as encoding/json reads the string "<body>", or gives up.
func sameUnquote(t *testing.T, body []byte) {
	t.Helper()
	var want string
	err := json.Unmarshal(append(append([]byte{'"'}, body...), '"'), &want)
	for parts := 1; parts <= 5; parts++ {
		got, ok := unquoteParts(body, parts)
		if !ok {
			continue
		}
		if err != nil {
			t.Fatalf("%q in %d parts: read, encoding/json refuses it: %v", body, parts, err)
		}
		if string(got) != want {
			t.Fatalf("%q in %d parts: read %q, encoding/json %q", body, parts, got, want)
		}
	}
}

// TestUnquoteParts: the config text read in parts reads as encoding/json
// reads it, wherever the parts are cut; what is not printable ASCII with
// one-character escapes is left to jsonReader.str.
func TestUnquoteParts(t *testing.T) {
	dbless, _ := recorded(t)
	var ans struct{ Config string }
	if err := json.Unmarshal(dbless, &ans); err != nil {
		t.Fatal(err)
	}
	quoted, _ := json.Marshal(ans.Config)
	body := quoted[1 : len(quoted)-1]
	for _, parts := range []int{1, 2, 3, 16, 1000} {
		got, ok := unquoteParts(body, parts)
		if !ok || string(got) != ans.Config {
			t.Fatalf("the recorded config text in %d parts: ok %v, same %v", parts, ok, string(got) == ans.Config)
		}
	}
	for _, in := range []string{`a\nb`, `\\\\n`, `\\\"x`, `\u00e9\u20ac`, `x\/y\b\f\r\t`, `ab\`, `a"b`, "a\x01", "caf\xc3\xa9",
		`\ud83d\ude00`, `\x41`, `\u12`, `\u12g4`, `a\\`, `\\\`} {
		for _, pad := range []int{0, 1, 5} {
			sameUnquote(t, append(bytes.Repeat([]byte("\\n"), pad), in...))
		}
	}
	for _, in := range []string{`ab\`, `a"b`, "a\x01", "caf\xc3\xa9", `\ud83d\ude00`, `\x41`, `\u12`} {
		if _, ok := unquoteParts([]byte(in), 2); ok {
			t.Errorf("%q: read in parts", in)
		}
	}
	// A large answer goes through unquoteParallel.
	large := strings.Repeat(ans.Config+"\u00e9 \"q\" \\ \t", 1+parallelMin/len(ans.Config))
	data, _ := json.Marshal(map[string]string{"config": large})
	text, ok := adminConfigText(append(data, " \n"...))
	if !ok || string(text) != large {
		t.Fatalf("a large answer: ok %v, same %v", ok, string(text) == large)
	}
}

// TestNotPlain holds notPlain to plainJSON byte by byte: every byte
// value at every place of a word of plain bytes, and of a word of random
// bytes; and unquoteRun to encoding/json with each byte value at each
// place of a string longer than a word.
func TestNotPlain(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	check := func(w [8]byte) {
		want := 8
		for i, c := range w {
			if !plainJSON[c] {
				want = i
				break
			}
		}
		if got := bits.TrailingZeros64(notPlain(binary.LittleEndian.Uint64(w[:]))) >> 3; got != want {
			t.Fatalf("notPlain(%q) flags byte %d first, want %d", w, got, want)
		}
	}
	for place := range 8 {
		for c := range 256 {
			w := [8]byte{'a', 'b', '~', ' ', '!', '#', '[', '}'}
			w[place] = byte(c)
			check(w)
			for range 20 {
				for i := range w {
					w[i] = byte(rng.IntN(256))
				}
				w[place] = byte(c)
				check(w)
			}
		}
	}
	for range 100000 {
		var w [8]byte
		for i := range w {
			w[i] = byte(0x20 + rng.IntN(0x60))
		}
		check(w)
	}
	for c := range 256 {
		for place := range 20 {
			body := []byte("abcdefghijklmnopqrstuvwxyz")
			body[place] = byte(c)
			sameUnquote(t, body)
			body[place+1] = 'n'
			sameUnquote(t, body)
		}
	}
}
