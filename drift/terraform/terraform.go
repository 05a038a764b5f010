package terraform

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/hashicorp/terraform-exec/tfexec"
	tfjson "github.com/hashicorp/terraform-json"

	"github.com/rampart-policy/rampart/compiler/ir"
	"github.com/rampart-policy/rampart/drift"
)

// Env names the terraform binary to run.
const Env = "RAMPART_TERRAFORM"

// Marked is implemented by a drift.Live whose artifacts carry rampart's
// digest marker: Digest reports whether content is one of the target's
// artifacts and returns the policy digest it records.
type Marked interface {
	Digest(content []byte) (string, bool)
}

// Named is implemented by a Marked whose artifacts also record the
// policy's name: artifacts of other policies in the same state (one
// Terraform configuration deploying several gateways) are then not
// compared with this policy.
type Named interface {
	PolicyName(content []byte) (string, bool)
}

// Options configure a Terraform comparison.
type Options struct {
	// Dir is the Terraform working directory, already initialised.
	Dir string
	// Binary is the terraform executable; empty means $RAMPART_TERRAFORM,
	// else terraform on PATH.
	Binary string
}

// Compare reads the state of opts.Dir, compares every artifact of lv's
// target found in it with p, then compares the artifacts of resources a
// refresh-only plan reports changed outside Terraform.
func Compare(ctx context.Context, opts Options, lv drift.Live, p *ir.Policy) (drift.Result, error) {
	m, ok := lv.(Marked)
	if !ok {
		return drift.Result{}, fmt.Errorf("target %s has no artifact marker for the Terraform source", lv.Target())
	}
	tf, err := open(opts)
	if err != nil {
		return drift.Result{}, err
	}
	st, err := tf.Show(ctx)
	if err != nil {
		return drift.Result{}, fmt.Errorf("terraform show -json: %w", err)
	}
	arts, others := ofPolicy(stateArtifacts(st, m), m, p.Name)
	if len(arts) == 0 {
		if len(others) > 0 {
			return drift.Result{}, fmt.Errorf("terraform:%s: no resource in the state holds a rampart %s artifact of policy %q (found only other policies' in %s)", opts.Dir, lv.Target(), p.Name, strings.Join(others, ", "))
		}
		return drift.Result{}, fmt.Errorf("terraform:%s: no resource in the state holds a rampart %s artifact (looked for its digest marker in every attribute)", opts.Dir, lv.Target())
	}
	drifted, gone, err := refreshOnly(ctx, tf, m)
	if err != nil {
		return drift.Result{}, err
	}
	drifted, _ = ofPolicy(drifted, m, p.Name)
	gone, _ = ofPolicy(gone, m, p.Name)
	out := drift.Result{Kind: drift.KindDrift, Policy: p.Name, Target: lv.Target(), Source: "terraform:" + opts.Dir,
		Checks: []drift.Check{}, Findings: []drift.Finding{}}
	addGone(&out, lv.Target(), p, gone)
	for _, a := range append(arts, drifted...) {
		r, err := lv.Compare(ctx, p, []byte(a.content))
		if err != nil {
			return drift.Result{}, fmt.Errorf("%s: %w", a.where, err)
		}
		for _, f := range r.Findings {
			f.Path = a.where + ": " + f.Path
			f.Message = a.where + ": " + f.Message
			out.Findings = append(out.Findings, f)
		}
		out.Checks = append(out.Checks, r.Checks...)
	}
	out.Sort()
	return out, nil
}

// addGone reports each artifact a refresh found deleted or rewritten
// without the marker: everything it enforced is missing in live.
func addGone(out *drift.Result, target string, p *ir.Policy, gone []artifact) {
	for _, g := range gone {
		out.Checks = append(out.Checks, drift.Check{Control: ir.CtlUndeclared, Name: "artifact present after refresh", Passed: false})
		out.Findings = append(out.Findings, drift.Finding{Control: ir.CtlUndeclared, Target: target, Direction: drift.Missing,
			Severity: drift.Weakening, Path: g.where, Expected: "rampart " + target + " artifact",
			Message: g.where + ": the rampart artifact was deleted or replaced outside Terraform; no control of policy " + p.Name + " can be assumed in force"})
	}
}

// ofPolicy keeps the artifacts of the named policy (all of them when the
// target's artifacts do not record a name) and lists where the others
// are.
func ofPolicy(arts []artifact, m Marked, policy string) (mine []artifact, others []string) {
	n, ok := m.(Named)
	if !ok {
		return arts, nil
	}
	for _, a := range arts {
		if name, ok := n.PolicyName([]byte(a.content)); ok && name != policy {
			others = append(others, a.where+" (policy "+strconv.Quote(name)+")")
			continue
		}
		mine = append(mine, a)
	}
	return mine, others
}

// open finds the terraform binary and opens the working directory.
func open(opts Options) (*tfexec.Terraform, error) {
	bin := opts.Binary
	if bin == "" {
		bin = os.Getenv(Env)
	}
	if bin == "" {
		p, err := exec.LookPath("terraform")
		if err != nil {
			return nil, fmt.Errorf("terraform not found: set %s or put terraform on PATH", Env)
		}
		bin = p
	}
	if _, err := os.Stat(bin); err != nil {
		return nil, fmt.Errorf("terraform binary %s: %w", bin, err)
	}
	tf, err := tfexec.NewTerraform(opts.Dir, bin)
	if err != nil {
		return nil, fmt.Errorf("terraform:%s: %w", opts.Dir, err)
	}
	return tf, nil
}

// artifact is one attribute value holding an artifact.
type artifact struct {
	where   string // "terraform_data.nginx.input" or "… (refreshed)"
	content string
}

// stateArtifacts finds artifacts in every managed resource of the state.
func stateArtifacts(st *tfjson.State, m Marked) []artifact {
	if st == nil || st.Values == nil || st.Values.RootModule == nil {
		return nil
	}
	var out []artifact
	var walkModule func(mod *tfjson.StateModule)
	walkModule = func(mod *tfjson.StateModule) {
		for _, r := range mod.Resources {
			if r.Mode == tfjson.ManagedResourceMode {
				out = append(out, find(r.Address, r.AttributeValues, m)...)
			}
		}
		for _, c := range mod.ChildModules {
			walkModule(c)
		}
	}
	walkModule(st.Values.RootModule)
	return out
}

// find walks a resource's attribute values for marked strings; the same
// content under several attributes (terraform_data's input and output)
// is compared once.
func find(address string, v any, m Marked) []artifact {
	var out []artifact
	var walk func(path string, v any)
	walk = func(path string, v any) {
		switch x := v.(type) {
		case string:
			if _, ok := m.Digest([]byte(x)); ok && !slices.ContainsFunc(out, func(a artifact) bool { return a.content == x }) {
				out = append(out, artifact{where: address + path, content: x})
			}
		case map[string]any:
			for _, k := range sortedKeys(x) {
				walk(path+"."+k, x[k])
			}
		case []any:
			for i, e := range x {
				walk(fmt.Sprintf("%s[%d]", path, i), e)
			}
		}
	}
	walk("", v)
	return out
}

func sortedKeys(m map[string]any) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// refreshOnly runs `terraform plan -refresh-only -detailed-exitcode`;
// when the refresh found changes made outside Terraform, it returns the
// artifacts as refreshed in the drifted resources, and those that are
// gone (see resourceDrift).
func refreshOnly(ctx context.Context, tf *tfexec.Terraform, m Marked) (arts, gone []artifact, err error) {
	dir, err := os.MkdirTemp("", "rampart-tfplan")
	if err != nil {
		return nil, nil, err
	}
	defer os.RemoveAll(dir)
	planFile := filepath.Join(dir, "refresh.tfplan")
	changed, err := tf.Plan(ctx, tfexec.RefreshOnly(true), tfexec.Out(planFile), tfexec.Lock(false))
	if err != nil {
		return nil, nil, fmt.Errorf("terraform plan -refresh-only: %w", err)
	}
	if !changed {
		return nil, nil, nil
	}
	plan, err := tf.ShowPlanFile(ctx, planFile)
	if err != nil {
		return nil, nil, fmt.Errorf("terraform show plan: %w", err)
	}
	arts, gone = resourceDrift(plan, m)
	return arts, gone, nil
}

// resourceDrift returns the artifacts as refreshed in the resources a
// refresh-only plan reports changed outside Terraform, and the
// resources that held an artifact before the refresh but hold none
// after it: deleted, or rewritten without rampart's marker. Those are
// the largest drift of all and must not pass as "nothing to compare".
func resourceDrift(plan *tfjson.Plan, m Marked) (arts, gone []artifact) {
	if plan == nil {
		return nil, nil
	}
	for _, rc := range plan.ResourceDrift {
		if rc == nil || rc.Change == nil {
			continue
		}
		after := find(rc.Address, rc.Change.After, m)
		for _, a := range after {
			a.where += " (changed outside Terraform)"
			arts = append(arts, a)
		}
		if len(after) == 0 {
			for _, b := range find(rc.Address, rc.Change.Before, m) {
				b.where += " (changed outside Terraform)"
				gone = append(gone, b)
			}
		}
	}
	return arts, gone
}
