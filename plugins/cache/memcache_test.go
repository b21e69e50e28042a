package cache

import (
	"context"
	"io"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/gotwistd/gotwistd/reactor"
	"github.com/gotwistd/gotwistd/runner"
	"github.com/gotwistd/gotwistd/service"
)

// startMC starts the tree with the memcached protocol on a loopback port
// and returns its address and that of the line protocol.
func startMC(t *testing.T, reactorName string, args ...string) (mc, lines string) {
	t.Helper()
	args = append([]string{"--port", "tcp:0:interface=127.0.0.1", "--http", "", "--memcached", "tcp:0:interface=127.0.0.1"}, args...)
	svc, err := runner.Build(Plugin(), args, runner.Env{Reactor: reactorName})
	if err != nil {
		t.Fatal(err)
	}
	if err := svc.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { svc.Stop(context.Background()) })
	m := svc.(*service.Multi)
	a, _ := m.Lookup("cache-memcached")
	b, _ := m.Lookup("cache")
	return a.(*reactor.Service).Addr().String(), b.(*reactor.Service).Addr().String()
}

func TestMemcachedProtocol(t *testing.T) {
	eachReactor(t, func(t *testing.T, name string) {
		addr, lines := startMC(t, name, "--max-memory", "64K")
		c := dial(t, addr)
		send := func(s string) { io.WriteString(c.c, s) }
		expect := func(want ...string) {
			t.Helper()
			for _, w := range want {
				if got := c.read(); got != w {
					t.Fatalf("got %q, want %q", got, w)
				}
			}
		}
		send("set a 42 0 5\r\nhello\r\n")
		expect("STORED")
		send("get a b\r\n")
		expect("VALUE a 42 5", "hello", "END")
		// A data block split anywhere, CRLF inside it, two commands in
		// one packet.
		send("set b 0 0 8\r\nwi")
		send("th\r\nnl")
		send("\r\nget b\r\n")
		expect("STORED", "VALUE b 0 8", "with", "nl", "END") // the block holds a CRLF
		send("add a 0 0 1\r\nx\r\nadd c 0 0 1\r\ny\r\nreplace d 0 0 1\r\nz\r\nreplace c 7 0 2\r\nzz\r\n")
		expect("NOT_STORED", "STORED", "NOT_STORED", "STORED")
		send("get c\r\n")
		expect("VALUE c 7 2", "zz", "END")
		send("set quiet 0 0 1 noreply\r\nq\r\nset gone 0 -1 1\r\ng\r\nget quiet gone\r\n")
		expect("STORED", "VALUE quiet 0 1", "q", "END")
		send("delete a\r\ndelete a\r\ndelete c noreply\r\nget c\r\n")
		expect("DELETED", "NOT_FOUND", "END")
		send("set big 0 0 70000\r\n" + strings.Repeat("x", 70000) + "\r\nget big\r\n")
		expect("SERVER_ERROR object too large for cache", "END")
		send("set bad 0 0 2\r\nabcd\r\n")              // the block does not end in CRLF
		expect("CLIENT_ERROR bad data chunk", "ERROR") // and what follows is a command, as in memcached
		send("set k notanumber 0 1\r\nbogus\r\nversion\r\n")
		expect("CLIENT_ERROR bad command line format", "ERROR", "VERSION "+Version)
		// The same store as the line protocol.
		if lc := dial(t, lines); lc.do("get b") != "VALUE with" || lc.read() != "nl" {
			t.Error("the line protocol does not see the memcached entry")
		}
		send("flush_all\r\nget b\r\n")
		expect("OK", "END")
		send("quit\r\n")
		if rest, _ := io.ReadAll(c.br); len(rest) != 0 {
			t.Errorf("after quit: %q", rest)
		}
	})
}

// TestMemcachedRealClient drives the memcached service with pymemcache,
// a real memcached client (Debian's python3-pymemcache).
func TestMemcachedRealClient(t *testing.T) {
	py := "/usr/bin/python3"
	if err := exec.Command(py, "-c", "import pymemcache").Run(); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("python3-pymemcache is needed: %v", err)
		}
		t.Skipf("python3-pymemcache is not installed (apt-get install python3-pymemcache): %v", err)
	}
	eachReactor(t, func(t *testing.T, name string) {
		addr, _ := startMC(t, name)
		host, port, _ := strings.Cut(addr, ":")
		script := `
import sys
from pymemcache.client.base import Client
c = Client((sys.argv[1], int(sys.argv[2])), connect_timeout=5, timeout=5)
assert c.set("greeting", b"hello world") is True
assert c.get("greeting") == b"hello world", c.get("greeting")
assert c.add("greeting", b"other", noreply=False) is False
assert c.replace("greeting", b"bonjour", noreply=False) is True
assert c.get_many(["greeting", "missing"]) == {"greeting": b"bonjour"}
c.set("big", b"x" * 500000)
assert len(c.get("big")) == 500000
assert c.delete("greeting", noreply=False) is True
assert c.get("greeting") is None
assert c.version().startswith(b"gotwistd-cache")
c.flush_all()
assert c.get("big") is None
print("ok")
`
		out, err := exec.Command(py, "-c", script, host, port).CombinedOutput()
		if err != nil || strings.TrimSpace(string(out)) != "ok" {
			t.Fatalf("pymemcache: %v\n%s", err, out)
		}
	})
}
