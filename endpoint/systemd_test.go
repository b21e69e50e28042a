package endpoint

import (
	"context"
	"net"
	"os"
	"strings"
	"testing"
)

// inherit returns a duplicate file of a socket, as systemd would pass it,
// and closes the original.
func inherit(t *testing.T, s interface{ File() (*os.File, error) }, closer interface{ Close() error }) *os.File {
	t.Helper()
	f, err := s.File()
	if err != nil {
		t.Fatal(err)
	}
	closer.Close()
	t.Cleanup(func() { f.Close() })
	return f
}

func TestSystemdListenINET(t *testing.T) {
	orig, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := orig.Addr().String()
	env := &Env{Inherited: []*os.File{nil, inherit(t, orig.(*net.TCPListener), orig)}}
	l, err := mustParse(t, "systemd:domain=INET:index=1").Listen(context.Background(), env)
	if err != nil {
		t.Fatal(err)
	}
	exchange(t, l, dialTo("tcp", addr))
	l.Close()
	// The inherited file stays usable: a reload listens on it again.
	l, err = mustParse(t, "systemd:domain=INET:index=1").Listen(context.Background(), env)
	if err != nil {
		t.Fatalf("second Listen on the same inherited socket: %v", err)
	}
	exchange(t, l, dialTo("tcp", addr))
	l.Close()
}

func TestSystemdListenUNIX(t *testing.T) {
	path := sockPath(t)
	orig, err := net.ListenUnix("unix", &net.UnixAddr{Name: path, Net: "unix"})
	if err != nil {
		t.Fatal(err)
	}
	orig.SetUnlinkOnClose(false)
	env := &Env{Inherited: []*os.File{inherit(t, orig, orig)}}
	l, err := mustParse(t, "systemd:domain=unix:index=0").Listen(context.Background(), env)
	if err != nil {
		t.Fatal(err)
	}
	exchange(t, l, dialTo("unix", path))
	l.Close()
	if _, err := os.Stat(path); err != nil {
		t.Errorf("closing an inherited unix listener removed its socket file: %v", err)
	}
}

func TestSystemdErrors(t *testing.T) {
	tcp, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	inet := inherit(t, tcp.(*net.TCPListener), tcp)
	udp, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dgram := inherit(t, udp.(*net.UDPConn), udp)
	plain, err := os.Open(os.Args[0])
	if err != nil {
		t.Fatal(err)
	}
	defer plain.Close()

	for _, c := range []struct {
		desc string
		env  *Env
		says string
	}{
		{"systemd:domain=INET:index=0", nil, "systemd passed 0 sockets, so there is no socket at index 0; start gotwistd from a .socket unit or use tcp:PORT"},
		{"systemd:domain=INET:index=0", &Env{}, "systemd passed 0 sockets"},
		{"systemd:domain=INET:index=1", &Env{Inherited: []*os.File{inet}}, "systemd passed 1 socket, so there is no socket at index 1"},
		{"systemd:domain=INET6:index=0", &Env{Inherited: []*os.File{inet}}, "it is INET, not INET6; write domain=INET"},
		{"systemd:domain=UNIX:index=0", &Env{Inherited: []*os.File{inet}}, "it is INET, not UNIX"},
		{"systemd:domain=INET:index=0", &Env{Inherited: []*os.File{dgram}}, "not a listening stream socket"},
		{"systemd:domain=INET:index=0", &Env{Inherited: []*os.File{plain}}, "not a socket"},
	} {
		l, err := mustParse(t, c.desc).Listen(context.Background(), c.env)
		if err == nil {
			l.Close()
			t.Errorf("%s: Listen succeeded", c.desc)
			continue
		}
		if !strings.Contains(err.Error(), c.says) || !strings.Contains(err.Error(), c.desc) {
			t.Errorf("%s: error %q should name the endpoint and say %q", c.desc, err, c.says)
		}
	}
}
