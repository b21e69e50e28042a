package service

import (
	"context"
	"errors"
	"fmt"
	"sync"
)

// phase records how far a Multi has come; a stopped Multi is not reused.
type phase int

const (
	idle phase = iota
	privileged
	running
	stopped
)

// Multi holds named children in insertion order and runs them as one
// service: both start phases go through the children in order, a stop goes
// through them in reverse, concurrently, under one deadline.
//
// Unlike Twisted's MultiService, a child that fails to start makes Multi stop
// the children it had already started (in reverse) before it returns the
// error, and the error names the child by its path in the tree.
type Multi struct {
	name string

	mu       sync.Mutex
	children []Service
	phase    phase

	beginOnce sync.Once
	stopOnce  sync.Once
	stopErr   error
}

// NewMulti returns an empty collection called name.
func NewMulti(name string) *Multi {
	return &Multi{name: name}
}

// Name returns the name given to NewMulti.
func (m *Multi) Name() string { return m.name }

// Add appends s. A name that a sibling already has is an error. If the
// Multi is already running, s is started at once, both phases.
func (m *Multi) Add(s Service) error {
	if s == nil {
		return errors.New("service: Add of a nil service")
	}
	if s.Name() == "" {
		return fmt.Errorf("service: a child of %q has an empty name", m.name)
	}
	m.mu.Lock()
	for _, c := range m.children {
		if c.Name() == s.Name() {
			m.mu.Unlock()
			return fmt.Errorf("service: %q already has a child named %q", m.name, s.Name())
		}
	}
	m.children = append(m.children, s)
	p := m.phase
	m.mu.Unlock()

	ctx := context.Background()
	if p >= privileged && p < stopped {
		if err := s.PrivilegedStart(ctx); err != nil {
			m.forget(s)
			return wrap("privileged start", s, err)
		}
	}
	if p == running {
		if err := s.Start(ctx); err != nil {
			_ = s.Stop(ctx)
			m.forget(s)
			return wrap("start", s, err)
		}
	}
	return nil
}

// Remove takes the child called name out of the collection, stopping it
// first if the Multi is running.
func (m *Multi) Remove(ctx context.Context, name string) error {
	s, ok := m.Lookup(name)
	if !ok {
		return fmt.Errorf("service: %q has no child named %q", m.name, name)
	}
	m.forget(s)
	m.mu.Lock()
	p := m.phase
	m.mu.Unlock()
	if p == privileged || p == running {
		if b, ok := s.(StopBeginner); ok {
			b.BeginStop()
		}
		return wrap("stop", s, s.Stop(ctx))
	}
	return nil
}

func (m *Multi) forget(s Service) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for i, c := range m.children {
		if c == s {
			m.children = append(m.children[:i:i], m.children[i+1:]...)
			return
		}
	}
}

// Lookup returns the child called name.
func (m *Multi) Lookup(name string) (Service, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, c := range m.children {
		if c.Name() == name {
			return c, true
		}
	}
	return nil, false
}

// Services returns the children in insertion order; the slice is a copy.
func (m *Multi) Services() []Service {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]Service(nil), m.children...)
}

// PrivilegedStart runs every child's PrivilegedStart in order. If one fails,
// the children before it are stopped, in reverse, and the error names it.
func (m *Multi) PrivilegedStart(ctx context.Context) error {
	children := m.Services()
	for i, c := range children {
		if err := c.PrivilegedStart(ctx); err != nil {
			stopAll(ctx, children[:i])
			m.setPhase(stopped)
			return wrap("privileged start", c, err)
		}
	}
	m.setPhase(privileged)
	return nil
}

// Start runs every child's Start in order, after the privileged phase (run
// here if nobody ran it). If one fails, every child is stopped, in reverse,
// and the error names the one that failed.
func (m *Multi) Start(ctx context.Context) error {
	m.mu.Lock()
	p := m.phase
	m.mu.Unlock()
	if p == idle {
		if err := m.PrivilegedStart(ctx); err != nil {
			return err
		}
	}
	children := m.Services()
	for _, c := range children {
		if err := c.Start(ctx); err != nil {
			stopAll(ctx, children)
			m.setPhase(stopped)
			return wrap("start", c, err)
		}
	}
	m.setPhase(running)
	return nil
}

func (m *Multi) setPhase(p phase) {
	m.mu.Lock()
	m.phase = p
	m.mu.Unlock()
}

// BeginStop calls BeginStop on the children that have one, in reverse order,
// one after another. It runs once; Stop calls it if nobody did.
func (m *Multi) BeginStop() {
	m.beginOnce.Do(func() {
		children := m.Services()
		for i := len(children) - 1; i >= 0; i-- {
			if b, ok := children[i].(StopBeginner); ok {
				b.BeginStop()
			}
		}
	})
}

// Stop begins the stop of every child in reverse order without waiting
// between them, then waits for all of them until ctx ends. Children still
// stopping then are named in a *StuckError (by their path, when a nested
// Multi knows which of its own children is stuck). A second Stop returns
// the first one's result.
func (m *Multi) Stop(ctx context.Context) error {
	m.stopOnce.Do(func() { m.stopErr = m.stop(ctx) })
	return m.stopErr
}

func (m *Multi) stop(ctx context.Context) error {
	m.setPhase(stopped)
	m.BeginStop()
	children := m.Services()
	type result struct {
		i   int
		err error
	}
	done := make(chan result, len(children))
	for i := len(children) - 1; i >= 0; i-- {
		go func(i int, c Service) {
			done <- result{i, c.Stop(ctx)}
		}(i, children[i])
	}

	pending := make(map[int]bool, len(children))
	for i := range children {
		pending[i] = true
	}
	var errs []error
	stuck := make([][]string, len(children)) // by child, to report in tree order
	collect := func(r result) {
		delete(pending, r.i)
		var se *StuckError
		if errors.As(r.err, &se) {
			for _, p := range se.Paths {
				stuck[r.i] = append(stuck[r.i], children[r.i].Name()+"/"+p)
			}
			return
		}
		if r.err != nil {
			errs = append(errs, wrap("stop", children[r.i], r.err))
		}
	}
	for len(pending) > 0 {
		select {
		case r := <-done:
			collect(r)
		case <-ctx.Done():
			// A nested collection (a Multi, or a type embedding one)
			// watches the same ctx and returns at once naming its own
			// stuck children; wait for those, give up on leaves.
			for i := range pending {
				if _, ok := children[i].(collection); !ok {
					stuck[i] = []string{children[i].Name()}
					delete(pending, i)
				}
			}
			for len(pending) > 0 {
				collect(<-done)
			}
		}
	}
	var paths []string
	for _, p := range stuck {
		paths = append(paths, p...)
	}
	if len(paths) > 0 {
		errs = append(errs, &StuckError{Paths: paths})
	}
	return errors.Join(errs...)
}

// Reload calls Reload on every child that has one, in order, and joins the
// errors; a child that cannot reload does not stop the others.
func (m *Multi) Reload(ctx context.Context) error {
	var errs []error
	for _, c := range m.Services() {
		if r, ok := c.(Reloader); ok {
			if err := r.Reload(ctx); err != nil {
				errs = append(errs, wrap("reload", c, err))
			}
		}
	}
	return errors.Join(errs...)
}

// collection is what a nested Multi, or a type embedding one, offers.
type collection interface {
	Services() []Service
}

// stopAll stops services in reverse order, for rolling back a failed start.
func stopAll(ctx context.Context, ss []Service) {
	for i := len(ss) - 1; i >= 0; i-- {
		if b, ok := ss[i].(StopBeginner); ok {
			b.BeginStop()
		}
		_ = ss[i].Stop(ctx)
	}
}

var (
	_ Service      = (*Multi)(nil)
	_ StopBeginner = (*Multi)(nil)
	_ Reloader     = (*Multi)(nil)
)
