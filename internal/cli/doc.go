// Package cli is rampart's command line: a cobra tree built fresh by New,
// one file per subcommand, and exit codes carried by typed errors. Only
// this package imports cobra.
package cli
