// Package cli is the stepwise command line: run and validate state machines, start the
// server, and the tools around them.
package cli

import (
	"fmt"
	"io"
)

// Version is set at build time.
var Version = "dev"

type command struct {
	name    string
	summary string
	run     func(args []string, stdin io.Reader, stdout, stderr io.Writer) int
}

func commands() []command {
	return []command{
		{"run", "run a state machine to completion in this process", runCmd},
		{"validate", "check state machine definitions and list every problem", validateCmd},
		{"bench", "measure executions per second and states per second of a definition", benchCmd},
		{"server", "serve the AWS APIs (Step Functions...) on one port for the aws CLI and SDKs", serverCmd},
		{"version", "print the version", func(_ []string, _ io.Reader, out, _ io.Writer) int {
			fmt.Fprintln(out, "stepwise", Version)
			return 0
		}},
	}
}

// Main runs the command line and returns the exit status.
func Main(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		usage(stdout)
		return 0
	}
	for _, c := range commands() {
		if c.name == args[0] {
			return c.run(args[1:], stdin, stdout, stderr)
		}
	}
	fmt.Fprintf(stderr, "stepwise: unknown command %q\n\n", args[0])
	usage(stderr)
	return 2
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "stepwise runs AWS Step Functions state machines and the ML jobs they call.")
	fmt.Fprintln(w, "\nUsage: stepwise COMMAND [options]\n\nCommands:")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-10s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w, "\nRun 'stepwise COMMAND -h' for a command's options.")
}
