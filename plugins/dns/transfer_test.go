package dns

import (
	"fmt"
	"strings"
	"testing"

	"github.com/miekg/dns"
)

// axfr transfers zone from the server and returns the records, or the
// error (REFUSED and NOTAUTH come back as errors from miekg/dns).
func (ts *testServer) axfr(t *testing.T, zone string) ([]dns.RR, int, error) {
	t.Helper()
	m := new(dns.Msg)
	m.SetAxfr(zone)
	tr := new(dns.Transfer)
	ch, err := tr.In(m, ts.addr)
	if err != nil {
		return nil, 0, err
	}
	var out []dns.RR
	msgs := 0
	for env := range ch {
		if env.Error != nil {
			return out, msgs, env.Error
		}
		msgs++
		out = append(out, env.RR...)
	}
	return out, msgs, nil
}

func TestAXFR(t *testing.T) {
	dir := t.TempDir()
	var big strings.Builder
	big.WriteString("$ORIGIN big.test.\n@ IN SOA ns hostmaster 1 3600 600 86400 60\n")
	for i := range 2000 {
		fmt.Fprintf(&big, "host%04d IN A 192.0.2.%d\n", i, i%250)
	}
	example := writeFile(t, dir, "example.zone", exampleZone)
	bigZ := writeFile(t, dir, "big.zone", big.String())

	t.Run("refused by default", func(t *testing.T) {
		ts := start(t, "--bindzone", example)
		if _, _, err := ts.axfr(t, "example.test."); err == nil || !strings.Contains(err.Error(), "rcode: 5") {
			t.Fatalf("err = %v, want REFUSED (5)", err)
		}
		if !strings.Contains(ts.logs.String(), "zone transfer of example.test. to 127.0.0.1 REFUSED") {
			t.Errorf("refusal not logged:\n%s", ts.logs)
		}
	})
	t.Run("refused to other networks", func(t *testing.T) {
		ts := start(t, "--bindzone", example, "--allow-transfer", "192.0.2.0/24")
		if _, _, err := ts.axfr(t, "example.test."); err == nil || !strings.Contains(err.Error(), "rcode: 5") {
			t.Fatalf("err = %v, want REFUSED (5)", err)
		}
	})

	ts := start(t, "--bindzone", example, "--bindzone", bigZ, "--allow-transfer", "127.0.0.0/8")
	t.Run("allowed", func(t *testing.T) {
		got, _, err := ts.axfr(t, "EXAMPLE.test.")
		if err != nil {
			t.Fatal(err)
		}
		want := strings.Count(exampleZone, " IN ") - 1 // the SOA line starts "@ IN SOA", counted once
		if len(got) != want+2 || got[0].Header().Rrtype != dns.TypeSOA || got[len(got)-1].Header().Rrtype != dns.TypeSOA {
			t.Fatalf("%d records, want SOA, %d records, SOA:\n%s", len(got), want, rrs(got))
		}
	})
	t.Run("several messages", func(t *testing.T) {
		got, msgs, err := ts.axfr(t, "big.test.")
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 2002 || msgs < 2 {
			t.Fatalf("%d records in %d messages, want 2002 in several", len(got), msgs)
		}
	})
	t.Run("not a zone apex", func(t *testing.T) {
		if _, _, err := ts.axfr(t, "www.example.test."); err == nil || !strings.Contains(err.Error(), "rcode: 9") {
			t.Fatalf("err = %v, want NOTAUTH (9)", err)
		}
	})
	t.Run("not our zone", func(t *testing.T) {
		if _, _, err := ts.axfr(t, "example.org."); err == nil || !strings.Contains(err.Error(), "rcode: 9") {
			t.Fatalf("err = %v, want NOTAUTH (9)", err)
		}
	})
	t.Run("over UDP: use TCP", func(t *testing.T) {
		m := new(dns.Msg)
		m.SetAxfr("example.test.")
		r := ts.exchange(t, "udp", m)
		if !r.Truncated || len(r.Answer) != 0 {
			t.Fatalf("got %v, want an empty answer with TC", r)
		}
	})
	t.Run("IXFR gets the whole zone", func(t *testing.T) {
		m := new(dns.Msg)
		m.SetIxfr("example.test.", 1, "ns1.example.test.", "hostmaster.example.test.")
		ch, err := new(dns.Transfer).In(m, ts.addr)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for env := range ch {
			if env.Error != nil {
				t.Fatal(env.Error)
			}
			n += len(env.RR)
		}
		if n < 10 {
			t.Fatalf("%d records", n)
		}
	})
}
