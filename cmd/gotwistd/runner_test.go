package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The daemon's parent returns only after a slow Start has finished
// (reference scenario 12).
func TestParentWaitsForSlowStart(t *testing.T) {
	dir := t.TempDir()
	r := gotwistd(t, dir, "testsvc", "--start-delay", "testsvc=2s")
	if r.code != 0 {
		t.Fatalf("exit %d: %q", r.code, r.stderr)
	}
	if r.elapsed < 2*time.Second {
		t.Errorf("the parent returned after %s, before the 2s start was over", r.elapsed)
	}
	pid := pidOf(t, filepath.Join(dir, "twistd.pid"))
	killAtEnd(t, pid)
	gotwistd(t, dir, "stop")
	waitGone(t, pid)
}

// SIGKILL of the daemon during its start makes the parent exit 1 at once,
// and the pidfile it leaves does not block the next start (scenario 13).
func TestDaemonKilledDuringStart(t *testing.T) {
	dir := t.TempDir()
	pidfile := filepath.Join(dir, "twistd.pid")
	parent, _ := foreground(t, dir, "testsvc", "--start-delay", "testsvc=1h")
	waitLog(t, fileText(filepath.Join(dir, "twistd.log")), `\[testsvc\] testsvc start testsvc`)
	pid := pidOf(t, pidfile)
	syscall.Kill(pid, syscall.SIGKILL)
	if code := exitCode(t, parent); code != 1 {
		t.Errorf("parent exit %d, want 1", code)
	}
	r := gotwistd(t, dir, "testsvc")
	if r.code != 0 {
		t.Fatalf("next start: exit %d %q", r.code, r.stderr)
	}
	pid = pidOf(t, pidfile)
	killAtEnd(t, pid)
	gotwistd(t, dir, "stop")
	waitGone(t, pid)
}

func TestDaemonDiedMessage(t *testing.T) {
	dir := t.TempDir()
	parent, out := foreground(t, dir, "testsvc", "--start-delay", "testsvc=1h")
	waitLog(t, fileText(filepath.Join(dir, "twistd.log")), `testsvc start testsvc`)
	syscall.Kill(pidOf(t, filepath.Join(dir, "twistd.pid")), syscall.SIGKILL)
	exitCode(t, parent)
	if !strings.Contains(out.String(), "died during start-up (signal: killed)") || strings.Contains(out.String(), "gotwistd: gotwistd:") {
		t.Errorf("parent said %q", out.String())
	}
}

// Start order a, m1, m2, b with every privileged start first; stop begins
// b, m2, m1, a without waiting in between; the stop ends after the
// slowest (scenarios 39 and 24).
func TestTreeOrder(t *testing.T) {
	dir := t.TempDir()
	cmd, out := foreground(t, dir, "-n", "--pidfile", "", "testsvc", "--tree", "a,m[m1,m2],b", "--stop-delay", "m1=1s")
	waitLog(t, out.String, `\[-\] started`)
	cmd.Process.Signal(syscall.SIGTERM)
	if code := exitCode(t, cmd); code != 0 {
		t.Fatalf("exit %d:\n%s", code, out)
	}
	log := out.String()
	lineOrder(t, log,
		"[a] testsvc privileged start a", "[m1] testsvc privileged start m1", "[m2] testsvc privileged start m2", "[b] testsvc privileged start b",
		"[a] testsvc start a", "[m1] testsvc start m1", "[m2] testsvc start m2", "[b] testsvc start b",
		"received SIGTERM",
		"[b] testsvc stop b begin", "[m2] testsvc stop m2 begin", "[m1] testsvc stop m1 begin", "[a] testsvc stop a begin",
		"testsvc stop m1 done", "main loop terminated.", "server shut down.")
	// Not waiting in between: the quick ones are done before the slow m1.
	stop := log[strings.Index(log, "received SIGTERM"):]
	for _, quick := range []string{"a", "m2", "b"} {
		if strings.Index(stop, "testsvc stop "+quick+" done") > strings.Index(stop, "testsvc stop m1 done") {
			t.Errorf("%s finished after the slow m1: stops ran one after another\n%s", quick, stop)
		}
	}
	// Continuation lines of a multi-line message start with a TAB.
	if !regexp.MustCompile(`\] testsvc multi-line first\n\ttestsvc multi-line second\n`).MatchString(log) {
		t.Errorf("multi-line message not continued with a TAB:\n%s", log)
	}
}

// A Stop that never returns ends at the deadline, naming the service,
// with a non-zero exit (scenario 40).
func TestStuckStopHitsDeadline(t *testing.T) {
	dir := t.TempDir()
	cmd, out := foreground(t, dir, "-n", "--pidfile", "", "--shutdown-timeout", "500ms", "testsvc", "--tree", "a,m[m1,m2],b", "--stop-delay", "m2=forever")
	waitLog(t, out.String, `\[-\] started`)
	cmd.Process.Signal(syscall.SIGTERM)
	if code := exitCode(t, cmd); code != 1 {
		t.Errorf("exit %d, want 1", code)
	}
	if !strings.Contains(out.String(), "did not stop before the shutdown deadline: testsvc/m/m2") {
		t.Errorf("the stuck service is not named:\n%s", out)
	}
}

// A second SIGTERM during a slow stop exits at once without a trace
// (scenario 41).
func TestSecondSignalExitsAtOnce(t *testing.T) {
	dir := t.TempDir()
	cmd, out := foreground(t, dir, "-n", "--pidfile", "", "testsvc", "--stop-delay", "testsvc=1h")
	waitLog(t, out.String, `\[-\] started`)
	cmd.Process.Signal(syscall.SIGTERM)
	waitLog(t, out.String, `testsvc stop testsvc begin`)
	cmd.Process.Signal(syscall.SIGTERM)
	if code := exitCode(t, cmd); code != 1 {
		t.Errorf("exit %d, want 1", code)
	}
	if s := out.String(); !strings.Contains(s, "again while stopping") || strings.Contains(s, "goroutine") || strings.Contains(s, "panic") {
		t.Errorf("output:\n%s", s)
	}
}

// A failing Start stops what already started, in reverse, and names the
// service.
func TestFailedStartRollsBack(t *testing.T) {
	dir := t.TempDir()
	r := gotwistd(t, dir, "-n", "--pidfile", "", "testsvc", "--tree", "a,m[m1,m2],b", "--fail-start", "m2")
	if r.code != 1 || !strings.Contains(r.stderr, "m/m2") {
		t.Fatalf("exit %d, stderr %q", r.code, r.stderr)
	}
	// m rolls its own children back, then the root the rest.
	lineOrder(t, r.stdout, "testsvc start m2", "testsvc stop m2 begin", "testsvc stop m1 begin", "testsvc stop b begin", "testsvc stop a begin")
	if strings.Contains(r.stdout, "testsvc start b") {
		t.Error("b started after m2 failed")
	}
	// Daemonized, the parent shows the same error.
	r = gotwistd(t, dir, "testsvc", "--tree", "a,b", "--fail-start", "b")
	if r.code != 1 || !strings.Contains(r.stderr, "service testsvc/b: start: testsvc b: failing on purpose") {
		t.Errorf("daemon: exit %d, stderr %q", r.code, r.stderr)
	}
}

// SIGUSR1 and SIGHUP never kill a process that logs to stdout (twistd dies
// of SIGUSR1 there).
func TestHousekeepingSignalsWithStdoutLog(t *testing.T) {
	dir := t.TempDir()
	cmd, out := foreground(t, dir, "-n", "--pidfile", "", "echo", "-p", "tcp:0:interface=127.0.0.1")
	addr := listenAddr(t, out.String)
	cmd.Process.Signal(syscall.SIGUSR1)
	waitLog(t, out.String, `SIGUSR1: the log is not a file`)
	cmd.Process.Signal(syscall.SIGHUP)
	waitLog(t, out.String, `received SIGHUP`)
	echoes(t, "tcp", addr)
	cmd.Process.Signal(syscall.SIGTERM)
	if code := exitCode(t, cmd); code != 0 {
		t.Errorf("exit %d", code)
	}
}

// SIGTERM during a slow start cancels it: the process stops what started
// and exits 1 saying why, instead of dying with its pidfile.
func TestSignalDuringStart(t *testing.T) {
	dir := t.TempDir()
	cmd, out := foreground(t, dir, "-n", "testsvc", "--tree", "a,b", "--start-delay", "b=1h")
	waitLog(t, out.String, `testsvc start b`)
	cmd.Process.Signal(syscall.SIGTERM)
	if code := exitCode(t, cmd); code != 1 {
		t.Errorf("exit %d, want 1", code)
	}
	log := out.String()
	lineOrder(t, log, "received SIGTERM during start-up", "testsvc stop a begin", "start-up interrupted by SIGTERM")
	if _, err := os.Stat(filepath.Join(dir, "twistd.pid")); !os.IsNotExist(err) {
		t.Error("pidfile left behind")
	}
}

// --spew traces every start-up step at debug level; --debug also stays in
// the foreground.
func TestSpewAndDebug(t *testing.T) {
	dir := t.TempDir()
	for _, flag := range []string{"--spew", "-b"} {
		args := []string{flag, "--pidfile", "", "testsvc"}
		if flag == "--spew" {
			args = append([]string{"-n"}, args...)
		}
		cmd, out := foreground(t, dir, args...)
		waitLog(t, out.String, `\[-\] started`)
		for _, step := range []string{"open log", "write pidfile", "privileged start", "drop privileges", "start services"} {
			if !strings.Contains(out.String(), "[-#debug] step: "+step) {
				t.Errorf("%s: no trace of step %q", flag, step)
			}
		}
		cmd.Process.Signal(syscall.SIGTERM)
		if code := exitCode(t, cmd); code != 0 {
			t.Errorf("%s: exit %d", flag, code)
		}
	}
}
