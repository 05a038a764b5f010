package live

import (
	"context"
	"fmt"
	"net/http"
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
// endpoints; a file holding a decK file, a saved /config answer or a
// kong.conf; or a directory holding kong.conf and/or kong.yaml (as
// `rampart build` writes them), both compared.
func (l *Live) Fetch(ctx context.Context, source string) ([]byte, error) {
	if !strings.HasPrefix(source, "http://") && !strings.HasPrefix(source, "https://") {
		data, err := readSource(source)
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
	conf map[string]string
}

// Expected builds the policy's kong.yaml and kong.conf with the kong
// target and normalises them.
func Expected(ctx context.Context, p *ir.Policy) (*Want, error) {
	arts, err := kong.New().Build(ctx, p)
	if err != nil {
		return nil, err
	}
	var deck, conf []byte
	for _, a := range arts {
		switch a.Path {
		case kong.DeckFile:
			deck = a.Data
		case kong.ConfFile:
			conf = a.Data
		}
	}
	w := &Want{p: p}
	if w.want, err = parseConfig(deck); err != nil {
		return nil, fmt.Errorf("kong: reading the policy's kong.yaml: %w", err)
	}
	if w.conf, err = parseKongConf(conf); err != nil {
		return nil, fmt.Errorf("kong: reading the policy's kong.conf: %w", err)
	}
	return w, nil
}

// Compare normalises a live configuration — a declarative configuration,
// a kong.conf, or both as Fetch reads a directory — and compares it with
// w.
func (w *Want) Compare(data []byte) (drift.Result, error) {
	conf, decl, err := splitLive(data)
	if err != nil {
		return drift.Result{}, err
	}
	c := newComparer(w.p)
	if decl != nil {
		got, err := parseConfig(decl)
		if err != nil {
			return drift.Result{}, fmt.Errorf("kong live config: %w", err)
		}
		c.compare(w.want, got)
	}
	if conf != nil {
		got, err := parseKongConf(conf)
		if err != nil {
			return drift.Result{}, fmt.Errorf("kong live kong.conf: %w", err)
		}
		c.compareConf(w.conf, got)
	}
	return c.d.Result(), nil
}
