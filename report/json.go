package report

import (
	"encoding/json"
	"io"
)

// WriteJSON writes the report as indented JSON. encoding/json sorts map
// keys, so the bytes are deterministic.
func WriteJSON(w io.Writer, r *Report) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}
