package conch

import (
	"crypto/rand"
	"crypto/rsa"
	"encoding/pem"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/crypto/ssh"

	"github.com/gotwistd/gotwistd/runner"
)

func TestBadOptionsFailInMake(t *testing.T) {
	dir := t.TempDir()
	file := writeFile(t, dir, "pw", "a:b\n")
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"--auth", "bogus"}, `unknown type "bogus"`},
		{[]string{"--auth", "anonymous"}, "not offered"},
		{[]string{"--auth", "memory:alice"}, "user:password pairs"},
		{[]string{"--auth", "memory::pw"}, "empty user name"},
		{[]string{"--auth", "unix:x"}, "takes no argument"},
		{[]string{"--auth", "file:"}, "needs a path"},
		{[]string{"--auth", "file:" + filepath.Join(dir, "missing")}, "no such file"},
		{[]string{"--auth", "file:" + dir}, "not a regular file"},
		{[]string{"-p", "udp:2222"}, "streams"},
		{[]string{"-p", "tcp:2222:interface=127.0.0.1", "-i", "::1"}, "already names an interface"},
		{[]string{"-p", "nonsense:1"}, "nonsense"},
		{[]string{"--data", filepath.Join(dir, "missing")}, "no such file"},
		{[]string{"--data", file}, "not a directory"},
		{[]string{"--sftp-root", file}, "not a directory"},
		{[]string{"--max-auth-tries", "0"}, "1 or more"},
		{[]string{"--max-startups", "0"}, "1 or more"},
		{[]string{"--max-sessions", "0"}, "1 or more"},
		{[]string{"--login-grace-time", "-1s"}, "0 (never) or more"},
		{[]string{"--accept-env", "["}, "syntax error"},
		{[]string{"--help-auth-type", "kerberos"}, "unknown authentication type"},
	}
	for _, c := range cases {
		args := c.args
		if !containsArg(args, "--data") {
			args = append(args, "--data", dir)
		}
		_, err := runner.Build(Plugin(), args, runner.Env{})
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: error %v, want one containing %q", c.args, err, c.want)
		}
	}
}

func containsArg(args []string, a string) bool {
	for _, x := range args {
		if x == a {
			return true
		}
	}
	return false
}

func TestOptionsAsTwistdSpellsThem(t *testing.T) {
	dir := t.TempDir()
	cases := []struct {
		args     []string
		endpoint string
		auth     string
	}{
		{nil, "tcp:22", "unix, sshkey"},
		{[]string{"-p", "2222", "-i", "127.0.0.1"}, "tcp:2222:interface=127.0.0.1", "unix, sshkey"},
		{[]string{"--port", "tcp:2222", "--interface", "::1"}, "tcp:2222:interface=\\:\\:1", "unix, sshkey"},
		{[]string{"--auth", "memory:a:b:c:d", "--auth", "sshkey"}, "tcp:22", "memory (2 users), sshkey"},
	}
	for _, c := range cases {
		svc, err := runner.Build(Plugin(), append(c.args, "-d", dir), runner.Env{})
		if err != nil {
			t.Errorf("%v: %v", c.args, err)
			continue
		}
		s := svc.(*Service)
		if got := s.cfg.listen.String(); got != c.endpoint {
			t.Errorf("%v: endpoint %s, want %s", c.args, got, c.endpoint)
		}
		if got := s.cfg.auth.String(); got != c.auth {
			t.Errorf("%v: auth %q, want %q", c.args, got, c.auth)
		}
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 0 {
		t.Errorf("Make wrote into --data: %v", ents)
	}
}

func TestHostKeyGeneratedOnceWithMode0600(t *testing.T) {
	dir := t.TempDir()
	r := start(t, "--auth", "memory:"+me(t)+":pw", "--data", dir)
	key := filepath.Join(dir, hostKeyFile)
	st, err := os.Stat(key)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Errorf("generated host key mode %#o, want 0600", st.Mode().Perm())
	}
	pub, err := os.ReadFile(key + ".pub")
	if err != nil {
		t.Fatal(err)
	}
	pk, _, _, _, err := ssh.ParseAuthorizedKey(pub)
	if err != nil || ssh.FingerprintSHA256(pk) != ssh.FingerprintSHA256(r.hostKey) {
		t.Errorf(".pub file does not match the key: %v", err)
	}
	r.logs.wait(t, "generated "+key, "ED25519 "+ssh.FingerprintSHA256(r.hostKey))
	r.dial(t, me(t), ssh.Password("pw"))

	// A second server on the same directory reuses the key.
	r2 := start(t, "--auth", "memory:"+me(t)+":pw", "--data", dir)
	if ssh.FingerprintSHA256(r2.hostKey) != ssh.FingerprintSHA256(r.hostKey) {
		t.Error("host key changed between runs")
	}
	if r2.logs.has("generated") {
		t.Error("key generated although one exists")
	}
	r2.logs.wait(t, "host key "+key)
}

func TestHostKeyProblemsFailInMake(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "ssh_host_rsa_key", "not a key\n")
	if _, err := runner.Build(Plugin(), []string{"-d", dir}, runner.Env{}); err == nil || !strings.Contains(err.Error(), "ssh_host_rsa_key") {
		t.Errorf("garbage host key: %v", err)
	}
	dir2 := t.TempDir()
	priv, _ := rsa.GenerateKey(rand.Reader, 2048)
	block, err := ssh.MarshalPrivateKeyWithPassphrase(priv, "", []byte("secret"))
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, dir2, "ssh_host_rsa_key", string(pem.EncodeToMemory(block)))
	if _, err := runner.Build(Plugin(), []string{"-d", dir2}, runner.Env{}); err == nil || !strings.Contains(err.Error(), "passphrase") {
		t.Errorf("encrypted host key: %v", err)
	}
}

// An RSA host key signs with SHA-2 only; an ssh-rsa-only client is refused.
func TestRSAHostKeyWithoutSHA1(t *testing.T) {
	dir := t.TempDir()
	priv, _ := rsa.GenerateKey(rand.Reader, 2048)
	block, err := ssh.MarshalPrivateKey(priv, "")
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, dir, "ssh_host_rsa_key", string(pem.EncodeToMemory(block)))
	r := start(t, "--auth", "memory:"+me(t)+":pw", "--data", dir)
	for algo, ok := range map[string]bool{ssh.KeyAlgoRSA: false, ssh.KeyAlgoRSASHA256: true, ssh.KeyAlgoRSASHA512: true} {
		cfg := r.config(me(t), ssh.Password("pw"))
		cfg.HostKeyAlgorithms = []string{algo}
		c, err := ssh.Dial("tcp", r.addr, cfg)
		if (err == nil) != ok {
			t.Errorf("host key algorithm %s: err %v, want success %v", algo, err, ok)
		}
		if c != nil {
			c.Close()
		}
	}
}

// --accept-env replaces the default list rather than adding to it.
func TestAcceptEnvReplacesDefaults(t *testing.T) {
	dir := t.TempDir()
	svc, err := runner.Build(Plugin(), []string{"-d", dir}, runner.Env{})
	if err != nil {
		t.Fatal(err)
	}
	if got := svc.(*Service).cfg.acceptEnv; strings.Join(got, " ") != "LANG LC_* COLORTERM NO_COLOR" {
		t.Errorf("default --accept-env %v", got)
	}
	svc, err = runner.Build(Plugin(), []string{"-d", dir, "--accept-env", "TZ"}, runner.Env{})
	if err != nil {
		t.Fatal(err)
	}
	if got := svc.(*Service).cfg.acceptEnv; strings.Join(got, " ") != "TZ" {
		t.Errorf("--accept-env TZ gives %v", got)
	}
}
