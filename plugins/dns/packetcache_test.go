package dns

import (
	"testing"

	"github.com/miekg/dns"
)

func (ts *testServer) packetEntries() int {
	pc := ts.handler().packets
	if pc == nil {
		return -1
	}
	pc.mu.RLock()
	defer pc.mu.RUnlock()
	return len(pc.m)
}

// Repeated questions are answered from the packet cache, with their own
// IDs, the same answer as the first time, and a data change is seen.
func TestPacketCache(t *testing.T) {
	dir := t.TempDir()
	hosts := writeFile(t, dir, "hosts", scenarioHosts)
	ts := start(t, "--hosts-file", hosts, "--reload", "0")
	var first *dns.Msg
	for i := range 3 {
		m := new(dns.Msg)
		m.SetQuestion("ALPHA.", dns.TypeA)
		m.Id = uint16(1000 + i)
		r := ts.exchange(t, "udp", m)
		if r.Id != m.Id {
			t.Fatalf("answer ID %d to query ID %d", r.Id, m.Id)
		}
		r.Id = 0
		if first == nil {
			first = r
		} else if r.String() != first.String() {
			t.Fatalf("cached answer differs:\n%s\n%s", r, first)
		}
	}
	if n := ts.packetEntries(); n != 1 {
		t.Fatalf("%d packet cache entries, want 1", n)
	}
	writeFile(t, dir, "hosts", "10.0.0.99 alpha\n")
	if err := ts.reload(t); err != nil {
		t.Fatal(err)
	}
	if r := ts.ask(t, "udp", "ALPHA.", dns.TypeA); rrs(r.Answer) != "ALPHA. 3600 IN A 10.0.0.99" {
		t.Fatalf("after a reload: %v", r.Answer)
	}
}

// Upstream answers, and everything under -v, bypass the packet cache.
func TestPacketCacheBypass(t *testing.T) {
	up := upstream(t)
	fw := forwarder(t, []string{up.addr})
	fw.ask(t, "udp", "web.example.test.", dns.TypeA)
	fw.ask(t, "udp", "web.example.test.", dns.TypeA)
	if n := fw.packetEntries(); n != 0 {
		t.Fatalf("%d packet cache entries for forwarded answers", n)
	}
	if up.asked("web.example.test. A") != 2 {
		t.Fatal("a forwarded question was answered without asking")
	}
	if n := up.packetEntries(); n != -1 {
		t.Fatal("packet cache on under -v")
	}
}

func TestPacketCacheBounded(t *testing.T) {
	c := newPacketCache(nil)
	wire := make([]byte, 1000)
	key := []byte("k0000")
	for i := range 5000 {
		key[1], key[2] = byte(i), byte(i>>8)
		c.put(key, 1, wire)
	}
	if c.bytes > packetCacheBytes {
		t.Fatalf("%d bytes kept, limit %d", c.bytes, packetCacheBytes)
	}
	if got := c.get(key, 1); len(got) != 1000 {
		t.Fatal("the last entry is gone")
	}
	if got := c.get(key, 2); got != nil {
		t.Fatal("an entry of another generation matched")
	}
}

func TestPacketKeyRecursionClass(t *testing.T) {
	m := new(dns.Msg)
	m.SetQuestion("a.", dns.TypeA)
	b, _ := m.Pack()
	if string(packetKey(nil, b, true)) == string(packetKey(nil, b, false)) {
		t.Fatal("clients that may recurse and clients that may not share keys")
	}
}
