package endpoint

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// testCert is a certificate and its key, made for one test.
type testCert struct {
	cert    *x509.Certificate
	key     *ecdsa.PrivateKey
	certPEM []byte
	keyPEM  []byte
}

// makeCert makes an ECDSA certificate for localhost, 127.0.0.1 and ::1,
// signed by parent (self-signed when parent is nil).
func makeCert(t testing.TB, cn string, isCA bool, parent *testCert) *testCert {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	serial, _ := rand.Int(rand.Reader, big.NewInt(1<<62))
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: cn},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  isCA,
	}
	if !isCA {
		tmpl.DNSNames = []string{"localhost"}
		tmpl.IPAddresses = []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback}
	}
	signer, signerKey := tmpl, key
	if parent != nil {
		signer, signerKey = parent.cert, parent.key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, signer, &key.PublicKey, signerKey)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	pkcs8, _ := x509.MarshalPKCS8PrivateKey(key)
	return &testCert{
		cert:    cert,
		key:     key,
		certPEM: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		keyPEM:  pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: pkcs8}),
	}
}

// writeFile writes b to dir/name and returns the path.
func writeFile(t testing.TB, dir, name string, b []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// writeTLSFiles fills dir with: key.pem and cert.pem (a self-signed leaf),
// server.pem (both in one), chain.pem (a CA certificate), dh.pem (a PEM
// block standing in for DH parameters), other-key.pem (a key that matches
// nothing) and garbage.txt. It returns the leaf.
func writeTLSFiles(t testing.TB, dir string) *testCert {
	t.Helper()
	leaf := makeCert(t, "leaf", false, nil)
	writeFile(t, dir, "key.pem", leaf.keyPEM)
	writeFile(t, dir, "cert.pem", leaf.certPEM)
	writeFile(t, dir, "server.pem", append(append([]byte{}, leaf.keyPEM...), leaf.certPEM...))
	writeFile(t, dir, "chain.pem", makeCert(t, "ca", true, nil).certPEM)
	writeFile(t, dir, "dh.pem", pem.EncodeToMemory(&pem.Block{Type: "DH PARAMETERS", Bytes: []byte{0x30, 0}}))
	writeFile(t, dir, "other-key.pem", makeCert(t, "other", false, nil).keyPEM)
	writeFile(t, dir, "garbage.txt", []byte("not pem at all\n"))
	return leaf
}
