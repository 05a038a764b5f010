package drift

import (
	"strconv"
	"testing"
)

func TestDiffValue(t *testing.T) {
	cases := []struct {
		exp, act string
		dir      Direction
		sev      Severity
	}{
		{"a", "", Missing, Weakening},
		{"", "b", Unexpected, Neutral},
		{"a", "b", Changed, Weakening},
	}
	for _, c := range cases {
		d := NewDiff("nginx")
		d.Value(At{Control: "headers", Route: "s/r", Path: "p"}, "x", c.exp, c.act, HigherWeakens)
		r := d.Result()
		if len(r.Findings) != 1 || r.Checks[0].Passed {
			t.Fatalf("%q vs %q: %+v", c.exp, c.act, r)
		}
		f := r.Findings[0]
		if f.Direction != c.dir || f.Severity != c.sev || f.Control != "headers" || f.Route != "s/r" || f.Target != "nginx" || f.Path != "p" {
			t.Errorf("%q vs %q: got %+v", c.exp, c.act, f)
		}
	}
	d := NewDiff("nginx")
	d.Value(At{Control: "c"}, "x", "same", "same", AnyWeakens)
	if r := d.Result(); len(r.Findings) != 0 || !r.Checks[0].Passed {
		t.Errorf("equal values: %+v", r)
	}
}

func TestDiffNumber(t *testing.T) {
	show := func(n int64) string { return strconv.FormatInt(n, 10) }
	cases := []struct {
		exp, act int64
		rule     Rule
		sev      Severity
	}{
		{1024, 2048, HigherWeakens, Weakening},
		{1024, 512, HigherWeakens, Strengthening},
		{1024, -1, HigherWeakens, Weakening}, // unlimited
		{31536000, 300, LowerWeakens, Weakening},
		{300, 31536000, LowerWeakens, Strengthening},
		{5, 4, AnyWeakens, Weakening},
	}
	for _, c := range cases {
		d := NewDiff("t")
		d.Number(At{Control: "c"}, "n", c.exp, c.act, c.rule, show)
		r := d.Result()
		if len(r.Findings) != 1 || r.Findings[0].Severity != c.sev || r.Findings[0].Direction != Changed {
			t.Errorf("%d vs %d rule %d: %+v", c.exp, c.act, c.rule, r.Findings)
		}
	}
}

func TestDiffSet(t *testing.T) {
	d := NewDiff("t")
	d.Set(At{Control: "tls"}, "ssl_protocols", []string{"TLSv1.2", "TLSv1.3"}, []string{"TLSv1.3", "TLSv1", "TLSv1.2"}, HigherWeakens)
	d.Set(At{Control: "headers"}, "headers", []string{"A", "B"}, []string{"A"}, LowerWeakens)
	d.Set(At{Control: "tls"}, "same", []string{"x", "y"}, []string{"y", "x", "x"}, AnyWeakens)
	r := d.Result()
	if len(r.Findings) != 2 || len(r.Checks) != 3 {
		t.Fatalf("got %+v", r)
	}
	if f := r.Findings[0]; f.Direction != Unexpected || f.Severity != Weakening || f.Actual != "TLSv1" {
		t.Errorf("extra protocol: %+v", f)
	}
	if f := r.Findings[1]; f.Direction != Missing || f.Severity != Weakening || f.Expected != "B" {
		t.Errorf("missing header: %+v", f)
	}
	if !r.Checks[2].Passed || r.Checks[0].Passed {
		t.Errorf("checks: %+v", r.Checks)
	}
}
