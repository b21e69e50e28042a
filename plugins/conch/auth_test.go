package conch

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"golang.org/x/crypto/ssh"
)

// installKeys writes lines as acct's ~/.ssh/authorized_keys, owned by acct.
func installKeys(t *testing.T, acct *account, lines ...string) string {
	t.Helper()
	dir := filepath.Join(acct.Home, ".ssh")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	p := writeFile(t, dir, "authorized_keys", strings.Join(lines, "\n")+"\n")
	for _, f := range []string{dir, p} {
		if err := os.Chown(f, int(acct.UID), int(acct.GID)); err != nil {
			t.Fatal(err)
		}
	}
	return p
}

func TestPublicKeyFromHomeDirectory(t *testing.T) {
	acct := testUser(t)
	good, other := newKey(t), newKey(t)
	path := installKeys(t, acct, "# comment", authorizedLine(good)+" alice@laptop")
	r := start(t, "--auth", "sshkey")

	c := r.dial(t, acct.Name, ssh.PublicKeys(good))
	out, _, _ := run(t, c, "id -u")
	if strings.TrimSpace(out) != strconv.Itoa(int(acct.UID)) {
		t.Errorf("id -u = %q", out)
	}
	r.logs.wait(t, "accepted publickey for "+acct.Name, "ED25519 "+ssh.FingerprintSHA256(good.PublicKey()))

	// An unknown key fails, and the log names it.
	if _, err := ssh.Dial("tcp", r.addr, r.config(acct.Name, ssh.PublicKeys(other))); err == nil {
		t.Error("unknown key accepted")
	}
	r.logs.wait(t, "failed publickey for "+acct.Name, "from 127.0.0.1", ssh.FingerprintSHA256(other.PublicKey()), "not in "+path)

	// The account's key does not open another account.
	if _, err := ssh.Dial("tcp", r.addr, r.config("root", ssh.PublicKeys(good))); err == nil {
		t.Error("the test account's key logged in as root")
	}
	r.logs.wait(t, "failed publickey for root", ssh.FingerprintSHA256(good.PublicKey()))

	// A file others may write is refused (sshd's StrictModes).
	if err := os.Chmod(path, 0o666); err != nil {
		t.Fatal(err)
	}
	if _, err := ssh.Dial("tcp", r.addr, r.config(acct.Name, ssh.PublicKeys(good))); err == nil {
		t.Error("world-writable authorized_keys accepted")
	}
	r.logs.wait(t, "bad modes for "+path)
	os.Chmod(path, 0o600)
	if err := os.Chmod(filepath.Dir(path), 0o777); err != nil {
		t.Fatal(err)
	}
	if _, err := ssh.Dial("tcp", r.addr, r.config(acct.Name, ssh.PublicKeys(good))); err == nil {
		t.Error("authorized_keys in a world-writable directory accepted")
	}
	os.Chmod(filepath.Dir(path), 0o700)
}

// keysFile starts conch with --authorized-keys pointing at a file of the
// given lines, for the account the tests run as.
func keysFile(t *testing.T, lines ...string) *running {
	t.Helper()
	p := writeFile(t, t.TempDir(), "keys", strings.Join(lines, "\n")+"\n")
	return start(t, "--auth", "sshkey", "--authorized-keys", p)
}

func TestKeyOptions(t *testing.T) {
	k := newKey(t)
	t.Run("from", func(t *testing.T) {
		r := keysFile(t, `from="10.0.0.0/8,!127.0.0.1" `+authorizedLine(k))
		if _, err := ssh.Dial("tcp", r.addr, r.config(me(t), ssh.PublicKeys(k))); err == nil {
			t.Fatal("login from an address outside from= accepted")
		}
		r.logs.wait(t, "address not allowed by from=")
		r2 := keysFile(t, `from="127.0.0.*" `+authorizedLine(k))
		r2.dial(t, me(t), ssh.PublicKeys(k))
	})
	t.Run("command", func(t *testing.T) {
		r := keysFile(t, `command="echo forced:$SSH_ORIGINAL_COMMAND" `+authorizedLine(k))
		c := r.dial(t, me(t), ssh.PublicKeys(k))
		if out, _, _ := run(t, c, "id -u"); out != "forced:id -u\n" {
			t.Errorf("forced command output %q", out)
		}
	})
	t.Run("no-pty", func(t *testing.T) {
		r := keysFile(t, `no-pty `+authorizedLine(k))
		c := r.dial(t, me(t), ssh.PublicKeys(k))
		s, err := c.NewSession()
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		if err := s.RequestPty("xterm", 24, 80, nil); err == nil {
			t.Error("pty granted despite no-pty")
		}
	})
	t.Run("unknown option skips the line", func(t *testing.T) {
		r := keysFile(t, `frobnicate `+authorizedLine(k))
		if _, err := ssh.Dial("tcp", r.addr, r.config(me(t), ssh.PublicKeys(k))); err == nil {
			t.Fatal("key with an unknown option accepted")
		}
		r.logs.wait(t, "skipped line 1", "frobnicate")
	})
}

func TestUnixPasswords(t *testing.T) {
	acct := testUser(t)
	if _, err := exec.LookPath("chpasswd"); err != nil {
		t.Skip("chpasswd not installed")
	}
	r := start(t, "--auth", "unix")
	for _, method := range []string{"SHA512", "YESCRYPT", "SHA256"} {
		t.Run(method, func(t *testing.T) {
			pw := "pw-" + strings.ToLower(method)
			cmd := exec.Command("chpasswd", "-c", method)
			cmd.Stdin = strings.NewReader(acct.Name + ":" + pw + "\n")
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Skipf("chpasswd -c %s: %v: %s", method, err, out)
			}
			c := r.dial(t, acct.Name, ssh.Password(pw))
			if out, _, _ := run(t, c, "id -un"); strings.TrimSpace(out) != acct.Name {
				t.Errorf("id -un = %q", out)
			}
			if _, err := ssh.Dial("tcp", r.addr, r.config(acct.Name, ssh.Password(pw+"x"))); err == nil {
				t.Error("wrong system password accepted")
			}
		})
	}
	// A locked account never logs in, whatever the password.
	if out, err := exec.Command("usermod", "-L", acct.Name).CombinedOutput(); err != nil {
		t.Fatalf("usermod -L: %v %s", err, out)
	}
	defer exec.Command("usermod", "-U", acct.Name).Run()
	if _, err := ssh.Dial("tcp", r.addr, r.config(acct.Name, ssh.Password("pw-sha256"))); err == nil {
		t.Error("locked account logged in")
	}
}

func TestWrongPasswordsAndUnknownUsers(t *testing.T) {
	r := start(t, "--auth", "memory:"+me(t)+":right", "--max-auth-tries", "3")
	tries := 0
	cb := ssh.RetryableAuthMethod(ssh.PasswordCallback(func() (string, error) {
		tries++
		return "wrong" + strconv.Itoa(tries), nil
	}), 10)
	if _, err := ssh.Dial("tcp", r.addr, r.config(me(t), cb)); err == nil {
		t.Fatal("wrong passwords accepted")
	}
	if tries > 3 {
		t.Errorf("client could try %d passwords with --max-auth-tries 3", tries)
	}
	if _, err := ssh.Dial("tcp", r.addr, r.config("no-such-user-x", ssh.Password("right"))); err == nil {
		t.Fatal("unknown user accepted")
	}
	r.logs.wait(t, "failed password for ", "no-such-user-x from 127.0.0.1 port")
	if isRoot() {
		r.logs.wait(t, "failed password for invalid user no-such-user-x from 127.0.0.1 port")
	}
	// A user name made to forge log lines is quoted.
	ssh.Dial("tcp", r.addr, r.config("x\nroot accepted", ssh.Password("right")))
	r.logs.wait(t, `failed password for `, `"x\nroot accepted" from`)
	// And the right password still works.
	r.dial(t, me(t), ssh.Password("right"))
}

// When the server is not root only its own account may log in.
func TestOnlyRunningUserWhenNotRoot(t *testing.T) {
	a := &authenticator{specs: authSpecs{memory: map[string]string{"root": "pw", "alice": "pw"}}, accounts: systemAccounts(), onlyUser: "alice", log: newTestLogger()}
	if _, why := a.account("root"); !strings.Contains(why, "only alice may log in") {
		t.Errorf("root while running as alice: %q", why)
	}
}

// The default algorithms refuse SHA-1 and CBC; --legacy-algorithms lets
// an old client in.
func TestModernAlgorithmsOnly(t *testing.T) {
	r := start(t, "--auth", "memory:"+me(t)+":pw")
	old := []struct {
		name string
		set  func(*ssh.ClientConfig)
	}{
		{"dh-group14-sha1", func(c *ssh.ClientConfig) { c.KeyExchanges = []string{ssh.InsecureKeyExchangeDH14SHA1} }},
		{"dh-group1-sha1", func(c *ssh.ClientConfig) { c.KeyExchanges = []string{ssh.InsecureKeyExchangeDH1SHA1} }},
		{"aes128-cbc", func(c *ssh.ClientConfig) { c.Ciphers = []string{ssh.InsecureCipherAES128CBC} }},
		{"3des-cbc", func(c *ssh.ClientConfig) { c.Ciphers = []string{ssh.InsecureCipherTripleDESCBC} }},
		{"hmac-sha1", func(c *ssh.ClientConfig) {
			c.Ciphers = []string{ssh.CipherAES128CTR}
			c.MACs = []string{ssh.HMACSHA1}
		}},
	}
	for _, o := range old {
		cfg := r.config(me(t), ssh.Password("pw"))
		o.set(cfg)
		if _, err := ssh.Dial("tcp", r.addr, cfg); err == nil {
			t.Errorf("%s negotiated by default", o.name)
		}
	}
	legacy := start(t, "--auth", "memory:"+me(t)+":pw", "--legacy-algorithms")
	for _, o := range old[:1] {
		cfg := legacy.config(me(t), ssh.Password("pw"))
		o.set(cfg)
		c, err := ssh.Dial("tcp", legacy.addr, cfg)
		if err != nil {
			t.Errorf("%s refused with --legacy-algorithms: %v", o.name, err)
			continue
		}
		c.Close()
	}
}

// An authorized_keys that is a FIFO or a device is refused without
// blocking the login.
func TestAuthorizedKeysNotARegularFile(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "keys")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	k := newKey(t)
	r := start(t, "--auth", "sshkey", "--authorized-keys", fifo)
	if _, err := ssh.Dial("tcp", r.addr, r.config(me(t), ssh.PublicKeys(k))); err == nil {
		t.Fatal("login with a FIFO as authorized_keys")
	}
	r.logs.wait(t, "not a regular file")
	r2 := start(t, "--auth", "sshkey", "--authorized-keys", "/dev/zero")
	if _, err := ssh.Dial("tcp", r2.addr, r2.config(me(t), ssh.PublicKeys(k))); err == nil {
		t.Fatal("login with /dev/zero as authorized_keys")
	}
}
