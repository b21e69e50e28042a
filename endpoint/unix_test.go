package endpoint

import (
	"context"
	"errors"
	"io/fs"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
)

// sockPath returns a socket path in a fresh directory.
func sockPath(t *testing.T) string { return t.TempDir() + "/s.sock" }

// leaveSocket leaves a socket file at path, as a process killed with -9 does.
func leaveSocket(t *testing.T, path string) {
	t.Helper()
	l, err := net.ListenUnix("unix", &net.UnixAddr{Name: path, Net: "unix"})
	if err != nil {
		t.Fatal(err)
	}
	l.SetUnlinkOnClose(false)
	l.Close()
}

// deadPid returns the pid of a process that has exited and been reaped.
func deadPid(t *testing.T) int {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	return cmd.Process.Pid
}

func unixListen(t *testing.T, path, opts string) (net.Listener, error) {
	t.Helper()
	l, err := mustParse(t, "unix:"+Escape(path)+opts).Listen(context.Background(), &Env{})
	if err == nil {
		t.Cleanup(func() { l.Close() })
	}
	return l, err
}

func assertGone(t *testing.T, paths ...string) {
	t.Helper()
	for _, p := range paths {
		if _, err := os.Lstat(p); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("%s still exists (%v)", p, err)
		}
	}
}

func TestUnixListenModeLockClose(t *testing.T) {
	for _, c := range []struct {
		opts string
		mode os.FileMode
	}{{"", 0o666}, {":mode=600", 0o600}, {":mode=660", 0o660}} {
		path := sockPath(t)
		l, err := unixListen(t, path, c.opts)
		if err != nil {
			t.Fatal(err)
		}
		fi, err := os.Stat(path)
		if err != nil || fi.Mode().Type() != fs.ModeSocket || fi.Mode().Perm() != c.mode {
			t.Errorf("%s: socket mode %v, %v; want socket %v", c.opts, fi.Mode(), err, c.mode)
		}
		if target, err := os.Readlink(path + ".lock"); err != nil || target != strconv.Itoa(os.Getpid()) {
			t.Errorf("lock points to %q, %v; want our pid", target, err)
		}
		exchange(t, l, dialTo("unix", path))
		if err := l.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
		assertGone(t, path, path+".lock")
	}
}

func TestUnixNoLockfile(t *testing.T) {
	path := sockPath(t)
	l, err := unixListen(t, path, ":lockfile=0")
	if err != nil {
		t.Fatal(err)
	}
	assertGone(t, path+".lock")
	exchange(t, l, dialTo("unix", path))
	l.Close()
	assertGone(t, path)
}

// TestUnixStaleLock: a lock left by a dead process, holding garbage or
// holding our own pid is taken over and the leftover socket removed.
func TestUnixStaleLock(t *testing.T) {
	for name, target := range map[string]string{
		"dead pid": strconv.Itoa(deadPid(t)),
		"garbage":  "not-a-pid",
		"pid 0":    "0",
		"our pid":  strconv.Itoa(os.Getpid()),
	} {
		t.Run(name, func(t *testing.T) {
			path := sockPath(t)
			leaveSocket(t, path)
			if err := os.Symlink(target, path+".lock"); err != nil {
				t.Fatal(err)
			}
			l, err := unixListen(t, path, "")
			if err != nil {
				t.Fatal(err)
			}
			if got, _ := os.Readlink(path + ".lock"); got != strconv.Itoa(os.Getpid()) {
				t.Errorf("lock points to %q after takeover", got)
			}
			exchange(t, l, dialTo("unix", path))
		})
	}
}

func TestUnixLiveLock(t *testing.T) {
	path := sockPath(t)
	other := os.Getppid() // alive: it runs this test
	if err := os.Symlink(strconv.Itoa(other), path+".lock"); err != nil {
		t.Fatal(err)
	}
	_, err := unixListen(t, path, "")
	if want := path + " is in use by pid " + strconv.Itoa(other); err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("Listen = %v, want %q", err, want)
	}
	if got, _ := os.Readlink(path + ".lock"); got != strconv.Itoa(other) {
		t.Errorf("a live lock was changed to %q", got)
	}
}

func TestUnixLockNotSymlink(t *testing.T) {
	path := sockPath(t)
	os.WriteFile(path+".lock", []byte("1234"), 0o644)
	if _, err := unixListen(t, path, ""); err == nil || !strings.Contains(err.Error(), "not a symlink") {
		t.Fatalf("Listen = %v, want a not-a-symlink error", err)
	}
}

// TestUnixLeftoverWithoutLockfile: as in Twisted the bind fails, and the
// error says how to avoid it.
func TestUnixLeftoverWithoutLockfile(t *testing.T) {
	path := sockPath(t)
	leaveSocket(t, path)
	_, err := unixListen(t, path, ":lockfile=0")
	if err == nil || !strings.Contains(err.Error(), "address already in use") || !strings.Contains(err.Error(), "lockfile=1") {
		t.Fatalf("Listen = %v, want address in use with a lockfile=1 hint", err)
	}
}

// TestUnixLeftoverWithCleanLock: with no stale lock a leftover socket is
// not removed (someone may use it with lockfile=0), and a regular file at
// the address is never removed.
func TestUnixLeftoverNotRemoved(t *testing.T) {
	path := sockPath(t)
	leaveSocket(t, path)
	if _, err := unixListen(t, path, ""); err == nil {
		t.Fatal("Listen over a leftover socket with no lock succeeded")
	}
	assertGone(t, path+".lock")

	path = sockPath(t)
	os.WriteFile(path, []byte("data"), 0o644)
	os.Symlink("not-a-pid", path+".lock")
	if _, err := unixListen(t, path, ""); err == nil {
		t.Fatal("Listen over a regular file succeeded")
	}
	if b, _ := os.ReadFile(path); string(b) != "data" {
		t.Error("a regular file at the address was removed")
	}
}

func TestUnixTwiceInOneProcess(t *testing.T) {
	path := sockPath(t)
	l, err := unixListen(t, path, "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := unixListen(t, path, ""); err == nil || !strings.Contains(err.Error(), "in use by this process") {
		t.Fatalf("second Listen = %v", err)
	}
	exchange(t, l, dialTo("unix", path))
}

// TestUnixCloseLeavesOthersLock: Close removes the lock only while it is
// still ours, and a failed removal does not turn into an error.
func TestUnixCloseLeavesOthersLock(t *testing.T) {
	path := sockPath(t)
	l, err := unixListen(t, path, "")
	if err != nil {
		t.Fatal(err)
	}
	os.Remove(path + ".lock")
	os.Symlink("1", path+".lock")
	if err := l.Close(); err != nil {
		t.Errorf("Close = %v", err)
	}
	if got, _ := os.Readlink(path + ".lock"); got != "1" {
		t.Errorf("Close removed a lock that was not ours (now %q)", got)
	}
	if err := l.Close(); err == nil {
		t.Error("second Close returned nil, want net.ErrClosed")
	}
}

func TestUnixRelativePath(t *testing.T) {
	t.Chdir(t.TempDir())
	l, err := unixListen(t, "rel.sock", ":mode=640")
	if err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat("rel.sock"); err != nil || fi.Mode().Perm() != 0o640 {
		t.Errorf("rel.sock: %v, %v", fi, err)
	}
	exchange(t, l, dialTo("unix", "rel.sock"))
	l.Close()
	assertGone(t, "rel.sock", "rel.sock.lock")
}
