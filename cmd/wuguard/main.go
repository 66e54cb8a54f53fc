// Command wuguard tells real Windows update failures from false alarms and
// hunts event logs for the fake "fix" that scammers push after one.
package main

import (
	"os"

	"github.com/wuguard/wuguard/internal/cli"
)

func main() {
	os.Exit(cli.Main(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}
