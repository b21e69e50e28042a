package dns

import (
	"os"
	"strings"
	"testing"
)

// Every command in the README's Examples section parses, and Make accepts
// it with the files it names (a zone file stands in for db.example.org).
func TestREADMEExamples(t *testing.T) {
	b, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	text := string(b)
	start := strings.Index(text, "## Examples")
	end := strings.Index(text[start+1:], "\n## ")
	if start < 0 || end < 0 {
		t.Fatal("no Examples section")
	}
	zone := writeFile(t, t.TempDir(), "db.example.org",
		"$ORIGIN example.org.\n@ IN SOA ns hostmaster 1 3600 600 86400 60\nwww IN A 192.0.2.1\n")
	n := 0
	for _, line := range strings.Split(text[start:start+1+end], "\n") {
		line = strings.TrimSpace(line)
		if !strings.HasPrefix(line, "gotwistd ") {
			continue
		}
		f := strings.Fields(line)
		i := 0
		for i < len(f) && f[i] != "dns" {
			i++
		}
		if i == len(f) {
			t.Errorf("%q: no dns subcommand", line)
			continue
		}
		var args []string
		for _, a := range f[i+1:] {
			switch a {
			case "db.example.org":
				a = zone
			case "''":
				a = ""
			}
			args = append(args, a)
		}
		n++
		t.Run(line, func(t *testing.T) {
			_, err := buildOnly(args)
			if err != nil && strings.Contains(err.Error(), "resolv.conf") {
				t.Skipf("this machine's resolv.conf: %v", err)
			}
			if err != nil && strings.Contains(err.Error(), "/etc/hosts") {
				t.Skipf("this machine's hosts file: %v", err)
			}
			if err != nil {
				t.Fatal(err)
			}
		})
	}
	if n < 4 {
		t.Fatalf("%d examples found", n)
	}
}
