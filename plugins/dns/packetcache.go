package dns

import (
	"sync"
	"sync/atomic"
)

// packetCache keeps the packed UDP answers to questions answered from our
// own data (zones, hosts file), keyed by the bytes of the query after its
// ID, as PowerDNS's packet cache does. A repeated question is then answered
// by copying bytes and patching the ID: no unpacking, no lookup, no
// packing, no garbage.
//
// It is exact, not approximate: our answer is a function of the query's
// bytes, whether the client may recurse, the transport (only UDP answers
// are kept) and our data. The first two are the key; data changes bump
// gen, and an entry made from an older generation never matches. Answers
// from upstream servers, answers to anything but QUERY, and everything
// under -v (which logs each query) bypass it.
type packetCache struct {
	gen *atomic.Uint64

	mu    sync.RWMutex
	m     map[string]packetEntry
	bytes int
}

type packetEntry struct {
	gen  uint64
	wire []byte
}

// Bounds: queries longer than packetKeyMax are not kept, and when the
// entries reach packetCacheBytes the cache starts again empty (cheaper
// than tracking use, and a working set that large is better served by
// the normal path than by thrashing).
const (
	packetKeyMax     = 512
	packetCacheBytes = 2 << 20
)

func newPacketCache(gen *atomic.Uint64) *packetCache {
	return &packetCache{gen: gen, m: map[string]packetEntry{}}
}

// get returns the answer kept for key at generation gen, or nil. The
// returned bytes are shared: copy before changing them.
func (c *packetCache) get(key []byte, gen uint64) []byte {
	c.mu.RLock()
	e, ok := c.m[string(key)]
	c.mu.RUnlock()
	if !ok || e.gen != gen {
		return nil
	}
	return e.wire
}

// put keeps a copy of wire, the answer to key made at generation gen.
func (c *packetCache) put(key []byte, gen uint64, wire []byte) {
	size := len(key) + len(wire) + 64
	c.mu.Lock()
	defer c.mu.Unlock()
	if old, ok := c.m[string(key)]; ok {
		c.bytes -= len(key) + len(old.wire) + 64
	}
	if c.bytes+size > packetCacheBytes {
		c.m = map[string]packetEntry{}
		c.bytes = 0
	}
	c.m[string(key)] = packetEntry{gen: gen, wire: append([]byte(nil), wire...)}
	c.bytes += size
}

// packetKey builds the key of query b for a client that may (or may not)
// recurse into buf, and returns it.
func packetKey(buf, b []byte, recurse bool) []byte {
	buf = append(buf[:0], b[2:]...)
	if recurse {
		return append(buf, 1)
	}
	return append(buf, 0)
}

// packetWriter is a writer that can tell the packet cache what it sent
// and whether that came from our own data.
type packetWriter interface {
	// packed returns the answer written, or nil.
	packed() []byte
	// local reports whether the handler answered from our own data.
	local() bool
	// keyBuf is scratch space for the key.
	keyBuf() *[]byte
}

// localMarker is told by the handler that its answer came from our data.
type localMarker interface {
	markLocal()
}
