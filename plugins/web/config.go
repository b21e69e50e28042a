package web

import (
	"errors"
	"fmt"
	"mime"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"golang.org/x/net/http/httpguts"

	"github.com/gotwistd/gotwistd/endpoint"
	"github.com/gotwistd/gotwistd/runner"
)

// config is the command line, checked and resolved: every path absolute
// (Make runs in the starting directory, before any chdir), every endpoint
// parsed (TLS files read).
type config struct {
	path      string // absolute; "" = the demo page
	listens   []endpoint.Endpoint
	site      siteOptions
	vhosts    []vhostSpec
	proxies   []proxySpec
	headers   []headerSpec
	userDirs  bool
	accessLog accessLogSpec
	hsts      time.Duration
	redirect  bool
	sniDir    string
	http2     bool
	certCheck time.Duration
	limits    limits
}

// siteOptions are the file-serving choices shared by every document root.
type siteOptions struct {
	indexes        []string
	defaultType    string
	ignoreExts     []string
	allowIgnoreExt bool
	list           bool
	showHidden     bool
	followSymlinks bool
	gzip           bool
	gzipMin        int64
	precompressed  bool
	cgiExts        map[string]bool
	tracebacks     bool
	cacheBytes     int64 // small-file cache per document root; 0 = off
}

type vhostSpec struct {
	name string // lower case; "*.example.com" matches subdomains
	path string // absolute
}

type proxySpec struct {
	prefix string // "/api" (no trailing slash) or "/"
	target *url.URL
}

type headerSpec struct{ name, value string }

type accessLogSpec struct {
	file       string // absolute; "" = the main log
	json       bool
	maxSizeMB  int
	maxBackups int
	flush      time.Duration // 0: write each line at once
}

type limits struct {
	readHeader, idle, write time.Duration
	maxHeaderBytes          int
	maxConns                int
}

// defaultIndexes are tried in order in a directory; --index replaces them.
var defaultIndexes = []string{"index", "index.html", "index.htm"}

// parseConfig reads and checks every option. Each error is one line that
// names the option and says what would be right.
func parseConfig(f runner.Flags) (*config, error) {
	c := &config{http2: !f.Bool(flagNoHTTP2), userDirs: f.Bool(flagUser)}
	var err error
	if p := f.String(flagPath); p != "" {
		if c.path, err = filepath.Abs(p); err != nil {
			return nil, fmt.Errorf("--path %q: %v", p, err)
		}
	}
	if c.listens, err = parseListens(f); err != nil {
		return nil, err
	}
	if c.site, err = parseSite(f); err != nil {
		return nil, err
	}
	for _, v := range f.StringSlice(flagVhost) {
		vh, err := parseVhost(v)
		if err != nil {
			return nil, err
		}
		c.vhosts = append(c.vhosts, vh)
	}
	for _, v := range f.StringSlice(flagProxy) {
		p, err := parseProxy(v)
		if err != nil {
			return nil, err
		}
		c.proxies = append(c.proxies, p)
	}
	for _, v := range f.StringSlice(flagAddHeader) {
		h, err := parseHeader(v)
		if err != nil {
			return nil, err
		}
		c.headers = append(c.headers, h)
	}
	if c.accessLog, err = parseAccessLog(f); err != nil {
		return nil, err
	}
	if err := c.parseTLSOptions(f); err != nil {
		return nil, err
	}
	if c.limits, err = parseLimits(f); err != nil {
		return nil, err
	}
	return c, nil
}

// parseListens gathers --listen, -p and --https, in that order; with none
// of them the server listens on tcp:8080 as twistd does.
func parseListens(f runner.Flags) ([]endpoint.Endpoint, error) {
	descs := append([]string(nil), f.StringSlice(flagListen)...)
	if p := f.String(flagPort); p != "" {
		descs = append(descs, p)
	}
	if p := f.String(flagHTTPS); p != "" {
		if _, err := strconv.ParseUint(p, 10, 16); err != nil {
			return nil, fmt.Errorf("--https %q: give a port number; for more, use --listen ssl:PORT:privateKey=KEY:certKey=CERT", p)
		}
		key, cert := f.String(flagPrivkey), f.String(flagCertificate)
		descs = append(descs, "ssl:"+p+":privateKey="+endpoint.Escape(key)+":certKey="+endpoint.Escape(cert))
	}
	if len(descs) == 0 {
		descs = []string{"tcp:8080"}
	}
	var eps []endpoint.Endpoint
	for _, d := range descs {
		ep, err := endpoint.Parse(d)
		if err != nil {
			return nil, err
		}
		if _, ok := ep.(endpoint.PacketEndpoint); ok {
			return nil, fmt.Errorf("endpoint %q: HTTP needs a stream endpoint; use tcp:, tcp6:, unix:, ssl: or systemd:", d)
		}
		eps = append(eps, ep)
	}
	return eps, nil
}

func parseSite(f runner.Flags) (siteOptions, error) {
	s := siteOptions{
		indexes:        defaultIndexes,
		defaultType:    f.String(flagMimeType),
		allowIgnoreExt: f.Bool(flagAllowIgnoreExt),
		list:           !f.Bool(flagNoList),
		showHidden:     f.Bool(flagShowHidden),
		followSymlinks: f.Bool(flagFollowSymlinks),
		gzip:           !f.Bool(flagNoGzip),
		gzipMin:        int64(f.Int(flagGzipMinSize)),
		precompressed:  !f.Bool(flagNoPrecompressed),
		tracebacks:     f.Bool(flagTracebacks) && !f.Bool(flagNoTracebacks),
		cacheBytes:     int64(f.Int(flagCacheMB)) << 20,
	}
	if s.cacheBytes < 0 {
		return s, fmt.Errorf("--file-cache %d: must be 0 (off) or more megabytes", f.Int(flagCacheMB))
	}
	if idx := f.StringSlice(flagIndex); len(idx) > 0 {
		s.indexes = nil
		for _, n := range idx {
			if n == "" || strings.ContainsAny(n, "/\x00") || n == "." || n == ".." {
				return s, fmt.Errorf("--index %q: give a file name without '/'", n)
			}
			s.indexes = append(s.indexes, n)
		}
	}
	if _, _, err := mime.ParseMediaType(s.defaultType); err != nil {
		return s, fmt.Errorf("--mime-type %q: not a media type (%v); write e.g. text/plain", s.defaultType, err)
	}
	for _, e := range f.StringSlice(flagIgnoreExt) {
		e = dotted(e)
		if len(e) < 2 || strings.ContainsAny(e, "/\x00") {
			return s, fmt.Errorf("--ignore-ext %q: give an extension such as .html", e)
		}
		s.ignoreExts = append(s.ignoreExts, e)
	}
	if s.gzipMin < 0 {
		return s, fmt.Errorf("--gzip-min-size %d: must be 0 or more", s.gzipMin)
	}
	for _, p := range f.StringSlice(flagProcessor) {
		ext, class, ok := strings.Cut(p, "=")
		ext = dotted(ext)
		if !ok || len(ext) < 2 || strings.ContainsAny(ext, "/\x00") {
			return s, fmt.Errorf("--processor %q: write .EXT=cgi, e.g. .cgi=cgi", p)
		}
		if !strings.EqualFold(class, "cgi") {
			return s, fmt.Errorf("--processor %q: %q is a Python class in twistd; gotwistd runs only cgi", p, class)
		}
		if s.cgiExts == nil {
			s.cgiExts = map[string]bool{}
		}
		s.cgiExts[strings.ToLower(ext)] = true
	}
	return s, nil
}

func dotted(ext string) string {
	if ext != "" && !strings.HasPrefix(ext, ".") {
		return "." + ext
	}
	return ext
}

func parseVhost(v string) (vhostSpec, error) {
	name, path, ok := strings.Cut(v, "=")
	name = strings.ToLower(strings.TrimSpace(name))
	if !ok || path == "" || !validHostPattern(name) {
		return vhostSpec{}, fmt.Errorf("--vhost %q: write NAME=DIR, e.g. --vhost example.com=/srv/example", v)
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return vhostSpec{}, fmt.Errorf("--vhost %q: %v", v, err)
	}
	return vhostSpec{name: name, path: abs}, nil
}

// validHostPattern accepts host names and IP literals, optionally with a
// leading "*." wildcard label.
func validHostPattern(n string) bool {
	n = strings.TrimPrefix(n, "*.")
	if n == "" || len(n) > 253 {
		return false
	}
	for _, r := range n {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' || r == '.' || r == ':' || r == '[' || r == ']' || r == '_') {
			return false
		}
	}
	return true
}

func parseProxy(v string) (proxySpec, error) {
	prefix, target, ok := strings.Cut(v, "=")
	if !ok || !strings.HasPrefix(prefix, "/") || strings.ContainsAny(prefix, "?#\x00") {
		return proxySpec{}, fmt.Errorf("--proxy %q: write /PREFIX=URL, e.g. --proxy /api=http://127.0.0.1:9000", v)
	}
	if prefix != "/" {
		prefix = strings.TrimRight(prefix, "/")
	}
	u, err := url.Parse(target)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return proxySpec{}, fmt.Errorf("--proxy %q: the target must be an http:// or https:// URL with a host", v)
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return proxySpec{}, fmt.Errorf("--proxy %q: the target URL may not have a query or fragment", v)
	}
	return proxySpec{prefix: prefix, target: u}, nil
}

func parseHeader(v string) (headerSpec, error) {
	name, value, ok := strings.Cut(v, ":")
	name, value = strings.TrimSpace(name), strings.TrimSpace(value)
	if !ok || !httpguts.ValidHeaderFieldName(name) {
		return headerSpec{}, fmt.Errorf("--add-header %q: write 'Name: value', e.g. --add-header 'X-Frame-Options: DENY'", v)
	}
	if !httpguts.ValidHeaderFieldValue(value) {
		return headerSpec{}, fmt.Errorf("--add-header %q: the value has characters not allowed in a header", v)
	}
	return headerSpec{name: name, value: value}, nil
}

func parseAccessLog(f runner.Flags) (accessLogSpec, error) {
	a := accessLogSpec{maxSizeMB: f.Int(flagLogMaxSize), maxBackups: f.Int(flagLogMaxBackups), flush: f.Duration(flagLogFlush)}
	switch strings.ToLower(f.String(flagLogFormat)) {
	case "combined", "clf":
	case "json":
		a.json = true
	default:
		return a, fmt.Errorf("--access-log-format %q: use combined or json", f.String(flagLogFormat))
	}
	if a.maxSizeMB < 0 || a.maxBackups < 0 || a.flush < 0 {
		return a, errors.New("--access-log-max-size, --access-log-max-backups and --access-log-flush must be 0 or more")
	}
	if p := f.String(flagLogfile); p != "" && p != "-" {
		abs, err := filepath.Abs(p)
		if err != nil {
			return a, fmt.Errorf("--logfile %q: %v", p, err)
		}
		a.file = abs
	}
	return a, nil
}

func (c *config) parseTLSOptions(f runner.Flags) error {
	c.hsts = f.Duration(flagHSTS)
	c.redirect = f.Bool(flagRedirectHTTP)
	c.certCheck = f.Duration(flagCertCheck)
	if c.hsts < 0 || c.certCheck < 0 {
		return errors.New("--hsts and --cert-check-interval must be 0 or more")
	}
	hasTLS := false
	for _, ep := range c.listens {
		if _, ok := ep.(*endpoint.TLS); ok {
			hasTLS = true
		}
	}
	if d := f.String(flagSNIDir); d != "" {
		abs, err := filepath.Abs(d)
		if err != nil {
			return fmt.Errorf("--sni-dir %q: %v", d, err)
		}
		c.sniDir = abs
		if !hasTLS {
			return fmt.Errorf("--sni-dir %q: needs an ssl: endpoint to serve certificates on", d)
		}
	}
	if c.redirect && !hasTLS {
		return errors.New("--redirect-http: needs an ssl: endpoint to redirect to")
	}
	return nil
}

func parseLimits(f runner.Flags) (limits, error) {
	l := limits{
		readHeader:     f.Duration(flagReadHeaderTO),
		idle:           f.Duration(flagIdleTO),
		write:          f.Duration(flagWriteTO),
		maxHeaderBytes: f.Int(flagMaxHeaderBytes),
		maxConns:       f.Int(flagMaxConns),
	}
	if l.readHeader <= 0 || l.idle < 0 || l.write < 0 {
		return l, errors.New("--read-header-timeout must be more than 0; --idle-timeout and --write-timeout 0 or more")
	}
	if l.maxHeaderBytes < 1024 {
		return l, fmt.Errorf("--max-header-bytes %d: must be at least 1024", l.maxHeaderBytes)
	}
	if l.maxConns < 0 {
		return l, fmt.Errorf("--max-connections %d: must be 0 (no limit) or more", l.maxConns)
	}
	return l, nil
}
