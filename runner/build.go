package runner

import (
	"errors"
	"io"

	"github.com/urfave/cli/v2"

	"github.com/gotwistd/gotwistd/service"
)

// Build parses args (the plugin's own options, without the plugin's name)
// exactly as `gotwistd NAME args...` would, and returns what p.Make makes
// of them with env. It starts nothing: tests and programs that embed a
// plugin drive the returned service themselves.
func Build(p Plugin, args []string, env Env) (service.Service, error) {
	if err := check(p); err != nil {
		return nil, err
	}
	var svc service.Service
	cmd := pluginCommand(p)
	cmd.OnUsageError = usageHandler("gotwistd " + p.Name)
	cmd.Action = func(c *cli.Context) error {
		if c.Args().Present() {
			return usageErrorf("%s: unexpected argument %q", p.Name, c.Args().First())
		}
		// Build reads the plugin's own options; a global one would be
		// silently ignored here, so it is refused.
		for _, f := range hiddenGlobals(p.Flags) {
			if n := f.Names()[0]; c.IsSet(n) {
				return usageErrorf("--%s is a global option, not one of %s's: give it on the command line", n, p.Name)
			}
		}
		var err error
		svc, err = p.Make(c, env)
		return err
	}
	app := &cli.App{
		Name:           "gotwistd",
		Commands:       []*cli.Command{cmd},
		Writer:         io.Discard,
		ErrWriter:      io.Discard,
		ExitErrHandler: func(*cli.Context, error) {},
	}
	if err := app.Run(append([]string{"gotwistd", p.Name}, args...)); err != nil {
		return nil, err
	}
	if svc == nil {
		return nil, errors.New(p.Name + ": Make returned no service (was --help given?)")
	}
	return svc, nil
}
