package reactor

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestEchoRoundTrip(t *testing.T) {
	eachReactor(t, func(t *testing.T, name string) {
		s := serve(t, name, echoFactory)
		c := dial(t, s)
		for _, msg := range []string{"a", "hello", strings.Repeat("x", 100000)} {
			if _, err := c.Write([]byte(msg)); err != nil {
				t.Fatal(err)
			}
			buf := make([]byte, len(msg))
			if _, err := io.ReadFull(c, buf); err != nil || string(buf) != msg {
				t.Fatalf("echo of %d bytes: %v", len(msg), err)
			}
		}
	})
}

func TestManyClients(t *testing.T) {
	eachReactor(t, func(t *testing.T, name string) {
		s := serve(t, name, echoFactory)
		var wg sync.WaitGroup
		errs := make(chan error, 100)
		for i := range 100 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				c, err := net.Dial("tcp", s.Addr().String())
				if err != nil {
					errs <- err
					return
				}
				defer c.Close()
				msg := []byte(fmt.Sprintf("client %d says hello", i))
				for range 20 {
					if _, err := c.Write(msg); err != nil {
						errs <- err
						return
					}
					buf := make([]byte, len(msg))
					if _, err := io.ReadFull(c, buf); err != nil || !bytes.Equal(buf, msg) {
						errs <- fmt.Errorf("client %d: %q, %v", i, buf, err)
						return
					}
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Error(err)
		}
	})
}

func TestCallbackOrderAndPeerClose(t *testing.T) {
	eachReactor(t, func(t *testing.T, name string) {
		r := newRecorder(t)
		s := serve(t, name, one(r))
		c := dial(t, s)
		tr := <-r.made
		if tr.GetPeer().String() != c.LocalAddr().String() || tr.GetHost().String() != c.RemoteAddr().String() {
			t.Errorf("GetPeer %s GetHost %s; client is %s -> %s", tr.GetPeer(), tr.GetHost(), c.LocalAddr(), c.RemoteAddr())
		}
		c.Write([]byte("hello"))
		c.Close()
		if err := waitLost(t, r); !errors.Is(err, ErrConnectionDone) {
			t.Errorf("reason %v, want ErrConnectionDone", err)
		}
		if got := string(r.got()); got != "hello" {
			t.Errorf("received %q", got)
		}
		r.mu.Lock()
		ev := strings.Join(r.events, " ")
		r.mu.Unlock()
		if !strings.HasPrefix(ev, "made data") || !strings.HasSuffix(ev, "lost") {
			t.Errorf("events %q", ev)
		}
		if _, err := tr.Write([]byte("late")); !errors.Is(err, ErrNotConnected) {
			t.Errorf("Write after the end: %v, want ErrNotConnected", err)
		}
	})
}

// TestNoConcurrentCallbacks drives one connection from its data, its
// timers, its ResumeProducing and writes from other goroutines at once;
// the recorder fails the test if two callbacks overlap.
func TestNoConcurrentCallbacks(t *testing.T) {
	eachReactor(t, func(t *testing.T, name string) {
		r := newRecorder(t)
		var timers sync.WaitGroup
		r.onData = func(r *recorder, data []byte) {
			if len(data) == 0 {
				return // the empty delivery that follows ResumeProducing
			}
			for range 3 {
				timers.Add(1)
				r.tr.CallLater(0, func() {
					defer timers.Done()
					r.enter("timer")
					r.leave()
				})
			}
			r.tr.PauseProducing()
			go r.tr.ResumeProducing()
			copied := append([]byte(nil), data...) // data is only valid during the call
			go r.tr.Write(copied)
		}
		s := serve(t, name, one(r))
		c := dial(t, s)
		<-r.made
		for range 200 {
			c.Write([]byte("x"))
		}
		got := 0
		buf := make([]byte, 256)
		for got < 200 {
			n, err := c.Read(buf)
			if err != nil {
				t.Fatal(err)
			}
			got += n
		}
		timers.Wait()
		c.Close()
		waitLost(t, r)
	})
}

func TestLoseConnectionSendsPendingFirst(t *testing.T) {
	eachReactor(t, func(t *testing.T, name string) {
		big := bytes.Repeat([]byte("0123456789abcdef"), 1<<16) // 1 MiB
		r := newRecorder(t)
		r.onMade = func(r *recorder) {
			r.tr.Write(big)
			r.tr.WriteSequence([][]byte{[]byte("end"), []byte("\n")})
			r.tr.LoseConnection()
			if _, err := r.tr.Write([]byte("after")); !errors.Is(err, ErrNotConnected) {
				t.Errorf("Write after LoseConnection: %v", err)
			}
		}
		s := serve(t, name, one(r), WithMaxWriteBuffer(2<<20))
		c := dial(t, s)
		got := readAll(t, c)
		if want := append(append([]byte(nil), big...), "end\n"...); !bytes.Equal(got, want) {
			t.Fatalf("got %d bytes, want %d", len(got), len(want))
		}
		if err := waitLost(t, r); !errors.Is(err, ErrConnectionDone) {
			t.Errorf("reason %v", err)
		}
	})
}

func TestAbortConnection(t *testing.T) {
	eachReactor(t, func(t *testing.T, name string) {
		r := newRecorder(t)
		r.onData = func(r *recorder, data []byte) { r.tr.AbortConnection() }
		s := serve(t, name, one(r))
		c := dial(t, s)
		c.Write([]byte("x"))
		if err := waitLost(t, r); !errors.Is(err, ErrConnectionAborted) {
			t.Errorf("reason %v, want ErrConnectionAborted", err)
		}
		readAll(t, c)
	})
}

func TestPauseResume(t *testing.T) {
	eachReactor(t, func(t *testing.T, name string) {
		r := newRecorder(t)
		paused := make(chan struct{})
		resumed := make(chan struct{})
		r.onData = func(r *recorder, data []byte) {
			if len(data) == 0 {
				return
			}
			switch got := string(r.got()); got {
			case "stop":
				r.tr.PauseProducing()
				close(paused)
			case "stopmore":
				close(resumed)
			}
		}
		s := serve(t, name, one(r))
		c := dial(t, s)
		tr := <-r.made
		c.Write([]byte("stop"))
		<-paused
		c.Write([]byte("more"))
		// Nothing may arrive while paused: ask the connection itself,
		// through a callback that runs after anything already delivered.
		seen := make(chan string, 1)
		tr.CallLater(time.Millisecond, func() { seen <- string(r.got()) })
		if got := <-seen; got != "stop" {
			t.Errorf("while paused the protocol got %q", got)
		}
		tr.ResumeProducing()
		<-resumed
		c.Close()
		waitLost(t, r)
	})
}

func TestCallLater(t *testing.T) {
	eachReactor(t, func(t *testing.T, name string) {
		r := newRecorder(t)
		s := serve(t, name, one(r))
		c := dial(t, s)
		tr := <-r.made
		ran := make(chan string, 3)
		cancelled := tr.CallLater(time.Hour, func() { ran <- "never" })
		tr.CallLater(time.Millisecond, func() { ran <- "first"; tr.Write([]byte("from a timer")) })
		if !cancelled.Active() || !cancelled.Cancel() || cancelled.Cancel() || cancelled.Active() {
			t.Error("Cancel of a pending call")
		}
		if got := <-ran; got != "first" {
			t.Fatal(got)
		}
		buf := make([]byte, len("from a timer"))
		if _, err := io.ReadFull(c, buf); err != nil {
			t.Fatal(err)
		}
		pending := tr.CallLater(time.Hour, func() { ran <- "after lost" })
		c.Close()
		waitLost(t, r)
		if pending.Active() {
			t.Error("a call of a lost connection is still pending")
		}
		if late := tr.CallLater(0, func() { ran <- "late" }); late.Active() {
			t.Error("CallLater after the end is active")
		}
	})
}

func TestPackageCallLater(t *testing.T) {
	ran := make(chan struct{})
	dc := CallLater(time.Millisecond, func() { close(ran) })
	<-ran
	if dc.Active() || dc.Cancel() || dc.Reset(time.Second) {
		t.Error("a call that ran is still active")
	}
	dc = CallLater(time.Hour, func() { t.Error("cancelled call ran") })
	if !dc.Reset(2*time.Hour) || !dc.Cancel() {
		t.Error("Reset/Cancel of a pending call")
	}
}

func TestBuildProtocolNilRefuses(t *testing.T) {
	eachReactor(t, func(t *testing.T, name string) {
		s := serve(t, name, FactoryFunc(func(net.Addr) Protocol { return nil }))
		c := dial(t, s)
		if got := readAll(t, c); len(got) != 0 {
			t.Errorf("refused connection sent %q", got)
		}
	})
}

type panicky struct{ recorder }

func (p *panicky) DataReceived([]byte) { panic("boom") }

func TestPanicAbortsConnection(t *testing.T) {
	eachReactor(t, func(t *testing.T, name string) {
		p := &panicky{*newRecorder(t)}
		s := serve(t, name, one(p))
		c := dial(t, s)
		c.Write([]byte("x"))
		if err := <-p.lost; !errors.Is(err, ErrProtocolPanic) {
			t.Errorf("reason %v, want ErrProtocolPanic", err)
		}
		readAll(t, c)
	})
}

func TestIdleTimeout(t *testing.T) {
	eachReactor(t, func(t *testing.T, name string) {
		r := newRecorder(t)
		s := serve(t, name, one(r), WithIdleTimeout(20*time.Millisecond))
		c := dial(t, s)
		if got := readAll(t, c); len(got) != 0 {
			t.Errorf("got %q", got)
		}
		if err := waitLost(t, r); !errors.Is(err, ErrIdleTimeout) {
			t.Errorf("reason %v, want ErrIdleTimeout", err)
		}
	})
}
