// Command main is gotwistd with only the cache plugin, for the cache
// benchmark in run.sh.
package main

import (
	"github.com/gotwistd/gotwistd/runner"

	_ "github.com/gotwistd/gotwistd/plugins/cache"
)

func main() { runner.Main() }
