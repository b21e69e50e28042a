package runner

import (
	"time"

	"github.com/urfave/cli/v2"
)

// Names of the global options, as read back by options.go.
const (
	flagNodaemon        = "nodaemon"
	flagLogfile         = "logfile"
	flagLogMaxSize      = "logfile-max-size"
	flagLogMaxBackups   = "logfile-max-backups"
	flagLogCompress     = "logfile-compress"
	flagPidfile         = "pidfile"
	flagRundir          = "rundir"
	flagChroot          = "chroot"
	flagUID             = "uid"
	flagGID             = "gid"
	flagEUID            = "euid"
	flagUmask           = "umask"
	flagSyslog          = "syslog"
	flagPrefix          = "prefix"
	flagReactor         = "reactor"
	flagHelpReactors    = "help-reactors"
	flagProfile         = "profile"
	flagProfiler        = "profiler"
	flagSpew            = "spew"
	flagDebug           = "debug"
	flagVersion         = "version"
	flagShutdownTimeout = "shutdown-timeout"
	flagApp             = "app"
)

// globalCategory marks every global option, including the hidden copies a
// plugin's subcommand carries, so that a plugin option of the same name
// (web's -l/--logfile) is told apart from them.
const globalCategory = "global"

// globalFlags returns fresh copies of the twistd options, so that each
// plugin's subcommand can carry its own (hidden) set: global options are
// accepted after the plugin name too.
func globalFlags() []cli.Flag {
	fs := []cli.Flag{
		&cli.BoolFlag{Name: flagNodaemon, Aliases: []string{"n"}, Usage: "stay in the foreground; log to stdout unless --logfile says otherwise"},
		&cli.StringFlag{Name: flagLogfile, Aliases: []string{"l"}, Usage: "log to `FILE` (- = stdout) [default: twistd.log when daemonized, stdout with -n]"},
		&cli.IntFlag{Name: flagLogMaxSize, Value: 1, Usage: "rotate the log file when it reaches `MB` megabytes"},
		&cli.IntFlag{Name: flagLogMaxBackups, Value: 10, Usage: "keep at most `N` rotated log files (0 = keep all)"},
		&cli.BoolFlag{Name: flagLogCompress, Usage: "gzip rotated log files"},
		&cli.StringFlag{Name: flagPidfile, Value: "twistd.pid", Usage: "write the daemon's pid to `FILE` and lock it while running ('' = no pidfile)"},
		&cli.StringFlag{Name: flagRundir, Aliases: []string{"d"}, Value: ".", Usage: "change to `DIR` before running (after --chroot)"},
		&cli.StringFlag{Name: flagChroot, Usage: "chroot to `DIR` before running (paths given on the command line are resolved first)"},
		&cli.StringFlag{Name: flagUID, Aliases: []string{"u"}, Usage: "switch to `USER` (name or number) after binding ports"},
		&cli.StringFlag{Name: flagGID, Aliases: []string{"g"}, Usage: "switch to `GROUP` (name or number) after binding ports [default: the primary group of --uid]"},
		&cli.BoolFlag{Name: flagEUID, Usage: "change only the effective uid/gid (root can be regained)"},
		&cli.StringFlag{Name: flagUmask, Usage: "set the process umask to `OCTAL` [default: 0077 when daemonized, inherited with -n]"},
		&cli.BoolFlag{Name: flagSyslog, Usage: "log to syslog, not to a file"},
		&cli.StringFlag{Name: flagPrefix, Value: "gotwistd", Usage: "syslog identity (with --syslog)"},
		&cli.StringFlag{Name: flagReactor, Aliases: []string{"r"}, Value: DefaultReactor, Usage: "drive protocol plugins with `NAME` (see --help-reactors)"},
		&cli.BoolFlag{Name: flagHelpReactors, Usage: "list the reactors and the plugins that run on each, then exit"},
		&cli.StringFlag{Name: flagProfile, Aliases: []string{"p"}, Usage: "write a Go profile to `FILE` when the server stops"},
		&cli.StringFlag{Name: flagProfiler, Value: "cpu", Usage: "what --profile records: `cpu` or heap"},
		&cli.BoolFlag{Name: flagSpew, Usage: "trace every step of the runner and services in the log (debug level)"},
		&cli.BoolFlag{Name: flagDebug, Aliases: []string{"b"}, Usage: "like --spew, and stay in the foreground"},
		&cli.StringFlag{Name: flagApp, Aliases: []string{"y"}, Usage: "run the services listed in the application `FILE` (TOML) instead of one plugin"},
		&cli.BoolFlag{Name: flagVersion, Usage: "print the version and exit"},
		&cli.DurationFlag{Name: flagShutdownTimeout, Value: 10 * time.Second, Usage: "give services `DURATION` to stop, then exit non-zero naming the ones still stopping"},
	}
	for _, f := range fs {
		switch f := f.(type) {
		case *cli.BoolFlag:
			f.Category = globalCategory
		case *cli.StringFlag:
			f.Category = globalCategory
		case *cli.IntFlag:
			f.Category = globalCategory
		case *cli.DurationFlag:
			f.Category = globalCategory
		}
	}
	return fs
}

// hiddenGlobals returns the global options a plugin's subcommand also
// accepts: all but those whose name or alias the plugin uses itself.
func hiddenGlobals(own []cli.Flag) []cli.Flag {
	taken := map[string]bool{"help": true, "h": true}
	for _, f := range own {
		for _, n := range f.Names() {
			taken[n] = true
		}
	}
	var out []cli.Flag
	for _, f := range globalFlags() {
		if taken[f.Names()[0]] {
			continue // the plugin's own option of that name wins
		}
		out = append(out, hide(f, taken))
	}
	return out
}

// hide marks f hidden and drops the aliases a plugin option already uses.
func hide(f cli.Flag, taken map[string]bool) cli.Flag {
	keep := func(as []string) []string {
		var out []string
		for _, a := range as {
			if !taken[a] {
				out = append(out, a)
			}
		}
		return out
	}
	switch f := f.(type) {
	case *cli.BoolFlag:
		f.Hidden, f.Aliases = true, keep(f.Aliases)
	case *cli.StringFlag:
		f.Hidden, f.Aliases = true, keep(f.Aliases)
	case *cli.IntFlag:
		f.Hidden, f.Aliases = true, keep(f.Aliases)
	case *cli.DurationFlag:
		f.Hidden, f.Aliases = true, keep(f.Aliases)
	}
	return f
}
