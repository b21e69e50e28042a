package web

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/gotwistd/gotwistd/endpoint"
)

// certStore hands out certificates to every TLS endpoint: by SNI from
// --sni-dir when a name matches, else the endpoint's own. Reload re-reads
// every file; a failed reload keeps what was loaded before.
type certStore struct {
	eps    []*endpoint.TLS
	files  []string // absolute: the endpoints' key, certificate, chain files
	sniDir string
	sni    atomic.Pointer[sniTable]

	mu    sync.Mutex // one reload at a time; guards stamp
	stamp string
}

// sniTable maps lower-case DNS names to certificates; wildcard names
// ("*.example.com") are kept by their suffix ("example.com").
type sniTable struct {
	exact, wild map[string]*tls.Certificate
}

func newCertStore(eps []*endpoint.TLS, sniDir string) (*certStore, error) {
	cs := &certStore{eps: eps, sniDir: sniDir}
	for _, ep := range eps {
		for _, f := range []string{ep.PrivateKey, ep.CertKey, ep.ExtraCertChain} {
			if f != "" {
				abs, err := filepath.Abs(f)
				if err != nil {
					return nil, err
				}
				cs.files = append(cs.files, abs)
			}
		}
	}
	if sniDir != "" {
		t, err := loadSNIDir(sniDir)
		if err != nil {
			return nil, err
		}
		cs.sni.Store(t)
	}
	cs.stamp = cs.fingerprint()
	return cs, nil
}

// config returns the server configuration of one TLS endpoint: TLS 1.2 or
// newer, ALPN offering h2 unless http2 is false, certificates by SNI.
func (cs *certStore) config(ep *endpoint.TLS, http2 bool) *tls.Config {
	cfg := ep.Config()
	own := cfg.GetCertificate
	cfg.GetCertificate = func(hello *tls.ClientHelloInfo) (*tls.Certificate, error) {
		if t := cs.sni.Load(); t != nil {
			if c := t.lookup(hello.ServerName); c != nil {
				return c, nil
			}
		}
		return own(hello)
	}
	cfg.NextProtos = []string{"http/1.1"}
	if http2 {
		cfg.NextProtos = []string{"h2", "http/1.1"}
	}
	return cfg
}

func (t *sniTable) lookup(name string) *tls.Certificate {
	name = strings.ToLower(strings.TrimSuffix(name, "."))
	if name == "" {
		return nil
	}
	if c := t.exact[name]; c != nil {
		return c
	}
	if _, parent, ok := strings.Cut(name, "."); ok {
		return t.wild[parent]
	}
	return nil
}

// reload re-reads the endpoints' files and the SNI directory. Errors are
// joined; each part that loaded is in use afterwards.
func (cs *certStore) reload() error {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	var errs []error
	for _, ep := range cs.eps {
		if err := ep.Reload(); err != nil {
			errs = append(errs, err)
		}
	}
	if cs.sniDir != "" {
		t, err := loadSNIDir(cs.sniDir)
		if err != nil {
			errs = append(errs, err)
		} else {
			cs.sni.Store(t)
		}
	}
	cs.stamp = cs.fingerprint()
	return errors.Join(errs...)
}

// changed reports whether any certificate file's size or time differs
// from the last load.
func (cs *certStore) changed() bool {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	return cs.fingerprint() != cs.stamp
}

func (cs *certStore) fingerprint() string {
	var b strings.Builder
	stamp := func(p string) {
		b.WriteString(p)
		if fi, err := os.Stat(p); err == nil {
			b.WriteString(":" + strconv.FormatInt(fi.ModTime().UnixNano(), 10) + ":" + strconv.FormatInt(fi.Size(), 10))
		}
		b.WriteByte('\n')
	}
	for _, f := range cs.files {
		stamp(f)
	}
	if cs.sniDir != "" {
		names, _ := sniFiles(cs.sniDir)
		for _, n := range names {
			stamp(filepath.Join(cs.sniDir, n))
		}
	}
	return b.String()
}

// sniFiles lists the PEM files of an SNI directory, sorted.
func sniFiles(dir string) ([]string, error) {
	des, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, de := range des {
		n := de.Name()
		switch filepath.Ext(n) {
		case ".pem", ".crt", ".cert", ".key":
			if !strings.HasPrefix(n, ".") {
				out = append(out, n)
			}
		}
	}
	sort.Strings(out)
	return out, nil
}

// loadSNIDir reads every certificate of dir: NAME.crt (or .cert or .pem)
// with its key in NAME.key, or both in NAME.pem. Each certificate serves
// the DNS names of its subjectAltName (its file name when it has none).
// Any bad file fails the whole load, naming the file.
func loadSNIDir(dir string) (*sniTable, error) {
	names, err := sniFiles(dir)
	if err != nil {
		return nil, fmt.Errorf("--sni-dir %s: %w", dir, unwrapPath(err))
	}
	has := map[string]bool{}
	for _, n := range names {
		has[n] = true
	}
	t := &sniTable{exact: map[string]*tls.Certificate{}, wild: map[string]*tls.Certificate{}}
	for _, n := range names {
		ext := filepath.Ext(n)
		stem := strings.TrimSuffix(n, ext)
		if ext == ".key" || (ext == ".pem" && (has[stem+".crt"] || has[stem+".cert"])) {
			continue
		}
		keyFile := filepath.Join(dir, n)
		if has[stem+".key"] {
			keyFile = filepath.Join(dir, stem+".key")
		}
		cert, err := tls.LoadX509KeyPair(filepath.Join(dir, n), keyFile)
		if err != nil {
			return nil, fmt.Errorf("--sni-dir: %s: %v", filepath.Join(dir, n), err)
		}
		leaf := cert.Leaf
		if leaf == nil {
			if leaf, err = x509.ParseCertificate(cert.Certificate[0]); err != nil {
				return nil, fmt.Errorf("--sni-dir: %s: %v", filepath.Join(dir, n), err)
			}
		}
		dns := leaf.DNSNames
		if len(dns) == 0 {
			dns = []string{stem}
		}
		for _, d := range dns {
			d = strings.ToLower(d)
			if suffix, ok := strings.CutPrefix(d, "*."); ok {
				t.wild[suffix] = &cert
			} else {
				t.exact[d] = &cert
			}
		}
	}
	return t, nil
}
