// Package posture compares two compiled policies (BASE and HEAD, normally
// a pull request's target and its change) and explains the difference as
// security posture: for every listener, provider, service, route and
// control, whether HEAD strengthens it, weakens it or leaves it unchanged.
// The comparison is typed, over the IR field by field, never over text.
//
// Changes reuse drift's finding model (control, route, direction,
// severity, expected/actual, origin), with Expected the BASE value, Actual
// the HEAD value and Origin HEAD's file:line. A weakening fails a review
// unless a valid waiver in HEAD accepts it (see Report.Accept).
package posture
