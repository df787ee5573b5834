// Command stepwise runs Amazon States Language state machines and the ML jobs they call.
package main

import (
	"os"
	"runtime/debug"

	"github.com/stepwise-dev/stepwise/internal/cli"
)

func main() {
	// The engine's live heap is small and short-lived values are many: collecting less
	// often costs a little memory and buys a lot of speed. GOGC still overrides it.
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(400)
	}
	os.Exit(cli.Main(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}
