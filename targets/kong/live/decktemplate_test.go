package live

import (
	"bytes"
	"context"
	"testing"

	"github.com/rampart-policy/rampart/targets/internal/golden"
	"github.com/rampart-policy/rampart/targets/kong"
)

// TestDeckEscapedStrings compares a kong.yaml whose strings hold decK
// template delimiters (written "\x24{{" by the kong target) with its
// policy: the live side reads them back as the policy's strings, so
// there is no drift, and an edit of such a string is found.
func TestDeckEscapedStrings(t *testing.T) {
	p := golden.ReadIR(t, "../testdata/enterprise.ir.yaml")
	h := &p.Services[0].Routes[0].Headers.Set[0]
	h.Value = "${{ env `DECK_X` }} \\${{"
	arts, err := kong.New().Build(context.Background(), p)
	if err != nil {
		t.Fatal(err)
	}
	var deck []byte
	for _, a := range arts {
		if a.Path == kong.DeckFile {
			deck = a.Data
		}
	}
	if !bytes.Contains(deck, []byte(`\x24{{`)) {
		t.Fatal("kong.yaml does not hold the escaped delimiter")
	}
	w, err := Expected(context.Background(), p)
	if err != nil {
		t.Fatal(err)
	}
	r, err := w.Compare(deck)
	if err != nil || r.Drifted() {
		t.Fatalf("err %v, findings %+v", err, r.Findings)
	}
	r, err = w.Compare(bytes.Replace(deck, []byte(`\x24{{ env`), []byte(`\x24{{ xenv`), 1))
	if err != nil || !r.Drifted() {
		t.Fatalf("edited header value not found: err %v, findings %+v", err, r.Findings)
	}
}
