package echo

import (
	"net"

	"github.com/gotwistd/gotwistd/reactor"
)

// protocol is Twisted's Echo: every DataReceived goes back through the
// transport. Write copies the bytes and never blocks; a peer that sends
// without reading is paused at the write buffer's high-water mark.
type protocol struct {
	t reactor.Transport
}

func (p *protocol) ConnectionMade(t reactor.Transport) { p.t = t }
func (p *protocol) DataReceived(b []byte)              { _, _ = p.t.Write(b) }
func (p *protocol) ConnectionLost(error)               {}

// factory builds one protocol per connection; echo shares no state.
var factory = reactor.FactoryFunc(func(net.Addr) reactor.Protocol { return &protocol{} })
