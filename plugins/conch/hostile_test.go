package conch

import (
	"bufio"
	"io"
	"net"
	"strings"
	"testing"

	"golang.org/x/crypto/ssh"
)

// readVersion reads the server's identification line.
func readVersion(t *testing.T, c net.Conn) string {
	t.Helper()
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		t.Fatalf("reading the server's version line: %v", err)
	}
	return line
}

// drained reads until the server closes the connection.
func drained(t *testing.T, c net.Conn) {
	t.Helper()
	if _, err := io.Copy(io.Discard, c); err != nil && !strings.Contains(err.Error(), "reset") {
		t.Fatalf("waiting for the server to close: %v", err)
	}
}

// Garbage ends the connection: at once when it overflows the version
// line, else when the login grace time runs out.
func TestGarbageInsteadOfVersionLine(t *testing.T) {
	r := start(t, "--auth", "memory:"+me(t)+":pw", "--login-grace-time", "500ms")
	for _, junk := range []string{
		"GET / HTTP/1.1\r\nHost: x\r\n\r\n",
		strings.Repeat("A", 300<<10),
		"SSH-1.5-ancient\r\n",
		"\x00\x01\x02\xff\r\n" + strings.Repeat("\n", 2000),
	} {
		c, err := net.Dial("tcp", r.addr)
		if err != nil {
			t.Fatal(err)
		}
		if v := readVersion(t, c); !strings.HasPrefix(v, "SSH-2.0-gotwistd") {
			t.Errorf("version line %q", v)
		}
		go func() { c.Write([]byte(junk)) }()
		drained(t, c)
		c.Close()
	}
	r.logs.wait(t, "closed before login")
	stillServing(t, r)
}

// stillServing checks that r accepts a new connection and starts a
// handshake. (A full login is not tried: these servers have a grace time
// short enough that a busy machine could miss it.)
func stillServing(t *testing.T, r *running) {
	t.Helper()
	c, err := net.Dial("tcp", r.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if v := readVersion(t, c); !strings.HasPrefix(v, "SSH-2.0-") {
		t.Errorf("version line %q", v)
	}
}

func TestStalledHandshakeHitsGraceTime(t *testing.T) {
	r := start(t, "--auth", "memory:"+me(t)+":pw", "--login-grace-time", "300ms")
	// One client says nothing at all, one stops after its version line.
	for _, say := range []string{"", "SSH-2.0-stalling\r\n"} {
		c, err := net.Dial("tcp", r.addr)
		if err != nil {
			t.Fatal(err)
		}
		readVersion(t, c)
		if say != "" {
			c.Write([]byte(say))
		}
		drained(t, c)
		c.Close()
	}
	r.logs.wait(t, "not logged in after 300ms (--login-grace-time)")
	stillServing(t, r)
}

func TestMaxStartupsDropsExtraConnections(t *testing.T) {
	r := start(t, "--auth", "memory:"+me(t)+":pw", "--max-startups", "1")
	first, err := net.Dial("tcp", r.addr)
	if err != nil {
		t.Fatal(err)
	}
	readVersion(t, first) // the server holds first as logging in
	second, err := net.Dial("tcp", r.addr)
	if err != nil {
		t.Fatal(err)
	}
	if b, _ := io.ReadAll(second); len(b) != 0 {
		t.Errorf("second connection got %q; want it dropped", b)
	}
	second.Close()
	r.logs.wait(t, "dropped connection from 127.0.0.1", "--max-startups")
	first.Close()
	r.logs.wait(t, "closed before login")
	r.dial(t, me(t), ssh.Password("pw")) // the slot is free again
}
