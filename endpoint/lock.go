package endpoint

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
)

// held records the lock files this process holds. A second unix endpoint
// on the same path in this process would otherwise find our own pid in the
// lock, take it over as stale and remove a socket that is in use.
var held = struct {
	sync.Mutex
	m map[string]bool
}{m: map[string]bool{}}

// socketLock is a held ADDRESS.lock symlink.
type socketLock struct {
	path string // as used: ADDRESS.lock
	key  string // absolute, for held
	pid  string // the symlink's target: our pid
}

// acquireLock takes ADDRESS.lock the way Twisted's FilesystemLock does: it
// creates a symlink whose target is our pid (atomic), and when one exists,
// reads it: a live pid other than ours refuses; a dead pid, garbage, a pid
// <= 0 or our own pid (left from an earlier life of a restarted container,
// say) is removed and the loop tries again. When it took a stale lock over,
// it removes a leftover socket file at ADDRESS (only if that is a socket).
//
// Two processes taking over the same stale lock at the same instant can
// both succeed, as with Twisted; the bind that follows then fails for one.
func acquireLock(address string) (*socketLock, error) {
	l := &socketLock{path: address + ".lock", pid: strconv.Itoa(os.Getpid())}
	l.key = l.path
	if abs, err := filepath.Abs(l.path); err == nil {
		l.key = abs
	}
	held.Lock()
	defer held.Unlock()
	if held.m[l.key] {
		return nil, fmt.Errorf("%s is already in use by this process", address)
	}
	stale := false
	for tries := 0; ; tries++ {
		err := os.Symlink(l.pid, l.path)
		if err == nil {
			break
		}
		if !errors.Is(err, fs.ErrExist) || tries == 10 {
			return nil, fmt.Errorf("cannot create lock: %w", err)
		}
		target, err := os.Readlink(l.path)
		if errors.Is(err, fs.ErrNotExist) {
			continue // released meanwhile
		}
		if err != nil {
			return nil, fmt.Errorf("lock %s exists but is not a symlink (%w); remove it", l.path, err)
		}
		if pid, live := livePid(target); live {
			return nil, fmt.Errorf("%s is in use by pid %d (lock %s)", address, pid, l.path)
		}
		if err := os.Remove(l.path); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("cannot remove stale lock: %w", err)
		}
		stale = true
	}
	if stale {
		if fi, err := os.Lstat(address); err == nil && fi.Mode()&fs.ModeSocket != 0 {
			os.Remove(address) // a failure shows up as the bind error
		}
	}
	held.m[l.key] = true
	return l, nil
}

// livePid reports whether target names a running process other than us.
// EPERM from kill means it runs under another user: alive.
func livePid(target string) (int, bool) {
	pid, err := strconv.Atoi(target)
	if err != nil || pid <= 0 || pid == os.Getpid() {
		return pid, false
	}
	err = syscall.Kill(pid, 0)
	return pid, err == nil || errors.Is(err, syscall.EPERM)
}

// release removes the lock if it still names us and forgets it; nil-safe.
func (l *socketLock) release() {
	if l == nil {
		return
	}
	if target, err := os.Readlink(l.path); err == nil && target == l.pid {
		os.Remove(l.path) // best effort, see Unix.Listen
	}
	held.Lock()
	delete(held.m, l.key)
	held.Unlock()
}
