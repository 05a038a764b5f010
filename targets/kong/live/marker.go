package live

import (
	"bytes"
	"encoding/json"

	"github.com/rampart-policy/rampart/targets/kong"
)

// marker reads the header line of a rampart kong.yaml, given as the file
// or as a GET /config answer ({"config": "<YAML text>"}) holding it. Kong
// re-exports its configuration for GET /config without the file's
// comments, so a live Admin API answer carries no marker: the marker is
// found in files deployed as written (a Terraform resource attribute).
// kong.conf is marked too, and Compare reads it as well.
func marker(content []byte) (kong.Marker, bool) {
	m, ok := kong.ReadHeader(content)
	if !ok {
		var answer struct {
			Config string `json:"config"`
		}
		t := bytes.TrimLeft(content, " \t\r\n")
		if len(t) == 0 || t[0] != '{' || json.Unmarshal(t, &answer) != nil {
			return kong.Marker{}, false
		}
		m, ok = kong.ReadHeader([]byte(answer.Config))
	}
	return m, ok && (m.File == kong.DeckFile || m.File == kong.ConfFile)
}

// Digest reports whether content is a kong.yaml or kong.conf rampart wrote and returns
// the policy digest its header records (drift/terraform.Marked).
func (*Live) Digest(content []byte) (string, bool) {
	m, ok := marker(content)
	return m.Digest, ok
}

// PolicyName returns the policy name a rampart kong.yaml's or kong.conf's header records
// (drift/terraform.Named).
func (*Live) PolicyName(content []byte) (string, bool) {
	m, ok := marker(content)
	return m.Policy, ok
}
