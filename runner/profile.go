package runner

import (
	"fmt"
	"log/slog"
	"os"
	"runtime/pprof"
)

// profile writes the Go profile --profile asks for: a CPU profile of the
// whole run, or a heap profile taken at stop. The file is opened before
// chroot and the privilege drop.
type profile struct {
	kind string
	f    *os.File
}

func (r *run) openProfile() error {
	if r.opts.Profile == "" {
		return nil
	}
	f, err := os.Create(r.opts.Profile)
	if err != nil {
		return fmt.Errorf("cannot create --profile %s: %v", r.opts.Profile, unwrapPathError(err))
	}
	r.prof = &profile{kind: r.opts.Profiler, f: f}
	return nil
}

func (p *profile) begin(log *slog.Logger) {
	if p == nil || p.kind != "cpu" {
		return
	}
	if err := pprof.StartCPUProfile(p.f); err != nil {
		log.Error(fmt.Sprintf("cannot start the CPU profile: %v", err))
	}
}

func (p *profile) end(log *slog.Logger) {
	if p == nil || p.f == nil {
		return
	}
	var err error
	if p.kind == "cpu" {
		pprof.StopCPUProfile()
	} else {
		err = pprof.WriteHeapProfile(p.f)
	}
	if cerr := p.f.Close(); err == nil {
		err = cerr
	}
	p.f = nil
	if err != nil {
		log.Error(fmt.Sprintf("writing the %s profile: %v", p.kind, err))
		return
	}
	log.Info(fmt.Sprintf("wrote the %s profile", p.kind))
}
