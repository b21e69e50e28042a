package main

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

func needRoot(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root: run the tests as root to check privilege dropping and chroot")
	}
}

// lowPort finds a free port below 1024 on loopback.
func lowPort(t *testing.T) int {
	t.Helper()
	for p := 1023; p > 900; p-- {
		l, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", p))
		if err == nil {
			l.Close()
			return p
		}
	}
	t.Skip("no free port below 1024")
	return 0
}

// --uid nobody: the port below 1024 is bound as root, then the daemon runs
// as nobody with nobody's groups only (scenario 32's first half).
func TestDropToNobody(t *testing.T) {
	needRoot(t)
	dir := t.TempDir()
	port := lowPort(t)
	r := gotwistd(t, dir, "--uid", "nobody", "echo", "-p", fmt.Sprintf("tcp:%d:interface=127.0.0.1", port))
	if r.code != 0 {
		t.Fatalf("exit %d: %q", r.code, r.stderr)
	}
	pid := pidOf(t, filepath.Join(dir, "twistd.pid"))
	killAtEnd(t, pid)
	for field, want := range map[string]string{"Uid": "65534 65534 65534 65534", "Gid": "65534 65534 65534 65534", "Groups": "65534"} {
		if got := procStatus(t, pid, field); got != want {
			t.Errorf("%s: %q, want %q", field, got, want)
		}
	}
	echoes(t, "tcp", fmt.Sprintf("127.0.0.1:%d", port))
	log := fileText(filepath.Join(dir, "twistd.log"))
	waitLog(t, log, `set uid/gid 65534/65534`)
	waitLog(t, log, `log rotation will fail after the switch to uid 65534`)
	if r := gotwistd(t, dir, "stop"); r.code != 0 {
		t.Fatalf("stop: %d %q", r.code, r.stderr)
	}
	waitGone(t, pid)
	// nobody could not remove the pidfile from a root-only directory: it
	// was emptied, which reads as "not running".
	waitLog(t, log, `emptied it instead`)
	if r := gotwistd(t, dir, "status"); r.code != 3 {
		t.Errorf("status after stop: %d %q", r.code, r.stdout)
	}
}

func TestEffectiveUIDOnly(t *testing.T) {
	needRoot(t)
	dir := t.TempDir()
	pid, addr := startEcho(t, dir, "--uid", "nobody", "--euid")
	if got := procStatus(t, pid, "Uid"); got != "0 65534 0 65534" {
		t.Errorf("Uid %q, want real 0 and effective 65534", got)
	}
	echoes(t, "tcp", addr)
	waitLog(t, fileText(filepath.Join(dir, "twistd.log")), `set euid/egid 65534/65534`)
	gotwistd(t, dir, "stop")
	waitGone(t, pid)
}

// A numeric uid with no password entry works; its group defaults to the
// same number (scenario 34; twistd crashes).
func TestNumericUIDWithoutEntry(t *testing.T) {
	needRoot(t)
	dir := t.TempDir()
	// Let uid 12345 reach and write the directory: remove its pidfile.
	os.Chmod(dir, 0o777)
	os.Chmod(filepath.Dir(dir), 0o755)
	pid, addr := startEcho(t, dir, "--uid", "12345")
	for field, want := range map[string]string{"Uid": "12345 12345 12345 12345", "Gid": "12345 12345 12345 12345", "Groups": "12345"} {
		if got := procStatus(t, pid, field); got != want {
			t.Errorf("%s: %q, want %q", field, got, want)
		}
	}
	echoes(t, "tcp", addr)
	gotwistd(t, dir, "stop")
	waitGone(t, pid)
	if _, err := os.Stat(filepath.Join(dir, "twistd.pid")); !os.IsNotExist(err) {
		t.Error("pidfile left in a directory the daemon could write")
	}
}

// --chroot: the daemon's root and cwd are the new root, the log stays
// outside, the pidfile is at the same path inside (scenario 36).
func TestChroot(t *testing.T) {
	needRoot(t)
	dir := t.TempDir()
	root := filepath.Join(dir, "root")
	if err := os.MkdirAll(filepath.Join(root, dir), 0o755); err != nil {
		t.Fatal(err)
	}
	r := gotwistd(t, dir, "--chroot", "root", "echo", "-p", "tcp:0:interface=127.0.0.1")
	if r.code != 0 {
		t.Fatalf("start: %d %q", r.code, r.stderr)
	}
	inner := filepath.Join(root, dir, "twistd.pid")
	pid := pidOf(t, inner)
	killAtEnd(t, pid)
	addr := listenAddr(t, fileText(filepath.Join(dir, "twistd.log")))
	if got, _ := os.Readlink(fmt.Sprintf("/proc/%d/root", pid)); got != root {
		t.Errorf("root %q, want %s", got, root)
	}
	if got, _ := os.Readlink(fmt.Sprintf("/proc/%d/cwd", pid)); got != root {
		t.Errorf("cwd %q, want %s", got, root)
	}
	echoes(t, "tcp", addr)
	if r := gotwistd(t, dir, "--chroot", "root", "status"); r.code != 0 {
		t.Errorf("status with --chroot: %d %q", r.code, r.stdout)
	}
	if r := gotwistd(t, dir, "--chroot", "root", "stop"); r.code != 0 {
		t.Errorf("stop with --chroot: %d %q %q", r.code, r.stdout, r.stderr)
	}
	waitGone(t, pid)
	if _, err := os.Stat(inner); !os.IsNotExist(err) {
		t.Error("pidfile left inside the chroot")
	}
	if !strings.Contains(readFile(t, filepath.Join(dir, "twistd.log")), "chroot "+root) {
		t.Error("the log outside the root lacks the chroot line")
	}

	r = gotwistd(t, dir, "--chroot", "nosuchdir", "echo", "-p", "tcp:0:interface=127.0.0.1")
	if r.code != 1 || !strings.Contains(r.stderr, "nosuchdir") {
		t.Errorf("missing chroot: %d %q", r.code, r.stderr)
	}
}

// A unix socket in a root-only directory is bound before the drop to nobody.
func TestUnixSocketBeforeDrop(t *testing.T) {
	needRoot(t)
	dir := t.TempDir()
	private := filepath.Join(dir, "rootonly")
	os.Mkdir(private, 0o700)
	sock := filepath.Join(private, "e.sock")
	r := gotwistd(t, dir, "--uid", "nobody", "echo", "-p", "unix:"+sock)
	if r.code != 0 {
		t.Fatalf("exit %d: %q", r.code, r.stderr)
	}
	pid := pidOf(t, filepath.Join(dir, "twistd.pid"))
	killAtEnd(t, pid)
	echoes(t, "unix", sock)
	gotwistd(t, dir, "stop")
	waitGone(t, pid)
}

// Not root: asking for another uid fails at once with the reason, in both
// modes, and leaves nothing that blocks a later start (scenario 14;
// twistd's daemon parent hangs). As root, the test runs gotwistd as nobody.
func TestUIDSwitchWithoutRoot(t *testing.T) {
	dir := t.TempDir()
	run := func(args ...string) result { return gotwistd(t, dir, args...) }
	if os.Geteuid() == 0 {
		os.Chmod(dir, 0o777)
		os.Chmod(filepath.Dir(dir), 0o755)
		run = func(args ...string) result {
			return asUser(t, dir, 65534, args...)
		}
	}
	for _, mode := range [][]string{{}, {"-n"}} {
		r := run(append(mode, "--uid", "0", "echo", "-p", "tcp:0:interface=127.0.0.1")...)
		if r.code != 1 || !strings.Contains(r.stderr, "only root can change its user") {
			t.Errorf("%v: exit %d: %q", mode, r.code, r.stderr)
		}
		if _, err := os.Stat(filepath.Join(dir, "twistd.pid")); !os.IsNotExist(err) {
			t.Errorf("%v: pidfile left behind", mode)
		}
	}
}

// asUser runs gotwistd as uid (and the same gid) in dir.
func asUser(t *testing.T, dir string, uid uint32, args ...string) result {
	t.Helper()
	cmd := exec.Command(binary, args...)
	cmd.Dir = dir
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uid, Gid: uid}}
	var out, errb strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errb
	done := make(chan error, 1)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { done <- cmd.Wait() }()
	select {
	case <-done:
	case <-time.After(time.Minute):
		cmd.Process.Kill()
		t.Fatal("still running after a minute")
	}
	return result{stdout: out.String(), stderr: errb.String(), code: cmd.ProcessState.ExitCode()}
}
