package dns

import (
	"net"
	"net/netip"

	"github.com/miekg/dns"
	"golang.org/x/net/ipv4"
	"golang.org/x/net/ipv6"
)

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
