package posture

import (
	"fmt"
	"slices"
	"strings"

	"github.com/rampart-policy/rampart/compiler/ir"
	"github.com/rampart-policy/rampart/drift"
)

// classifications are data classifications from least to most sensitive
// (phi and pci are equally sensitive, so a move between them is neutral).
var classifications = map[string]int{"public": 0, "internal": 1, "pii": 2, "pci": 3, "phi": 3}

// services compares services by name, then their routes.
func (d *differ) services() {
	bm, hm := byName(d.base.Services, func(s *ir.Service) string { return s.Name }),
		byName(d.head.Services, func(s *ir.Service) string { return s.Name })
	for _, name := range unionKeys(bm, hm) {
		b, h := bm[name], hm[name]
		if b != nil && h != nil {
			d.service(b, h)
		}
		var at ir.Origin
		if h != nil {
			at = h.Origin
		}
		d.routes(routesOf(b), routesOf(h), at)
	}
}

func routesOf(s *ir.Service) []*ir.Route {
	if s == nil {
		return nil
	}
	return s.Routes
}

// service compares a service's own settings.
func (d *differ) service(b, h *ir.Service) {
	w := where{label: "of service " + h.Name, origin: h.Origin}
	p := "services." + h.Name
	d.ordered(w, ir.CtlUpstreamTLS, p+".upstream.url", "upstream scheme", scheme(b.UpstreamURL), scheme(h.UpstreamURL), []string{"http", "https"})
	if scheme(b.UpstreamURL) == scheme(h.UpstreamURL) {
		d.text(w, "", p+".upstream.url", "upstream", b.UpstreamURL, h.UpstreamURL)
	}
	d.upstreamTLS(w, p+".upstream.tls", b.UpstreamTLS, h.UpstreamTLS)
	d.serviceListeners(w, p+".listeners", b.Listeners, h.Listeners)
	d.classification(w, p+".classification", b.Classification, h.Classification)
	d.set(w, "", p+".dataCategories", "data categories", b.DataCategories, h.DataCategories, drift.Neutral)
}

func scheme(url string) string {
	s, _, _ := strings.Cut(url, "://")
	return s
}

// upstreamTLS compares how the gateway connects to the upstream.
func (d *differ) upstreamTLS(w where, p string, b, h *ir.UpstreamTLS) {
	ctl := ir.CtlUpstreamTLS
	if !d.compare((b == nil) != (h == nil)) {
		if b == nil {
			return
		}
		d.flag(w, ctl, p+".verify", b.Verify, h.Verify, true,
			"upstream certificate"+on(w)+" is now verified", "upstream certificate"+on(w)+" is no longer verified")
		d.trustAnchor(w, p+".ca", b.CAFile, h.CAFile)
		d.text(w, ctl, p+".serverName", "upstream server name", b.ServerName, h.ServerName)
		d.flag(w, ctl, p+".clientCertificate", b.CertFile != "", h.CertFile != "", true,
			"the gateway now presents a client certificate to the upstream"+on(w),
			"the gateway no longer presents a client certificate to the upstream"+on(w))
		return
	}
	if h == nil {
		d.add(w, drift.Weakening, drift.Missing, ctl, p, "tls", "", "upstream TLS settings%s removed", on(w))
		return
	}
	d.add(w, drift.Strengthening, drift.Unexpected, ctl, p, "", "tls", "upstream TLS settings%s added (verify: %t)", on(w), h.Verify)
}

// serviceListeners compares where a service is served: a new plaintext
// listener is a weakening.
func (d *differ) serviceListeners(w where, p string, b, h []string) {
	added, removed := setDiff(b, h)
	if !d.compare(len(added)+len(removed) > 0) {
		return
	}
	for _, l := range added {
		sev, how := drift.Neutral, ""
		if li := listenerOf(d.head, l); li != nil && li.TLS == nil {
			sev, how = drift.Weakening, " (plaintext)"
		} else if li != nil {
			if weaker := weakerListener(d.base, b, li); weaker != "" {
				sev, how = drift.Weakening, " ("+weaker+")"
			}
		}
		d.add(w, sev, drift.Unexpected, ir.CtlTLS, p, "", l, "service%s now also served on listener %s%s", strings.TrimPrefix(on(w), " of service"), l, how)
	}
	for _, l := range removed {
		sev, how := drift.Neutral, ""
		if li := listenerOf(d.base, l); li != nil && li.TLS == nil {
			sev, how = drift.Strengthening, " (plaintext)"
		} else if li != nil {
			if weaker := weakerListener(d.head, h, li); weaker != "" {
				sev, how = drift.Strengthening, " ("+weaker+")"
			}
		}
		d.add(w, sev, drift.Missing, ir.CtlTLS, p, l, "", "service%s no longer served on listener %s%s", strings.TrimPrefix(on(w), " of service"), l, how)
	}
}

// weakerListener says how TLS listener li, newly serving a service (or no
// longer serving it), is weaker than every listener that serves it on the
// other side (names, in policy other): a lower TLS minimum, or no required
// client certificate where all of them require one. It returns "" when li
// is not weaker.
func weakerListener(other *ir.Policy, names []string, li *ir.Listener) string {
	var mins []int
	allMTLS := len(names) > 0
	for _, n := range names {
		bl := listenerOf(other, n)
		if bl == nil || bl.TLS == nil {
			return "" // the service was already reachable in plaintext
		}
		mins = append(mins, slices.Index(tlsVersions, bl.TLS.MinVersion))
		if bl.TLS.ClientAuth == nil || !bl.TLS.ClientAuth.Required {
			allMTLS = false
		}
	}
	var out []string
	if m := slices.Index(tlsVersions, li.TLS.MinVersion); len(mins) > 0 && m >= 0 && m < slices.Min(mins) {
		out = append(out, fmt.Sprintf("TLS minimum %s, below the %s of the service's other listeners", li.TLS.MinVersion, tlsVersions[slices.Min(mins)]))
	}
	if allMTLS && (li.TLS.ClientAuth == nil || !li.TLS.ClientAuth.Required) {
		out = append(out, "no required client certificate, which the service's other listeners demand")
	}
	return strings.Join(out, "; ")
}

// listenerOf returns p's listener called name, or nil.
func listenerOf(p *ir.Policy, name string) *ir.Listener {
	for _, l := range p.Listeners {
		if l.Name == name {
			return l
		}
	}
	return nil
}

// classification compares data classifications.
func (d *differ) classification(w where, p, b, h string) {
	if !d.compare(b != h) {
		return
	}
	sev, verb := drift.Neutral, "changed"
	switch {
	case classifications[h] < classifications[b]:
		sev, verb = drift.Weakening, "lowered"
	case classifications[h] > classifications[b]:
		sev, verb = drift.Strengthening, "raised"
	}
	d.add(w, sev, drift.Changed, "", p, b, h, "classification%s %s %s → %s", on(w), verb, b, h)
}

// trustAnchor compares what the upstream's certificate is verified
// against: dropping a pinned CA for the system roots trusts every public
// CA (weakened), pinning one narrows trust (strengthened), and swapping one
// pinned CA for another is neutral.
func (d *differ) trustAnchor(w where, p, b, h string) {
	switch {
	case b == h:
		d.compare(false)
	case h == "":
		d.compare(true)
		d.add(w, drift.Weakening, drift.Missing, ir.CtlUpstreamTLS, p, b, "",
			"upstream certificate%s no longer pinned to CA %s: any CA in the system roots is trusted", on(w), b)
	case b == "":
		d.compare(true)
		d.add(w, drift.Strengthening, drift.Changed, ir.CtlUpstreamTLS, p, "", h,
			"upstream certificate%s now pinned to CA %s instead of the system roots", on(w), h)
	default:
		d.text(w, ir.CtlUpstreamTLS, p, "upstream CA", b, h)
	}
}
