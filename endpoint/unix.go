package endpoint

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"syscall"
)

// Unix is a "unix" endpoint: a stream listener on a socket file.
//
//	unix:ADDRESS[:MODE[:BACKLOG[:LOCKFILE]]]
//
// Parse returns *Unix. Listen chmods the socket to Mode whatever the umask
// (there is a short window between bind and chmod in which the umask
// applies). With Lockfile it first takes ADDRESS.lock, a symlink to our
// pid, as Twisted's FilesystemLock does: a lock held by a live process other
// than this one refuses to listen; a lock left by a dead process (or holding
// garbage, or our own pid from an earlier life) is taken over and the
// leftover socket file removed. Closing the returned listener removes the
// socket file and the lock; see Listen.
type Unix struct {
	// Address is the socket file path, relative to the directory the
	// process is in when it listens. Abstract sockets ("@name") are refused.
	Address string
	// Mode is the socket's permission bits, default 0666.
	Mode os.FileMode
	// Backlog is checked and kept (default 50) but has no effect: Go
	// listens with the kernel's net.core.somaxconn.
	Backlog int
	// Lockfile, default true, guards Address with ADDRESS.lock.
	Lockfile bool
}

const defaultMode os.FileMode = 0o666

// maxSocketPath is the longest path bind(2) accepts (sun_path minus its NUL).
var maxSocketPath = len(syscall.RawSockaddrUnix{}.Path) - 1

// String returns the canonical form, e.g. "unix:/run/x.sock:mode=660".
func (u *Unix) String() string {
	s := "unix:" + Escape(u.Address)
	if u.Mode != defaultMode {
		s += ":mode=" + strconv.FormatUint(uint64(u.Mode), 8)
	}
	if u.Backlog != defaultBacklog {
		s += ":backlog=" + strconv.Itoa(u.Backlog)
	}
	if !u.Lockfile {
		s += ":lockfile=0"
	}
	return s
}

// Listen takes the lock (if Lockfile), binds Address and chmods it to Mode.
//
// With Lockfile the listener returned is a wrapper whose Close closes the
// socket, which removes the socket file, then removes the lock symlink if it
// still points to this process. Both removals are best effort: after a
// privilege drop the directory may no longer be writable, and Close still
// returns only the error of closing the socket itself, never a removal
// error that would hide it. Without Lockfile it is a *net.UnixListener,
// which removes the socket file on Close the same way.
//
// Without Lockfile a socket file left by a process that died makes the bind
// fail with "address already in use", as in Twisted; the error says so.
func (u *Unix) Listen(ctx context.Context, env *Env) (net.Listener, error) {
	if err := ctx.Err(); err != nil {
		return nil, listenError(u, err)
	}
	var lock *socketLock
	if u.Lockfile {
		var err error
		if lock, err = acquireLock(u.Address); err != nil {
			return nil, listenError(u, err)
		}
	}
	var lc net.ListenConfig
	l, err := lc.Listen(ctx, "unix", u.Address)
	if err != nil {
		lock.release()
		if errors.Is(err, syscall.EADDRINUSE) {
			err = fmt.Errorf("%w (if %s is left over from a process that died, remove it; with lockfile=1 gotwistd removes such a socket itself)", err, u.Address)
		}
		return nil, listenError(u, err)
	}
	if err := os.Chmod(u.Address, u.Mode); err != nil {
		l.Close()
		lock.release()
		return nil, listenError(u, err)
	}
	if lock == nil {
		return l, nil
	}
	return &lockedListener{UnixListener: l.(*net.UnixListener), lock: lock}, nil
}

// lockedListener releases the lock after closing the socket.
type lockedListener struct {
	*net.UnixListener
	lock *socketLock
	once sync.Once
}

func (l *lockedListener) Close() error {
	err := l.UnixListener.Close()
	l.once.Do(l.lock.release)
	return err
}

func buildUnix(a *args) (Endpoint, error) {
	u := &Unix{Mode: defaultMode, Lockfile: true}
	var err error
	if u.Address, err = a.required("address", "unix:/run/app.sock"); err != nil {
		return nil, err
	}
	switch {
	case u.Address == "":
		return nil, bad("address", "address is empty; write e.g. unix:/run/app.sock")
	case strings.HasPrefix(u.Address, "@"):
		return nil, bad("address", "address %s is an abstract socket, which gotwistd does not support; write %s for a file of that name", quote(u.Address), quote("./"+u.Address))
	case strings.IndexByte(u.Address, 0) >= 0:
		return nil, bad("address", "address %s contains a NUL byte", quote(u.Address))
	case len(u.Address) > maxSocketPath:
		return nil, bad("address", "address is %d bytes long; a socket path may have at most %d", len(u.Address), maxSocketPath)
	}
	if v, ok := a.vals["mode"]; ok {
		m, err := strconv.ParseUint(v, 8, 32)
		if err != nil || m > 0o777 {
			return nil, bad("mode", "mode %s is not an octal permission like 660 (at most 777)", quote(v))
		}
		u.Mode = os.FileMode(m)
	}
	if u.Backlog, err = a.count("backlog", defaultBacklog); err != nil {
		return nil, err
	}
	switch v := a.get("lockfile", "1"); v {
	case "0", "1":
		u.Lockfile = v == "1"
	default:
		return nil, bad("lockfile", "lockfile %s must be 0 or 1", quote(v))
	}
	return u, nil
}
