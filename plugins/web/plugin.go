// Package web is `gotwistd web`: twistd's one-line static web server on
// net/http, with HTTP/1.1 everywhere and HTTP/2 over TLS.
//
// It serves a directory (or one file) with correct HTTP semantics (ranges,
// conditional requests, listings, redirects to the slash), refuses every
// spelling of a path that leaves the document root, and adds what people
// expect of a web server today: TLS with SNI and certificate reloads, HSTS,
// precompressed files and gzip, virtual hosts, reverse-proxied prefixes,
// CGI, an access log of its own, and timeouts and limits.
package web

import (
	"time"

	"github.com/urfave/cli/v2"

	"github.com/gotwistd/gotwistd/runner"
)

func init() { runner.Register(Plugin()) }

// Flag names, as Make reads them back.
const (
	flagPath             = "path"
	flagListen           = "listen"
	flagPort             = "port"
	flagHTTPS            = "https"
	flagCertificate      = "certificate"
	flagPrivkey          = "privkey"
	flagIndex            = "index"
	flagMimeType         = "mime-type"
	flagAddHeader        = "add-header"
	flagIgnoreExt        = "ignore-ext"
	flagAllowIgnoreExt   = "allow-ignore-ext"
	flagLogfile          = "logfile"
	flagLogFormat        = "access-log-format"
	flagLogMaxSize       = "access-log-max-size"
	flagLogMaxBackups    = "access-log-max-backups"
	flagLogFlush         = "access-log-flush"
	flagTracebacks       = "display-tracebacks"
	flagNoTracebacks     = "notracebacks"
	flagUser             = "user"
	flagProcessor        = "processor"
	flagNoList           = "no-list"
	flagShowHidden       = "show-hidden"
	flagFollowSymlinks   = "follow-symlinks"
	flagSNIDir           = "sni-dir"
	flagNoHTTP2          = "no-http2"
	flagHSTS             = "hsts"
	flagRedirectHTTP     = "redirect-http"
	flagProxy            = "proxy"
	flagVhost            = "vhost"
	flagNoGzip           = "no-gzip"
	flagGzipMinSize      = "gzip-min-size"
	flagNoPrecompressed  = "no-precompressed"
	flagReadHeaderTO     = "read-header-timeout"
	flagIdleTO           = "idle-timeout"
	flagWriteTO          = "write-timeout"
	flagMaxHeaderBytes   = "max-header-bytes"
	flagMaxConns         = "max-connections"
	flagCertCheck        = "cert-check-interval"
	flagCacheMB          = "file-cache"
	defaultMaxConns      = 10000
	defaultMaxHeaderSize = 16 << 10
)

// Plugin returns the web service maker.
func Plugin() runner.Plugin {
	return runner.Plugin{
		Name:  "web",
		Usage: "static web server: files, listings, ranges, TLS and HTTP/2, proxy and CGI",
		Description: "Serves --path (a directory or one file) on every --listen endpoint (default tcp:8080).\n" +
			"ssl:/tls: endpoints serve HTTPS, with HTTP/2 unless --no-http2. Without --path a demo page is served.\n" +
			"SIGHUP re-reads certificates and reopens the access log.",
		Flags: flags(),
		Make:  Make,
	}
}

func flags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: flagPath, Usage: "serve `DIR` (or one FILE) [default: a demo page]"},
		&cli.StringSliceFlag{Name: flagListen, Usage: "listen on `ENDPOINT` (repeatable): tcp:PORT[:interface=IP], unix:PATH, ssl:PORT:privateKey=K:certKey=C, systemd:... [default: tcp:8080]"},
		&cli.StringFlag{Name: flagPort, Aliases: []string{"p"}, Usage: "legacy: listen on `ENDPOINT` (or a bare port number) as well"},
		&cli.StringFlag{Name: flagHTTPS, Usage: "legacy: serve HTTPS on `PORT` with --certificate and --privkey"},
		&cli.StringFlag{Name: flagCertificate, Aliases: []string{"c"}, Value: "server.pem", Usage: "legacy: certificate `FILE` for --https"},
		&cli.StringFlag{Name: flagPrivkey, Aliases: []string{"k"}, Value: "server.pem", Usage: "legacy: private key `FILE` for --https"},
		&cli.StringSliceFlag{Name: flagIndex, Aliases: []string{"i"}, Usage: "index file `NAME` of a directory (repeatable; replaces the default list) [default: index, index.html, index.htm]"},
		&cli.StringFlag{Name: flagMimeType, Aliases: []string{"m"}, Value: "application/octet-stream", Usage: "content `TYPE` of files whose extension is unknown (twistd used text/html)"},
		&cli.StringSliceFlag{Name: flagAddHeader, Usage: "add `'Name: value'` to every response, errors included (repeatable)"},
		&cli.StringSliceFlag{Name: flagIgnoreExt, Usage: "let /foo serve foo`EXT` when foo does not exist (repeatable, e.g. .html)"},
		&cli.BoolFlag{Name: flagAllowIgnoreExt, Usage: "let /foo serve the first foo.* when foo does not exist"},
		&cli.StringFlag{Name: flagLogfile, Aliases: []string{"l"}, Usage: "write the access log to `FILE` (rotated by size) instead of the main log"},
		&cli.StringFlag{Name: flagLogFormat, Value: "combined", Usage: "access log `FORMAT`: combined (Combined Log Format) or json (one object a line)"},
		&cli.IntFlag{Name: flagLogMaxSize, Value: 1, Usage: "rotate the --logfile access log at `MB` megabytes (0 = never)"},
		&cli.IntFlag{Name: flagLogMaxBackups, Value: 10, Usage: "keep at most `N` rotated access logs (0 = keep all)"},
		&cli.DurationFlag{Name: flagLogFlush, Value: time.Second, Usage: "write --logfile access lines in batches at most `DURATION` old (0 = each line at once)"},
		&cli.BoolFlag{Name: flagTracebacks, Usage: "show handler errors and panics (with their stack) in 500 responses"},
		&cli.BoolFlag{Name: flagNoTracebacks, Usage: "legacy: do not show tracebacks (the default)"},
		&cli.BoolFlag{Name: flagUser, Aliases: []string{"u"}, Usage: "serve each user's ~/public_html as /~NAME/"},
		&cli.StringSliceFlag{Name: flagProcessor, Usage: "`.EXT=cgi`: run executable files ending in .EXT as CGI programs (repeatable)"},
		&cli.BoolFlag{Name: flagNoList, Usage: "answer 403 for a directory without an index file instead of listing it"},
		&cli.BoolFlag{Name: flagShowHidden, Usage: "list and serve dotfiles (refused and hidden by default; /.well-known is always served)"},
		&cli.BoolFlag{Name: flagFollowSymlinks, Usage: "follow symbolic links that lead out of the document root (refused by default)"},
		&cli.StringFlag{Name: flagSNIDir, Usage: "choose TLS certificates by SNI from the PEM files in `DIR` (NAME.crt+NAME.key or NAME.pem)"},
		&cli.BoolFlag{Name: flagNoHTTP2, Usage: "offer only HTTP/1.1 on TLS endpoints"},
		&cli.DurationFlag{Name: flagHSTS, Usage: "send Strict-Transport-Security with max-age `DURATION` on HTTPS responses (e.g. 8760h; 0 = off)"},
		&cli.BoolFlag{Name: flagRedirectHTTP, Usage: "answer every plain-HTTP request with a redirect to the first TLS endpoint"},
		&cli.StringSliceFlag{Name: flagProxy, Usage: "`/PREFIX=URL`: reverse-proxy PREFIX to URL (repeatable); /api/x goes to URL/x"},
		&cli.StringSliceFlag{Name: flagVhost, Usage: "`NAME=DIR`: serve DIR for requests whose Host is NAME (repeatable; *.example.com matches subdomains)"},
		&cli.BoolFlag{Name: flagNoGzip, Usage: "never gzip responses on the fly"},
		&cli.IntFlag{Name: flagGzipMinSize, Value: 1024, Usage: "gzip text responses of at least `BYTES` when the client accepts gzip"},
		&cli.BoolFlag{Name: flagNoPrecompressed, Usage: "ignore precompressed FILE.br, FILE.zst and FILE.gz sidecars"},
		&cli.IntFlag{Name: flagCacheMB, Value: 32, Usage: "keep files of up to 16 KiB in memory, at most `MB` megabytes per root; each request still checks the file by stat (0 = off)"},
		&cli.DurationFlag{Name: flagReadHeaderTO, Value: 10 * time.Second, Usage: "close a connection whose request headers take longer than `DURATION`"},
		&cli.DurationFlag{Name: flagIdleTO, Value: 60 * time.Second, Usage: "close a keep-alive connection idle for `DURATION`"},
		&cli.DurationFlag{Name: flagWriteTO, Value: 60 * time.Second, Usage: "close a connection when one write makes no progress for `DURATION` (0 = never)"},
		&cli.IntFlag{Name: flagMaxHeaderBytes, Value: defaultMaxHeaderSize, Usage: "answer 431 to request headers larger than `BYTES`"},
		&cli.IntFlag{Name: flagMaxConns, Value: defaultMaxConns, Usage: "accept at most `N` connections per endpoint at once (0 = no limit)"},
		&cli.DurationFlag{Name: flagCertCheck, Value: time.Minute, Usage: "re-read TLS certificates when their files change, checking every `DURATION` (0 = only on SIGHUP)"},
	}
}
