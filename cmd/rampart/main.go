// Command rampart compiles API-gateway hardening policy written in CUE into
// native gateway configuration. See `rampart help`.
package main

import (
	"os"

	"github.com/rampart-policy/rampart/internal/cli"
)

func main() { os.Exit(cli.Main(os.Args[1:], os.Stdin, os.Stdout, os.Stderr)) }
