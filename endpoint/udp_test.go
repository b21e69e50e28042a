package endpoint

import (
	"context"
	"errors"
	"net"
	"testing"
)

func udpRoundTrip(t *testing.T, desc, network string) {
	t.Helper()
	pe, ok := mustParse(t, desc).(PacketEndpoint)
	if !ok {
		t.Fatalf("%s is not a PacketEndpoint", desc)
	}
	srv, err := pe.ListenPacket(context.Background(), &Env{})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	c, err := net.Dial(network, srv.LocalAddr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Write([]byte("ping")); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 16)
	n, from, err := srv.ReadFrom(buf)
	if err != nil || string(buf[:n]) != "ping" {
		t.Fatalf("server read %q, %v", buf[:n], err)
	}
	if _, err := srv.WriteTo([]byte("pong"), from); err != nil {
		t.Fatal(err)
	}
	if n, err = c.Read(buf); err != nil || string(buf[:n]) != "pong" {
		t.Fatalf("client read %q, %v", buf[:n], err)
	}
}

func TestUDPRoundTrip(t *testing.T) { udpRoundTrip(t, "udp:0:interface=127.0.0.1", "udp4") }

func TestUDP6RoundTrip(t *testing.T) {
	hasIPv6(t)
	udpRoundTrip(t, `udp:0:interface=\:\:1`, "udp6")
}

func TestUDPListenIsAnError(t *testing.T) {
	l, err := mustParse(t, "udp:53").Listen(context.Background(), &Env{})
	if !errors.Is(err, ErrDatagramOnly) {
		if l != nil {
			l.Close()
		}
		t.Fatalf("Listen = %v, want ErrDatagramOnly", err)
	}
}
