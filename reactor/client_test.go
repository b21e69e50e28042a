package reactor

import (
	"context"
	"errors"
	"net"
	"strings"
	"testing"
)

// clientFactory builds one recorder and reports how its connector ends.
type clientFactory struct {
	r      *recorder
	failed chan error
	lost   chan error
}

func (f *clientFactory) BuildProtocol(net.Addr) Protocol { return f.r }
func (f *clientFactory) ClientConnectionFailed(c *Connector, err error) {
	f.failed <- err
}
func (f *clientFactory) ClientConnectionLost(c *Connector, reason error) {
	f.lost <- reason
}

func newClientFactory(t *testing.T) *clientFactory {
	return &clientFactory{r: newRecorder(t), failed: make(chan error, 1), lost: make(chan error, 1)}
}

func newReactor(t *testing.T, name string) Reactor {
	t.Helper()
	r, err := New(name)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := r.Close(context.Background()); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return r
}

func TestConnect(t *testing.T) {
	eachReactor(t, func(t *testing.T, name string) {
		s := serve(t, name, echoFactory)
		f := newClientFactory(t)
		f.r.onMade = func(r *recorder) { r.tr.Write([]byte("ping")) }
		f.r.onData = func(r *recorder, data []byte) {
			if string(r.got()) == "ping" {
				r.tr.LoseConnection()
			}
		}
		re := newReactor(t, name)
		desc := "tcp:host=127.0.0.1:port=" + portOf(s.Addr())
		cn, err := re.Connect(desc, f, nil)
		if err != nil {
			t.Fatal(err)
		}
		if got := cn.Destination().String(); got != desc {
			t.Errorf("Destination %q", got)
		}
		tr := <-f.r.made
		if tr.GetPeer().String() != s.Addr().String() {
			t.Errorf("GetPeer %s, want %s", tr.GetPeer(), s.Addr())
		}
		if err := <-f.r.lost; !errors.Is(err, ErrConnectionDone) {
			t.Errorf("ConnectionLost %v", err)
		}
		if err := <-f.lost; !errors.Is(err, ErrConnectionDone) {
			t.Errorf("ClientConnectionLost %v", err)
		}
	})
}

func TestConnectRefused(t *testing.T) {
	eachReactor(t, func(t *testing.T, name string) {
		l, err := net.Listen("tcp4", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		port := portOf(l.Addr())
		l.Close()
		f := newClientFactory(t)
		re := newReactor(t, name)
		if _, err := re.Connect("tcp:127.0.0.1:"+port, f, nil); err != nil {
			t.Fatal(err)
		}
		if err := <-f.failed; err == nil || !strings.Contains(err.Error(), "refused") {
			t.Errorf("ClientConnectionFailed %v", err)
		}
	})
}

// TestStopConnecting: a failed attempt is reported once, and stopping or
// disconnecting a connector with nothing under way is harmless. (A dial
// that hangs long enough to be stopped needs an unreachable address,
// which a test on loopback does not have.)
func TestStopConnecting(t *testing.T) {
	f := newClientFactory(t)
	re := newReactor(t, "netpoll")
	cn, err := re.Connect("unix:path="+t.TempDir()+"/none.sock", f, nil)
	if err != nil {
		t.Fatal(err)
	}
	cn.StopConnecting()
	if err := <-f.failed; err == nil {
		t.Error("no failure reported")
	}
	cn.Disconnect()
}

func TestCloseEndsClientConnections(t *testing.T) {
	eachReactor(t, func(t *testing.T, name string) {
		s := serve(t, name, echoFactory)
		f := newClientFactory(t)
		re, err := New(name)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := re.Connect("tcp:host=127.0.0.1:port="+portOf(s.Addr())+":timeout=5", f, nil); err != nil {
			t.Fatal(err)
		}
		<-f.r.made
		if err := re.Close(context.Background()); err != nil {
			t.Fatal(err)
		}
		if err := <-f.r.lost; !errors.Is(err, ErrConnectionDone) {
			t.Errorf("reason %v", err)
		}
		if _, err := re.Connect("tcp:127.0.0.1:1", f, nil); err == nil {
			t.Error("Connect after Close")
		}
	})
}

func TestParseClient(t *testing.T) {
	good := []struct{ in, network, addr, canon string }{
		{"tcp:host=127.0.0.1:port=80", "tcp", "127.0.0.1:80", "tcp:host=127.0.0.1:port=80"},
		{"tcp:localhost:8000", "tcp", "localhost:8000", "tcp:host=localhost:port=8000"},
		{"TCP:example.com:443:timeout=2.5", "tcp", "example.com:443", "tcp:host=example.com:port=443:timeout=2.5"},
		{`tcp6:host=\:\:1:port=53`, "tcp6", "[::1]:53", `tcp6:host=\:\:1:port=53`},
		{"unix:/run/x.sock", "unix", "/run/x.sock", "unix:path=/run/x.sock"},
		{`unix:path=/tmp/a\:b:timeout=1`, "unix", "/tmp/a:b", `unix:path=/tmp/a\:b:timeout=1`},
	}
	for _, c := range good {
		e, err := ParseClient(c.in)
		if err != nil {
			t.Errorf("%q: %v", c.in, err)
			continue
		}
		if e.Network != c.network || e.Address != c.addr || e.String() != c.canon {
			t.Errorf("%q: %+v %q", c.in, e, e.String())
		}
		if again, err := ParseClient(e.String()); err != nil || again != e {
			t.Errorf("%q: canonical form %q does not round-trip: %+v %v", c.in, e.String(), again, err)
		}
	}
	bad := map[string]string{
		"":                               "start with a kind",
		"ssl:host=a:port=1":              "unknown",
		"tcp:host=a":                     "port",
		"tcp:port=80":                    "host is missing",
		"tcp:a:80:5:6":                   "too many",
		"tcp:host=a:port=80:bogus=1":     "keyword \"bogus\"",
		"tcp:a:80:host=b":                "given twice",
		"tcp:a:99999":                    "port",
		"tcp:a:80:timeout=-1":            "timeout",
		"unix:":                          "path is missing",
		"host=a:tcp":                     "start with a kind",
		"tcp:host=a:port=80:timeout=abc": "timeout",
	}
	for in, want := range bad {
		if _, err := ParseClient(in); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: %v, want %q", in, err, want)
		}
	}
}
