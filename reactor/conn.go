package reactor

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"
)

// connState is where a connection is in its life.
type connState int

const (
	stateOpen   connState = iota
	stateLosing           // LoseConnection: flush what is buffered, then close
	stateClosed           // the socket is closed or closing; nothing more is sent
)

// ioSide is what a reactor adds to the shared connection core: how bytes
// get to the socket and how the reading side is woken. Methods ending in
// Locked run with conn.mu held and return work to do after it is released.
type ioSide interface {
	// kickLocked is called after bytes were added to pending by a caller
	// that is not one of the connection's callbacks: make sure someone
	// will write them.
	kickLocked() func()
	// afterCallbackLocked is called at the end of every callback; onLoop
	// says whether it ran on the connection's own reading goroutine or
	// event loop.
	afterCallbackLocked(onLoop bool) func()
	// quietLocked reports that nothing is pending, in flight or about to
	// be written, so a LoseConnection may close now.
	quietLocked() bool
	// closeSocket closes the socket; safe to call more than once, from any
	// goroutine.
	closeSocket()
	// wakeReader tells the reading side that pausing or the state changed.
	wakeReader()
}

// owner is the port or connector a connection belongs to.
type owner interface {
	// connDone is called once, after ConnectionLost.
	connDone(c *conn, reason error)
	// spawn runs fn on a goroutine the owner waits for when it stops.
	spawn(fn func())
}

// conn is the Transport of both reactors: the write buffer, the state
// machine, flow control, timers and the serialisation of callbacks.
type conn struct {
	io    ioSide
	own   owner
	opts  *Options
	log   *slog.Logger
	proto Protocol
	peer  net.Addr
	host  net.Addr

	// cbMu is held while any callback of this connection runs.
	cbMu sync.Mutex

	mu         sync.Mutex
	state      connState
	reason     error  // why the connection closes; set with the first close request
	made       bool   // ConnectionMade was called (or is running)
	lost       bool   // ConnectionLost was called
	pending    []byte // written, not yet handed to the socket
	spare      []byte // a drained buffer kept for reuse
	inflight   int    // handed to the socket layer, not known to be sent
	inCallback bool
	paused     bool // by PauseProducing
	wpaused    bool // by the write buffer passing the high-water mark
	producer   Producer
	prodPaused bool
	calls      map[*DelayedCall]struct{}
	idle       *time.Timer

	last atomic.Int64 // monotonic nanoseconds of the last activity, for IdleTimeout
}

var _ Transport = (*conn)(nil)

// epoch anchors the monotonic activity clock.
var epoch = time.Now()

func nanotime() int64 { return int64(time.Since(epoch)) }

// touch records activity for the idle timeout.
func (c *conn) touch() {
	if c.opts.IdleTimeout > 0 {
		c.last.Store(nanotime())
	}
}

// callback runs fn as one of the connection's callbacks: after the ones
// before it, never after ConnectionLost, and then lets the I/O side flush
// what fn wrote.
func (c *conn) callback(onLoop bool, fn func()) {
	c.cbMu.Lock()
	c.mu.Lock()
	if c.lost {
		c.mu.Unlock()
		c.cbMu.Unlock()
		return
	}
	c.inCallback = true
	c.mu.Unlock()
	c.safely(fn)
	c.mu.Lock()
	c.inCallback = false
	after := c.io.afterCallbackLocked(onLoop)
	c.mu.Unlock()
	c.cbMu.Unlock()
	if after != nil {
		after()
	}
}

// safely runs fn and turns a panic into a logged error and an aborted
// connection, as Twisted logs an exception from dataReceived and drops the
// connection instead of the whole process.
func (c *conn) safely(fn func()) {
	defer func() {
		if r := recover(); r != nil {
			c.log.Error(fmt.Sprintf("protocol %T panicked on connection from %s: %v\n%s", c.proto, c.peer, r, debug.Stack()))
			c.closeWith(fmt.Errorf("%w: %v", ErrProtocolPanic, r), true)
		}
	}()
	fn()
}

// begin calls ConnectionMade and starts the idle timer; the I/O side calls
// it once the protocol is built.
func (c *conn) begin(onLoop bool) {
	c.mu.Lock()
	c.made = true
	if d := c.opts.IdleTimeout; d > 0 {
		c.touch()
		c.idle = time.AfterFunc(d, c.idleCheck)
	}
	c.mu.Unlock()
	c.callback(onLoop, func() { c.proto.ConnectionMade(c) })
}

// finish delivers ConnectionLost once the I/O side is done with the
// socket. ioErr is what ended the reading, used when nobody asked for the
// close.
func (c *conn) finish(ioErr error) {
	c.mu.Lock()
	if c.reason == nil || c.state == stateLosing && ioErr != nil && !isEOF(ioErr) {
		// Nobody asked for the close, or a LoseConnection did not get to
		// send everything: what ended the connection is the reason.
		c.reason = lostReason(ioErr)
	}
	c.state = stateClosed
	reason := c.reason
	calls := c.calls
	c.calls = nil
	prod := c.producer
	c.producer = nil
	c.pending, c.spare = nil, nil
	if c.idle != nil {
		c.idle.Stop()
	}
	made := c.made
	c.mu.Unlock()
	for dc := range calls {
		dc.Cancel()
	}
	c.cbMu.Lock()
	if made {
		c.safely(func() { c.proto.ConnectionLost(reason) })
	}
	c.mu.Lock()
	c.lost = true
	c.mu.Unlock()
	c.cbMu.Unlock()
	if prod != nil {
		prod.StopProducing()
	}
	c.own.connDone(c, reason)
}

// closeWith asks for the connection to close. abort closes at once and
// drops what is buffered; otherwise what is buffered is sent first. The
// first reason given sticks, except that an abort overrides a pending
// graceful close.
func (c *conn) closeWith(reason error, abort bool) {
	c.mu.Lock()
	if c.state == stateClosed || (c.state == stateLosing && !abort) {
		c.mu.Unlock()
		return
	}
	if c.reason == nil || abort {
		c.reason = reason
	}
	closeNow := abort
	if abort {
		c.pending = nil
	} else {
		c.state = stateLosing
		closeNow = c.io.quietLocked()
	}
	var kick func()
	if closeNow {
		c.state = stateClosed
	} else if !c.inCallback {
		kick = c.io.kickLocked()
	}
	c.mu.Unlock()
	if closeNow {
		c.io.closeSocket()
	}
	if kick != nil {
		kick()
	}
	c.io.wakeReader()
}

// Write implements Transport.
func (c *conn) Write(p []byte) (int, error) {
	if err := c.write(p); err != nil {
		return 0, err
	}
	return len(p), nil
}

// WriteSequence implements Transport.
func (c *conn) WriteSequence(ps [][]byte) { _ = c.write(ps...) }

// write appends parts to the write buffer as one write.
func (c *conn) write(parts ...[]byte) error {
	n := 0
	for _, p := range parts {
		n += len(p)
	}
	if n == 0 {
		return nil
	}
	c.mu.Lock()
	if c.state != stateOpen {
		c.mu.Unlock()
		return ErrNotConnected
	}
	if len(c.pending)+c.inflight+n > c.opts.MaxWriteBuffer {
		c.mu.Unlock()
		c.closeWith(ErrWriteBufferFull, true)
		return ErrWriteBufferFull
	}
	if c.pending == nil && c.spare != nil {
		c.pending, c.spare = c.spare[:0], nil
	}
	for _, p := range parts {
		c.pending = append(c.pending, p...)
	}
	prod := c.checkHighLocked()
	var kick func()
	if !c.inCallback {
		kick = c.io.kickLocked()
	}
	c.mu.Unlock()
	if prod != nil {
		prod.PauseProducing()
	}
	if kick != nil {
		kick()
	}
	return nil
}

// checkHighLocked notes a write buffer above the high-water mark: reading
// stops, and the producer to pause is returned.
func (c *conn) checkHighLocked() Producer {
	if c.wpaused || len(c.pending)+c.inflight <= c.opts.WriteHighWater {
		return nil
	}
	c.wpaused = true
	if c.producer != nil && !c.prodPaused {
		c.prodPaused = true
		return c.producer
	}
	return nil
}

// checkLowLocked notes a write buffer that drained below half the
// high-water mark: reading resumes (the caller wakes the reader when it
// returns true), and the producer to resume is returned.
func (c *conn) checkLowLocked() (Producer, bool) {
	if !c.wpaused || len(c.pending)+c.inflight > c.opts.WriteHighWater/2 {
		return nil, false
	}
	c.wpaused = false
	if c.producer != nil && c.prodPaused {
		c.prodPaused = false
		return c.producer, true
	}
	return nil, true
}

// LoseConnection implements Transport.
func (c *conn) LoseConnection() { c.closeWith(ErrConnectionDone, false) }

// AbortConnection implements Transport.
func (c *conn) AbortConnection() { c.closeWith(ErrConnectionAborted, true) }

// loseWithReason closes gracefully and reports reason to ConnectionLost;
// the receivers use it for ErrLineLengthExceeded.
func (c *conn) loseWithReason(reason error) { c.closeWith(reason, false) }

// GetPeer implements Transport.
func (c *conn) GetPeer() net.Addr { return c.peer }

// GetHost implements Transport.
func (c *conn) GetHost() net.Addr { return c.host }

// PauseProducing implements Transport: no DataReceived until
// ResumeProducing.
func (c *conn) PauseProducing() {
	c.mu.Lock()
	c.paused = true
	c.mu.Unlock()
}

// ResumeProducing implements Transport. DataReceived runs next (with empty
// data if nothing is waiting), so buffering protocols can go on.
func (c *conn) ResumeProducing() {
	c.mu.Lock()
	if !c.paused || c.state != stateOpen {
		c.paused = false
		c.mu.Unlock()
		return
	}
	c.paused = false
	c.mu.Unlock()
	c.io.wakeReader()
	c.own.spawn(func() {
		c.callback(false, func() {
			c.mu.Lock()
			deliver := !c.paused && c.state == stateOpen
			c.mu.Unlock()
			if deliver {
				c.proto.DataReceived(nil)
			}
		})
	})
}

// isPaused reports whether PauseProducing is in force; LineReceiver checks
// it between lines.
func (c *conn) isPaused() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.paused
}

// isOpen reports whether no close was asked for; the receivers stop
// delivering once one was.
func (c *conn) isOpen() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.state == stateOpen
}

// StopProducing implements Producer: LoseConnection.
func (c *conn) StopProducing() { c.LoseConnection() }

// RegisterProducer implements Transport.
func (c *conn) RegisterProducer(p Producer) {
	c.mu.Lock()
	if c.state == stateClosed {
		c.mu.Unlock()
		p.StopProducing()
		return
	}
	c.producer = p
	c.prodPaused = c.wpaused
	c.mu.Unlock()
	if c.prodPaused {
		p.PauseProducing()
	}
}

// UnregisterProducer implements Transport.
func (c *conn) UnregisterProducer() {
	c.mu.Lock()
	c.producer = nil
	c.prodPaused = false
	c.mu.Unlock()
}

// CallLater implements Transport.
func (c *conn) CallLater(d time.Duration, fn func()) *DelayedCall {
	dc := &DelayedCall{done: c.forgetCall}
	dc.run = func() { c.callback(false, fn) }
	c.mu.Lock()
	if c.lost || c.state == stateClosed {
		c.mu.Unlock()
		dc.state = callCancelled
		return dc
	}
	if c.calls == nil {
		c.calls = map[*DelayedCall]struct{}{}
	}
	c.calls[dc] = struct{}{}
	c.mu.Unlock()
	dc.arm(d)
	return dc
}

func (c *conn) forgetCall(dc *DelayedCall) {
	c.mu.Lock()
	delete(c.calls, dc)
	c.mu.Unlock()
}

// idleCheck runs on the idle timer: it closes a connection that saw no
// activity for IdleTimeout, or re-arms for the time left. A connection
// with bytes stuck in its buffer is aborted, since they cannot be sent.
func (c *conn) idleCheck() {
	d := c.opts.IdleTimeout
	left := d - time.Duration(nanotime()-c.last.Load())
	c.mu.Lock()
	if c.state == stateClosed {
		c.mu.Unlock()
		return
	}
	if left > 0 {
		c.idle.Reset(left)
		c.mu.Unlock()
		return
	}
	stuck := !c.io.quietLocked()
	c.mu.Unlock()
	c.closeWith(ErrIdleTimeout, stuck)
}

// lostReason maps what ended the reading side to a ConnectionLost reason.
func lostReason(err error) error {
	if err == nil || isEOF(err) {
		return ErrConnectionDone
	}
	return fmt.Errorf("connection lost: %w", err)
}

func isEOF(err error) bool { return errors.Is(err, io.EOF) }

// buffered returns what the write buffer holds, pending and in flight.
func (c *conn) buffered() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.pending) + c.inflight
}
