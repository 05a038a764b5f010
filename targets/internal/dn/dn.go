// Package dn prints a certificate subject attribute value the way
// OpenSSL's X509_NAME_print_ex with XN_FLAG_RFC2253 does — the form of
// nginx's $ssl_client_s_dn and of the subject Envoy puts in
// x-forwarded-client-cert — so a target can match a policy's subject
// against what the gateway sees.
package dn

import "strings"

// Escape returns v as RFC 2253 printing escapes it: ,+"\<>; with a
// backslash anywhere, # at the start and a space at either end with a
// backslash, and every byte outside printable ASCII (UTF-8 sequences of
// non-ASCII characters included) as \XX in upper-case hex. "=" is not
// escaped: OpenSSL prints "CN=a=b".
func Escape(v string) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(v); i++ {
		c := v[i]
		switch {
		case c < 0x20 || c >= 0x7f:
			b.Write([]byte{'\\', hex[c>>4], hex[c&15]})
		case strings.IndexByte(`,+"\<>;`, c) >= 0,
			c == '#' && i == 0,
			c == ' ' && (i == 0 || i == len(v)-1):
			b.WriteByte('\\')
			b.WriteByte(c)
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}
