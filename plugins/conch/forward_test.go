package conch

import (
	"io"
	"net"
	"strings"
	"sync"
	"testing"

	"golang.org/x/crypto/ssh"
)

// echoServer listens on loopback and echoes every connection.
func echoServer(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				io.Copy(c, c)
				c.Close()
			}()
		}
	}()
	t.Cleanup(func() { l.Close(); wg.Wait() })
	return l.Addr().String()
}

// echoes writes msg on c, half-closes, and checks that msg comes back.
func echoes(t *testing.T, c net.Conn, msg string) {
	t.Helper()
	defer c.Close()
	go func() {
		io.WriteString(c, msg)
		if cw, ok := c.(interface{ CloseWrite() error }); ok {
			cw.CloseWrite()
		}
	}()
	got, err := io.ReadAll(c)
	if err != nil || string(got) != msg {
		t.Errorf("echo through the forward: %q, %v", got, err)
	}
}

func TestForwardingOffByDefault(t *testing.T) {
	echo := echoServer(t)
	r := start(t, "--auth", "memory:"+me(t)+":pw")
	c := r.dial(t, me(t), ssh.Password("pw"))
	if conn, err := c.Dial("tcp", echo); err == nil {
		conn.Close()
		t.Error("local forward opened without --allow-forwarding")
	} else if !strings.Contains(err.Error(), "prohibited") {
		t.Errorf("local forward refusal: %v", err)
	}
	if l, err := c.Listen("tcp", "127.0.0.1:0"); err == nil {
		l.Close()
		t.Error("remote forward opened without --allow-forwarding")
	}
	r.logs.wait(t, "refused forward to "+echo)
	r.logs.wait(t, "refused remote forward")
}

func TestLocalForward(t *testing.T) {
	echo := echoServer(t)
	r := start(t, "--auth", "memory:"+me(t)+":pw", "--allow-forwarding")
	c := r.dial(t, me(t), ssh.Password("pw"))
	for i := 0; i < 3; i++ {
		conn, err := c.Dial("tcp", echo)
		if err != nil {
			t.Fatal(err)
		}
		echoes(t, conn, strings.Repeat("forward me ", 10000))
	}
	// A closed port is reported as a failed channel, not a hang.
	l, _ := net.Listen("tcp", "127.0.0.1:0")
	closed := l.Addr().String()
	l.Close()
	if _, err := c.Dial("tcp", closed); err == nil || !strings.Contains(err.Error(), "refused") {
		t.Errorf("forward to a closed port: %v", err)
	}
}

// remoteForward asks for a remote listener, checks where the server bound
// it (from its log line) and echoes through it.
func remoteForward(t *testing.T, r *running, c *ssh.Client, ask string) string {
	t.Helper()
	l, err := c.Listen("tcp", ask)
	if err != nil {
		t.Fatalf("remote forward %s: %v", ask, err)
	}
	defer l.Close()
	go func() {
		for {
			conn, err := l.Accept()
			if err != nil {
				return
			}
			go func() { io.Copy(conn, conn); conn.Close() }()
		}
	}()
	_, port, _ := net.SplitHostPort(l.Addr().String())
	line := r.logs.wait(t, "remote forward for", ":"+port)
	conn, err := net.Dial("tcp", "127.0.0.1:"+port)
	if err != nil {
		t.Fatal(err)
	}
	echoes(t, conn, "through -R")
	return line
}

func TestRemoteForwardBindsLoopbackUnlessGatewayPorts(t *testing.T) {
	r := start(t, "--auth", "memory:"+me(t)+":pw", "--allow-forwarding")
	c := r.dial(t, me(t), ssh.Password("pw"))
	if line := remoteForward(t, r, c, "0.0.0.0:0"); !strings.Contains(line, "listening on 127.0.0.1:") {
		t.Errorf("without --gateway-ports, asked for 0.0.0.0: %s", line)
	}

	g := start(t, "--auth", "memory:"+me(t)+":pw", "--allow-forwarding", "--gateway-ports")
	gc := g.dial(t, me(t), ssh.Password("pw"))
	if line := remoteForward(t, g, gc, "0.0.0.0:0"); strings.Contains(line, "127.0.0.1") {
		t.Errorf("with --gateway-ports, asked for 0.0.0.0: %s", line)
	}
}

func TestRemoteForwardCancelAndLowPorts(t *testing.T) {
	acct := testUser(t)
	r := start(t, "--auth", "memory:"+acct.Name+":pw", "--allow-forwarding")
	c := r.dial(t, acct.Name, ssh.Password("pw"))
	l, err := c.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close() // cancel-tcpip-forward, answered after the server closed it
	if conn, err := net.Dial("tcp", addr); err == nil {
		conn.Close()
		t.Error("remote forward still listening after cancel")
	}
	if l, err := c.Listen("tcp", "127.0.0.1:81"); err == nil {
		l.Close()
		t.Error("a non-root account bound port 81")
	}
}

func TestKeyOptionNoPortForwarding(t *testing.T) {
	echo := echoServer(t)
	k := newKey(t)
	p := writeFile(t, t.TempDir(), "keys", "no-port-forwarding "+authorizedLine(k)+"\n")
	r := start(t, "--auth", "sshkey", "--authorized-keys", p, "--allow-forwarding")
	c := r.dial(t, me(t), ssh.PublicKeys(k))
	if conn, err := c.Dial("tcp", echo); err == nil {
		conn.Close()
		t.Error("forward allowed for a no-port-forwarding key")
	}
}
