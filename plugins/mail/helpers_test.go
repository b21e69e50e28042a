package mail

import (
	"bufio"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gotwistd/gotwistd/runner"
	"github.com/gotwistd/gotwistd/service"
)

// mailServer is a running mail service built from a command line.
type mailServer struct {
	svc  service.Service
	smtp []string // bound addresses, in --smtp order
	pop3 []string
}

// startMail builds the plugin from args exactly as the CLI would, starts
// it, and stops it when the test ends.
func startMail(t testing.TB, args ...string) *mailServer {
	t.Helper()
	return runMail(t, buildMail(t, args...))
}

func buildMail(t testing.TB, args ...string) service.Service {
	t.Helper()
	svc, err := runner.Build(Plugin(), args, runner.Env{})
	if err != nil {
		t.Fatalf("build %q: %v", args, err)
	}
	return svc
}

// queueOf returns the relay queue of a built service, or nil.
func queueOf(svc service.Service) *queue {
	for _, c := range svc.(*service.Multi).Services() {
		if q, ok := c.(*queue); ok {
			return q
		}
	}
	return nil
}

// runMail starts a built service and stops it when the test ends.
func runMail(t testing.TB, svc service.Service) *mailServer {
	t.Helper()
	ctx := context.Background()
	if err := svc.PrivilegedStart(ctx); err != nil {
		t.Fatalf("privileged start: %v", err)
	}
	if err := svc.Start(ctx); err != nil {
		t.Fatalf("start: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := svc.Stop(ctx); err != nil {
			t.Errorf("stop: %v", err)
		}
	})
	s := &mailServer{svc: svc}
	for _, c := range svc.(*service.Multi).Services() {
		st, ok := c.(*service.Stream)
		if !ok {
			continue
		}
		switch {
		case strings.HasPrefix(c.Name(), "smtp-"):
			s.smtp = append(s.smtp, st.Addr().String())
		case strings.HasPrefix(c.Name(), "pop3-"):
			s.pop3 = append(s.pop3, st.Addr().String())
		}
	}
	return s
}

const loop = "tcp:0:interface=127.0.0.1"

// baseArgs is the scenario-48 command line on kernel-chosen ports.
func baseArgs(dir string, more ...string) []string {
	return append([]string{"-E", "-H", "localhost", "-d", "localhost=" + filepath.Join(dir, "maildir"), "--user", "joe=pw", "-s", loop, "-p", loop}, more...)
}

// newFiles lists the files of a Maildir subdirectory.
func listDir(t testing.TB, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range ents {
		out = append(out, e.Name())
	}
	return out
}

func readNew(t testing.TB, box string) []string {
	t.Helper()
	var out []string
	for _, n := range listDir(t, filepath.Join(box, "new")) {
		b, err := os.ReadFile(filepath.Join(box, "new", n))
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, string(b))
	}
	return out
}

// pop3Client is a minimal POP3 client for tests.
type pop3Client struct {
	t      testing.TB
	c      net.Conn
	r      *bufio.Reader
	banner string
}

func dialPOP3(t testing.TB, addr string) *pop3Client {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	p := &pop3Client{t: t, c: c, r: bufio.NewReader(c)}
	p.banner = p.line()
	if !strings.HasPrefix(p.banner, "+OK") {
		t.Fatalf("banner %q", p.banner)
	}
	return p
}

func (p *pop3Client) line() string {
	p.t.Helper()
	l, err := p.r.ReadString('\n')
	if err != nil {
		p.t.Fatalf("pop3 read: %v (got %q)", err, l)
	}
	if !strings.HasSuffix(l, "\r\n") {
		p.t.Fatalf("pop3 line %q does not end in CRLF", l)
	}
	return strings.TrimSuffix(l, "\r\n")
}

// cmd sends a command line and returns the status line.
func (p *pop3Client) cmd(format string, a ...any) string {
	p.t.Helper()
	fmt.Fprintf(p.c, format+"\r\n", a...)
	return p.line()
}

// ok sends a command and fails unless the answer is +OK.
func (p *pop3Client) ok(format string, a ...any) string {
	p.t.Helper()
	l := p.cmd(format, a...)
	if !strings.HasPrefix(l, "+OK") {
		p.t.Fatalf("%s: %q", fmt.Sprintf(format, a...), l)
	}
	return l
}

// multi reads multi-line data up to the "." line, un-stuffing dots.
func (p *pop3Client) multi() []string {
	p.t.Helper()
	var out []string
	for {
		l := p.line()
		if l == "." {
			return out
		}
		out = append(out, strings.TrimPrefix(l, "."))
	}
}

func (p *pop3Client) login(user, pw string) {
	p.t.Helper()
	p.ok("USER %s", user)
	p.ok("PASS %s", pw)
}

// writeCert writes a self-signed certificate for 127.0.0.1 and localhost
// and returns the cert and key paths and a pool that trusts it.
func writeCert(t testing.TB, dir string) (certFile, keyFile string, pool *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "localhost"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(24 * time.Hour),
		DNSNames:     []string{"localhost"},
		IPAddresses:  []net.IP{net.ParseIP("127.0.0.1")},
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kb, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb}), 0o600); err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	pool = x509.NewCertPool()
	pool.AddCert(cert)
	return certFile, keyFile, pool
}

func tlsClient(pool *x509.CertPool) *tls.Config {
	return &tls.Config{RootCAs: pool, ServerName: "localhost"}
}

func bufioReader(c net.Conn) *bufio.Reader { return bufio.NewReader(c) }

// stopNow stops a service at once (its cleanup Stop then does nothing).
func stopNow(t testing.TB, svc service.Service) {
	t.Helper()
	if err := svc.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}
}

// buildMailErr builds the plugin from args and returns Make's error.
func buildMailErr(args []string) (service.Service, error) {
	return runner.Build(Plugin(), args, runner.Env{})
}
