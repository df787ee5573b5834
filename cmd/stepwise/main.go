// Command stepwise runs Amazon States Language state machines and the ML jobs they call.
package main

import (
	"os"

	"github.com/stepwise-dev/stepwise/internal/cli"
)

func main() {
	os.Exit(cli.Main(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}
