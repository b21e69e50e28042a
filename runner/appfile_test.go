package runner

import (
	"bytes"
	"strings"
	"testing"
)

func TestParseAppFile(t *testing.T) {
	af, err := parseAppFile("/x/site.toml", strings.NewReader(`
[[service]]
plugin = "web"
args = ["--path", "/srv"]

[[service]]
plugin = "web"
name = "second"
`))
	if err != nil {
		t.Fatal(err)
	}
	if af.Name != "site" || len(af.Services) != 2 || af.Services[0].Name != "web" || af.Services[1].Name != "second" || af.Services[0].Args[1] != "/srv" {
		t.Errorf("%+v", af)
	}
	for _, c := range []struct{ text, want string }{
		{``, "no [[service]] entry"},
		{`[[service]]` + "\n" + `args = []`, "entry 1 has no plugin"},
		{"[[service]]\nplugin = \"a\"\n[[service]]\nplugin = \"a\"", `entries 1 and 2 are both named "a"`},
		{"[[service]]\nplugin = \"a\"\nname = \"Bad Name\"", "must match"},
		{"[[service]]\nplugin = \"a\"\nport = 80", `unknown key "service.port"`},
		{"[[service]]\nplugin = \"a\"\nargs = \"--x\"", "/x/a.toml"},
		{"[[service]\nplugin = 1", "/x/a.toml:2:"},
		{"\x00\x01", "/x/a.toml"},
	} {
		_, err := parseAppFile("/x/a.toml", strings.NewReader(c.text))
		if err == nil || !strings.Contains(err.Error(), c.want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("%q: %v; want one line containing %q", c.text, err, c.want)
		}
	}
}

func FuzzParseAppFile(f *testing.F) {
	f.Add([]byte("name = \"x\"\n[[service]]\nplugin = \"echo\"\nargs = [\"-p\", \"8000\"]\n"))
	f.Add([]byte("[[service]]\nplugin = \"a\"\n[[service]]\nplugin = \"a\""))
	f.Add([]byte("[[service]\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		af, err := parseAppFile("f.toml", bytes.NewReader(b))
		if err != nil {
			return
		}
		seen := map[string]bool{}
		for _, s := range af.Services {
			if s.Plugin == "" || !validName.MatchString(s.Name) || seen[s.Name] {
				t.Fatalf("accepted a bad entry %+v", s)
			}
			seen[s.Name] = true
		}
	})
}

func TestPortConflicts(t *testing.T) {
	for _, c := range []struct {
		a, b  string
		clash bool
	}{
		{"tcp:80", "tcp:80", true},
		{"tcp:80", "tcp:80:interface=127.0.0.1", true},
		{"tcp:80:interface=127.0.0.1", "tcp:80:interface=127.0.0.2", false},
		{"tcp:80", "tcp6:80", false},
		{"tcp:80", "udp:80", false},
		{"tcp:0", "tcp:0", false},
		{"udp:53", "udp:53:interface=127.0.0.1", true},
		{"unix:/a.sock", "unix:/a.sock", true},
		{"unix:/a.sock", "unix:/b.sock", false},
		{"systemd:domain=INET:index=0", "systemd:domain=INET:index=0", true},
	} {
		if got := overlap(c.a, c.b); got != c.clash {
			t.Errorf("%s vs %s: %v, want %v", c.a, c.b, got, c.clash)
		}
	}
	err := findPortConflict("app.toml", []bound{{"one", "tcp:80"}, {"two", "tcp:81"}, {"three", "tcp:80:interface=127.0.0.1"}})
	if err == nil || !strings.Contains(err.Error(), `"one" and "three"`) {
		t.Errorf("%v", err)
	}
}
