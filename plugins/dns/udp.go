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
	"syscall"
	"time"

	"github.com/miekg/dns"
	"golang.org/x/net/ipv4"
	"golang.org/x/net/ipv6"

	"github.com/gotwistd/gotwistd/service"
)

// udpService serves DNS over one UDP socket. A few workers each read a
// batch of datagrams, answer them and write the answers, with no
// goroutine per query; an answer that must wait for an upstream server is
// finished in its own goroutine (up to maxAsync at once), so one slow
// upstream cannot hold the workers.
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
	// One worker per CPU: while one is in a system call, another
	// answers its batch. More only wait on the socket's read lock.
	n := max(2, runtime.GOMAXPROCS(0))
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

// serveDatagram answers one datagram. Messages too short for a header or
// with QR set (answers) are dropped; one that does not unpack gets
// FORMERR with its ID, as miekg/dns's server does. A query answered before
// from our own data is answered from the packet cache.
func serveDatagram(h *handler, w dns.ResponseWriter, b []byte) {
	if len(b) < 12 || b[2]&0x80 != 0 {
		return
	}
	pw, _ := w.(packetWriter)
	var key []byte
	var gen uint64
	if pw != nil && h.packets != nil && len(b) <= packetKeyMax && b[2]&0x78 == 0 && !h.dirty() {
		gen = h.gen.Load()
		client, _ := peerOf(w)
		kb := pw.keyBuf()
		*kb = packetKey(*kb, b, h.recursion != nil && h.recursion.allows(client))
		key = *kb
		if wire := h.packets.get(key, gen); wire != nil {
			out := append((*kb)[len(key):], wire...) // after the key in the scratch buffer
			out[0], out[1] = b[0], b[1]
			_, _ = w.Write(out)
			return
		}
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
	if key != nil && pw.local() {
		if out := pw.packed(); out != nil {
			h.packets.put(key, gen, out)
		}
	}
}

// batchConn reads and writes several datagrams per system call
// (recvmmsg, sendmmsg): *ipv4.PacketConn or *ipv6.PacketConn.
type batchConn interface {
	ReadBatch(ms []ipv4.Message, flags int) (int, error)
	WriteBatch(ms []ipv4.Message, flags int) (int, error)
}

// batchWriter is the dns.ResponseWriter of one datagram of a batch: the
// answer is packed into the slot's buffer and sent with the batch.
type batchWriter struct {
	svc   *udpService
	buf   []byte // the slot's pack buffer (PackBuffer wants its len)
	key   []byte // scratch for the packet cache's key and answer
	from  *net.UDPAddr
	oob   []byte // for a wildcard socket: the answer's source address
	out   []byte // the packed answer, nil until written
	isLoc bool   // the handler answered from our own data
}

var (
	_ dns.ResponseWriter = (*batchWriter)(nil)
	_ packetWriter       = (*batchWriter)(nil)
)

func (w *batchWriter) packed() []byte  { return w.out }
func (w *batchWriter) local() bool     { return w.isLoc }
func (w *batchWriter) keyBuf() *[]byte { return &w.key }
func (w *batchWriter) markLocal()      { w.isLoc = true }

func (w *batchWriter) reset(m *ipv4.Message) {
	w.from, _ = m.Addr.(*net.UDPAddr)
	if w.from == nil {
		w.from = &net.UDPAddr{}
	}
	w.out, w.oob, w.isLoc = nil, nil, false
	if w.svc.session {
		w.oob = correctSource(m.OOB[:m.NN])
	}
}

func (w *batchWriter) peer() (netip.Addr, bool) { return w.from.AddrPort().Addr().Unmap(), false }

// detach runs f with a writer of its own in a goroutine, unless maxAsync
// answers are already waiting; it reports whether it did.
func (w *batchWriter) detach(f func(dns.ResponseWriter)) bool {
	select {
	case w.svc.async <- struct{}{}:
	default:
		return false
	}
	c := &udpWriter{svc: w.svc, to: w.from.AddrPort(), oob: w.oob}
	w.svc.detached.Add(1)
	go func() {
		defer func() { <-w.svc.async; w.svc.detached.Done() }()
		f(c)
	}()
	return true
}

func (w *batchWriter) WriteMsg(m *dns.Msg) error {
	b, err := m.PackBuffer(w.buf)
	if err != nil {
		return err
	}
	w.out = b
	return nil
}

func (w *batchWriter) Write(b []byte) (int, error) {
	w.out = append(w.buf[:0], b...)
	return len(b), nil
}

func (w *batchWriter) LocalAddr() net.Addr  { return w.svc.conn.LocalAddr() }
func (w *batchWriter) RemoteAddr() net.Addr { return w.from }
func (w *batchWriter) Close() error         { return nil }
func (w *batchWriter) TsigStatus() error    { return nil }
func (w *batchWriter) TsigTimersOnly(bool)  {}
func (w *batchWriter) Hijack()              {}

// udpWriter writes one answer on its own, for answers finished outside
// the batch (after waiting for an upstream server).
type udpWriter struct {
	svc *udpService
	to  netip.AddrPort
	oob []byte
}

var _ dns.ResponseWriter = (*udpWriter)(nil)

func (w *udpWriter) peer() (netip.Addr, bool) { return w.to.Addr().Unmap(), false }

func (w *udpWriter) WriteMsg(m *dns.Msg) error {
	b, err := m.Pack()
	if err != nil {
		return err
	}
	_, err = w.Write(b)
	return err
}

func (w *udpWriter) Write(b []byte) (int, error) {
	n, _, err := w.svc.conn.WriteMsgUDPAddrPort(b, w.oob, w.to)
	return n, err
}

func (w *udpWriter) LocalAddr() net.Addr  { return w.svc.conn.LocalAddr() }
func (w *udpWriter) RemoteAddr() net.Addr { return net.UDPAddrFromAddrPort(w.to) }
func (w *udpWriter) Close() error         { return nil }
func (w *udpWriter) TsigStatus() error    { return nil }
func (w *udpWriter) TsigTimersOnly(bool)  {}
func (w *udpWriter) Hijack()              {}

// oobSize fits the control message of either family carrying the
// destination address and interface of a datagram.
var oobSize = max(len(ipv4.NewControlMessage(ipv4.FlagDst|ipv4.FlagInterface)),
	len(ipv6.NewControlMessage(ipv6.FlagDst|ipv6.FlagInterface)))

// correctSource turns the control message of a query that came to a
// wildcard socket into one that sends the answer from the address the
// query was sent to (as miekg/dns's server does), so that clients of a
// host with several addresses accept it.
func correctSource(oob []byte) []byte {
	cm6 := new(ipv6.ControlMessage)
	if cm6.Parse(oob) == nil && cm6.Dst != nil {
		if cm6.Dst.To4() == nil {
			return (&ipv6.ControlMessage{Src: cm6.Dst}).Marshal()
		}
		return (&ipv4.ControlMessage{Src: cm6.Dst}).Marshal()
	}
	cm4 := new(ipv4.ControlMessage)
	if cm4.Parse(oob) == nil && cm4.Dst != nil {
		return (&ipv4.ControlMessage{Src: cm4.Dst}).Marshal()
	}
	return nil
}
