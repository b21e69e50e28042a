// Command main is gotwistd with only the conch plugin, built by
// bench/conch/run.sh so that the benchmark needs nothing else of the tree.
package main

import (
	_ "github.com/gotwistd/gotwistd/plugins/conch"
	"github.com/gotwistd/gotwistd/runner"
)

func main() { runner.Main() }
