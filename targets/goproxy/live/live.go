package live

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"strings"

	"github.com/rampart-policy/rampart/compiler/ir"
	"github.com/rampart-policy/rampart/drift"
	"github.com/rampart-policy/rampart/proxy/config"
	"github.com/rampart-policy/rampart/targets/goproxy"
)

// maxConfig bounds the admin response read; maxErrorBody the part of an
// error answer shown.
const (
	maxConfig    = 64 << 20
	maxErrorBody = 512
)

// Live is the goproxy live source.
type Live struct {
	// Client fetches the admin API; nil means http.DefaultClient.
	Client *http.Client
}

// New returns the goproxy live source.
func New() *Live { return &Live{} }

// Target returns "goproxy".
func (*Live) Target() string { return "goproxy" }

// Fetch reads the admin API's /config: source is the admin URL
// ("http://127.0.0.1:9901", with or without "/config"), or a file holding
// a saved response.
func (l *Live) Fetch(ctx context.Context, source string) ([]byte, error) {
	if !strings.HasPrefix(source, "http://") && !strings.HasPrefix(source, "https://") {
		data, err := os.ReadFile(source)
		if err != nil {
			return nil, fmt.Errorf("goproxy live source: %w", err)
		}
		return data, nil
	}
	url := strings.TrimSuffix(source, "/")
	if !strings.HasSuffix(url, "/config") {
		url += "/config"
	}
	status, body, err := drift.Get(ctx, l.Client, url, "", maxConfig)
	if err != nil {
		return nil, fmt.Errorf("goproxy live source: %w", err)
	}
	if status != http.StatusOK {
		return nil, fmt.Errorf("goproxy live source: GET %s: status %d: %s", url, status, drift.ErrorBody(body))
	}
	return body, nil
}

// adminConfig is the admin API's /config answer.
type adminConfig struct {
	Digest string          `json:"digest"`
	Config json.RawMessage `json:"config"`
}

// Compare decodes the live config strictly — the admin API's answer or
// a rampart-proxy.json artifact — and compares it with the policy's,
// section by section.
func (*Live) Compare(_ context.Context, p *ir.Policy, data []byte) (drift.Result, error) {
	raw, err := liveConfig(data)
	if err != nil {
		return drift.Result{}, fmt.Errorf("goproxy live config: %w", err)
	}
	got, err := decodeLive(raw)
	if err != nil {
		return drift.Result{}, fmt.Errorf("goproxy live config: %w", err)
	}
	want, err := goproxy.Convert(p)
	if err != nil {
		return drift.Result{}, err
	}
	c := &comparer{p: p, d: drift.NewDiff("goproxy")}
	c.keyHashes(want, got)
	redact(want)
	redact(got)
	c.compare(want, got)
	return c.d.Result(), nil
}

// liveConfig returns the config of an admin API answer, or data itself
// when it is a config.
func liveConfig(data []byte) ([]byte, error) {
	var probe map[string]json.RawMessage
	if err := json.Unmarshal(data, &probe); err != nil {
		return nil, err
	}
	if _, ok := probe["apiVersion"]; ok {
		return data, nil
	}
	var ac adminConfig
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&ac); err != nil || len(ac.Config) == 0 {
		return nil, fmt.Errorf("want the admin API's {\"digest\", \"config\"} or a rampart-proxy.json: %v", err)
	}
	return ac.Config, nil
}

// Digest reports whether content is a rampart proxy config (or an admin
// API answer) and returns its policy digest (drift/terraform.Marked).
func (*Live) Digest(content []byte) (string, bool) {
	raw, err := liveConfig(content)
	if err != nil {
		return "", false
	}
	var c struct {
		APIVersion string `json:"apiVersion"`
		Policy     struct {
			Digest string `json:"digest"`
		} `json:"policy"`
	}
	if json.Unmarshal(raw, &c) != nil || c.APIVersion != config.APIVersion || c.Policy.Digest == "" {
		return "", false
	}
	return c.Policy.Digest, true
}

// PolicyName returns the policy name a rampart proxy config (or admin
// API answer) records (drift/terraform.Named).
func (*Live) PolicyName(content []byte) (string, bool) {
	raw, err := liveConfig(content)
	if err != nil {
		return "", false
	}
	var c struct {
		Policy struct {
			Name string `json:"name"`
		} `json:"policy"`
	}
	if json.Unmarshal(raw, &c) != nil || c.Policy.Name == "" {
		return "", false
	}
	return c.Policy.Name, true
}

// decodeLive decodes the live config strictly but without Validate: the
// admin API redacts key hashes, which Validate would refuse.
func decodeLive(raw []byte) (*config.Config, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	var c config.Config
	if err := dec.Decode(&c); err != nil {
		return nil, err
	}
	if c.APIVersion != config.APIVersion {
		return nil, fmt.Errorf("apiVersion %q: rampart compares %q", c.APIVersion, config.APIVersion)
	}
	return &c, nil
}

// keyHashes compares the API-key hashes a full live config carries (a
// saved rampart-proxy.json or a Terraform artifact; the admin API
// redacts them, so they cannot be compared there): a changed hash lets
// another key authenticate as the consumer. Hashes are never shown.
func (c *comparer) keyHashes(want, got *config.Config) {
	gm := map[string]string{}
	for _, pr := range got.Providers {
		if pr.APIKey != nil {
			for _, cs := range pr.APIKey.Consumers {
				gm[pr.Name+"/"+cs.Name] = cs.KeyHash
			}
		}
	}
	for _, pr := range want.Providers {
		if pr.APIKey == nil {
			continue
		}
		at := drift.At{Control: ir.CtlAPIKey, Path: "providers[" + pr.Name + "]"}
		for _, ip := range c.p.Providers {
			if ip.Name == pr.Name {
				at.Origin = ip.Origin
			}
		}
		for _, cs := range pr.APIKey.Consumers {
			g, ok := gm[pr.Name+"/"+cs.Name]
			if !ok || cs.KeyHash == "" || g == "[redacted]" {
				continue // missing consumers are reported with the provider
			}
			var fs []drift.Finding
			if g != cs.KeyHash {
				fs = append(fs, drift.Finding{Direction: drift.Changed, Severity: drift.Weakening, Expected: "[redacted]", Actual: "[redacted, different]",
					Message: "the API-key hash of consumer " + cs.Name + " differs in live: another key authenticates as it"})
			}
			c.d.Add(withCtl(at, ir.CtlAPIKey, "consumers["+cs.Name+"].keyHash"), "key hash of "+cs.Name, fs...)
		}
	}
}

// redact hides API-key hashes as the admin API does.
func redact(c *config.Config) {
	for i := range c.Providers {
		if k := c.Providers[i].APIKey; k != nil {
			for j := range k.Consumers {
				if k.Consumers[j].KeyHash != "" {
					k.Consumers[j].KeyHash = "[redacted]"
				}
			}
		}
	}
}
