package runner

import (
	"fmt"

	"github.com/urfave/cli/v2"

	"github.com/gotwistd/gotwistd/service"
)

// runApp starts the services of an application file as one tree: each
// entry is built exactly as its subcommand would build it, under a node
// named after the entry. Every mistake (unknown plugin, bad arguments, a
// reactor a plugin cannot run on, two entries on one port) is one usage
// error naming the entry, before anything binds.
func runApp(c *cli.Context, ps []Plugin) error {
	o, err := readOptions(c)
	if err != nil {
		return err
	}
	path, err := absPath(flagApp, c.String(flagApp))
	if err != nil {
		return err
	}
	af, err := readAppFile(path)
	if err != nil {
		return usageErrorf("%v", err)
	}
	if err := checkReactor(o.Reactor, nil); err != nil {
		return err
	}
	byName := map[string]Plugin{}
	for _, p := range ps {
		byName[p.Name] = p
	}
	r := newRun(af.Name, o, c.App.Writer, c.App.ErrWriter)
	r.root = service.NewMulti(af.Name)
	var binds []bound
	for _, s := range af.Services {
		where := fmt.Sprintf("%s: service %q", path, s.Name)
		p, ok := byName[s.Plugin]
		if !ok {
			return usageErrorf("%s: unknown plugin %q; the plugins are %s", where, s.Plugin, pluginNames(ps))
		}
		if err := checkReactor(o.Reactor, &p); err != nil {
			return usageErrorf("%s: %v", where, err)
		}
		svc, err := Build(p, s.Args, r.env(s.Name))
		if err != nil {
			return usageErrorf("%s: %v", where, err)
		}
		node := service.NewMulti(s.Name)
		if err := node.Add(svc); err != nil {
			return usageErrorf("%s: %v", where, err)
		}
		if err := r.root.Add(node); err != nil {
			return usageErrorf("%s: %v", where, err)
		}
		for _, d := range service.Binds(svc) {
			binds = append(binds, bound{entry: s.Name, desc: d})
		}
	}
	if err := findPortConflict(path, binds); err != nil {
		return usageErrorf("%v", err)
	}
	return launch(r)
}
