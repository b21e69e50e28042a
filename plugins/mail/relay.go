package mail

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// rcptResult is the outcome of one recipient of a delivery attempt.
type rcptResult struct {
	rcpt      string
	err       error // nil: delivered
	permanent bool  // a 5xx or a domain that cannot receive mail
	expired   bool  // given up after --queue-lifetime
	via       string
}

// relayDialTimeout bounds connecting to one MX; relayTimeout one whole
// conversation with it.
const (
	relayDialTimeout = 30 * time.Second
	relayTimeout     = 10 * time.Minute
)

// relayTo delivers msg to remote recipients, grouped by domain, each to
// the domain's MX hosts in preference order (or the domain itself when it
// has no MX record, RFC 5321 5.1).
func (m *mailer) relayTo(ctx context.Context, from string, rcpts []string, msg []byte) []rcptResult {
	if sh := m.c.smarthost; sh != nil {
		res, err := m.relayHost(ctx, sh.host, from, rcpts, msg)
		if err != nil {
			return everyone(rcpts, fmt.Errorf("smarthost %s did not take the message: %w", sh.address(), err), false, sh.host)
		}
		return res
	}
	byDomain := map[string][]string{}
	var domains []string
	for _, r := range rcpts {
		_, d := m.splitAddress(r)
		if byDomain[d] == nil {
			domains = append(domains, d)
		}
		byDomain[d] = append(byDomain[d], r)
	}
	var out []rcptResult
	for _, d := range domains {
		out = append(out, m.relayDomain(ctx, d, from, byDomain[d], msg)...)
	}
	return out
}

func (m *mailer) relayDomain(ctx context.Context, domain, from string, rcpts []string, msg []byte) []rcptResult {
	all := func(err error, permanent bool) []rcptResult {
		out := make([]rcptResult, len(rcpts))
		for i, r := range rcpts {
			out[i] = rcptResult{rcpt: r, err: err, permanent: permanent}
		}
		return out
	}
	hosts, err := m.mxHosts(ctx, domain)
	if err != nil {
		var dnsErr *net.DNSError
		return all(err, errors.As(err, &dnsErr) && dnsErr.IsNotFound || errors.Is(err, errNullMX))
	}
	var last error
	for _, h := range hosts {
		res, err := m.relayHost(ctx, h, from, rcpts, msg)
		if err == nil {
			return res
		}
		last = err // this host could not be reached or spoke nonsense: next
	}
	return all(fmt.Errorf("no MX of %s took the message: %w", domain, last), false)
}

var errNullMX = errors.New("the domain accepts no mail (null MX)")

// mxHosts returns the hosts to try for domain, best first.
func (m *mailer) mxHosts(ctx context.Context, domain string) ([]string, error) {
	r := m.resolver()
	mxs, err := r.LookupMX(ctx, domain)
	var dnsErr *net.DNSError
	if err != nil && !(errors.As(err, &dnsErr) && dnsErr.IsNotFound) {
		return nil, err
	}
	if len(mxs) == 0 {
		// No MX: the domain itself, if it has an address.
		if _, err := r.LookupHost(ctx, domain); err != nil {
			return nil, err
		}
		return []string{domain}, nil
	}
	sort.SliceStable(mxs, func(i, j int) bool { return mxs[i].Pref < mxs[j].Pref })
	var hosts []string
	for _, mx := range mxs {
		if mx.Host == "." || mx.Host == "" {
			return nil, errNullMX
		}
		hosts = append(hosts, strings.TrimSuffix(mx.Host, "."))
	}
	return hosts, nil
}

// resolver is the system's, or one that asks --relay-dns.
func (m *mailer) resolver() *net.Resolver {
	if m.c.relayDNS == "" {
		return net.DefaultResolver
	}
	server := m.c.relayDNS
	return &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, network, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, network, server)
	}}
}

// relayHost holds one SMTP conversation with host. An error means the
// host did not take part (unreachable, no greeting, refused MAIL with a
// 4xx): the caller tries the next MX. Otherwise each recipient's result is
// returned, 5xx replies being permanent.
func (m *mailer) relayHost(ctx context.Context, host, from string, rcpts []string, msg []byte) ([]rcptResult, error) {
	ctx, cancel := context.WithTimeout(ctx, relayTimeout)
	defer cancel()
	c, err := m.relayClient(ctx, host)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	stop := context.AfterFunc(ctx, func() { c.Close() })
	defer stop()
	if err := c.Mail(from, nil); err != nil {
		if permanentSMTP(err) {
			return everyone(rcpts, err, true, host), nil
		}
		return nil, err
	}
	var out, accepted []rcptResult
	for _, r := range rcpts {
		if err := c.Rcpt(r, nil); err != nil {
			out = append(out, rcptResult{rcpt: r, err: err, permanent: permanentSMTP(err), via: host})
			continue
		}
		accepted = append(accepted, rcptResult{rcpt: r, via: host})
	}
	if len(accepted) == 0 {
		c.Quit()
		return out, nil
	}
	err = sendData(c, msg)
	for i := range accepted {
		accepted[i].err, accepted[i].permanent = err, err != nil && permanentSMTP(err)
	}
	c.Quit()
	return append(out, accepted...), nil
}

// relayClient connects to host and says EHLO, with opportunistic TLS (RFC
// 7435: encrypt when offered, without checking the certificate, as MX
// delivery does). go-smtp's client can only start TLS as its first step,
// so it is tried first, and a host that does not offer it (or fails the
// handshake) is dialled again in plain text.
func (m *mailer) relayClient(ctx context.Context, host string) (*smtp.Client, error) {
	if sh := m.c.smarthost; sh != nil && sh.user != "" {
		return m.smarthostClient(ctx, sh)
	}
	port := m.c.relayPort
	if sh := m.c.smarthost; sh != nil {
		port = sh.port
	}
	conn, err := m.dialMX(ctx, host, port)
	if err != nil {
		return nil, err
	}
	c, err := smtp.NewClientStartTLS(conn, &tls.Config{ServerName: host, InsecureSkipVerify: true})
	if err == nil {
		if err := c.Hello(m.c.hostname); err != nil {
			c.Close()
			return nil, err
		}
		return c, nil
	}
	if conn, err = m.dialMX(ctx, host, port); err != nil {
		return nil, err
	}
	c = smtp.NewClient(conn)
	if err := c.Hello(m.c.hostname); err != nil {
		c.Close()
		return nil, err
	}
	return c, nil
}

// smarthostClient connects to a smarthost that gets a password: STARTTLS
// with a certificate checked for its name, then EHLO and AUTH PLAIN. Any
// failure is temporary (the message stays queued, the log says why), since
// a wrong password or certificate is the operator's to fix.
func (m *mailer) smarthostClient(ctx context.Context, sh *smarthost) (*smtp.Client, error) {
	conn, err := m.dialMX(ctx, sh.host, sh.port)
	if err != nil {
		return nil, err
	}
	c, err := smtp.NewClientStartTLS(conn, sh.tlsConfig())
	if err != nil {
		return nil, fmt.Errorf("%w: %v", errSmarthostNoTLS, err)
	}
	if err := c.Hello(m.c.hostname); err != nil {
		c.Close()
		return nil, err
	}
	if err := c.Auth(sasl.NewPlainClient("", sh.user, sh.pass)); err != nil {
		c.Close()
		return nil, fmt.Errorf("AUTH as %s: %w", sh.user, err)
	}
	return c, nil
}

// dialMX connects to port on one of host's addresses.
func (m *mailer) dialMX(ctx context.Context, host string, port int) (net.Conn, error) {
	addrs, err := m.resolver().LookupHost(ctx, host)
	if err != nil {
		return nil, err
	}
	d := net.Dialer{Timeout: relayDialTimeout}
	for _, a := range addrs {
		var conn net.Conn
		if conn, err = d.DialContext(ctx, "tcp", net.JoinHostPort(a, strconv.Itoa(port))); err == nil {
			return conn, nil
		}
	}
	return nil, err
}

// sendData writes the message; go-smtp's writer turns LF into CRLF and
// stuffs dots.
func sendData(c *smtp.Client, msg []byte) error {
	w, err := c.Data()
	if err != nil {
		return err
	}
	if _, err := w.Write(msg); err != nil {
		w.Close()
		return err
	}
	return w.Close()
}

func everyone(rcpts []string, err error, permanent bool, via string) []rcptResult {
	out := make([]rcptResult, len(rcpts))
	for i, r := range rcpts {
		out[i] = rcptResult{rcpt: r, err: err, permanent: permanent, via: via}
	}
	return out
}

func permanentSMTP(err error) bool {
	var se *smtp.SMTPError
	return errors.As(err, &se) && se.Code >= 500
}
