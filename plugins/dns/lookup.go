package dns

import (
	"github.com/miekg/dns"
)

// result is what one zone says about one name and type.
type result struct {
	answer, ns, extra []dns.RR
	rcode             int
	// auth is false for a referral to a delegated child zone.
	auth bool
	// target is set when the answer ends in a CNAME whose target must be
	// looked up next (RFC 1034 §4.3.2 step 3a).
	target string
}

// lookup answers qname/qtype from z (RFC 1034 §4.3.2 with RFC 4592
// wildcards). qname is as the client asked it: matching ignores case and
// the answers carry the client's spelling of the name.
func (z *zone) lookup(qname string, qtype uint16) result {
	lname := lower(qname)
	// Walk down from the apex: a delegation on the way sends the client to
	// the child zone; the deepest existing name is the closest encloser.
	labels := dns.Split(lname)
	apex := len(labels) - dns.CountLabel(z.origin)
	encloser := z.origin
	for k := apex - 1; k >= 0; k-- {
		name := lname[labels[k]:]
		n, ok := z.nodes[name]
		if !ok {
			break
		}
		encloser = name
		if _, cut := n.sets[dns.TypeNS]; cut && !(k == 0 && qtype == dns.TypeDS) {
			return z.referral(n)
		}
	}
	n := z.nodes[lname]
	if n == nil {
		n = z.nodes["*."+encloser]
		if n == nil {
			return result{rcode: dns.RcodeNameError, auth: true, ns: []dns.RR{z.negSOA}}
		}
	}
	res := result{auth: true}
	switch {
	case qtype == dns.TypeANY && len(n.types) > 0:
		for _, t := range n.types {
			res.answer = append(res.answer, owned(n.sets[t], qname)...)
		}
	case len(n.sets[qtype]) > 0:
		res.answer = owned(n.sets[qtype], qname)
	case len(n.sets[dns.TypeCNAME]) > 0:
		cname := n.sets[dns.TypeCNAME][0]
		res.answer = owned(n.sets[dns.TypeCNAME], qname)
		res.target = cname.(*dns.CNAME).Target
		return res
	default:
		res.ns = []dns.RR{z.negSOA}
		return res
	}
	res.extra = z.additional(res.answer)
	return res
}

// referral sends the client to the name servers of a delegated child,
// with the glue addresses this zone holds.
func (z *zone) referral(cut *node) result {
	ns := cut.sets[dns.TypeNS]
	return result{ns: ns, extra: z.additional(ns)}
}

// additional returns the A and AAAA records this zone has for the targets
// of NS, MX and SRV records (RFC 1034 §4.3.2 step 6, RFC 2782).
func (z *zone) additional(rrs []dns.RR) []dns.RR {
	var out []dns.RR
	for _, rr := range rrs {
		var target string
		switch r := rr.(type) {
		case *dns.NS:
			target = r.Ns
		case *dns.MX:
			target = r.Mx
		case *dns.SRV:
			target = r.Target
		default:
			continue
		}
		n := z.nodes[lower(target)]
		if n == nil {
			continue
		}
		out = append(out, n.sets[dns.TypeA]...)
		out = append(out, n.sets[dns.TypeAAAA]...)
	}
	return out
}

// owned returns rrs with qname as their owner: the same records when the
// spelling already matches, copies otherwise (wildcards, other case).
// Records from a zone are shared between queries and never changed.
func owned(rrs []dns.RR, qname string) []dns.RR {
	out := make([]dns.RR, len(rrs))
	for i, rr := range rrs {
		if rr.Header().Name == qname {
			out[i] = rr
			continue
		}
		c := dns.Copy(rr)
		c.Header().Name = qname
		out[i] = c
	}
	return out
}
