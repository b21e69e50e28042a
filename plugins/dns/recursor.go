package dns

import (
	"net/netip"

	"github.com/miekg/dns"
)

// recursor answers for clients allowed to recurse, from upstream servers.
type recursor struct {
	allowed acl
}

// allows reports whether client may have its questions sent upstream.
func (r *recursor) allows(client netip.Addr) bool { return r.allowed.allows(client) }

// resolve fills resp, the answer to req, from upstream.
func (r *recursor) resolve(req, resp *dns.Msg) *dns.Msg {
	resp.Rcode = dns.RcodeServerFailure
	return resp
}
