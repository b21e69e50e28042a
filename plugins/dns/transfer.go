package dns

import (
	"net/netip"

	"github.com/miekg/dns"
)

// transferChunk bounds the records of one AXFR message (uncompressed
// bytes), well below the 64 KiB a TCP message may hold.
const transferChunk = 32 << 10

// isTransfer reports whether req asks for a zone transfer.
func isTransfer(req *dns.Msg) bool {
	return req.Opcode == dns.OpcodeQuery && len(req.Question) == 1 &&
		(req.Question[0].Qtype == dns.TypeAXFR || req.Question[0].Qtype == dns.TypeIXFR)
}

// serveTransfer answers AXFR (and IXFR, with the whole zone, as RFC 1995
// §4 allows) for clients in --allow-transfer only: a zone's full list of
// names helps an attacker, so transfers are refused by default. Over UDP
// an allowed client is told to use TCP (TC).
func (h *handler) serveTransfer(w dns.ResponseWriter, req *dns.Msg, client netip.Addr, tcp bool) {
	q := req.Question[0]
	lname := lower(q.Name)
	var z *zone
	if holder, cur := h.zones.find(lname); holder != nil && cur != nil && cur.origin == lname {
		z = cur
	}
	var fail *dns.Msg
	switch {
	case !h.transfer.allows(client):
		fail = failure(req, dns.RcodeRefused)
	case z == nil:
		fail = failure(req, dns.RcodeNotAuth)
	case !tcp:
		fail = reply(req)
		fail.Truncated = true
	}
	if fail != nil {
		if h.verbose > 0 || fail.Rcode == dns.RcodeRefused {
			h.log.Info("zone transfer of " + q.Name + " to " + client.String() + " " + dns.RcodeToString[fail.Rcode])
		}
		fit(req, fail, tcp)
		_ = w.WriteMsg(fail)
		return
	}
	chunks := transferEnvelopes(z)
	ch := make(chan *dns.Envelope, len(chunks))
	for _, c := range chunks {
		ch <- c
	}
	close(ch)
	if err := new(dns.Transfer).Out(w, req, ch); err != nil {
		h.log.Warn("zone transfer of " + z.origin + " to " + client.String() + " failed: " + err.Error())
		return
	}
	h.log.Info("zone transfer of " + z.origin + " (serial " + itoa(int(z.serial())) + ", " +
		plural(len(z.records), "record") + ") to " + client.String())
}

// transferEnvelopes splits the zone into messages: SOA, every record, SOA
// again (RFC 5936 §2.2).
func transferEnvelopes(z *zone) []*dns.Envelope {
	var out []*dns.Envelope
	cur := &dns.Envelope{}
	size := 0
	add := func(rr dns.RR) {
		l := dns.Len(rr)
		if size+l > transferChunk && len(cur.RR) > 0 {
			out = append(out, cur)
			cur, size = &dns.Envelope{}, 0
		}
		cur.RR = append(cur.RR, rr)
		size += l
	}
	for _, rr := range z.records {
		add(rr)
	}
	add(z.soa)
	return append(out, cur)
}
