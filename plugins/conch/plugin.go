// Package conch is `gotwistd conch`: twistd's SSH server, rebuilt on
// golang.org/x/crypto/ssh so that a stock OpenSSH client logs in with no
// extra options.
//
// Logins map to system accounts: password checks come from /etc/shadow
// (--auth unix), a twistd user:password file (--auth file:PATH, plain or
// crypt-hashed), or the command line (--auth memory:USER:PASS); public keys
// from each user's authorized_keys (--auth sshkey). A session runs the
// account's shell as that account (setgroups/setgid/setuid in the child when
// the server runs as root), with exec, a pty shell, window changes, signals
// and exit status; sftp (pkg/sftp) and, when allowed, TCP forwarding.
package conch

import (
	"fmt"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/gotwistd/gotwistd/runner"
)

func init() { runner.Register(Plugin()) }

// Flag names, as Make reads them back.
const (
	flagPort            = "port"
	flagInterface       = "interface"
	flagData            = "data"
	flagModuli          = "moduli"
	flagAuth            = "auth"
	flagHelpAuth        = "help-auth"
	flagHelpAuthType    = "help-auth-type"
	flagAuthorizedKeys  = "authorized-keys"
	flagSFTPRoot        = "sftp-root"
	flagNoSFTP          = "no-sftp"
	flagAllowForwarding = "allow-forwarding"
	flagGatewayPorts    = "gateway-ports"
	flagAcceptEnv       = "accept-env"
	flagMaxAuthTries    = "max-auth-tries"
	flagLoginGraceTime  = "login-grace-time"
	flagMaxStartups     = "max-startups"
	flagMaxSessions     = "max-sessions"
	flagLegacy          = "legacy-algorithms"
)

// Defaults, as twistd and OpenSSH's sshd have them.
const (
	defaultPort           = "tcp:22"
	defaultData           = "/etc"
	defaultAuthorizedKeys = "%h/.ssh/authorized_keys"
	defaultMaxAuthTries   = 6
	defaultGraceTime      = 2 * time.Minute
	defaultMaxStartups    = 32
	defaultMaxSessions    = 10
)

var defaultAcceptEnv = []string{"LANG", "LC_*", "COLORTERM", "NO_COLOR"}

// Plugin returns the conch service maker.
func Plugin() runner.Plugin {
	return runner.Plugin{
		Name:  "conch",
		Usage: "SSH server: shell, exec, pty, sftp and forwarding for system accounts",
		Description: "Makes an SSH server. If no authentication methods are specified, the default\n" +
			"authentication methods are UNIX passwords and SSH public keys. If --auth options\n" +
			"are passed, only the methods specified are used (see --help-auth).",
		Flags: flags(),
		Make:  Make,
	}
}

func flags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: flagPort, Aliases: []string{"p"}, Value: defaultPort, Usage: "listen on `ENDPOINT` (a port number or an endpoint string)"},
		&cli.StringFlag{Name: flagInterface, Aliases: []string{"i"}, Usage: "listen on `ADDRESS` only (appended to --port as :interface=ADDRESS)"},
		&cli.StringFlag{Name: flagData, Aliases: []string{"d"}, Value: defaultData, Usage: "read host keys ssh_host_*_key from `DIR`; an ed25519 key is generated there when none exists"},
		&cli.StringFlag{Name: flagModuli, Usage: "accepted for twistd compatibility and ignored (`DIR`): group-exchange key exchange is not offered"},
		&cli.StringSliceFlag{Name: flagAuth, Usage: "authenticate with `TYPE[:ARGS]` (repeatable; replaces the defaults unix and sshkey; see --help-auth)"},
		&cli.BoolFlag{Name: flagHelpAuth, Usage: "list the authentication types and exit", Action: helpAuthAction},
		&cli.StringFlag{Name: flagHelpAuthType, Usage: "explain authentication type `TYPE` and exit", Action: helpAuthTypeAction},
		&cli.StringFlag{Name: flagAuthorizedKeys, Value: defaultAuthorizedKeys, Usage: "public keys of a user for --auth sshkey: `FILE`, where %h is the home directory, %u the user name"},
		&cli.StringFlag{Name: flagSFTPRoot, Usage: "confine sftp sessions to `DIR` (seen by clients as /)"},
		&cli.BoolFlag{Name: flagNoSFTP, Usage: "refuse the sftp subsystem (and so sftp and modern scp)"},
		&cli.BoolFlag{Name: flagAllowForwarding, Usage: "allow local (-L) and remote (-R) TCP forwarding"},
		&cli.BoolFlag{Name: flagGatewayPorts, Usage: "let remote forwards bind the address the client asks for, not only loopback"},
		&cli.StringSliceFlag{Name: flagAcceptEnv, Value: cli.NewStringSlice(defaultAcceptEnv...), Usage: "pass client environment variables matching `PATTERN` (repeatable; * and ? wildcards)"},
		&cli.IntFlag{Name: flagMaxAuthTries, Value: defaultMaxAuthTries, Usage: "disconnect after `N` failed authentication attempts"},
		&cli.DurationFlag{Name: flagLoginGraceTime, Value: defaultGraceTime, Usage: "disconnect a client not logged in after `DURATION` (0 = never)"},
		&cli.IntFlag{Name: flagMaxStartups, Value: defaultMaxStartups, Usage: "drop new connections while `N` are not yet authenticated"},
		&cli.IntFlag{Name: flagMaxSessions, Value: defaultMaxSessions, Usage: "allow `N` open sessions per connection"},
		&cli.BoolFlag{Name: flagLegacy, Usage: "also offer SHA-1 and CBC algorithms for old clients (off: modern algorithms only)"},
	}
}

// helpAuthAction prints the --auth types and ends the program with exit 0
// (runner.ErrDone), like twistd's --help-auth: it is a question about the
// command line, not a run.
func helpAuthAction(c *cli.Context, set bool) error {
	if set {
		fmt.Fprint(c.App.Writer, authHelp())
		return runner.ErrDone
	}
	return nil
}

func helpAuthTypeAction(c *cli.Context, kind string) error {
	text, ok := authTypeHelp(kind)
	if !ok {
		return nil // Make refuses the unknown type with a usage error
	}
	fmt.Fprint(c.App.Writer, text)
	return runner.ErrDone
}
