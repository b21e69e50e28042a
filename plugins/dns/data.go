package dns

import (
	"context"
	"errors"
	"log/slog"

	"github.com/gotwistd/gotwistd/service"
)

// dataService owns what the answers come from, apart from the sockets:
// the file sources and their watcher, and the secondary zones with their
// refresh timers. It comes first in the tree, so it starts before the
// listeners and stops after them.
type dataService struct {
	srcs  []reloadable
	watch *watcher
	sec   *secondaries
	// warnings found while Make read the files, logged at start (Make
	// runs before logging is set up, and twice when daemonizing).
	warnings []string
	log      *slog.Logger
}

var (
	_ service.Service  = (*dataService)(nil)
	_ service.Reloader = (*dataService)(nil)
)

func (d *dataService) Name() string { return "data" }

// PrivilegedStart sets up file change notification, which may need root
// to watch the files' directories.
func (d *dataService) PrivilegedStart(ctx context.Context) error {
	d.watch.open()
	return nil
}

// Start begins watching files and keeping secondary zones fresh.
func (d *dataService) Start(ctx context.Context) error {
	for _, w := range d.warnings {
		d.log.Warn(w)
	}
	d.watch.start()
	d.sec.start()
	return nil
}

// Stop ends the watcher and the secondary refreshes.
func (d *dataService) Stop(ctx context.Context) error {
	d.watch.close()
	return d.sec.stop(ctx)
}

// Reload (SIGHUP) re-reads every file, changed or not, and checks every
// secondary zone's serial with its primary. A file that fails to load
// keeps its previous version; the error names the file and line.
func (d *dataService) Reload(ctx context.Context) error {
	return errors.Join(reloadAll(d.srcs, always), d.sec.refreshAll(ctx))
}
