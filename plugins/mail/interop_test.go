package mail

import (
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// tool returns the path of a third-party client, skipping the test when it
// is missing, except under CI=true, where a missing tool is a failure.
func tool(t *testing.T, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s is not installed (apt-get install %s; see ci-packages.txt)", name, name)
		}
		t.Skipf("%s is not installed; skipping its interop test", name)
	}
	return p
}

func run(t *testing.T, name string, args ...string) (string, int) {
	t.Helper()
	out, err := exec.Command(name, args...).CombinedOutput()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return string(out), code
}

// TestSwaks is acceptance scenario 48's SMTP half, plus STARTTLS, AUTH and
// pipelining as swaks drives them.
func TestSwaks(t *testing.T) {
	swaks := tool(t, "swaks")
	dir := t.TempDir()
	cert, key, _ := writeCert(t, dir)
	s := startMail(t, baseArgs(dir, "--tls-cert", cert, "--tls-key", key, "--auth", "memory:ann:secret")...)
	box := filepath.Join(dir, "maildir", "joe")
	common := []string{"--server", s.smtp[0], "--from", "a@example.com", "--h-Subject", "swaks test"}

	if out, code := run(t, swaks, append(common, "--to", "joe@localhost")...); code != 0 {
		t.Fatalf("swaks --to joe@localhost: exit %d\n%s", code, out)
	}
	if n := len(listDir(t, filepath.Join(box, "new"))); n != 1 {
		t.Fatalf("new/ has %d messages after swaks", n)
	}
	out, code := run(t, swaks, append(common, "--to", "nobody@localhost")...)
	if code == 0 || !strings.Contains(out, "<** 550") {
		t.Errorf("swaks --to nobody@localhost: exit %d, want a 550 at RCPT\n%s", code, out)
	}
	if out, code := run(t, swaks, append(common, "--to", "joe@localhost", "--pipeline")...); code != 0 {
		t.Errorf("swaks --pipeline: exit %d\n%s", code, out)
	}
	// AUTH over STARTTLS (swaks does not check the certificate by default).
	out, code = run(t, swaks, append(common, "--to", "joe@localhost", "--tls", "--auth", "PLAIN", "--auth-user", "ann", "--auth-password", "secret")...)
	if code != 0 || !strings.Contains(out, "235 ") {
		t.Errorf("swaks --tls --auth PLAIN: exit %d\n%s", code, out)
	}
	out, code = run(t, swaks, append(common, "--to", "joe@localhost", "--tls", "--auth", "LOGIN", "--auth-user", "ann", "--auth-password", "wrong")...)
	if code == 0 || !strings.Contains(out, "535") {
		t.Errorf("swaks with a wrong password: exit %d\n%s", code, out)
	}
	if n := len(listDir(t, filepath.Join(box, "new"))); n != 3 {
		t.Errorf("new/ has %d messages, want 3", n)
	}
}

// TestCurlPOP3 is scenario 48's POP3 half: curl pop3:// lists and
// retrieves, over plain POP3, STLS and POP3S.
func TestCurlPOP3(t *testing.T) {
	curl := tool(t, "curl")
	dir := t.TempDir()
	cert, key, _ := writeCert(t, dir)
	ssl := "ssl:0:interface=127.0.0.1:privateKey=" + key + ":certKey=" + cert
	plain := startMail(t, baseArgs(filepath.Join(dir, "a"))...)
	if err := send(plain.smtp[0], "a@example.com", []string{"joe@localhost"}, sample); err != nil {
		t.Fatal(err)
	}
	out, code := run(t, curl, "-sS", "pop3://joe%40localhost:pw@"+plain.pop3[0]+"/1")
	if code != 0 || !strings.Contains(out, "Subject: hi") || !strings.Contains(out, "\r\n.dot line\r\n") {
		t.Errorf("curl pop3:// RETR: exit %d\n%q", code, out)
	}
	out, code = run(t, curl, "-sS", "pop3://joe%40localhost:pw@"+plain.pop3[0]+"/")
	if code != 0 || !strings.HasPrefix(out, "1 ") {
		t.Errorf("curl pop3:// LIST: exit %d\n%q", code, out)
	}
	if _, code := run(t, curl, "-sS", "pop3://joe%40localhost:bad@"+plain.pop3[0]+"/1"); code != 67 {
		t.Errorf("curl with a wrong password: exit %d, want 67 (login denied)", code)
	}

	tlsDir := filepath.Join(dir, "b")
	s := startMail(t, "-H", "localhost", "-d", "localhost="+tlsDir, "-u", "joe=pw", "-s", loop, "-p", ssl, "-p", loop, "--tls-cert", cert, "--tls-key", key)
	if err := send(s.smtp[0], "a@example.com", []string{"joe@localhost"}, sample); err != nil {
		t.Fatal(err)
	}
	for _, url := range []string{"pop3s://joe%40localhost:pw@" + s.pop3[0] + "/1", "pop3://joe%40localhost:pw@" + s.pop3[1] + "/1"} {
		out, code := run(t, curl, "-sS", "--ssl-reqd", "--cacert", cert, url)
		if code != 0 || !strings.Contains(out, "Subject: hi") {
			t.Errorf("curl %s: exit %d\n%q", url, code, out)
		}
	}
}

// TestPortInUseExitsOne is scenario 48's last line, through the real
// command line: an SMTP port already bound fails the start with exit 1
// (twistd logs it and runs on without SMTP).
func TestPortInUseExitsOne(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-n", "--pidfile", "", "mail", "-E", "-H", "localhost", "-d", "localhost="+dir, "--user", "joe=pw",
		"-s", "tcp:"+strings.Split(l.Addr().String(), ":")[1]+":interface=127.0.0.1", "-p", loop)
	cmd.Env = append(os.Environ(), envServe+"=1")
	out, err := cmd.CombinedOutput()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 {
		t.Fatalf("exit: %v, want status 1\n%s", err, out)
	}
	if !strings.Contains(string(out), "address already in use") {
		t.Errorf("output does not say why:\n%s", out)
	}
}

func TestHelpAuth(t *testing.T) {
	cmd := exec.Command(os.Args[0], "mail", "--help-auth")
	cmd.Env = append(os.Environ(), envServe+"=1")
	out, err := cmd.Output()
	if err != nil || !strings.Contains(string(out), "file:PATH") || !strings.Contains(string(out), "memory:USER:PASS") {
		t.Errorf("mail --help-auth: %v\n%s", err, out)
	}
}
