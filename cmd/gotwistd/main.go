// Command gotwistd runs Twisted-style server plugins as daemons.
//
// To build your own binary with your own plugins beside the built-in ones,
// copy this file and add one blank import per plugin: each plugin registers
// itself from its init function.
package main

import (
	"github.com/gotwistd/gotwistd/runner"

	_ "github.com/gotwistd/gotwistd/plugins/cache"
	_ "github.com/gotwistd/gotwistd/plugins/conch"
	_ "github.com/gotwistd/gotwistd/plugins/dns"
	_ "github.com/gotwistd/gotwistd/plugins/echo"
	_ "github.com/gotwistd/gotwistd/plugins/mail"
	_ "github.com/gotwistd/gotwistd/plugins/testsvc"
	_ "github.com/gotwistd/gotwistd/plugins/web"
)

func main() { runner.Main() }
