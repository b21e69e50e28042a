package endpoint

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"net"
	"path/filepath"
	"strings"
	"testing"
)

// TestTLSParse runs in a directory holding the files of writeTLSFiles, as
// a user would write relative names.
func TestTLSParse(t *testing.T) {
	dir := t.TempDir()
	writeTLSFiles(t, dir)
	t.Chdir(dir)
	tcp := TCP{Port: 8443, Backlog: 50}
	for _, c := range []struct {
		desc, canon string
		want        TLS
	}{
		{"ssl:8443", "ssl:8443:privateKey=server.pem:certKey=server.pem",
			TLS{TCP: tcp, PrivateKey: "server.pem", CertKey: "server.pem"}},
		{"ssl:8443:privateKey=key.pem:certKey=cert.pem:extraCertChain=chain.pem:dhParameters=dh.pem",
			"ssl:8443:privateKey=key.pem:certKey=cert.pem:extraCertChain=chain.pem:dhParameters=dh.pem",
			TLS{TCP: tcp, PrivateKey: "key.pem", CertKey: "cert.pem", ExtraCertChain: "chain.pem", DHParameters: "dh.pem"}},
		{"TLS:8443:privateKey=key.pem:certKey=cert.pem", "ssl:8443:privateKey=key.pem:certKey=cert.pem",
			TLS{TCP: tcp, PrivateKey: "key.pem", CertKey: "cert.pem"}},
		{"ssl:8443:key.pem:cert.pem:TLSv1_2_METHOD:127.0.0.1:5:chain.pem:dh.pem",
			"ssl:8443:privateKey=key.pem:certKey=cert.pem:sslmethod=TLSv1_2_METHOD:interface=127.0.0.1:backlog=5:extraCertChain=chain.pem:dhParameters=dh.pem",
			TLS{TCP: TCP{Port: 8443, Interface: "127.0.0.1", Backlog: 5}, PrivateKey: "key.pem", CertKey: "cert.pem", SSLMethod: "TLSv1_2_METHOD", ExtraCertChain: "chain.pem", DHParameters: "dh.pem"}},
		{"ssl:8443:sslmethod=tls_method", "ssl:8443:privateKey=server.pem:certKey=server.pem:sslmethod=TLS_METHOD",
			TLS{TCP: tcp, PrivateKey: "server.pem", CertKey: "server.pem", SSLMethod: "TLS_METHOD"}},
		{"ssl:8443:sslmethod=SSLv23_METHOD", "ssl:8443:privateKey=server.pem:certKey=server.pem:sslmethod=SSLv23_METHOD",
			TLS{TCP: tcp, PrivateKey: "server.pem", CertKey: "server.pem", SSLMethod: "SSLv23_METHOD"}},
		{"ssl:8443:" + Escape(dir+"/key.pem") + ":certKey=" + Escape(dir+"/cert.pem"),
			"ssl:8443:privateKey=" + Escape(dir+"/key.pem") + ":certKey=" + Escape(dir+"/cert.pem"),
			TLS{TCP: tcp, PrivateKey: dir + "/key.pem", CertKey: dir + "/cert.pem"}},
	} {
		e, err := Parse(c.desc)
		if err != nil {
			t.Errorf("%s: %v", c.desc, err)
			continue
		}
		got := comparable(e).([2]any)
		if got[0] != c.want {
			t.Errorf("%s: got %#v, want %#v", c.desc, got[0], c.want)
		}
		if files := got[1].(tlsFiles); !filepath.IsAbs(files.key) || !filepath.IsAbs(files.cert) {
			t.Errorf("%s: files not resolved: %#v", c.desc, files)
		}
		if e.String() != c.canon {
			t.Errorf("%s: String() = %s, want %s", c.desc, e.String(), c.canon)
		}
		if again, err := Parse(e.String()); err != nil || !sameEndpoint(again, e) {
			t.Errorf("%s: re-parse: %v", c.desc, err)
		}
	}
}

func TestTLSFileErrors(t *testing.T) {
	dir := t.TempDir()
	writeTLSFiles(t, dir)
	writeFile(t, dir, "encrypted.pem", pem.EncodeToMemory(&pem.Block{Type: "ENCRYPTED PRIVATE KEY", Bytes: []byte{1}}))
	t.Chdir(dir)
	abs := func(name string) string { return filepath.Join(dir, name) }
	for _, c := range []struct{ desc, field, says string }{
		{"ssl:8443:privateKey=missing.pem", "privateKey", `privateKey file "` + abs("missing.pem") + `": no such file or directory`},
		{"ssl:8443:privateKey=key.pem:certKey=missing.pem", "certKey", `certKey file "` + abs("missing.pem") + `": no such file`},
		{"ssl:8443:privateKey=garbage.txt:certKey=cert.pem", "privateKey", `privateKey file "` + abs("garbage.txt") + `" is not PEM`},
		{"ssl:8443:privateKey=cert.pem", "privateKey", `privateKey file "` + abs("cert.pem") + `" holds no PEM private key`},
		{"ssl:8443:privateKey=key.pem:certKey=key.pem", "certKey", `certKey file "` + abs("key.pem") + `" holds no PEM certificate`},
		{"ssl:8443:privateKey=other-key.pem:certKey=cert.pem", "privateKey", `privateKey file "` + abs("other-key.pem") + `" does not match the certificate in "` + abs("cert.pem") + `"`},
		{"ssl:8443:privateKey=encrypted.pem:certKey=cert.pem", "privateKey", "is encrypted"},
		{"ssl:8443:privateKey=key.pem:certKey=cert.pem:extraCertChain=key.pem", "extraCertChain", `extraCertChain file "` + abs("key.pem") + `" holds no PEM certificate`},
		{"ssl:8443:privateKey=key.pem:certKey=cert.pem:extraCertChain=missing.pem", "extraCertChain", "no such file"},
		{"ssl:8443:privateKey=key.pem:certKey=cert.pem:dhParameters=garbage.txt", "dhParameters", "is not PEM"},
		{"ssl:8443:privateKey=.", "privateKey", "is a directory"},
	} {
		_, err := Parse(c.desc)
		var pe *ParseError
		if !errors.As(err, &pe) || pe.Field != c.field || pe.Desc != c.desc || !strings.Contains(err.Error(), c.says) {
			t.Errorf("%s: got %v (field %q), want field %s saying %q", c.desc, err, fieldOf(pe), c.field, c.says)
		}
	}
}

func fieldOf(pe *ParseError) string {
	if pe == nil {
		return ""
	}
	return pe.Field
}

// tlsEndpoint writes a fresh leaf to dir and parses an ssl endpoint on a
// free loopback port for it.
func tlsEndpoint(t *testing.T, dir string, extra string) (*TLS, *testCert) {
	t.Helper()
	leaf := makeCert(t, "leaf", false, nil)
	key := writeFile(t, dir, "key.pem", leaf.keyPEM)
	cert := writeFile(t, dir, "cert.pem", leaf.certPEM)
	e := mustParse(t, "ssl:0:privateKey="+Escape(key)+":certKey="+Escape(cert)+":interface=127.0.0.1"+extra)
	return e.(*TLS), leaf
}

func clientConfig(roots ...*x509.Certificate) *tls.Config {
	pool := x509.NewCertPool()
	for _, c := range roots {
		pool.AddCert(c)
	}
	return &tls.Config{RootCAs: pool, ServerName: "localhost"}
}

func TestTLSHandshake13(t *testing.T) {
	e, leaf := tlsEndpoint(t, t.TempDir(), "")
	l, err := e.Listen(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	exchange(t, l, func() (net.Conn, error) {
		c, err := tls.Dial("tcp", l.Addr().String(), clientConfig(leaf.cert))
		if err == nil && c.ConnectionState().Version != tls.VersionTLS13 {
			t.Errorf("negotiated %s, want TLS 1.3", tls.VersionName(c.ConnectionState().Version))
		}
		return c, err
	})
}

func TestTLSRefusesTLS11(t *testing.T) {
	e, leaf := tlsEndpoint(t, t.TempDir(), "")
	l, err := e.Listen(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	done := make(chan error)
	go func() {
		c, err := l.Accept()
		if err == nil {
			err = c.(*tls.Conn).Handshake()
			c.Close()
		}
		done <- err
	}()
	cfg := clientConfig(leaf.cert)
	cfg.MinVersion, cfg.MaxVersion = tls.VersionTLS10, tls.VersionTLS11
	c, err := tls.Dial("tcp", l.Addr().String(), cfg)
	if err == nil {
		c.Close()
		t.Error("a TLS 1.1 client completed a handshake")
	}
	if err := <-done; err == nil || !strings.Contains(err.Error(), "version") {
		t.Errorf("server handshake: %v, want a protocol version error", err)
	}
}

// serveTLS accepts and handshakes until l is closed; the returned function
// closes l and waits.
func serveTLS(l net.Listener) (stop func()) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			c.(*tls.Conn).Handshake()
			c.Close()
		}
	}()
	return func() { l.Close(); <-done }
}

// peerSerial handshakes with the server and returns its leaf serial.
func peerSerial(t *testing.T, addr string, cfg *tls.Config) string {
	t.Helper()
	c, err := tls.Dial("tcp", addr, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	return c.ConnectionState().PeerCertificates[0].SerialNumber.String()
}

func TestTLSReload(t *testing.T) {
	dir := t.TempDir()
	e, first := tlsEndpoint(t, dir, "")
	l, err := e.Listen(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer serveTLS(l)()
	second := makeCert(t, "renewed", false, nil)
	cfg := clientConfig(first.cert, second.cert)
	if got := peerSerial(t, l.Addr().String(), cfg); got != first.cert.SerialNumber.String() {
		t.Fatalf("first handshake served serial %s", got)
	}

	writeFile(t, dir, "key.pem", second.keyPEM)
	writeFile(t, dir, "cert.pem", second.certPEM)
	if err := e.Reload(); err != nil {
		t.Fatal(err)
	}
	if got := peerSerial(t, l.Addr().String(), cfg); got != second.cert.SerialNumber.String() {
		t.Errorf("after Reload served serial %s, want the renewed %s", got, second.cert.SerialNumber)
	}

	writeFile(t, dir, "cert.pem", []byte("truncated"))
	err = e.Reload()
	var pe *ParseError
	if !errors.As(err, &pe) || pe.Field != "certKey" || pe.Desc != e.String() {
		t.Errorf("Reload of a broken file = %v, want a certKey ParseError", err)
	}
	if got := peerSerial(t, l.Addr().String(), cfg); got != second.cert.SerialNumber.String() {
		t.Errorf("a failed Reload changed the certificate to %s", got)
	}
}

// TestTLSReloadConcurrent runs Reload beside handshakes (for -race).
func TestTLSReloadConcurrent(t *testing.T) {
	e, leaf := tlsEndpoint(t, t.TempDir(), "")
	l, err := e.Listen(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer serveTLS(l)()
	done := make(chan struct{})
	go func() {
		defer close(done)
		for range 20 {
			if err := e.Reload(); err != nil {
				t.Error(err)
			}
		}
	}()
	for range 5 {
		peerSerial(t, l.Addr().String(), clientConfig(leaf.cert))
	}
	<-done
}

// TestTLSChain: the server sends the intermediate from extraCertChain, so a
// client that trusts only the root verifies the leaf.
func TestTLSChain(t *testing.T) {
	dir := t.TempDir()
	root := makeCert(t, "root", true, nil)
	mid := makeCert(t, "intermediate", true, root)
	leaf := makeCert(t, "leaf", false, mid)
	key := writeFile(t, dir, "key.pem", leaf.keyPEM)
	cert := writeFile(t, dir, "cert.pem", leaf.certPEM)
	chain := writeFile(t, dir, "chain.pem", mid.certPEM)
	base := "ssl:0:privateKey=" + Escape(key) + ":certKey=" + Escape(cert) + ":interface=127.0.0.1"

	l, err := mustParse(t, base+":extraCertChain="+Escape(chain)).Listen(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer serveTLS(l)()
	c, err := tls.Dial("tcp", l.Addr().String(), clientConfig(root.cert))
	if err != nil {
		t.Fatalf("handshake with chain: %v", err)
	}
	if n := len(c.ConnectionState().PeerCertificates); n != 2 {
		t.Errorf("server sent %d certificates, want leaf and intermediate", n)
	}
	c.Close()

	l2, err := mustParse(t, base).Listen(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer serveTLS(l2)()
	if c, err := tls.Dial("tcp", l2.Addr().String(), clientConfig(root.cert)); err == nil {
		c.Close()
		t.Error("without the chain a root-only client verified the leaf")
	}
}

func TestTLSConfig(t *testing.T) {
	e, _ := tlsEndpoint(t, t.TempDir(), "")
	cfg := e.Config()
	if cfg.MinVersion != tls.VersionTLS12 {
		t.Errorf("MinVersion = %x", cfg.MinVersion)
	}
	if c, err := cfg.GetCertificate(nil); err != nil || c == nil {
		t.Errorf("GetCertificate = %v, %v", c, err)
	}
	var zero TLS
	if _, err := zero.Config().GetCertificate(nil); err == nil {
		t.Error("an unloaded TLS handed out a certificate")
	}
	if l, err := zero.Listen(context.Background(), nil); err == nil {
		l.Close()
		t.Error("an unloaded TLS listened")
	}
}
