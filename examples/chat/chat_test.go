package chat

import (
	"bufio"
	"context"
	"io"
	"net"
	"strings"
	"testing"

	"go.uber.org/goleak"

	"github.com/gotwistd/gotwistd/reactor"
	"github.com/gotwistd/gotwistd/runner"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m,
		goleak.IgnoreTopFunction("github.com/panjf2000/ants/v2.(*poolCommon).purgeStaleWorkers"),
		goleak.IgnoreTopFunction("github.com/panjf2000/ants/v2.(*poolCommon).ticktock"),
	)
}

func start(t *testing.T, reactorName string) string {
	t.Helper()
	svc, err := runner.Build(Plugin(), []string{"-p", "tcp:0:interface=127.0.0.1"}, runner.Env{Reactor: reactorName})
	if err != nil {
		t.Fatal(err)
	}
	if err := svc.PrivilegedStart(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := svc.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { svc.Stop(context.Background()) })
	return svc.(*reactor.Service).Addr().String()
}

type client struct {
	t  *testing.T
	c  net.Conn
	br *bufio.Reader
}

func join(t *testing.T, addr string) *client {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	cl := &client{t, c, bufio.NewReader(c)}
	cl.expect("What's your name?")
	return cl
}

func (c *client) send(line string) {
	c.t.Helper()
	if _, err := io.WriteString(c.c, line+"\n"); err != nil {
		c.t.Fatal(err)
	}
}

func (c *client) expect(want string) {
	c.t.Helper()
	line, err := c.br.ReadString('\n')
	if err != nil {
		c.t.Fatalf("waiting for %q: %v", want, err)
	}
	if got := strings.TrimRight(line, "\r\n"); got != want {
		c.t.Fatalf("got %q, want %q", got, want)
	}
}

func TestChatRoom(t *testing.T) {
	for _, name := range reactor.Names() {
		t.Run(name, func(t *testing.T) {
			addr := start(t, name)
			alice := join(t, addr)
			alice.send("alice")
			alice.expect("Welcome, alice!")
			alice.expect("You are alone here.")

			bob := join(t, addr)
			bob.send("has space")
			bob.expect("Names are 1 to 32 characters without spaces or <>; what's your name?")
			bob.send("alice")
			bob.expect("Name taken, please choose another.")
			bob.send("bob")
			bob.expect("Welcome, bob!")
			bob.expect("Also here: alice")
			alice.expect("bob has joined the room")

			carol := join(t, addr)
			carol.send("carol")
			carol.expect("Welcome, carol!")
			carol.expect("Also here: alice, bob")
			alice.expect("carol has joined the room")
			bob.expect("carol has joined the room")

			alice.send("hi all\r") // CRLF clients work too
			bob.expect("<alice> hi all")
			carol.expect("<alice> hi all")
			bob.send("hello alice")
			alice.expect("<bob> hello alice")
			carol.expect("<bob> hello alice")

			bob.c.Close()
			alice.expect("bob has left the room")
			carol.expect("bob has left the room")

			// The name is free again.
			bob2 := join(t, addr)
			bob2.send("bob")
			bob2.expect("Welcome, bob!")
			bob2.expect("Also here: alice, carol")
		})
	}
}
