package web

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
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/gotwistd/gotwistd/runner"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m,
		// lumberjack's cleanup goroutine outlives Close (a known edge of v2).
		goleak.IgnoreTopFunction("gopkg.in/natefinch/lumberjack%2ev2.(*Logger).millRun"))
}

// loopback is the endpoint tests listen on: a free port on 127.0.0.1.
const loopback = "tcp:0:interface=127.0.0.1"

// server is a started web service and what a test needs to talk to it.
type server struct {
	ws   *webService
	addr string // host:port of the first endpoint
	base string // http://host:port
}

// startWeb builds web from a command line exactly as the CLI would, runs
// PrivilegedStart and Start, and stops it when the test ends.
func startWeb(t *testing.T, args ...string) *server {
	t.Helper()
	s, err := tryStartWeb(t, args...)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func tryStartWeb(t *testing.T, args ...string) (*server, error) {
	t.Helper()
	svc, err := runner.Build(Plugin(), args, runner.Env{})
	if err != nil {
		return nil, err
	}
	ws := svc.(*webService)
	ctx := context.Background()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := ws.Stop(ctx); err != nil {
			t.Errorf("stop: %v", err)
		}
	})
	if err := ws.PrivilegedStart(ctx); err != nil {
		return nil, err
	}
	if err := ws.Start(ctx); err != nil {
		return nil, err
	}
	addr := ws.Addrs()[0].String()
	return &server{ws: ws, addr: addr, base: "http://" + addr}, nil
}

// client returns an HTTP client that does not follow redirects, does not
// ask for gzip by itself, and drops its connections when the test ends.
func client(t *testing.T) *http.Client {
	t.Helper()
	tr := &http.Transport{DisableCompression: true}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{
		Transport:     tr,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		Timeout:       30 * time.Second,
	}
}

// do sends method to url with headers given as "Name: value" strings and
// returns the response with its body read.
func do(t *testing.T, c *http.Client, method, url string, headers ...string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range headers {
		k, v, _ := strings.Cut(h, ":")
		if k = strings.TrimSpace(k); strings.EqualFold(k, "Host") {
			req.Host = strings.TrimSpace(v)
			continue
		}
		req.Header.Add(k, strings.TrimSpace(v))
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, string(b)
}

// raw writes a request exactly as given and reads one response, for the
// requests no well-behaved client would send.
func raw(t *testing.T, addr, req string) (*http.Response, string) {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(30 * time.Second))
	if _, err := io.WriteString(c, req); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatalf("reading the answer to %q: %v", req, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

// writeFiles creates files below dir: name → content; a name ending in
// "/" is a directory.
func writeFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if strings.HasSuffix(name, "/") {
			if err := os.MkdirAll(p, 0o755); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// testCert writes a self-signed certificate for names (DNS names or IP
// literals) and its key to dir/stem.crt and dir/stem.key.
func testCert(t *testing.T, dir, stem string, names ...string) (certFile, keyFile string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(time.Now().UnixNano()),
		Subject:               pkix.Name{CommonName: names[0]},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	for _, n := range names {
		if ip := net.ParseIP(n); ip != nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		} else {
			tmpl.DNSNames = append(tmpl.DNSNames, n)
		}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile = filepath.Join(dir, stem+".crt"), filepath.Join(dir, stem+".key")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kder}), 0o600); err != nil {
		t.Fatal(err)
	}
	return certFile, keyFile
}

// tlsClient trusts the certificates in certFiles and speaks HTTP/2 when
// the server offers it.
func tlsClient(t *testing.T, serverName string, certFiles ...string) *http.Client {
	t.Helper()
	pool := x509.NewCertPool()
	for _, f := range certFiles {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		pool.AppendCertsFromPEM(b)
	}
	tr := &http.Transport{
		TLSClientConfig:    &tls.Config{RootCAs: pool, ServerName: serverName},
		ForceAttemptHTTP2:  true,
		DisableCompression: true,
	}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr, Timeout: 30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

func wantStatus(t *testing.T, resp *http.Response, code int) {
	t.Helper()
	if resp.StatusCode != code {
		what := "raw request"
		if resp.Request != nil {
			what = resp.Request.Method + " " + resp.Request.URL.String()
		}
		t.Fatalf("%s: status %d, want %d", what, resp.StatusCode, code)
	}
}
