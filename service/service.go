// Package service defines the service tree that gotwistd runs: the Service
// contract every plugin implements, and Multi, an ordered collection of named
// children (Twisted's MultiService, with rollback on failed starts and one
// deadline for the whole stop).
//
// A run goes through three calls on the root of the tree:
//
//	PrivilegedStart(ctx)  bind ports; may still run as root
//	Start(ctx)            begin serving; never blocks
//	Stop(ctx)             stop accepting, drain until ctx ends
//
// Between PrivilegedStart and Start the runner drops privileges, so anything
// that needs root (ports below 1024, root-only directories) happens in
// PrivilegedStart and nowhere else.
package service

import "context"

// Service is one node of the tree. Constructors neither bind nor start
// goroutines: that is what PrivilegedStart and Start are for, so a plugin's
// Make can run (and fail) before the process daemonizes.
type Service interface {
	// Name identifies the service among its siblings and prefixes its log
	// lines; it never changes.
	Name() string
	// PrivilegedStart binds what the service listens on. It runs before
	// privileges are dropped, in tree order.
	PrivilegedStart(ctx context.Context) error
	// Start begins serving in goroutines and returns; an error aborts the
	// whole start-up.
	Start(ctx context.Context) error
	// Stop stops accepting work and drains what is in flight until ctx ends.
	// It must be safe after a failed or absent Start, and when called twice.
	Stop(ctx context.Context) error
}

// StopBeginner is implemented by services whose stop has a quick synchronous
// part: logging that the stop began, closing listeners. Multi calls BeginStop
// on its children one after another in reverse order, and only then runs
// their Stops concurrently, so the first lines of a stop come out in a
// stable order (Twisted's stopService calls, each returning a Deferred).
// Stop must also work when BeginStop was never called.
type StopBeginner interface {
	BeginStop()
}

// Reloader is implemented by services that can re-read their configuration
// in place. The runner calls Reload on SIGHUP; listeners are kept, since
// once privileges are gone a port below 1024 cannot be bound again.
type Reloader interface {
	Reload(ctx context.Context) error
}

// Binder is implemented by services that bind endpoints. Binds returns
// their canonical endpoint strings, known before anything is bound, so that
// the runner can refuse two services of one process on the same port
// before it binds either.
type Binder interface {
	Binds() []string
}

// Binds returns the endpoints s and its descendants bind, in tree order.
func Binds(s Service) []string {
	var out []string
	if b, ok := s.(Binder); ok {
		out = append(out, b.Binds()...)
	}
	if c, ok := s.(collection); ok {
		for _, child := range c.Services() {
			out = append(out, Binds(child)...)
		}
	}
	return out
}
