package pubsub

import (
	"bufio"
	"context"
	"io"
	"net"
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

func TestEveryLineToEveryOtherClient(t *testing.T) {
	for _, name := range reactor.Names() {
		t.Run(name, func(t *testing.T) {
			svc, err := runner.Build(Plugin(), []string{"-p", "tcp:0:interface=127.0.0.1"}, runner.Env{Reactor: name})
			if err != nil {
				t.Fatal(err)
			}
			if err := svc.PrivilegedStart(context.Background()); err != nil {
				t.Fatal(err)
			}
			if err := svc.Start(context.Background()); err != nil {
				t.Fatal(err)
			}
			defer svc.Stop(context.Background())
			rs := svc.(*reactor.Service)
			var conns []net.Conn
			var readers []*bufio.Reader
			for k := range 3 {
				c, err := net.Dial("tcp", rs.Addr().String())
				if err != nil {
					t.Fatal(err)
				}
				defer c.Close()
				conns = append(conns, c)
				readers = append(readers, bufio.NewReader(c))
				// Subscribed once the welcome is there.
				if got, err := readers[k].ReadString('\n'); err != nil || got != Welcome+"\r\n" {
					t.Fatalf("client %d: %q %v", k, got, err)
				}
			}
			io.WriteString(conns[0], "news from 0\n")
			for _, i := range []int{1, 2} {
				if got, err := readers[i].ReadString('\n'); err != nil || got != "news from 0\r\n" {
					t.Errorf("client %d: %q %v", i, got, err)
				}
			}
			io.WriteString(conns[2], "and from 2\r\n")
			for _, i := range []int{0, 1} {
				if got, err := readers[i].ReadString('\n'); err != nil || got != "and from 2\r\n" {
					t.Errorf("client %d: %q %v", i, got, err)
				}
			}
			// The sender hears nothing of its own: after a line from
			// another, the next thing client 0 reads is that line.
			io.WriteString(conns[1], "last\n")
			if got, _ := readers[0].ReadString('\n'); got != "last\r\n" {
				t.Errorf("client 0 read %q", got)
			}
		})
	}
}
