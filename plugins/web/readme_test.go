package web

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gotwistd/gotwistd/runner"
)

// TestREADMEExamples builds every `gotwistd ... web ...` command of the
// README's Examples section (Make only: nothing is bound), in a directory
// holding the files they name, so the documented command lines stay valid.
func TestREADMEExamples(t *testing.T) {
	b, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	text := string(b)
	start := strings.Index(text, "## Examples")
	end := strings.Index(text[start:], "\n## ")
	section := strings.ReplaceAll(text[start:start+end], "\\\n", " ")

	dir := t.TempDir()
	testCert(t, dir, "cert", "localhost")
	if err := os.Rename(filepath.Join(dir, "cert.key"), filepath.Join(dir, "key.pem")); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(filepath.Join(dir, "cert.crt"), filepath.Join(dir, "cert.pem")); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(dir, "certs"), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Chdir(dir)

	n := 0
	for _, line := range strings.Split(section, "\n") {
		line = strings.TrimSpace(line)
		if !strings.HasPrefix(line, "gotwistd ") {
			continue
		}
		if i := strings.Index(line, " #"); i >= 0 {
			line = line[:i]
		}
		args := shellWords(line)
		i := indexOf2(args, "web")
		if i < 0 {
			t.Errorf("example without web: %s", line)
			continue
		}
		if _, err := runner.Build(Plugin(), args[i+1:], runner.Env{}); err != nil {
			t.Errorf("%s: %v", line, err)
		}
		n++
	}
	if n < 5 {
		t.Fatalf("found only %d examples", n)
	}
}

func indexOf2(ss []string, s string) int {
	for i, x := range ss {
		if x == s {
			return i
		}
	}
	return -1
}

// shellWords splits a command line on blanks, honouring single quotes.
func shellWords(s string) []string {
	var out []string
	var cur strings.Builder
	in, quoted := false, false
	for _, r := range s {
		switch {
		case r == '\'':
			quoted, in = !quoted, true
		case r == ' ' && !quoted:
			if in {
				out = append(out, cur.String())
				cur.Reset()
				in = false
			}
		default:
			cur.WriteRune(r)
			in = true
		}
	}
	if in {
		out = append(out, cur.String())
	}
	return out
}
