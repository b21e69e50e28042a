package runner

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

// waitAndStop serves until SIGTERM or SIGINT (graceful stop), SIGQUIT
// (exit at once), or a service failing by itself; meanwhile SIGHUP reopens
// the log and reloads, and SIGUSR1 rotates a log file. It returns the exit
// status: 0 after a clean stop, 1 when a service failed or missed the
// shutdown deadline or a second signal cut the stop short.
func (r *run) waitAndStop() int {
	sigs := r.sigs
	defer signal.Stop(sigs)

	code := ExitOK
	if r.stopSignal != nil {
		r.log.Info(fmt.Sprintf("received %s, shutting down.", signalName(r.stopSignal)))
	}
	for stopping := r.stopSignal != nil; !stopping; {
		select {
		case sig := <-sigs:
			switch sig {
			case syscall.SIGTERM, syscall.SIGINT:
				r.log.Info(fmt.Sprintf("received %s, shutting down.", signalName(sig)))
				stopping = true
			case syscall.SIGQUIT:
				r.log.Warn("received SIGQUIT, exiting at once without stopping services.")
				return ExitFailure
			default:
				r.handleHousekeeping(sig)
			}
		case err := <-r.failed:
			r.log.Error(fmt.Sprintf("%v; shutting down.", err))
			code = ExitFailure
			stopping = true
		}
	}

	r.notify.send("STOPPING=1")
	ctx, cancel := context.WithTimeout(context.Background(), r.opts.ShutdownTimeout)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- r.root.Stop(ctx) }()
	for {
		select {
		case err := <-done:
			if err != nil {
				r.log.Error(fmt.Sprintf("stop: %v", err))
				if isStuck(err) {
					r.log.Error(fmt.Sprintf("gave up waiting after --shutdown-timeout %s", r.opts.ShutdownTimeout))
				}
				return ExitFailure
			}
			r.log.Info("main loop terminated.")
			return code
		case sig := <-sigs:
			switch sig {
			case syscall.SIGTERM, syscall.SIGINT, syscall.SIGQUIT:
				r.log.Warn(fmt.Sprintf("received %s again while stopping: exiting at once.", signalName(sig)))
				return ExitFailure
			default:
				r.handleHousekeeping(sig)
			}
		}
	}
}

// catchSignals installs the handlers before start-up begins, so that no
// signal kills the process uncleanly (twistd leaves them at their default
// until its loop runs, and dies with a stale pidfile).
func (r *run) catchSignals() {
	r.sigs = make(chan os.Signal, 8)
	signal.Notify(r.sigs, syscall.SIGTERM, syscall.SIGINT, syscall.SIGQUIT, syscall.SIGHUP, syscall.SIGUSR1)
}

// watchDuringStart answers signals while the start sequence runs: the first
// SIGTERM, SIGINT or SIGQUIT cancels the start-up's context (services that
// honour it stop waiting) and makes the stop follow at once; a second one
// exits at once. SIGHUP and SIGUSR1 wait until start-up is over. The
// returned function ends the watch.
func (r *run) watchDuringStart(cancel context.CancelFunc) func() {
	done, stopped := make(chan struct{}), make(chan struct{})
	var held []os.Signal
	go func() {
		defer close(stopped)
		for {
			select {
			case <-done:
				for _, s := range held {
					r.sigs <- s // for waitAndStop, in order
				}
				return
			case sig := <-r.sigs:
				switch sig {
				case syscall.SIGTERM, syscall.SIGINT, syscall.SIGQUIT:
					if r.stopSignal != nil {
						r.log.Warn(fmt.Sprintf("received %s again during start-up: exiting at once.", signalName(sig)))
						_ = r.pid.Load().release()
						os.Exit(ExitFailure)
					}
					r.log.Info(fmt.Sprintf("received %s during start-up: stopping as soon as it ends.", signalName(sig)))
					r.stopSignal = sig
					cancel()
				default:
					held = append(held, sig)
				}
			}
		}
	}()
	return func() { close(done); <-stopped }
}

// handleHousekeeping answers SIGHUP and SIGUSR1, which never stop the
// process (twistd dies of both when it has no handler).
func (r *run) handleHousekeeping(sig os.Signal) {
	switch sig {
	case syscall.SIGHUP:
		r.notify.send("RELOADING=1")
		defer r.notify.send("READY=1")
		r.out.reopen()
		r.log.Info("received SIGHUP: reopened the log; reloading services.")
		if err := r.root.Reload(context.Background()); err != nil {
			r.log.Error(fmt.Sprintf("reload: %v", err))
		}
	case syscall.SIGUSR1:
		rotated, err := r.out.rotate()
		switch {
		case err != nil:
			r.log.Error(fmt.Sprintf("received SIGUSR1, but the log could not be rotated: %v", err))
		case rotated:
			r.log.Info("received SIGUSR1: rotated the log.")
		default:
			r.log.Info("received SIGUSR1: the log is not a file, nothing to rotate.")
		}
	}
}

func signalName(sig os.Signal) string {
	switch sig {
	case syscall.SIGTERM:
		return "SIGTERM"
	case syscall.SIGINT:
		return "SIGINT"
	case syscall.SIGQUIT:
		return "SIGQUIT"
	}
	return sig.String()
}
