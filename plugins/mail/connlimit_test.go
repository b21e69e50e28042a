package mail

import (
	"bufio"
	"net"
	"strings"
	"testing"
	"time"
)

// dialFrom connects from a given loopback address and returns the first
// line the server sends (its greeting or its refusal).
func dialFrom(t *testing.T, from, addr string) (net.Conn, string) {
	t.Helper()
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(from)}, Timeout: 10 * time.Second}
	c, err := d.Dial("tcp", addr)
	if err != nil {
		t.Fatalf("dial from %s: %v", from, err)
	}
	t.Cleanup(func() { c.Close() })
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	line, _ := bufio.NewReader(c).ReadString('\n')
	return c, line
}

// One client address gets --max-connections-per-ip connections, an
// endpoint --max-connections in all; the next is told why and closed, and
// a closed connection frees its place. Both for SMTP and for POP3.
func TestConnectionLimits(t *testing.T) {
	dir := t.TempDir()
	s := startMail(t, baseArgs(dir, "--max-connections", "3", "--max-connections-per-ip", "2")...)
	for _, tc := range []struct {
		proto, addr, ok, refused string
	}{
		{"smtp", s.smtp[0], "220 ", "421 4.7.0 localhost Too many connections"},
		{"pop3", s.pop3[0], "+OK ", "-ERR [SYS/TEMP] Too many connections"},
	} {
		t.Run(tc.proto, func(t *testing.T) {
			first, line := dialFrom(t, "127.0.0.1", tc.addr)
			if !strings.HasPrefix(line, tc.ok) {
				t.Fatalf("first connection: %q", line)
			}
			if _, line := dialFrom(t, "127.0.0.1", tc.addr); !strings.HasPrefix(line, tc.ok) {
				t.Fatalf("second connection: %q", line)
			}
			if _, line := dialFrom(t, "127.0.0.1", tc.addr); !strings.HasPrefix(line, tc.refused) {
				t.Errorf("third connection from one address: %q, want %q", line, tc.refused)
			}
			if _, line := dialFrom(t, "127.0.0.2", tc.addr); !strings.HasPrefix(line, tc.ok) {
				t.Fatalf("another address: %q", line)
			}
			if _, line := dialFrom(t, "127.0.0.3", tc.addr); !strings.HasPrefix(line, tc.refused) {
				t.Errorf("fourth connection in all: %q, want %q", line, tc.refused)
			}
			// Closing one frees its place once the server has seen it go.
			first.Close()
			deadline := time.Now().Add(10 * time.Second)
			for {
				c, line := dialFrom(t, "127.0.0.1", tc.addr)
				if strings.HasPrefix(line, tc.ok) {
					break
				}
				c.Close()
				if time.Now().After(deadline) {
					t.Fatalf("a place never came free: %q", line)
				}
				time.Sleep(10 * time.Millisecond)
			}
		})
	}
}

func TestConnectionLimitOptions(t *testing.T) {
	dir := t.TempDir()
	for _, args := range [][]string{{"--max-connections", "-1"}, {"--max-connections-per-ip", "-5"}} {
		_, err := buildMailErr(baseArgs(dir, args...))
		if err == nil || !strings.Contains(err.Error(), "must be 0 (no limit) or more") {
			t.Errorf("%v: %v", args, err)
		}
	}
	if _, err := buildMailErr(baseArgs(dir, "--max-connections", "0", "--max-connections-per-ip", "0")); err != nil {
		t.Errorf("no limits: %v", err)
	}
}
