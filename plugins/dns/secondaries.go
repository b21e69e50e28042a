package dns

import (
	"context"
	"fmt"
	"net/netip"
	"sync"

	"github.com/miekg/dns"

	"github.com/gotwistd/gotwistd/service"
)

// secondaries are the zones held by --secondary.
type secondaries struct {
	zones  []*secondary
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// notify answers a NOTIFY (RFC 1996): from the primary of one of our
// secondary zones it is acknowledged and starts a refresh; a NOTIFY for
// another zone gets NOTAUTH, one from another address REFUSED.
func (s *secondaries) notify(req *dns.Msg, client netip.Addr) *dns.Msg {
	if len(req.Question) != 1 {
		return failure(req, dns.RcodeFormatError)
	}
	var sec *secondary
	if s != nil {
		for _, z := range s.zones {
			if z.origin == lower(req.Question[0].Name) {
				sec = z
			}
		}
	}
	switch {
	case sec == nil:
		return failure(req, dns.RcodeNotAuth)
	case sec.primary.Addr().Unmap() != client.Unmap():
		sec.log.Warn(fmt.Sprintf("secondary %s: NOTIFY from %s refused: the primary is %s", sec.origin, client, sec.primary.Addr()))
		return failure(req, dns.RcodeRefused)
	}
	sec.log.Info(fmt.Sprintf("secondary %s: NOTIFY from %s", sec.origin, client))
	select {
	case sec.kick <- struct{}{}:
	default: // a check is already due
	}
	m := reply(req)
	m.Authoritative = true
	return m
}

// start runs one goroutine per zone.
func (s *secondaries) start() {
	if s == nil || len(s.zones) == 0 {
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	s.cancel = cancel
	for _, z := range s.zones {
		s.wg.Add(1)
		go func() { defer s.wg.Done(); z.run(ctx) }()
	}
}

// stop ends the refreshes (closing a transfer in progress) and waits.
func (s *secondaries) stop(ctx context.Context) error {
	if s == nil || s.cancel == nil {
		return nil
	}
	s.cancel()
	return service.Wait(ctx, &s.wg)
}

// refreshAll (SIGHUP) makes every zone check its primary now.
func (s *secondaries) refreshAll(ctx context.Context) error {
	if s == nil {
		return nil
	}
	for _, z := range s.zones {
		select {
		case z.kick <- struct{}{}:
		default:
		}
	}
	return nil
}
