package main

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
)

// The whole life of a daemon: start, pidfile, process state, serving,
// status, reload, rotation, stop.
func TestDaemonLifecycle(t *testing.T) {
	dir := t.TempDir()
	pid, addr := startEcho(t, dir)
	pidfile := filepath.Join(dir, "twistd.pid")
	logfile := filepath.Join(dir, "twistd.log")

	fi, err := os.Stat(pidfile)
	if err != nil || fi.Mode().Perm() != 0o644 {
		t.Errorf("pidfile mode %v, %v; want 0644", fi.Mode().Perm(), err)
	}
	if got := procStatus(t, pid, "PPid"); got != "1" {
		t.Errorf("daemon PPid %s, want 1", got)
	}
	if got := procStatus(t, pid, "Umask"); got != "0077" {
		t.Errorf("daemon umask %s, want 0077", got)
	}
	for fd := 0; fd <= 2; fd++ {
		if target, _ := os.Readlink(fmt.Sprintf("/proc/%d/fd/%d", pid, fd)); target != "/dev/null" {
			t.Errorf("daemon fd %d is %q, want /dev/null", fd, target)
		}
	}
	if sid, _ := syscall.Getpgid(pid); sid != pid {
		t.Errorf("daemon process group %d: go-daemon's setsid should make it %d", sid, pid)
	}
	echoes(t, "tcp", addr)

	r := gotwistd(t, dir, "status")
	if r.code != 0 || !strings.Contains(r.stdout, fmt.Sprint(pid)) {
		t.Errorf("status: exit %d, %q", r.code, r.stdout)
	}
	r = gotwistd(t, dir, "reload")
	if r.code != 0 {
		t.Errorf("reload: exit %d, %q", r.code, r.stderr)
	}
	waitLog(t, fileText(logfile), `received SIGHUP`)
	if !alive(pid) {
		t.Fatal("the daemon died of SIGHUP")
	}
	echoes(t, "tcp", addr) // the listener survived

	syscall.Kill(pid, syscall.SIGUSR1)
	eventually(t, "a rotated log file", func() bool {
		m, _ := filepath.Glob(filepath.Join(dir, "twistd-*.log"))
		return len(m) == 1
	})
	waitLog(t, fileText(logfile), `rotated the log`)

	r = gotwistd(t, dir, "stop")
	if r.code != 0 || !strings.Contains(r.stdout, "stopped pid") {
		t.Errorf("stop: exit %d, %q %q", r.code, r.stdout, r.stderr)
	}
	waitGone(t, pid)
	if _, err := os.Stat(pidfile); !os.IsNotExist(err) {
		t.Errorf("pidfile left after a clean stop: %v", err)
	}
	r = gotwistd(t, dir, "status")
	if r.code != 3 {
		t.Errorf("status after stop: exit %d, want 3", r.code)
	}
	r = gotwistd(t, dir, "stop")
	if r.code != 0 || !strings.Contains(r.stdout, "not running") {
		t.Errorf("stop when stopped: exit %d, %q", r.code, r.stdout)
	}

	// The whole log, both files, in twistd's shape and order.
	rotated, _ := filepath.Glob(filepath.Join(dir, "twistd-*.log"))
	all := readFile(t, rotated[0]) + readFile(t, logfile)
	line := regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d{4} \[[^\]]+\] `)
	for _, l := range strings.Split(strings.TrimSuffix(all, "\n"), "\n") {
		if !line.MatchString(l) && !strings.HasPrefix(l, "\t") {
			t.Errorf("log line out of shape: %q", l)
		}
	}
	lineOrder(t, all, "starting up", "reactor: netpoll", "[echo] listening on tcp:0:interface=127.0.0.1", "[-] started",
		"received SIGHUP", "received SIGUSR1", "received SIGTERM, shutting down.", "[echo] closed tcp:0", "main loop terminated.", "server shut down.")
}

// A port in use fails the start with the whole bind error on the terminal,
// in both modes, and leaves no pidfile and no process.
func TestPortInUse(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	ep := "tcp:" + portOf(l.Addr()) + ":interface=127.0.0.1"
	for _, mode := range [][]string{{}, {"-n"}} {
		dir := t.TempDir()
		r := gotwistd(t, dir, append(mode, "echo", "-p", ep)...)
		if r.code != 1 {
			t.Errorf("%v: exit %d, want 1", mode, r.code)
		}
		if !strings.Contains(r.stderr, l.Addr().String()) || !strings.Contains(r.stderr, "address already in use") {
			t.Errorf("%v: stderr %q lacks the address and the reason", mode, r.stderr)
		}
		if _, err := os.Stat(filepath.Join(dir, "twistd.pid")); !os.IsNotExist(err) {
			t.Errorf("%v: pidfile left behind", mode)
		}
	}
}

func portOf(a net.Addr) string {
	_, p, _ := net.SplitHostPort(a.String())
	return p
}

// Paths are resolved before --rundir moves the process.
func TestRundir(t *testing.T) {
	dir := t.TempDir()
	os.Mkdir(filepath.Join(dir, "run"), 0o755)
	pid, addr := startEcho(t, dir, "--rundir", "run", "--pidfile", "p.pid")
	if cwd, _ := os.Readlink(fmt.Sprintf("/proc/%d/cwd", pid)); cwd != filepath.Join(dir, "run") {
		t.Errorf("cwd %q, want %s/run", cwd, dir)
	}
	if pidOf(t, filepath.Join(dir, "p.pid")) != pid {
		t.Error("p.pid is not in the starting directory")
	}
	echoes(t, "tcp", addr)
	if r := gotwistd(t, dir, "--pidfile", "p.pid", "stop"); r.code != 0 {
		t.Errorf("stop: %d %q", r.code, r.stderr)
	}

	r := gotwistd(t, dir, "--rundir", "/nonexistent", "echo", "-p", "tcp:0:interface=127.0.0.1")
	if r.code != 1 || !strings.Contains(r.stderr, "/nonexistent") {
		t.Errorf("missing rundir: exit %d, %q", r.code, r.stderr)
	}
	r = gotwistd(t, dir, "--logfile", "/nonexistent/x.log", "echo", "-p", "tcp:0:interface=127.0.0.1")
	if r.code != 1 || !strings.Contains(r.stderr, "/nonexistent/x.log") {
		t.Errorf("bad logfile: exit %d, %q", r.code, r.stderr)
	}
}

func TestUmask(t *testing.T) {
	dir := t.TempDir()
	pid, _ := startEcho(t, dir, "--umask", "027")
	if got := procStatus(t, pid, "Umask"); got != "0027" {
		t.Errorf("umask %s, want 0027", got)
	}
	gotwistd(t, dir, "stop")

	// -n without --umask keeps the inherited one.
	old := syscall.Umask(0o023)
	defer syscall.Umask(old)
	cmd, out := foreground(t, dir, "-n", "--pidfile", "", "echo", "-p", "tcp:0:interface=127.0.0.1")
	listenAddr(t, out.String)
	if got := procStatus(t, cmd.Process.Pid, "Umask"); got != "0023" {
		t.Errorf("-n umask %s, want the inherited 0023", got)
	}
	cmd.Process.Signal(syscall.SIGTERM)
	if code := exitCode(t, cmd); code != 0 {
		t.Errorf("exit %d after SIGTERM, want 0", code)
	}
}

// Unix socket endpoints: mode bits, the lock symlink, cleanup.
func TestUnixEndpoint(t *testing.T) {
	dir := t.TempDir()
	sock := filepath.Join(dir, "e.sock")
	r := gotwistd(t, dir, "echo", "-p", "unix:"+sock+":mode=600")
	if r.code != 0 {
		t.Fatalf("start: %d %q", r.code, r.stderr)
	}
	pid := pidOf(t, filepath.Join(dir, "twistd.pid"))
	killAtEnd(t, pid)
	fi, err := os.Stat(sock)
	if err != nil || fi.Mode()&os.ModeSocket == 0 || fi.Mode().Perm() != 0o600 {
		t.Errorf("socket %v %v, want srw-------", fi.Mode(), err)
	}
	if target, _ := os.Readlink(sock + ".lock"); target != fmt.Sprint(pid) {
		t.Errorf("lock points to %q, want %d", target, pid)
	}
	echoes(t, "unix", sock)
	syscall.Kill(pid, syscall.SIGKILL)
	waitGone(t, pid)
	// The stale lock and socket of a killed daemon do not block a restart.
	r = gotwistd(t, dir, "echo", "-p", "unix:"+sock+":mode=600")
	if r.code != 0 {
		t.Fatalf("restart after kill -9: %d %q", r.code, r.stderr)
	}
	pid = pidOf(t, filepath.Join(dir, "twistd.pid"))
	killAtEnd(t, pid)
	echoes(t, "unix", sock)
	gotwistd(t, dir, "stop")
	waitGone(t, pid)
	if _, err := os.Lstat(sock); !os.IsNotExist(err) {
		t.Errorf("socket left after stop")
	}
	if _, err := os.Lstat(sock + ".lock"); !os.IsNotExist(err) {
		t.Errorf("lock left after stop")
	}
}

// The same echo runs on the gnet reactor.
func TestEchoDaemonOnGnet(t *testing.T) {
	dir := t.TempDir()
	pid, addr := startEcho(t, dir, "--reactor", "gnet")
	echoes(t, "tcp", addr)
	waitLog(t, fileText(filepath.Join(dir, "twistd.log")), `reactor: gnet`)
	if r := gotwistd(t, dir, "stop"); r.code != 0 {
		t.Errorf("stop: %d %q", r.code, r.stderr)
	}
	waitGone(t, pid)
	r := gotwistd(t, dir, "-r", "gnet", "echo", "-p", "unix:"+filepath.Join(dir, "s"))
	if r.code != 2 || !strings.Contains(r.stderr, "gnet") {
		t.Errorf("unix under gnet: %d %q", r.code, r.stderr)
	}
}
