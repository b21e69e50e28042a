package endpoint

import (
	"io"
	"net"
	"reflect"
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// serveEcho accepts one connection on l and echoes 4 bytes back; the
// returned channel closes when that connection is done.
func serveEcho(t *testing.T, l net.Listener) <-chan struct{} {
	t.Helper()
	done := make(chan struct{})
	go func() {
		defer close(done)
		c, err := l.Accept()
		if err != nil {
			t.Errorf("accept: %v", err)
			return
		}
		defer c.Close()
		io.CopyN(c, c, 4)
	}()
	return done
}

// ping writes "ping" on c and expects it back.
func ping(t *testing.T, c net.Conn) {
	t.Helper()
	if _, err := c.Write([]byte("ping")); err != nil {
		t.Fatalf("write: %v", err)
	}
	buf := make([]byte, 4)
	if _, err := io.ReadFull(c, buf); err != nil || string(buf) != "ping" {
		t.Fatalf("read %q, %v; want ping", buf, err)
	}
}

// exchange dials l with dial, pings through it and waits for the server side.
func exchange(t *testing.T, l net.Listener, dial func() (net.Conn, error)) {
	t.Helper()
	done := serveEcho(t, l)
	c, err := dial()
	if err != nil {
		l.Close()
		<-done
		t.Fatalf("dial: %v", err)
	}
	ping(t, c)
	c.Close()
	<-done
}

// sameEndpoint compares endpoints field by field; for TLS the loaded
// certificate is left out and the resolved file names compared instead.
func sameEndpoint(a, b Endpoint) bool {
	return reflect.DeepEqual(comparable(a), comparable(b))
}

func comparable(e Endpoint) any {
	if t, ok := e.(*TLS); ok {
		c := *t
		var files tlsFiles
		if t.state != nil {
			files = t.state.files
		}
		c.state = nil
		return [2]any{c, files}
	}
	return e
}

func hasIPv6(t *testing.T) {
	t.Helper()
	l, err := net.Listen("tcp6", "[::1]:0")
	if err != nil {
		t.Skipf("no IPv6 loopback here: %v", err)
	}
	l.Close()
}
