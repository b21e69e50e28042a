package main

import (
	"net"
	"net/smtp"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Relay end to end through gotwistd's own plugins, each its own process:
// the dns plugin serves the MX of example.test, mail instance B is that MX,
// and mail instance A queues mail for example.test (-R) and delivers it by
// asking our DNS for the MX (issue 6's relay test; a plugin may not import
// another plugin, so this lives here).
func TestMailRelayThroughOurDNS(t *testing.T) {
	dir := t.TempDir()
	zone := filepath.Join(dir, "example.test.zone")
	os.WriteFile(zone, []byte(`$ORIGIN example.test.
$TTL 60
@   IN SOA ns.example.test. admin.example.test. 1 3600 600 86400 60
@   IN NS  ns.example.test.
@   IN MX  10 mx.example.test.
ns  IN A   127.0.0.1
mx  IN A   127.0.0.1
`), 0o644)

	dns, dnsOut := foreground(t, dir, "-n", "--pidfile", "", "dns", "--bindzone", zone, "-i", "127.0.0.1", "-p", "0")
	dnsAddr := waitLog(t, dnsOut.String, `listening on udp:\S+ \(([^)]+)\)`)[1]

	mailB := filepath.Join(dir, "b")
	mx, mxOut := foreground(t, dir, "-n", "--pidfile", "", "mail", "-E", "-H", "mx.example.test",
		"-d", "example.test="+mailB, "-u", "bob=pw", "-s", "tcp:0:interface=127.0.0.1", "--no-pop3")
	_, mxPort, _ := net.SplitHostPort(listenAddr(t, mxOut.String))

	relay, relayOut := foreground(t, dir, "-n", "--pidfile", "", "mail", "-E", "-H", "relay.local",
		"-d", "local.test="+filepath.Join(dir, "a"), "-u", "alice=pw",
		"-R", filepath.Join(dir, "queue"), "--relay-from", "127.0.0.0/8",
		"--relay-dns", dnsAddr, "--relay-port", mxPort,
		"-s", "tcp:0:interface=127.0.0.1", "--no-pop3")
	relayAddr := listenAddr(t, relayOut.String)

	msg := "From: alice@local.test\r\nTo: bob@example.test\r\nSubject: relayed\r\n\r\nthrough our own MX\r\n"
	if err := smtp.SendMail(relayAddr, nil, "alice@local.test", []string{"bob@example.test"}, []byte(msg)); err != nil {
		t.Fatalf("sending to the relay: %v\n%s", err, relayOut)
	}
	var delivered string
	eventually(t, "the message in bob's Maildir on the MX", func() bool {
		files, _ := filepath.Glob(filepath.Join(mailB, "bob", "new", "*"))
		if len(files) == 0 {
			return false
		}
		b, _ := os.ReadFile(files[0])
		delivered = string(b)
		return true
	})
	if !strings.Contains(delivered, "through our own MX") || !strings.Contains(delivered, "Received:") {
		t.Errorf("delivered message:\n%s", delivered)
	}
	for _, p := range []interface{ Signal(os.Signal) error }{relay.Process, mx.Process, dns.Process} {
		p.Signal(os.Interrupt)
	}
	for _, c := range []struct {
		name string
		code int
	}{{"relay", exitCode(t, relay)}, {"mx", exitCode(t, mx)}, {"dns", exitCode(t, dns)}} {
		if c.code != 0 {
			t.Errorf("%s exited %d", c.name, c.code)
		}
	}
}
