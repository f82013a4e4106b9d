// Command lading downloads and verifies the software and license documents
// of a user's orders. With no arguments it opens the window; its subcommands
// run the same core from a terminal.
package main

import (
	"os"

	"lading.dev/lading/app"
)

func main() {
	os.Exit(app.Main(os.Args[1:]))
}
