package conch

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"golang.org/x/crypto/ssh"
)

// hostKeyFile is the name of the key generated when --data has none.
const hostKeyFile = "ssh_host_ed25519_key"

// hostKey is one loaded host key and the file it came from.
type hostKey struct {
	path   string
	signer ssh.Signer
}

// describe is "ED25519 SHA256:..." for log lines.
func (k hostKey) describe() string {
	return keyDescription(k.signer.PublicKey())
}

func keyDescription(pub ssh.PublicKey) string {
	t := strings.TrimPrefix(pub.Type(), "ssh-")
	switch {
	case strings.HasPrefix(t, "ecdsa"):
		t = "ECDSA"
	case t == "ed25519":
		t = "ED25519"
	case t == "rsa":
		t = "RSA"
	}
	return t + " " + ssh.FingerprintSHA256(pub)
}

// loadHostKeys reads every ssh_host_*_key in dir (OpenSSH's names, also
// twistd's), skipping the .pub files. It fails on a key it cannot use:
// a server that silently drops a configured host key would change
// identity under its clients. A missing or empty set is not an error;
// the caller generates a key.
func loadHostKeys(dir string) ([]hostKey, []string, error) {
	names, err := filepath.Glob(filepath.Join(dir, "ssh_host_*_key"))
	if err != nil {
		return nil, nil, err
	}
	sort.Strings(names)
	var keys []hostKey
	var notes []string
	for _, name := range names {
		data, err := os.ReadFile(name)
		if err != nil {
			return nil, nil, fmt.Errorf("host key: %w", err)
		}
		signer, err := ssh.ParsePrivateKey(data)
		if err != nil {
			var missing *ssh.PassphraseMissingError
			if errors.As(err, &missing) {
				return nil, nil, fmt.Errorf("host key %s is protected by a passphrase; host keys must be readable without one", name)
			}
			return nil, nil, fmt.Errorf("host key %s: %v", name, err)
		}
		if signer.PublicKey().Type() == ssh.KeyAlgoDSA {
			notes = append(notes, fmt.Sprintf("host key %s skipped: ssh-dss is no longer offered", name))
			continue
		}
		keys = append(keys, hostKey{path: name, signer: signer})
	}
	return keys, notes, nil
}

// generateHostKey writes a new ed25519 key to dir/ssh_host_ed25519_key
// (mode 0600, created exclusively, so a key that appeared in between is
// never overwritten) and its public half to the .pub file beside it.
func generateHostKey(dir string) (hostKey, error) {
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return hostKey{}, err
	}
	block, err := ssh.MarshalPrivateKey(priv, "gotwistd conch host key")
	if err != nil {
		return hostKey{}, err
	}
	path := filepath.Join(dir, hostKeyFile)
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return hostKey{}, fmt.Errorf("generating host key: %w", err)
	}
	if err := f.Chmod(0o600); err != nil { // whatever the umask
		f.Close()
		return hostKey{}, err
	}
	if _, err := f.Write(pem.EncodeToMemory(block)); err != nil {
		f.Close()
		return hostKey{}, fmt.Errorf("writing %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return hostKey{}, fmt.Errorf("writing %s: %w", path, err)
	}
	signer, err := ssh.NewSignerFromKey(priv)
	if err != nil {
		return hostKey{}, err
	}
	pub := ssh.MarshalAuthorizedKey(signer.PublicKey())
	pub = append(pub[:len(pub)-1], []byte(" gotwistd conch host key\n")...)
	if err := os.WriteFile(path+".pub", pub, 0o644); err != nil {
		return hostKey{}, fmt.Errorf("writing %s.pub: %w", path, err)
	}
	return hostKey{path: path, signer: signer}, nil
}
