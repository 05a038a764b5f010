// Command rampart-gen writes a generated rampart policy directory of a
// chosen size, for benchmarks:
//
//	rampart-gen -routes 1000 -o DIR
//
// DIR must be empty or absent. The output is deterministic.
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/rampart-policy/rampart/internal/gen"
)

func main() {
	routes := flag.Int("routes", 100, "number of routes to generate")
	out := flag.String("o", "", "output directory (must be empty or absent)")
	pkg := flag.String("package", "bench", "CUE package name")
	kong := flag.Bool("kong-waivers", true, "write targets.cue: Kong Enterprise with waivers for what Kong cannot enforce, so every target builds")
	flag.Usage = func() {
		fmt.Fprintf(flag.CommandLine.Output(), "usage: rampart-gen -routes N -o DIR\n\n")
		flag.PrintDefaults()
	}
	flag.Parse()
	if *out == "" || flag.NArg() != 0 {
		flag.Usage()
		os.Exit(2)
	}
	if err := gen.Write(*out, gen.Options{Routes: *routes, Package: *pkg, KongWaivers: *kong}); err != nil {
		fmt.Fprintln(os.Stderr, "rampart-gen:", err)
		os.Exit(1)
	}
}
