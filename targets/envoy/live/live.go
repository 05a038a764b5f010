package live

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"strings"

	bootstrapv3 "github.com/envoyproxy/go-control-plane/envoy/config/bootstrap/v3"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/rampart-policy/rampart/compiler/ir"
	"github.com/rampart-policy/rampart/drift"
	"github.com/rampart-policy/rampart/targets/envoy"
	"github.com/rampart-policy/rampart/targets/envoy/internal/anyjson"
)

// maxDump bounds the admin response read.
const maxDump = 512 << 20

// Live is the Envoy live source.
type Live struct {
	// Client fetches the admin interface; nil means http.DefaultClient.
	Client *http.Client
}

// New returns the Envoy live source.
func New() *Live { return &Live{} }

// Target returns "envoy".
func (*Live) Target() string { return "envoy" }

// Fetch reads /config_dump from the admin URL ("http://127.0.0.1:9901",
// "/config_dump" added unless the URL names it, query kept), or a file
// holding a saved dump or a bootstrap as deployed (envoy.json,
// envoy.yaml).
func (l *Live) Fetch(ctx context.Context, source string) ([]byte, error) {
	if !strings.HasPrefix(source, "http://") && !strings.HasPrefix(source, "https://") {
		data, err := os.ReadFile(source)
		if err != nil {
			return nil, fmt.Errorf("envoy live source: %w", err)
		}
		return data, nil
	}
	url := source
	if base, q, _ := strings.Cut(source, "?"); !strings.HasSuffix(base, "/config_dump") {
		url = strings.TrimSuffix(base, "/") + "/config_dump"
		if q != "" {
			url += "?" + q
		}
	}
	status, body, err := drift.Get(ctx, l.Client, url, "", maxDump)
	if err != nil {
		return nil, fmt.Errorf("envoy live source: %w", err)
	}
	if status != http.StatusOK {
		return nil, fmt.Errorf("envoy live source: GET %s: status %d: %s", url, status, drift.ErrorBody(body))
	}
	return body, nil
}

// Compare builds the policy's bootstrap, reduces it and the live dump to
// the same view and compares them per control.
func (*Live) Compare(ctx context.Context, p *ir.Policy, data []byte) (drift.Result, error) {
	w, err := Expected(ctx, p)
	if err != nil {
		return drift.Result{}, err
	}
	return w.Compare(data)
}

// Want is the policy's side of a comparison, built and reduced once.
type Want struct {
	p    *ir.Policy
	want *view
	// dec read the policy's envoy.json; each comparison reads the live
	// side with a fork of it, so a live Any whose text is the policy's is
	// found, not decoded again, and shares its message (compared by
	// pointer). dec itself is never used again: Compare may run
	// concurrently.
	dec *anyjson.Decoder
	// policy is want offered to live views (view.policy).
	policy *reuse
	// checks is how many checks comparing want with itself makes: about
	// what a comparison records (room made for them at once).
	checks int
}

// Expected builds the policy's bootstrap with the envoy target and
// reduces it.
func Expected(ctx context.Context, p *ir.Policy) (*Want, error) {
	arts, err := envoy.New().Build(ctx, p)
	if err != nil {
		return nil, err
	}
	var data []byte
	for _, a := range arts {
		if a.Path == envoy.JSONFile {
			data = a.Data
		}
	}
	return newWant(p, data)
}

// routeParts are decoded on their own (anyjson.Decoder.Parts): a live
// route table that differs from the policy's in one route shares the
// others' messages, so only that route is decoded and reduced again.
var routeParts = map[protoreflect.FullName]bool{"envoy.config.route.v3.Route": true}

// newWant reduces the policy's envoy.json (as the envoy target wrote it
// for p) to the view compared.
func newWant(p *ir.Policy, data []byte) (*Want, error) {
	var bs bootstrapv3.Bootstrap
	u := unpacker{dec: &anyjson.Decoder{KeepText: true, Parts: routeParts}}
	if err := u.dec.Unmarshal(data, &bs); err != nil {
		return nil, fmt.Errorf("envoy: reading the policy's envoy.json: %w", err)
	}
	v, err := newView(u, bs.GetStaticResources().GetListeners(), bs.GetStaticResources().GetClusters(), nil, nil)
	if err != nil {
		return nil, fmt.Errorf("envoy: the policy's bootstrap: %w", err)
	}
	recordSelf(p, v)
	self := newComparer(p)
	self.compare(v, v)
	return &Want{p: p, want: v, dec: u.dec, policy: newReuse(v), checks: self.d.Len()}, nil
}

// Compare reads a config_dump, or a bootstrap as deployed (envoy.json,
// envoy.yaml), compares it with w, and compares the policy marker of the
// live bootstrap (checkMarker).
func (w *Want) Compare(data []byte) (drift.Result, error) {
	got, err := parseLive(data, w.dec, w.policy)
	if err != nil {
		return drift.Result{}, fmt.Errorf("envoy live config: %w", err)
	}
	c := newComparer(w.p)
	c.d.Grow(w.checks)
	c.compare(w.want, got)
	checkMarker(c.d, w.p, got.node)
	return c.d.Result(), nil
}
