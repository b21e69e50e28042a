package runner

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"
)

// A pidfile says who runs by its lock, not by the number in it: the daemon
// holds an exclusive flock on it for its whole life, so a crashed daemon
// leaves a file that anyone may take over, whatever pid it names (twistd
// trusts kill(pid, 0), so a reused pid blocks it forever and two starts at
// the same instant both win).
type pidfile struct {
	path string
	f    *os.File
}

// runningError says that another process holds the pidfile's lock.
type runningError struct {
	path string
	pid  string
}

func (e *runningError) Error() string {
	return fmt.Sprintf("another gotwistd is running with pidfile %s (pid %s): stop it first (gotwistd --pidfile %s stop), or give this one another --pidfile", e.path, e.pid, e.path)
}

// acquirePidfile opens path without truncating it, locks it, and only then
// writes "PID\n" over whatever it held (mode 0644, whatever the umask, so
// monitoring tools can read it). stale describes what a previous, dead
// owner left there, for a notice; it is "" when the file was new or empty.
func acquirePidfile(path string) (p *pidfile, stale string, err error) {
	for {
		f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
		if err != nil {
			return nil, "", pidfileError(path, err)
		}
		if err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB); err != nil {
			old := readPid(f)
			f.Close()
			if errors.Is(err, unix.EWOULDBLOCK) {
				return nil, "", &runningError{path: path, pid: old}
			}
			return nil, "", fmt.Errorf("cannot lock pidfile %s: %v", path, err)
		}
		// The owner before us may have removed the file between our open
		// and our lock; then we hold a lock on a name nobody sees. Retry.
		if !samePath(f, path) {
			f.Close()
			continue
		}
		old := readPid(f)
		if err := writePid(f); err != nil {
			f.Close()
			return nil, "", fmt.Errorf("cannot write pidfile %s: %v", path, err)
		}
		if old != "" {
			stale = staleNotice(path, old)
		}
		return &pidfile{path: path, f: f}, stale, nil
	}
}

// staleNotice is the one wording of "this pidfile was left by a dead run",
// shown by the waiting parent and logged by the daemon.
func staleNotice(path, pid string) string {
	return fmt.Sprintf("removing stale pidfile %s (it named pid %s, which no longer holds it)", path, pid)
}

func writePid(f *os.File) error {
	if err := f.Truncate(0); err != nil {
		return err
	}
	if _, err := f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0); err != nil {
		return err
	}
	return f.Chmod(0o644)
}

func samePath(f *os.File, path string) bool {
	a, err1 := f.Stat()
	b, err2 := os.Stat(path)
	return err1 == nil && err2 == nil && os.SameFile(a, b)
}

// readPid returns what the file holds, trimmed and cut short, for messages.
func readPid(f *os.File) string {
	buf := make([]byte, 64)
	n, _ := f.ReadAt(buf, 0)
	s := strings.TrimSpace(string(buf[:n]))
	if strings.ContainsFunc(s, func(r rune) bool { return r < ' ' || r > '~' }) {
		return strconv.Quote(s)
	}
	return s
}

func pidfileError(path string, err error) error {
	var errno syscall.Errno
	switch {
	case errors.As(err, &errno) && errno == syscall.EISDIR:
		return fmt.Errorf("pidfile %s is a directory: give --pidfile a file name", path)
	case errors.Is(err, os.ErrNotExist):
		return fmt.Errorf("cannot create pidfile %s: its directory does not exist (create it, or choose another --pidfile)", path)
	}
	return fmt.Errorf("cannot open pidfile %s: %v", path, unwrapPathError(err))
}

// release removes the pidfile while still holding its lock, then drops the
// lock. When the file cannot be removed (its directory is not writable by
// the user we became), it is emptied instead: an empty, unlocked pidfile
// means "not running" to status and to the next start.
func (p *pidfile) release() error {
	if p == nil || p.f == nil {
		return nil
	}
	var err error
	if rerr := os.Remove(p.path); rerr != nil && !errors.Is(rerr, os.ErrNotExist) {
		err = fmt.Errorf("could not remove pidfile %s (%v); emptied it instead, which marks it not running", p.path, unwrapPathError(rerr))
		_ = p.f.Truncate(0)
	}
	p.f.Close()
	p.f = nil
	return err
}

// probePidfile tells whether a process holds path's lock and which pid the
// file names, without creating or changing it. It is what the daemon's
// parent checks before starting one, and what stop, status and reload read.
func probePidfile(path string) (running bool, pid string, exists bool, err error) {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return false, "", false, nil
	}
	if err != nil {
		return false, "", false, pidfileError(path, err)
	}
	defer f.Close()
	if fi, err := f.Stat(); err == nil && fi.IsDir() {
		return false, "", true, pidfileError(path, syscall.EISDIR)
	}
	pid = readPid(f)
	err = unix.Flock(int(f.Fd()), unix.LOCK_SH|unix.LOCK_NB)
	if errors.Is(err, unix.EWOULDBLOCK) {
		return true, pid, true, nil
	}
	if err != nil {
		return false, pid, true, fmt.Errorf("cannot check the lock of pidfile %s: %v", path, err)
	}
	_ = unix.Flock(int(f.Fd()), unix.LOCK_UN)
	return false, pid, true, nil
}
