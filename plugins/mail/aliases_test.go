package mail

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gotwistd/gotwistd/runner"
	"github.com/gotwistd/gotwistd/service"
)

func TestAliasesDeliver(t *testing.T) {
	dir := t.TempDir()
	mbox := filepath.Join(dir, "archive.mbox")
	progOut := filepath.Join(dir, "prog.out")
	include := filepath.Join(dir, "list")
	os.WriteFile(include, []byte("# the team\nbob, sue\n"), 0o600)
	aliases := filepath.Join(dir, "aliases")
	os.WriteFile(aliases, []byte(`# aliases(5)
postmaster: joe
team: :include:`+include+`
everyone: team, joe,
	`+mbox+`
pipe: "|/bin/sh -c 'cat > `+progOut+`'"
fail: "|/bin/false"
loop1: loop2
loop2: loop1
`), 0o600)
	md := filepath.Join(dir, "md")
	s := startMail(t, "-H", "localhost", "-d", "localhost="+md, "-u", "joe=pw", "-u", "bob=pw", "-u", "sue=pw", "-A", aliases, "-s", loop, "--no-pop3")

	if err := send(s.smtp[0], "a@example.com", []string{"everyone@localhost"}, "Subject: all\r\n\r\nFrom here\r\n"); err != nil {
		t.Fatal(err)
	}
	for _, u := range []string{"joe", "bob", "sue"} {
		if n := len(listDir(t, filepath.Join(md, u, "new"))); n != 1 {
			t.Errorf("%s has %d messages, want 1 (one copy though listed twice)", u, n)
		}
	}
	data, err := os.ReadFile(mbox)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(data), "From a@example.com ") || !strings.Contains(string(data), "\n>From here\n") {
		t.Errorf("mbox file:\n%s", data)
	}

	if err := send(s.smtp[0], "a@example.com", []string{"pipe@localhost"}, "Subject: p\r\n\r\nto a program\r\n"); err != nil {
		t.Fatal(err)
	}
	if out, _ := os.ReadFile(progOut); !strings.HasSuffix(string(out), "\nto a program\n") {
		t.Errorf("program got %q", out)
	}
	if err := send(s.smtp[0], "a@example.com", []string{"fail@localhost"}, "x\r\n"); smtpCode(err) != 554 {
		t.Errorf("program exiting 1: %v, want 554", err)
	}
	if err := send(s.smtp[0], "a@example.com", []string{"loop1@localhost"}, "x\r\n"); smtpCode(err) != 550 {
		t.Errorf("alias loop: %v, want 550 at RCPT", err)
	}
	if err := send(s.smtp[0], "a@example.com", []string{"postmaster@localhost"}, "x\r\n"); err != nil {
		t.Errorf("postmaster alias: %v", err)
	}
}

func TestDefaultDomainAndBounceToPostmaster(t *testing.T) {
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a"), filepath.Join(dir, "b")
	s := startMail(t, "-H", "localhost", "-d", "a.example="+a, "-u", "joe=pw", "-u", "postmaster=pm", "-b",
		"-d", "b.example="+b, "-u", "ann=pw", "-D", "-s", loop, "--no-pop3")
	// -b on a.example: unknown users go to its postmaster.
	if err := send(s.smtp[0], "x@example.com", []string{"nobody@a.example"}, "x\r\n"); err != nil {
		t.Fatal(err)
	}
	if n := len(listDir(t, filepath.Join(a, "postmaster", "new"))); n != 1 {
		t.Errorf("postmaster has %d messages, want 1", n)
	}
	// -D on b.example: any other domain is b.example.
	if err := send(s.smtp[0], "x@example.com", []string{"ann@anything.example"}, "x\r\n"); err != nil {
		t.Fatal(err)
	}
	if n := len(listDir(t, filepath.Join(b, "ann", "new"))); n != 1 {
		t.Errorf("ann has %d messages, want 1", n)
	}
	// b.example has no -b: unknown users are refused.
	if err := send(s.smtp[0], "x@example.com", []string{"nobody@b.example"}, "x\r\n"); smtpCode(err) != 550 {
		t.Errorf("unknown user of b.example: %v, want 550", err)
	}
}

func TestUsageErrors(t *testing.T) {
	dir := t.TempDir()
	aliases := filepath.Join(dir, "aliases")
	os.WriteFile(aliases, []byte("out: someone@remote.example\n"), 0o600)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"-u", "joe=pw"}, "must follow a -d"},
		{[]string{"-d", "nodir"}, "NAME=DIR"},
		{[]string{"-d", "x=" + dir, "-u", "joe"}, "USER=PASSWORD"},
		{[]string{"-d", "x=" + dir, "-u", "../etc=pw"}, "must not start"},
		{[]string{"-d", "x=" + dir, "-u", "joe=$1$x"}, "bcrypt"},
		{[]string{"-d", "x=" + dir, "-d", "X=" + dir}, "twice"},
		{[]string{"-d", "x=" + dir, "-A", aliases}, "needs -R"},
		{[]string{"-d", "x=" + dir, "-A", filepath.Join(dir, "missing")}, "no such file"},
		{[]string{"--no-smtp", "--no-pop3"}, "nothing to serve"},
		{[]string{"--no-smtp", "-s", "tcp:1"}, "contradict"},
		{[]string{"-s", "udp:25"}, "streams"},
		{[]string{"-s", "tcp:99999"}, "99999"},
		{[]string{"--auth", "unix"}, "unknown kind"},
		{[]string{"--auth", "file:" + filepath.Join(dir, "missing")}, "no such file"},
		{[]string{"--auth", "memory:joe"}, "memory:USER:PASS"},
		{[]string{"--relay-from", "10.0.0.0/99"}, "CIDR"},
		{[]string{"--tls-key", "k.pem"}, "needs --tls-cert"},
		{[]string{"--tls-cert", filepath.Join(dir, "missing.pem")}, "missing.pem"},
		{[]string{"--max-message-size", "0"}, "at least 1"},
		{[]string{"-H", "bad host"}, "not a host name"},
	} {
		_, err := runner.Build(Plugin(), tc.args, runner.Env{})
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: %v, want an error containing %q", tc.args, err, tc.want)
		}
	}
}

func TestReloadAliases(t *testing.T) {
	dir := t.TempDir()
	aliases := filepath.Join(dir, "aliases")
	os.WriteFile(aliases, []byte("old: joe\n"), 0o600)
	svc := buildMail(t, "-H", "localhost", "-d", "localhost="+filepath.Join(dir, "md"), "-u", "joe=pw", "-A", aliases, "-s", loop, "--no-pop3")
	s := runMail(t, svc)
	reload := func() error { return svc.(service.Reloader).Reload(context.Background()) }

	os.WriteFile(aliases, []byte("new: joe\n"), 0o600)
	if err := reload(); err != nil {
		t.Fatal(err)
	}
	if err := send(s.smtp[0], "a@example.com", []string{"new@localhost"}, "x\r\n"); err != nil {
		t.Errorf("new alias after reload: %v", err)
	}
	if err := send(s.smtp[0], "a@example.com", []string{"old@localhost"}, "x\r\n"); smtpCode(err) != 550 {
		t.Errorf("removed alias after reload: %v, want 550", err)
	}
	// A broken file is reported and the last good one stays.
	os.WriteFile(aliases, []byte("broken line\n"), 0o600)
	if err := reload(); err == nil || !strings.Contains(err.Error(), "not reloaded") {
		t.Errorf("reload of a broken file: %v", err)
	}
	if err := send(s.smtp[0], "a@example.com", []string{"new@localhost"}, "x\r\n"); err != nil {
		t.Errorf("alias lost after a failed reload: %v", err)
	}
}
