package dns

import (
	"context"
	"net/netip"

	"github.com/miekg/dns"
)

// secondaries are the zones held by --secondary.
type secondaries struct{}

// notify answers a NOTIFY (RFC 1996).
func (s *secondaries) notify(req *dns.Msg, client netip.Addr) *dns.Msg {
	return failure(req, dns.RcodeRefused)
}

func (s *secondaries) start()                               {}
func (s *secondaries) stop(ctx context.Context) error       { return nil }
func (s *secondaries) refreshAll(ctx context.Context) error { return nil }
