package endpoint

import (
	"context"
	"net"
	"os"
)

// Env carries what the runner decided for the whole process.
type Env struct {
	// Inherited are the sockets passed by systemd socket activation, in fd
	// order (fd 3 = index 0). nil when none. The runner owns these files;
	// listeners made from them hold duplicates.
	Inherited []*os.File
}

// Endpoint is a parsed endpoint string. Parsing validates everything and
// reads TLS files; nothing is bound until Listen.
type Endpoint interface {
	// String returns the canonical form, e.g. "tcp:8080:interface=127.0.0.1":
	// kind in lower case, the first parameter by position, then the
	// parameters that differ from their defaults as keywords in declaration
	// order, escaped. Parse(e.String()) yields an equal endpoint, so the
	// string may serve as a key for reusing listeners across reloads.
	String() string
	// Listen binds. ctx bounds name resolution and is checked first. The
	// error names the endpoint, the address and the OS reason.
	Listen(ctx context.Context, env *Env) (net.Listener, error)
}

// PacketEndpoint is an endpoint that binds a datagram socket (udp).
type PacketEndpoint interface {
	Endpoint
	ListenPacket(ctx context.Context, env *Env) (net.PacketConn, error)
}

var (
	_ Endpoint       = (*TCP)(nil)
	_ PacketEndpoint = (*UDP)(nil)
	_ Endpoint       = (*Unix)(nil)
	_ Endpoint       = (*TLS)(nil)
	_ Endpoint       = (*Systemd)(nil)
)
