package live

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"strings"

	"github.com/rampart-policy/rampart/compiler/ir"
	"github.com/rampart-policy/rampart/drift"
	"github.com/rampart-policy/rampart/targets/kong"
)

// Live is the Kong live source.
type Live struct {
	// Client fetches the Admin API; nil means http.DefaultClient.
	Client *http.Client
}

// New returns the Kong live source.
func New() *Live { return &Live{} }

// Target returns "kong".
func (*Live) Target() string { return "kong" }

// Fetch reads what Kong runs. source is the Admin API's URL
// ("http://127.0.0.1:8001"): GET /config in DB-less mode, else the entity
// endpoints; or a file holding a decK file or a saved /config answer.
func (l *Live) Fetch(ctx context.Context, source string) ([]byte, error) {
	if !strings.HasPrefix(source, "http://") && !strings.HasPrefix(source, "https://") {
		data, err := os.ReadFile(source)
		if err != nil {
			return nil, fmt.Errorf("kong live source: %w", err)
		}
		return data, nil
	}
	c := l.Client
	if c == nil {
		c = http.DefaultClient
	}
	data, err := (&admin{c: c, base: strings.TrimSuffix(source, "/")}).fetch(ctx)
	if err != nil {
		return nil, fmt.Errorf("kong live source: %w", err)
	}
	return data, nil
}

// Compare builds the policy's kong.yaml, reads both it and the live
// configuration through the same normalisation and compares them per
// control.
func (*Live) Compare(ctx context.Context, p *ir.Policy, data []byte) (drift.Result, error) {
	w, err := Expected(ctx, p)
	if err != nil {
		return drift.Result{}, err
	}
	return w.Compare(data)
}

// Want is the policy's side of a comparison, built and normalised once.
type Want struct {
	p    *ir.Policy
	want *parsed
}

// Expected builds the policy's kong.yaml with the kong target and
// normalises it.
func Expected(ctx context.Context, p *ir.Policy) (*Want, error) {
	arts, err := kong.New().Build(ctx, p)
	if err != nil {
		return nil, err
	}
	var deck []byte
	for _, a := range arts {
		if a.Path == kong.DeckFile {
			deck = a.Data
		}
	}
	want, err := parseConfig(deck)
	if err != nil {
		return nil, fmt.Errorf("kong: reading the policy's kong.yaml: %w", err)
	}
	return &Want{p: p, want: want}, nil
}

// Compare normalises a live configuration and compares it with w.
func (w *Want) Compare(data []byte) (drift.Result, error) {
	got, err := parseConfig(data)
	if err != nil {
		return drift.Result{}, fmt.Errorf("kong live config: %w", err)
	}
	c := newComparer(w.p)
	c.compare(w.want, got)
	return c.d.Result(), nil
}
