package web

import (
	"io/fs"
	"sync"
)

// fileCache keeps the bytes of small files (at most smallFile each) so
// that a request for one costs a single stat(2) instead of open, fstat,
// read and close. Every request still stats the name through the
// document root, and an entry only serves while the file's device, inode,
// size, modification and change times (in nanoseconds) are all the same
// as when it was read: a rewrite, a rename over it, a chmod or a symlink
// pointed elsewhere all miss. It holds at most max bytes; when full,
// arbitrary entries make room (the next request reads them again).
type fileCache struct {
	max int64

	mu    sync.RWMutex
	files map[string]*cachedFile
	size  int64
}

type cachedFile struct {
	id   fileID
	data []byte
}

// fileID identifies one version of one file.
type fileID struct {
	dev, ino            uint64
	size, mtime, ctimeN int64
}

func newFileCache(maxBytes int64) *fileCache {
	if maxBytes <= 0 {
		return nil
	}
	return &fileCache{max: maxBytes, files: map[string]*cachedFile{}}
}

// lookup returns the cached bytes of rel, and the stat result that
// vouches for them, when rel was cached and stat shows the same file.
// Names never cached cost nothing: no stat.
func (c *fileCache) lookup(rel string, stat func(string) (fs.FileInfo, error)) ([]byte, fs.FileInfo, bool) {
	c.mu.RLock()
	e := c.files[rel]
	c.mu.RUnlock()
	if e == nil {
		return nil, nil, false
	}
	fi, err := stat(rel)
	if err != nil || !fi.Mode().IsRegular() {
		return nil, nil, false
	}
	if id, ok := idOf(fi); !ok || id != e.id {
		return nil, nil, false
	}
	return e.data, fi, true
}

// put remembers data as the content of rel as fi describes it. data is
// copied.
func (c *fileCache) put(rel string, fi fs.FileInfo, data []byte) {
	if c == nil || int64(len(data)) > smallFile || int64(len(data)) != fi.Size() {
		return
	}
	id, ok := idOf(fi)
	if !ok {
		return
	}
	e := &cachedFile{id: id, data: append([]byte(nil), data...)}
	c.mu.Lock()
	defer c.mu.Unlock()
	if old := c.files[rel]; old != nil {
		c.size -= int64(len(old.data))
		delete(c.files, rel)
	}
	for k, old := range c.files {
		if c.size+int64(len(data)) <= c.max {
			break
		}
		c.size -= int64(len(old.data))
		delete(c.files, k)
	}
	if c.size+int64(len(data)) > c.max {
		return
	}
	c.files[rel] = e
	c.size += int64(len(data))
}
