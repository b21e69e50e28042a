package mail

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/miekg/dns"
)

// fakeDNS answers MX and A queries for the test domains:
//
//	remote.test.  MX 10 mx.remote.test.   mx.remote.test. A 127.0.0.1
//	nomail.test.  MX 0 .                  (null MX, RFC 7505)
//	anything else NXDOMAIN
func fakeDNS(t *testing.T) string {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	h := dns.HandlerFunc(func(w dns.ResponseWriter, r *dns.Msg) {
		m := new(dns.Msg)
		m.SetReply(r)
		q := r.Question[0]
		switch {
		case q.Name == "remote.test." && q.Qtype == dns.TypeMX:
			m.Answer = append(m.Answer, &dns.MX{Hdr: dns.RR_Header{Name: q.Name, Rrtype: dns.TypeMX, Class: dns.ClassINET, Ttl: 60}, Preference: 10, Mx: "mx.remote.test."})
		case q.Name == "mx.remote.test." && q.Qtype == dns.TypeA:
			m.Answer = append(m.Answer, &dns.A{Hdr: dns.RR_Header{Name: q.Name, Rrtype: dns.TypeA, Class: dns.ClassINET, Ttl: 60}, A: net.IPv4(127, 0, 0, 1)})
		case q.Name == "nomail.test." && q.Qtype == dns.TypeMX:
			m.Answer = append(m.Answer, &dns.MX{Hdr: dns.RR_Header{Name: q.Name, Rrtype: dns.TypeMX, Class: dns.ClassINET, Ttl: 60}, Preference: 0, Mx: "."})
		case q.Name == "remote.test." || q.Name == "mx.remote.test." || q.Name == "nomail.test.":
		default:
			m.Rcode = dns.RcodeNameError
		}
		w.WriteMsg(m)
	})
	started := make(chan struct{})
	srv := &dns.Server{PacketConn: pc, Handler: h, NotifyStartedFunc: func() { close(started) }}
	go srv.ActivateAndServe()
	<-started
	t.Cleanup(func() { srv.Shutdown() })
	return pc.LocalAddr().String()
}

// closedPort returns a loopback port with nothing listening.
func closedPort(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	return fmt.Sprint(port)
}

// relayPair starts the remote MX (remote.test, user bob) and returns its
// SMTP port and Maildir root.
func remoteMX(t *testing.T) (port, dir string) {
	dir = t.TempDir()
	r := startMail(t, "-H", "mx.remote.test", "-d", "remote.test="+dir, "-u", "bob=pw", "-s", loop, "--no-pop3")
	_, port, _ = net.SplitHostPort(r.smtp[0])
	return port, dir
}

func localArgs(dir, dnsAddr, port string, more ...string) []string {
	return append([]string{"-H", "localhost", "-d", "localhost=" + filepath.Join(dir, "md"), "-u", "joe=pw",
		"-R", filepath.Join(dir, "queue"), "--relay-dns", dnsAddr, "--relay-port", port,
		"--relay-from", "127.0.0.0/8", "--relay-retry", "10ms", "-s", loop, "--no-pop3"}, more...)
}

// startWithEvents starts a relaying server whose queue reports each
// message that leaves it.
func startWithEvents(t *testing.T, args []string) (*mailServer, chan string) {
	svc := buildMail(t, args...)
	events := make(chan string, 16)
	queueOf(svc).events = events
	return runMail(t, svc), events
}

func TestRelayDeliversThroughMX(t *testing.T) {
	dnsAddr := fakeDNS(t)
	port, remote := remoteMX(t)
	dir := t.TempDir()
	s, events := startWithEvents(t, localArgs(dir, dnsAddr, port))

	// Not in --relay-from and not authenticated: refused.
	s2 := startMail(t, "-H", "localhost", "-d", "localhost="+filepath.Join(dir, "md2"), "-u", "joe=pw", "-R", filepath.Join(dir, "q2"), "-s", loop, "--no-pop3")
	if err := send(s2.smtp[0], "joe@localhost", []string{"bob@remote.test"}, "x\r\n"); smtpCode(err) != 550 {
		t.Errorf("relay from outside --relay-from: %v, want 550", err)
	}

	if err := send(s.smtp[0], "joe@localhost", []string{"bob@remote.test"}, "Subject: relayed\r\n\r\n.dot\r\nhello\r\n"); err != nil {
		t.Fatal(err)
	}
	<-events
	msgs := readNew(t, filepath.Join(remote, "bob"))
	if len(msgs) != 1 {
		t.Fatalf("remote got %d messages", len(msgs))
	}
	if strings.Count(msgs[0], "Received: ") != 2 || !strings.HasSuffix(msgs[0], "\n\n.dot\nhello\n") {
		t.Errorf("relayed message:\n%s", msgs[0])
	}
	if left := listDir(t, filepath.Join(dir, "queue", "msg")); len(left) != 0 {
		t.Errorf("queue not empty after delivery: %v", left)
	}
}

func TestRelayBounces(t *testing.T) {
	dnsAddr := fakeDNS(t)
	dir := t.TempDir()
	// Nothing listens on the MX port and the lifetime is 0: the first
	// failure is final.
	s, events := startWithEvents(t, localArgs(dir, dnsAddr, closedPort(t), "--queue-lifetime", "0s"))
	for _, tc := range []struct{ rcpt, status string }{
		{"bob@remote.test", "Status: 4.4.7"},       // MX unreachable, lifetime over
		{"x@nomail.test", "Status: 5.0.0"},         // null MX
		{"x@does-not-exist.test", "Status: 5.0.0"}, // NXDOMAIN
	} {
		t.Run(tc.rcpt, func(t *testing.T) {
			before := len(listDir(t, filepath.Join(dir, "md", "joe", "new")))
			if err := send(s.smtp[0], "joe@localhost", []string{tc.rcpt}, "Subject: doomed\r\n\r\nx\r\n"); err != nil {
				t.Fatal(err)
			}
			<-events
			msgs := readNew(t, filepath.Join(dir, "md", "joe"))
			if len(msgs) != before+1 {
				t.Fatalf("joe has %d messages, want a bounce", len(msgs))
			}
			var dsn string
			for _, m := range msgs {
				if strings.Contains(m, "Final-Recipient: rfc822; "+tc.rcpt) {
					dsn = m
				}
			}
			for _, want := range []string{"From: Mail Delivery System <MAILER-DAEMON@localhost>", "report-type=delivery-status", tc.status, "Subject: doomed"} {
				if !strings.Contains(dsn, want) {
					t.Errorf("bounce lacks %q:\n%s", want, dsn)
				}
			}
		})
	}
}

func TestRelayQueueSurvivesRestart(t *testing.T) {
	dnsAddr := fakeDNS(t)
	dir := t.TempDir()
	svc := buildMail(t, localArgs(dir, dnsAddr, closedPort(t))...)
	s := runMail(t, svc)
	if err := send(s.smtp[0], "joe@localhost", []string{"bob@remote.test"}, "Subject: patient\r\n\r\nx\r\n"); err != nil {
		t.Fatal(err)
	}
	stopNow(t, svc)
	files := listDir(t, filepath.Join(dir, "queue", "msg"))
	if len(files) != 2 {
		t.Fatalf("queue after stop: %v, want an .eml and an .env", files)
	}

	port, remote := remoteMX(t)
	_, events := startWithEvents(t, localArgs(dir, dnsAddr, port))
	<-events
	if msgs := readNew(t, filepath.Join(remote, "bob")); len(msgs) != 1 || !strings.Contains(msgs[0], "Subject: patient") {
		t.Fatalf("after restart the remote has %q", msgs)
	}
	if _, err := os.Stat(filepath.Join(dir, "queue", "msg", files[0])); !os.IsNotExist(err) {
		t.Errorf("queue file left after delivery: %v", err)
	}
}
