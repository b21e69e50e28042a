package runner

import (
	"errors"
	"fmt"
)

// Exit codes of gotwistd. Usage errors are 2 (twistd exits 0 and prints its
// whole help; a script cannot tell that from success).
const (
	ExitOK      = 0
	ExitFailure = 1
	ExitUsage   = 2
)

// ErrDone is what a plugin option's action returns once it has answered
// the command line itself (a --help-auth that prints a list): the program
// then exits 0 without running anything, and without a message.
var ErrDone = errors.New("done")

// usageError is a mistake on the command line: one line on stderr, exit 2.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usageErrorf(format string, a ...any) error {
	return &usageError{fmt.Sprintf(format, a...)}
}

// exitError ends the program with code after printing msg (if any).
type exitError struct {
	code int
	msg  string
}

func (e *exitError) Error() string { return e.msg }

func failf(format string, a ...any) error {
	return &exitError{code: ExitFailure, msg: fmt.Sprintf(format, a...)}
}

// exitCode maps an error from the command line app to an exit status.
func exitCode(err error) int {
	var ue *usageError
	var ee *exitError
	switch {
	case err == nil, errors.Is(err, ErrDone):
		return ExitOK
	case errors.As(err, &ue):
		return ExitUsage
	case errors.As(err, &ee):
		return ee.code
	}
	return ExitFailure
}
