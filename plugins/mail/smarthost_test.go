package mail

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// startSmarthost runs a second server as the smarthost: it receives mail
// for bob@remote.test, speaks STARTTLS with cert, and knows relay:secret.
func startSmarthost(t *testing.T, cert, key string) (addr, dir string) {
	dir = t.TempDir()
	s := startMail(t, "-H", "smarthost.test", "-d", "remote.test="+dir, "-u", "bob=pw",
		"--tls-cert", cert, "--tls-key", key, "--auth", "memory:relay:secret", "-s", loop, "--no-pop3")
	return s.smtp[0], dir
}

// Relayed mail goes to the smarthost over STARTTLS, logged in with AUTH
// PLAIN, not to the domain's MX.
func TestSmarthostDeliversWithAuth(t *testing.T) {
	dir := t.TempDir()
	cert, key, _ := writeCert(t, dir)
	shAddr, remote := startSmarthost(t, cert, key)
	// The fake DNS points remote.test's MX at a port where nothing listens:
	// only the smarthost can deliver.
	s, events := startWithEvents(t, localArgs(dir, fakeDNS(t), closedPort(t),
		"--smarthost", shAddr, "--smarthost-auth", "relay:secret", "--smarthost-ca", cert))
	if err := send(s.smtp[0], "joe@localhost", []string{"bob@remote.test"}, "Subject: via smarthost\r\n\r\nhello\r\n"); err != nil {
		t.Fatal(err)
	}
	<-events
	msgs := readNew(t, filepath.Join(remote, "bob"))
	if len(msgs) != 1 || !strings.Contains(msgs[0], "by smarthost.test (gotwistd) with ESMTPSA") || !strings.HasSuffix(msgs[0], "\n\nhello\n") {
		t.Fatalf("the smarthost has %q", msgs)
	}
}

// A wrong password or a certificate that does not check out keeps the
// message from leaving; with a lifetime of 0 it bounces at once, saying why.
func TestSmarthostRefusals(t *testing.T) {
	dir := t.TempDir()
	cert, key, _ := writeCert(t, dir)
	shAddr, remote := startSmarthost(t, cert, key)
	plain := startMail(t, "-H", "plain.test", "-d", "remote.test="+remote, "-u", "bob=pw", "--auth", "memory:relay:secret", "--allow-insecure-auth", "-s", loop, "--no-pop3")
	for _, tc := range []struct {
		name, addr string
		args       []string
		why        string
	}{
		{"wrong password", shAddr, []string{"--smarthost-auth", "relay:wrong", "--smarthost-ca", cert}, "AUTH as relay"},
		{"untrusted certificate", shAddr, []string{"--smarthost-auth", "relay:secret"}, "failed to verify certificate"},
		{"no STARTTLS", plain.smtp[0], []string{"--smarthost-auth", "relay:secret"}, "must offer STARTTLS"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := t.TempDir()
			args := append(localArgs(d, fakeDNS(t), closedPort(t), "--queue-lifetime", "0s", "--smarthost", tc.addr), tc.args...)
			s, events := startWithEvents(t, args)
			if err := send(s.smtp[0], "joe@localhost", []string{"bob@remote.test"}, "Subject: refused\r\n\r\nx\r\n"); err != nil {
				t.Fatal(err)
			}
			<-events
			bounces := readNew(t, filepath.Join(d, "md", "joe"))
			if len(bounces) != 1 || !strings.Contains(bounces[0], tc.why) || !strings.Contains(bounces[0], "Status: 4.4.7") {
				t.Errorf("bounce does not say %q:\n%q", tc.why, bounces)
			}
		})
	}
	if msgs := listDir(t, filepath.Join(remote, "bob", "new")); len(msgs) != 0 {
		t.Errorf("the smarthost received %v", msgs)
	}
}

func TestSmarthostOptions(t *testing.T) {
	dir := t.TempDir()
	authFile := filepath.Join(dir, "sh-auth")
	os.WriteFile(authFile, []byte("relay:secret\n"), 0o600)
	withQueue := func(more ...string) []string {
		return append([]string{"-H", "localhost", "-d", "localhost=" + dir, "-s", loop, "--no-pop3", "-R", filepath.Join(dir, "q")}, more...)
	}
	for _, args := range [][]string{
		withQueue("--smarthost", "relay.example"),
		withQueue("--smarthost", "relay.example:587", "--smarthost-auth", "file:"+authFile),
		withQueue("--smarthost", "[::1]:2525", "--smarthost-auth", "u:p:with:colons"),
	} {
		if _, err := buildMailErr(args); err != nil {
			t.Errorf("%q: %v", args, err)
		}
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"-H", "localhost", "-d", "localhost=" + dir, "-s", loop, "--no-pop3", "--smarthost", "relay.example"}, "needs -R/--relay QUEUE_DIR"},
		{withQueue("--smarthost-auth", "u:p"), "need --smarthost"},
		{withQueue("--smarthost", "relay.example:smtp"), "is not a port number"},
		{withQueue("--smarthost", "relay.example:0"), "is not a port number"},
		{withQueue("--smarthost", "user@relay.example"), "not HOST or HOST:PORT"},
		{withQueue("--smarthost", "relay.example", "--smarthost-auth", "nopassword"), "must be USER:PASSWORD"},
		{withQueue("--smarthost", "relay.example", "--smarthost-auth", "file:"+filepath.Join(dir, "missing")), "no such file"},
		{withQueue("--smarthost", "relay.example", "--smarthost-ca", authFile), "no PEM certificate"},
	} {
		_, err := buildMailErr(tc.args)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: %v, want %q", tc.args[len(tc.args)-2:], err, tc.want)
		}
	}
}

// Without --smarthost-auth the smarthost is spoken to like an MX:
// STARTTLS when offered, plain text otherwise, no login.
func TestSmarthostWithoutAuth(t *testing.T) {
	dir := t.TempDir()
	remote := t.TempDir()
	plain := startMail(t, "-H", "plain.test", "-d", "remote.test="+remote, "-u", "bob=pw", "-s", loop, "--no-pop3")
	s, events := startWithEvents(t, localArgs(dir, fakeDNS(t), closedPort(t), "--smarthost", plain.smtp[0]))
	if err := send(s.smtp[0], "joe@localhost", []string{"bob@remote.test"}, "Subject: plain\r\n\r\nx\r\n"); err != nil {
		t.Fatal(err)
	}
	<-events
	if msgs := readNew(t, filepath.Join(remote, "bob")); len(msgs) != 1 || !strings.Contains(msgs[0], "by plain.test (gotwistd) with ESMTP id") {
		t.Fatalf("the smarthost has %q", msgs)
	}
}
