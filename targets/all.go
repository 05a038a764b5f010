package targets

import (
	"github.com/rampart-policy/rampart/targets/envoy"
	"github.com/rampart-policy/rampart/targets/goproxy"
	"github.com/rampart-policy/rampart/targets/kong"
	"github.com/rampart-policy/rampart/targets/nginx"
)

// All returns every target rampart ships, in a fixed order. The Kong and
// Envoy targets join this list as they land.
func All() []Target {
	return []Target{
		goproxy.New(),
		nginx.New(),
		kong.New(),
		envoy.New(),
	}
}
