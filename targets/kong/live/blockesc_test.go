package live

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"slices"
	"testing"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// quoteBodies returns the bodies of text as a JSON string written by
// encoding/json and as Kong's cjson writes it ('/' escaped as "\/").
func quoteBodies(text []byte) [][]byte {
	q, _ := json.Marshal(string(text))
	body := q[1 : len(q)-1]
	return [][]byte{body, bytes.ReplaceAll(body, []byte("/"), []byte(`\/`))}
}

// sameEscaped fails unless decodeBlockEscaped, reading body (text
// quoted) in parts of every size given on 1 to 3 goroutines, reads what
// decodeBlockSerial reads in text, or gives up. must says it must read
// it, as it must read whatever decodeBlockSerial reads when body is
// quoted by a JSON writer (no \u escape of a line break or at a line's
// start): serialReads.
func sameEscaped(t *testing.T, name string, text, body []byte, must bool, sizes ...int) {
	t.Helper()
	serial, sok := decodeBlockSerial(text)
	for _, size := range sizes {
		for workers := 1; workers <= 3; workers++ {
			got, ok := decodeBlockEscaped(body, workers, size)
			switch {
			case ok && !sok:
				t.Fatalf("%s (parts of %d, %d goroutines): read quoted, given up on unquoted", name, size, workers)
			case !ok && must:
				t.Fatalf("%s (parts of %d, %d goroutines): the quoted reader gave up", name, size, workers)
			case ok:
				if d := cmp.Diff(serial, got, cmpopts.EquateNaNs()); d != "" {
					t.Fatalf("%s (parts of %d, %d goroutines): quoted differs from unquoted (-unquoted +quoted):\n%s", name, size, workers, d)
				}
			}
		}
	}
}

// TestBlockEscapedMatchesSerial holds the quoted reader to the serial
// one on the recorded answers in both writers' layouts and both JSON
// writers' escapes, cut into parts of every size from one entry to the
// whole document.
func TestBlockEscapedMatchesSerial(t *testing.T) {
	for name, text := range recordedYAML(t) {
		for i, body := range quoteBodies(text) {
			sameEscaped(t, fmt.Sprintf("%s, quoted %d", name, i), text, body, true, 1, 100, 1000, 10000, len(body))
		}
	}
}

// TestBlockEscapedGivesUp: what the serial reader gives up on, the
// quoted one does too, and what it reads (escaped backslashes before an
// 'n', entries alone on their line, quotes), the quoted one reads;
// escapes it does not follow (a line break or a line's first byte
// written as a \u escape) read as unquoted or make it give up.
func TestBlockEscapedGivesUp(t *testing.T) {
	for _, in := range []string{
		"a:\n- x\n- y\nb:\n  - z\n- w\n", "a:\n  - x\n - y\n", "a:\n  - x\n  y\n", "a:\n- x\na:\n- y\n",
		"  a: 1\nb: 2\n", "a:\n- x\n---\nb: 1\n", "a:\n- x\n\t- y\n", "a:\n    - x\n  - y\n",
		"a:\n- b: 1\n  b: 2\n", "a:\n- x\n-y\n", "a: 1\n- x\n", "a:\n- x\n-\n  - y\n  -z: 1\n",
		"# c\na:\n- x\n# d\n\n- y\nb: 'q\\\\n'\n", "a:\n-\n  - y\n", "a: \"x\\\\n- y\"\nb:\n- \"\\\\\\\\n\"\n",
		"a:\n- x\r\n- y\n", "a:\n- caf\u00e9\n", "a: 'x\\nb: 1'\nc:\n- 'y\\n- z'\n- '\\\\n'\n", "a:\n-\n  - y\n-\n  b: 1\n",
		"a:\n- 'x\\\\\\n- z'\n- \"q\\\"\\n- r\"\nb: 1\n",
	} {
		for i, body := range quoteBodies([]byte(in)) {
			sameEscaped(t, fmt.Sprintf("%q quoted %d", in, i), []byte(in), body, serialReads([]byte(in)), 1, 2, 3, 5, 8, 13, 100)
		}
	}
	for _, tc := range []struct{ text, body string }{
		{"a:\n- x\nb:\n- y\n", `a:\n- x\u000ab:\n- y\n`}, {"a:\n- x\nb:\n- y\n", `a:\n- x\n\u0062:\n- y\n`},
		{"a:\n- x\n- y\n", `a:\n- x\n\u002d y\n`}, {"a:\n- x\n# c\n- y\n", `a:\n- x\n\u0023 c\n- y\n`},
		{"a:\n- x\n \n- y\n", `a:\n- x\n\u0020\n- y\n`}, {"a:\n- \"q\"\n- y\n", `a:\n- \"q\"\n- y\n`},
		{"a:\n- x\n- y\n", `a:\u000a- x\n- y\n`}, {"a:\n- x\n- y\n", `a:\n\u000a- x\n- y\n`},
	} {
		sameEscaped(t, tc.body, []byte(tc.text), []byte(tc.body), false, 1, 2, 3, 5, 8, 100)
	}
}

// naiveKeyLines is escKeyLines' answer found walking the escapes from
// the start.
func naiveKeyLines(body []byte) []int {
	var out []int
	if len(body) > 0 && escKeyLine(body, 0) {
		out = append(out, 0)
	}
	for q := 0; q+1 < len(body); q++ {
		if body[q] != '\\' {
			continue
		}
		if body[q+1] == 'n' && q+2 < len(body) && escKeyLine(body, q+2) {
			out = append(out, q+2)
		}
		q++
	}
	return out
}

// TestEscKeyLines holds escKeyLines, in eight-byte words on 1 to 7
// goroutines, to naiveKeyLines on the recorded answers and on texts of
// backslash runs, escapes and entries at every alignment.
func TestEscKeyLines(t *testing.T) {
	var bodies [][]byte
	for _, text := range recordedYAML(t) {
		bodies = append(bodies, quoteBodies(text)...)
	}
	for _, s := range []string{`a\nb\\nc\\\nd\n e\n-f\n- g\n-\n\nh\n#i\n\\`, `\n\n\\\\\n\\\\\\nx\n`, `-\n`, `x\n-`, `\n`} {
		for pad := range 9 {
			bodies = append(bodies, append(bytes.Repeat([]byte{'p'}, pad), s...))
		}
	}
	for _, body := range bodies {
		want := naiveKeyLines(body)
		for workers := 1; workers <= 7; workers++ {
			if got := escKeyLines(body, workers); !slices.Equal(got, want) {
				t.Fatalf("%.60q… on %d goroutines: %v, want %v", body, workers, got, want)
			}
		}
	}
}

// quotedFuzz checks decodeBlockEscaped on a fuzz input, quoted by both
// JSON writers.
func quotedFuzz(t *testing.T, data []byte) {
	if !utf8.Valid(data) {
		return
	}
	for i, body := range quoteBodies(data) {
		sameEscaped(t, fmt.Sprintf("%q quoted %d", data, i), data, body, false, 1, 7, 40)
	}
}

// TestEqBytes holds eqBytes to byte-by-byte equality for every byte
// value at every place of a word, against several bytes.
func TestEqBytes(t *testing.T) {
	for _, c := range []byte{'\\', 'n', ' ', 0, 0x80, 0xff} {
		for place := range 8 {
			for v := range 256 {
				for _, fill := range []byte{'a', c, c ^ 0x80, 0} {
					var w [8]byte
					for i := range w {
						w[i] = fill
					}
					w[place] = byte(v)
					var want uint64
					for i, b := range w {
						if b == c {
							want |= 0x80 << (8 * i)
						}
					}
					if got := eqBytes(binary.LittleEndian.Uint64(w[:]), c); got != want {
						t.Fatalf("eqBytes(%q, %q) = %#x, want %#x", w, c, got, want)
					}
				}
			}
		}
	}
}

// serialReads reports whether decodeBlockSerial reads text.
func serialReads(text []byte) bool {
	_, ok := decodeBlockSerial(text)
	return ok
}
