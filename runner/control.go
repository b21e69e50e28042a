package runner

import (
	"fmt"
	"io"
	"path/filepath"
	"strconv"
	"syscall"
	"time"

	"github.com/urfave/cli/v2"
)

// LSB exit codes of `gotwistd status`.
const (
	statusRunning         = 0
	statusDeadWithPidfile = 1
	statusNotRunning      = 3
)

// controlCommands are stop, status and reload: they find the daemon by its
// pidfile (twistd has none of them). Of the global options they read only
// --pidfile and --chroot; any other is refused rather than ignored.
func controlCommands() []*cli.Command {
	return []*cli.Command{
		{
			Name:   "stop",
			Usage:  "stop the daemon named by --pidfile (SIGTERM), and wait until it is gone",
			Flags:  []cli.Flag{&cli.DurationFlag{Name: "timeout", Value: 15 * time.Second, Usage: "how long to wait for the daemon to exit"}},
			Action: func(c *cli.Context) error { return stopCommand(c, c.App.Writer) },
		},
		{
			Name:   "status",
			Usage:  "say whether the daemon named by --pidfile runs (exit 0), died leaving its pidfile (1), or is not running (3)",
			Action: func(c *cli.Context) error { return statusCommand(c, c.App.Writer) },
		},
		{
			Name:   "reload",
			Usage:  "send SIGHUP to the daemon named by --pidfile: reopen its log and reload its services",
			Action: func(c *cli.Context) error { return reloadCommand(c, c.App.Writer) },
		},
	}
}

// controlPidfile reads the pidfile path the way a start would have written
// it: absolute, and inside --chroot when one is given.
func controlPidfile(c *cli.Context) (string, error) {
	for _, name := range []string{flagNodaemon, flagLogfile, flagRundir, flagUID, flagGID, flagEUID, flagUmask, flagSyslog, flagPrefix, flagReactor, flagProfile, flagProfiler, flagSpew, flagDebug, flagShutdownTimeout, flagLogMaxSize, flagLogMaxBackups, flagLogCompress, flagApp} {
		if setIn(c, name).IsSet(name) {
			return "", usageErrorf("--%s has no meaning for %s: it reads only --pidfile and --chroot", name, c.Command.Name)
		}
	}
	if c.Args().Present() {
		return "", usageErrorf("%s takes no arguments, got %q", c.Command.Name, c.Args().First())
	}
	p, err := absPath(flagPidfile, setIn(c, flagPidfile).String(flagPidfile))
	if err != nil {
		return "", err
	}
	if p == "" {
		return "", usageErrorf("%s needs a pidfile: give --pidfile FILE", c.Command.Name)
	}
	if root := setIn(c, flagChroot).String(flagChroot); root != "" {
		abs, err := absPath(flagChroot, root)
		if err != nil {
			return "", err
		}
		p = filepath.Join(abs, p)
	}
	return p, nil
}

// runningPid returns the pid of the daemon holding the pidfile, or an exit
// error explaining why there is none.
func runningPid(path string) (int, error) {
	running, pidText, _, err := probePidfile(path)
	if err != nil {
		return 0, failf("%v", err)
	}
	if !running {
		return 0, nil
	}
	pid, err := strconv.Atoi(pidText)
	if err != nil || pid <= 0 {
		return 0, failf("pidfile %s is locked by a running process but names %q, not a pid", path, pidText)
	}
	return pid, nil
}

func stopCommand(c *cli.Context, stdout io.Writer) error {
	path, err := controlPidfile(c)
	if err != nil {
		return err
	}
	pid, err := runningPid(path)
	if err != nil || pid == 0 {
		if err == nil {
			fmt.Fprintf(stdout, "not running (pidfile %s is absent or unlocked)\n", path)
		}
		return err
	}
	if err := syscall.Kill(pid, syscall.SIGTERM); err != nil {
		return failf("cannot signal pid %d: %v", pid, err)
	}
	deadline := time.Now().Add(c.Duration("timeout"))
	for time.Now().Before(deadline) {
		if now, err := runningPid(path); err == nil && now != pid {
			fmt.Fprintf(stdout, "stopped pid %d\n", pid)
			return nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	return failf("pid %d still runs %s after SIGTERM; its log says why (a longer --timeout, or kill -9 %d)", pid, c.Duration("timeout"), pid)
}

func statusCommand(c *cli.Context, stdout io.Writer) error {
	path, err := controlPidfile(c)
	if err != nil {
		return err
	}
	running, pid, exists, err := probePidfile(path)
	switch {
	case err != nil:
		return &exitError{code: 4, msg: err.Error()} // LSB: status unknown
	case running:
		fmt.Fprintf(stdout, "running as pid %s (pidfile %s)\n", pid, path)
		return nil
	case exists && pid != "":
		fmt.Fprintf(stdout, "not running, but pidfile %s is left behind (it names %s)\n", path, pid)
		return &exitError{code: statusDeadWithPidfile}
	}
	fmt.Fprintf(stdout, "not running\n")
	return &exitError{code: statusNotRunning}
}

func reloadCommand(c *cli.Context, stdout io.Writer) error {
	path, err := controlPidfile(c)
	if err != nil {
		return err
	}
	pid, err := runningPid(path)
	if err != nil {
		return err
	}
	if pid == 0 {
		return &exitError{code: statusNotRunning, msg: fmt.Sprintf("not running (pidfile %s is absent or unlocked)", path)}
	}
	if err := syscall.Kill(pid, syscall.SIGHUP); err != nil {
		return failf("cannot signal pid %d: %v", pid, err)
	}
	fmt.Fprintf(stdout, "sent SIGHUP to pid %d\n", pid)
	return nil
}
