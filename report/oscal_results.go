package report

import (
	"io"
)

type arDoc struct {
	AR assessmentResults `json:"assessment-results"`
}

type assessmentResults struct {
	UUID       string        `json:"uuid"`
	Metadata   oscalMetadata `json:"metadata"`
	ImportAP   href          `json:"import-ap"`
	Results    []arResult    `json:"results"`
	BackMatter backMatter    `json:"back-matter"`
}

type href struct {
	Href string `json:"href"`
}

type backMatter struct {
	Resources []resource `json:"resources"`
}

type resource struct {
	UUID        string `json:"uuid"`
	Title       string `json:"title"`
	Description string `json:"description"`
}

type arResult struct {
	UUID             string           `json:"uuid"`
	Title            string           `json:"title"`
	Description      string           `json:"description"`
	Start            string           `json:"start"`
	Props            []oscalProp      `json:"props"`
	ReviewedControls reviewedControls `json:"reviewed-controls"`
	Observations     []observation    `json:"observations"`
	Findings         []finding        `json:"findings"`
}

type reviewedControls struct {
	ControlSelections []controlSelection `json:"control-selections"`
}

type controlSelection struct {
	IncludeControls []controlID `json:"include-controls"`
}

type controlID struct {
	ControlID string `json:"control-id"`
}

type observation struct {
	UUID        string      `json:"uuid"`
	Title       string      `json:"title"`
	Description string      `json:"description"`
	Props       []oscalProp `json:"props"`
	Methods     []string    `json:"methods"`
	Collected   string      `json:"collected"`
}

type finding struct {
	UUID                string               `json:"uuid"`
	Title               string               `json:"title"`
	Description         string               `json:"description"`
	Props               []oscalProp          `json:"props"`
	Target              findingTarget        `json:"target"`
	RelatedObservations []relatedObservation `json:"related-observations"`
}

type findingTarget struct {
	Type     string        `json:"type"`
	TargetID string        `json:"target-id"`
	Status   findingStatus `json:"status"`
}

type findingStatus struct {
	State  string `json:"state"`
	Reason string `json:"reason"`
}

type relatedObservation struct {
	ObservationUUID string `json:"observation-uuid"`
}

// WriteOSCALResults writes an OSCAL 1.2.2 assessment-results document:
// one finding per control (satisfied only when rampart's status is plain
// satisfied; every other status is not-satisfied, with rampart's status,
// the evidence strength and the native citation as props) and one
// observation per control holding its evidence.
func WriteOSCALResults(w io.Writer, r *Report) error {
	s := seed(r)
	apUUID := uuid5(s + "/back-matter/policy")
	doc := arDoc{AR: assessmentResults{
		UUID:     uuid5(s + "/assessment-results"),
		Metadata: metadata(r, "rampart "+r.Framework.ID+" assessment of "+r.Policy.Name),
		ImportAP: href{Href: "#" + apUUID},
		BackMatter: backMatter{Resources: []resource{{UUID: apUUID, Title: "rampart policy " + r.Policy.Name,
			Description: "The assessment plan is implicit: rampart assessed the compiled policy " + r.Policy.Name + " against its " + r.Framework.ID + " catalogue " + r.Framework.Version + "."}}},
	}}
	res := arResult{UUID: uuid5(s + "/result"), Title: r.Framework.Title, Start: when(r),
		Description: "Assessment of gateway policy " + r.Policy.Name + ". Targets assessed: " + r.TargetScope() + ". Score: " + r.Summary.Percent() + ". " + r.Summary.Formula + ".",
		Props:       []oscalProp{{Name: "score", Value: r.Summary.Percent(), NS: rampartNS}}}
	var ids []controlID
	for _, c := range r.Controls {
		ids = append(ids, controlID{ControlID: c.TokenID})
		obs := observation{UUID: uuid5(s + "/observation/" + c.TokenID), Title: c.ID + " " + c.Title, Description: evidenceText(c),
			Props: controlProps(c), Methods: methods(c), Collected: when(r)}
		res.Observations = append(res.Observations, obs)
		res.Findings = append(res.Findings, finding{UUID: uuid5(s + "/finding/" + c.TokenID), Title: c.ID + " " + c.Title,
			Description: c.Note + ".", Props: controlProps(c),
			Target:              findingTarget{Type: "objective-id", TargetID: c.TokenID, Status: findingStatus{State: state(c.Status), Reason: reason(c.Status)}},
			RelatedObservations: []relatedObservation{{ObservationUUID: obs.UUID}}})
	}
	res.ReviewedControls = reviewedControls{ControlSelections: []controlSelection{{IncludeControls: ids}}}
	doc.AR.Results = []arResult{res}
	return writeIndented(w, doc)
}

// methods says how a control's evidence was gathered: EXAMINE for the
// configuration, TEST when drift or probe results contributed.
func methods(c Control) []string {
	out := []string{"EXAMINE"}
	for _, e := range c.Evidence {
		if e.Source != "policy" {
			return append(out, "TEST")
		}
	}
	return out
}

// state maps a status to OSCAL's two objective states.
func state(s Status) string {
	if s == Satisfied {
		return "satisfied"
	}
	return "not-satisfied"
}

// reason maps a status to OSCAL's objective status reason.
func reason(s Status) string {
	switch s {
	case Satisfied:
		return "pass"
	case NotSatisfied:
		return "fail"
	}
	return "other"
}
