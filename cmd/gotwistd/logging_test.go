package main

import (
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
)

// SIGUSR1 rotates, and --logfile-max-backups caps what is kept (twistd
// keeps every file).
func TestRotationKeepsAtMostMaxBackups(t *testing.T) {
	dir := t.TempDir()
	pid, _ := startEcho(t, dir, "--logfile-max-backups", "2")
	logfile := filepath.Join(dir, "twistd.log")
	for i := 1; i <= 4; i++ {
		before, _ := os.Stat(logfile)
		syscall.Kill(pid, syscall.SIGUSR1)
		// Each rotation starts a new file, which then logs it.
		eventually(t, "rotation", func() bool {
			now, err := os.Stat(logfile)
			return err == nil && !os.SameFile(before, now) && strings.Contains(readFile(t, logfile), "rotated the log")
		})
	}
	eventually(t, "old backups removed", func() bool {
		m, _ := filepath.Glob(filepath.Join(dir, "twistd-*.log"))
		return len(m) == 2
	})
	gotwistd(t, dir, "stop")
	waitGone(t, pid)
}

// --profile writes a Go profile when the server stops.
func TestProfileWrittenAtStop(t *testing.T) {
	dir := t.TempDir()
	for _, kind := range []string{"cpu", "heap"} {
		cmd, out := foreground(t, dir, "-n", "--pidfile", "", "--profile", kind+".prof", "--profiler", kind, "echo", "-p", "tcp:0:interface=127.0.0.1")
		listenAddr(t, out.String)
		cmd.Process.Signal(syscall.SIGTERM)
		if code := exitCode(t, cmd); code != 0 {
			t.Fatalf("%s: exit %d\n%s", kind, code, out)
		}
		if fi, err := os.Stat(filepath.Join(dir, kind+".prof")); err != nil || fi.Size() == 0 {
			t.Errorf("%s profile: %v", kind, err)
		}
		if !strings.Contains(out.String(), "wrote the "+kind+" profile") {
			t.Errorf("%s: no log line", kind)
		}
	}
}

// --syslog: datagrams on /dev/log of the form <14>... prefix: [system]
// message, nothing on stdout (scenario 30). /dev/log is replaced inside a
// private mount namespace, so this needs root and unshare.
func TestSyslog(t *testing.T) {
	needRoot(t)
	if _, err := exec.LookPath("unshare"); err != nil {
		t.Skip("needs unshare (util-linux)")
	}
	dir := t.TempDir()
	sock := filepath.Join(dir, "log")
	pc, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: sock, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	script := `touch /dev/log 2>/dev/null || true; mount --bind "$1" /dev/log && exec "$0" -n --pidfile '' --syslog --prefix myprefix testsvc --stop-delay testsvc=0s`
	cmd := exec.Command("unshare", "-m", "--propagation", "private", "sh", "-c", script, binary, sock)
	var stdout strings.Builder
	cmd.Stdout = &stdout
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	var got []string
	buf := make([]byte, 2048)
	for !strings.Contains(strings.Join(got, "\n"), "] started") {
		pc.SetReadDeadline(time.Now().Add(20 * time.Second))
		n, err := pc.Read(buf)
		if err != nil {
			t.Fatalf("after %q: %v", got, err)
		}
		got = append(got, string(buf[:n]))
	}
	// unshare and sh exec gotwistd: it has the pid we started.
	cmd.Process.Signal(syscall.SIGTERM)
	if code := exitCode(t, cmd); code != 0 {
		t.Errorf("exit %d", code)
	}
	line := regexp.MustCompile(`^<14>\w{3} [ \d]\d \d\d:\d\d:\d\d myprefix\[\d+\]: \[-\] gotwistd .* starting up\.`)
	if !line.MatchString(got[0]) {
		t.Errorf("first datagram %q", got[0])
	}
	all := strings.Join(got, "\n")
	if !strings.Contains(all, "myprefix[") || !strings.Contains(all, "[testsvc] testsvc multi-line first") || !strings.Contains(all, "\ttestsvc multi-line second") {
		t.Errorf("datagrams:\n%s", all)
	}
	if stdout.Len() != 0 {
		t.Errorf("stdout with --syslog: %q", stdout.String())
	}
}

// The log uses local time from TZ, and rotates by size (scenarios 24, 26).
func TestLocalTimeAndSizeRotation(t *testing.T) {
	dir := t.TempDir()
	r := gotwistdEnv(t, dir, []string{"TZ=America/New_York"}, "--logfile-max-size", "1", "testsvc", "--log-bytes", "1500000")
	if r.code != 0 {
		t.Fatalf("exit %d %q", r.code, r.stderr)
	}
	pid := pidOf(t, filepath.Join(dir, "twistd.pid"))
	killAtEnd(t, pid)
	backups, _ := filepath.Glob(filepath.Join(dir, "twistd-*.log"))
	if len(backups) != 1 {
		t.Fatalf("backups %v, want one", backups)
	}
	fi, _ := os.Stat(backups[0])
	if fi.Size() < 1000000 || fi.Size() > 1<<20 {
		t.Errorf("backup of %d bytes, want about 1 MB", fi.Size())
	}
	cur := readFile(t, filepath.Join(dir, "twistd.log"))
	if len(cur) >= 1<<20 {
		t.Errorf("current log %d bytes: not rotated", len(cur))
	}
	first := readFile(t, backups[0])
	if !regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d-0[45]00 \[-\] gotwistd`).MatchString(first) {
		t.Errorf("first line %q: want New York time", first[:60])
	}
	gotwistd(t, dir, "stop")
	waitGone(t, pid)
}
