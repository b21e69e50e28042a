package dns

import (
	"net"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"
)

// needDig returns dig's path, or skips the test when it is missing (and
// fails under CI=true, so CI never passes by skipping).
func needDig(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("dig")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("dig is not installed (Debian package dnsutils; see ci-packages.txt)")
		}
		t.Skip("dig is not installed (Debian package dnsutils)")
	}
	return p
}

// dig runs dig against the server and returns its output.
func (ts *testServer) dig(t *testing.T, args ...string) string {
	t.Helper()
	host, port, _ := net.SplitHostPort(ts.addr)
	all := append([]string{"@" + host, "-p", port, "+time=5", "+tries=1"}, args...)
	out, err := exec.Command(needDig(t), all...).CombinedOutput()
	if err != nil && !strings.Contains(string(out), "Transfer failed") {
		t.Fatalf("dig %s: %v\n%s", strings.Join(all, " "), err, out)
	}
	return string(out)
}

var digFlags = regexp.MustCompile(`;; flags: ([a-z ]*);`)

func flagsOf(out string) string {
	m := digFlags.FindStringSubmatch(out)
	if m == nil {
		return "?"
	}
	return m[1]
}

const reverseZone = `$ORIGIN 2.0.192.in-addr.arpa.
@ IN SOA ns1.example.test. hostmaster.example.test. 1 3600 600 86400 60
3 IN PTR web.example.test.
`

func TestDigRecordTypes(t *testing.T) {
	needDig(t)
	dir := t.TempDir()
	ts := start(t, "--bindzone", writeFile(t, dir, "example.zone", exampleZone+
		"txt IN TXT \"hello world\" \"second\"\nsix IN AAAA 2001:db8::6\n"),
		"--bindzone", writeFile(t, dir, "reverse.zone", reverseZone),
		"--hosts-file", writeFile(t, dir, "hosts", scenarioHosts))
	tests := []struct{ args, want string }{
		{"example.test SOA +short", "ns1.example.test. hostmaster.example.test. 2024010101 3600 600 86400 60"},
		{"example.test NS +short", "ns1.example.test."},
		{"example.test MX +short", "10 mail.example.test."},
		{"example.test CAA +short", `0 issue "letsencrypt.org"`},
		{"web.example.test A +short", "192.0.2.3"},
		{"six.example.test AAAA +short", "2001:db8::6"},
		{"www.example.test CNAME +short", "web.example.test."},
		{"www.example.test A +short", "web.example.test.\n192.0.2.3"},
		{"txt.example.test TXT +short", `"hello world" "second"`},
		{"_sip._tcp.example.test SRV +short", "10 5 5060 mail.example.test."},
		{"-x 192.0.2.3 +short", "web.example.test."},
		{"foo.wild.example.test TXT +short", `"wild"`},
		{"alpha A +short", "10.0.0.1"},
		{"alpha AAAA +short", "fe80::1"},
		{"-x 10.0.0.2 +short", "beta."},
		{"alpha MX +short", ""},
	}
	for _, tt := range tests {
		t.Run(tt.args, func(t *testing.T) {
			if got := strings.TrimSpace(ts.dig(t, strings.Fields(tt.args)...)); got != tt.want {
				t.Errorf("got\n%s\nwant\n%s", got, tt.want)
			}
		})
	}
}

func TestDigStatusAndFlags(t *testing.T) {
	needDig(t)
	dir := t.TempDir()
	ts := start(t, "--bindzone", writeFile(t, dir, "example.zone", exampleZone),
		"--hosts-file", writeFile(t, dir, "hosts", scenarioHosts))
	tests := []struct{ args, status, flags string }{
		{"web.example.test A", "NOERROR", "qr aa rd"},
		{"web.example.test MX", "NOERROR", "qr aa rd"},
		{"nosuch.example.test A", "NXDOMAIN", "qr aa rd"},
		{"six.example.test A", "NXDOMAIN", "qr aa rd"}, // the zone, not the hosts file, speaks for example.test
		{"example.test. A", "NOERROR", "qr aa rd"},
		{"nosuch A", "NXDOMAIN", "qr rd"},
		{"alpha TXT", "NOERROR", "qr aa rd"},
		{"host.child.example.test A +norec", "NOERROR", "qr"},
	}
	for _, tt := range tests {
		t.Run(tt.args, func(t *testing.T) {
			out := ts.dig(t, strings.Fields(tt.args)...)
			if !strings.Contains(out, "status: "+tt.status) || flagsOf(out) != tt.flags {
				t.Errorf("want status %s flags %q in\n%s", tt.status, tt.flags, out)
			}
		})
	}
}

func TestDigTruncation(t *testing.T) {
	needDig(t)
	ts := start(t, "--bindzone", writeFile(t, t.TempDir(), "big.zone", bigZone()))
	out := ts.dig(t, "+ignore", "+noedns", "many.big.test", "TXT")
	if !strings.Contains(flagsOf(out), "tc") {
		t.Errorf("+ignore +noedns: no tc flag in\n%s", out)
	}
	out = ts.dig(t, "+ignore", "+bufsize=1232", "many.big.test", "TXT")
	if !strings.Contains(flagsOf(out), "tc") || !strings.Contains(out, "udp: 1232") {
		t.Errorf("+ignore with EDNS: no tc flag or OPT in\n%s", out)
	}
	for _, args := range [][]string{{"+tcp"}, {}} { // plain dig retries over TCP itself
		out = ts.dig(t, append(args, "+short", "many.big.test", "TXT")...)
		if n := strings.Count(strings.TrimSpace(out), "\n") + 1; n != 40 {
			t.Errorf("dig %v: %d records, want 40:\n%s", args, n, out)
		}
	}
}

func TestDigEDNS(t *testing.T) {
	needDig(t)
	ts := start(t, "--hosts-file", writeFile(t, t.TempDir(), "hosts", scenarioHosts))
	out := ts.dig(t, "+dnssec", "alpha", "A")
	if !strings.Contains(out, "; EDNS: version: 0, flags: do; udp: 1232") {
		t.Errorf("EDNS not echoed:\n%s", out)
	}
	out = ts.dig(t, "+edns=1", "+noednsnegotiation", "alpha", "A")
	if !strings.Contains(out, "status: BADVERS") {
		t.Errorf("EDNS version 1: want BADVERS in\n%s", out)
	}
	out = ts.dig(t, "+noedns", "alpha", "A")
	if strings.Contains(out, "OPT PSEUDOSECTION") {
		t.Errorf("OPT sent to a client without EDNS:\n%s", out)
	}
}

func TestDigAXFR(t *testing.T) {
	needDig(t)
	zone := writeFile(t, t.TempDir(), "example.zone", exampleZone)
	refused := start(t, "--bindzone", zone)
	if out := refused.dig(t, "axfr", "example.test"); !strings.Contains(out, "Transfer failed") {
		t.Errorf("AXFR without --allow-transfer:\n%s", out)
	}
	allowed := start(t, "--bindzone", zone, "--allow-transfer", "127.0.0.1")
	out := allowed.dig(t, "axfr", "example.test")
	if n := strings.Count(out, "\tIN\t"); n != 23 || !strings.Contains(out, "XFR size: 23 records") {
		t.Errorf("AXFR: %d records, want 23:\n%s", n, out)
	}
}

func TestDigRecursive(t *testing.T) {
	needDig(t)
	up := upstream(t)
	fw := forwarder(t, []string{up.addr}, "-c")
	out := fw.dig(t, "web.example.test", "A")
	if !strings.Contains(out, "status: NOERROR") || flagsOf(out) != "qr rd ra" || !strings.Contains(out, "192.0.2.3") {
		t.Errorf("forwarded answer:\n%s", out)
	}
}
