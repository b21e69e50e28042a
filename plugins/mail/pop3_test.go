package mail

import (
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// mailWith starts a server and delivers n numbered messages to joe.
func mailWith(t testing.TB, n int, more ...string) (*mailServer, string) {
	t.Helper()
	dir := t.TempDir()
	s := startMail(t, baseArgs(dir, more...)...)
	for i := 1; i <= n; i++ {
		body := fmt.Sprintf("Subject: m%d\r\n\r\nbody %d line 1\r\n.line 2 starts with a dot\r\nline 3\r\n", i, i)
		if err := send(s.smtp[0], "a@example.com", []string{"joe@localhost"}, body); err != nil {
			t.Fatal(err)
		}
	}
	return s, filepath.Join(dir, "maildir", "joe")
}

func TestPOP3Session(t *testing.T) {
	s, box := mailWith(t, 3)
	p := dialPOP3(t, s.pop3[0])
	if !strings.Contains(p.banner, "<") || !strings.HasSuffix(p.banner, "@localhost>") {
		t.Errorf("banner has no APOP timestamp: %q", p.banner)
	}
	if l := p.cmd("STAT"); !strings.HasPrefix(l, "-ERR") {
		t.Errorf("STAT before login: %q", l)
	}
	p.login("joe@localhost", "pw")
	if l := p.ok("STAT"); !strings.HasPrefix(l, "+OK 3 ") {
		t.Fatalf("STAT = %q", l)
	}
	p.ok("LIST")
	list := p.multi()
	if len(list) != 3 || !strings.HasPrefix(list[0], "1 ") {
		t.Fatalf("LIST = %q", list)
	}
	p.ok("UIDL")
	uids := p.multi()
	if len(uids) != 3 {
		t.Fatalf("UIDL = %q", uids)
	}
	if l := p.ok("UIDL 2"); l != "+OK "+uids[1] {
		t.Errorf("UIDL 2 = %q, want +OK %s", l, uids[1])
	}
	if l := p.ok("LIST 2"); l != "+OK "+list[1] {
		t.Errorf("LIST 2 = %q, want +OK %s", l, list[1])
	}
	p.ok("TOP 2 1")
	top := p.multi()
	if top[len(top)-1] != "body 2 line 1" || top[len(top)-2] != "" {
		t.Errorf("TOP 2 1 = %q", top)
	}
	p.ok("TOP 2 0")
	if top := p.multi(); top[len(top)-1] != "" {
		t.Errorf("TOP 2 0 = %q, want the header and the blank line", top)
	}
	p.ok("RETR 2")
	if body := p.multi(); body[len(body)-2] != ".line 2 starts with a dot" {
		t.Errorf("RETR lost the dot: %q", body)
	}
	for _, bad := range []string{"RETR 4", "RETR 0", "RETR x", "RETR", "DELE 9", "TOP 1", "TOP 1 -1", "LIST 1 2", "FOO", "APOP x y"} {
		if l := p.cmd(bad); !strings.HasPrefix(l, "-ERR") {
			t.Errorf("%s: %q, want -ERR", bad, l)
		}
	}
	p.ok("DELE 1")
	if l := p.cmd("RETR 1"); !strings.HasPrefix(l, "-ERR") {
		t.Errorf("RETR of a deleted message: %q", l)
	}
	if l := p.ok("STAT"); !strings.HasPrefix(l, "+OK 2 ") {
		t.Errorf("STAT after DELE = %q", l)
	}
	p.ok("RSET")
	if l := p.ok("STAT"); !strings.HasPrefix(l, "+OK 3 ") {
		t.Errorf("STAT after RSET = %q", l)
	}
	p.ok("DELE 1")
	p.ok("DELE 3")
	p.ok("NOOP")
	// Deletions wait for QUIT.
	if n := len(listDir(t, filepath.Join(box, "new"))) + len(listDir(t, filepath.Join(box, "cur"))); n != 3 {
		t.Errorf("%d files before QUIT, want 3", n)
	}
	if l := p.ok("QUIT"); l != "+OK bye (1 messages left)" {
		t.Errorf("QUIT = %q", l)
	}
	if n := len(listDir(t, filepath.Join(box, "new"))) + len(listDir(t, filepath.Join(box, "cur"))); n != 1 {
		t.Errorf("%d files after QUIT, want 1", n)
	}

	// The survivor keeps its unique-id and is now number 1.
	p2 := dialPOP3(t, s.pop3[0])
	p2.login("joe", "pw") // a bare user name of the only domain
	if l := p2.ok("UIDL 1"); l != "+OK 1 "+strings.Fields(uids[1])[1] {
		t.Errorf("UIDL after QUIT = %q, want message 2's id %s", l, uids[1])
	}
}

func TestPOP3DropWithoutQuitKeepsMail(t *testing.T) {
	s, box := mailWith(t, 2)
	p := dialPOP3(t, s.pop3[0])
	p.login("joe@localhost", "pw")
	p.ok("DELE 1")
	p.ok("DELE 2")
	p.c.Close()
	// The mailbox is free again once the server saw the drop; a new
	// session still finds both messages.
	// The server notices the drop asynchronously: poll (no sleeping).
	var l string
	for range 10000 {
		p2 := dialPOP3(t, s.pop3[0])
		p2.ok("USER joe@localhost")
		if l = p2.cmd("PASS pw"); strings.HasPrefix(l, "+OK") {
			if !strings.HasPrefix(l, "+OK joe@localhost has 2 messages (") {
				t.Errorf("login after drop: %q", l)
			}
			break
		}
		p2.c.Close()
	}
	if !strings.HasPrefix(l, "+OK") {
		t.Fatalf("mailbox still locked after the client dropped: %q", l)
	}
	if n := len(listDir(t, filepath.Join(box, "new"))); n != 2 {
		t.Errorf("new/ has %d messages, want 2", n)
	}
}

func TestPOP3OneSessionPerMailbox(t *testing.T) {
	s, _ := mailWith(t, 1)
	p := dialPOP3(t, s.pop3[0])
	p.login("joe@localhost", "pw")
	p2 := dialPOP3(t, s.pop3[0])
	p2.ok("USER joe@localhost")
	if l := p2.cmd("PASS pw"); !strings.HasPrefix(l, "-ERR [IN-USE]") {
		t.Errorf("second session: %q, want -ERR [IN-USE]", l)
	}
	p.ok("QUIT")
}

func TestPOP3AuthFailures(t *testing.T) {
	s, _ := mailWith(t, 0)
	p := dialPOP3(t, s.pop3[0])
	if l := p.cmd("PASS pw"); !strings.HasPrefix(l, "-ERR") {
		t.Errorf("PASS without USER: %q", l)
	}
	p.ok("USER joe@localhost")
	if l := p.cmd("PASS wrong"); !strings.HasPrefix(l, "-ERR [AUTH]") {
		t.Errorf("wrong password: %q", l)
	}
	p.ok("USER nobody@localhost")
	if l := p.cmd("PASS pw"); !strings.HasPrefix(l, "-ERR [AUTH]") {
		t.Errorf("unknown user: %q", l)
	}
	p.ok("USER joe@localhost")
	p.cmd("PASS wrong again")
	if _, err := p.r.ReadString('\n'); err == nil {
		t.Error("connection still open after three failed logins")
	}
}

func TestPOP3APOP(t *testing.T) {
	s, _ := mailWith(t, 1)
	p := dialPOP3(t, s.pop3[0])
	ts := p.banner[strings.Index(p.banner, "<"):]
	sum := md5.Sum([]byte(ts + "pw"))
	if l := p.cmd("APOP joe@localhost %x", md5.Sum([]byte(ts+"wrong"))); !strings.HasPrefix(l, "-ERR") {
		t.Errorf("APOP with a wrong digest: %q", l)
	}
	if l := p.ok("APOP joe@localhost %s", hex.EncodeToString(sum[:])); !strings.Contains(l, "1 messages") {
		t.Errorf("APOP = %q", l)
	}
}

func TestPOP3CapaAndPipelining(t *testing.T) {
	s, _ := mailWith(t, 2)
	p := dialPOP3(t, s.pop3[0])
	p.ok("CAPA")
	caps := strings.Join(p.multi(), ",")
	for _, c := range []string{"TOP", "UIDL", "USER", "PIPELINING", "RESP-CODES"} {
		if !strings.Contains(caps, c) {
			t.Errorf("CAPA lacks %s: %s", c, caps)
		}
	}
	if strings.Contains(caps, "STLS") {
		t.Errorf("STLS offered without a certificate: %s", caps)
	}
	// Several commands in one write are answered in order.
	fmt.Fprint(p.c, "USER joe@localhost\r\nPASS pw\r\nSTAT\r\nLIST 1\r\nQUIT\r\n")
	for i, want := range []string{"+OK send PASS", "+OK joe@localhost has 2", "+OK 2 ", "+OK 1 ", "+OK bye"} {
		if l := p.line(); !strings.HasPrefix(l, want) {
			t.Errorf("pipelined answer %d = %q, want %q...", i, l, want)
		}
	}
}

func TestPOP3HostileInput(t *testing.T) {
	s, _ := mailWith(t, 0)
	p := dialPOP3(t, s.pop3[0])
	for _, bad := range []string{"", "US", "USERX x", "\x00USER", "ÜSER x", "US3R"} {
		if l := p.cmd("%s", bad); !strings.HasPrefix(l, "-ERR") {
			t.Errorf("%q: %q", bad, l)
		}
	}
	fmt.Fprintf(p.c, "USER %s\r\n", strings.Repeat("a", 5000))
	if l := p.line(); l != "-ERR line too long" {
		t.Errorf("long line: %q", l)
	}
	if _, err := p.r.ReadString('\n'); err == nil {
		t.Error("connection open after an over-long line")
	}
	// A client that connects and says nothing is cut off by the timeout.
	s2 := startMail(t, baseArgs(t.TempDir(), "--pop3-timeout", "50ms")...)
	c, err := net.Dial("tcp", s2.pop3[0])
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	buf := make([]byte, 512)
	c.Read(buf) // banner
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	if _, err := c.Read(buf); err != io.EOF {
		t.Errorf("idle connection not closed by the server: %v", err)
	}
}
