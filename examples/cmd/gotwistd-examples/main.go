// Command gotwistd-examples is gotwistd with the example plugins compiled
// in beside built-in ones: the way a third party builds its own binary.
// Copy this file, list the built-in plugins you want and your own, each as
// a blank import (a plugin registers itself from its init function), and
// call runner.Main:
//
//	go build -o gotwistd-examples ./examples/cmd/gotwistd-examples
//	./gotwistd-examples -n chat -p tcp:8123
//	./gotwistd-examples -n --reactor gnet pubsub -p tcp:1025
//	./gotwistd-examples -n twoservers --hello tcp:8000 --bonjour tcp:8001
package main

import (
	"github.com/gotwistd/gotwistd/runner"

	// Built-in plugins.
	_ "github.com/gotwistd/gotwistd/plugins/cache"
	_ "github.com/gotwistd/gotwistd/plugins/echo"

	// The examples: third-party plugins, compiled in the same way.
	_ "github.com/gotwistd/gotwistd/examples/chat"
	_ "github.com/gotwistd/gotwistd/examples/pubsub"
	_ "github.com/gotwistd/gotwistd/examples/twoservers"
)

func main() { runner.Main() }
