// Package reactor is Twisted's protocol programming model in Go: a
// Factory builds one Protocol per connection, the reactor calls the
// protocol's ConnectionMade, DataReceived and ConnectionLost, and the
// protocol answers through its Transport. LineReceiver and
// Int32StringReceiver turn the byte stream into lines or length-prefixed
// strings; CallLater schedules work.
//
// # Reactors
//
// Two reactors run the same protocol code unchanged:
//
//   - "netpoll" (the default): Go's runtime netpoller, one goroutine per
//     connection. Serves every stream endpoint (tcp, tcp6, unix, ssl,
//     systemd).
//   - "gnet": event loops on epoll/kqueue (github.com/panjf2000/gnet/v2),
//     one per CPU, no goroutine per connection: for very many mostly idle
//     connections. gnet binds its own sockets, so it serves tcp and tcp6
//     only; other endpoints are an error when the service is made.
//
// A plugin serves a factory with NewService, which returns a
// service.Service that binds in PrivilegedStart, serves in Start, stops
// accepting in BeginStop and drains in Stop.
//
// # Concurrency
//
// The callbacks of one connection never run concurrently: ConnectionMade,
// DataReceived, ConnectionLost and the functions given to its Transport's
// CallLater run one at a time, in that order, each seeing the effects of
// the ones before. ConnectionLost is called exactly once and is the last
// callback. A protocol's own fields therefore need no lock.
//
// Callbacks of different connections do run concurrently (on different
// goroutines under netpoll, on different event loops under gnet). State a
// factory shares between its connections must be guarded by the factory,
// typically with a sync.Mutex held for the length of each access; see the
// chat example. Transport methods never block and never call back into a
// protocol synchronously, so they may be called with such a lock held and
// from any goroutine (writing to every member of a chat room from one
// member's DataReceived is the normal case). The one exception is a
// Producer registered with RegisterProducer: Write calls its
// PauseProducing when the write buffer passes the high-water mark.
//
// Callbacks should return quickly: under gnet a slow callback stalls every
// connection of its event loop. Long work belongs in a goroutine that
// reports back with Write or with the transport's CallLater.
//
// # Flow control and memory
//
// Write never blocks: it copies the bytes into the connection's write
// buffer. While that buffer holds more than the high-water mark (64 KiB by
// default), the transport stops reading from the peer and pauses the
// registered producer; both resume once the buffer has drained. A Write
// that would take the buffer past MaxWriteBuffer (4 MiB by default) aborts
// the connection with ErrWriteBufferFull instead of growing it, so a peer
// that never reads costs a bounded amount of memory whatever the protocol
// does. Under netpoll the connection's goroutine also sends what its own
// callbacks wrote before it reads again, so reading stops as soon as the
// kernel's buffers toward a peer that does not read are full.
// PauseProducing and ResumeProducing on a Transport stop and restart
// delivery of incoming data (Twisted's IPushProducer).
//
// gnet has no call to stop reading a socket. On Linux the gnet reactor
// takes a paused connection out of its event loop's epoll read set itself
// (with gnet's epoll descriptor, found by reflection in the gnet version
// go.mod pins; a test fails if an upgrade moves it), so TCP pushes back on
// the peer as it does under netpoll. Where that is not possible, gnet
// keeps what the peer sends in its own buffer, and a connection that
// accumulates more than MaxPausedRead (1 MiB by default) that way is
// aborted with ErrReadBufferFull.
package reactor
