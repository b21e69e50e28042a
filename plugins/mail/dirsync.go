package mail

import (
	"os"
	"sync"
)

// dirSyncer fsyncs one directory for many goroutines at once (group
// commit): a caller that has just renamed a file into the directory asks
// for a sync that starts after its rename; while one fsync runs, every
// caller that arrives waits for the next one, and that single fsync covers
// them all. Under load, ten connections delivering to one mailbox cost
// about two directory fsyncs per round instead of ten.
type dirSyncer struct {
	path string

	mu        sync.Mutex
	cond      *sync.Cond
	running   bool
	started   uint64 // number of fsyncs begun
	completed uint64 // number of fsyncs finished
	err       error  // result of the last finished fsync
	dir       *os.File
}

func newDirSyncer(path string) *dirSyncer {
	d := &dirSyncer{path: path}
	d.cond = sync.NewCond(&d.mu)
	return d
}

// sync returns once an fsync of the directory that began after the call
// has finished, with that fsync's error.
func (d *dirSyncer) sync() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	// A running fsync may have begun before our rename: we need the one
	// after it.
	target := d.started + 1
	for d.completed < target {
		if d.running {
			d.cond.Wait()
			continue
		}
		d.running = true
		d.started++
		gen := d.started
		d.mu.Unlock()
		err := d.fsync()
		d.mu.Lock()
		d.running = false
		d.completed, d.err = gen, err
		d.cond.Broadcast()
	}
	return d.err
}

// fsync runs without the lock; only one runs at a time.
func (d *dirSyncer) fsync() error {
	if d.dir == nil {
		f, err := os.Open(d.path)
		if err != nil {
			return err
		}
		d.dir = f
	}
	return d.dir.Sync()
}

// close releases the directory's descriptor.
func (d *dirSyncer) close() {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.dir != nil && !d.running {
		d.dir.Close()
		d.dir = nil
	}
}
