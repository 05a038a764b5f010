// Temporary: rampart with net/http/pprof on PPROF_ADDR. DELETE after profiling.
package main

import (
	"net/http"
	_ "net/http/pprof"
	"os"
	"runtime"

	"github.com/rampart-policy/rampart/internal/cli"
)

func main() {
	if os.Getenv("MUTEXPROF") != "" {
		runtime.SetMutexProfileFraction(5)
		runtime.SetBlockProfileRate(100000)
	}
	go http.ListenAndServe(os.Getenv("PPROF_ADDR"), nil)
	os.Exit(cli.Main(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}
