package reactor

import (
	"bytes"
	"errors"
	"io"
	"net"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// pauseSpy is a Producer that reports being paused.
type pauseSpy struct {
	once   sync.Once
	paused chan struct{}
}

func (p *pauseSpy) PauseProducing()  { p.once.Do(func() { close(p.paused) }) }
func (p *pauseSpy) ResumeProducing() {}
func (p *pauseSpy) StopProducing()   {}

// measuringEcho echoes and records the largest write buffer it saw.
type measuringEcho struct {
	recorder
	spy *pauseSpy
	max atomic.Int64
}

func (m *measuringEcho) ConnectionMade(t Transport) {
	m.recorder.ConnectionMade(t)
	t.RegisterProducer(m.spy)
}

func (m *measuringEcho) DataReceived(data []byte) {
	m.tr.Write(data)
	if n := int64(m.tr.(*conn).buffered()); n > m.max.Load() {
		m.max.Store(n)
	}
}

// TestPeerNeverReads: an echo client that sends without ever reading.
// The server stops reading once its writes back are stuck, so the peer is
// pushed back and the write buffer stays bounded; the idle timeout (no
// byte sent or received) then cleans the connection up. Under gnet, which
// cannot stop reading, the producer is paused and the connection is
// aborted once MaxPausedRead is taken in.
func TestPeerNeverReads(t *testing.T) {
	eachReactor(t, func(t *testing.T, name string) {
		m := &measuringEcho{recorder: *newRecorder(t), spy: &pauseSpy{paused: make(chan struct{})}}
		const max = 1 << 20
		s := serve(t, name, one(m), WithMaxWriteBuffer(max), WithIdleTimeout(100*time.Millisecond))
		c := dial(t, s)
		wrote := make(chan struct{})
		go func() {
			defer close(wrote)
			chunk := bytes.Repeat([]byte("z"), 64<<10)
			for range 1024 { // 64 MiB, far more than the kernel buffers
				if _, err := c.Write(chunk); err != nil {
					return
				}
			}
			t.Error("the peer wrote 64 MiB without being pushed back")
		}()
		err := waitLost(t, &m.recorder)
		<-wrote
		switch {
		case name == "gnet" && runtime.GOOS != "linux" && errors.Is(err, ErrReadBufferFull):
			select {
			case <-m.spy.paused:
			default:
				t.Error("aborted without pausing the producer first")
			}
		case errors.Is(err, ErrIdleTimeout):
		default:
			t.Errorf("reason %v", err)
		}
		if got := m.max.Load(); got > max {
			t.Errorf("write buffer reached %d bytes, above the %d limit", got, max)
		}
	})
}

// flooder writes 64 KiB from a timer again and again, ignoring flow
// control, until its connection is gone.
type flooder struct{ recorder }

func (f *flooder) ConnectionMade(t Transport) {
	f.recorder.ConnectionMade(t)
	f.more()
}

func (f *flooder) more() {
	chunk := bytes.Repeat([]byte("f"), 64<<10)
	if _, err := f.tr.Write(chunk); err == nil {
		f.tr.CallLater(0, f.more)
	}
}

func TestWriteBufferLimitAborts(t *testing.T) {
	eachReactor(t, func(t *testing.T, name string) {
		f := &flooder{*newRecorder(t)}
		s := serve(t, name, one(f), WithMaxWriteBuffer(1<<20))
		dial(t, s) // never reads
		if err := waitLost(t, &f.recorder); !errors.Is(err, ErrWriteBufferFull) {
			t.Errorf("reason %v, want ErrWriteBufferFull", err)
		}
	})
}

func TestPeerDisconnectsMidWrite(t *testing.T) {
	eachReactor(t, func(t *testing.T, name string) {
		r := newRecorder(t)
		r.onMade = func(r *recorder) {
			r.tr.Write(bytes.Repeat([]byte("w"), 16<<20))
			r.tr.LoseConnection()
		}
		s := serve(t, name, one(r), WithMaxWriteBuffer(32<<20), WithWriteHighWater(1<<20))
		c := dial(t, s)
		if _, err := io.ReadFull(c, make([]byte, 1000)); err != nil {
			t.Fatal(err)
		}
		c.(*net.TCPConn).SetLinger(0) // reset: the server's writes fail
		c.Close()
		if err := waitLost(t, r); errors.Is(err, ErrConnectionDone) {
			t.Errorf("reason %v: the 16 MiB cannot all have been sent", err)
		}
	})
}

// TestGnetPauseReachesEpoll guards the gnet reactor's way of pausing: it
// needs gnet's event loop epoll descriptor, found by reflection in the
// gnet version go.mod pins. A gnet upgrade that moves it fails here.
func TestGnetPauseReachesEpoll(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("epoll only")
	}
	got := make(chan int, 1)
	r := newRecorder(t)
	r.onMade = func(r *recorder) { got <- r.tr.(*conn).io.(*gConn).epfd }
	s := serve(t, "gnet", one(r))
	c := dial(t, s)
	if fd := <-got; fd < 0 {
		t.Fatal("the gnet reactor did not find its event loop's epoll descriptor")
	}
	c.Close()
	waitLost(t, r)
}
