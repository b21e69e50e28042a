package endpoint

import (
	"errors"
	"strings"
	"testing"
)

// goodCases are Twisted's test_endpoints.py and the reference table, with
// the canonical string each one has.
var goodCases = []struct {
	desc  string
	want  Endpoint
	canon string
}{
	{"tcp:8080", &TCP{Port: 8080, Backlog: 50}, "tcp:8080"},
	{"tcp:8080:interface=127.0.0.1", &TCP{Port: 8080, Interface: "127.0.0.1", Backlog: 50}, "tcp:8080:interface=127.0.0.1"},
	{"tcp:port=8080", &TCP{Port: 8080, Backlog: 50}, "tcp:8080"},
	{"tcp:8080:127.0.0.1:10", &TCP{Port: 8080, Interface: "127.0.0.1", Backlog: 10}, "tcp:8080:interface=127.0.0.1:backlog=10"},
	{`tcp:8080:interface=\:\:1`, &TCP{Port: 8080, Interface: "::1", Backlog: 50}, `tcp:8080:interface=\:\:1`},
	{`tcp6:8080:interface=\:\:1`, &TCP{Port: 8080, Interface: "::1", Backlog: 50, IPv6: true}, `tcp6:8080:interface=\:\:1`},
	{"tcp6:port=8080:backlog=7", &TCP{Port: 8080, Interface: "::", Backlog: 7, IPv6: true}, "tcp6:8080:backlog=7"},
	{`tcp6:8080:7:\:\:1`, &TCP{Port: 8080, Interface: "::1", Backlog: 7, IPv6: true}, `tcp6:8080:interface=\:\:1:backlog=7`},
	{"tcp6:8080:interface=", &TCP{Port: 8080, Interface: "::", Backlog: 50, IPv6: true}, "tcp6:8080"},
	{"tcp:8080:interface=a:interface=b", &TCP{Port: 8080, Interface: "b", Backlog: 50}, "tcp:8080:interface=b"},
	{"tcp:8080:interface=", &TCP{Port: 8080, Backlog: 50}, "tcp:8080"},
	{"tcp:8080:interface=LocalHost", &TCP{Port: 8080, Interface: "localhost", Backlog: 50}, "tcp:8080:interface=localhost"},
	{`tcp:8080:interface=0\:0\:0\:0\:0\:0\:0\:1`, &TCP{Port: 8080, Interface: "::1", Backlog: 50}, `tcp:8080:interface=\:\:1`},
	{`tcp:80:interface=fe80\:\:1%lo`, &TCP{Port: 80, Interface: "fe80::1%lo", Backlog: 50}, `tcp:80:interface=fe80\:\:1%lo`},
	{"tcp:8080:backlog=0", &TCP{Port: 8080, Backlog: 0}, "tcp:8080:backlog=0"},
	{"tcp:0", &TCP{Port: 0, Backlog: 50}, "tcp:0"},
	{"tcp:65535", &TCP{Port: 65535, Backlog: 50}, "tcp:65535"},
	{"tcp:+080", &TCP{Port: 80, Backlog: 50}, "tcp:80"},
	{"interface=127.0.0.1:tcp:8080", &TCP{Port: 8080, Interface: "127.0.0.1", Backlog: 50}, "tcp:8080:interface=127.0.0.1"},
	{"8080", &TCP{Port: 8080, Backlog: 50}, "tcp:8080"},
	{"8080:interface=127.0.0.1", &TCP{Port: 8080, Interface: "127.0.0.1", Backlog: 50}, "tcp:8080:interface=127.0.0.1"},
	{"TCP:8080", &TCP{Port: 8080, Backlog: 50}, "tcp:8080"},
	{"Tcp6:8080", &TCP{Port: 8080, Interface: "::", Backlog: 50, IPv6: true}, "tcp6:8080"},
	{"udp:53", &UDP{Port: 53}, "udp:53"},
	{"UDP:53:127.0.0.1", &UDP{Port: 53, Interface: "127.0.0.1"}, "udp:53:interface=127.0.0.1"},
	{`udp:port=53:interface=\:\:1`, &UDP{Port: 53, Interface: "::1"}, `udp:53:interface=\:\:1`},
	{"unix:/tmp/x.sock:mode=660:lockfile=0:backlog=3", &Unix{Address: "/tmp/x.sock", Mode: 0o660, Backlog: 3}, "unix:/tmp/x.sock:mode=660:backlog=3:lockfile=0"},
	{`unix:address=/tmp/a\:b.sock`, &Unix{Address: "/tmp/a:b.sock", Mode: 0o666, Backlog: 50, Lockfile: true}, `unix:/tmp/a\:b.sock`},
	{"unix:address=foo=bar", &Unix{Address: "foo=bar", Mode: 0o666, Backlog: 50, Lockfile: true}, `unix:foo\=bar`},
	{`unix:/tmp/back\\slash`, &Unix{Address: `/tmp/back\slash`, Mode: 0o666, Backlog: 50, Lockfile: true}, `unix:/tmp/back\\slash`},
	{`unix:/tmp/\x`, &Unix{Address: "/tmp/x", Mode: 0o666, Backlog: 50, Lockfile: true}, "unix:/tmp/x"},
	{"unix:/x:0600:50:1", &Unix{Address: "/x", Mode: 0o600, Backlog: 50, Lockfile: true}, "unix:/x:mode=600"},
	{"UNIX:rel.sock:mode=0", &Unix{Address: "rel.sock", Mode: 0, Backlog: 50, Lockfile: true}, "unix:rel.sock:mode=0"},
	{"unix:8080", &Unix{Address: "8080", Mode: 0o666, Backlog: 50, Lockfile: true}, "unix:8080"},
	{"systemd:domain=INET:index=0", &Systemd{Domain: "INET", Index: 0}, "systemd:domain=INET:index=0"},
	{"SYSTEMD:domain=inet6:index=2", &Systemd{Domain: "INET6", Index: 2}, "systemd:domain=INET6:index=2"},
	{"systemd:UNIX:1", &Systemd{Domain: "UNIX", Index: 1}, "systemd:domain=UNIX:index=1"},
}

// badCases each name the field the error must name.
var badCases = []struct {
	desc, field, says string
}{
	{"tcp", "port", "port is missing"},
	{"tcp:abc", "port", `port "abc" is not a number`},
	{"tcp:", "port", `port "" is not a number`},
	{"tcp:8080::", "backlog", `backlog "" is not a whole number`},
	{"tcp:99999", "port", "port 99999 is out of range 0-65535"},
	{"tcp:-1", "port", "port -1 is out of range"},
	{"tcp:99999999999999999999", "port", "out of range"},
	{"tcp:8080:x:y:z", "z", `"z" is one too many`},
	{"tcp:port=8080:8081", "port", "port is given twice"},
	{"tcp:8081:port=8080", "port", "port is given twice"},
	{"tcp:8080:=x", "=x", "empty keyword"},
	{"tcp:8080:bogus=1", "bogus", `keyword "bogus" is unknown for tcp (it takes port, interface, backlog)`},
	{"tcp:8080:Interface=x", "Interface", "did you mean interface?"},
	{"tcp:8080:backlog=-1", "backlog", `backlog "-1" is not a whole number >= 0`},
	{"tcp:8080:backlog=x", "backlog", "backlog"},
	{"tcp:8080:interface=a b", "interface", "neither an IP address nor a host name"},
	{"tcp:8080:interface=999.1.1.1", "interface", "interface"},
	{`tcp:8080:interface=[\:\:1]`, "interface", "without brackets"},
	{"tcp:8080:interface=::1", "interface", `colons escaped, e.g. interface=\:\:1`},
	{"tcp:8080:backlog=5:interface=::1", "backlog", `colons escaped`},
	{`tcp:8080:\=x`, "interface", "interface"},
	{"tcp6:8080:interface=127.0.0.1", "interface", "IPv6 only; use tcp:8080:interface=127.0.0.1"},
	{"tcp6:8080:x", "backlog", "backlog"},
	{`tcp:80\`, `\`, "trailing backslash"},
	{"bogus:1", "kind", `kind "bogus" is unknown`},
	{"", "kind", "kind is empty"},
	{":8080", "kind", "kind is empty"},
	{"port=8080", "kind", "kind is missing"},
	{"stdio", "kind", "does not support"},
	{"haproxy:tcp:80", "kind", "does not support"},
	{"udp", "port", "port is missing"},
	{"udp:53:bogus=1", "bogus", "keyword"},
	{"udp:53:127.0.0.1:x", "x", "too many"},
	{"unix", "address", "address is missing"},
	{"unix:", "address", "address is empty"},
	{"unix:@abstract", "address", "abstract"},
	{"unix:/" + strings.Repeat("x", 200), "address", "bytes long"},
	{"unix:/tmp/x:mode=999", "mode", `mode "999" is not an octal permission`},
	{"unix:/tmp/x:mode=1777", "mode", "at most 777"},
	{"unix:/tmp/x:mode=rw", "mode", "mode"},
	{"unix:/tmp/x:lockfile=yes", "lockfile", `lockfile "yes" must be 0 or 1`},
	{"unix:/tmp/x:lockfile=2", "lockfile", "must be 0 or 1"},
	{"unix:/tmp/x:backlog=-5", "backlog", "backlog"},
	{"systemd:index=0", "domain", "domain is missing"},
	{"systemd:domain=INET", "index", "index is missing; write e.g. systemd:domain=INET:index=0"},
	{"systemd:domain=IPX:index=0", "domain", `domain "IPX" is not INET, INET6 or UNIX`},
	{"systemd:domain=INET:index=-1", "index", "index"},
	{"systemd:domain=INET:index=x", "index", "index"},
	{"ssl:8443:sslmethod=SSLv3_METHOD", "sslmethod", "older than TLS 1.2"},
	{"ssl:8443:sslmethod=TLSv1_1_METHOD", "sslmethod", "older than TLS 1.2"},
	{"ssl:8443:sslmethod=bogus", "sslmethod", "not a method name"},
	{"ssl:99999", "port", "out of range"},
	{"ssl:8443:privateKey=", "privateKey", "privateKey is empty"},
	{"tls:8443:bogus=1", "bogus", "unknown for ssl"},
}

func TestParse(t *testing.T) {
	for _, c := range goodCases {
		t.Run(c.desc, func(t *testing.T) {
			e, err := Parse(c.desc)
			if err != nil {
				t.Fatal(err)
			}
			if !sameEndpoint(e, c.want) {
				t.Errorf("got %#v, want %#v", e, c.want)
			}
			if s := e.String(); s != c.canon {
				t.Errorf("String() = %s, want %s", s, c.canon)
			}
			again, err := Parse(e.String())
			if err != nil || !sameEndpoint(again, e) {
				t.Errorf("re-parsing %s: %#v, %v", e.String(), again, err)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	for _, c := range badCases {
		t.Run(c.desc, func(t *testing.T) {
			e, err := Parse(c.desc)
			if err == nil {
				t.Fatalf("got %#v, want an error", e)
			}
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("error %T is not a *ParseError: %v", err, err)
			}
			msg := err.Error()
			if pe.Desc != c.desc || pe.Field != c.field {
				t.Errorf("Desc, Field = %q, %q; want %q, %q", pe.Desc, pe.Field, c.desc, c.field)
			}
			if !strings.Contains(msg, c.field) || !strings.Contains(msg, c.says) {
				t.Errorf("message %q should name %q and say %q", msg, c.field, c.says)
			}
			if !strings.HasPrefix(msg, "endpoint "+quote(c.desc)+": ") || strings.Contains(msg, "\n") {
				t.Errorf("message %q is not one line starting with the whole string", msg)
			}
		})
	}
}

// TestParseErrorMessage pins the exact shape of one message.
func TestParseErrorMessage(t *testing.T) {
	_, err := Parse("tcp:abc")
	if want := `endpoint "tcp:abc": port "abc" is not a number`; err == nil || err.Error() != want {
		t.Errorf("got %v, want %s", err, want)
	}
	_, err = Parse(`tcp:8080:interface=\:\:1:bogus=1`)
	if want := `endpoint "tcp:8080:interface=\:\:1:bogus=1": keyword "bogus"`; err == nil || !strings.HasPrefix(err.Error(), want) {
		t.Errorf("got %v, want it to start with %s", err, want)
	}
}

func TestTokenize(t *testing.T) {
	for _, c := range []struct {
		desc string
		want []field
	}{
		{"a", []field{{value: "a"}}},
		{"", []field{{}}},
		{"a::b", []field{{value: "a"}, {}, {value: "b"}}},
		{"k=v=w", []field{{keyed: true, key: "k", value: "v=w"}}},
		{`k\=v=w`, []field{{keyed: true, key: "k=v", value: "w"}}},
		{`a\:b:c`, []field{{value: "a:b"}, {value: "c"}}},
		{`\\:\x`, []field{{value: `\`}, {value: "x"}}},
		{"=", []field{{keyed: true}}},
	} {
		got, err := tokenize(c.desc)
		if err != nil || len(got) != len(c.want) {
			t.Errorf("tokenize(%q) = %#v, %v; want %#v", c.desc, got, err, c.want)
			continue
		}
		for i := range got {
			if got[i] != c.want[i] {
				t.Errorf("tokenize(%q)[%d] = %#v, want %#v", c.desc, i, got[i], c.want[i])
			}
		}
	}
}

func TestEscape(t *testing.T) {
	for in, want := range map[string]string{
		"plain":        "plain",
		"/a:b=c":       `/a\:b\=c`,
		`back\slash`:   `back\\slash`,
		"::1":          `\:\:1`,
		"":             "",
		"ünïcode:path": `ünïcode\:path`,
	} {
		if got := Escape(in); got != want {
			t.Errorf("Escape(%q) = %q, want %q", in, got, want)
		}
		f, err := tokenize(Escape(in))
		if err != nil || len(f) != 1 || f[0].keyed || f[0].value != in {
			t.Errorf("tokenize(Escape(%q)) = %#v, %v", in, f, err)
		}
	}
}
