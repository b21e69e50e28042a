package dns

import (
	"context"
	"errors"
	"net"
	"sync"
	"syscall"

	"github.com/gotwistd/gotwistd/endpoint"
)

// pair binds the TCP and UDP sockets of one listening address together,
// so that both end up on the same port even when the port is 0 (tests):
// the TCP socket takes a free port, the UDP socket takes the same one, and
// when that is taken the pair tries again.
type pair struct {
	tcp *endpoint.TCP
	udp *endpoint.UDP
	env *endpoint.Env

	mu sync.Mutex
	l  net.Listener
	pc net.PacketConn
}

// pairAttempts bounds the retries for a free port shared by TCP and UDP.
const pairAttempts = 20

// bind binds both sockets on the first call; later calls do nothing.
func (p *pair) bind(ctx context.Context) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.l != nil {
		return nil
	}
	for attempt := 0; ; attempt++ {
		l, err := p.tcp.Listen(ctx, p.env)
		if err != nil {
			return err
		}
		udp := *p.udp
		udp.Port = l.Addr().(*net.TCPAddr).Port
		pc, err := udp.ListenPacket(ctx, p.env)
		if err == nil {
			p.l, p.pc = l, pc
			return nil
		}
		l.Close()
		if p.udp.Port != 0 || !errors.Is(err, syscall.EADDRINUSE) || attempt == pairAttempts {
			return err
		}
	}
}

// takeListener hands the TCP listener to its service (once).
func (p *pair) takeListener(ctx context.Context) (net.Listener, error) {
	if err := p.bind(ctx); err != nil {
		return nil, err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.l, nil
}

// takePacketConn hands the UDP socket to its service.
func (p *pair) takePacketConn(ctx context.Context) (net.PacketConn, error) {
	if err := p.bind(ctx); err != nil {
		return nil, err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.pc, nil
}
