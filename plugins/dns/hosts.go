package dns

import (
	"github.com/miekg/dns"
)

// answer fills m from the hosts file for q (lname is q.Name in lower
// case). It returns false when the file does not list the name, neither as
// a host name nor as the reverse name of a listed address. A listed name
// without the asked type gets an empty NOERROR answer (NODATA), never
// NXDOMAIN or SERVFAIL, whatever the type.
func (h *hostsMap) answer(q dns.Question, lname string, ttl uint32, m *dns.Msg) bool {
	if e := h.byName[lname]; e != nil {
		hdr := dns.RR_Header{Name: q.Name, Class: dns.ClassINET, Ttl: ttl}
		if q.Qtype == dns.TypeA || q.Qtype == dns.TypeANY {
			hdr.Rrtype = dns.TypeA
			for _, a := range e.v4 {
				ip := a.As4()
				m.Answer = append(m.Answer, &dns.A{Hdr: hdr, A: ip[:]})
			}
		}
		if q.Qtype == dns.TypeAAAA || q.Qtype == dns.TypeANY {
			hdr.Rrtype = dns.TypeAAAA
			for _, a := range e.v6 {
				ip := a.As16()
				m.Answer = append(m.Answer, &dns.AAAA{Hdr: hdr, AAAA: ip[:]})
			}
		}
		m.Authoritative = true
		return true
	}
	if names := h.byAddr[lname]; names != nil {
		if q.Qtype == dns.TypePTR || q.Qtype == dns.TypeANY {
			hdr := dns.RR_Header{Name: q.Name, Rrtype: dns.TypePTR, Class: dns.ClassINET, Ttl: ttl}
			for _, n := range names {
				m.Answer = append(m.Answer, &dns.PTR{Hdr: hdr, Ptr: n})
			}
		}
		m.Authoritative = true
		return true
	}
	return false
}
