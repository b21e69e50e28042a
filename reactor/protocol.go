package reactor

import (
	"net"
	"time"
)

// Protocol handles one connection (Twisted's IProtocol). The reactor calls
// ConnectionMade once, DataReceived for each chunk of bytes that arrives,
// and ConnectionLost once when the connection is gone; never two of them at
// the same time (see the package documentation).
type Protocol interface {
	// ConnectionMade is called first, with the transport to write to. The
	// protocol keeps t for its later callbacks.
	ConnectionMade(t Transport)
	// DataReceived is called with bytes from the peer, split wherever the
	// network split them. data is valid only until DataReceived returns:
	// copy what must outlive the call. data may be empty right after
	// ResumeProducing, so that a protocol that buffers input (as
	// LineReceiver does) can go on processing it.
	DataReceived(data []byte)
	// ConnectionLost is called last. reason is ErrConnectionDone when the
	// connection was closed cleanly by either side, and otherwise says what
	// happened (ErrConnectionAborted, ErrIdleTimeout, ErrWriteBufferFull, a
	// network error...); it is never nil. Test it with errors.Is.
	ConnectionLost(reason error)
}

// Factory builds a Protocol for each connection (Twisted's Factory).
// BuildProtocol is called from the connection's own goroutine or event
// loop, concurrently for different connections. Returning nil refuses the
// connection: it is closed at once.
type Factory interface {
	BuildProtocol(addr net.Addr) Protocol
}

// FactoryStarter is implemented by factories that want to know when they
// begin serving: StartFactory runs before the first connection is built,
// once per factory however many ports or connectors share it.
type FactoryStarter interface {
	StartFactory()
}

// FactoryStopper is implemented by factories that want to know when they
// are done: StopFactory runs after the last connection of the last port or
// connector using the factory has lost its connection.
type FactoryStopper interface {
	StopFactory()
}

// ClientFactory builds the protocols of outgoing connections made with
// Reactor.Connect, and hears how they end (Twisted's ClientFactory).
type ClientFactory interface {
	Factory
	// ClientConnectionFailed is called when a connection attempt fails;
	// c.Connect() tries again.
	ClientConnectionFailed(c *Connector, err error)
	// ClientConnectionLost is called after the protocol's ConnectionLost
	// when an established connection ends; c.Connect() reconnects.
	ClientConnectionLost(c *Connector, reason error)
}

// FactoryFunc adapts a function to a Factory.
type FactoryFunc func(addr net.Addr) Protocol

// BuildProtocol calls f.
func (f FactoryFunc) BuildProtocol(addr net.Addr) Protocol { return f(addr) }

// Producer is something whose output can be paused (Twisted's
// IPushProducer). Every Transport is one: pausing it stops delivery of
// incoming data.
type Producer interface {
	// PauseProducing asks the producer to stop producing until
	// ResumeProducing.
	PauseProducing()
	// ResumeProducing undoes PauseProducing.
	ResumeProducing()
	// StopProducing asks the producer to stop for good.
	StopProducing()
}

// Transport is a protocol's connection (Twisted's ITransport). All methods
// are safe to call from any goroutine, never block, and never call back
// into the protocol before they return.
type Transport interface {
	// Write queues p to be sent and returns len(p), nil; p may be reused as
	// soon as Write returns. After LoseConnection, AbortConnection or the
	// end of the connection it returns 0, ErrNotConnected and sends
	// nothing. A write that would take the write buffer past the
	// MaxWriteBuffer option aborts the connection with ErrWriteBufferFull.
	// Transport is an io.Writer, so fmt.Fprintf(t, ...) works.
	Write(p []byte) (int, error)
	// WriteSequence writes each slice in order, as one Write of their
	// concatenation.
	WriteSequence(ps [][]byte)
	// LoseConnection closes the connection once everything written so far
	// has been sent. Reading stops at once; ConnectionLost follows with
	// ErrConnectionDone.
	LoseConnection()
	// AbortConnection closes the connection at once, dropping what was not
	// sent yet; ConnectionLost follows with ErrConnectionAborted.
	AbortConnection()
	// GetPeer returns the remote address.
	GetPeer() net.Addr
	// GetHost returns the local address.
	GetHost() net.Addr
	// CallLater runs fn after d as one of this connection's callbacks: never
	// concurrently with the others, and never after ConnectionLost (calls
	// still pending then are cancelled).
	CallLater(d time.Duration, fn func()) *DelayedCall
	// RegisterProducer makes p follow this transport's write buffer: it is
	// paused while the buffer is above the high-water mark, resumed when it
	// has drained, and stopped when the connection ends. One producer at a
	// time; a new one replaces the old.
	RegisterProducer(p Producer)
	// UnregisterProducer forgets the registered producer.
	UnregisterProducer()
	// Producer: PauseProducing stops the delivery of incoming data until
	// ResumeProducing; StopProducing is LoseConnection.
	Producer
}
