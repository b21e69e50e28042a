package dns

import (
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"sync/atomic"

	"github.com/miekg/dns"
)

// recursor answers the questions our data does not cover, for clients
// allowed to recurse: from the cache (with -c), else from the upstream
// servers of resolv.conf, trying the next server on a timeout, SERVFAIL or
// REFUSED, and serving a stale cached answer only when all of them failed.
type recursor struct {
	allowed   acl
	upstreams *source[upstreams]
	cache     *cache // nil without --cache
	log       *slog.Logger

	// preferred is the index of the server that answered last: asking it
	// first spares every query the timeout of a dead first server.
	preferred atomic.Int32
}

// allows reports whether client may have its questions sent upstream.
func (r *recursor) allows(client netip.Addr) bool { return r.allowed.allows(client) }

// resolve fills resp, our answer to req, from the cache or upstream.
func (r *recursor) resolve(req, resp *dns.Msg) *dns.Msg {
	var key string
	if r.cache != nil {
		key = cacheKey(req)
		if m, ok := r.cache.get(key, false); ok {
			return r.fill(resp, m)
		}
	}
	m, err := r.forward(req)
	if err == nil {
		if r.cache != nil {
			r.cache.put(key, m)
		}
		return r.fill(resp, m)
	}
	if r.cache != nil {
		if m, ok := r.cache.get(key, true); ok {
			r.log.Warn(fmt.Sprintf("serving a stale answer for %s: %v", req.Question[0].Name, err))
			return r.fill(resp, m)
		}
	}
	r.log.Warn(fmt.Sprintf("no answer for %s %s: %v", req.Question[0].Name, dns.TypeToString[req.Question[0].Qtype], err))
	resp.Rcode = dns.RcodeServerFailure
	return resp
}

// fill copies an upstream (or cached) answer into resp, which keeps the
// client's ID, question and flags; AA is never passed on, we are not the
// authority.
func (r *recursor) fill(resp, m *dns.Msg) *dns.Msg {
	resp.Rcode = m.Rcode
	resp.AuthenticatedData = m.AuthenticatedData
	resp.Answer = m.Answer
	resp.Ns = m.Ns
	resp.Extra = withoutOPT(m.Extra)
	return resp
}

// errUpstream is a server's answer that makes us try the next one.
var errUpstream = errors.New("upstream failed")

// forward asks the servers in turn, starting with the preferred one, for
// the configured number of rounds.
func (r *recursor) forward(req *dns.Msg) (*dns.Msg, error) {
	u := r.upstreams.get()
	q := new(dns.Msg)
	q.SetQuestion(req.Question[0].Name, req.Question[0].Qtype)
	q.Question[0].Qclass = req.Question[0].Qclass
	q.RecursionDesired = true
	q.CheckingDisabled = req.CheckingDisabled
	do := false
	if opt := req.IsEdns0(); opt != nil {
		do = opt.Do()
	}
	q.SetEdns0(maxUDPSize, do)

	n := len(u.servers)
	first := int(r.preferred.Load())
	if first >= n {
		first = 0
	}
	var errs []error
	for round := 0; round < u.attempts; round++ {
		for i := range n {
			idx := (first + i) % n
			m, err := exchange(q, u.servers[idx], u)
			if err == nil {
				r.preferred.Store(int32(idx))
				return m, nil
			}
			errs = append(errs, fmt.Errorf("%s: %w", u.servers[idx], err))
		}
	}
	return nil, errors.Join(errs...)
}

// exchange asks one server over UDP, and again over TCP if the answer was
// truncated. It checks that the answer is to our question.
func exchange(q *dns.Msg, server string, u *upstreams) (*dns.Msg, error) {
	c := &dns.Client{Net: "udp", Timeout: u.timeout, UDPSize: maxUDPSize}
	m, _, err := c.Exchange(q, server)
	if err == nil && m.Truncated {
		c.Net = "tcp"
		m, _, err = c.Exchange(q, server)
	}
	if err != nil {
		return nil, err
	}
	switch {
	case len(m.Question) != 1 || !equalFold(m.Question[0].Name, q.Question[0].Name) ||
		m.Question[0].Qtype != q.Question[0].Qtype || m.Question[0].Qclass != q.Question[0].Qclass:
		return nil, fmt.Errorf("%w: the answer is to another question", errUpstream)
	case m.Rcode == dns.RcodeServerFailure || m.Rcode == dns.RcodeRefused || m.Rcode == dns.RcodeNotImplemented ||
		m.Rcode == dns.RcodeFormatError:
		return nil, fmt.Errorf("%w: %s", errUpstream, dns.RcodeToString[m.Rcode])
	}
	return m, nil
}
