package conch

import (
	"bytes"
	"crypto/rand"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/crypto/ssh"
)

// Interop with the OpenSSH client tools (Debian: openssh-client, sshpass).
// A missing tool skips the test, except under CI=true where it fails.

func tool(t *testing.T, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s is not installed (see plugins/conch/ci-packages.txt)", name)
		}
		t.Skipf("%s is not installed", name)
	}
	return p
}

// openssh holds what the OpenSSH tools need to reach a running server:
// a known_hosts file with its real key, so no host key check is relaxed,
// and no user configuration.
type openssh struct {
	r          *running
	port, host string
	knownHosts string
	dir        string
}

func newOpenSSH(t *testing.T, r *running) *openssh {
	t.Helper()
	host, port, _ := net.SplitHostPort(r.addr)
	dir := t.TempDir()
	kh := writeFile(t, dir, "known_hosts", "["+host+"]:"+port+" "+string(ssh.MarshalAuthorizedKey(r.hostKey)))
	return &openssh{r: r, port: port, host: host, knownHosts: kh, dir: dir}
}

// opts are the options every tool gets: no algorithm overrides.
func (o *openssh) opts(extra ...string) []string {
	return append([]string{
		"-F", "/dev/null",
		"-o", "UserKnownHostsFile=" + o.knownHosts,
		"-o", "StrictHostKeyChecking=yes",
		"-o", "LogLevel=ERROR",
		"-o", "ConnectTimeout=30",
	}, extra...)
}

// passwordOpts make the client use only the password (no stray keys).
func passwordOpts() []string {
	return []string{"-o", "PubkeyAuthentication=no", "-o", "PreferredAuthentications=password,keyboard-interactive"}
}

// keyOpts make the client use only the given key, never a password.
func keyOpts(key string) []string {
	return []string{"-i", key, "-o", "IdentitiesOnly=yes", "-o", "BatchMode=yes"}
}

// result runs a command and returns stdout, stderr and the exit code.
func result(t *testing.T, stdin string, name string, args ...string) (string, string, int) {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Stdin = strings.NewReader(stdin)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return out.String(), errb.String(), code
}

// sshPass runs ssh through sshpass with password pw.
func (o *openssh) sshPass(t *testing.T, pw, user string, args ...string) (string, string, int) {
	t.Helper()
	sshpass, sshBin := tool(t, "sshpass"), tool(t, "ssh")
	a := append([]string{"-p", pw, sshBin}, o.opts(passwordOpts()...)...)
	a = append(a, "-p", o.port, user+"@"+o.host)
	return result(t, "", sshpass, append(a, args...)...)
}

// sshKey runs ssh with a key.
func (o *openssh) sshKey(t *testing.T, stdin, key, user string, args ...string) (string, string, int) {
	t.Helper()
	a := append(o.opts(keyOpts(key)...), "-p", o.port, user+"@"+o.host)
	return result(t, stdin, tool(t, "ssh"), append(a, args...)...)
}

// keygen makes an OpenSSH key pair and returns the private key's path and
// the public key line.
func keygen(t *testing.T, dir, kind string) (string, string) {
	t.Helper()
	p := filepath.Join(dir, "id_"+kind)
	if out, err := exec.Command(tool(t, "ssh-keygen"), "-q", "-t", kind, "-N", "", "-f", p).CombinedOutput(); err != nil {
		t.Fatalf("ssh-keygen: %v %s", err, out)
	}
	pub, err := os.ReadFile(p + ".pub")
	if err != nil {
		t.Fatal(err)
	}
	return p, strings.TrimSpace(string(pub))
}

// Scenario 49 with the real client: exit status, id -u, a pty with -tt,
// a wrong password refused.
func TestOpenSSHPassword(t *testing.T) {
	pwFile := writeFile(t, t.TempDir(), "pw", me(t)+":Sekrit-49\n")
	r := start(t, "--auth", "file:"+pwFile)
	o := newOpenSSH(t, r)
	if _, errOut, code := o.sshPass(t, "Sekrit-49", me(t), "exit 7"); code != 7 {
		t.Errorf("ssh 'exit 7': exit %d, stderr %q", code, errOut)
	}
	out, errOut, code := o.sshPass(t, "Sekrit-49", me(t), "id -u")
	if code != 0 || strings.TrimSpace(out) != strconv.Itoa(os.Geteuid()) {
		t.Errorf("ssh 'id -u': %q (exit %d, %q)", out, code, errOut)
	}
	out, _, code = o.sshPass(t, "Sekrit-49", me(t), "-tt", "tty; echo $TERM; exit 3")
	if code != 3 || !strings.Contains(out, "/dev/pts/") {
		t.Errorf("ssh -tt: %q, exit %d; want a pty and exit 3", out, code)
	}
	if _, _, code := o.sshPass(t, "wrong", me(t), "true"); code == 0 {
		t.Error("wrong password accepted")
	}
	r.logs.wait(t, "failed password for "+me(t))
}

func TestOpenSSHKeysAndAlgorithms(t *testing.T) {
	dir := t.TempDir()
	ed, edPub := keygen(t, dir, "ed25519")
	rsaKey, rsaPub := keygen(t, dir, "rsa")
	ecKey, ecPub := keygen(t, dir, "ecdsa")
	stranger, _ := keygen(t, t.TempDir(), "ed25519")
	keys := writeFile(t, dir, "authorized_keys", edPub+"\n"+rsaPub+"\n"+ecPub+"\n")
	r := start(t, "--auth", "sshkey", "--authorized-keys", keys)
	o := newOpenSSH(t, r)
	for _, k := range []string{ed, rsaKey, ecKey} {
		out, errOut, code := o.sshKey(t, "", k, me(t), "-v", "echo key-ok")
		if code != 0 || out != "key-ok\n" {
			t.Errorf("%s: %q exit %d: %s", filepath.Base(k), out, code, errOut)
			continue
		}
		// What the stock client negotiated, with no options: no SHA-1, no CBC.
		for _, bad := range []string{"-sha1", "-cbc", "hmac-sha1", "ssh-rsa,"} {
			for _, line := range strings.Split(errOut, "\n") {
				if strings.Contains(line, "kex: ") && strings.Contains(line, bad) {
					t.Errorf("%s negotiated: %s", bad, line)
				}
			}
		}
	}
	if _, _, code := o.sshKey(t, "", stranger, me(t), "true"); code != 255 {
		t.Errorf("unknown key: exit %d, want 255", code)
	}
	// stdin passes through to a remote command.
	if out, _, _ := o.sshKey(t, "piped through\n", ed, me(t), "cat"); out != "piped through\n" {
		t.Errorf("stdin to cat: %q", out)
	}
}

func TestOpenSSHSFTPAndSCP(t *testing.T) {
	dir := t.TempDir()
	key, pub := keygen(t, dir, "ed25519")
	keys := writeFile(t, dir, "authorized_keys", pub+"\n")
	pwFile := writeFile(t, dir, "pw", me(t)+":pw-sftp\n")
	r := start(t, "--auth", "sshkey", "--auth", "file:"+pwFile, "--authorized-keys", keys)
	o := newOpenSSH(t, r)
	remote := t.TempDir()
	data := make([]byte, 1<<20+3)
	rand.Read(data)
	local := filepath.Join(dir, "local.bin")
	os.WriteFile(local, data, 0o600)

	batch := writeFile(t, dir, "batch", strings.Join([]string{
		"cd " + remote,
		"put " + local + " up.bin",
		"rename up.bin renamed.bin",
		"get renamed.bin " + filepath.Join(dir, "back.bin"),
		"mkdir d",
		"ls",
		"rm renamed.bin",
		"rmdir d",
	}, "\n")+"\n")
	a := append(o.opts(keyOpts(key)...), "-P", o.port, "-b", batch, me(t)+"@"+o.host)
	out, errOut, code := result(t, "", tool(t, "sftp"), a...)
	if code != 0 {
		t.Fatalf("sftp -b: exit %d\n%s\n%s", code, out, errOut)
	}
	if back, _ := os.ReadFile(filepath.Join(dir, "back.bin")); !bytes.Equal(back, data) {
		t.Error("sftp get returned other bytes than put")
	}
	if ents, _ := os.ReadDir(remote); len(ents) != 0 {
		t.Errorf("after rm and rmdir the remote directory holds %v", ents)
	}

	// sftp with a password, commands on stdin.
	sshpass := tool(t, "sshpass")
	a = append([]string{"-p", "pw-sftp", tool(t, "sftp")}, o.opts(passwordOpts()...)...)
	a = append(a, "-P", o.port, me(t)+"@"+o.host)
	out, errOut, code = result(t, "put "+local+" "+remote+"/pw.bin\nbye\n", sshpass, a...)
	if st, err := os.Stat(filepath.Join(remote, "pw.bin")); code != 0 || err != nil || st.Size() != int64(len(data)) {
		t.Errorf("sftp with a password: exit %d, %v\n%s%s", code, err, out, errOut)
	}

	// scp: the default (sftp protocol) and -O (the old protocol, scp -t/-f
	// run through exec).
	for _, mode := range [][]string{nil, {"-O"}} {
		name := "scp " + strings.Join(mode, "")
		a := append(o.opts(keyOpts(key)...), mode...)
		a = append(a, "-P", o.port, local, me(t)+"@"+o.host+":"+remote+"/scp.bin")
		if _, errOut, code := result(t, "", tool(t, "scp"), a...); code != 0 {
			t.Errorf("%s upload: exit %d %s", name, code, errOut)
			continue
		}
		down := filepath.Join(dir, "scp-back.bin")
		a = append(o.opts(keyOpts(key)...), mode...)
		a = append(a, "-P", o.port, me(t)+"@"+o.host+":"+remote+"/scp.bin", down)
		if _, errOut, code := result(t, "", tool(t, "scp"), a...); code != 0 {
			t.Errorf("%s download: exit %d %s", name, code, errOut)
			continue
		}
		if back, _ := os.ReadFile(down); !bytes.Equal(back, data) {
			t.Errorf("%s round trip changed the bytes", name)
		}
		os.Remove(down)
	}
}

func TestOpenSSHForwarding(t *testing.T) {
	echo := echoServer(t)
	dir := t.TempDir()
	key, pub := keygen(t, dir, "ed25519")
	keys := writeFile(t, dir, "authorized_keys", pub+"\n")
	for _, allow := range []bool{false, true} {
		args := []string{"--auth", "sshkey", "--authorized-keys", keys}
		if allow {
			args = append(args, "--allow-forwarding")
		}
		r := start(t, args...)
		o := newOpenSSH(t, r)
		// -W is a local forward (direct-tcpip) on stdin/stdout.
		out, errOut, code := o.sshKey(t, "via -W\n", key, me(t), "-W", echo)
		if allow && (code != 0 || out != "via -W\n") {
			t.Errorf("-W with forwarding on: %q exit %d %s", out, code, errOut)
		}
		if !allow && (code == 0 || out != "") {
			t.Errorf("-W with forwarding off: %q exit %d", out, code)
		}
		// -R with ExitOnForwardFailure: refused means exit 255.
		_, errOut, code = o.sshKey(t, "", key, me(t), "-o", "ExitOnForwardFailure=yes", "-R", "127.0.0.1:0:"+echo, "true")
		if allow != (code == 0) {
			t.Errorf("-R with forwarding %v: exit %d %s", allow, code, errOut)
		}
	}
}

// Root only: the real client logs in as another account, and the session
// runs as that account.
func TestOpenSSHAsAnotherAccount(t *testing.T) {
	acct := testUser(t)
	pwFile := writeFile(t, t.TempDir(), "pw", acct.Name+":pw-other\n")
	r := start(t, "--auth", "file:"+pwFile)
	o := newOpenSSH(t, r)
	out, errOut, code := o.sshPass(t, "pw-other", acct.Name, "id -u; id -un")
	want := strconv.Itoa(int(acct.UID)) + "\n" + acct.Name + "\n"
	if code != 0 || out != want {
		t.Errorf("session as %s: %q exit %d %s; want %q", acct.Name, out, code, errOut, want)
	}
}
