package main

import (
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Socket activation: a listening socket on fd 3 with LISTEN_FDS and
// LISTEN_PID is served through systemd:domain=INET:index=0 (scenario 44).
func TestSystemdSocketActivation(t *testing.T) {
	l, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	f, err := l.(*net.TCPListener).File()
	if err != nil {
		t.Fatal(err)
	}
	l.Close()
	defer f.Close()
	// sh's $$ is the pid gotwistd keeps after exec.
	cmd := exec.Command("sh", "-c", `LISTEN_PID=$$ LISTEN_FDS=1 exec "$0" -n --pidfile '' echo -p systemd:domain=INET:index=0`, binary)
	cmd.Dir = t.TempDir()
	cmd.ExtraFiles = []*os.File{f}
	out := &syncBuffer{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	waitLog(t, out.String, `systemd passed 1 socket`)
	addr := listenAddr(t, out.String)
	echoes(t, "tcp", addr)
	cmd.Process.Signal(syscall.SIGTERM)
	if code := exitCode(t, cmd); code != 0 {
		t.Errorf("exit %d:\n%s", code, out)
	}

	// Without the environment: one clear line, exit 1.
	r := gotwistd(t, t.TempDir(), "-n", "--pidfile", "", "echo", "-p", "systemd:domain=INET:index=0")
	if r.code != 1 || !strings.Contains(r.stderr, "systemd passed 0 sockets") {
		t.Errorf("exit %d, stderr %q", r.code, r.stderr)
	}
}

// Type=notify: READY=1 once started, STOPPING=1 at the stop.
func TestSystemdNotify(t *testing.T) {
	sockPath := filepath.Join(t.TempDir(), "notify")
	pc, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: sockPath, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	cmd := exec.Command(binary, "-n", "--pidfile", "", "echo", "-p", "tcp:0:interface=127.0.0.1")
	cmd.Env = append(os.Environ(), "NOTIFY_SOCKET="+sockPath)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	read := func() string {
		buf := make([]byte, 256)
		pc.SetReadDeadline(time.Now().Add(20 * time.Second))
		n, err := pc.Read(buf)
		if err != nil {
			t.Fatal(err)
		}
		return string(buf[:n])
	}
	if got := read(); !strings.HasPrefix(got, "READY=1") {
		t.Errorf("first notification %q", got)
	}
	cmd.Process.Signal(syscall.SIGTERM)
	if got := read(); got != "STOPPING=1" {
		t.Errorf("second notification %q", got)
	}
	exitCode(t, cmd)
}
