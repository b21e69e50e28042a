package echo

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/gotwistd/gotwistd/runner"
	"github.com/gotwistd/gotwistd/service"
)

// gnet's import of ants starts a worker pool that lives as long as the
// process.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m,
		goleak.IgnoreTopFunction("github.com/panjf2000/ants/v2.(*poolCommon).purgeStaleWorkers"),
		goleak.IgnoreTopFunction("github.com/panjf2000/ants/v2.(*poolCommon).ticktock"),
	)
}

// reactors are the reactors every test runs on.
var reactors = []string{"netpoll", "gnet"}

// each runs test once per reactor.
func each(t *testing.T, test func(t *testing.T, env runner.Env)) {
	for _, r := range reactors {
		t.Run(r, func(t *testing.T) { test(t, runner.Env{Reactor: r}) })
	}
}

// start builds echo from a command line and starts it.
func start(t *testing.T, env runner.Env, args ...string) *service.Multi {
	t.Helper()
	svc, err := runner.Build(Plugin(), args, env)
	if err != nil {
		t.Fatal(err)
	}
	m := svc.(*service.Multi)
	if err := m.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := m.Stop(ctx); err != nil {
			t.Errorf("stop: %v", err)
		}
	})
	return m
}

func addrs(m *service.Multi) []net.Addr {
	var out []net.Addr
	for _, s := range m.Services() {
		out = append(out, s.(interface{ Addr() net.Addr }).Addr())
	}
	return out
}

func roundTrip(t *testing.T, network, addr string, msg []byte) {
	t.Helper()
	c, err := net.Dial(network, addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	go c.Write(msg)
	got := make([]byte, len(msg))
	if _, err := io.ReadFull(c, got); err != nil || string(got) != string(msg) {
		t.Fatalf("echo of %d bytes: %v", len(msg), err)
	}
}

func TestEchoesOnEveryEndpoint(t *testing.T) {
	sock := filepath.Join(t.TempDir(), "e.sock")
	m := start(t, runner.Env{}, "-p", "tcp:0:interface=127.0.0.1", "--listen", "unix:"+sock)
	as := addrs(m)
	roundTrip(t, "tcp", as[0].String(), []byte("hello\n"))
	roundTrip(t, "unix", sock, []byte("hello unix\n"))
	big := []byte(strings.Repeat("0123456789abcdef", 1<<16)) // 1 MiB, both ways at once
	roundTrip(t, "tcp", as[0].String(), big)
}

func TestEchoesOnBothReactors(t *testing.T) {
	each(t, func(t *testing.T, env runner.Env) {
		m := start(t, env, "-p", "tcp:0:interface=127.0.0.1")
		as := addrs(m)
		roundTrip(t, "tcp", as[0].String(), []byte("hello\n"))
		big := []byte(strings.Repeat("0123456789abcdef", 1<<16)) // 1 MiB, both ways at once
		roundTrip(t, "tcp", as[0].String(), big)
		roundTrip(t, "tcp", as[0].String(), []byte{0, 0xff, '\r', '\n', 0})
	})
}

func TestManyConnections(t *testing.T) {
	each(t, manyConnections)
}

func manyConnections(t *testing.T, env runner.Env) {
	m := start(t, env, "-p", "tcp:0:interface=127.0.0.1")
	addr := addrs(m)[0].String()
	var wg sync.WaitGroup
	errs := make(chan error, 200)
	for i := 0; i < 200; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			c, err := net.Dial("tcp", addr)
			if err != nil {
				errs <- err
				return
			}
			defer c.Close()
			msg := fmt.Sprintf("client %d\n", i)
			c.Write([]byte(msg))
			got, err := bufio.NewReader(c).ReadString('\n')
			if err != nil || got != msg {
				errs <- fmt.Errorf("client %d: %q %v", i, got, err)
			}
		}(i)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func TestIdleTimeoutClosesSilentClients(t *testing.T) {
	each(t, idleTimeout)
}

func idleTimeout(t *testing.T, env runner.Env) {
	m := start(t, env, "-p", "tcp:0:interface=127.0.0.1", "--idle-timeout", "50ms")
	c, err := net.Dial("tcp", addrs(m)[0].String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	if _, err := c.Read(make([]byte, 1)); err != io.EOF {
		t.Errorf("an idle client got %v, want EOF", err)
	}
}

// Stop closes open connections instead of waiting for them.
func TestStopClosesOpenConnections(t *testing.T) {
	each(t, stopCloses)
}

func stopCloses(t *testing.T, env runner.Env) {
	svc, err := runner.Build(Plugin(), []string{"-p", "tcp:0:interface=127.0.0.1", "--idle-timeout", "0"}, env)
	if err != nil {
		t.Fatal(err)
	}
	m := svc.(*service.Multi)
	m.Start(context.Background())
	c, err := net.Dial("tcp", addrs(m)[0].String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	roundTripConn(t, c)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := m.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := c.Read(make([]byte, 1)); err == nil {
		t.Error("connection still open after Stop")
	}
}

func roundTripConn(t *testing.T, c net.Conn) {
	t.Helper()
	c.Write([]byte("x\n"))
	if got, err := bufio.NewReader(c).ReadString('\n'); err != nil || got != "x\n" {
		t.Fatalf("%q %v", got, err)
	}
}

func TestBadOptions(t *testing.T) {
	for _, args := range [][]string{
		{"-p", "tcp:abc"},
		{"-p", "udp:7"},
		{"--listen", "bogus:1"},
		{"--idle-timeout", "-1s"},
	} {
		if _, err := runner.Build(Plugin(), args, runner.Env{}); err == nil {
			t.Errorf("%v accepted", args)
		}
	}
	// gnet binds its own sockets: unix and ssl endpoints are refused when
	// the service is made, not at bind time.
	if _, err := runner.Build(Plugin(), []string{"-p", "unix:/tmp/x.sock"}, runner.Env{Reactor: "gnet"}); err == nil {
		t.Error("a unix endpoint was accepted under gnet")
	}
}
