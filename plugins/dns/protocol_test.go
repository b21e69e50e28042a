package dns

import (
	"fmt"
	"strings"
	"testing"

	"github.com/miekg/dns"
)

// bigZone has a name with 40 TXT records, about 2.5 KB of answer.
func bigZone() string {
	var b strings.Builder
	b.WriteString("$ORIGIN big.test.\n@ IN SOA ns hostmaster 1 3600 600 86400 60\n")
	for i := range 40 {
		fmt.Fprintf(&b, "many IN TXT \"record %02d %s\"\n", i, strings.Repeat("x", 40))
	}
	return b.String()
}

func TestTruncation(t *testing.T) {
	ts := start(t, "--bindzone", writeFile(t, t.TempDir(), "big.zone", bigZone()))
	ask := func(network string, edns uint16) (*dns.Msg, int) {
		m := new(dns.Msg)
		m.SetQuestion("many.big.test.", dns.TypeTXT)
		if edns > 0 {
			m.SetEdns0(edns, false)
		}
		r := ts.exchange(t, network, m)
		r.Compress = true // as sent; Unpack forgets it
		b, _ := r.Pack()
		return r, len(b)
	}
	tests := []struct {
		network  string
		edns     uint16
		tc       bool
		maxBytes int
	}{
		{"udp", 0, true, 512},
		{"udp", 1232, true, 1232},
		{"udp", 4096, true, maxUDPSize}, // we never send more than we advertise
		{"udp", 100, true, 512},         // below 512 counts as 512 (RFC 6891)
		{"tcp", 0, false, 65535},
		{"tcp", 4096, false, 65535},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%s/edns=%d", tt.network, tt.edns), func(t *testing.T) {
			r, size := ask(tt.network, tt.edns)
			if r.Truncated != tt.tc || size > tt.maxBytes {
				t.Errorf("TC=%v, %d bytes; want TC=%v, at most %d bytes", r.Truncated, size, tt.tc, tt.maxBytes)
			}
			if !tt.tc && len(r.Answer) != 40 {
				t.Errorf("%d answers, want all 40", len(r.Answer))
			}
			if opt := r.IsEdns0(); (opt != nil) != (tt.edns > 0) {
				t.Errorf("OPT in answer: %v, want it exactly when asked with EDNS", opt)
			} else if opt != nil && opt.UDPSize() != maxUDPSize {
				t.Errorf("advertised %d, want %d", opt.UDPSize(), maxUDPSize)
			}
		})
	}
}

func TestEDNS(t *testing.T) {
	ts := start(t, "--hosts-file", writeFile(t, t.TempDir(), "hosts", scenarioHosts))
	m := new(dns.Msg)
	m.SetQuestion("alpha.", dns.TypeA)
	m.SetEdns0(4096, true)
	r := ts.exchange(t, "udp", m)
	opt := r.IsEdns0()
	if opt == nil || !opt.Do() || opt.Version() != 0 || len(r.Answer) != 1 {
		t.Fatalf("EDNS not echoed with DO: %v", r)
	}

	m.IsEdns0().SetVersion(1)
	r = ts.exchange(t, "udp", m)
	if r.Rcode != dns.RcodeBadVers || r.IsEdns0() == nil || len(r.Answer) != 0 {
		t.Fatalf("EDNS version 1: got %s, want BADVERS with an OPT", dns.RcodeToString[r.Rcode])
	}
}

func TestOddQueries(t *testing.T) {
	ts := start(t, "--hosts-file", writeFile(t, t.TempDir(), "hosts", scenarioHosts))
	tests := []struct {
		name  string
		msg   func() *dns.Msg
		rcode int
	}{
		{"class CHAOS", func() *dns.Msg {
			m := new(dns.Msg)
			m.SetQuestion("version.bind.", dns.TypeTXT)
			m.Question[0].Qclass = dns.ClassCHAOS
			return m
		}, dns.RcodeRefused},
		{"class ANY", func() *dns.Msg {
			m := new(dns.Msg)
			m.SetQuestion("alpha.", dns.TypeA)
			m.Question[0].Qclass = dns.ClassANY
			return m
		}, dns.RcodeSuccess},
		{"qtype OPT", func() *dns.Msg {
			m := new(dns.Msg)
			m.SetQuestion("alpha.", dns.TypeOPT)
			return m
		}, dns.RcodeFormatError},
		{"opcode STATUS", func() *dns.Msg {
			m := new(dns.Msg)
			m.SetQuestion("alpha.", dns.TypeA)
			m.Opcode = dns.OpcodeStatus
			return m
		}, dns.RcodeNotImplemented},
		{"AXFR refused by default", func() *dns.Msg {
			m := new(dns.Msg)
			m.SetAxfr("example.test.")
			return m
		}, dns.RcodeRefused},
		{"NOTIFY for a zone we do not take", func() *dns.Msg {
			m := new(dns.Msg)
			m.SetNotify("example.test.")
			return m
		}, dns.RcodeNotAuth},
	}
	for _, network := range []string{"udp", "tcp"} {
		for _, tt := range tests {
			t.Run(network+"/"+tt.name, func(t *testing.T) {
				r := ts.exchange(t, network, tt.msg())
				if r.Rcode != tt.rcode {
					t.Errorf("got %s, want %s", dns.RcodeToString[r.Rcode], dns.RcodeToString[tt.rcode])
				}
			})
		}
	}
}

// Malformed datagrams get FORMERR or nothing, never a crash.
func TestMalformedDatagrams(t *testing.T) {
	ts := start(t, "--hosts-file", writeFile(t, t.TempDir(), "hosts", scenarioHosts))
	h := ts.handler()
	good := new(dns.Msg)
	good.SetQuestion("alpha.", dns.TypeA)
	good.Id = 0x1234
	wire, _ := good.Pack()
	answer := new(dns.Msg)
	answer.SetReply(good)
	answerWire, _ := answer.Pack()
	noQuestion := append([]byte(nil), wire[:12]...)
	noQuestion[5] = 0 // QDCOUNT 0
	twoQuestions := new(dns.Msg)
	twoQuestions.Id = 0x1234
	twoQuestions.Question = []dns.Question{good.Question[0], good.Question[0]}
	twoWire, _ := twoQuestions.Pack()

	tests := []struct {
		name  string
		in    []byte
		rcode int // -1: no answer
	}{
		{"empty", nil, -1},
		{"short header", wire[:11], -1},
		{"an answer is never answered", answerWire, -1},
		{"truncated question", wire[:len(wire)-3], dns.RcodeFormatError},
		{"no question", noQuestion, dns.RcodeFormatError},
		{"two questions", twoWire, dns.RcodeFormatError},
		{"good", wire, dns.RcodeSuccess},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := datagram(h, tt.in)
			if tt.rcode < 0 {
				if len(out) != 0 {
					t.Fatalf("answered %x", out)
				}
				return
			}
			if len(out) != 1 {
				t.Fatalf("%d answers, want 1", len(out))
			}
			r := new(dns.Msg)
			if err := r.Unpack(out[0]); err != nil {
				t.Fatal(err)
			}
			if r.Id != 0x1234 || r.Rcode != tt.rcode || !r.Response {
				t.Fatalf("got id %x %s, want id 1234 %s", r.Id, dns.RcodeToString[r.Rcode], dns.RcodeToString[tt.rcode])
			}
		})
	}
}

// Each socket has its own listening and closed lines; UDP closes first,
// as in twistd.
func TestLifecycleLines(t *testing.T) {
	ts, err := tryStart(t)
	if err != nil {
		t.Fatal(err)
	}
	port := ts.addr[strings.LastIndexByte(ts.addr, ':')+1:]
	ts.stop(t)
	logs := ts.logs.String()
	want := []string{
		"listening on tcp:0:interface=127.0.0.1 (127.0.0.1:" + port + ")",
		"listening on udp:0:interface=127.0.0.1 (127.0.0.1:" + port + ")",
		"closed udp:0:interface=127.0.0.1",
		"closed tcp:0:interface=127.0.0.1",
	}
	last := -1
	for _, w := range want {
		i := strings.Index(logs, w)
		if i < 0 || i < last {
			t.Fatalf("want %q after the previous lines in:\n%s", w, logs)
		}
		last = i
	}
}

func TestPyzoneRefused(t *testing.T) {
	_, err := tryStart(t, "--pyzone", "example.py")
	if err == nil || !strings.Contains(err.Error(), "--bindzone") {
		t.Fatalf("err = %v, want a pointer to --bindzone", err)
	}
}

func TestBadOptions(t *testing.T) {
	for _, args := range [][]string{
		{"--hosts-file", "/nonexistent/hosts"},
		{"--allow-transfer", "not-a-net"},
		{"--hosts-ttl", "-1"},
		{"--reload", "-1s"},
		{"-p", "abc"},
		{"-i", "127.0.0.1:53"},
	} {
		if _, err := tryStart(t, args...); err == nil {
			t.Errorf("%v: no error", args)
		}
	}
}

func TestVerboseLog(t *testing.T) {
	ts := start(t, "-v", "-v", "--hosts-file", writeFile(t, t.TempDir(), "hosts", scenarioHosts))
	ts.ask(t, "tcp", "alpha.", dns.TypeA)
	want := "query from 127.0.0.1 (tcp) alpha. A: NOERROR, 1 answer"
	if logs := ts.logs.String(); !strings.Contains(logs, want) || !strings.Contains(logs, "answer: alpha. 3600 IN A 10.0.0.1") {
		t.Fatalf("want %q and the record in:\n%s", want, logs)
	}
}
