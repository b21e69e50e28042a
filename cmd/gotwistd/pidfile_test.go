package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// An unlocked pidfile is stale whatever it holds, and is taken over with a
// notice on stderr and in the log (twistd refuses garbage, 0, -1 and any
// live pid, which blocks it forever when a pid is reused).
func TestStalePidfileTakenOver(t *testing.T) {
	for _, content := range []string{"999999", "abc", "0", "-1", "1", "", " 42 \n", "\x00\xff"} {
		t.Run(fmt.Sprintf("%q", content), func(t *testing.T) {
			dir := t.TempDir()
			pidfile := filepath.Join(dir, "twistd.pid")
			os.WriteFile(pidfile, []byte(content), 0o644)
			r := gotwistd(t, dir, "echo", "-p", "tcp:0:interface=127.0.0.1")
			if r.code != 0 {
				t.Fatalf("exit %d: %q", r.code, r.stderr)
			}
			pid := pidOf(t, pidfile)
			killAtEnd(t, pid)
			if strings.TrimSpace(content) != "" && !strings.Contains(r.stderr, "removing stale pidfile") {
				t.Errorf("no stale notice on stderr: %q", r.stderr)
			}
			if strings.TrimSpace(content) != "" {
				waitLog(t, fileText(filepath.Join(dir, "twistd.log")), "removing stale pidfile")
			}
			gotwistd(t, dir, "stop")
			waitGone(t, pid)
		})
	}
}

func TestLivePidfileRefused(t *testing.T) {
	dir := t.TempDir()
	pid, addr := startEcho(t, dir)
	r := gotwistd(t, dir, "echo", "-p", "tcp:0:interface=127.0.0.1")
	if r.code != 1 || !strings.Contains(r.stderr, fmt.Sprintf("pid %d", pid)) {
		t.Errorf("second start: exit %d, %q; want 1 naming pid %d", r.code, r.stderr, pid)
	}
	echoes(t, "tcp", addr) // the first one still serves
	gotwistd(t, dir, "stop")
	waitGone(t, pid)
}

// Five starts racing on one pidfile leave exactly one running.
func TestPidfileRace(t *testing.T) {
	dir := t.TempDir()
	var wg sync.WaitGroup
	codes := make([]int, 5)
	for i := range codes {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			codes[i] = gotwistd(t, dir, "echo", "-p", "tcp:0:interface=127.0.0.1").code
		}(i)
	}
	wg.Wait()
	ok := 0
	for _, c := range codes {
		if c == 0 {
			ok++
		} else if c != 1 {
			t.Errorf("a losing start exited %d, want 1", c)
		}
	}
	if ok != 1 {
		t.Fatalf("%d starts won, want exactly 1 (codes %v)", ok, codes)
	}
	pid := pidOf(t, filepath.Join(dir, "twistd.pid"))
	killAtEnd(t, pid)
	gotwistd(t, dir, "stop")
	waitGone(t, pid)
}

func TestNoPidfile(t *testing.T) {
	dir := t.TempDir()
	cmd, out := foreground(t, dir, "-n", "--pidfile", "", "echo", "-p", "tcp:0:interface=127.0.0.1")
	echoes(t, "tcp", listenAddr(t, out.String))
	if files, _ := os.ReadDir(dir); len(files) != 0 {
		t.Errorf("--pidfile '' wrote %v", files)
	}
	cmd.Process.Signal(os.Interrupt)
	if code := exitCode(t, cmd); code != 0 {
		t.Errorf("exit %d after SIGINT, want 0", code)
	}
}

func TestPidfileIsDirectory(t *testing.T) {
	dir := t.TempDir()
	os.Mkdir(filepath.Join(dir, "p"), 0o755)
	r := gotwistd(t, dir, "--pidfile", "p", "echo", "-p", "tcp:0:interface=127.0.0.1")
	if r.code != 1 || !strings.Contains(r.stderr, "is a directory") {
		t.Errorf("exit %d, %q", r.code, r.stderr)
	}
	r = gotwistd(t, dir, "--pidfile", "/nonexistent/x.pid", "echo", "-p", "tcp:0:interface=127.0.0.1")
	if r.code != 1 || !strings.Contains(r.stderr, "/nonexistent/x.pid") {
		t.Errorf("exit %d, %q", r.code, r.stderr)
	}
}
