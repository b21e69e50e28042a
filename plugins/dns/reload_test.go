package dns

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/miekg/dns"

	"github.com/gotwistd/gotwistd/service"
)

func (ts *testServer) reload(t *testing.T) error {
	t.Helper()
	return ts.svc.(service.Reloader).Reload(context.Background())
}

// data returns the service that holds the file sources.
func (ts *testServer) data() *dataService {
	for _, c := range ts.svc.(*service.Multi).Services() {
		if d, ok := c.(*dataService); ok {
			return d
		}
	}
	panic("no data service")
}

// An edit to the hosts file is seen without a restart: appended (as
// `echo >> hosts`) or replaced by rename (as editors do).
func TestHostsEditNotified(t *testing.T) {
	dir := t.TempDir()
	hosts := writeFile(t, dir, "hosts", scenarioHosts)
	ts := start(t, "--hosts-file", hosts)
	if r := ts.ask(t, "udp", "gamma.", dns.TypeA); r.Rcode != dns.RcodeNameError {
		t.Fatalf("gamma before the edit: %s", dns.RcodeToString[r.Rcode])
	}
	f, err := os.OpenFile(hosts, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintln(f, "10.9.9.9 gamma")
	f.Close()
	ts.logs.waitFor(t, "reloaded hosts file", 1)
	if r := ts.ask(t, "udp", "gamma.", dns.TypeA); rrs(r.Answer) != "gamma. 3600 IN A 10.9.9.9" {
		t.Fatalf("gamma after the edit: %v", r.Answer)
	}

	tmp := writeFile(t, dir, "hosts.new", "10.8.8.8 delta\n")
	if err := os.Rename(tmp, hosts); err != nil {
		t.Fatal(err)
	}
	ts.logs.waitFor(t, "reloaded hosts file", 2)
	if r := ts.ask(t, "tcp", "delta.", dns.TypeA); rrs(r.Answer) != "delta. 3600 IN A 10.8.8.8" {
		t.Fatalf("delta after the rename: %v", r.Answer)
	}
	if r := ts.ask(t, "tcp", "gamma.", dns.TypeA); r.Rcode != dns.RcodeNameError {
		t.Fatalf("gamma after the rename: %s", dns.RcodeToString[r.Rcode])
	}
}

// Once the watcher has marked a source dirty, the next query reloads
// before answering: that is what makes an edit visible to the very next
// query, whoever wins the race between the query and the reload.
func TestDirtySourceReloadsBeforeAnswer(t *testing.T) {
	dir := t.TempDir()
	hosts := writeFile(t, dir, "hosts", scenarioHosts)
	ts := start(t, "--hosts-file", hosts, "--reload", "0") // no watcher
	writeFile(t, dir, "hosts", "10.7.7.7 epsilon\n")
	if r := ts.ask(t, "udp", "epsilon.", dns.TypeA); r.Rcode != dns.RcodeNameError {
		t.Fatal("reloaded with --reload 0 and nothing marked dirty")
	}
	ts.data().srcs[0].markDirty()
	if r := ts.ask(t, "udp", "epsilon.", dns.TypeA); rrs(r.Answer) != "epsilon. 3600 IN A 10.7.7.7" {
		t.Fatalf("after markDirty: %v", r.Answer)
	}
}

// The periodic check compares mtime, size, inode and ctime.
func TestStampChanged(t *testing.T) {
	dir := t.TempDir()
	p := writeFile(t, dir, "f", "one")
	f, _ := os.Open(p)
	st, err := stampFile(f, p)
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	if st.changed() {
		t.Fatal("unchanged file reported changed")
	}
	writeFile(t, dir, "f", "three")
	if !st.changed() {
		t.Fatal("size change not seen")
	}
	os.Remove(p)
	if !st.changed() {
		t.Fatal("removed file not seen")
	}
}

func TestSIGHUPReload(t *testing.T) {
	dir := t.TempDir()
	hosts := writeFile(t, dir, "hosts", scenarioHosts)
	zone := writeFile(t, dir, "example.zone", exampleZone)
	ts := start(t, "--hosts-file", hosts, "--bindzone", zone, "--reload", "0")
	writeFile(t, dir, "hosts", "10.6.6.6 zeta\n")
	writeFile(t, dir, "example.zone", exampleZone+"new IN A 192.0.2.99\n")
	if err := ts.reload(t); err != nil {
		t.Fatal(err)
	}
	if r := ts.ask(t, "udp", "zeta.", dns.TypeA); len(r.Answer) != 1 {
		t.Fatalf("hosts not reloaded: %v", r)
	}
	if r := ts.ask(t, "udp", "new.example.test.", dns.TypeA); len(r.Answer) != 1 {
		t.Fatalf("zone not reloaded: %v", r)
	}
}

// A zone edit with a bad line keeps the previous zone whole, logs the
// file and line, and a later good edit is taken.
func TestZoneReloadNeverHalfLoaded(t *testing.T) {
	dir := t.TempDir()
	zone := writeFile(t, dir, "example.zone", exampleZone)
	ts := start(t, "--bindzone", zone)
	lines := strings.Count(exampleZone, "\n")
	writeFile(t, dir, "example.zone", exampleZone+"added IN A 192.0.2.98\nbroken IN A not-an-address\n")
	ts.logs.waitFor(t, fmt.Sprintf("example.zone:%d:", lines+2), 1)
	if r := ts.ask(t, "udp", "added.example.test.", dns.TypeA); r.Rcode != dns.RcodeNameError {
		t.Fatalf("half of a bad file was loaded: %v", r)
	}
	if r := ts.ask(t, "udp", "web.example.test.", dns.TypeA); len(r.Answer) != 1 {
		t.Fatalf("the old zone is gone: %v", r)
	}
	if err := ts.reload(t); err == nil || !strings.Contains(err.Error(), fmt.Sprintf("example.zone:%d:", lines+2)) {
		t.Fatalf("SIGHUP reload error = %v, want the file and line", err)
	}
	writeFile(t, dir, "example.zone", exampleZone+"added IN A 192.0.2.98\n")
	ts.logs.waitFor(t, "reloaded zone file", 1)
	if r := ts.ask(t, "udp", "added.example.test.", dns.TypeA); len(r.Answer) != 1 {
		t.Fatalf("the good edit was not taken: %v", r)
	}
}

// An edit to an $INCLUDEd file reloads the zone that includes it.
func TestIncludeEditReloadsZone(t *testing.T) {
	dir := t.TempDir()
	inc := writeFile(t, dir, "inc.zone", "a IN A 192.0.2.1\n")
	zone := writeFile(t, filepath.Dir(inc), "example.zone",
		"$ORIGIN example.test.\n@ IN SOA ns1 hostmaster 1 3600 600 86400 60\n$INCLUDE inc.zone\n")
	ts := start(t, "--bindzone", zone)
	writeFile(t, dir, "inc.zone", "a IN A 192.0.2.1\nb IN A 192.0.2.2\n")
	ts.logs.waitFor(t, "reloaded zone file", 1)
	if r := ts.ask(t, "udp", "b.example.test.", dns.TypeA); len(r.Answer) != 1 {
		t.Fatalf("include edit not seen: %v", r)
	}
}

// Queries keep being answered, from the old or the new file and nothing
// else, while the files are reloaded over and over.
func TestNoQueryDroppedDuringReload(t *testing.T) {
	dir := t.TempDir()
	hosts := writeFile(t, dir, "hosts", "10.0.0.1 flip\n")
	ts := start(t, "--hosts-file", hosts)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for _, network := range []string{"udp", "tcp"} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := &dns.Client{Net: network}
			m := new(dns.Msg)
			m.SetQuestion("flip.", dns.TypeA)
			for {
				select {
				case <-stop:
					return
				default:
				}
				r, _, err := c.Exchange(m, ts.addr)
				if err != nil {
					t.Errorf("%s: %v", network, err)
					return
				}
				if got := rrs(r.Answer); got != "flip. 3600 IN A 10.0.0.1" && got != "flip. 3600 IN A 10.0.0.2" {
					t.Errorf("%s: answer %q", network, got)
					return
				}
			}
		}()
	}
	for i := range 50 {
		writeFile(t, dir, "hosts.new", fmt.Sprintf("10.0.0.%d flip\n", 1+i%2))
		if err := os.Rename(filepath.Join(dir, "hosts.new"), hosts); err != nil {
			t.Fatal(err)
		}
		if err := ts.reload(t); err != nil {
			t.Fatal(err)
		}
	}
	close(stop)
	wg.Wait()
}
