package mail

import (
	"errors"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/gotwistd/gotwistd/endpoint"
	"github.com/gotwistd/gotwistd/runner"
	"github.com/gotwistd/gotwistd/service"
)

// config is everything the command line says, checked and resolved (paths
// absolute, files read) before anything starts.
type config struct {
	hostname string
	domains  *domainTable
	auth     *authSet // --auth credentials; nil when none

	disableAnon  bool
	insecureAuth bool
	relayFrom    []netip.Prefix
	tls          *endpoint.TLS // for STARTTLS and STLS; nil when none

	maxSize        int64
	maxConns       int
	maxConnsPerIP  int
	maxRcpts       int
	maxLine        int
	timeout        time.Duration
	pop3Timeout    time.Duration
	programTimeout time.Duration

	queueDir      string // -R; "" = no relaying
	queueLifetime time.Duration
	retry         time.Duration
	relayDNS      string
	relayPort     int
	smarthost     *smarthost // nil: deliver by MX
	bouncePM      bool       // -b: relay bounces go to the postmaster

	smtp, pop3 []endpoint.Endpoint
}

// makeService is the plugin's Make: it reads the options into a config and
// builds the tree "mail" = store, [queue], smtp-N..., pop3-N....
func makeService(f runner.Flags, env runner.Env, opts []option) (service.Service, error) {
	c, err := readConfig(f, opts)
	if err != nil {
		return nil, err
	}
	return newTree(c, env)
}

func readConfig(f runner.Flags, opts []option) (*config, error) {
	c := &config{
		hostname:       f.String(flagHostname),
		disableAnon:    f.Bool(flagDisableAnon),
		insecureAuth:   f.Bool(flagInsecureAuth),
		maxSize:        int64(f.Int(flagMaxSize)),
		maxConns:       f.Int(flagMaxConns),
		maxConnsPerIP:  f.Int(flagMaxConnsPerIP),
		maxRcpts:       f.Int(flagMaxRcpts),
		maxLine:        f.Int(flagMaxLine),
		timeout:        f.Duration(flagTimeout),
		pop3Timeout:    f.Duration(flagPOP3Timeout),
		programTimeout: f.Duration(flagProgramTimeout),
		queueLifetime:  f.Duration(flagQueueLifetime),
		retry:          f.Duration(flagRetry),
		relayDNS:       f.String(flagRelayDNS),
		relayPort:      f.Int(flagRelayPort),
	}
	if c.hostname == "" {
		h, err := os.Hostname()
		if err != nil || h == "" {
			return nil, errors.New("--hostname: the machine has no name; give one")
		}
		c.hostname = h
	}
	if strings.ContainsAny(c.hostname, " \t\r\n<>@/") {
		return nil, fmt.Errorf("--hostname %q: not a host name", c.hostname)
	}
	if err := c.checkLimits(); err != nil {
		return nil, err
	}
	var err error
	if c.domains, err = readDomains(opts); err != nil {
		return nil, err
	}
	switch mode := f.String(flagFsync); mode {
	case fsyncGroup:
	case fsyncMessage:
		c.domains.eachMaildir(func(m *maildir) { m.perMessage = true })
	default:
		return nil, fmt.Errorf("--%s %q: must be %s or %s", flagFsync, mode, fsyncGroup, fsyncMessage)
	}
	for _, o := range opts {
		if o.name == flagBounce {
			c.bouncePM = true
		}
	}
	if c.auth, err = readAuth(f.StringSlice(flagAuth)); err != nil {
		return nil, err
	}
	for _, s := range f.StringSlice(flagRelayFrom) {
		p, err := parsePrefix(s)
		if err != nil {
			return nil, fmt.Errorf("--relay-from %q: %v", s, err)
		}
		c.relayFrom = append(c.relayFrom, p)
	}
	if q := f.String(flagRelay); q != "" {
		if c.queueDir, err = filepath.Abs(q); err != nil {
			return nil, fmt.Errorf("--relay %q: %v", q, err)
		}
	}
	if err := c.domains.checkRemoteAliases(c.queueDir != ""); err != nil {
		return nil, err
	}
	if c.smarthost, err = readSmarthost(f, c.relayPort, c.queueDir != ""); err != nil {
		return nil, err
	}
	if err := c.readEndpoints(f); err != nil {
		return nil, err
	}
	if err := c.readTLS(f); err != nil {
		return nil, err
	}
	return c, nil
}

func (c *config) checkLimits() error {
	switch {
	case c.maxSize < 1:
		return fmt.Errorf("--%s %d: must be at least 1", flagMaxSize, c.maxSize)
	case c.maxConns < 0:
		return fmt.Errorf("--%s %d: must be 0 (no limit) or more", flagMaxConns, c.maxConns)
	case c.maxConnsPerIP < 0:
		return fmt.Errorf("--%s %d: must be 0 (no limit) or more", flagMaxConnsPerIP, c.maxConnsPerIP)
	case c.maxRcpts < 1:
		return fmt.Errorf("--%s %d: must be at least 1", flagMaxRcpts, c.maxRcpts)
	case c.maxLine < 80:
		return fmt.Errorf("--%s %d: must be at least 80", flagMaxLine, c.maxLine)
	case c.timeout <= 0, c.pop3Timeout <= 0, c.programTimeout <= 0:
		return fmt.Errorf("--%s, --%s and --%s must be more than 0", flagTimeout, flagPOP3Timeout, flagProgramTimeout)
	case c.queueLifetime < 0:
		return fmt.Errorf("--%s %s: must not be negative", flagQueueLifetime, c.queueLifetime)
	case c.retry <= 0:
		return fmt.Errorf("--%s %s: must be more than 0", flagRetry, c.retry)
	case c.relayPort < 1 || c.relayPort > 65535:
		return fmt.Errorf("--%s %d: not a port number", flagRelayPort, c.relayPort)
	}
	return nil
}

// readEndpoints parses --smtp and --pop3, applying the defaults unless
// --no-smtp or --no-pop3 says otherwise; twistd refuses to disable both.
func (c *config) readEndpoints(f runner.Flags) error {
	var err error
	if c.smtp, err = endpoints(f, flagSMTP, flagNoSMTP, defaultSMTP); err != nil {
		return err
	}
	if c.pop3, err = endpoints(f, flagPOP3, flagNoPOP3, defaultPOP3); err != nil {
		return err
	}
	if len(c.smtp) == 0 && len(c.pop3) == 0 {
		return errors.New("--no-smtp and --no-pop3 together leave nothing to serve")
	}
	return nil
}

func endpoints(f runner.Flags, name, none, def string) ([]endpoint.Endpoint, error) {
	descs := f.StringSlice(name)
	if f.Bool(none) {
		if len(descs) > 0 {
			return nil, fmt.Errorf("--%s and --%s contradict each other", name, none)
		}
		return nil, nil
	}
	if len(descs) == 0 {
		descs = []string{def}
	}
	var eps []endpoint.Endpoint
	for _, d := range descs {
		ep, err := endpoint.Parse(d)
		if err != nil {
			return nil, fmt.Errorf("--%s: %w", name, err)
		}
		if _, ok := ep.(endpoint.PacketEndpoint); ok {
			return nil, fmt.Errorf("--%s %q: mail is served over streams; use tcp:, unix: or ssl:", name, d)
		}
		eps = append(eps, ep)
	}
	return eps, nil
}

// readTLS loads --tls-cert/--tls-key for STARTTLS and STLS. It goes through
// endpoint.Parse so that the files are read, checked and reloaded exactly
// as for ssl: endpoints; the port-0 endpoint is never bound. Without
// --tls-cert, the first ssl: endpoint's certificate serves STARTTLS too.
func (c *config) readTLS(f runner.Flags) error {
	cert, key := f.String(flagTLSCert), f.String(flagTLSKey)
	if cert == "" {
		if key != "" {
			return fmt.Errorf("--%s needs --%s", flagTLSKey, flagTLSCert)
		}
		for _, ep := range append(append([]endpoint.Endpoint(nil), c.smtp...), c.pop3...) {
			if t, ok := ep.(*endpoint.TLS); ok {
				c.tls = t
				return nil
			}
		}
		return nil
	}
	if key == "" {
		key = cert
	}
	ep, err := endpoint.Parse("ssl:0:privateKey=" + endpoint.Escape(key) + ":certKey=" + endpoint.Escape(cert))
	if err != nil {
		return fmt.Errorf("--%s/--%s: %w", flagTLSCert, flagTLSKey, err)
	}
	c.tls = ep.(*endpoint.TLS)
	return nil
}

// parsePrefix reads a CIDR or a single address.
func parsePrefix(s string) (netip.Prefix, error) {
	if p, err := netip.ParsePrefix(s); err == nil {
		return p.Masked(), nil
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, errors.New("not a CIDR (10.0.0.0/8) or an address")
	}
	return netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()), nil
}

// newTree builds the services: the store first (it creates the Maildirs in
// Start, after privileges are dropped, so that they belong to the user the
// server runs as), then the relay queue, then one child per endpoint.
func newTree(c *config, env runner.Env) (service.Service, error) {
	m := newMailer(c, env.Log())
	root := service.NewMulti("mail")
	children := []service.Service{&storeService{m: m}}
	if m.queue != nil {
		children = append(children, m.queue)
	}
	for i, ep := range c.smtp {
		srv, tracked := newSMTPServer(m, ep)
		children = append(children, env.Stream("smtp-"+strconv.Itoa(i), tracked, srv))
	}
	for i, ep := range c.pop3 {
		srv, tracked := newPOP3Server(m, ep)
		children = append(children, env.Stream("pop3-"+strconv.Itoa(i), tracked, srv))
	}
	for _, s := range children {
		if err := root.Add(s); err != nil {
			return nil, err
		}
	}
	return root, nil
}
