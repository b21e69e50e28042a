package reactor

import "errors"

// Reasons given to ConnectionLost and ClientConnectionLost; test them with
// errors.Is, as the reason may wrap one of them.
var (
	// ErrConnectionDone: the connection was closed cleanly, by the peer or
	// by LoseConnection (Twisted's ConnectionDone).
	ErrConnectionDone = errors.New("connection was closed cleanly")
	// ErrConnectionAborted: AbortConnection was called, or the service
	// stopped before the connection ended by itself.
	ErrConnectionAborted = errors.New("connection was aborted")
	// ErrIdleTimeout: nothing was received or sent for the IdleTimeout
	// option's duration.
	ErrIdleTimeout = errors.New("connection was idle too long")
	// ErrWriteBufferFull: a Write would have taken the write buffer past
	// MaxWriteBuffer, usually because the peer does not read.
	ErrWriteBufferFull = errors.New("write buffer full: the peer does not read fast enough")
	// ErrReadBufferFull (gnet, where a paused connection cannot be taken
	// out of the poller): the peer sent more than MaxPausedRead while the
	// connection was paused.
	ErrReadBufferFull = errors.New("peer sent too much while the connection was paused")
	// ErrLineLengthExceeded: a LineReceiver got a line longer than its
	// MaxLength.
	ErrLineLengthExceeded = errors.New("line length exceeded")
	// ErrStringLengthExceeded: an Int32StringReceiver got a length prefix
	// larger than its MaxLength.
	ErrStringLengthExceeded = errors.New("string length exceeded")
	// ErrProtocolPanic: a callback of the protocol panicked; the panic is
	// logged and the connection aborted.
	ErrProtocolPanic = errors.New("protocol callback panicked")
)

// ErrNotConnected is returned by Write after the connection was closed or
// a close was asked for.
var ErrNotConnected = errors.New("reactor: transport is not connected")
