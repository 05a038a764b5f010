package live

import (
	"bytes"
	"encoding/binary"
	"math/bits"
	"runtime"
	"sync"
	"unicode/utf8"
)

// unquoteParallel unquotes the Admin API's config text, the JSON string
// opening at data[open] and closing the document ({"config": "<text>"}
// and white space), in parts on GOMAXPROCS goroutines. It reads only a
// string of printable ASCII whose escapes stand for one character each
// (what jsonReader.str unquotes itself); for anything else ok is false
// and the caller reads the string with jsonReader.str.
func unquoteParallel(data []byte, open int) ([]byte, bool) {
	body, ok := configBody(data, open)
	if !ok {
		return nil, false
	}
	workers := runtime.GOMAXPROCS(0)
	if workers < 2 || len(body) < parallelMin {
		return nil, false
	}
	return unquoteParts(body, workers)
}

// configBody returns the body of the JSON string opening at data[open]
// and closing the document ({"config": "<body>"} and white space): the
// bytes between that quote and the last one, which the caller checks
// (unquoteRun refuses an unescaped quote).
func configBody(data []byte, open int) ([]byte, bool) {
	end := len(bytes.TrimRight(data, " \t\r\n"))
	if end < 2 || data[end-1] != '}' {
		return nil, false
	}
	end = len(bytes.TrimRight(data[:end-1], " \t\r\n"))
	if end-1 <= open || data[end-1] != '"' {
		return nil, false
	}
	return data[open+1 : end-1], true
}

// unquoteParts unquotes a JSON string's body in about parts runs on as
// many goroutines.
func unquoteParts(body []byte, parts int) ([]byte, bool) {
	cuts := escapeCuts(body, parts)
	out := make([]byte, len(body))
	lens := make([]int, len(cuts)-1)
	oks := make([]bool, len(cuts)-1)
	var wg sync.WaitGroup
	for i := range lens {
		wg.Go(func() {
			lens[i], oks[i] = unquoteRun(out[cuts[i]:cuts[i+1]], body[cuts[i]:cuts[i+1]])
		})
	}
	wg.Wait()
	n := 0
	for i, l := range lens {
		if !oks[i] {
			return nil, false
		}
		n += copy(out[n:], out[cuts[i]:cuts[i]+l])
	}
	return out[:n], true
}

// escapeCuts cuts a string's body into about parts runs, each cut at a
// backslash that follows a byte other than a backslash: there an escape
// starts, so no escape spans two runs.
func escapeCuts(body []byte, parts int) []int {
	cuts := []int{0}
	for i := 1; i < parts; i++ {
		at := max(i*len(body)/parts, cuts[len(cuts)-1]+1)
		for at < len(body) {
			j := bytes.IndexByte(body[at:], '\\')
			if j < 0 {
				at = len(body)
				break
			}
			at += j
			if body[at-1] != '\\' {
				break
			}
			at++
		}
		if at >= len(body) {
			break
		}
		cuts = append(cuts, at)
	}
	return append(cuts, len(body))
}

// unquoteRun writes the unquoted run src to dst (as long as src; the
// text is never longer) and returns its length; ok is false for a byte
// outside printable ASCII, an unescaped quote, an escape other than
// those unescapeJSON reads, or a surrogate.
func unquoteRun(dst, src []byte) (int, bool) {
	n := 0
	for i := 0; i < len(src); {
		j := i + plainRun(dst[n:], src[i:])
		n += j - i
		if j == len(src) {
			return n, true
		}
		if src[j] != '\\' || j+1 == len(src) {
			return 0, false
		}
		c, width := src[j+1], 2
		switch c {
		case '"', '\\', '/':
		case 'b':
			c = '\b'
		case 'f':
			c = '\f'
		case 'n':
			c = '\n'
		case 'r':
			c = '\r'
		case 't':
			c = '\t'
		case 'u':
			v, ok := hex4(src[j+2:])
			if !ok || (v >= 0xD800 && v <= 0xDFFF) {
				return 0, false
			}
			n += utf8.EncodeRune(dst[n:], rune(v))
			i = j + 6
			continue
		default:
			return 0, false
		}
		dst[n] = c
		n++
		i = j + width
	}
	return n, true
}

// hex4 reads four hex digits.
func hex4(b []byte) (uint32, bool) {
	if len(b) < 4 {
		return 0, false
	}
	var v uint32
	for _, c := range b[:4] {
		switch {
		case c >= '0' && c <= '9':
			c -= '0'
		case c >= 'a' && c <= 'f':
			c -= 'a' - 10
		case c >= 'A' && c <= 'F':
			c -= 'A' - 10
		default:
			return 0, false
		}
		v = v<<4 | uint32(c)
	}
	return v, true
}

// plainRun copies to dst the plain bytes (plainJSON) that start src and
// returns how many there are. It copies eight bytes at a time, and may
// write up to seven bytes more, within len(src): dst must be as long as
// src.
func plainRun(dst, src []byte) int {
	k := 0
	for k+8 <= len(src) {
		w := binary.LittleEndian.Uint64(src[k:])
		binary.LittleEndian.PutUint64(dst[k:], w)
		if m := notPlain(w); m != 0 {
			return k + bits.TrailingZeros64(m)>>3
		}
		k += 8
	}
	for k < len(src) && plainJSON[src[k]] {
		dst[k] = src[k]
		k++
	}
	return k
}

// Byte masks for notPlain.
const (
	ones  = 0x0101010101010101
	highs = 0x8080808080808080
)

// notPlain returns, for the eight bytes of w (little-endian), a mask
// whose lowest set bit is the high bit of the first byte that is not
// plainJSON (below 0x20, at or above 0x80, a quote or a backslash); 0
// when all are plain. (x - ones) &^ x & highs flags the zero bytes of x
// and (w - 0x20 ones) &^ w & highs the bytes of w below 0x20: each may
// flag a byte above a flagged one wrongly (a borrow), never one below,
// so the lowest flag is exact.
func notPlain(w uint64) uint64 {
	q, b := w^(ones*'"'), w^(ones*'\\')
	return (w & highs) | ((w - ones*0x20) &^ w & highs) | ((q - ones) &^ q & highs) | ((b - ones) &^ b & highs)
}
