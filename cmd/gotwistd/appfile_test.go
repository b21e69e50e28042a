package main

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// gotwistd -y app.toml runs several plugins as one tree (twistd's -y).
func TestApplicationFile(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "app.toml"), []byte(`
name = "pair"

[[service]]
plugin = "echo"
name = "left"
args = ["-p", "tcp:0:interface=127.0.0.1"]

[[service]]
plugin = "echo"
name = "right"
args = ["--listen", "unix:`+filepath.Join(dir, "r.sock")+`"]
`), 0o644)
	cmd, out := foreground(t, dir, "-n", "--pidfile", "", "-y", "app.toml")
	addr := waitLog(t, out.String, `\[left\] listening on \S+ \(([^)]+)\)`)[1]
	echoes(t, "tcp", addr)
	echoes(t, "unix", filepath.Join(dir, "r.sock"))
	if !strings.Contains(out.String(), "running pair as pid") {
		t.Errorf("log:\n%s", out)
	}
	cmd.Process.Signal(syscall.SIGTERM)
	if code := exitCode(t, cmd); code != 0 {
		t.Errorf("exit %d", code)
	}
	lineOrder(t, out.String(), "[left] listening", "[right] listening", "[right] closed", "[left] closed")
}

// Every mistake in an application file is one line naming the entry, exit
// 2, before anything binds.
func TestApplicationFileErrors(t *testing.T) {
	for _, c := range []struct{ text, want string }{
		{"[[service]]\nplugin = \"nosuch\"", `service "nosuch": unknown plugin "nosuch"`},
		{"[[service]]\nplugin = \"echo\"\nargs = [\"--bogus\"]", `service "echo": unknown option --bogus`},
		{"[[service]]\nplugin = \"echo\"\nargs = [\"-n\"]", `--nodaemon is a global option`},
		{"[[service]]\nplugin = \"echo\"\n[[service]]\nplugin = \"echo\"", `both named "echo"`},
		{"[[service]]\nplugin = \"echo\"\nname = \"a\"\nargs = [\"-p\", \"tcp:18555\"]\n[[service]]\nplugin = \"echo\"\nname = \"b\"\nargs = [\"-p\", \"tcp:18555:interface=127.0.0.1\"]", `"a" and "b" both listen on`},
		{"[[service]\n", "app.toml:2:"},
	} {
		dir := t.TempDir()
		os.WriteFile(filepath.Join(dir, "app.toml"), []byte(c.text), 0o644)
		r := gotwistd(t, dir, "-n", "-y", "app.toml")
		if r.code != 2 || !strings.Contains(r.stderr, c.want) || strings.Count(r.stderr, "\n") != 1 {
			t.Errorf("%q: exit %d, stderr %q; want %q", c.text, r.code, r.stderr, c.want)
		}
	}
	r := gotwistd(t, t.TempDir(), "-n", "-y", "missing.toml")
	if r.code != 2 || !strings.Contains(r.stderr, "missing.toml") {
		t.Errorf("missing file: %d %q", r.code, r.stderr)
	}
	r = gotwistd(t, t.TempDir(), "-y", "a.toml", "echo")
	if r.code != 2 || !strings.Contains(r.stderr, "choose one") {
		t.Errorf("-y with a plugin: %d %q", r.code, r.stderr)
	}
}
