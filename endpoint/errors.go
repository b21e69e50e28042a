package endpoint

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode"
)

// ParseError is the error Parse returns for every string it refuses, and the
// error TLS.Reload returns when a file went bad. It is one line meant for a
// person: Error() gives
//
//	endpoint "tcp:abc": port "abc" is not a number
//
// The string is quoted as written, backslashes and all, so that it can be
// found in a command line or a configuration file.
type ParseError struct {
	// Desc is the whole endpoint string as given.
	Desc string
	// Field names what is at fault: a parameter ("port", "interface"),
	// "kind", an unknown keyword, an extra positional value, or `\` for a
	// dangling escape. Tests and callers may compare it.
	Field string
	// Reason is one clause that names Field, says what is wrong and, where
	// it helps, what to write instead.
	Reason string
}

func (e *ParseError) Error() string {
	return "endpoint " + quote(e.Desc) + ": " + e.Reason
}

// ErrDatagramOnly is wrapped by the error a UDP endpoint's Listen returns:
// udp has no stream listener; use ListenPacket.
var ErrDatagramOnly = errors.New("udp is datagram-only and has no stream listener")

// bad returns a ParseError without Desc; Parse fills it in on the way out.
func bad(field, format string, a ...any) *ParseError {
	return &ParseError{Field: field, Reason: fmt.Sprintf(format, a...)}
}

// withDesc fills in Desc of a ParseError made by bad and passes other
// errors through.
func withDesc(desc string, err error) error {
	var pe *ParseError
	if errors.As(err, &pe) && pe.Desc == "" {
		pe.Desc = desc
	}
	return err
}

// listenError wraps a bind error from package net (which already names the
// network, the address and the OS reason) with the endpoint string.
func listenError(e Endpoint, err error) error {
	return fmt.Errorf("endpoint %s: %w", quote(e.String()), err)
}

// quote puts s in double quotes without doubling backslashes, so that an
// endpoint string reads as the user typed it; strings holding quotes or
// unprintable characters fall back to Go quoting.
func quote(s string) string {
	for _, r := range s {
		if r == '"' || !unicode.IsPrint(r) {
			return strconv.Quote(s)
		}
	}
	return `"` + s + `"`
}

// list joins names for "valid: a, b, c" hints.
func list(names []string) string { return strings.Join(names, ", ") }
