// Command main is gotwistd with the dns plugin only, built by run.sh for
// the benchmark, so that the benchmark does not depend on which plugins
// cmd/gotwistd imports.
package main

import (
	"github.com/gotwistd/gotwistd/runner"

	_ "github.com/gotwistd/gotwistd/plugins/dns"
)

func main() { runner.Main() }
