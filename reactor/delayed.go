package reactor

import (
	"sync"
	"time"
)

// DelayedCall is a function scheduled by CallLater (Twisted's
// IDelayedCall). Its methods are safe from any goroutine.
type DelayedCall struct {
	mu    sync.Mutex
	timer *time.Timer
	state callState
	run   func() // what the timer runs: fn, possibly wrapped
	// done, if set, is told when the call leaves the pending state, so
	// that a transport can forget it.
	done func(*DelayedCall)
}

type callState int

const (
	callPending callState = iota
	callRunning           // fired: running or finished
	callCancelled
)

// CallLater runs fn on its own goroutine after d and returns a handle to
// cancel or move it. fn runs concurrently with everything else; to run
// work as one of a connection's callbacks use Transport.CallLater.
func CallLater(d time.Duration, fn func()) *DelayedCall {
	dc := &DelayedCall{run: fn}
	dc.arm(d)
	return dc
}

// arm starts the timer; the call must not be visible to others yet.
func (dc *DelayedCall) arm(d time.Duration) {
	dc.mu.Lock()
	defer dc.mu.Unlock()
	dc.timer = time.AfterFunc(d, dc.fire)
}

func (dc *DelayedCall) fire() {
	dc.mu.Lock()
	if dc.state != callPending {
		dc.mu.Unlock()
		return
	}
	dc.state = callRunning
	done := dc.done
	dc.mu.Unlock()
	if done != nil {
		done(dc)
	}
	dc.run()
}

// Cancel stops the call if it has not started yet and reports whether it
// did; false means it already ran, is running, or was cancelled before.
func (dc *DelayedCall) Cancel() bool {
	dc.mu.Lock()
	if dc.state != callPending {
		dc.mu.Unlock()
		return false
	}
	dc.state = callCancelled
	dc.timer.Stop()
	done := dc.done
	dc.mu.Unlock()
	if done != nil {
		done(dc)
	}
	return true
}

// Reset moves a pending call to d from now and reports whether it could;
// a call that ran or was cancelled stays as it is.
func (dc *DelayedCall) Reset(d time.Duration) bool {
	dc.mu.Lock()
	defer dc.mu.Unlock()
	if dc.state != callPending {
		return false
	}
	dc.timer.Reset(d)
	return true
}

// Active reports whether the call is still waiting to run.
func (dc *DelayedCall) Active() bool {
	dc.mu.Lock()
	defer dc.mu.Unlock()
	return dc.state == callPending
}
