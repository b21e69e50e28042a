// Package mail is `gotwistd mail`: twistd's mail server rebuilt on
// github.com/emersion/go-smtp, with a small POP3 server of its own, Maildir
// mailboxes, aliases, and a durable relay queue.
//
// The one promise it keeps above all: a message that got a 250 reply is on
// disk. Every message is written to a Maildir's tmp/, fsync'd, renamed into
// new/ and the directory fsync'd before the reply (the directory fsyncs of
// concurrent connections are shared, which is what makes that fast).
package mail

import (
	"fmt"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/gotwistd/gotwistd/runner"
	"github.com/gotwistd/gotwistd/service"
)

func init() { runner.Register(Plugin()) }

// Flag names, as Make reads them back.
const (
	flagSMTP              = "smtp"
	flagPOP3              = "pop3"
	flagNoSMTP            = "no-smtp"
	flagNoPOP3            = "no-pop3"
	flagESMTP             = "esmtp"
	flagHostname          = "hostname"
	flagDomain            = "maildirdbmdomain"
	flagUser              = "user"
	flagAliases           = "aliases"
	flagDefault           = "default"
	flagBounce            = "bounce-to-postmaster"
	flagRelay             = "relay"
	flagAuth              = "auth"
	flagHelpAuth          = "help-auth"
	flagDisableAnon       = "disable-anonymous"
	flagInsecureAuth      = "allow-insecure-auth"
	flagRelayFrom         = "relay-from"
	flagTLSCert           = "tls-cert"
	flagTLSKey            = "tls-key"
	flagMaxSize           = "max-message-size"
	flagMaxRcpts          = "max-recipients"
	flagMaxLine           = "max-line-length"
	flagTimeout           = "timeout"
	flagPOP3Timeout       = "pop3-timeout"
	flagQueueLifetime     = "queue-lifetime"
	flagRetry             = "relay-retry"
	flagRelayDNS          = "relay-dns"
	flagRelayPort         = "relay-port"
	flagProgramTimeout    = "program-timeout"
	flagFsync             = "fsync"
	flagSmarthost         = "smarthost"
	flagSmarthostAuth     = "smarthost-auth"
	flagSmarthostCA       = "smarthost-ca"
	flagMaxConns          = "max-connections"
	flagMaxConnsPerIP     = "max-connections-per-ip"
	defaultMaxConns       = 1000
	defaultMaxConnsPerIP  = 50
	defaultSMTP           = "tcp:8025"
	defaultPOP3           = "tcp:8110"
	defaultMaxSize        = 10 << 20
	defaultMaxRecipients  = 100
	defaultMaxLineLength  = 2000
	defaultQueueLifetime  = 5 * 24 * time.Hour
	defaultRetry          = time.Minute
	defaultTimeout        = 5 * time.Minute
	defaultPOP3Timeout    = 10 * time.Minute
	defaultProgramTimeout = time.Minute
)

// Plugin returns the mail service maker. Each call returns fresh flags:
// the domain options (-d, -u, -A, -D, -b) record the order they were given
// in, because -u, -A, -D and -b apply to the -d before them, as in twistd.
func Plugin() runner.Plugin {
	ord := &ordered{}
	return runner.Plugin{
		Name:  "mail",
		Usage: "ESMTP and POP3 server on Maildir mailboxes, with aliases and a relay queue",
		Description: "Accepts mail for the users (-u) of the domains (-d NAME=DIR) on every --smtp endpoint\n" +
			"(default tcp:8025) and serves their Maildirs on every --pop3 endpoint (default tcp:8110).\n" +
			"Mail for other domains is refused (550) unless the client authenticated or is in --relay-from,\n" +
			"and -R QUEUE_DIR is given: then it is queued on disk and delivered by MX lookup.\n" +
			"Every accepted message is on disk (fsync'd) before its 250 reply.\n" +
			"Ports 25 and 110: start as root with --uid USER; ports are bound before the switch.",
		Flags: flags(ord),
		Make: func(f runner.Flags, env runner.Env) (service.Service, error) {
			return makeService(f, env, ord.take())
		},
	}
}

func flags(ord *ordered) []cli.Flag {
	return []cli.Flag{
		&cli.StringSliceFlag{Name: flagSMTP, Aliases: []string{"s"}, Usage: "serve SMTP on `ENDPOINT` (repeatable; ssl: = implicit TLS) [default: " + defaultSMTP + "]"},
		&cli.StringSliceFlag{Name: flagPOP3, Aliases: []string{"p"}, Usage: "serve POP3 on `ENDPOINT` (repeatable; ssl: = implicit TLS) [default: " + defaultPOP3 + "]"},
		&cli.BoolFlag{Name: flagNoSMTP, Usage: "serve no SMTP"},
		&cli.BoolFlag{Name: flagNoPOP3, Usage: "serve no POP3"},
		&cli.BoolFlag{Name: flagESMTP, Aliases: []string{"E"}, Usage: "speak ESMTP (always on; accepted for twistd compatibility)"},
		&cli.StringFlag{Name: flagHostname, Aliases: []string{"H"}, Usage: "the server's `NAME` in greetings and Received: headers [default: the machine's name]"},
		&cli.GenericFlag{Name: flagDomain, Aliases: []string{"d"}, Value: ord.value(flagDomain), Usage: "accept mail for domain NAME into Maildirs under DIR (`NAME=DIR`, repeatable)"},
		&cli.GenericFlag{Name: flagUser, Aliases: []string{"u"}, Value: ord.value(flagUser), Usage: "add a user to the last -d domain (`USER=PASS`; PASS may be a $2y$/$5$/$6$ hash)"},
		&cli.GenericFlag{Name: flagAliases, Aliases: []string{"A"}, Value: ord.value(flagAliases), Usage: "aliases(5) `FILE` for the last -d domain"},
		&cli.GenericFlag{Name: flagDefault, Aliases: []string{"D"}, Value: ord.flag(flagDefault), Usage: "make the last -d domain receive mail for every domain not listed"},
		&cli.GenericFlag{Name: flagBounce, Aliases: []string{"b"}, Value: ord.flag(flagBounce), Usage: "mail for unknown users of the last -d domain goes to its postmaster; relay bounces go to the postmaster"},
		&cli.StringFlag{Name: flagRelay, Aliases: []string{"R"}, Usage: "queue mail for other domains in `DIR` and deliver it by MX lookup"},
		&cli.StringSliceFlag{Name: flagAuth, Usage: "SMTP AUTH credentials: `file:PATH` (user:password lines) or memory:USER:PASS[:USER:PASS...] (repeatable; see --help-auth)"},
		&cli.BoolFlag{Name: flagHelpAuth, Usage: "describe the --auth kinds and exit", Action: helpAuth},
		&cli.BoolFlag{Name: flagDisableAnon, Usage: "refuse MAIL FROM until the client authenticated"},
		&cli.BoolFlag{Name: flagInsecureAuth, Usage: "allow AUTH and POP3 passwords on connections without TLS even when TLS is configured"},
		&cli.StringSliceFlag{Name: flagRelayFrom, Usage: "clients in `CIDR` may relay without AUTH (repeatable; e.g. 127.0.0.0/8)"},
		&cli.StringFlag{Name: flagTLSCert, Usage: "PEM certificate `FILE` for STARTTLS and STLS"},
		&cli.StringFlag{Name: flagTLSKey, Usage: "PEM private key `FILE` for STARTTLS and STLS [default: --tls-cert]"},
		&cli.IntFlag{Name: flagMaxSize, Value: defaultMaxSize, Usage: "largest message accepted, in `BYTES` (SIZE)"},
		&cli.IntFlag{Name: flagMaxRcpts, Value: defaultMaxRecipients, Usage: "recipients per message, at most `N`"},
		&cli.IntFlag{Name: flagMaxConns, Value: defaultMaxConns, Usage: "connections each SMTP or POP3 endpoint keeps open at once, at most `N` (0: no limit); more are refused"},
		&cli.IntFlag{Name: flagMaxConnsPerIP, Value: defaultMaxConnsPerIP, Usage: "connections from one client address to one endpoint, at most `N` (0: no limit)"},
		&cli.IntFlag{Name: flagMaxLine, Value: defaultMaxLineLength, Usage: "longest command or message line, in `BYTES`"},
		&cli.DurationFlag{Name: flagTimeout, Value: defaultTimeout, Usage: "close an SMTP connection silent for `DURATION`"},
		&cli.DurationFlag{Name: flagPOP3Timeout, Value: defaultPOP3Timeout, Usage: "close a POP3 connection silent for `DURATION`"},
		&cli.DurationFlag{Name: flagQueueLifetime, Value: defaultQueueLifetime, Usage: "bounce relayed mail not delivered within `DURATION`"},
		&cli.DurationFlag{Name: flagRetry, Value: defaultRetry, Usage: "first relay retry after `DURATION`; doubles up to an hour"},
		&cli.StringFlag{Name: flagSmarthost, Usage: "send all relayed mail to `HOST[:PORT]` instead of each domain's MX [port: --relay-port]"},
		&cli.StringFlag{Name: flagSmarthostAuth, Usage: "log in to the smarthost with `USER:PASS` or file:PATH (first line USER:PASS); requires STARTTLS with a valid certificate"},
		&cli.StringFlag{Name: flagSmarthostCA, Usage: "check the smarthost's certificate against the PEM `FILE` instead of the system's roots"},
		&cli.StringFlag{Name: flagRelayDNS, Usage: "look MX records up at `HOST:PORT` instead of the system's resolver"},
		&cli.IntFlag{Name: flagRelayPort, Value: 25, Usage: "deliver relayed mail to `PORT` of each MX"},
		&cli.DurationFlag{Name: flagProgramTimeout, Value: defaultProgramTimeout, Usage: "kill an alias |program still running after `DURATION`"},
		&cli.StringFlag{Name: flagFsync, Value: fsyncGroup, Usage: "how messages reach the disk before their 250: `MODE` group (messages arriving together share one syncfs and one directory fsync) or message (each its own fdatasync and directory fsync)"},
	}
}

// helpAuth prints the --auth kinds; runner.ErrDone then ends the program
// with exit 0, as --help does.
func helpAuth(c *cli.Context, on bool) error {
	if !on {
		return nil
	}
	fmt.Fprint(c.App.Writer, authHelp)
	return runner.ErrDone
}
