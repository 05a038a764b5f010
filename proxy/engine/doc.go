// Package engine is the decision core of rampart's proxy: for a request it
// finds the declared route, then applies the controls in the IR's single
// order — routing, CORS preflight, client rate limits, content type,
// authentication (with failure throttling), authorization, subject rate
// limits — and returns a Decision. The reverse proxy and the authorizer
// (nginx auth_request, Envoy ext_authz) both ask the same engine, so they
// cannot disagree.
package engine
