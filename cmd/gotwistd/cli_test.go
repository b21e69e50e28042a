package main

import (
	"os"
	"regexp"
	"strings"
	"testing"
)

// Usage errors: one line on stderr naming the culprit, exit 2, nothing on
// stdout, no file created (twistd prints its whole help and exits 0).
func TestUsageErrors(t *testing.T) {
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"--bogus"}, "--bogus"},
		{[]string{"nosuchcmd"}, `unknown command "nosuchcmd"`},
		{[]string{"-n"}, "no plugin given"},
		{[]string{"--reactor", "nosuch", "echo"}, `"nosuch"`},
		{[]string{"--reactor", "epoll", "echo"}, "epoll"},
		{[]string{"--reactor", "gnet", "testsvc"}, "does not run on reactor"},
		{[]string{"-n", "echo", "--listen", "tcp:abc"}, `"tcp:abc"`},
		{[]string{"-n", "echo", "-p", "tcp:99999"}, "99999"},
		{[]string{"-n", "echo", "-p", `tcp:80\`}, "backslash"},
		{[]string{"-n", "--uid", "nosuchuser", "echo"}, "nosuchuser"},
		{[]string{"-n", "--gid", "nosuchgroup", "echo"}, "nosuchgroup"},
		{[]string{"-n", "--umask", "999", "echo"}, "--umask"},
		{[]string{"-n", "--umask", "abc", "echo"}, "--umask"},
		{[]string{"--logfile", "-", "echo"}, "cannot log to stdout when daemonized"},
		{[]string{"-n", "--prefix", "x", "echo"}, "--prefix"},
		{[]string{"-n", "--profiler", "heap", "echo"}, "--profiler"},
		{[]string{"-n", "--profile", "p.out", "--profiler", "mem", "echo"}, "--profiler"},
		{[]string{"-n", "--euid", "echo"}, "--euid"},
		{[]string{"-n", "--syslog", "--logfile", "x.log", "echo"}, "--syslog"},
		{[]string{"-n", "--logfile-max-size", "5", "echo"}, "stdout"},
		{[]string{"-n", "--shutdown-timeout", "0s", "echo"}, "--shutdown-timeout"},
		{[]string{"echo", "--bogus"}, "--bogus"},
		{[]string{"echo", "--listen"}, "--listen needs a value"},
		{[]string{"-n", "echo", "extra"}, `"extra"`},
		{[]string{"-n", "echo", "--idle-timeout", "-1s"}, "--idle-timeout"},
		{[]string{"-n", "testsvc", "--tree", "a,,b"}, "--tree"},
		{[]string{"-n", "testsvc", "--tree", "a,m[m1"}, "expected ]"},
		{[]string{"-n", "testsvc", "--tree", "a,a"}, "used twice"},
		{[]string{"-n", "testsvc", "--tree", "a", "--start-delay", "a=x"}, "not a duration"},
		{[]string{"-n", "testsvc", "--tree", "a", "--stop-delay", "b=1s"}, "not a leaf"},
		{[]string{"-n", "testsvc", "--tree", "a", "--start-delay", "a=forever"}, "forever"},
		{[]string{"--nodaemon", "status"}, "--nodaemon has no meaning for status"},
		{[]string{"--pidfile", "", "stop"}, "needs a pidfile"},
	}
	for _, c := range cases {
		t.Run(strings.Join(c.args, " "), func(t *testing.T) {
			dir := t.TempDir()
			r := gotwistd(t, dir, c.args...)
			if r.code != 2 {
				t.Errorf("exit %d, want 2 (stderr %q)", r.code, r.stderr)
			}
			if r.stdout != "" {
				t.Errorf("stdout not empty: %q", r.stdout)
			}
			if strings.Count(r.stderr, "\n") != 1 || !strings.Contains(r.stderr, c.want) {
				t.Errorf("stderr %q: want one line containing %q", r.stderr, c.want)
			}
			if files, _ := os.ReadDir(dir); len(files) != 0 {
				t.Errorf("usage error left files behind: %v", files)
			}
		})
	}
}

func TestHelpAndVersion(t *testing.T) {
	dir := t.TempDir()
	for _, args := range [][]string{{"--help"}, {"-h"}, {}} {
		r := gotwistd(t, dir, args...)
		if r.code != 0 || !strings.Contains(r.stdout, "Commands:\n") || !strings.Contains(r.stdout, "\n    echo ") {
			t.Errorf("%v: exit %d, stdout %q", args, r.code, r.stdout)
		}
		if strings.Contains(r.stdout, "testsvc") {
			t.Errorf("%v: the hidden testsvc plugin shows in the help", args)
		}
		for _, opt := range []string{"--nodaemon", "--pidfile", "--chroot", "--umask", "--help-reactors", "--shutdown-timeout"} {
			if !strings.Contains(r.stdout, opt) {
				t.Errorf("%v: help lacks %s", args, opt)
			}
		}
	}
	r := gotwistd(t, dir, "--version")
	if r.code != 0 || !strings.HasPrefix(r.stdout, "gotwistd ") {
		t.Errorf("--version: exit %d, %q", r.code, r.stdout)
	}
	r = gotwistd(t, dir, "echo", "--help")
	if r.code != 0 || !strings.Contains(r.stdout, "--idle-timeout") {
		t.Errorf("echo --help: exit %d, %q", r.code, r.stdout)
	}
	r = gotwistd(t, dir, "--help-reactors")
	if r.code != 0 || !strings.Contains(r.stdout, "netpoll") || !strings.Contains(r.stdout, "gnet") || !regexp.MustCompile(`plugins: .*echo`).MatchString(r.stdout) {
		t.Errorf("--help-reactors: exit %d, %q", r.code, r.stdout)
	}
	if files, _ := os.ReadDir(dir); len(files) != 0 {
		t.Errorf("help left files behind: %v", files)
	}
}

// A TLS endpoint whose key file is missing fails before forking, naming
// the file (scenario 43).
func TestMissingTLSKey(t *testing.T) {
	dir := t.TempDir()
	r := gotwistd(t, dir, "echo", "-p", "ssl:0:privateKey=key.pem:certKey=cert.pem:interface=127.0.0.1")
	if r.code != 2 || !strings.Contains(r.stderr, dir+"/key.pem") || strings.Count(r.stderr, "\n") != 1 {
		t.Errorf("exit %d, stderr %q", r.code, r.stderr)
	}
	if files, _ := os.ReadDir(dir); len(files) != 0 {
		t.Errorf("left files behind: %v", files)
	}
}
