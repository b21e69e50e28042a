package dns

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"strings"

	"github.com/miekg/dns"
)

// maxHostsLine bounds one line of a hosts file; a longer line is an error
// rather than a silent cut, since a cut could drop names.
const maxHostsLine = 64 << 10

// hostsMap is one parsed hosts file. It is never changed after parse, so
// lookups need no lock; a reload builds a new one and swaps it in.
type hostsMap struct {
	// byName maps a lower-case FQDN to its addresses in file order.
	byName map[string]*hostEntry
	// byAddr maps a lower-case reverse name (1.0.0.10.in-addr.arpa.) to the
	// names listed for that address, in file order, as written.
	byAddr map[string][]string
	// ents holds the ancestors of listed names that are not listed
	// themselves (example.test. for alpha.example.test.): such names exist,
	// so a query for them is NODATA, not NXDOMAIN (RFC 8020).
	ents map[string]struct{}
	// skipped describes the lines that were ignored, for the log.
	skipped []string
}

// hostEntry holds the addresses of one name, without duplicates.
type hostEntry struct {
	v4, v6 []netip.Addr
}

// parse reads a hosts(5) file: an address, then one or more names, on each
// line; "#" starts a comment. Lines whose address does not parse or whose
// names are not domain names are skipped (and listed in skipped), as
// glibc and twistd do. Only a read error or an over-long line fails.
func parse(r io.Reader) (*hostsMap, error) {
	h := &hostsMap{
		byName: map[string]*hostEntry{},
		byAddr: map[string][]string{},
		ents:   map[string]struct{}{},
	}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 4096), maxHostsLine)
	for n := 1; sc.Scan(); n++ {
		if why := h.addLine(sc.Text()); why != "" {
			h.skipped = append(h.skipped, fmt.Sprintf("line %d: %s", n, why))
		}
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return nil, fmt.Errorf("a line is longer than %d bytes", maxHostsLine)
		}
		return nil, err
	}
	for name := range h.byName {
		for _, a := range ancestors(name) {
			if _, listed := h.byName[a]; !listed {
				h.ents[a] = struct{}{}
			}
		}
	}
	return h, nil
}

// addLine records one line and says why it was skipped ("" if it was not).
func (h *hostsMap) addLine(line string) string {
	if i := strings.IndexByte(line, '#'); i >= 0 {
		line = line[:i]
	}
	f := strings.Fields(line)
	if len(f) == 0 {
		return ""
	}
	if len(f) == 1 {
		return fmt.Sprintf("address %q has no names", f[0])
	}
	addr, err := netip.ParseAddr(f[0])
	if err != nil {
		return fmt.Sprintf("%q is not an IP address", f[0])
	}
	addr = addr.WithZone("").Unmap()
	rev, err := dns.ReverseAddr(addr.String())
	if err != nil {
		return fmt.Sprintf("%q has no reverse name", f[0])
	}
	rev = lower(rev)
	var bad []string
	for _, name := range f[1:] {
		if !hostName(name) {
			bad = append(bad, name)
			continue
		}
		fq := dns.Fqdn(name)
		key := lower(fq)
		e := h.byName[key]
		if e == nil {
			e = &hostEntry{}
			h.byName[key] = e
		}
		e.add(addr)
		if !containsFold(h.byAddr[rev], fq) {
			h.byAddr[rev] = append(h.byAddr[rev], fq)
		}
	}
	if len(bad) > 0 {
		return fmt.Sprintf("not a host name: %s", strings.Join(bad, " "))
	}
	return ""
}

func (e *hostEntry) add(a netip.Addr) {
	list := &e.v6
	if a.Is4() {
		list = &e.v4
	}
	for _, have := range *list {
		if have == a {
			return
		}
	}
	*list = append(*list, a)
}

// hostName reports whether s can be a name in a hosts file: a domain name
// of at most 253 characters with no empty label, no escapes and no root.
func hostName(s string) bool {
	if s == "." || len(s) > 253 || strings.ContainsAny(s, `\"()';@$`) {
		return false
	}
	if _, ok := dns.IsDomainName(s); !ok {
		return false
	}
	return !strings.HasPrefix(s, ".") && !strings.Contains(s, "..")
}

func containsFold(list []string, s string) bool {
	for _, x := range list {
		if equalFold(x, s) {
			return true
		}
	}
	return false
}

// ancestors returns the proper ancestors of an FQDN, nearest first,
// without the root: b.c. and c. for a.b.c.
func ancestors(name string) []string {
	var out []string
	off, end := dns.NextLabel(name, 0)
	for !end {
		out = append(out, name[off:])
		off, end = dns.NextLabel(name, off)
	}
	return out
}

// exists reports whether lname (lower-case FQDN) is listed or is an
// ancestor of a listed name.
func (h *hostsMap) exists(lname string) bool {
	if _, ok := h.byName[lname]; ok {
		return true
	}
	_, ok := h.ents[lname]
	return ok
}

// readHostsFile opens and parses path, returning the stamp to compare with
// on the next reload.
func readHostsFile(path string) (*hostsMap, []fileStamp, error) {
	return readStamped(path, parse)
}

// names returns every name the file answers for: host names and the
// reverse names of their addresses.
func (h *hostsMap) names() map[string]struct{} {
	out := make(map[string]struct{}, len(h.byName)+len(h.byAddr))
	for n := range h.byName {
		out[n] = struct{}{}
	}
	for n := range h.byAddr {
		out[n] = struct{}{}
	}
	return out
}
