// Command main is gotwistd with only the mail plugin compiled in, for the
// benchmark in bench/mail (cmd/gotwistd belongs to the whole project).
package main

import (
	"github.com/gotwistd/gotwistd/runner"

	_ "github.com/gotwistd/gotwistd/plugins/mail"
)

func main() { runner.Main() }
