package endpoint

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// tlsFiles are a TLS endpoint's file names, made absolute.
type tlsFiles struct{ key, cert, chain, dh string }

func resolveFiles(t *TLS) tlsFiles {
	return tlsFiles{abs(t.PrivateKey), abs(t.CertKey), abs(t.ExtraCertChain), abs(t.DHParameters)}
}

func abs(p string) string {
	if p == "" {
		return ""
	}
	if a, err := filepath.Abs(p); err == nil {
		return a
	}
	return p
}

// loadCertificate reads and checks the files. Errors are ParseErrors (no
// Desc) naming the parameter and the absolute file path.
func loadCertificate(f tlsFiles) (*tls.Certificate, error) {
	keyPEM, err := readPEM("privateKey", f.key)
	if err != nil {
		return nil, err
	}
	certPEM, err := readPEM("certKey", f.cert)
	if err != nil {
		return nil, err
	}
	if err := findKey(f.key, keyPEM); err != nil {
		return nil, err
	}
	if len(pemBlocks(certPEM, "CERTIFICATE")) == 0 {
		return nil, bad("certKey", "certKey file %s holds no PEM certificate", quote(f.cert))
	}
	cert, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		if strings.Contains(err.Error(), "does not match") {
			return nil, bad("privateKey", "privateKey file %s does not match the certificate in %s", quote(f.key), quote(f.cert))
		}
		return nil, bad("certKey", "certKey file %s with privateKey file %s: %v", quote(f.cert), quote(f.key), err)
	}
	if f.chain != "" {
		chainPEM, err := readPEM("extraCertChain", f.chain)
		if err != nil {
			return nil, err
		}
		ders := pemBlocks(chainPEM, "CERTIFICATE")
		if len(ders) == 0 {
			return nil, bad("extraCertChain", "extraCertChain file %s holds no PEM certificate", quote(f.chain))
		}
		for _, der := range ders {
			if _, err := x509.ParseCertificate(der); err != nil {
				return nil, bad("extraCertChain", "extraCertChain file %s holds a bad certificate: %v", quote(f.chain), err)
			}
		}
		cert.Certificate = append(cert.Certificate, ders...)
	}
	if f.dh != "" {
		if _, err := readPEM("dhParameters", f.dh); err != nil {
			return nil, err
		}
	}
	return &cert, nil
}

// readPEM reads a file that must hold at least one PEM block.
func readPEM(param, path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		reason := err.Error()
		var pe *fs.PathError
		if errors.As(err, &pe) {
			reason = pe.Err.Error()
		}
		return nil, bad(param, "%s file %s: %s", param, quote(path), reason)
	}
	if blk, _ := pem.Decode(b); blk == nil {
		return nil, bad(param, "%s file %s is not PEM (no -----BEGIN line)", param, quote(path))
	}
	return b, nil
}

// findKey checks that the key file holds an unencrypted PEM private key.
func findKey(path string, b []byte) error {
	for {
		var blk *pem.Block
		if blk, b = pem.Decode(b); blk == nil {
			return bad("privateKey", "privateKey file %s holds no PEM private key", quote(path))
		}
		if blk.Type == "ENCRYPTED PRIVATE KEY" || strings.Contains(blk.Headers["Proc-Type"], "ENCRYPTED") {
			return bad("privateKey", "privateKey file %s is encrypted and gotwistd cannot ask for a passphrase; decrypt it with openssl pkey", quote(path))
		}
		if strings.HasSuffix(blk.Type, "PRIVATE KEY") {
			return nil
		}
	}
}

// pemBlocks returns the DER bytes of every block of the given type.
func pemBlocks(b []byte, typ string) [][]byte {
	var out [][]byte
	for {
		var blk *pem.Block
		if blk, b = pem.Decode(b); blk == nil {
			return out
		}
		if blk.Type == typ {
			out = append(out, blk.Bytes)
		}
	}
}
