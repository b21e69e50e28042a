package dns

import (
	"strconv"
	"sync/atomic"

	"github.com/miekg/dns"
)

// zoneHolder holds the current version of one zone. current returns nil
// while a secondary zone has no data (not yet transferred, or expired).
type zoneHolder interface {
	current() *zone
}

// fileZone is a zone read from a --bindzone file.
type fileZone struct{ *source[zone] }

func (f fileZone) current() *zone { return f.get() }

// transferred is a zone held by --secondary: swapped in by each transfer.
type transferred struct {
	z   atomic.Pointer[zone]
	gen *atomic.Uint64 // bumped at each store, as source.gen
}

func (t *transferred) current() *zone { return t.z.Load() }

func (t *transferred) store(z *zone) {
	t.z.Store(z)
	if t.gen != nil {
		t.gen.Add(1)
	}
}

// zoneSet finds the zone a name belongs to: the one with the longest
// origin that is a suffix of the name. The set of origins is fixed when
// the service is made; a reload may change a zone's records, not its apex.
type zoneSet struct {
	byOrigin map[string]zoneHolder
}

// find returns the holder of the closest enclosing zone of lname (a
// lower-case FQDN) and its current data, or nil, nil.
func (s *zoneSet) find(lname string) (zoneHolder, *zone) {
	if s == nil || len(s.byOrigin) == 0 {
		return nil, nil
	}
	for off, end := 0, false; !end; off, end = dns.NextLabel(lname, off) {
		if h, ok := s.byOrigin[lname[off:]]; ok {
			return h, h.current()
		}
	}
	if h, ok := s.byOrigin["."]; ok {
		return h, h.current()
	}
	return nil, nil
}

func itoa(n int) string { return strconv.Itoa(n) }
