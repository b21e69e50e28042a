package echo

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"sync"
	"time"

	"github.com/gotwistd/gotwistd/service"
)

// server echoes on the connections of one listener, a goroutine each.
// It is a service.StreamServer: Serve until the listener closes, Shutdown
// waits for open connections until its context ends, then closes them.
type server struct {
	idle time.Duration
	log  *slog.Logger

	mu     sync.Mutex
	conns  map[net.Conn]struct{}
	closed bool
	wg     sync.WaitGroup
}

var _ service.StreamServer = (*server)(nil)

func (s *server) Serve(l net.Listener) error {
	for {
		c, err := l.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return nil
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				continue // EMFILE and the like pass; keep accepting
			}
			return err
		}
		if !s.track(c) {
			c.Close()
			continue
		}
		go s.echo(c)
	}
}

// track records c; false once Shutdown has begun.
func (s *server) track(c net.Conn) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return false
	}
	if s.conns == nil {
		s.conns = map[net.Conn]struct{}{}
	}
	s.wg.Add(1)
	s.conns[c] = struct{}{}
	return true
}

func (s *server) echo(c net.Conn) {
	defer func() {
		c.Close()
		s.mu.Lock()
		delete(s.conns, c)
		s.mu.Unlock()
		s.wg.Done()
	}()
	buf := make([]byte, 16<<10)
	for {
		if s.idle > 0 {
			_ = c.SetReadDeadline(time.Now().Add(s.idle))
		}
		n, err := c.Read(buf)
		if n > 0 {
			if _, werr := c.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			if !errors.Is(err, io.EOF) && !errors.Is(err, net.ErrClosed) {
				s.log.Debug("connection from " + c.RemoteAddr().String() + " ended: " + err.Error())
			}
			return
		}
	}
}

// Shutdown closes every connection (an echo stream has no request to let
// finish: between two reads every connection is idle) and waits until
// their goroutines are gone or ctx ends.
func (s *server) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	s.closed = true
	for c := range s.conns {
		c.Close()
	}
	s.mu.Unlock()
	done := make(chan struct{})
	go func() { s.wg.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
