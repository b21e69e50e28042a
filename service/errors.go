package service

import (
	"errors"
	"fmt"
	"strings"
)

// Error says which service of a tree failed, and in which phase. Path is the
// service's name within the tree, parents first ("m/m1").
type Error struct {
	Path string
	Op   string // "privileged start", "start", "stop" or "reload"
	Err  error
}

func (e *Error) Error() string {
	return fmt.Sprintf("service %s: %s: %v", e.Path, e.Op, e.Err)
}

func (e *Error) Unwrap() error { return e.Err }

// StuckError reports the services whose Stop had not returned when the stop
// deadline passed.
type StuckError struct {
	Paths []string
}

func (e *StuckError) Error() string {
	return fmt.Sprintf("did not stop before the shutdown deadline: %s", strings.Join(e.Paths, ", "))
}

// wrap names child in err. An error that a nested Multi already named gets
// the child's name in front of its path, so the root reports "m/m1".
func wrap(op string, child Service, err error) error {
	if err == nil {
		return nil
	}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		var errs []error
		for _, e := range j.Unwrap() {
			errs = append(errs, wrap(op, child, e))
		}
		return errors.Join(errs...)
	}
	if e, ok := err.(*Error); ok {
		return &Error{Path: child.Name() + "/" + e.Path, Op: e.Op, Err: e.Err}
	}
	return &Error{Path: child.Name(), Op: op, Err: err}
}
