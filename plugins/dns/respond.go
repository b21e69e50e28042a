package dns

import (
	"github.com/miekg/dns"
)

// maxUDPSize is the EDNS0 buffer size we advertise and the largest UDP
// answer we send: 1232 bytes avoids IP fragmentation on nearly every path
// (DNS flag day 2020).
const maxUDPSize = 1232

// reply starts the answer to req: same ID, opcode, question, RD and CD.
func reply(req *dns.Msg) *dns.Msg {
	m := &dns.Msg{}
	m.Id = req.Id
	m.Response = true
	m.Opcode = req.Opcode
	m.RecursionDesired = req.RecursionDesired
	m.CheckingDisabled = req.CheckingDisabled
	if len(req.Question) > 0 {
		m.Question = []dns.Question{req.Question[0]}
	}
	return m
}

// failure is an answer with rcode and nothing else.
func failure(req *dns.Msg, rcode int) *dns.Msg {
	m := reply(req)
	m.Rcode = rcode
	return m
}

// fit echoes EDNS0 and makes resp fit the transport: over UDP into 512
// bytes, or the client's EDNS0 buffer size up to maxUDPSize; over TCP into
// 64 KiB. What does not fit is left out and TC is set, so the client
// retries over TCP (RFC 1035 §4.2.1, RFC 6891 §6.2.5).
func fit(req, resp *dns.Msg, tcp bool) {
	size := dns.MinMsgSize
	if opt := req.IsEdns0(); opt != nil {
		o := &dns.OPT{Hdr: dns.RR_Header{Name: ".", Rrtype: dns.TypeOPT}}
		o.SetUDPSize(maxUDPSize)
		if opt.Do() {
			o.SetDo() // RFC 3225 §3: copied into the answer
		}
		resp.Extra = append(resp.Extra, o)
		size = min(max(int(opt.UDPSize()), dns.MinMsgSize), maxUDPSize)
	}
	if tcp {
		size = dns.MaxMsgSize
	}
	resp.Truncate(size)
}

// optCount counts the OPT records of m; more than one is a format error.
func optCount(m *dns.Msg) int {
	n := 0
	for _, rr := range m.Extra {
		if rr.Header().Rrtype == dns.TypeOPT {
			n++
		}
	}
	return n
}
