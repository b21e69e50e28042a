package mail

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/smtp"
	"net/textproto"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gotwistd/gotwistd/runner"
)

// send delivers one message over SMTP and returns the error of the first
// command that failed.
func send(addr, from string, to []string, body string) error {
	c, err := smtp.Dial(addr)
	if err != nil {
		return err
	}
	defer c.Close()
	if err := c.Hello("client.example"); err != nil {
		return err
	}
	if err := c.Mail(from); err != nil {
		return err
	}
	for _, r := range to {
		if err := c.Rcpt(r); err != nil {
			return err
		}
	}
	w, err := c.Data()
	if err != nil {
		return err
	}
	if _, err := w.Write([]byte(body)); err != nil {
		return err
	}
	if err := w.Close(); err != nil {
		return err
	}
	return c.Quit()
}

func smtpCode(err error) int {
	var te *textproto.Error
	if errors.As(err, &te) {
		return te.Code
	}
	return 0
}

const sample = "From: a@example.com\r\nTo: joe@localhost\r\nSubject: hi\r\n\r\nhello\r\n.dot line\r\n..two dots\r\n"

func TestScenario48DeliverAndRetrieve(t *testing.T) {
	dir := t.TempDir()
	s := startMail(t, baseArgs(dir)...)
	if err := send(s.smtp[0], "a@example.com", []string{"joe@localhost"}, sample); err != nil {
		t.Fatal(err)
	}
	msgs := readNew(t, filepath.Join(dir, "maildir", "joe"))
	if len(msgs) != 1 {
		t.Fatalf("new/ has %d messages, want 1", len(msgs))
	}
	m := msgs[0]
	if !strings.HasPrefix(m, "Received: from client.example ([127.0.0.1])\n\tby localhost (gotwistd) with ESMTP id ") {
		t.Errorf("no Received: header first:\n%s", m)
	}
	if !strings.Contains(m, "\n\tfor <joe@localhost>; ") {
		t.Errorf("Received: lacks the recipient:\n%s", m)
	}
	if !strings.HasSuffix(m, "\nFrom: a@example.com\nTo: joe@localhost\nSubject: hi\n\nhello\n.dot line\n..two dots\n") {
		t.Errorf("body not stored with LF line ends and dots unstuffed:\n%q", m)
	}
	if n := listDir(t, filepath.Join(dir, "maildir", "joe", "tmp")); len(n) != 0 {
		t.Errorf("tmp/ not empty: %v", n)
	}

	p := dialPOP3(t, s.pop3[0])
	p.login("joe@localhost", "pw")
	stat := p.ok("STAT")
	size := len(m) + strings.Count(m, "\n")
	if stat != fmt.Sprintf("+OK 1 %d", size) {
		t.Errorf("STAT = %q, want +OK 1 %d", stat, size)
	}
	if l := p.ok("RETR 1"); l != fmt.Sprintf("+OK %d octets", size) {
		t.Errorf("RETR status %q", l)
	}
	got := strings.Join(p.multi(), "\n") + "\n"
	if got != m {
		t.Errorf("RETR returned\n%q\nwant\n%q", got, m)
	}
	p.ok("QUIT")
	// RETR'd and not deleted: moved to cur/ with the Seen flag.
	if cur := listDir(t, filepath.Join(dir, "maildir", "joe", "cur")); len(cur) != 1 || !strings.HasSuffix(cur[0], ":2,S") {
		t.Errorf("cur/ = %v, want one message with :2,S", cur)
	}
}

func TestRejectsUnknownUsersAndDomains(t *testing.T) {
	dir := t.TempDir()
	s := startMail(t, baseArgs(dir)...)
	for _, tc := range []struct {
		rcpt string
		code int
		enh  string
	}{
		{"nobody@localhost", 550, "5.1.1"},
		{"joe@elsewhere.example", 550, "5.7.1"},
		{"JOE@LOCALHOST", 250, ""},
	} {
		t.Run(tc.rcpt, func(t *testing.T) {
			c, err := smtp.Dial(s.smtp[0])
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			if err := c.Mail("a@example.com"); err != nil {
				t.Fatal(err)
			}
			err = c.Rcpt(tc.rcpt)
			if tc.code == 250 {
				if err != nil {
					t.Fatalf("RCPT %s: %v", tc.rcpt, err)
				}
				return
			}
			if smtpCode(err) != tc.code || !strings.Contains(err.Error(), tc.enh) {
				t.Fatalf("RCPT %s: %v, want %d %s", tc.rcpt, err, tc.code, tc.enh)
			}
		})
	}
}

func TestESMTPExtensionsAndLimits(t *testing.T) {
	dir := t.TempDir()
	s := startMail(t, baseArgs(dir, "--max-message-size", "1000", "--max-recipients", "2", "--max-line-length", "200")...)
	c, err := smtp.Dial(s.smtp[0])
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Hello("client.example"); err != nil {
		t.Fatal(err)
	}
	for _, ext := range []string{"PIPELINING", "8BITMIME", "SMTPUTF8", "ENHANCEDSTATUSCODES"} {
		if ok, _ := c.Extension(ext); !ok {
			t.Errorf("EHLO lacks %s", ext)
		}
	}
	if ok, size := c.Extension("SIZE"); !ok || size != "1000" {
		t.Errorf("SIZE = %v %q, want 1000", ok, size)
	}
	if ok, _ := c.Extension("STARTTLS"); ok {
		t.Error("STARTTLS offered without a certificate")
	}
	if ok, _ := c.Extension("AUTH"); ok {
		t.Error("AUTH offered on a plain connection")
	}

	id, _ := c.Text.Cmd("MAIL FROM:<a@example.com> SIZE=5000")
	c.Text.StartResponse(id)
	_, _, err = c.Text.ReadResponse(250)
	c.Text.EndResponse(id)
	if smtpCode(err) != 552 {
		t.Errorf("MAIL with SIZE over the limit: %v, want 552", err)
	}

	if err := c.Mail("a@example.com"); err != nil {
		t.Fatal(err)
	}
	for i := range 2 {
		if err := c.Rcpt("joe@localhost"); err != nil {
			t.Fatalf("rcpt %d: %v", i, err)
		}
	}
	if err := c.Rcpt("joe@localhost"); smtpCode(err) != 452 {
		t.Errorf("third recipient: %v, want 452", err)
	}
	w, err := c.Data()
	if err != nil {
		t.Fatal(err)
	}
	w.Write([]byte(strings.Repeat("x", 150) + "\r\n" + strings.Repeat("y\r\n", 600)))
	if err := w.Close(); smtpCode(err) != 552 {
		t.Errorf("message over --max-message-size: %v, want 552", err)
	}
	if n := listDir(t, filepath.Join(dir, "maildir", "joe", "new")); len(n) != 0 {
		t.Errorf("an oversized message was stored: %v", n)
	}
	// Two RCPTs for the same mailbox make one copy.
	if err := send(s.smtp[0], "a@example.com", []string{"joe@localhost", "Joe@LocalHost"}, "Subject: x\r\n\r\nx\r\n"); err != nil {
		t.Fatal(err)
	}
	if n := listDir(t, filepath.Join(dir, "maildir", "joe", "new")); len(n) != 1 {
		t.Errorf("new/ = %v, want one copy", n)
	}
	// A line over --max-line-length ends the connection.
	err = send(s.smtp[0], "a@example.com", []string{"joe@localhost"}, strings.Repeat("z", 300)+"\r\n")
	if err == nil {
		t.Error("a 300-byte line was accepted with --max-line-length 200")
	}
}

func TestBindFailureAbortsStart(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	port := l.Addr().(*net.TCPAddr).Port
	dir := t.TempDir()
	svc, err := runner.Build(Plugin(), []string{"-d", "localhost=" + dir, "-u", "joe=pw", "-s", fmt.Sprintf("tcp:%d:interface=127.0.0.1", port), "-p", loop}, runner.Env{})
	if err != nil {
		t.Fatal(err)
	}
	err = svc.PrivilegedStart(context.Background())
	if err == nil {
		svc.Stop(context.Background())
		t.Fatal("started with the SMTP port in use")
	}
	if !strings.Contains(err.Error(), "smtp-0") {
		t.Errorf("error does not name the service: %v", err)
	}
}

func TestMailLoopRefused(t *testing.T) {
	dir := t.TempDir()
	s := startMail(t, baseArgs(dir)...)
	loopy := strings.Repeat("Received: from a by b; Mon, 1 Jan 2024 00:00:00 +0000\r\n", 50) + "Subject: round\r\n\r\nx\r\n"
	if err := send(s.smtp[0], "a@example.com", []string{"joe@localhost"}, loopy); smtpCode(err) != 554 {
		t.Errorf("50 Received: headers: %v, want 554", err)
	}
	if err := send(s.smtp[0], "a@example.com", []string{"joe@localhost"}, strings.Repeat("Received: x\r\n", 49)+"\r\nbody\r\n"); err != nil {
		t.Errorf("49 Received: headers: %v", err)
	}
}

// A server that hangs up on a client still sending (here: a command line
// over --max-line-length, followed by more) sends its reason and then an
// orderly close, not a reset: a reset discards whatever of the reply has
// not left the server yet and shows the client an error instead of the end.
func TestHangUpIsAnOrderlyClose(t *testing.T) {
	dir := t.TempDir()
	s := startMail(t, baseArgs(dir, "--max-line-length", "200")...)
	for i := range 20 {
		c, err := net.Dial("tcp", s.smtp[0])
		if err != nil {
			t.Fatal(err)
		}
		c.SetDeadline(time.Now().Add(10 * time.Second))
		r := bufio.NewReader(c)
		r.ReadString('\n') // 220
		// One write: the too-long line and 64 KiB after it, still unread
		// when the server closes.
		c.Write([]byte("HELO " + strings.Repeat("z", 300) + "\r\n" + strings.Repeat("NOOP\r\n", 64<<10/6)))
		line, err := r.ReadString('\n')
		if err != nil || !strings.HasPrefix(line, "500 ") {
			t.Fatalf("attempt %d: %q, %v; want the 500 that says why", i, line, err)
		}
		// Then an orderly end of the stream, not a reset.
		if _, err := io.Copy(io.Discard, r); err != nil {
			t.Fatalf("attempt %d: after the 500: %v, want a clean close", i, err)
		}
		c.Close()
	}
}
