// Command main is a gotwistd binary with only the web plugin, built by
// bench/web/run.sh so that the benchmark does not depend on which plugins
// cmd/gotwistd imports.
package main

import (
	"github.com/gotwistd/gotwistd/runner"

	_ "github.com/gotwistd/gotwistd/plugins/web"
)

func main() { runner.Main() }
