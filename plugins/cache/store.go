package cache

import (
	"container/list"
	"sort"
	"sync"
	"time"
)

// entryOverhead is what one entry costs beyond its key and value bytes
// (map slot, list element, strings headers), counted against --max-memory
// so that many tiny entries cannot exceed it.
const entryOverhead = 96

// Store is the cache's key-value map, shared by every connection of every
// service of the plugin. Each method takes the one mutex for its whole
// length: that is how the factory-shared state of a protocol is guarded
// (see the reactor package documentation). When full, the least recently
// used entries are evicted, as memcached does.
type Store struct {
	maxEntries int   // 0: no limit
	maxBytes   int64 // 0: no limit
	started    time.Time

	mu      sync.Mutex
	entries map[string]*list.Element
	lru     *list.List // front: most recently used
	bytes   int64
	stats   Stats
}

type entry struct {
	key, value string
	flags      uint32 // memcached's opaque client flags
	expires    int64  // unix nanoseconds; 0: never
}

func (e *entry) expired(now int64) bool { return e.expires != 0 && now >= e.expires }

// Stats counts what the store did since it was made.
type Stats struct {
	Gets      uint64 `json:"gets"`
	Hits      uint64 `json:"hits"`
	Misses    uint64 `json:"misses"`
	Sets      uint64 `json:"sets"`
	Deletes   uint64 `json:"deletes"`
	Evictions uint64 `json:"evictions"`
}

// NewStore returns an empty store with the given limits (0 = none).
func NewStore(maxEntries int, maxBytes int64) *Store {
	return &Store{
		maxEntries: maxEntries,
		maxBytes:   maxBytes,
		started:    time.Now(),
		entries:    map[string]*list.Element{},
		lru:        list.New(),
	}
}

func cost(key, value string) int64 { return int64(len(key) + len(value) + entryOverhead) }

// Fits reports whether an entry of this size can be stored at all.
func (s *Store) Fits(key, value string) bool {
	return s.maxBytes == 0 || cost(key, value) <= s.maxBytes
}

// Get returns the value of key.
func (s *Store) Get(key string) (string, bool) {
	v, _, ok := s.GetItem(key)
	return v, ok
}

// GetItem returns the value and the memcached flags of key. An expired
// entry is removed and reported missing.
func (s *Store) GetItem(key string) (string, uint32, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.stats.Gets++
	el, ok := s.entries[key]
	if ok && el.Value.(*entry).expired(time.Now().UnixNano()) {
		s.removeLocked(el)
		ok = false
	}
	if !ok {
		s.stats.Misses++
		return "", 0, false
	}
	s.stats.Hits++
	s.lru.MoveToFront(el)
	e := el.Value.(*entry)
	return e.value, e.flags, true
}

// Set stores value under key, evicting the least recently used entries
// if a limit would be passed. It returns false, storing nothing, when the
// entry alone is larger than the memory limit.
func (s *Store) Set(key, value string) bool {
	return s.SetItem(key, value, 0, 0, SetAlways) == Stored
}

// SetMode says when SetItem stores: always (set), only if the key is
// missing (add) or only if it is there (replace).
type SetMode int

// The modes of memcached's storage commands.
const (
	SetAlways SetMode = iota
	SetIfMissing
	SetIfPresent
)

// SetResult is what SetItem did.
type SetResult int

// SetItem's results.
const (
	Stored SetResult = iota
	NotStored
	TooLarge
)

// SetItem stores an entry with memcached flags and an expiry (unix
// nanoseconds, 0 for never) according to mode.
func (s *Store) SetItem(key, value string, flags uint32, expires int64, mode SetMode) SetResult {
	if !s.Fits(key, value) {
		return TooLarge
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	el, present := s.entries[key]
	if present && el.Value.(*entry).expired(time.Now().UnixNano()) {
		s.removeLocked(el)
		present = false
	}
	if (mode == SetIfMissing && present) || (mode == SetIfPresent && !present) {
		return NotStored
	}
	s.stats.Sets++
	if present {
		e := el.Value.(*entry)
		s.bytes += cost(key, value) - cost(e.key, e.value)
		e.value, e.flags, e.expires = value, flags, expires
		s.lru.MoveToFront(el)
	} else {
		s.entries[key] = s.lru.PushFront(&entry{key: key, value: value, flags: flags, expires: expires})
		s.bytes += cost(key, value)
	}
	for s.overLocked() {
		s.removeLocked(s.lru.Back())
		s.stats.Evictions++
	}
	return Stored
}

func (s *Store) overLocked() bool {
	return s.lru.Len() > 1 && ((s.maxEntries > 0 && s.lru.Len() > s.maxEntries) || (s.maxBytes > 0 && s.bytes > s.maxBytes))
}

func (s *Store) removeLocked(el *list.Element) {
	e := el.Value.(*entry)
	s.lru.Remove(el)
	delete(s.entries, e.key)
	s.bytes -= cost(e.key, e.value)
}

// Delete removes key and reports whether it was there.
func (s *Store) Delete(key string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	el, ok := s.entries[key]
	if !ok {
		return false
	}
	s.stats.Deletes++
	s.removeLocked(el)
	return true
}

// Clear removes every entry and returns how many there were.
func (s *Store) Clear() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := s.lru.Len()
	s.entries = map[string]*list.Element{}
	s.lru.Init()
	s.bytes = 0
	return n
}

// Count returns the number of entries; an expired entry counts until a
// get, set or listing comes across it.
func (s *Store) Count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.lru.Len()
}

// Item is one entry, as Items lists it.
type Item struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

// Items returns up to limit entries (all when limit <= 0) sorted by key;
// expired entries are removed on the way.
func (s *Store) Items(limit int) []Item {
	s.mu.Lock()
	now := time.Now().UnixNano()
	items := make([]Item, 0, s.lru.Len())
	for el := s.lru.Front(); el != nil; {
		next := el.Next()
		e := el.Value.(*entry)
		if e.expired(now) {
			s.removeLocked(el)
		} else {
			items = append(items, Item{e.key, e.value})
		}
		el = next
	}
	s.mu.Unlock()
	sort.Slice(items, func(i, j int) bool { return items[i].Key < items[j].Key })
	if limit > 0 && len(items) > limit {
		items = items[:limit]
	}
	return items
}

// Status is a snapshot of the store for the status command and the HTTP
// service.
type Status struct {
	Version    string  `json:"version"`
	Uptime     float64 `json:"uptime_seconds"`
	Entries    int     `json:"entries"`
	Bytes      int64   `json:"bytes"`
	MaxEntries int     `json:"max_entries"`
	MaxBytes   int64   `json:"max_bytes"`
	Stats
}

// Status returns a snapshot.
func (s *Store) Status() Status {
	s.mu.Lock()
	defer s.mu.Unlock()
	return Status{
		Version:    Version,
		Uptime:     time.Since(s.started).Seconds(),
		Entries:    s.lru.Len(),
		Bytes:      s.bytes,
		MaxEntries: s.maxEntries,
		MaxBytes:   s.maxBytes,
		Stats:      s.stats,
	}
}
