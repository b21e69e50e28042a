package dns

import (
	"container/list"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/miekg/dns"
)

// Cache limits: TTLs above maxCacheTTL are cut (a day, as many resolvers
// do); stale answers carry staleTTL (RFC 8767 §4 recommends 30 s).
const (
	maxCacheTTL = 24 * time.Hour
	staleTTL    = 30
)

// cache keeps upstream answers for their TTL (RFC 1035 §7.4), NXDOMAIN
// and NODATA answers for the negative TTL of their SOA (RFC 2308 §5), and
// holds at most max entries, dropping the least recently used. An expired
// entry is kept for the stale window and served only when every upstream
// failed (RFC 8767). Answers from our own zones and hosts file are never
// cached: they are answered before the cache is asked.
type cache struct {
	max   int
	stale time.Duration

	mu      sync.Mutex
	now     func() time.Time         // time.Now; tests set another with setClock
	entries map[string]*list.Element // of *cacheEntry
	lru     list.List                // front: most recently used
}

type cacheEntry struct {
	key               string
	qname             string // lower case, for forget
	rcode             int
	answer, ns, extra []dns.RR
	ad                bool
	stored            time.Time
	ttl               time.Duration
}

func newCache(max int, stale time.Duration) *cache {
	return &cache{max: max, stale: stale, now: time.Now, entries: map[string]*list.Element{}}
}

// cacheKey names a question: name without case, type, class, and the DO
// and CD bits, which change what an upstream returns.
func cacheKey(req *dns.Msg) string {
	q := req.Question[0]
	do := false
	if opt := req.IsEdns0(); opt != nil {
		do = opt.Do()
	}
	return lower(q.Name) + "/" + strconv.Itoa(int(q.Qtype)) + "/" + strconv.Itoa(int(q.Qclass)) +
		"/" + strconv.FormatBool(do) + strconv.FormatBool(req.CheckingDisabled)
}

// get returns the cached answer for key, fresh or (if stale is true)
// expired within the stale window, with TTLs lowered by its age.
func (c *cache) get(key string, stale bool) (*dns.Msg, bool) {
	c.mu.Lock()
	now := c.now()
	el, ok := c.entries[key]
	if !ok {
		c.mu.Unlock()
		return nil, false
	}
	e := el.Value.(*cacheEntry)
	age := now.Sub(e.stored)
	if age >= e.ttl+c.stale {
		c.lru.Remove(el)
		delete(c.entries, key)
		c.mu.Unlock()
		return nil, false
	}
	if age >= e.ttl && !stale {
		c.mu.Unlock()
		return nil, false
	}
	c.lru.MoveToFront(el)
	c.mu.Unlock()

	left := uint32(staleTTL)
	if age < e.ttl {
		left = uint32((e.ttl - age + time.Second - 1) / time.Second)
	}
	m := &dns.Msg{}
	m.Rcode = e.rcode
	m.AuthenticatedData = e.ad
	m.Answer = aged(e.answer, left)
	m.Ns = aged(e.ns, left)
	m.Extra = aged(e.extra, left)
	return m, true
}

// aged copies rrs with their TTLs at most left seconds.
func aged(rrs []dns.RR, left uint32) []dns.RR {
	if len(rrs) == 0 {
		return nil
	}
	out := make([]dns.RR, len(rrs))
	for i, rr := range rrs {
		c := dns.Copy(rr)
		c.Header().Ttl = min(c.Header().Ttl, left)
		out[i] = c
	}
	return out
}

// put stores an upstream answer m to the question of key, if it may be
// cached: a positive answer with a TTL above 0, or a negative answer with
// a SOA. Anything else (SERVFAIL, truncated answers) is not kept.
func (c *cache) put(key string, m *dns.Msg) {
	ttl, ok := cacheTTL(m)
	if !ok || ttl <= 0 {
		return
	}
	e := &cacheEntry{key: key, qname: lower(m.Question[0].Name), rcode: m.Rcode, ad: m.AuthenticatedData,
		answer: m.Answer, ns: m.Ns, extra: withoutOPT(m.Extra), ttl: min(ttl, maxCacheTTL)}
	c.mu.Lock()
	defer c.mu.Unlock()
	e.stored = c.now()
	if el, ok := c.entries[key]; ok {
		el.Value = e
		c.lru.MoveToFront(el)
		return
	}
	c.entries[key] = c.lru.PushFront(e)
	for c.lru.Len() > c.max {
		old := c.lru.Back()
		c.lru.Remove(old)
		delete(c.entries, old.Value.(*cacheEntry).key)
	}
}

// cacheTTL is how long m may be kept: the smallest TTL of its records for
// an answer, min(SOA TTL, SOA MINIMUM) for NXDOMAIN and NODATA.
func cacheTTL(m *dns.Msg) (time.Duration, bool) {
	if m.Truncated || len(m.Question) != 1 {
		return 0, false
	}
	negative := m.Rcode == dns.RcodeNameError || m.Rcode == dns.RcodeSuccess && len(m.Answer) == 0
	if negative {
		for _, rr := range m.Ns {
			if soa, ok := rr.(*dns.SOA); ok {
				return time.Duration(min(soa.Hdr.Ttl, soa.Minttl)) * time.Second, true
			}
		}
		return 0, false
	}
	if m.Rcode != dns.RcodeSuccess {
		return 0, false
	}
	ttl := ^uint32(0)
	for _, sec := range [][]dns.RR{m.Answer, m.Ns, m.Extra} {
		for _, rr := range sec {
			if rr.Header().Rrtype != dns.TypeOPT {
				ttl = min(ttl, rr.Header().Ttl)
			}
		}
	}
	return time.Duration(ttl) * time.Second, true
}

func withoutOPT(rrs []dns.RR) []dns.RR {
	var out []dns.RR
	for _, rr := range rrs {
		if rr.Header().Rrtype != dns.TypeOPT {
			out = append(out, rr)
		}
	}
	return out
}

// forget drops the entries for the given names (lower case), and for the
// names below suffix if suffix is not empty: our own data changed there.
func (c *cache) forget(names map[string]struct{}, suffix string) {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for key, el := range c.entries {
		q := el.Value.(*cacheEntry).qname
		_, named := names[q]
		if named || suffix != "" && (q == suffix || strings.HasSuffix(q, "."+suffix) || suffix == ".") {
			c.lru.Remove(el)
			delete(c.entries, key)
		}
	}
}

// setClock replaces the cache's clock, for tests.
func (c *cache) setClock(now func() time.Time) {
	c.mu.Lock()
	c.now = now
	c.mu.Unlock()
}

// len returns the number of entries, for tests.
func (c *cache) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.lru.Len()
}
