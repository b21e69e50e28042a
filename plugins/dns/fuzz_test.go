package dns

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/miekg/dns"
)

// FuzzParseHosts: any hosts file parses or fails cleanly, and what it
// yields is consistent: every listed name answers, every address has its
// reverse name.
func FuzzParseHosts(f *testing.F) {
	f.Add(scenarioHosts)
	f.Add("# c\n10.0.0.1 a b.c # d\n::1 localhost ip6-localhost\n")
	f.Add("fe80::1%eth0 x\n::ffff:1.2.3.4 y\n\t\n#\n")
	f.Add("1.2.3.4 \\. a\\.b \"q\" ..\n")
	f.Fuzz(func(t *testing.T, in string) {
		h, err := parse(strings.NewReader(in))
		if err != nil {
			return
		}
		for name, e := range h.byName {
			if len(e.v4)+len(e.v6) == 0 {
				t.Fatalf("%q listed without addresses", name)
			}
			if lower(name) != name || !dns.IsFqdn(name) {
				t.Fatalf("key %q is not a lower-case FQDN", name)
			}
			m := new(dns.Msg)
			if !h.answer(dns.Question{Name: name, Qtype: dns.TypeANY, Qclass: dns.ClassINET}, name, 60, m) {
				t.Fatalf("%q listed but not answered", name)
			}
			m.Compress = true
			if _, err := m.Pack(); err != nil {
				t.Fatalf("answer for %q does not pack: %v", name, err)
			}
		}
		for rev, names := range h.byAddr {
			m := new(dns.Msg)
			if !h.answer(dns.Question{Name: rev, Qtype: dns.TypePTR, Qclass: dns.ClassINET}, rev, 60, m) || len(m.Answer) != len(names) {
				t.Fatalf("reverse %q not answered", rev)
			}
			if _, err := m.Pack(); err != nil {
				t.Fatalf("PTR answer for %q does not pack: %v", rev, err)
			}
		}
	})
}

// FuzzServeDNS: random datagrams never crash the server; each gets at most
// one answer, which carries the query's ID, is a response, and fits the
// UDP limit.
func FuzzServeDNS(f *testing.F) {
	dir := f.TempDir()
	ts, err := tryStart(f, "--hosts-file", writeFile(f, dir, "hosts", scenarioHosts),
		"--bindzone", writeFile(f, dir, "example.zone", exampleZone),
		"--bindzone", writeFile(f, dir, "other.zone", otherZone),
		"--bindzone", writeFile(f, dir, "big.zone", bigZone()),
		"--allow-transfer", "127.0.0.1")
	if err != nil {
		f.Fatal(err)
	}
	h := ts.handler()
	for _, q := range []struct {
		name  string
		qtype uint16
		edns  bool
	}{
		{"alpha.", dns.TypeA, false}, {"www.example.test.", dns.TypeA, true},
		{"many.big.test.", dns.TypeTXT, false}, {"many.big.test.", dns.TypeTXT, true},
		{"x.wild.example.test.", dns.TypeANY, false}, {"host.child.example.test.", dns.TypeA, true},
		{"1.0.0.10.in-addr.arpa.", dns.TypePTR, false}, {"example.test.", dns.TypeAXFR, false},
		{"loop1.example.test.", dns.TypeA, false}, {"nosuch.", dns.TypeMX, true},
	} {
		m := new(dns.Msg)
		m.SetQuestion(q.name, q.qtype)
		if q.edns {
			m.SetEdns0(4096, true)
		}
		b, _ := m.Pack()
		f.Add(b)
	}
	n := new(dns.Msg)
	n.SetNotify("example.test.")
	b, _ := n.Pack()
	f.Add(b)
	f.Fuzz(func(t *testing.T, in []byte) {
		out := datagram(h, in)
		// The same query again: the packet cache may answer it now,
		// and must answer exactly as the handler did.
		if again := datagram(h, in); len(again) != len(out) || len(out) == 1 && !bytes.Equal(again[0], out[0]) {
			t.Fatalf("asked twice, answered differently:\n%x\n%x", out, again)
		}
		if len(out) > 1 {
			t.Fatalf("%d answers to one datagram", len(out))
		}
		if len(out) == 0 {
			return
		}
		if len(in) < 12 || !bytes.Equal(out[0][:2], in[:2]) {
			t.Fatalf("answer ID %x, query ID %x", out[0][:2], in[:2])
		}
		r := new(dns.Msg)
		if err := r.Unpack(out[0]); err != nil {
			t.Fatalf("answer does not unpack: %v", err)
		}
		if !r.Response {
			t.Fatal("answer without QR")
		}
		limit := dns.MinMsgSize
		if r.IsEdns0() != nil {
			limit = maxUDPSize
		}
		if len(out[0]) > limit {
			t.Fatalf("%d-byte answer over UDP, limit %d", len(out[0]), limit)
		}
	})
}

// FuzzZoneFile: any zone file loads or fails with an error, never a
// panic; a zone that loads answers lookups of its own names and of names
// around them, and transfers as SOA ... SOA.
func FuzzZoneFile(f *testing.F) {
	f.Add(exampleZone)
	f.Add(otherZone)
	f.Add(fastZone(1, "b IN A 192.0.2.2\n"))
	f.Add("$ORIGIN x.\n@ IN SOA a b 1 2 3 4 5\n$GENERATE 1-3 h$ A 192.0.2.$\n* IN CNAME @\n")
	f.Add("@ IN SOA a b 1 2 3 4 5\nsub IN NS ns.sub\nns.sub IN A 192.0.2.1\nw IN CNAME w\n")
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, content string) {
		path := filepath.Join(dir, "fuzz.zone")
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		z, _, err := loadZoneFile(path)
		if err != nil {
			return
		}
		if z.soa == nil || z.records[0] != dns.RR(z.soa) {
			t.Fatal("a loaded zone without its SOA first")
		}
		if env := transferEnvelopes(z); len(env) == 0 || env[len(env)-1].RR[len(env[len(env)-1].RR)-1] != dns.RR(z.soa) {
			t.Fatal("a transfer that does not end with the SOA")
		}
		for name := range z.nodes {
			for _, qname := range []string{name, "x." + name, strings.ToUpper(name)} {
				for _, qt := range []uint16{dns.TypeA, dns.TypeANY, dns.TypeCNAME, dns.TypeDS, dns.TypeMX} {
					res := z.lookup(qname, qt)
					m := &dns.Msg{Answer: res.answer, Ns: res.ns, Extra: res.extra}
					m.Compress = true
					if _, err := m.Pack(); err != nil {
						t.Fatalf("%s %d: answer does not pack: %v", qname, qt, err)
					}
				}
			}
		}
	})
}
