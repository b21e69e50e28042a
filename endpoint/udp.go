package endpoint

import (
	"context"
	"fmt"
	"net"
	"strconv"
)

// UDP is a "udp" endpoint: a datagram socket on Interface:Port.
//
//	udp:PORT[:INTERFACE]    interface "" = every IPv4 address
//
// Parse returns *UDP. It is a PacketEndpoint: ListenPacket binds; Listen
// fails with an error wrapping ErrDatagramOnly. A server that wants UDP and
// TCP on the same address (DNS) builds a TCP from Port and Interface.
type UDP struct {
	// Port is 0-65535; 0 lets the kernel pick (read it from LocalAddr()).
	Port int
	// Interface is "" (every IPv4 address), an IP literal in canonical
	// form, or a lower-case host name. An IPv6 literal binds IPv6.
	Interface string
}

// Network returns "udp6" for an IPv6 interface literal, else "udp4".
func (u *UDP) Network() string {
	if isIPv6(u.Interface) {
		return "udp6"
	}
	return "udp4"
}

// Addr returns "host:port" for net.ListenPacket.
func (u *UDP) Addr() string { return net.JoinHostPort(u.Interface, strconv.Itoa(u.Port)) }

// String returns the canonical form, e.g. "udp:53:interface=127.0.0.1".
func (u *UDP) String() string {
	s := "udp:" + strconv.Itoa(u.Port)
	if u.Interface != "" {
		s += ":interface=" + Escape(u.Interface)
	}
	return s
}

// Listen always fails: udp has no stream listener.
func (u *UDP) Listen(ctx context.Context, env *Env) (net.Listener, error) {
	return nil, listenError(u, fmt.Errorf("%w; use tcp:%d for a stream server", ErrDatagramOnly, u.Port))
}

// ListenPacket binds the datagram socket.
func (u *UDP) ListenPacket(ctx context.Context, env *Env) (net.PacketConn, error) {
	if err := ctx.Err(); err != nil {
		return nil, listenError(u, err)
	}
	var lc net.ListenConfig
	c, err := lc.ListenPacket(ctx, u.Network(), u.Addr())
	if err != nil {
		return nil, listenError(u, err)
	}
	return c, nil
}

func buildUDP(a *args) (Endpoint, error) {
	u := &UDP{}
	var err error
	if u.Port, err = a.port(); err != nil {
		return nil, err
	}
	if u.Interface, err = parseInterface(a, false); err != nil {
		return nil, err
	}
	return u, nil
}
