// Package targets defines what a compilation target is: a Target reads the
// IR, declares its Capabilities, and builds artifacts it has verified
// itself. Check fails closed: a control a target cannot enforce is an
// error naming the control, the route and the target, unless a waiver
// covers it. All lists the targets explicitly.
package targets
