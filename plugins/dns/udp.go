package dns

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/miekg/dns"
	"golang.org/x/net/ipv4"
	"golang.org/x/net/ipv6"

	"github.com/gotwistd/gotwistd/service"
)

// udpService serves DNS over one UDP socket. A few workers each read a
// datagram, answer it and write the answer, with no goroutine per query;
// an answer that must wait for an upstream server is finished in its own
// goroutine (up to maxAsync at once), so one slow upstream cannot hold the
// workers.
type udpService struct {
	name string // the endpoint's canonical string
	pair *pair
	h    *handler
	log  *slog.Logger
	fail func(error)

	conn *net.UDPConn
	// session: the socket is bound to every address, so answers must leave
	// from the address each query came to (IP_PKTINFO / IPV6_RECVPKTINFO).
	session bool
	async   chan struct{} // semaphore for detached answers

	workers  sync.WaitGroup
	detached sync.WaitGroup
	stopping atomic.Bool
	begin    sync.Once
	stop     sync.Once
}

// maxAsync bounds the answers waiting on upstream servers at once; past
// it a worker waits itself, which slows reading: back-pressure.
const maxAsync = 1024

var (
	_ service.Service      = (*udpService)(nil)
	_ service.StopBeginner = (*udpService)(nil)
)

func (u *udpService) Name() string { return u.name }

// PrivilegedStart binds (with its TCP sibling, see pair).
func (u *udpService) PrivilegedStart(ctx context.Context) error {
	pc, err := u.pair.takePacketConn(ctx)
	if err != nil {
		return err
	}
	u.conn = pc.(*net.UDPConn)
	if ip := u.conn.LocalAddr().(*net.UDPAddr).IP; ip.IsUnspecified() {
		err6 := ipv6.NewPacketConn(u.conn).SetControlMessage(ipv6.FlagDst|ipv6.FlagInterface, true)
		err4 := ipv4.NewPacketConn(u.conn).SetControlMessage(ipv4.FlagDst|ipv4.FlagInterface, true)
		u.session = err4 == nil || err6 == nil
	}
	u.log.Info(fmt.Sprintf("listening on %s (%s)", u.name, u.conn.LocalAddr()))
	return nil
}

// Start runs the workers.
func (u *udpService) Start(ctx context.Context) error {
	if u.conn == nil {
		return fmt.Errorf("%s: Start before PrivilegedStart", u.name)
	}
	u.async = make(chan struct{}, maxAsync)
	n := max(4, 2*runtime.GOMAXPROCS(0))
	for range n {
		u.workers.Add(1)
		go u.work()
	}
	return nil
}

// BeginStop stops reading queries; answers in progress are still sent.
func (u *udpService) BeginStop() {
	u.begin.Do(func() {
		u.stopping.Store(true)
		if u.conn == nil {
			return
		}
		_ = u.conn.SetReadDeadline(time.Unix(1, 0))
		u.log.Info("closed " + u.name)
	})
}

// Stop waits for the answers in progress until ctx ends, then closes the
// socket.
func (u *udpService) Stop(ctx context.Context) error {
	u.BeginStop()
	var err error
	u.stop.Do(func() {
		if u.conn == nil {
			return
		}
		done := make(chan struct{})
		go func() { u.workers.Wait(); u.detached.Wait(); close(done) }()
		select {
		case <-done:
		case <-ctx.Done():
			err = ctx.Err()
		}
		u.conn.Close()
	})
	return err
}

// work reads and answers datagrams until the service stops.
func (u *udpService) work() {
	defer u.workers.Done()
	buf := make([]byte, dns.MaxMsgSize)
	w := &udpWriter{svc: u, out: make([]byte, dns.MaxMsgSize)}
	for {
		var (
			n   int
			err error
		)
		if u.session {
			n, w.sess, err = dns.ReadFromSessionUDP(u.conn, buf)
			if err == nil {
				w.to = w.sess.RemoteAddr().(*net.UDPAddr).AddrPort()
			}
		} else {
			n, w.to, err = u.conn.ReadFromUDPAddrPort(buf)
		}
		if err != nil {
			if u.stopping.Load() {
				return
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() || errors.Is(err, os.ErrDeadlineExceeded) {
				continue
			}
			u.fail(fmt.Errorf("%s stopped serving: %w", u.name, err))
			return
		}
		serveDatagram(u.h, w, buf[:n])
	}
}

// serveDatagram answers one datagram. Messages too short for a header or
// with QR set (answers) are dropped; one that does not unpack gets
// FORMERR with its ID, as miekg/dns's server does.
func serveDatagram(h *handler, w dns.ResponseWriter, b []byte) {
	if len(b) < 12 || b[2]&0x80 != 0 {
		return
	}
	req := new(dns.Msg)
	if err := req.Unpack(b); err != nil {
		m := &dns.Msg{}
		m.Id = uint16(b[0])<<8 | uint16(b[1])
		m.Response = true
		m.Opcode = int(b[2]>>3) & 0xF
		m.Rcode = dns.RcodeFormatError
		_ = w.WriteMsg(m)
		return
	}
	h.ServeDNS(w, req)
}

// udpWriter is the dns.ResponseWriter of one datagram. A worker reuses
// its writer; an answer finished in another goroutine gets a copy.
type udpWriter struct {
	svc  *udpService
	to   netip.AddrPort
	sess *dns.SessionUDP
	out  []byte // the worker's pack buffer (PackBuffer wants its len); nil in a copy
}

var _ dns.ResponseWriter = (*udpWriter)(nil)

func (w *udpWriter) peer() (netip.Addr, bool) { return w.to.Addr().Unmap(), false }

// detach runs f with a copy of w in a goroutine, unless maxAsync answers
// are already waiting; it reports whether it did.
func (w *udpWriter) detach(f func(dns.ResponseWriter)) bool {
	select {
	case w.svc.async <- struct{}{}:
	default:
		return false
	}
	c := &udpWriter{svc: w.svc, to: w.to, sess: w.sess}
	w.svc.detached.Add(1)
	go func() {
		defer func() { <-w.svc.async; w.svc.detached.Done() }()
		f(c)
	}()
	return true
}

func (w *udpWriter) WriteMsg(m *dns.Msg) error {
	b, err := m.PackBuffer(w.out)
	if err != nil {
		return err
	}
	_, err = w.Write(b)
	return err
}

func (w *udpWriter) Write(b []byte) (int, error) {
	if w.sess != nil {
		return dns.WriteToSessionUDP(w.svc.conn, b, w.sess)
	}
	return w.svc.conn.WriteToUDPAddrPort(b, w.to)
}

func (w *udpWriter) LocalAddr() net.Addr  { return w.svc.conn.LocalAddr() }
func (w *udpWriter) RemoteAddr() net.Addr { return net.UDPAddrFromAddrPort(w.to) }
func (w *udpWriter) Close() error         { return nil }
func (w *udpWriter) TsigStatus() error    { return nil }
func (w *udpWriter) TsigTimersOnly(bool)  {}
func (w *udpWriter) Hijack()              {}
