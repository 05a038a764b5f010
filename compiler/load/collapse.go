package load

import (
	"fmt"
	"strings"

	"github.com/rampart-policy/rampart/compiler/diag"
)

// collapse merges the errors CUE reports for one path: a disjunction that
// fails yields one error per alternative plus a summary. A baseline
// violation wins over schema noise; otherwise the alternatives are folded
// into one message.
func collapse(all diag.List) diag.List {
	var order []string
	groups := map[string]diag.List{}
	for _, d := range all {
		if _, ok := groups[d.Path]; !ok {
			order = append(order, d.Path)
		}
		groups[d.Path] = append(groups[d.Path], d)
	}
	var out diag.List
	for _, p := range order {
		out = append(out, collapseGroup(groups[p])...)
	}
	return dropLoneSummaries(out)
}

// dropLoneSummaries removes "N errors in empty disjunction" diagnostics
// when another diagnostic about a sibling or child explains the failure
// (typically a baseline pinning a field the disjunction depends on); a
// summary left on its own gets a plain message.
func dropLoneSummaries(l diag.List) diag.List {
	var out diag.List
	for i, d := range l {
		if strings.Contains(d.Detail, "incompatible list lengths") && hasChild(l, d.Path) {
			// a list default ("*[\"RS256\"]") the value was also
			// compared with; the element error says what is wrong
			continue
		}
		if !strings.Contains(d.Detail, "errors in empty disjunction") {
			out = append(out, d)
			continue
		}
		parent := parentPath(d.Path)
		explained := false
		for j, o := range l {
			if j != i && !strings.Contains(o.Detail, "errors in empty disjunction") && strings.HasPrefix(o.Path, parent) {
				explained = true
			}
		}
		if !explained {
			d.Message = fmt.Sprintf("%s: the value matches none of the allowed alternatives", orRoot(d.Path))
			out = append(out, d)
		}
	}
	return out
}

func collapseGroup(g diag.List) diag.List {
	if len(g) == 1 || g[0].Path == "" {
		return g
	}
	var baseline, alts, rest diag.List
	for _, d := range g {
		switch {
		case d.Code == diag.CodeBaseline:
			baseline = append(baseline, d)
		case strings.Contains(d.Detail, "errors in empty disjunction"):
			// summary line: the alternatives below say it better
		case strings.Contains(d.Detail, "conflicting values"):
			alts = append(alts, d)
		default:
			rest = append(rest, d)
		}
	}
	if len(baseline) > 0 {
		return baseline[:1]
	}
	for _, d := range rest {
		if strings.Contains(d.Detail, "out of bound") {
			// The alternatives are a default ("X-API-Key") the value
			// was also compared with; the bound says what is wrong.
			return rest
		}
	}
	if len(alts) > 1 {
		d := alts[0]
		var allowed []string
		var got string
		for _, a := range alts {
			if x, y, ok := conflictPair(a.Detail); ok {
				allowed = append(allowed, x)
				got = y
			}
		}
		if got != "" {
			d.Message = fmt.Sprintf("%s: %s is not allowed here; allowed: %s", d.Path, got, strings.Join(allowed, ", "))
		}
		d.Related = nil
		return append(diag.List{d}, rest...)
	}
	return append(alts, rest...)
}

// conflictPair extracts A and B from "conflicting values A and B".
func conflictPair(detail string) (string, string, bool) {
	_, after, ok := strings.Cut(detail, "conflicting values ")
	if !ok {
		return "", "", false
	}
	after, _, _ = strings.Cut(after, " (mismatched")
	a, b, ok := strings.Cut(after, " and ")
	return a, strings.TrimSuffix(b, ":"), ok
}

// hasChild reports whether a diagnostic concerns a path below p.
func hasChild(l diag.List, p string) bool {
	for _, d := range l {
		if strings.HasPrefix(d.Path, p+".") {
			return true
		}
	}
	return false
}
