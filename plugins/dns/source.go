package dns

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// fileStamp is what a reload compares to tell whether a file changed:
// modification time and size (as CoreDNS's hosts plugin does), plus the
// inode and change time, which catch a file replaced by rename.
type fileStamp struct {
	path  string
	mtime time.Time
	size  int64
	ino   uint64
	ctime int64
}

// readStamped opens path, stamps it and parses it with parse, for the
// single-file sources (hosts file, resolv.conf); a parse error names path.
func readStamped[T any](path string, parse func(io.Reader) (T, error)) (T, []fileStamp, error) {
	var zero T
	f, err := os.Open(path)
	if err != nil {
		return zero, nil, err
	}
	defer f.Close()
	st, err := stampFile(f, path)
	if err != nil {
		return zero, nil, err
	}
	v, err := parse(f)
	if err != nil {
		return zero, nil, fmt.Errorf("%s: %w", path, err)
	}
	return v, []fileStamp{st}, nil
}

// stampFile describes the open file f, known as path.
func stampFile(f *os.File, path string) (fileStamp, error) {
	fi, err := f.Stat()
	if err != nil {
		return fileStamp{}, err
	}
	return stampInfo(path, fi), nil
}

func stampInfo(path string, fi os.FileInfo) fileStamp {
	st := fileStamp{path: path, mtime: fi.ModTime(), size: fi.Size()}
	if sys, ok := fi.Sys().(*syscall.Stat_t); ok {
		st.ino = uint64(sys.Ino)
		st.ctime = sys.Ctim.Nano()
	}
	return st
}

// changed reports whether the file at s.path differs from s now. A file
// that cannot be read counts as changed, so that the reload says why.
func (s fileStamp) changed() bool {
	fi, err := os.Stat(s.path)
	if err != nil {
		return true
	}
	return stampInfo(s.path, fi) != s
}

// source is one reloadable piece of data read from files: the hosts file,
// one zone file (with its $INCLUDEs) or resolv.conf. Queries read the
// current value without a lock; a reload parses the files into a new value
// and swaps it in only if the whole parse succeeded, so a query never sees
// a half-loaded file and none is dropped while a reload runs.
type source[T any] struct {
	what string // for log lines: "hosts file /etc/hosts"
	load func() (*T, []fileStamp, error)
	log  *slog.Logger
	// swapped, if set, is called after a new value replaced old.
	swapped func(old, cur *T)
	// gen, if set, is bumped at every swap: the packet cache's answers
	// made from older data stop matching.
	gen *atomic.Uint64

	cur   atomic.Pointer[T]
	dirty atomic.Bool // set by the watcher: reload before the next answer

	mu     sync.Mutex // serialises reloads
	stamps []fileStamp
}

// newSource loads the data once; a failure here is a start-up error.
func newSource[T any](what string, load func() (*T, []fileStamp, error)) (*source[T], error) {
	v, stamps, err := load()
	if err != nil {
		return nil, err
	}
	s := &source[T]{what: what, load: load, log: slog.New(slog.DiscardHandler), stamps: stamps}
	s.cur.Store(v)
	return s, nil
}

// get returns the current data. When the watcher has seen the files
// change, get first waits for the reload, so the query that follows an
// edit sees the edit.
func (s *source[T]) get() *T {
	if s.dirty.Load() {
		_ = s.reload(ifDirty)
	}
	return s.cur.Load()
}

// files returns the paths the current data was read from.
func (s *source[T]) files() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	paths := make([]string, len(s.stamps))
	for i, st := range s.stamps {
		paths[i] = st.path
	}
	return paths
}

// markDirty makes the next get reload whatever the stamps say: the watcher
// saw a write, which may have kept mtime and size.
func (s *source[T]) markDirty() { s.dirty.Store(true) }

// isDirty reports whether a reload is due before the next answer.
func (s *source[T]) isDirty() bool { return s.dirty.Load() }

// reloadMode says when reload re-reads the files.
type reloadMode int

const (
	ifDirty   reloadMode = iota // only if the watcher saw a write
	ifChanged                   // also if a stamp differs (periodic check)
	always                      // SIGHUP
)

// reload re-reads the files when mode says so. On failure the old data
// stays and the error, which names the file and line, is logged and
// returned.
func (s *source[T]) reload(mode reloadMode) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	dirty := s.dirty.Swap(false)
	switch {
	case mode == always || dirty:
	case mode == ifChanged && anyChanged(s.stamps):
	default:
		return nil
	}
	v, stamps, err := s.load()
	if err != nil {
		// Keep the old stamps: the next periodic check tries again.
		err = fmt.Errorf("reloading %s: %w (still serving the previous version)", s.what, err)
		s.log.Error(err.Error())
		return err
	}
	s.stamps = stamps
	old := s.cur.Swap(v)
	if s.gen != nil {
		s.gen.Add(1)
	}
	s.log.Info("reloaded " + s.what)
	if s.swapped != nil {
		s.swapped(old, v)
	}
	return nil
}

func anyChanged(stamps []fileStamp) bool {
	for _, st := range stamps {
		if st.changed() {
			return true
		}
	}
	return false
}

// reloadable is what the watcher and SIGHUP drive, whatever a source holds.
type reloadable interface {
	reload(mode reloadMode) error
	markDirty()
	isDirty() bool
	files() []string
}

// reloadAll reloads every source and joins their errors.
func reloadAll(srcs []reloadable, mode reloadMode) error {
	var errs []error
	for _, s := range srcs {
		if err := s.reload(mode); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}
