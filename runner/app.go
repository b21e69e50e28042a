package runner

import (
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"runtime"
	"runtime/debug"
	"sort"
	"strings"
	"text/tabwriter"

	"github.com/urfave/cli/v2"

	"github.com/gotwistd/gotwistd/service"
)

// version is set at build time with -ldflags "-X ...runner.version=v1.2.3".
var version string

// Version returns the program's version: the one set at build time, else
// the module version recorded in the binary, else "devel".
func Version() string {
	if version != "" {
		return version
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "devel"
}

// Main runs gotwistd with the registered plugins and exits.
func Main() {
	seal()
	os.Exit(Execute(Registered(), os.Args, os.Stdout, os.Stderr))
}

// Execute runs the command line args (args[0] is the program) with the
// plugins ps and returns the exit status. Tests call it with exactly the
// plugins they need.
func Execute(ps []Plugin, args []string, stdout, stderr io.Writer) int {
	app, err := NewApp(ps)
	if err != nil {
		fmt.Fprintf(stderr, "gotwistd: %v\n", err)
		return ExitFailure
	}
	app.Writer, app.ErrWriter = stdout, stderr
	if len(args) <= 1 {
		printHelp(stdout, ps) // no arguments at all: help, as twistd
		return ExitOK
	}
	err = app.Run(args)
	if msg := errorText(err); msg != "" {
		fmt.Fprintf(stderr, "gotwistd: %s\n", msg)
	}
	return exitCode(err)
}

func errorText(err error) string {
	if errors.Is(err, ErrDone) {
		return ""
	}
	var ee *exitError
	if errors.As(err, &ee) {
		return ee.msg
	}
	if err != nil {
		return err.Error()
	}
	return ""
}

// NewApp builds the command line from the plugins ps: the twistd options,
// one subcommand a plugin, and stop, status and reload. It touches no
// global state.
func NewApp(ps []Plugin) (*cli.App, error) {
	seen := map[string]bool{}
	for _, p := range ps {
		if err := check(p); err != nil {
			return nil, err
		}
		if seen[p.Name] {
			return nil, fmt.Errorf("plugin %q given twice", p.Name)
		}
		seen[p.Name] = true
	}
	ps = append([]Plugin(nil), ps...)
	sort.Slice(ps, func(i, j int) bool { return ps[i].Name < ps[j].Name })

	app := &cli.App{
		Name:                   "gotwistd",
		HideHelpCommand:        true,
		HideVersion:            true,
		UseShortOptionHandling: false,
		Flags:                  globalFlags(),
		CustomAppHelpTemplate:  helpTemplate(ps),
		OnUsageError:           usageHandler("gotwistd"),
		ExitErrHandler:         func(*cli.Context, error) {},
		Action:                 func(c *cli.Context) error { return topLevel(c, ps) },
	}
	for _, p := range ps {
		app.Commands = append(app.Commands, pluginCommand(p))
	}
	app.Commands = append(app.Commands, controlCommands()...)
	for _, c := range app.Commands {
		c.OnUsageError = usageHandler("gotwistd " + c.Name)
	}
	return app, nil
}

// topLevel answers a command line without a subcommand.
func topLevel(c *cli.Context, ps []Plugin) error {
	switch {
	case c.Bool(flagVersion):
		fmt.Fprintf(c.App.Writer, "gotwistd (the Go twistd) %s\n%s %s/%s\n", Version(), runtime.Version(), runtime.GOOS, runtime.GOARCH)
		return nil
	case c.Bool(flagHelpReactors):
		printReactors(c.App.Writer, ps)
		return nil
	case c.Args().Present():
		return usageErrorf("unknown command %q: the plugins are %s (see gotwistd --help)", c.Args().First(), pluginNames(ps))
	case c.String(flagApp) != "":
		return runApp(c, ps)
	}
	if _, err := readOptions(c); err != nil {
		return err
	}
	if err := checkReactor(c.String(flagReactor), nil); err != nil {
		return err
	}
	return usageErrorf("no plugin given: name one of %s, or give -y APPFILE (see gotwistd --help)", pluginNames(ps))
}

func pluginNames(ps []Plugin) string {
	var ns []string
	for _, p := range ps {
		if !p.Hidden {
			ns = append(ns, p.Name)
		}
	}
	if len(ns) == 0 {
		return "(none compiled in)"
	}
	return strings.Join(ns, ", ")
}

// pluginCommand is the subcommand that runs plugin p.
func pluginCommand(p Plugin) *cli.Command {
	return &cli.Command{
		Name:               p.Name,
		Usage:              p.Usage,
		Description:        p.Description,
		Hidden:             p.Hidden,
		Flags:              append(append([]cli.Flag(nil), p.Flags...), hiddenGlobals(p.Flags)...),
		CustomHelpTemplate: pluginHelpTemplate,
		Action:             func(c *cli.Context) error { return runPlugin(c, p) },
	}
}

// runPlugin checks the options, builds the plugin's tree, and then either
// serves in this process (-n, or as the daemon child) or starts the daemon
// and waits for it.
func runPlugin(c *cli.Context, p Plugin) error {
	if c.Args().Present() {
		return usageErrorf("%s: unexpected argument %q (see gotwistd %s --help)", p.Name, c.Args().First(), p.Name)
	}
	o, err := readOptions(c)
	if err != nil {
		return err
	}
	if setIn(c, flagApp).String(flagApp) != "" {
		return usageErrorf("-y runs an application file; it cannot go with the plugin name %s: choose one", p.Name)
	}
	if err := checkReactor(o.Reactor, &p); err != nil {
		return err
	}
	r := newRun(p.Name, o, c.App.Writer, c.App.ErrWriter)
	svc, err := p.Make(c, r.env(p.Name))
	if err != nil {
		return usageErrorf("%s: %v", p.Name, err)
	}
	r.root = service.NewMulti(p.Name)
	if err := r.root.Add(svc); err != nil {
		return failf("%s: %v", p.Name, err)
	}
	return launch(r)
}

// launch runs r here (-n), as the daemon child, or as the parent that
// starts the daemon and waits for it.
func launch(r *run) error {
	o := r.opts
	if isDaemonChild() && !o.NoDaemon {
		if err := becomeDaemon(); err != nil {
			fmt.Fprintf(r.stderr, "gotwistd: %v\n", err)
			return &exitError{code: ExitFailure}
		}
		r.daemon = true
		return codeError(r.serve())
	}
	if err := o.checkDirs(); err != nil {
		return err
	}
	if o.Pidfile != "" && o.Chroot == "" {
		running, pid, exists, err := probePidfile(o.Pidfile)
		switch {
		case err != nil:
			return failf("%v", err)
		case running:
			return failf("%v", &runningError{path: o.Pidfile, pid: pid})
		case exists && pid != "":
			fmt.Fprintf(r.stderr, "gotwistd: %s\n", staleNotice(o.Pidfile, pid))
		}
	}
	if o.NoDaemon {
		return codeError(r.serve())
	}
	if err := checkLogfile(o); err != nil {
		return err
	}
	hint := "the log"
	if o.Logfile != "" {
		hint = o.Logfile
	}
	return daemonize(r.stderr, hint)
}

func codeError(code int) error {
	if code == ExitOK {
		return nil
	}
	return &exitError{code: code}
}

// usageHandler turns the flag package's messages into one line that names
// the option and where to read about it.
func usageHandler(cmd string) cli.OnUsageErrorFunc {
	return func(_ *cli.Context, err error, _ bool) error {
		return usageErrorf("%s (see %s --help)", translateFlagError(err.Error()), cmd)
	}
}

var (
	reUndefined = regexp.MustCompile(`^flag provided but not defined: -+(.+)$`)
	reNeedsArg  = regexp.MustCompile(`^flag needs an argument: -+(.+)$`)
	reBadValue  = regexp.MustCompile(`^invalid value "(.*)" for flag -+([^:]+): (.*)$`)
)

func translateFlagError(msg string) string {
	if m := reUndefined.FindStringSubmatch(msg); m != nil {
		return "unknown option " + dashed(m[1])
	}
	if m := reNeedsArg.FindStringSubmatch(msg); m != nil {
		return "option " + dashed(m[1]) + " needs a value"
	}
	if m := reBadValue.FindStringSubmatch(msg); m != nil {
		return fmt.Sprintf("invalid value %q for %s: %s", m[1], dashed(m[2]), m[3])
	}
	return msg
}

func dashed(name string) string {
	if len(name) == 1 {
		return "-" + name
	}
	return "--" + name
}

// printHelp writes `gotwistd --help`: usage, the global options, then the
// plugins like twistd's "Commands:" list, then process control.
func printHelp(w io.Writer, ps []Plugin) {
	fmt.Fprint(w, `Usage: gotwistd [global options] PLUGIN [plugin options]
       gotwistd [--pidfile FILE] stop|status|reload

gotwistd runs a server plugin as a daemon with a pidfile, a rotating log,
privileges dropped after its ports are bound, and a clean stop. Global
options may also follow the plugin name, unless the plugin has an option
of the same name. Run 'gotwistd PLUGIN --help' for a plugin's options.

Global options:
`)
	tw := tabwriter.NewWriter(w, 0, 8, 2, ' ', 0)
	for _, f := range globalFlags() {
		fmt.Fprintf(tw, "   %s\n", strings.Replace(f.String(), "\t", "\t", 1))
	}
	fmt.Fprintf(tw, "   --help, -h\tshow this help\n")
	tw.Flush()
	fmt.Fprintln(w, "\nCommands:")
	for _, p := range ps {
		if !p.Hidden {
			fmt.Fprintf(w, "    %-17s%s\n", p.Name, p.Usage)
		}
	}
	fmt.Fprintln(w, "\nProcess control (by pidfile):")
	for _, c := range controlCommands() {
		fmt.Fprintf(w, "    %-17s%s\n", c.Name, c.Usage)
	}
}

// helpTemplate renders the help once, as a template with no actions in it.
func helpTemplate(ps []Plugin) string {
	var b strings.Builder
	printHelp(&b, ps)
	return strings.ReplaceAll(b.String(), "{{", `{{"{{"}}`)
}

const pluginHelpTemplate = `Usage: gotwistd [global options] {{.Name}} [options]

{{.Usage}}{{if .Description}}

{{.Description}}{{end}}

Options:
{{range .VisibleFlags}}   {{.}}
{{end}}
Global options (see gotwistd --help) may also follow the plugin name.
`
