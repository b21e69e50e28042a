package runner

import (
	"fmt"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/urfave/cli/v2"
)

// Options are the global twistd options after validation: every path is
// absolute, every user and group name is a number.
type Options struct {
	NoDaemon bool
	// Logfile is an absolute path, "-" for stdout, or "" when Syslog is set.
	Logfile       string
	LogMaxSizeMB  int
	LogMaxBackups int
	LogCompress   bool
	Syslog        bool
	Prefix        string
	// Pidfile is an absolute path, or "" for none.
	Pidfile string
	// Rundir is absolute: within Chroot when one is given.
	Rundir string
	Chroot string
	// Creds is nil when neither --uid nor --gid was given.
	Creds *Credentials
	// Umask is -1 when the process keeps the one it inherited.
	Umask           int
	Reactor         string
	Profile         string
	Profiler        string
	Debug           bool
	ShutdownTimeout time.Duration
}

// Credentials are what the process becomes after binding its ports.
type Credentials struct {
	UID, GID int // -1: unchanged
	// Groups are the supplementary groups to set; nil leaves them alone
	// (only --gid given, as twistd does).
	Groups []int
	// EffectiveOnly switches only the effective ids (--euid).
	EffectiveOnly bool
	// User names the account, for messages; "" for a bare number.
	User string
}

// setIn returns the context in which the global option name was given: the
// plugin's own (options after the plugin name win), else the top level. A
// plugin option of the same name (web's -l/--logfile, its access log) is
// the plugin's, never the global one.
func setIn(c *cli.Context, name string) *cli.Context {
	var fallback *cli.Context
	for _, x := range c.Lineage() {
		if x == nil || pluginOwns(x, name) {
			continue
		}
		if x.IsSet(name) {
			return x
		}
		if fallback == nil {
			fallback = x // its lookup reaches the global default
		}
	}
	return fallback
}

// pluginOwns tells whether, in context c, the option called name is the
// plugin's own rather than a hidden copy of the global one.
func pluginOwns(c *cli.Context, name string) bool {
	if c.Command == nil {
		return false
	}
	for _, f := range c.Command.Flags {
		for _, n := range f.Names() {
			if n == name {
				cf, ok := f.(cli.CategorizableFlag)
				return !ok || cf.GetCategory() != globalCategory
			}
		}
	}
	return false
}

// readOptions validates the global options of the command line that c
// belongs to. Every mistake is a usage error naming the option.
func readOptions(c *cli.Context) (*Options, error) {
	str := func(n string) string { return setIn(c, n).String(n) }
	isSet := func(n string) bool { return setIn(c, n).IsSet(n) }
	o := &Options{
		NoDaemon:        setIn(c, flagNodaemon).Bool(flagNodaemon),
		Debug:           setIn(c, flagDebug).Bool(flagDebug) || setIn(c, flagSpew).Bool(flagSpew),
		Syslog:          setIn(c, flagSyslog).Bool(flagSyslog),
		Prefix:          str(flagPrefix),
		LogMaxSizeMB:    setIn(c, flagLogMaxSize).Int(flagLogMaxSize),
		LogMaxBackups:   setIn(c, flagLogMaxBackups).Int(flagLogMaxBackups),
		LogCompress:     setIn(c, flagLogCompress).Bool(flagLogCompress),
		Reactor:         str(flagReactor),
		Profiler:        str(flagProfiler),
		ShutdownTimeout: setIn(c, flagShutdownTimeout).Duration(flagShutdownTimeout),
		Umask:           -1,
	}
	if setIn(c, flagDebug).Bool(flagDebug) {
		o.NoDaemon = true // as twistd's --debug
	}

	if err := o.readLogging(str, isSet); err != nil {
		return nil, err
	}
	var err error
	if o.Pidfile, err = absPath(flagPidfile, str(flagPidfile)); err != nil {
		return nil, err
	}
	if o.Chroot, err = absPath(flagChroot, str(flagChroot)); err != nil {
		return nil, err
	}
	o.Rundir = str(flagRundir)
	if o.Rundir == "" {
		return nil, usageErrorf("--rundir is empty: give a directory, or leave it out to stay where you are")
	}
	if o.Chroot != "" {
		o.Rundir = filepath.Join("/", o.Rundir) // relative to the new root, as twistd
	} else if o.Rundir, err = absPath(flagRundir, o.Rundir); err != nil {
		return nil, err
	}
	if isSet(flagUmask) {
		if o.Umask, err = parseUmask(str(flagUmask)); err != nil {
			return nil, err
		}
	} else if !o.NoDaemon {
		o.Umask = 0o077
	}
	if o.Creds, err = readCredentials(str(flagUID), str(flagGID), setIn(c, flagEUID).Bool(flagEUID)); err != nil {
		return nil, err
	}

	o.Profile = str(flagProfile)
	switch {
	case isSet(flagProfiler) && o.Profile == "":
		return nil, usageErrorf("--profiler needs --profile FILE")
	case o.Profiler != "cpu" && o.Profiler != "heap":
		return nil, usageErrorf("--profiler %q: choose cpu or heap", o.Profiler)
	}
	if o.Profile, err = absPath(flagProfile, o.Profile); err != nil {
		return nil, err
	}
	if o.ShutdownTimeout <= 0 {
		return nil, usageErrorf("--shutdown-timeout %s: must be more than zero", o.ShutdownTimeout)
	}
	return o, nil
}

// readLogging decides where the log goes: syslog, stdout or a file.
func (o *Options) readLogging(str func(string) string, isSet func(string) bool) error {
	logfile := str(flagLogfile)
	rotation := isSet(flagLogMaxSize) || isSet(flagLogMaxBackups) || isSet(flagLogCompress)
	switch {
	case isSet(flagPrefix) && !o.Syslog:
		return usageErrorf("--prefix only names the syslog identity: add --syslog or drop --prefix")
	case o.Syslog && isSet(flagLogfile):
		return usageErrorf("--syslog and --logfile both say where to log: choose one")
	case o.Syslog && rotation:
		return usageErrorf("--logfile-max-size/-backups/-compress rotate a log file: drop them with --syslog")
	case o.Syslog:
		return nil
	case logfile == "-" && !o.NoDaemon:
		return usageErrorf("cannot log to stdout when daemonized: add -n, or give --logfile FILE")
	case logfile == "-" || (logfile == "" && o.NoDaemon):
		if rotation {
			return usageErrorf("--logfile-max-size/-backups/-compress rotate a log file, but the log goes to stdout: add --logfile FILE")
		}
		o.Logfile = "-"
		return nil
	case logfile == "":
		logfile = "twistd.log"
	}
	if o.LogMaxSizeMB < 1 {
		return usageErrorf("--logfile-max-size %d: must be at least 1 (megabytes)", o.LogMaxSizeMB)
	}
	if o.LogMaxBackups < 0 {
		return usageErrorf("--logfile-max-backups %d: must be 0 (keep all) or more", o.LogMaxBackups)
	}
	var err error
	o.Logfile, err = absPath(flagLogfile, logfile)
	return err
}

// absPath makes p absolute against the starting directory; "" stays "".
func absPath(flag, p string) (string, error) {
	if p == "" {
		return "", nil
	}
	a, err := filepath.Abs(p)
	if err != nil {
		return "", usageErrorf("--%s %q: %v", flag, p, err)
	}
	return a, nil
}

// parseUmask reads an octal umask: 022, 0o027 and 7 are all fine.
func parseUmask(s string) (int, error) {
	v, err := strconv.ParseUint(strings.TrimPrefix(strings.TrimPrefix(s, "0o"), "0O"), 8, 32)
	if err != nil || v > 0o777 || s == "" {
		return 0, usageErrorf("--umask %q: give an octal mode from 0 to 0777, such as 022", s)
	}
	return int(v), nil
}

// readCredentials resolves --uid and --gid, names or numbers, while the
// password database is still reachable (before any chroot). A number with
// no entry is fine: its group defaults to the same number.
func readCredentials(uidArg, gidArg string, euid bool) (*Credentials, error) {
	if uidArg == "" && gidArg == "" {
		if euid {
			return nil, usageErrorf("--euid changes the effective ids given by --uid/--gid: add one of them")
		}
		return nil, nil
	}
	cr := &Credentials{UID: -1, GID: -1, EffectiveOnly: euid}
	if uidArg != "" {
		u, err := lookupUser(uidArg)
		if err != nil {
			return nil, err
		}
		cr.UID, cr.User = u.uid, u.name
		cr.GID, cr.Groups = u.gid, u.groups
	}
	if gidArg != "" {
		gid, err := lookupGroup(gidArg)
		if err != nil {
			return nil, err
		}
		if cr.UID != -1 && gid != cr.GID {
			cr.Groups = appendUnique(cr.Groups, gid)
		}
		cr.GID = gid
	}
	return cr, nil
}

type account struct {
	uid, gid int
	name     string
	groups   []int
}

func lookupUser(s string) (account, error) {
	var u *user.User
	var err error
	if n, perr := strconv.Atoi(s); perr == nil {
		if n < 0 {
			return account{}, usageErrorf("--uid %q: a uid cannot be negative", s)
		}
		if u, err = user.LookupId(s); err != nil {
			return account{uid: n, gid: n, groups: []int{n}}, nil
		}
	} else if u, err = user.Lookup(s); err != nil {
		return account{}, usageErrorf("--uid %q: no such user in the password database", s)
	}
	a := account{name: u.Username}
	a.uid, _ = strconv.Atoi(u.Uid)
	a.gid, _ = strconv.Atoi(u.Gid)
	a.groups = []int{a.gid}
	if ids, err := u.GroupIds(); err == nil {
		for _, id := range ids {
			if n, err := strconv.Atoi(id); err == nil {
				a.groups = appendUnique(a.groups, n)
			}
		}
	}
	return a, nil
}

func lookupGroup(s string) (int, error) {
	if n, err := strconv.Atoi(s); err == nil {
		if n < 0 {
			return 0, usageErrorf("--gid %q: a gid cannot be negative", s)
		}
		return n, nil
	}
	g, err := user.LookupGroup(s)
	if err != nil {
		return 0, usageErrorf("--gid %q: no such group in the group database", s)
	}
	n, _ := strconv.Atoi(g.Gid)
	return n, nil
}

func appendUnique(xs []int, x int) []int {
	for _, y := range xs {
		if y == x {
			return xs
		}
	}
	return append(xs, x)
}

// checkDirs refuses a --chroot or --rundir that is not a directory, before
// daemonizing, so the person who typed it sees why (twistd exits silently).
func (o *Options) checkDirs() error {
	isDir := func(flag, p string) error {
		fi, err := os.Stat(p)
		switch {
		case err != nil:
			return failf("--%s %s: %v", flag, p, unwrapPathError(err))
		case !fi.IsDir():
			return failf("--%s %s: not a directory", flag, p)
		}
		return nil
	}
	if o.Chroot != "" {
		if err := isDir(flagChroot, o.Chroot); err != nil {
			return err
		}
		return isDir(flagRundir, filepath.Join(o.Chroot, o.Rundir))
	}
	return isDir(flagRundir, o.Rundir)
}

// unwrapPathError drops the path an *os.PathError repeats.
func unwrapPathError(err error) error {
	if pe, ok := err.(*os.PathError); ok {
		return fmt.Errorf("%s: %w", pe.Op, pe.Err)
	}
	return err
}
