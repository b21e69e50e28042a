package testsvc

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/gotwistd/gotwistd/service"
)

// leaf logs each call of the service contract and takes as long as told.
type leaf struct {
	name        string
	log         *slog.Logger
	start, stop delay
	fail        bool

	begin, stopped sync.Once
}

func (l *leaf) Name() string { return l.name }

func (l *leaf) PrivilegedStart(context.Context) error {
	l.log.Info("testsvc privileged start " + l.name)
	return nil
}

// Start takes the --start-delay synchronously: the runner (and so the
// daemon's waiting parent) sees start-up last that long.
func (l *leaf) Start(ctx context.Context) error {
	l.log.Info("testsvc start " + l.name)
	if l.start.d > 0 {
		select {
		case <-time.After(l.start.d):
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	if l.fail {
		return fmt.Errorf("testsvc %s: failing on purpose (--fail-start)", l.name)
	}
	return nil
}

func (l *leaf) BeginStop() {
	l.begin.Do(func() { l.log.Info("testsvc stop " + l.name + " begin") })
}

// Stop takes the --stop-delay; "forever" never returns, whatever ctx says,
// which is what the runner's shutdown deadline exists for.
func (l *leaf) Stop(context.Context) error {
	l.BeginStop()
	l.stopped.Do(func() {
		if l.stop.forever {
			select {}
		}
		if l.stop.d > 0 {
			time.Sleep(l.stop.d)
		}
		l.log.Info("testsvc stop " + l.name + " done")
	})
	return nil
}

var (
	_ service.Service      = (*leaf)(nil)
	_ service.StopBeginner = (*leaf)(nil)
)
