package mail

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"

	"github.com/gotwistd/gotwistd/runner"
)

// smarthost is --smarthost: one server that takes every relayed message,
// instead of each domain's MX (an ISP's or a company's outbound relay).
type smarthost struct {
	host string
	port int
	// user and pass, when set, log in with AUTH PLAIN, which then needs
	// STARTTLS with a certificate that checks out for host (against the
	// system's roots, or roots).
	user, pass string
	roots      *x509.CertPool // --smarthost-ca; nil: the system's
}

// tlsConfig is the TLS the smarthost must speak before a password goes
// to it.
func (s *smarthost) tlsConfig() *tls.Config {
	return &tls.Config{ServerName: s.host, RootCAs: s.roots, MinVersion: tls.VersionTLS12}
}

func (s *smarthost) address() string { return net.JoinHostPort(s.host, strconv.Itoa(s.port)) }

// readSmarthost reads --smarthost HOST[:PORT] (PORT defaults to
// --relay-port), --smarthost-auth USER:PASS or file:PATH (a file whose
// first line is USER:PASS) and --smarthost-ca FILE (PEM).
func readSmarthost(f runner.Flags, relayPort int, haveQueue bool) (*smarthost, error) {
	hostport, auth, ca := f.String(flagSmarthost), f.String(flagSmarthostAuth), f.String(flagSmarthostCA)
	if hostport == "" {
		if auth != "" || ca != "" {
			return nil, fmt.Errorf("--%s and --%s need --%s", flagSmarthostAuth, flagSmarthostCA, flagSmarthost)
		}
		return nil, nil
	}
	if !haveQueue {
		return nil, fmt.Errorf("--%s %s: needs -R/--%s QUEUE_DIR to keep the mail it relays", flagSmarthost, hostport, flagRelay)
	}
	s := &smarthost{host: hostport, port: relayPort}
	if h, p, err := net.SplitHostPort(hostport); err == nil {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 || n > 65535 {
			return nil, fmt.Errorf("--%s %s: %q is not a port number", flagSmarthost, hostport, p)
		}
		s.host, s.port = h, n
	}
	if s.host == "" || strings.ContainsAny(s.host, " /@") {
		return nil, fmt.Errorf("--%s %q: not HOST or HOST:PORT", flagSmarthost, hostport)
	}
	if auth != "" {
		line := auth
		if path, ok := strings.CutPrefix(auth, "file:"); ok {
			data, err := os.ReadFile(path)
			if err != nil {
				return nil, fmt.Errorf("--%s: %v", flagSmarthostAuth, err)
			}
			line, _, _ = strings.Cut(string(data), "\n")
			line = strings.TrimRight(line, "\r")
		}
		var ok bool
		if s.user, s.pass, ok = strings.Cut(line, ":"); !ok || s.user == "" {
			return nil, fmt.Errorf("--%s: must be USER:PASSWORD or file:PATH of a file whose first line is that", flagSmarthostAuth)
		}
	}
	if ca != "" {
		pem, err := os.ReadFile(ca)
		if err != nil {
			return nil, fmt.Errorf("--%s: %v", flagSmarthostCA, err)
		}
		s.roots = x509.NewCertPool()
		if !s.roots.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("--%s %s: no PEM certificate in it", flagSmarthostCA, ca)
		}
	}
	return s, nil
}

var errSmarthostNoTLS = errors.New("the smarthost must offer STARTTLS with a valid certificate before it gets a password")
