package report

import (
	"crypto/sha1"
	"encoding/hex"
	"fmt"
)

// dnsNamespace is RFC 4122's name space for DNS names.
var dnsNamespace = [16]byte{0x6b, 0xa7, 0xb8, 0x10, 0x9d, 0xad, 0x11, 0xd1, 0x80, 0xb4, 0x00, 0xc0, 0x4f, 0xd4, 0x30, 0xc8}

// rampartNamespace is the name space of every uuid a report mints.
var rampartNamespace = uuid5Bytes(dnsNamespace, "rampart.dev")

// uuid5 returns the RFC 4122 version 5 (SHA-1, name-based) uuid of name
// in rampart's name space: the same content always gets the same uuid.
func uuid5(name string) string {
	b := uuid5Bytes(rampartNamespace, name)
	h := hex.EncodeToString(b[:])
	return fmt.Sprintf("%s-%s-%s-%s-%s", h[0:8], h[8:12], h[12:16], h[16:20], h[20:32])
}

// uuid5Bytes is RFC 4122 section 4.3 with SHA-1.
func uuid5Bytes(ns [16]byte, name string) [16]byte {
	h := sha1.New()
	h.Write(ns[:])
	h.Write([]byte(name))
	var out [16]byte
	copy(out[:], h.Sum(nil))
	out[6] = out[6]&0x0f | 0x50
	out[8] = out[8]&0x3f | 0x80
	return out
}
