package reactor

import (
	"fmt"
	"log/slog"
	"time"

	"github.com/gotwistd/gotwistd/endpoint"
)

// Defaults of the connection limits.
const (
	DefaultWriteHighWater = 64 << 10
	DefaultMaxWriteBuffer = 4 << 20
	DefaultMaxPausedRead  = 1 << 20
	// readBufferSize is what one read asks the kernel for. Under netpoll
	// the buffer is taken from a pool only once data is there, so an idle
	// connection holds none.
	readBufferSize = 64 << 10
)

// Options tunes connections and services. The zero value means the
// defaults; set fields with the With... functions.
type Options struct {
	// IdleTimeout closes a connection after this long without a byte
	// received or sent (0, the default: never). The reason is
	// ErrIdleTimeout.
	IdleTimeout time.Duration
	// WriteHighWater is the write buffer size above which the transport
	// stops reading and pauses its producer (default 64 KiB).
	WriteHighWater int
	// MaxWriteBuffer is the most a write buffer may hold; a Write past it
	// aborts the connection with ErrWriteBufferFull (default 4 MiB).
	MaxWriteBuffer int
	// MaxPausedRead (gnet) is the most a paused connection may take in,
	// when it cannot be taken out of the poller, before it is aborted with
	// ErrReadBufferFull (default 1 MiB).
	MaxPausedRead int
	// EventLoops (gnet) is the number of event loops (default: one per
	// CPU).
	EventLoops int
	// EndpointEnv is handed to Endpoint.Listen (systemd sockets); default
	// empty.
	EndpointEnv *endpoint.Env
	// Fail, when set, is called if a service stops serving by itself (its
	// listener or event loop failed), so the process can stop instead of
	// running on without it. runner.Env.Fail fits.
	Fail func(error)
}

// Option sets one field of Options.
type Option func(*Options)

// WithIdleTimeout sets Options.IdleTimeout.
func WithIdleTimeout(d time.Duration) Option { return func(o *Options) { o.IdleTimeout = d } }

// WithWriteHighWater sets Options.WriteHighWater.
func WithWriteHighWater(n int) Option { return func(o *Options) { o.WriteHighWater = n } }

// WithMaxWriteBuffer sets Options.MaxWriteBuffer.
func WithMaxWriteBuffer(n int) Option { return func(o *Options) { o.MaxWriteBuffer = n } }

// WithMaxPausedRead sets Options.MaxPausedRead.
func WithMaxPausedRead(n int) Option { return func(o *Options) { o.MaxPausedRead = n } }

// WithEventLoops sets Options.EventLoops.
func WithEventLoops(n int) Option { return func(o *Options) { o.EventLoops = n } }

// WithEndpointEnv sets Options.EndpointEnv; pass runner.Env.EndpointEnv().
func WithEndpointEnv(e *endpoint.Env) Option { return func(o *Options) { o.EndpointEnv = e } }

// WithFail sets Options.Fail; pass runner.Env.Fail.
func WithFail(fn func(error)) Option { return func(o *Options) { o.Fail = fn } }

// buildOptions applies opts over the defaults and checks the result.
func buildOptions(opts []Option) (*Options, error) {
	o := &Options{}
	for _, fn := range opts {
		fn(o)
	}
	if o.WriteHighWater == 0 {
		o.WriteHighWater = DefaultWriteHighWater
	}
	if o.MaxWriteBuffer == 0 {
		o.MaxWriteBuffer = DefaultMaxWriteBuffer
	}
	if o.MaxPausedRead == 0 {
		o.MaxPausedRead = DefaultMaxPausedRead
	}
	if o.EndpointEnv == nil {
		o.EndpointEnv = &endpoint.Env{}
	}
	switch {
	case o.IdleTimeout < 0:
		return nil, fmt.Errorf("reactor: idle timeout %s is negative", o.IdleTimeout)
	case o.WriteHighWater < 0 || o.MaxWriteBuffer < 0 || o.MaxPausedRead < 0 || o.EventLoops < 0:
		return nil, fmt.Errorf("reactor: buffer sizes and event loop counts must not be negative")
	case o.MaxWriteBuffer < o.WriteHighWater:
		return nil, fmt.Errorf("reactor: max write buffer %d is below the high-water mark %d", o.MaxWriteBuffer, o.WriteHighWater)
	}
	return o, nil
}

// discard is the logger used when none is given.
var discard = slog.New(slog.DiscardHandler)
