package dns

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"golang.org/x/net/ipv4"
	"golang.org/x/net/ipv6"

	"github.com/gotwistd/gotwistd/service"
)

// udpService serves DNS over one UDP socket. A worker reads a batch of
// datagrams, answers them and writes the answers, with no goroutine per
// query; an answer that must wait for an upstream server is finished in
// its own goroutine (up to maxAsync at once), so one slow upstream cannot
// hold the worker.
type udpService struct {
	name string // the endpoint's canonical string
	pair *pair
	h    *handler
	log  *slog.Logger
	fail func(error)

	conn  *net.UDPConn
	batch batchConn // conn, read and written a batch at a time
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
	ip := u.conn.LocalAddr().(*net.UDPAddr).IP
	p4, p6 := ipv4.NewPacketConn(u.conn), ipv6.NewPacketConn(u.conn)
	u.batch = p4
	if ip.To4() == nil {
		u.batch = p6
	}
	if ip.IsUnspecified() {
		err6 := p6.SetControlMessage(ipv6.FlagDst|ipv6.FlagInterface, true)
		err4 := p4.SetControlMessage(ipv4.FlagDst|ipv4.FlagInterface, true)
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
	// One worker per socket, as dnsmasq: a second one on the same
	// socket only waits on its read lock and adds wake-ups (measured
	// with bench/dns: 6.4 against 5.1 µs of CPU per query on 2 CPUs).
	u.workers.Add(1)
	go u.work()
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

// Batches: each worker reads up to udpBatch datagrams with one recvmmsg
// and sends their answers with one sendmmsg. System calls are most of the
// cost of a UDP query; batching them is what lets one process keep up
// with (and pass) dnsmasq.
const (
	udpBatch = 32
	// udpQueryMax is the largest query read whole; a longer datagram
	// (MSG_TRUNC) is answered FORMERR like any malformed one.
	udpQueryMax = 4096
)

// work reads and answers datagrams until the service stops.
func (u *udpService) work() {
	defer u.workers.Done()
	in := make([]ipv4.Message, udpBatch)
	out := make([]ipv4.Message, 0, udpBatch)
	slots := make([]batchWriter, udpBatch)
	for i := range in {
		in[i].Buffers = [][]byte{make([]byte, udpQueryMax)}
		slots[i] = batchWriter{svc: u, buf: make([]byte, udpQueryMax), key: make([]byte, 0, 2*packetKeyMax+maxUDPSize)}
		if u.session {
			in[i].OOB = make([]byte, oobSize)
		}
	}
	for {
		n, err := u.batch.ReadBatch(in, 0)
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
		out = out[:0]
		for i := range n {
			m, w := &in[i], &slots[i]
			w.reset(m)
			if m.Flags&syscall.MSG_TRUNC != 0 {
				m.N = min(m.N, 12) // too long: answer FORMERR from the header
			}
			serveDatagram(u.h, w, m.Buffers[0][:m.N])
			if w.out != nil {
				out = append(out, ipv4.Message{Buffers: [][]byte{w.out}, Addr: m.Addr, OOB: w.oob})
			}
		}
		for len(out) > 0 {
			k, err := u.batch.WriteBatch(out, 0)
			if err != nil {
				u.h.log.Debug("writing answers: " + err.Error())
				k = 1 // drop the message that failed, send the others
			}
			out = out[k:]
		}
	}
}

// batchConn reads and writes several datagrams per system call
// (recvmmsg, sendmmsg): *ipv4.PacketConn or *ipv6.PacketConn.
type batchConn interface {
	ReadBatch(ms []ipv4.Message, flags int) (int, error)
	WriteBatch(ms []ipv4.Message, flags int) (int, error)
}
