package dns

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/miekg/dns"
)

// secondary keeps one --secondary zone: it transfers the zone (AXFR) from
// its primary, then checks the primary's SOA serial every SOA refresh
// interval (at once on NOTIFY or SIGHUP) and transfers again when it grew;
// a failed check is retried every SOA retry interval, and when no check
// has succeeded for the SOA expire interval the zone is dropped and its
// names get SERVFAIL until a transfer succeeds (RFC 1034 §4.3.5).
type secondary struct {
	origin  string         // lower-case FQDN
	primary netip.AddrPort // where to transfer from; NOTIFY must come from its address
	holder  *transferred
	log     *slog.Logger
	// cache, if set, forgets the zone's names after each transfer.
	cache *cache

	kick chan struct{} // NOTIFY or SIGHUP: check now
}

// Timing bounds: the first attempts before any SOA is known, and limits on
// the SOA's own intervals so that a hostile or broken SOA can neither
// hammer the primary nor stall for years.
const (
	firstRetry         = 5 * time.Second
	minSOAInterval     = time.Second
	maxSOAInterval     = 7 * 24 * time.Hour
	transferTimeout    = 2 * time.Minute
	maxTransferRecords = 1 << 20
)

// parseSecondary reads twistd's IP[:PORT]/DOMAIN (IPv6 with a port as
// [IP]:PORT/DOMAIN).
func parseSecondary(s string) (netip.AddrPort, string, error) {
	i := strings.LastIndexByte(s, '/')
	if i < 0 {
		return netip.AddrPort{}, "", fmt.Errorf("--secondary %q: want IP[:PORT]/DOMAIN", s)
	}
	addr, domain := s[:i], s[i+1:]
	var ap netip.AddrPort
	if ip, err := netip.ParseAddr(addr); err == nil {
		ap = netip.AddrPortFrom(ip, 53)
	} else if ap, err = netip.ParseAddrPort(addr); err != nil || ap.Port() == 0 {
		return netip.AddrPort{}, "", fmt.Errorf("--secondary %q: %q is not an IP address or IP:PORT", s, addr)
	}
	if _, ok := dns.IsDomainName(domain); !ok || domain == "" {
		return netip.AddrPort{}, "", fmt.Errorf("--secondary %q: %q is not a domain name", s, domain)
	}
	return ap, lower(dns.Fqdn(domain)), nil
}

// run keeps the zone fresh until ctx ends.
func (s *secondary) run(ctx context.Context) {
	var lastOK time.Time // last time the primary confirmed our serial
	wait := time.Duration(0)
	timer := time.NewTimer(wait)
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-timer.C:
		case <-s.kick:
			timer.Stop()
		}
		err := s.refresh(ctx)
		cur := s.holder.current()
		switch {
		case ctx.Err() != nil:
			return
		case err == nil:
			lastOK = time.Now()
			wait = soaInterval(cur.soa.Refresh)
		case cur == nil:
			wait = firstRetry
			s.log.Warn(fmt.Sprintf("secondary %s: transfer from %s failed: %v; retrying in %s", s.origin, s.primary, err, wait))
		default:
			wait = soaInterval(cur.soa.Retry)
			s.log.Warn(fmt.Sprintf("secondary %s: refresh from %s failed: %v; retrying in %s", s.origin, s.primary, err, wait))
			if time.Since(lastOK) >= soaInterval(cur.soa.Expire) {
				s.holder.store(nil)
				s.cache.forget(nil, s.origin)
				s.log.Error(fmt.Sprintf("secondary %s: expired (no answer from %s for %s): answering SERVFAIL until a transfer succeeds",
					s.origin, s.primary, soaInterval(cur.soa.Expire)))
			}
		}
		timer.Reset(wait)
	}
}

func soaInterval(seconds uint32) time.Duration {
	return min(max(time.Duration(seconds)*time.Second, minSOAInterval), maxSOAInterval)
}

// refresh asks the primary for its serial and transfers the zone when it
// is newer than ours (or we have none).
func (s *secondary) refresh(ctx context.Context) error {
	cur := s.holder.current()
	if cur != nil {
		serial, err := s.primarySerial()
		if err != nil {
			return err
		}
		if !serialNewer(serial, cur.serial()) {
			s.log.Debug(fmt.Sprintf("secondary %s: serial %d is current", s.origin, cur.serial()))
			return nil
		}
	}
	z, err := s.transfer(ctx)
	if err != nil {
		return err
	}
	s.holder.store(z)
	s.cache.forget(nil, s.origin)
	s.log.Info(fmt.Sprintf("secondary %s: transferred serial %d (%s) from %s", s.origin, z.serial(), plural(len(z.records), "record"), s.primary))
	return nil
}

// serialNewer compares SOA serials in sequence space (RFC 1982).
func serialNewer(a, b uint32) bool { return a != b && a-b < 1<<31 }

// primarySerial asks the primary for the zone's SOA.
func (s *secondary) primarySerial() (uint32, error) {
	q := new(dns.Msg)
	q.SetQuestion(s.origin, dns.TypeSOA)
	q.RecursionDesired = false
	u := &upstreams{timeout: defaultUpstreamTimeout}
	m, err := exchange(q, s.primary.String(), u)
	if err != nil {
		return 0, err
	}
	for _, rr := range m.Answer {
		if soa, ok := rr.(*dns.SOA); ok && equalFold(soa.Hdr.Name, s.origin) {
			return soa.Serial, nil
		}
	}
	return 0, fmt.Errorf("the primary sent no SOA for %s (rcode %s)", s.origin, dns.RcodeToString[m.Rcode])
}

// transfer fetches the whole zone. The zone is checked like a zone file
// (class IN, names inside the zone, one SOA) and taken only if complete.
func (s *secondary) transfer(ctx context.Context) (*zone, error) {
	ctx, cancel := context.WithTimeout(ctx, transferTimeout)
	defer cancel()
	var d dnsDialer
	conn, err := d.dial(ctx, s.primary.String())
	if err != nil {
		return nil, err
	}
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	q := new(dns.Msg)
	q.SetAxfr(s.origin)
	t := &dns.Transfer{Conn: conn}
	ch, err := t.In(q, s.primary.String())
	if err != nil {
		conn.Close()
		return nil, err
	}
	var recs []dns.RR
	var errs []error
	for env := range ch { // read to the end: the transfer goroutine waits on ch
		if env.Error != nil {
			errs = append(errs, xfrError(env.Error))
			continue
		}
		if len(recs)+len(env.RR) > maxTransferRecords {
			errs = append(errs, fmt.Errorf("more than %d records", maxTransferRecords))
			conn.Close()
			continue
		}
		recs = append(recs, env.RR...)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	if len(recs) < 2 || recs[len(recs)-1].Header().Rrtype != dns.TypeSOA {
		return nil, fmt.Errorf("incomplete transfer")
	}
	recs = recs[:len(recs)-1] // the closing SOA repeats the first
	return newZone(s.origin, recs, func(i int) string { return fmt.Sprintf("AXFR from %s, record %d", s.primary, i+1) })
}

// dnsDialer connects to a primary over TCP, cancellable through ctx.
type dnsDialer struct{ net.Dialer }

func (d *dnsDialer) dial(ctx context.Context, addr string) (*dns.Conn, error) {
	c, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, err
	}
	return &dns.Conn{Conn: c}, nil
}

// miekg/dns reports a refused transfer as "dns: bad xfr rcode: 5".
var xfrRcode = regexp.MustCompile(`bad xfr rcode: (\d+)`)

// xfrError names the rcode of a failed transfer ("the primary answered
// REFUSED": is --allow-transfer set there?).
func xfrError(err error) error {
	m := xfrRcode.FindStringSubmatch(err.Error())
	if m == nil {
		return err
	}
	rcode, _ := strconv.Atoi(m[1])
	return fmt.Errorf("the primary answered %s", dns.RcodeToString[rcode])
}
