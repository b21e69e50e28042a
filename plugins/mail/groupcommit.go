package mail

import (
	"os"
	"sync"
)

// The --fsync modes.
const (
	fsyncGroup   = "group"
	fsyncMessage = "message"
)

// syncGroup makes the messages of many connections durable together
// (group commit). A connection writes its message to tmp/ and hands the
// open file to the group; the first one to arrive while no commit runs
// leads: it takes every file waiting, makes their data durable with one
// call (fdatasync for a lone file, one syncfs(2) of the filesystem for
// several), renames each into its new/, fsyncs each new/ once, and wakes
// the others with their own results. Files that arrive meanwhile wait for
// the next commit, which the leader hands to one of them, so no
// connection leads for longer than its own batch. Under load this turns
// ten connections' ten fdatasyncs and ten directory fsyncs into one
// syncfs and one directory fsync, which on a virtual disk (where every
// write is a trip to the host) roughly halves the CPU a message costs.
//
// There is one group per filesystem, since one syncfs covers only its own.
type syncGroup struct {
	mu      sync.Mutex
	busy    bool // a leader is committing
	pending []*pendingFile
}

// pendingFile is one message written to tmp/ and waiting to be committed.
type pendingFile struct {
	f    *os.File
	tmp  string // its path in tmp/
	dst  string // its path in new/
	box  *maildir
	err  error     // the outcome, set before lead is signalled
	lead chan bool // false: committed (see err); true: lead the next batch
}

// commit returns once p's file is in new/ and on disk, or with why not; on
// error no file of p is left in new/ unless only the directory fsync failed.
func (g *syncGroup) commit(p *pendingFile) error {
	p.lead = make(chan bool, 1)
	g.mu.Lock()
	g.pending = append(g.pending, p)
	if g.busy {
		g.mu.Unlock()
		if !<-p.lead {
			return p.err
		}
		g.mu.Lock() // our turn to lead; p is still in pending
	}
	g.busy = true
	batch := g.pending
	g.pending = nil
	g.mu.Unlock()

	commitBatch(batch)

	g.mu.Lock()
	if len(g.pending) > 0 {
		g.pending[0].lead <- true
	} else {
		g.busy = false
	}
	g.mu.Unlock()
	for _, q := range batch {
		if q != p {
			q.lead <- false
		}
	}
	return p.err
}

// commitBatch makes every file of batch durable and moves it into new/.
func commitBatch(batch []*pendingFile) {
	if commitHook != nil {
		commitHook(len(batch))
	}
	if len(batch) == 1 {
		batch[0].err = datasync(batch[0].f)
	} else {
		err := syncFilesystem(batch[0].f)
		for _, p := range batch {
			p.err = err
			if err == nil {
				// syncfs reports the filesystem's errors; this picks up a
				// write error of this very file that another caller saw first.
				p.err = writebackError(p.f)
			}
		}
	}
	var boxes []*maildir
	for _, p := range batch {
		if cerr := p.f.Close(); p.err == nil {
			p.err = cerr
		}
		if p.err == nil {
			p.err = os.Rename(p.tmp, p.dst)
		}
		if p.err != nil {
			os.Remove(p.tmp)
			continue
		}
		if !containsBox(boxes, p.box) {
			boxes = append(boxes, p.box)
		}
	}
	for _, b := range boxes {
		err := b.newSync.sync()
		if err == nil {
			continue
		}
		for _, p := range batch {
			if p.box == b && p.err == nil {
				p.err = err
			}
		}
	}
}

// commitHook, when set by a test, is called with each batch's size before
// the batch is committed.
var commitHook func(size int)

func containsBox(list []*maildir, b *maildir) bool {
	for _, x := range list {
		if x == b {
			return true
		}
	}
	return false
}

// syncGroups holds one group per filesystem, created on first use.
var syncGroups sync.Map // filesystem id (uint64) -> *syncGroup

// groupFor returns the group of the filesystem that holds dir.
func groupFor(dir string) (*syncGroup, error) {
	id, err := filesystemID(dir)
	if err != nil {
		return nil, err
	}
	g, _ := syncGroups.LoadOrStore(id, &syncGroup{})
	return g.(*syncGroup), nil
}
