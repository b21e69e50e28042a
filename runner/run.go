package runner

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime"
	"strconv"
	"sync/atomic"
	"syscall"

	"github.com/coreos/go-systemd/v22/activation"

	"github.com/gotwistd/gotwistd/endpoint"
	"github.com/gotwistd/gotwistd/service"
)

// run is one start of a service tree, from the log's first line to the
// pidfile's removal. Each step of the start sequence is a method, called
// in the order of serve.
type run struct {
	opts    *Options
	name    string // the plugin's, or the application file's
	root    *service.Multi
	out     *logOutput
	log     *slog.Logger // the runner's own lines, as [-]
	stdout  io.Writer
	stderr  io.Writer
	daemon  bool // this process is the daemon child of a waiting parent
	eps     *endpoint.Env
	devnull *os.File
	pid     atomic.Pointer[pidfile] // read by the start-up signal watcher
	prof    *profile
	notify  *notifier
	sigs    chan os.Signal
	// startCtx is cancelled by SIGTERM/SIGINT/SIGQUIT during start-up;
	// stopSignal is the signal that asked for the stop, if one did.
	startCtx   context.Context
	stopSignal os.Signal
	failed     chan error // services that stopped serving by themselves
}

func newRun(name string, o *Options, stdout, stderr io.Writer) *run {
	out := newLogOutput(o.Debug)
	return &run{
		opts:   o,
		name:   name,
		out:    out,
		log:    out.logger("-"),
		stdout: stdout,
		stderr: stderr,
		eps:    &endpoint.Env{},
		failed: make(chan error, 1),
	}
}

// env is what the plugin's Make receives.
func (r *run) env(system string) Env {
	return Env{
		Logger:    r.out.logger(system),
		Reactor:   r.opts.Reactor,
		Endpoints: r.eps,
		Debug:     r.opts.Debug,
		OnFail: func(err error) {
			select {
			case r.failed <- err:
			default:
			}
		},
	}
}

// serve runs the start sequence, waits for a signal or a failure, and
// stops. It returns the process's exit status.
func (r *run) serve() int {
	r.catchSignals()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	r.startCtx = ctx
	stopWatching := r.watchDuringStart(cancel)
	err := r.start()
	stopWatching()
	if err != nil && r.stopSignal != nil {
		err = fmt.Errorf("start-up interrupted by %s: %w", signalName(r.stopSignal), err)
	}
	if err != nil {
		r.log.Error(err.Error())
		fmt.Fprintf(r.stderr, "gotwistd: %v\n", err)
		r.cleanUp()
		return ExitFailure
	}
	code := r.waitAndStop()
	r.cleanUp()
	return code
}

// start is the start sequence. Any error aborts it; what was started is
// stopped again by the step that failed or by cleanUp.
func (r *run) start() error {
	steps := []struct {
		name string
		do   func() error
	}{
		{"open log", r.openLog},
		{"open profile", r.openProfile},
		{"enter chroot", r.enterChroot},
		{"change to rundir", r.changeDir},
		{"apply umask", r.applyUmask},
		{"write pidfile", r.writePidfile},
		{"inherit sockets", r.inheritSockets},
		{"privileged start", r.privilegedStart},
		{"drop privileges", r.dropPrivileges},
		{"start services", r.startServices},
		{"report ready", r.reportReady},
	}
	for _, s := range steps {
		r.log.Debug("step: " + s.name)
		if err := s.do(); err != nil {
			return err
		}
	}
	return nil
}

// openLog opens the log before chroot and before the privilege drop, as
// twistd does: the file stays where the command line said, and every later
// step's failure is logged. /dev/null is opened here too, for the same
// reason, and the local time zone is loaded while /etc/localtime is there.
func (r *run) openLog() error {
	var err error
	if r.devnull, err = os.OpenFile(os.DevNull, os.O_RDWR, 0); err != nil {
		return fmt.Errorf("cannot open %s: %v", os.DevNull, err)
	}
	if err := r.out.open(r.opts, r.stdout); err != nil {
		return err
	}
	r.notify = openNotifier()
	if r.daemon {
		r.out.sendCrashesHere() // stderr becomes /dev/null once started
	}
	r.log.Info(fmt.Sprintf("gotwistd %s (%s %s/%s) starting up.", Version(), runtime.Version(), runtime.GOOS, runtime.GOARCH))
	r.log.Info(fmt.Sprintf("reactor: %s", r.opts.Reactor))
	r.log.Info(fmt.Sprintf("running %s as pid %d", r.name, os.Getpid()))
	return nil
}

// enterChroot changes the root directory. Paths from the command line were
// made absolute before, and the files that must stay outside are open.
func (r *run) enterChroot() error {
	if r.opts.Chroot == "" {
		return nil
	}
	if err := syscall.Chroot(r.opts.Chroot); err != nil {
		return fmt.Errorf("cannot chroot to %s: %v", r.opts.Chroot, err)
	}
	r.log.Info("chroot " + r.opts.Chroot)
	if r.out.file != nil {
		r.log.Warn(fmt.Sprintf("log rotation now happens at %s inside %s: that directory must exist there", r.opts.Logfile, r.opts.Chroot))
	}
	return nil
}

// changeDir moves to --rundir (relative to the new root under --chroot).
func (r *run) changeDir() error {
	if err := os.Chdir(r.opts.Rundir); err != nil {
		return fmt.Errorf("cannot change to --rundir %s: %v", r.opts.Rundir, unwrapPathError(err))
	}
	return nil
}

// applyUmask sets --umask, or 0077 for a daemon that was given none.
func (r *run) applyUmask() error {
	if r.opts.Umask >= 0 {
		syscall.Umask(r.opts.Umask)
		r.log.Debug(fmt.Sprintf("umask %04o", r.opts.Umask))
	}
	return nil
}

// writePidfile takes the pidfile's lock; under --chroot its path is inside
// the new root, as twistd's.
func (r *run) writePidfile() error {
	if r.opts.Pidfile == "" {
		return nil
	}
	p, stale, err := acquirePidfile(r.opts.Pidfile)
	if err != nil {
		return err
	}
	if stale != "" {
		r.log.Warn(stale)
	}
	r.pid.Store(p)
	return nil
}

// inheritSockets reads the sockets systemd passed (LISTEN_FDS), once, for
// systemd: endpoints.
func (r *run) inheritSockets() error {
	r.eps.Inherited = activation.Files(true)
	if n := len(r.eps.Inherited); n > 0 {
		r.log.Info(fmt.Sprintf("systemd passed %d socket(s)", n))
	}
	return nil
}

// privilegedStart binds every endpoint of the tree, still as the starting
// user.
func (r *run) privilegedStart() error {
	return r.root.PrivilegedStart(r.startCtx)
}

// dropPrivileges switches to --uid/--gid, after handing the log file over.
func (r *run) dropPrivileges() error {
	for _, w := range r.out.handOver(r.opts.Creds) {
		r.log.Warn(w)
	}
	line, err := dropPrivileges(r.opts.Creds)
	if err != nil {
		stopTree(r.root, r.opts)
		return err
	}
	if line != "" {
		r.log.Info(line)
	}
	return nil
}

// startServices starts the tree; a failure has already stopped it again.
func (r *run) startServices() error {
	if err := r.root.Start(r.startCtx); err != nil {
		return err
	}
	r.prof.begin(r.log)
	return nil
}

// reportReady lets a waiting parent exit 0 and tells systemd.
func (r *run) reportReady() error {
	r.log.Info("started")
	r.notify.send("READY=1\nMAINPID=" + strconv.Itoa(os.Getpid()))
	if !r.daemon {
		return nil
	}
	return signalReady(r.devnull)
}

// cleanUp releases what the run holds, last the pidfile.
func (r *run) cleanUp() {
	r.prof.end(r.log)
	if err := r.pid.Load().release(); err != nil {
		r.log.Warn(err.Error())
	}
	r.log.Info("server shut down.")
	r.out.close()
}

// stopTree stops the tree under the shutdown deadline, for a failed start.
func stopTree(root *service.Multi, o *Options) error {
	ctx, cancel := context.WithTimeout(context.Background(), o.ShutdownTimeout)
	defer cancel()
	return root.Stop(ctx)
}

// isStuck tells whether err names services that missed the deadline.
func isStuck(err error) bool {
	var se *service.StuckError
	return errors.As(err, &se)
}
