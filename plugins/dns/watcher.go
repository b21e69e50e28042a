package dns

import (
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// watcher keeps the file sources fresh. The kernel (inotify) reports a
// finished write or a rename into place within microseconds, so an edit is
// visible to the next query, as with twistd (which re-read its hosts file on
// every query) but without a stat per query. A periodic mtime/size check
// backs it up for file systems that do not report changes.
//
// Directories are watched rather than files, so that editors that write a
// new file and rename it over the old one are seen.
type watcher struct {
	interval time.Duration // 0: no automatic reload at all
	srcs     []reloadable
	log      *slog.Logger

	mu      sync.Mutex
	ino     *os.File         // nil when inotify is unavailable
	fd      int              // ino's descriptor; Fd() would make it blocking
	watched map[string]int32 // directory → watch descriptor
	dirs    map[int32]string // watch descriptor → directory

	stop      chan struct{}
	closeOnce sync.Once
	wg        sync.WaitGroup
}

const watchMask = unix.IN_CLOSE_WRITE | unix.IN_MOVED_TO | unix.IN_CREATE | unix.IN_DELETE | unix.IN_MOVED_FROM

// open sets up the inotify watches; it runs in PrivilegedStart, so that
// directories only root may read can be watched. Without inotify the
// periodic check still works, so a failure is only logged.
func (w *watcher) open() {
	if w.interval <= 0 || len(w.srcs) == 0 {
		return
	}
	fd, err := unix.InotifyInit1(unix.IN_NONBLOCK | unix.IN_CLOEXEC)
	if err != nil {
		w.log.Warn("file change notification unavailable (" + err.Error() + "); checking files every " + w.interval.String())
		return
	}
	w.mu.Lock()
	w.ino = os.NewFile(uintptr(fd), "inotify")
	w.fd = fd
	w.watched = map[string]int32{}
	w.dirs = map[int32]string{}
	w.mu.Unlock()
	w.addWatches()
}

// addWatches watches the directory of every file the sources read now
// (a reload may have brought in a new $INCLUDE).
func (w *watcher) addWatches() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.ino == nil {
		return
	}
	for _, s := range w.srcs {
		for _, p := range s.files() {
			dir := filepath.Dir(p)
			if _, ok := w.watched[dir]; ok {
				continue
			}
			wd, err := unix.InotifyAddWatch(w.fd, dir, watchMask)
			if err != nil {
				w.log.Warn("cannot watch " + dir + " for changes: " + err.Error())
				w.watched[dir] = -1
				continue
			}
			w.watched[dir] = int32(wd)
			w.dirs[int32(wd)] = dir
		}
	}
}

// start runs the event reader and the periodic check.
func (w *watcher) start() {
	if w.interval <= 0 || len(w.srcs) == 0 {
		return
	}
	w.stop = make(chan struct{})
	w.wg.Add(1)
	go w.tick(w.stop)
	if w.ino != nil {
		w.wg.Add(1)
		go w.events(w.ino)
	}
}

func (w *watcher) tick(stop <-chan struct{}) {
	defer w.wg.Done()
	t := time.NewTicker(w.interval)
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case <-t.C:
			_ = reloadAll(w.srcs, ifChanged)
			w.addWatches()
		}
	}
}

// events reads inotify events until close; each one about a file a source
// reads marks the source dirty and reloads it at once.
func (w *watcher) events(ino *os.File) {
	defer w.wg.Done()
	buf := make([]byte, 64<<10)
	for {
		n, err := ino.Read(buf)
		if err != nil {
			if !errors.Is(err, os.ErrClosed) {
				w.log.Warn("file change notification stopped: " + err.Error())
			}
			return
		}
		touched := w.touched(buf[:n])
		for _, s := range touched {
			s.markDirty()
		}
		for _, s := range touched {
			_ = s.reload(ifDirty)
		}
		if len(touched) > 0 {
			w.addWatches()
		}
	}
}

// touched returns the sources that read a file named in the events in b.
func (w *watcher) touched(b []byte) []reloadable {
	var out []reloadable
	add := func(s reloadable) {
		for _, have := range out {
			if have == s {
				return
			}
		}
		out = append(out, s)
	}
	for len(b) >= unix.SizeofInotifyEvent {
		ev := (*unix.InotifyEvent)(unsafe.Pointer(&b[0]))
		end := unix.SizeofInotifyEvent + int(ev.Len)
		if end > len(b) {
			break
		}
		name := string(b[unix.SizeofInotifyEvent:end])
		for len(name) > 0 && name[len(name)-1] == 0 {
			name = name[:len(name)-1]
		}
		b = b[end:]
		if ev.Mask&unix.IN_Q_OVERFLOW != 0 {
			for _, s := range w.srcs {
				add(s)
			}
			continue
		}
		w.mu.Lock()
		dir := w.dirs[ev.Wd]
		w.mu.Unlock()
		if dir == "" {
			continue
		}
		path := filepath.Join(dir, name)
		for _, s := range w.srcs {
			for _, p := range s.files() {
				if p == path {
					add(s)
				}
			}
		}
	}
	return out
}

// close stops both goroutines and waits for them.
func (w *watcher) close() {
	w.mu.Lock()
	ino := w.ino
	w.ino = nil
	w.mu.Unlock()
	if ino != nil {
		ino.Close()
	}
	w.closeOnce.Do(func() {
		if w.stop != nil {
			close(w.stop)
		}
	})
	w.wg.Wait()
}
