package dns

import (
	"log/slog"
	"net"
	"net/netip"
	"strings"
	"sync/atomic"
	"time"

	"github.com/miekg/dns"
)

// maxChase bounds how many CNAMEs are followed inside our zones.
const maxChase = 8

// handler answers queries from, in this order: the zones (authoritative),
// the hosts file, and (for clients allowed to recurse) the upstream servers
// through the cache. It never answers SERVFAIL for a type a source lacks:
// a name that exists gets NODATA, one that does not gets NXDOMAIN.
type handler struct {
	hosts    *source[hostsMap] // nil without --hosts-file
	hostsTTL uint32
	zones    *zoneSet

	recursion *recursor // nil unless --recursive
	transfer  acl       // clients that may AXFR
	secondary *secondaries

	log     *slog.Logger
	verbose int

	// gen counts changes of our data; packets keeps UDP answers made
	// from it (nil under -v). watched are the file sources, whose dirty
	// flag means "reload before answering".
	gen     atomic.Uint64
	packets *packetCache
	watched []reloadable
}

// dirty reports whether a file source must reload before answering.
func (h *handler) dirty() bool {
	for _, s := range h.watched {
		if s.isDirty() {
			return true
		}
	}
	return false
}

var _ dns.Handler = (*handler)(nil)

// peerer is implemented by our UDP writer, to spare an allocation per
// query; other writers fall back on RemoteAddr.
type peerer interface {
	peer() (ip netip.Addr, tcp bool)
}

func peerOf(w dns.ResponseWriter) (netip.Addr, bool) {
	if p, ok := w.(peerer); ok {
		return p.peer()
	}
	switch a := w.RemoteAddr().(type) {
	case *net.TCPAddr:
		return a.AddrPort().Addr().Unmap(), true
	case *net.UDPAddr:
		return a.AddrPort().Addr().Unmap(), false
	}
	return netip.Addr{}, false
}

// ServeDNS answers req on w. Zone transfers stream their own messages;
// everything else gets exactly one answer, fitted to the transport.
func (h *handler) ServeDNS(w dns.ResponseWriter, req *dns.Msg) {
	var start time.Time
	if h.verbose > 0 {
		start = time.Now()
	}
	client, tcp := peerOf(w)
	if req.Response {
		return // never answer an answer: that is how reflection loops start
	}
	if isTransfer(req) {
		h.serveTransfer(w, req, client, tcp)
		return
	}
	resp, forward := h.answer(req, client)
	if !forward {
		if m, ok := w.(localMarker); ok && req.Opcode == dns.OpcodeQuery {
			m.markLocal()
		}
		h.send(w, req, resp, client, tcp, start)
		return
	}
	finish := func(w dns.ResponseWriter) {
		h.send(w, req, h.recursion.resolve(req, resp), client, tcp, start)
	}
	if d, ok := w.(detacher); ok && d.detach(finish) {
		return
	}
	finish(w)
}

// detacher is implemented by writers whose serving loop should not wait
// for upstream servers (our UDP workers): detach runs f elsewhere, with a
// writer of its own, and reports whether it did.
type detacher interface {
	detach(f func(dns.ResponseWriter)) bool
}

// send fits resp to the transport, logs the query (-v) and writes it.
func (h *handler) send(w dns.ResponseWriter, req, resp *dns.Msg, client netip.Addr, tcp bool, start time.Time) {
	fit(req, resp, tcp)
	if h.verbose > 0 {
		h.logQuery(client, tcp, req, resp, time.Since(start))
	}
	if err := w.WriteMsg(resp); err != nil {
		h.log.Debug("writing the answer to " + client.String() + ": " + err.Error())
	}
}

// answer builds the answer to req from local data. forward is true when
// the question must go upstream: resp is then the answer to fill in.
func (h *handler) answer(req *dns.Msg, client netip.Addr) (resp *dns.Msg, forward bool) {
	switch {
	case req.Opcode == dns.OpcodeNotify:
		return h.secondary.notify(req, client), false
	case req.Opcode != dns.OpcodeQuery:
		return failure(req, dns.RcodeNotImplemented), false
	case len(req.Question) != 1 || optCount(req) > 1:
		return failure(req, dns.RcodeFormatError), false
	}
	if opt := req.IsEdns0(); opt != nil && opt.Version() != 0 {
		return failure(req, dns.RcodeBadVers), false
	}
	q := req.Question[0]
	switch {
	case q.Qclass != dns.ClassINET && q.Qclass != dns.ClassANY:
		return failure(req, dns.RcodeRefused), false
	case q.Qtype == dns.TypeOPT || q.Qtype == dns.TypeTSIG || q.Qtype == dns.TypeTKEY:
		return failure(req, dns.RcodeFormatError), false
	case q.Qtype == dns.TypeMAILA || q.Qtype == dns.TypeMAILB:
		return failure(req, dns.RcodeNotImplemented), false
	}
	resp = reply(req)
	recurse := h.recursion != nil && h.recursion.allows(client)
	resp.RecursionAvailable = recurse
	lname := lower(q.Name)
	if holder, z := h.zones.find(lname); holder != nil {
		if z == nil {
			resp.Rcode = dns.RcodeServerFailure // a secondary with no data yet, or expired
			return resp, false
		}
		h.authoritative(resp, z, q)
		return resp, false
	}
	var hosts *hostsMap
	if h.hosts != nil {
		hosts = h.hosts.get()
		if hosts.answer(q, lname, h.hostsTTL, resp) {
			return resp, false
		}
	}
	if recurse {
		return resp, true
	}
	switch {
	case hosts != nil && hosts.exists(lname):
		resp.Authoritative = true // a parent of listed names: NODATA
	case h.recursion != nil:
		resp.Rcode = dns.RcodeRefused // we recurse, but not for this client
	default:
		resp.Rcode = dns.RcodeNameError
	}
	return resp, false
}

// authoritative answers q from z, following CNAMEs into our zones.
func (h *handler) authoritative(resp *dns.Msg, z *zone, q dns.Question) {
	res := z.lookup(q.Name, q.Qtype)
	resp.Authoritative = res.auth
	resp.Answer = res.answer
	seen := []string{lower(q.Name)}
	for hops := 0; res.target != "" && hops < maxChase; hops++ {
		target := lower(res.target)
		if contains(seen, target) {
			break // a CNAME loop: answer with the chain so far
		}
		seen = append(seen, target)
		_, next := h.zones.find(target)
		if next == nil {
			break // outside our zones: the client's resolver goes on
		}
		res = next.lookup(res.target, q.Qtype)
		resp.Answer = append(resp.Answer, res.answer...)
	}
	resp.Rcode = res.rcode
	resp.Ns = res.ns
	resp.Extra = res.extra
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// logQuery writes the -v line: who asked what, and what came of it; with
// -v -v also every record sent.
func (h *handler) logQuery(client netip.Addr, tcp bool, req, resp *dns.Msg, took time.Duration) {
	proto := "udp"
	if tcp {
		proto = "tcp"
	}
	var q string
	if len(req.Question) > 0 {
		q = req.Question[0].Name + " " + dns.TypeToString[req.Question[0].Qtype]
	}
	msg := "query from " + client.String() + " (" + proto + ") " + q + ": " + dns.RcodeToString[resp.Rcode] +
		", " + plural(len(resp.Answer), "answer") + ", " + took.Round(time.Microsecond).String()
	if h.verbose > 1 {
		for _, sec := range []struct {
			name string
			rrs  []dns.RR
		}{{"answer", resp.Answer}, {"authority", resp.Ns}, {"additional", resp.Extra}} {
			for _, rr := range sec.rrs {
				msg += "; " + sec.name + ": " + strings.ReplaceAll(rr.String(), "\t", " ")
			}
		}
	}
	h.log.Info(msg)
}

func plural(n int, word string) string {
	s := itoa(n) + " " + word
	if n != 1 {
		s += "s"
	}
	return s
}
