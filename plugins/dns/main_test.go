package dns

import (
	"bytes"
	"context"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/miekg/dns"
	"go.uber.org/goleak"

	"github.com/gotwistd/gotwistd/runner"
	"github.com/gotwistd/gotwistd/service"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// logBuf collects log lines, safe for the server's goroutines; waitFor
// lets a test block until a line shows up.
type logBuf struct {
	mu      sync.Mutex
	b       bytes.Buffer
	changed chan struct{} // closed at each write
}

func (l *logBuf) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.changed != nil {
		close(l.changed)
		l.changed = nil
	}
	return l.b.Write(p)
}

func (l *logBuf) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// waitFor blocks until the log holds s (n times), or fails the test after
// a long time; it is woken by each write, it does not poll.
func (l *logBuf) waitFor(t testing.TB, s string, n int) {
	t.Helper()
	timeout := time.NewTimer(20 * time.Second)
	defer timeout.Stop()
	for {
		l.mu.Lock()
		if strings.Count(l.b.String(), s) >= n {
			l.mu.Unlock()
			return
		}
		if l.changed == nil {
			l.changed = make(chan struct{})
		}
		ch := l.changed
		l.mu.Unlock()
		select {
		case <-ch:
		case <-timeout.C:
			t.Fatalf("no %q in the log:\n%s", s, l.String())
		}
	}
}

// testServer is a dns service built from a command line and running on
// 127.0.0.1 with a port the kernel chose, the same for UDP and TCP.
type testServer struct {
	svc  service.Service
	addr string // 127.0.0.1:PORT
	logs *logBuf
}

// start builds the plugin from args (plus -i 127.0.0.1 -p 0), starts it,
// and stops it when the test ends.
func start(t testing.TB, args ...string) *testServer {
	t.Helper()
	ts, err := tryStart(t, args...)
	if err != nil {
		t.Fatal(err)
	}
	return ts
}

func tryStart(t testing.TB, args ...string) (*testServer, error) {
	t.Helper()
	return tryStartOn(t, append([]string{"-i", "127.0.0.1", "-p", "0"}, args...)...)
}

// buildOnly makes the service from args without starting it.
func buildOnly(args []string) (service.Service, error) {
	return runner.Build(Plugin(), args, runner.Env{})
}

// tryStartOn is tryStart without the default -i and -p.
func tryStartOn(t testing.TB, args ...string) (*testServer, error) {
	t.Helper()
	logs := &logBuf{}
	env := runner.Env{Logger: slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))}
	env.OnFail = func(err error) { t.Errorf("service failed: %v", err) }
	svc, err := runner.Build(Plugin(), args, env)
	if err != nil {
		return nil, err
	}
	ctx := context.Background()
	if err := svc.PrivilegedStart(ctx); err != nil {
		return nil, err
	}
	if err := svc.Start(ctx); err != nil {
		return nil, err
	}
	ts := &testServer{svc: svc, logs: logs}
	for _, c := range svc.(*service.Multi).Services() {
		if s, ok := c.(*service.Stream); ok {
			ts.addr = s.Addr().String()
			break
		}
	}
	t.Cleanup(func() { ts.stop(t) })
	return ts, nil
}

func (ts *testServer) stop(t testing.TB) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := ts.svc.Stop(ctx); err != nil {
		t.Errorf("stop: %v", err)
	}
}

// ask sends one question over net ("udp" or "tcp") and returns the answer.
func (ts *testServer) ask(t testing.TB, network, name string, qtype uint16) *dns.Msg {
	t.Helper()
	m := new(dns.Msg)
	m.SetQuestion(name, qtype)
	m.RecursionDesired = false
	return ts.exchange(t, network, m)
}

func (ts *testServer) exchange(t testing.TB, network string, m *dns.Msg) *dns.Msg {
	t.Helper()
	c := &dns.Client{Net: network, Timeout: 5 * time.Second, UDPSize: 65535}
	r, _, err := c.Exchange(m, ts.addr)
	if err != nil {
		t.Fatalf("%s %s %s: %v", network, m.Question[0].Name, dns.TypeToString[m.Question[0].Qtype], err)
	}
	return r
}

// handler returns the handler the server answers with.
func (ts *testServer) handler() *handler {
	for _, c := range ts.svc.(*service.Multi).Services() {
		if u, ok := c.(*udpService); ok {
			return u.h
		}
	}
	panic("no udp service")
}

// captureWriter is a dns.ResponseWriter that keeps what is written, for
// driving serveDatagram without a socket.
type captureWriter struct {
	from  netip.Addr
	out   [][]byte
	key   []byte
	isLoc bool
}

func (w *captureWriter) packed() []byte {
	if len(w.out) == 0 {
		return nil
	}
	return w.out[len(w.out)-1]
}
func (w *captureWriter) local() bool     { return w.isLoc }
func (w *captureWriter) keyBuf() *[]byte { return &w.key }
func (w *captureWriter) markLocal()      { w.isLoc = true }

func (w *captureWriter) peer() (netip.Addr, bool) { return w.from, false }
func (w *captureWriter) WriteMsg(m *dns.Msg) error {
	b, err := m.Pack()
	if err != nil {
		return err
	}
	_, err = w.Write(b)
	return err
}
func (w *captureWriter) Write(b []byte) (int, error) {
	w.out = append(w.out, append([]byte(nil), b...))
	return len(b), nil
}
func (w *captureWriter) LocalAddr() net.Addr {
	return &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 53}
}
func (w *captureWriter) RemoteAddr() net.Addr {
	return net.UDPAddrFromAddrPort(netip.AddrPortFrom(w.from, 5353))
}
func (w *captureWriter) Close() error        { return nil }
func (w *captureWriter) TsigStatus() error   { return nil }
func (w *captureWriter) TsigTimersOnly(bool) {}
func (w *captureWriter) Hijack()             {}

// datagram answers b as if it came over UDP from 127.0.0.1 and returns
// the answers written (none, or one).
func datagram(h *handler, b []byte) [][]byte {
	w := &captureWriter{from: netip.MustParseAddr("127.0.0.1")}
	serveDatagram(h, w, b)
	return w.out
}

// writeFile writes content to name in dir and returns the path.
func writeFile(t testing.TB, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// rrs renders records without TTL variations in tabs, one per line.
func rrs(list []dns.RR) string {
	var out []string
	for _, rr := range list {
		out = append(out, strings.Join(strings.Fields(rr.String()), " "))
	}
	return strings.Join(out, "\n")
}

func discard() *slog.Logger { return slog.New(slog.DiscardHandler) }
