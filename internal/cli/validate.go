package cli

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/stepwise-dev/stepwise/asl"
)

func validateCmd(args []string, _ io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("validate", flag.ContinueOnError)
	fs.SetOutput(stderr)
	typ := fs.String("type", "STANDARD", "STANDARD or EXPRESS")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "Usage: stepwise validate [--type STANDARD|EXPRESS] FILE...")
		fs.PrintDefaults()
	}
	files, err := parseInterleaved(fs, args)
	if err != nil {
		return 2
	}
	if len(files) == 0 {
		fs.Usage()
		return 2
	}
	status := 0
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			fmt.Fprintf(stderr, "%s: %v\n", file, err)
			status = 1
			continue
		}
		_, err = asl.Parse(data, asl.Options{Type: *typ})
		var de *asl.DefinitionError
		switch {
		case err == nil:
			fmt.Fprintf(stdout, "%s: valid\n", file)
		case errors.As(err, &de) && len(de.Problems) > 0:
			status = 1
			for _, p := range de.Problems {
				fmt.Fprintf(stdout, "%s: %s: %s at %s\n", file, p.Code, p.Message, p.Location)
			}
		default:
			status = 1
			fmt.Fprintf(stdout, "%s: %v\n", file, err)
		}
	}
	return status
}
