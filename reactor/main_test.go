package reactor

import (
	"bufio"
	"context"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/gotwistd/gotwistd/endpoint"
)

// gnet's import of ants starts a default worker pool with two goroutines
// for the life of the process.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m,
		goleak.IgnoreTopFunction("github.com/panjf2000/ants/v2.(*poolCommon).purgeStaleWorkers"),
		goleak.IgnoreTopFunction("github.com/panjf2000/ants/v2.(*poolCommon).ticktock"),
	)
}

// eachReactor runs fn once per reactor, as a subtest named after it: every
// protocol test runs on both.
func eachReactor(t *testing.T, fn func(t *testing.T, name string)) {
	t.Helper()
	for _, name := range Names() {
		t.Run(name, func(t *testing.T) { fn(t, name) })
	}
}

// serve starts a Service for f on a loopback port with reactor name and
// returns it; it is stopped when the test ends.
func serve(t *testing.T, name string, f Factory, opts ...Option) *Service {
	t.Helper()
	ep, err := endpoint.Parse("tcp:0:interface=127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	opts = append([]Option{WithEventLoops(2)}, opts...)
	s, err := NewService("test", name, ep, f, nil, opts...)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := s.PrivilegedStart(ctx); err != nil {
		t.Fatal(err)
	}
	if err := s.Start(ctx); err != nil {
		s.Stop(ctx)
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.Stop(context.Background()); err != nil {
			t.Errorf("Stop: %v", err)
		}
	})
	return s
}

// dial connects to s; the connection is closed when the test ends.
func dial(t *testing.T, s *Service) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp", s.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// echo is the classic echo protocol.
type echo struct{ t Transport }

func (e *echo) ConnectionMade(t Transport) { e.t = t }
func (e *echo) DataReceived(data []byte)   { e.t.Write(data) }
func (e *echo) ConnectionLost(error)       {}

var echoFactory = FactoryFunc(func(net.Addr) Protocol { return &echo{} })

// recorder notes its callbacks, fails the test if two of them overlap,
// and reports the end of the connection on lost.
type recorder struct {
	t        *testing.T
	tr       Transport
	inside   atomic.Int32
	mu       sync.Mutex
	events   []string
	received []byte
	made     chan Transport
	lost     chan error
	onData   func(r *recorder, data []byte)
	onMade   func(r *recorder)
}

func newRecorder(t *testing.T) *recorder {
	return &recorder{t: t, made: make(chan Transport, 1), lost: make(chan error, 1)}
}

func (r *recorder) enter(ev string) {
	if r.inside.Add(1) != 1 {
		r.t.Errorf("callback %s overlaps another callback of the same connection", ev)
	}
	r.mu.Lock()
	r.events = append(r.events, ev)
	r.mu.Unlock()
}

func (r *recorder) leave() { r.inside.Add(-1) }

func (r *recorder) ConnectionMade(t Transport) {
	r.enter("made")
	defer r.leave()
	r.tr = t
	if r.onMade != nil {
		r.onMade(r)
	}
	r.made <- t
}

func (r *recorder) DataReceived(data []byte) {
	r.enter("data")
	defer r.leave()
	r.mu.Lock()
	r.received = append(r.received, data...)
	r.mu.Unlock()
	if r.onData != nil {
		r.onData(r, data)
	}
}

func (r *recorder) ConnectionLost(reason error) {
	r.enter("lost")
	defer r.leave()
	r.lost <- reason
}

func (r *recorder) got() []byte {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]byte(nil), r.received...)
}

// one is a factory that hands out a single protocol.
func one(p Protocol) Factory {
	var once sync.Once
	return FactoryFunc(func(net.Addr) Protocol {
		var got Protocol
		once.Do(func() { got = p })
		return got
	})
}

// readLine reads one line from br, failing the test on error.
func readLine(t *testing.T, br *bufio.Reader) string {
	t.Helper()
	line, err := br.ReadString('\n')
	if err != nil {
		t.Fatalf("read line: %v (got %q)", err, line)
	}
	return line
}

// readAll reads until EOF.
func readAll(t *testing.T, c net.Conn) []byte {
	t.Helper()
	b, err := io.ReadAll(c)
	if err != nil {
		t.Fatalf("read: %v", err)
	}
	return b
}

// waitLost waits for the recorder's ConnectionLost; a test that never
// gets it fails by the test binary's own timeout.
func waitLost(t *testing.T, r *recorder) error {
	t.Helper()
	return <-r.lost
}

var _ = time.Second
