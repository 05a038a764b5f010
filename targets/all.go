package targets

import "github.com/rampart-policy/rampart/targets/goproxy"

// All returns every target rampart ships, in a fixed order. The nginx,
// Kong and Envoy targets join this list as they land.
func All() []Target {
	return []Target{
		goproxy.New(),
	}
}
