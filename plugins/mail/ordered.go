package mail

import (
	"strconv"
	"sync"
)

// option is one occurrence of a domain option on the command line.
type option struct {
	name  string // flag name: flagDomain, flagUser, ...
	value string // its argument; "" for -D and -b
}

// ordered records the domain options in the order they were given. The
// flag package calls Set once per occurrence, in command-line order; a
// StringSlice per flag would lose how -u and -d interleave.
type ordered struct {
	mu   sync.Mutex
	opts []option
}

// take returns what was recorded and forgets it, so that parsing the same
// flags again starts empty.
func (o *ordered) take() []option {
	o.mu.Lock()
	defer o.mu.Unlock()
	out := o.opts
	o.opts = nil
	return out
}

func (o *ordered) add(name, value string) {
	o.mu.Lock()
	o.opts = append(o.opts, option{name, value})
	o.mu.Unlock()
}

// value returns a flag.Value that takes an argument.
func (o *ordered) value(name string) *orderedValue {
	return &orderedValue{o: o, name: name}
}

// flag returns a flag.Value that takes none (a boolean switch).
func (o *ordered) flag(name string) *orderedSwitch {
	return &orderedSwitch{orderedValue{o: o, name: name}}
}

type orderedValue struct {
	o    *ordered
	name string
}

// aliasCopy is what Serialize returns. After parsing, urfave/cli copies a
// flag's value to its other names by calling Set(Serialize()); that copy
// must not count as another occurrence.
const aliasCopy = "\x00alias-copy"

func (v *orderedValue) Set(s string) error {
	if s != aliasCopy {
		v.o.add(v.name, s)
	}
	return nil
}

func (v *orderedValue) String() string    { return "" }
func (v *orderedValue) Serialize() string { return aliasCopy }

type orderedSwitch struct{ orderedValue }

// IsBoolFlag makes the flag package accept the option without an argument.
func (v *orderedSwitch) IsBoolFlag() bool { return true }

func (v *orderedSwitch) Set(s string) error {
	if s == aliasCopy {
		return nil
	}
	on, err := strconv.ParseBool(s)
	if err != nil {
		return err
	}
	if on {
		v.o.add(v.name, "")
	}
	return nil
}
