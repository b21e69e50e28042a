package endpoint

import (
	"context"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"syscall"
)

// Systemd is a "systemd" endpoint: a listening socket passed in by systemd
// socket activation.
//
//	systemd:domain=DOMAIN:index=INDEX    (both required; positional works too)
//
// Parse returns *Systemd. The runner reads LISTEN_FDS once and hands the
// sockets down in Env.Inherited; Listen picks Inherited[Index], checks that
// its address family is Domain and that it is a listening stream socket,
// and returns a listener on a duplicate of it: closing that listener leaves
// the inherited file open, so a reload can listen on it again.
type Systemd struct {
	// Domain is the address family without AF_: "INET", "INET6" or "UNIX"
	// (accepted in any case). systemd's ListenStream=PORT gives INET6.
	Domain string
	// Index counts inherited sockets from 0 (file descriptor 3).
	Index int
}

var domains = map[string]bool{"INET": true, "INET6": true, "UNIX": true}

// String returns the canonical form, e.g. "systemd:domain=INET:index=0".
func (s *Systemd) String() string {
	return "systemd:domain=" + Escape(s.Domain) + ":index=" + strconv.Itoa(s.Index)
}

// Listen returns a listener on the inherited socket Index.
func (s *Systemd) Listen(ctx context.Context, env *Env) (net.Listener, error) {
	if err := ctx.Err(); err != nil {
		return nil, listenError(s, err)
	}
	var files []*os.File
	if env != nil {
		files = env.Inherited
	}
	if s.Index >= len(files) || files[s.Index] == nil {
		plural := "s"
		if len(files) == 1 {
			plural = ""
		}
		return nil, listenError(s, fmt.Errorf("systemd passed %d socket%s, so there is no socket at index %d; start gotwistd from a .socket unit or use tcp:PORT", len(files), plural, s.Index))
	}
	f := files[s.Index]
	if err := checkSocket(f, s.Domain); err != nil {
		return nil, listenError(s, fmt.Errorf("inherited socket %d (fd %d): %w", s.Index, f.Fd(), err))
	}
	l, err := net.FileListener(f)
	if err != nil {
		return nil, listenError(s, err)
	}
	return l, nil
}

// checkSocket verifies that f is a listening stream socket of the domain.
func checkSocket(f *os.File, domain string) error {
	rc, err := f.SyscallConn()
	if err != nil {
		return err
	}
	var sa syscall.Sockaddr
	var typ, listening int
	var serr error
	if err := rc.Control(func(fd uintptr) {
		if sa, serr = syscall.Getsockname(int(fd)); serr != nil {
			return
		}
		if typ, serr = syscall.GetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_TYPE); serr != nil {
			return
		}
		listening, serr = syscall.GetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_ACCEPTCONN)
	}); err != nil {
		return err
	}
	if serr == syscall.ENOTSOCK {
		return fmt.Errorf("it is not a socket")
	}
	if serr != nil {
		return serr
	}
	got := ""
	switch sa.(type) {
	case *syscall.SockaddrInet4:
		got = "INET"
	case *syscall.SockaddrInet6:
		got = "INET6"
	case *syscall.SockaddrUnix:
		got = "UNIX"
	}
	switch {
	case got == "":
		return fmt.Errorf("it is not an INET, INET6 or UNIX socket")
	case got != domain:
		return fmt.Errorf("it is %s, not %s; write domain=%s", got, domain, got)
	}
	if typ != syscall.SOCK_STREAM || listening == 0 {
		return fmt.Errorf("it is not a listening stream socket (use ListenStream= in the .socket unit)")
	}
	return nil
}

func buildSystemd(a *args) (Endpoint, error) {
	s := &Systemd{}
	d, err := a.required("domain", "systemd:domain=INET:index=0")
	if err != nil {
		return nil, err
	}
	if s.Domain = strings.ToUpper(d); !domains[s.Domain] {
		return nil, bad("domain", "domain %s is not INET, INET6 or UNIX", quote(d))
	}
	if _, err := a.required("index", "systemd:domain="+s.Domain+":index=0"); err != nil {
		return nil, err
	}
	if s.Index, err = a.count("index", 0); err != nil {
		return nil, err
	}
	return s, nil
}
