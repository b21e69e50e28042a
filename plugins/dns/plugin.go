// Package dns is `gotwistd dns`: an authoritative, hosts-file, caching and
// forwarding DNS server on miekg/dns, with twistd's options. It answers
// over UDP and TCP on every listening address, from (in this order) BIND
// zone files and secondary zones, a hosts file, and upstream servers for
// clients allowed to recurse.
//
// The package is laid out like CoreDNS's plugin/hosts: hostsfile.go parses
// hosts files, zonefile.go and zone.go load zones, lookup.go answers from a
// zone, handler.go ties the sources together, and this file holds the
// options and builds the service tree.
package dns

import (
	"time"

	"github.com/urfave/cli/v2"

	"github.com/gotwistd/gotwistd/runner"
	"github.com/gotwistd/gotwistd/service"
)

func init() { runner.Register(Plugin()) }

// Plugin returns the dns service maker.
func Plugin() runner.Plugin {
	return runner.Plugin{
		Name:  "dns",
		Usage: "DNS server: hosts file, BIND zones, secondary zones, caching forwarder",
		Description: "Answers over UDP and TCP on every --interface at --port, from the --bindzone files\n" +
			"and --secondary zones (authoritative), the --hosts-file, and with --recursive the servers\n" +
			"of --resolv-conf (for loopback and private clients unless --allow-recursion says otherwise).\n" +
			"Files are reloaded when they change and on SIGHUP.",
		Flags: flags(),
		Make:  Make,
	}
}

// flags are twistd's dns options, with their names, plus the options that
// make the server safe by default.
func flags() []cli.Flag {
	return []cli.Flag{
		&cli.StringSliceFlag{Name: "interface", Aliases: []string{"i"}, Usage: "listen on `ADDRESS` (repeatable; default: every IPv4 address)"},
		&cli.IntFlag{Name: "port", Aliases: []string{"p"}, Value: 53, Usage: "listen on `PORT`, UDP and TCP"},
		&cli.StringFlag{Name: "hosts-file", Usage: "answer A, AAAA and PTR queries from `FILE` (hosts(5) format)"},
		&cli.IntFlag{Name: "hosts-ttl", Value: 3600, Usage: "TTL in `SECONDS` of answers from the hosts file"},
		&cli.StringSliceFlag{Name: "bindzone", Usage: "serve the zone in BIND master `FILE` (repeatable)"},
		&cli.StringSliceFlag{Name: "pyzone", Usage: "not supported: twistd's Python zone `FILE`s have no meaning here; convert them for --bindzone"},
		&cli.StringSliceFlag{Name: "secondary", Usage: "hold `IP[:PORT]/DOMAIN`: transfer zone DOMAIN from the primary at IP, keep it fresh by its SOA and on NOTIFY (repeatable)"},
		&cli.StringSliceFlag{Name: "allow-transfer", Usage: "allow zone transfers (AXFR) to `CIDR` (repeatable; default: nobody)"},
		&cli.BoolFlag{Name: "recursive", Aliases: []string{"r"}, Usage: "forward questions our data does not answer to the servers of --resolv-conf"},
		&cli.StringFlag{Name: "resolv-conf", Value: "/etc/resolv.conf", Usage: "read upstream servers from `FILE` (nameserver lines, timeout: and attempts: options); giving it implies --recursive"},
		&cli.StringSliceFlag{Name: "allow-recursion", Usage: "clients in `CIDR` may recurse (repeatable; default: loopback and private networks)"},
		&cli.BoolFlag{Name: "cache", Aliases: []string{"c"}, Usage: "cache upstream answers, negative ones too (RFC 2308)"},
		&cli.IntFlag{Name: "cache-size", Value: 10000, Usage: "keep at most `N` cached answers"},
		&cli.DurationFlag{Name: "serve-stale", Value: 24 * time.Hour, Usage: "when every upstream fails, answer from cache entries expired less than `DURATION` ago (RFC 8767; 0 = never)"},
		&cli.DurationFlag{Name: "reload", Value: 2 * time.Second, Usage: "check files for changes every `DURATION` besides change notification (0 = only on SIGHUP)"},
		&cli.BoolFlag{Name: "verbose", Aliases: []string{"v"}, Usage: "log every query; twice: with every record sent"},
	}
}

// Make builds the tree: "data" (file sources, secondary zones), then per
// listening address a TCP service and a UDP service, so each socket has
// its own listening and closed lines (UDP closes first, as in twistd).
// Files are read here, so a bad zone file fails before the daemon starts.
func Make(f runner.Flags, env runner.Env) (service.Service, error) {
	cfg, err := readConfig(f)
	if err != nil {
		return nil, err
	}
	return build(cfg, env)
}
