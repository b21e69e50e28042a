package dns

import (
	"fmt"

	"github.com/miekg/dns"
)

// zone is one authoritative zone, loaded from a master file or by a zone
// transfer. It is never changed after newZone; a reload swaps in a new one.
type zone struct {
	origin string // lower-case FQDN of the apex
	soa    *dns.SOA
	negSOA *dns.SOA // the SOA with the negative-caching TTL (RFC 2308 §5)
	nodes  map[string]*node
	// records is every record in load order, SOA first: what AXFR sends.
	records []dns.RR
}

// node is one owner name. An empty non-terminal has a node with no sets,
// so that it exists (NODATA) and stops wildcard matching (RFC 4592).
type node struct {
	sets map[uint16][]dns.RR
	// types in first-seen order, so ANY answers are stable.
	types []uint16
}

// newZone checks recs and indexes them. pos(i) names where recs[i] came
// from ("db.example:12") for errors. The checks: class IN only, every owner
// inside origin, exactly one SOA and it at the apex, no CNAME beside other
// data or beside another CNAME.
func newZone(origin string, recs []dns.RR, pos func(i int) string) (*zone, error) {
	z := &zone{origin: lower(dns.Fqdn(origin)), nodes: map[string]*node{}}
	for i, rr := range recs {
		h := rr.Header()
		owner := lower(h.Name)
		switch {
		case h.Class != dns.ClassINET:
			return nil, fmt.Errorf("%s: class %s: only IN records are served", pos(i), dns.ClassToString[h.Class])
		case !dns.IsSubDomain(z.origin, owner):
			return nil, fmt.Errorf("%s: %s is outside the zone %s", pos(i), h.Name, z.origin)
		case h.Rrtype == dns.TypeSOA && owner != z.origin:
			return nil, fmt.Errorf("%s: SOA record for %s: a SOA belongs at the zone apex %s", pos(i), h.Name, z.origin)
		case h.Rrtype == dns.TypeSOA && z.soa != nil:
			return nil, fmt.Errorf("%s: a second SOA record for %s", pos(i), z.origin)
		}
		n := z.node(owner)
		if err := n.add(rr); err != nil {
			return nil, fmt.Errorf("%s: %s: %v", pos(i), h.Name, err)
		}
		if soa, ok := rr.(*dns.SOA); ok {
			z.soa = soa
		}
	}
	if z.soa == nil {
		return nil, fmt.Errorf("zone %s has no SOA record", z.origin)
	}
	z.negSOA = dns.Copy(z.soa).(*dns.SOA)
	if z.soa.Minttl < z.negSOA.Hdr.Ttl {
		z.negSOA.Hdr.Ttl = z.soa.Minttl
	}
	z.records = append(z.records, z.soa)
	for _, rr := range recs {
		if rr != dns.RR(z.soa) {
			z.records = append(z.records, rr)
		}
	}
	return z, nil
}

// node returns the node for owner, creating it and the empty non-terminals
// between it and the apex.
func (z *zone) node(owner string) *node {
	n := z.nodes[owner]
	if n != nil {
		return n
	}
	n = &node{sets: map[uint16][]dns.RR{}}
	z.nodes[owner] = n
	for _, a := range ancestors(owner) {
		if len(a) < len(z.origin) {
			break
		}
		if _, ok := z.nodes[a]; ok {
			break
		}
		z.nodes[a] = &node{sets: map[uint16][]dns.RR{}}
	}
	return n
}

func (n *node) add(rr dns.RR) error {
	t := rr.Header().Rrtype
	_, hasCNAME := n.sets[dns.TypeCNAME]
	switch {
	case t == dns.TypeCNAME && hasCNAME:
		return fmt.Errorf("a second CNAME record (a name has at most one)")
	case t == dns.TypeCNAME && len(n.types) > 0 && !dnssecType(n.types...):
		return fmt.Errorf("CNAME beside other records (RFC 1034 §3.6.2)")
	case t != dns.TypeCNAME && hasCNAME && !dnssecType(t):
		return fmt.Errorf("%s record beside a CNAME (RFC 1034 §3.6.2)", dns.TypeToString[t])
	}
	for _, have := range n.sets[t] {
		if dns.IsDuplicate(have, rr) {
			return nil
		}
	}
	if _, ok := n.sets[t]; !ok {
		n.types = append(n.types, t)
	}
	n.sets[t] = append(n.sets[t], rr)
	return nil
}

// dnssecType reports whether every type may sit beside a CNAME (RFC 4035).
func dnssecType(ts ...uint16) bool {
	for _, t := range ts {
		if t != dns.TypeRRSIG && t != dns.TypeNSEC {
			return false
		}
	}
	return true
}

// serial is the zone's SOA serial.
func (z *zone) serial() uint32 { return z.soa.Serial }

// names returns every owner name with records, for cache invalidation.
func (z *zone) names() map[string]struct{} {
	out := make(map[string]struct{}, len(z.nodes))
	for n, nd := range z.nodes {
		if len(nd.types) > 0 {
			out[n] = struct{}{}
		}
	}
	return out
}
