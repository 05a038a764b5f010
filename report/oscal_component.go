package report

import (
	"fmt"
	"io"
	"slices"
	"strings"
)

type cdDoc struct {
	CD componentDefinition `json:"component-definition"`
}

type componentDefinition struct {
	UUID       string        `json:"uuid"`
	Metadata   oscalMetadata `json:"metadata"`
	Components []component   `json:"components,omitempty"`
}

type component struct {
	UUID                   string                  `json:"uuid"`
	Type                   string                  `json:"type"`
	Title                  string                  `json:"title"`
	Description            string                  `json:"description"`
	Props                  []oscalProp             `json:"props,omitempty"`
	ControlImplementations []controlImplementation `json:"control-implementations,omitempty"`
}

type controlImplementation struct {
	UUID                    string                   `json:"uuid"`
	Source                  string                   `json:"source"`
	Description             string                   `json:"description"`
	ImplementedRequirements []implementedRequirement `json:"implemented-requirements"`
}

type implementedRequirement struct {
	UUID        string      `json:"uuid"`
	ControlID   string      `json:"control-id"`
	Description string      `json:"description"`
	Props       []oscalProp `json:"props"`
}

// WriteOSCALComponent writes an OSCAL 1.2.2 component-definition: the
// policy as one component implementing every control it satisfies or
// partially satisfies, and each built target as a component implementing
// the controls it enforces, with artifact digests as props.
func WriteOSCALComponent(w io.Writer, r *Report) error {
	s := seed(r)
	doc := cdDoc{CD: componentDefinition{UUID: uuid5(s + "/component-definition"),
		Metadata: metadata(r, "rampart components for "+r.Policy.Name+" ("+r.Framework.ID+")")}}
	pol := component{UUID: uuid5(s + "/component/policy"), Type: "policy", Title: "rampart policy " + r.Policy.Name,
		Description: "Gateway hardening policy " + r.Policy.Name + " (owner: " + r.Policy.Owner + "), compiled by rampart."}
	for _, src := range r.Policy.Sources {
		pol.Props = append(pol.Props, oscalProp{Name: "source-sha256", Value: src.File + " " + src.SHA256, NS: rampartNS})
	}
	pol.ControlImplementations = implementations(r, s, "policy", func(Control) bool { return true })
	doc.CD.Components = append(doc.CD.Components, pol)
	for _, t := range r.Targets {
		if !t.Built {
			continue
		}
		c := component{UUID: uuid5(s + "/component/" + t.Name), Type: "software", Title: "rampart " + t.Name + " configuration",
			Description: "The " + t.Name + " configuration rampart compiled from policy " + r.Policy.Name + "."}
		for _, a := range t.Artifacts {
			c.Props = append(c.Props, oscalProp{Name: "artifact-sha256", Value: a.Path + " " + a.SHA256, NS: rampartNS})
		}
		c.ControlImplementations = implementations(r, s, t.Name, func(ctl Control) bool { return slices.Contains(ctl.EnforcedBy, t.Name) })
		doc.CD.Components = append(doc.CD.Components, c)
	}
	return writeIndented(w, doc)
}

// implementations lists the satisfied or partially satisfied controls
// keep accepts; nil when there are none (OSCAL forbids empty lists).
func implementations(r *Report, s, comp string, keep func(Control) bool) []controlImplementation {
	var reqs []implementedRequirement
	for _, c := range r.Controls {
		if (c.Status != Satisfied && c.Status != PartiallySatisfied) || !keep(c) {
			continue
		}
		reqs = append(reqs, implementedRequirement{UUID: uuid5(s + "/component/" + comp + "/" + c.TokenID), ControlID: c.TokenID,
			Description: implementationText(c, comp), Props: controlProps(c)})
	}
	if len(reqs) == 0 {
		return nil
	}
	return []controlImplementation{{UUID: uuid5(s + "/component/" + comp + "/implementation"), Source: r.Framework.Catalog,
		Description: r.Framework.Title + ", rampart catalogue " + r.Framework.Version + ".", ImplementedRequirements: reqs}}
}

// implementationText says in a sentence how a component implements a
// control; the full evidence is in the assessment results.
func implementationText(c Control, comp string) string {
	passed := 0
	for _, e := range c.Evidence {
		if e.Passed {
			passed++
		}
	}
	s := fmt.Sprintf("%s: %d checks passed (%s evidence).", c.Status, passed, c.Strength)
	if comp != "policy" && len(c.IRControls) > 0 {
		s += " Enforces rampart controls " + strings.Join(c.IRControls, ", ") + "."
	}
	return s
}
