package twoservers

import (
	"context"
	"io"
	"net"
	"testing"

	"go.uber.org/goleak"

	"github.com/gotwistd/gotwistd/reactor"
	"github.com/gotwistd/gotwistd/runner"
	"github.com/gotwistd/gotwistd/service"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m,
		goleak.IgnoreTopFunction("github.com/panjf2000/ants/v2.(*poolCommon).purgeStaleWorkers"),
		goleak.IgnoreTopFunction("github.com/panjf2000/ants/v2.(*poolCommon).ticktock"),
	)
}

func TestTwoServersOneProcess(t *testing.T) {
	for _, name := range reactor.Names() {
		t.Run(name, func(t *testing.T) {
			svc, err := runner.Build(Plugin(), []string{
				"--hello", "tcp:0:interface=127.0.0.1", "--bonjour", "tcp:0:interface=127.0.0.1",
			}, runner.Env{Reactor: name})
			if err != nil {
				t.Fatal(err)
			}
			if err := svc.Start(context.Background()); err != nil {
				t.Fatal(err)
			}
			defer svc.Stop(context.Background())
			for child, want := range map[string]string{"hello": "Hello, world!\r\n", "bonjour": "Bonjour, le monde !\r\n"} {
				s, _ := svc.(*service.Multi).Lookup(child)
				c, err := net.Dial("tcp", s.(*reactor.Service).Addr().String())
				if err != nil {
					t.Fatal(err)
				}
				got, err := io.ReadAll(c)
				c.Close()
				if err != nil || string(got) != want {
					t.Errorf("%s: %q %v", child, got, err)
				}
			}
		})
	}
}

func TestBadEndpoint(t *testing.T) {
	if _, err := runner.Build(Plugin(), []string{"--bonjour", "tcp:x"}, runner.Env{}); err == nil {
		t.Error("a bad --bonjour was accepted")
	}
	if _, err := runner.Build(Plugin(), []string{"--hello", "unix:/tmp/h.sock"}, runner.Env{Reactor: "gnet"}); err == nil {
		t.Error("gnet accepted a unix endpoint")
	}
}
