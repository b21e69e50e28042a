package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// binary is the gotwistd built once for the whole package run.
var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "gotwistd-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	os.Chmod(dir, 0o755) // tests run the binary as other users too
	binary = filepath.Join(dir, "gotwistd")
	build := exec.Command("go", "build", "-o", binary, ".")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "building gotwistd:", err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// result is what one finished gotwistd command left behind.
type result struct {
	stdout, stderr string
	code           int
	elapsed        time.Duration
}

// gotwistd runs the binary in dir with args and waits (at most a minute:
// a hang is a failure, never a pass).
func gotwistd(t *testing.T, dir string, args ...string) result {
	t.Helper()
	return gotwistdEnv(t, dir, nil, args...)
}

func gotwistdEnv(t *testing.T, dir string, env []string, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	start := time.Now()
	err := cmd.Run()
	r := result{stdout: out.String(), stderr: errb.String(), elapsed: time.Since(start)}
	if ee, ok := err.(*exec.ExitError); ok {
		r.code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("gotwistd %s: %v", strings.Join(args, " "), err)
	}
	if ctx.Err() != nil {
		t.Fatalf("gotwistd %s: still running after a minute", strings.Join(args, " "))
	}
	return r
}

// foreground starts gotwistd -n ... in dir and returns the running command;
// its stdout (the log) is collected in the returned buffer.
func foreground(t *testing.T, dir string, args ...string) (*exec.Cmd, *syncBuffer) {
	t.Helper()
	cmd := exec.Command(binary, args...)
	cmd.Dir = dir
	out := &syncBuffer{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			cmd.Process.Kill()
			cmd.Wait()
		}
	})
	return cmd, out
}

// exitCode waits for cmd (at most a minute) and returns its exit status.
func exitCode(t *testing.T, cmd *exec.Cmd) int {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case <-done:
	case <-time.After(time.Minute):
		cmd.Process.Kill()
		<-done
		t.Fatal("process still running after a minute")
	}
	return cmd.ProcessState.ExitCode()
}

// syncBuffer collects a child's output while the test reads it.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// eventually polls cond until it holds, failing after 20 s. It waits for
// what another process does (a file written, a port opened), which offers
// nothing to block on.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// waitLog waits until the text from get matches re and returns the match.
func waitLog(t *testing.T, get func() string, re string) []string {
	t.Helper()
	rx := regexp.MustCompile(re)
	var m []string
	eventually(t, fmt.Sprintf("log line %q", re), func() bool {
		m = rx.FindStringSubmatch(get())
		return m != nil
	})
	return m
}

func fileText(path string) func() string {
	return func() string {
		b, _ := os.ReadFile(path)
		return string(b)
	}
}

// listenAddr returns the address of the n-th "listening on" line.
func listenAddr(t *testing.T, get func() string) string {
	t.Helper()
	return waitLog(t, get, `listening on \S+ \(([^)]+)\)`)[1]
}

// pidOf reads the pid a pidfile holds.
func pidOf(t *testing.T, path string) int {
	t.Helper()
	s := readFile(t, path)
	if !strings.HasSuffix(s, "\n") {
		t.Errorf("pidfile %q does not end in a newline", s)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil {
		t.Fatalf("pidfile holds %q", s)
	}
	return pid
}

// alive is true until the process is gone and reaped (a daemon's parent
// is init, which reaps it).
func alive(pid int) bool {
	return syscall.Kill(pid, 0) == nil
}

// waitGone waits until pid has exited.
func waitGone(t *testing.T, pid int) {
	t.Helper()
	eventually(t, fmt.Sprintf("pid %d to exit", pid), func() bool { return !alive(pid) })
}

// killAtEnd makes sure a daemon started by a test does not outlive it.
func killAtEnd(t *testing.T, pid int) {
	t.Cleanup(func() {
		if alive(pid) {
			syscall.Kill(pid, syscall.SIGKILL)
		}
	})
}

// procStatus returns the named field of /proc/PID/status.
func procStatus(t *testing.T, pid int, field string) string {
	t.Helper()
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if k, v, ok := strings.Cut(sc.Text(), ":"); ok && k == field {
			return strings.Join(strings.Fields(v), " ")
		}
	}
	t.Fatalf("no %s in /proc/%d/status", field, pid)
	return ""
}

// echoes checks that addr echoes a line back.
func echoes(t *testing.T, network, addr string) {
	t.Helper()
	c, err := net.DialTimeout(network, addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	want := "hello gotwistd\n"
	if _, err := c.Write([]byte(want)); err != nil {
		t.Fatal(err)
	}
	got, err := bufio.NewReader(c).ReadString('\n')
	if err != nil || got != want {
		t.Fatalf("echo from %s: got %q, %v", addr, got, err)
	}
}

// startEcho starts a daemonized echo on a kernel-chosen loopback port in
// dir and returns its pid and address.
func startEcho(t *testing.T, dir string, global ...string) (int, string) {
	t.Helper()
	args := append(append([]string{}, global...), "echo", "-p", "tcp:0:interface=127.0.0.1")
	r := gotwistd(t, dir, args...)
	if r.code != 0 {
		t.Fatalf("start: exit %d, stderr %q", r.code, r.stderr)
	}
	pidfile := filepath.Join(dir, "twistd.pid")
	for i, g := range global {
		if g == "--pidfile" {
			pidfile = global[i+1]
			if !filepath.IsAbs(pidfile) {
				pidfile = filepath.Join(dir, pidfile)
			}
		}
	}
	pid := pidOf(t, pidfile)
	killAtEnd(t, pid)
	logfile := filepath.Join(dir, "twistd.log")
	return pid, listenAddr(t, fileText(logfile))
}

// lineOrder fails unless every pattern occurs in text, in this order.
func lineOrder(t *testing.T, text string, patterns ...string) {
	t.Helper()
	pos := 0
	for _, p := range patterns {
		i := strings.Index(text[pos:], p)
		if i < 0 {
			t.Fatalf("%q missing after offset %d, or out of order, in:\n%s", p, pos, text)
		}
		pos += i + len(p)
	}
}
