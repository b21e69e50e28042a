package web

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// tlsSite starts web with one plain and one TLS endpoint (in that order)
// and returns the server, the TLS address and the certificate file.
func tlsSite(t *testing.T, extra ...string) (*server, string, string) {
	t.Helper()
	dir := site1000(t)
	certDir := t.TempDir()
	cert, key := testCert(t, certDir, "server", "localhost", "127.0.0.1")
	args := append([]string{"--path", dir, "--listen", loopback,
		"--listen", "ssl:0:interface=127.0.0.1:privateKey=" + key + ":certKey=" + cert}, extra...)
	s := startWeb(t, args...)
	return s, s.ws.Addrs()[1].String(), cert
}

func TestHTTPSAndHTTP2(t *testing.T) {
	s, tlsAddr, cert := tlsSite(t, "--hsts", "8760h")
	c := tlsClient(t, "localhost", cert)
	resp, body := do(t, c, "GET", "https://"+tlsAddr+"/")
	wantStatus(t, resp, 200)
	if body != "hello\n" || resp.ProtoMajor != 2 {
		t.Errorf("HTTPS: %s %q", resp.Proto, body)
	}
	if resp.TLS.Version < tls.VersionTLS12 {
		t.Errorf("TLS version %x", resp.TLS.Version)
	}
	if hsts := resp.Header.Get("Strict-Transport-Security"); hsts != "max-age=31536000" {
		t.Errorf("HSTS %q", hsts)
	}
	resp, body = do(t, c, "GET", "https://"+tlsAddr+"/data.bin", "Range: bytes=10-19")
	if resp.StatusCode != 206 || body != "0123456789" {
		t.Errorf("h2 range: %d %q", resp.StatusCode, body)
	}
	// No HSTS on plain HTTP, where it means nothing.
	resp, _ = do(t, client(t), "GET", s.base+"/")
	if resp.Header.Get("Strict-Transport-Security") != "" {
		t.Errorf("HSTS over plain HTTP")
	}
}

func TestNoHTTP2(t *testing.T) {
	_, tlsAddr, cert := tlsSite(t, "--no-http2")
	resp, _ := do(t, tlsClient(t, "localhost", cert), "GET", "https://"+tlsAddr+"/")
	if resp.ProtoMajor != 1 {
		t.Errorf("--no-http2 answered with %s", resp.Proto)
	}
}

func TestRedirectHTTP(t *testing.T) {
	s, tlsAddr, _ := tlsSite(t, "--redirect-http")
	_, port, _ := net.SplitHostPort(tlsAddr)
	c := client(t)
	resp, _ := do(t, c, "GET", s.base+"/sub/a.txt?x=1")
	wantStatus(t, resp, 301)
	if loc := resp.Header.Get("Location"); loc != "https://127.0.0.1:"+port+"/sub/a.txt?x=1" {
		t.Errorf("Location %q", loc)
	}
	resp, _ = do(t, c, "POST", s.base+"/form")
	wantStatus(t, resp, 308)
	req, _ := http.NewRequest("GET", s.base+"/", nil)
	req.Host = "[::1]:8080"
	r2, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	r2.Body.Close()
	if loc := r2.Header.Get("Location"); loc != "https://[::1]:"+port+"/" {
		t.Errorf("IPv6 Location %q", loc)
	}
}

func TestLegacyHTTPSFlags(t *testing.T) {
	dir := site1000(t)
	certDir := t.TempDir()
	cert, key := testCert(t, certDir, "server", "localhost")
	// --https takes a port number; use a free one found by binding :0.
	l, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	s, err := tryStartWeb(t, "--path", dir, "--listen", loopback, "--https", strconv.Itoa(port), "-c", cert, "-k", key)
	if err != nil {
		t.Skipf("port %d was taken again: %v", port, err)
	}
	resp, body := do(t, tlsClient(t, "localhost", cert), "GET", "https://localhost:"+strconv.Itoa(port)+"/")
	if resp.StatusCode != 200 || body != "hello\n" {
		t.Errorf("--https: %d %q", resp.StatusCode, body)
	}
	_ = s
}

func TestSNIDirectory(t *testing.T) {
	dir := site1000(t)
	certDir, sniDir := t.TempDir(), t.TempDir()
	cert, key := testCert(t, certDir, "default", "localhost")
	aCert, _ := testCert(t, sniDir, "a", "a.test")
	wCert, _ := testCert(t, sniDir, "wild", "*.w.test")
	// A combined PEM (certificate and key in one file).
	bCert, bKey := testCert(t, certDir, "b", "b.test")
	combined := append(mustRead(t, bCert), mustRead(t, bKey)...)
	if err := os.WriteFile(filepath.Join(sniDir, "b.pem"), combined, 0o600); err != nil {
		t.Fatal(err)
	}
	s := startWeb(t, "--path", dir, "--listen", "ssl:0:interface=127.0.0.1:privateKey="+key+":certKey="+cert, "--sni-dir", sniDir)
	addr := s.addr
	for name, want := range map[string]string{"a.test": aCert, "x.w.test": wCert, "b.test": bCert, "localhost": cert, "other.test": cert} {
		if got := peerCert(t, addr, name); !sameCert(t, got, want) {
			t.Errorf("SNI %s: served %v", name, got.DNSNames)
		}
	}

	// Replace a.test's certificate: SIGHUP (Reload) serves the new one.
	newA, _ := testCert(t, sniDir, "a", "a.test")
	if err := s.ws.Reload(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := peerCert(t, addr, "a.test"); !sameCert(t, got, newA) {
		t.Errorf("after reload: old certificate still served")
	}
	// A broken file fails the reload and keeps the certificates in use.
	if err := os.WriteFile(filepath.Join(sniDir, "broken.crt"), []byte("junk"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := s.ws.Reload(context.Background()); err == nil || !strings.Contains(err.Error(), "broken.crt") {
		t.Errorf("reload with a broken file: %v", err)
	}
	if got := peerCert(t, addr, "a.test"); !sameCert(t, got, newA) {
		t.Errorf("a failed reload dropped the certificates")
	}
}

// TestCertificateFileChange: the watcher's check reloads the endpoint's
// certificate when its files change, without a signal.
func TestCertificateFileChange(t *testing.T) {
	dir := site1000(t)
	certDir := t.TempDir()
	cert, key := testCert(t, certDir, "server", "localhost")
	s := startWeb(t, "--path", dir, "--listen", "ssl:0:interface=127.0.0.1:privateKey="+key+":certKey="+cert, "--cert-check-interval", "1h")
	first := peerCert(t, s.addr, "localhost")
	s.ws.checkCerts() // nothing changed: nothing happens
	if got := peerCert(t, s.addr, "localhost"); !got.Equal(first) {
		t.Fatal("certificate changed without a file change")
	}
	testCert(t, certDir, "server", "localhost") // renew in place
	bump := time.Now().Add(time.Minute)
	_ = os.Chtimes(cert, bump, bump)
	s.ws.checkCerts()
	if got := peerCert(t, s.addr, "localhost"); got.Equal(first) || !sameCert(t, got, cert) {
		t.Fatal("renewed certificate not picked up")
	}
}

func mustRead(t *testing.T, f string) []byte {
	t.Helper()
	b, err := os.ReadFile(f)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func peerCert(t *testing.T, addr, name string) *x509.Certificate {
	t.Helper()
	c, err := tls.Dial("tcp", addr, &tls.Config{ServerName: name, InsecureSkipVerify: true})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	return c.ConnectionState().PeerCertificates[0]
}

func sameCert(t *testing.T, c *x509.Certificate, file string) bool {
	t.Helper()
	blk, _ := pem.Decode(mustRead(t, file))
	return blk != nil && string(blk.Bytes) == string(c.Raw)
}

func TestTLSPortTaken(t *testing.T) {
	l, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	port := strconv.Itoa(l.Addr().(*net.TCPAddr).Port)
	certDir := t.TempDir()
	cert, key := testCert(t, certDir, "server", "localhost")
	_, err = tryStartWeb(t, "--listen", "ssl:"+port+":interface=127.0.0.1:privateKey="+key+":certKey="+cert)
	if err == nil || !strings.Contains(err.Error(), `"ssl:`+port) || !strings.Contains(err.Error(), "address already in use") {
		t.Fatalf("bind error %v", err)
	}
}
