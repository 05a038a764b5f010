package posture

import (
	"fmt"
	"strconv"

	"github.com/rampart-policy/rampart/compiler/ir"
	"github.com/rampart-policy/rampart/drift"
)

// tlsVersions are TLS versions from weakest to strongest.
var tlsVersions = []string{"1.0", "1.1", "1.2", "1.3"}

// listeners compares listeners by name.
func (d *differ) listeners() {
	bm, hm := byName(d.base.Listeners, func(l *ir.Listener) string { return l.Name }),
		byName(d.head.Listeners, func(l *ir.Listener) string { return l.Name })
	for _, name := range unionKeys(bm, hm) {
		b, h := bm[name], hm[name]
		d.compare(b == nil || h == nil)
		switch {
		case h == nil && b.TLS == nil:
			d.add(where{listener: name}, drift.Strengthening, drift.Missing, ir.CtlTLS, "listeners."+name, "plaintext", "",
				"plaintext listener %s (port %d) removed", name, b.Port)
		case h == nil:
			d.add(where{listener: name}, drift.Neutral, drift.Missing, "", "listeners."+name, b.Address+":"+strconv.Itoa(b.Port), "",
				"listener %s (port %d) removed", name, b.Port)
		case b == nil:
			d.listenerAdded(h)
		default:
			d.listener(b, h)
		}
	}
}

// listenerAdded reports a new listener: plaintext is a weakening.
func (d *differ) listenerAdded(h *ir.Listener) {
	w := where{listener: h.Name, origin: h.Origin}
	if h.ClientAddress != nil {
		d.clientAddress(w, "listeners."+h.Name+".clientAddress", nil, h.ClientAddress)
	}
	if h.TLS == nil {
		d.add(w, drift.Weakening, drift.Unexpected, ir.CtlTLS, "listeners."+h.Name, "", "plaintext",
			"new plaintext listener %s on port %d (no TLS)", h.Name, h.Port)
		return
	}
	d.add(w, drift.Neutral, drift.Unexpected, ir.CtlTLS, "listeners."+h.Name, "", "TLS "+h.TLS.MinVersion+"–"+h.TLS.MaxVersion,
		"new listener %s on port %d (TLS %s–%s)", h.Name, h.Port, h.TLS.MinVersion, h.TLS.MaxVersion)
}

// listener compares one listener present on both sides.
func (d *differ) listener(b, h *ir.Listener) {
	w := where{listener: h.Name, label: "on listener " + h.Name, origin: h.Origin}
	p := "listeners." + h.Name
	d.text(w, "", p+".address", "address", b.Address+":"+strconv.Itoa(b.Port), h.Address+":"+strconv.Itoa(h.Port))
	d.set(w, "", p+".hosts", "host names", b.Hosts, h.Hosts, drift.Neutral)
	if b.RedirectPort != h.RedirectPort {
		d.redirect(w, p, b.RedirectPort, h.RedirectPort)
	} else {
		d.compare(false)
	}
	d.clientAddress(w, p+".clientAddress", b.ClientAddress, h.ClientAddress)
	if !d.compare((b.TLS == nil) != (h.TLS == nil)) {
		if b.TLS != nil {
			d.tls(h.Name, p+".tls", b.TLS, h.TLS)
		}
		return
	}
	if h.TLS == nil {
		d.add(w, drift.Weakening, drift.Missing, ir.CtlTLS, p+".tls", "TLS "+b.TLS.MinVersion, "plaintext",
			"listener %s lost TLS: traffic on port %d is now plaintext", h.Name, h.Port)
		return
	}
	w.origin = h.TLS.Origin
	d.add(w, drift.Strengthening, drift.Unexpected, ir.CtlTLS, p+".tls", "plaintext", "TLS "+h.TLS.MinVersion,
		"listener %s now serves TLS %s–%s", h.Name, h.TLS.MinVersion, h.TLS.MaxVersion)
}

// redirect compares the plaintext-to-HTTPS redirect.
func (d *differ) redirect(w where, p string, b, h int) {
	d.compare(true)
	switch {
	case h == 0:
		d.add(w, drift.Weakening, drift.Missing, ir.CtlRedirect, p+".redirectPort", strconv.Itoa(b), "",
			"HTTP→HTTPS redirect on port %d removed from listener %s", b, w.listener)
	case b == 0:
		d.add(w, drift.Strengthening, drift.Unexpected, ir.CtlRedirect, p+".redirectPort", "", strconv.Itoa(h),
			"HTTP→HTTPS redirect on port %d added to listener %s", h, w.listener)
	default:
		d.add(w, drift.Neutral, drift.Changed, ir.CtlRedirect, p+".redirectPort", strconv.Itoa(b), strconv.Itoa(h),
			"HTTP→HTTPS redirect of listener %s moved from port %d to %d", w.listener, b, h)
	}
}

// tls compares the TLS settings of a listener.
func (d *differ) tls(name, p string, b, h *ir.TLS) {
	w := where{listener: name, label: "on listener " + name, origin: h.Origin}
	d.ordered(w, ir.CtlTLS, p+".minVersion", "TLS minimum", b.MinVersion, h.MinVersion, tlsVersions)
	d.ordered(w, ir.CtlTLS, p+".maxVersion", "TLS maximum", b.MaxVersion, h.MaxVersion, tlsVersions)
	d.set(w, ir.CtlTLS, p+".ciphers", "TLS 1.2 cipher suites", b.Ciphers, h.Ciphers, drift.Weakening)
	d.set(w, ir.CtlTLS, p+".curves", "TLS key-exchange groups", b.Curves, h.Curves, drift.Weakening)
	d.text(w, ir.CtlTLS, p+".profile", "TLS profile", b.Profile+" "+b.Guidelines, h.Profile+" "+h.Guidelines)
	d.text(w, ir.CtlTLS, p+".certFile", "certificate", b.CertFile, h.CertFile)
	d.hsts(w, p+".hsts", b.HSTS, h.HSTS)
	d.clientAuth(w, p+".clientAuth", b.ClientAuth, h.ClientAuth)
}

// hsts compares Strict-Transport-Security.
func (d *differ) hsts(w where, p string, b, h *ir.HSTS) {
	if !d.compare((b == nil) != (h == nil)) {
		if b == nil {
			return
		}
		d.number(w, ir.CtlHSTS, p+".maxAgeSeconds", "HSTS max-age", b.MaxAgeSeconds, h.MaxAgeSeconds, higherStronger, count("s"))
		d.flag(w, ir.CtlHSTS, p+".includeSubDomains", b.IncludeSubDomains, h.IncludeSubDomains, true,
			"HSTS on listener "+w.listener+" now includes subdomains", "HSTS on listener "+w.listener+" no longer includes subdomains")
		d.flag(w, ir.CtlHSTS, p+".preload", b.Preload, h.Preload, true,
			"HSTS on listener "+w.listener+" now allows preloading", "HSTS on listener "+w.listener+" no longer allows preloading")
		return
	}
	if h == nil {
		d.add(w, drift.Weakening, drift.Missing, ir.CtlHSTS, p, hstsText(b), "", "HSTS removed from listener %s (was %s)", w.listener, hstsText(b))
		return
	}
	d.add(w, drift.Strengthening, drift.Unexpected, ir.CtlHSTS, p, "", hstsText(h), "HSTS added to listener %s (%s)", w.listener, hstsText(h))
}

func hstsText(h *ir.HSTS) string {
	return fmt.Sprintf("max-age=%d includeSubDomains=%t preload=%t", h.MaxAgeSeconds, h.IncludeSubDomains, h.Preload)
}

// clientAuth compares client-certificate verification (mTLS).
func (d *differ) clientAuth(w where, p string, b, h *ir.ClientAuth) {
	if !d.compare((b == nil) != (h == nil)) {
		if b == nil {
			return
		}
		d.flag(w, ir.CtlMTLS, p+".required", b.Required, h.Required, true,
			"client certificates are now required on listener "+w.listener, "client certificates are now optional on listener "+w.listener)
		d.text(w, ir.CtlMTLS, p+".caFile", "client CA", b.CAFile, h.CAFile)
		d.allowList(w, ir.CtlMTLS, p+".subjects", "accepted client-certificate subjects", b.Subjects, h.Subjects)
		d.allowList(w, ir.CtlMTLS, p+".sans", "accepted client-certificate SANs", b.SANs, h.SANs)
		return
	}
	if h == nil {
		d.add(w, drift.Weakening, drift.Missing, ir.CtlMTLS, p, "mTLS", "", "listener %s no longer verifies client certificates (mTLS removed)", w.listener)
		return
	}
	d.add(w, drift.Strengthening, drift.Unexpected, ir.CtlMTLS, p, "", "mTLS", "listener %s now verifies client certificates (mTLS added)", w.listener)
}

// allowList compares a list that restricts when non-empty: entries added
// to a non-empty list widen it, emptying it lifts the restriction.
func (d *differ) allowList(w where, ctl, p, what string, b, h []string) {
	switch {
	case len(b) > 0 && len(h) == 0:
		d.compare(true)
		d.add(w, drift.Weakening, drift.Missing, ctl, p, list(b), "", "%s%s no longer restricted (was %s)", what, on(w), list(b))
	case len(b) == 0 && len(h) > 0:
		d.compare(true)
		d.add(w, drift.Strengthening, drift.Unexpected, ctl, p, "", list(h), "%s%s restricted to %s", what, on(w), list(h))
	default:
		d.set(w, ctl, p, what, b, h, drift.Weakening)
	}
}

// byName indexes xs by key.
func byName[T any](xs []T, key func(T) string) map[string]T {
	m := make(map[string]T, len(xs))
	for _, x := range xs {
		m[key(x)] = x
	}
	return m
}
