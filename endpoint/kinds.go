package endpoint

import (
	"strconv"
	"strings"
)

// kind is one endpoint type: its name, its parameters in positional order
// and the function that turns the filled parameters into an Endpoint.
// Defaults live in the build functions, next to the typed values.
type kind struct {
	name   string
	params []string
	build  func(a *args) (Endpoint, error)
}

// kinds is the table of endpoint types (Twisted's _serverParsers). Parameter
// orders are Twisted's: note that the second positional of tcp6 is backlog
// but that of tcp is interface.
var kinds = []*kind{
	{"tcp", []string{"port", "interface", "backlog"}, func(a *args) (Endpoint, error) { return buildTCP(a, false) }},
	{"tcp6", []string{"port", "backlog", "interface"}, func(a *args) (Endpoint, error) { return buildTCP(a, true) }},
	{"udp", []string{"port", "interface"}, buildUDP},
	{"unix", []string{"address", "mode", "backlog", "lockfile"}, buildUnix},
	{"ssl", []string{"port", "privateKey", "certKey", "sslmethod", "interface", "backlog", "extraCertChain", "dhParameters"}, buildTLS},
	{"systemd", []string{"domain", "index"}, buildSystemd},
}

// aliases maps other accepted kind names to a kind in the table.
var aliases = map[string]string{"tls": "ssl"}

// kindNames lists the accepted kind names for error hints.
func kindNames() []string {
	var names []string
	for _, k := range kinds {
		names = append(names, k.name)
		for a, to := range aliases {
			if to == k.name {
				names = append(names, a)
			}
		}
	}
	return names
}

// lookupKind finds the kind named by pos[0], case-insensitively, and returns
// the remaining positional values. A bare number is a tcp port.
func lookupKind(pos []string) (*kind, []string, error) {
	name := pos[0]
	if name != "" && strings.Trim(name, "0123456789") == "" {
		return kinds[0], pos, nil
	}
	lower := strings.ToLower(name)
	if a, ok := aliases[lower]; ok {
		lower = a
	}
	for _, k := range kinds {
		if k.name == lower {
			return k, pos[1:], nil
		}
	}
	switch {
	case name == "":
		return nil, nil, bad("kind", "the kind is empty; start with one of %s, e.g. tcp:8080", list(kindNames()))
	case lower == "stdio" || lower == "haproxy":
		return nil, nil, bad("kind", "kind %s is a Twisted endpoint that gotwistd does not support; use one of %s", quote(name), list(kindNames()))
	}
	return nil, nil, bad("kind", "kind %s is unknown; use one of %s", quote(name), list(kindNames()))
}

// args holds the raw values given for one kind's parameters.
type args struct {
	kind string
	vals map[string]string
}

// assign fills parameters from positional values (in declared order) and
// keywords (by name, the last one winning), refusing what Twisted's Python
// call would refuse: too many positionals, unknown or empty keywords and a
// parameter given both ways.
func (k *kind) assign(pos []string, kw []field) (*args, error) {
	if len(pos) > len(k.params) {
		extra := pos[len(k.params)]
		return nil, bad(extra, "too many positional fields: %s takes %s, so %s is one too many%s", k.name, list(k.params), quote(extra), ipv6Hint(kw))
	}
	a := &args{kind: k.name, vals: map[string]string{}}
	for i, v := range pos {
		a.vals[k.params[i]] = v
	}
	for _, f := range kw {
		if f.key == "" {
			return nil, bad("="+f.value, "the field %s has an empty keyword before '='; write NAME=VALUE, or \\= for a literal '='", quote("="+f.value))
		}
		i := k.index(f.key)
		if i < 0 {
			hint := ""
			for _, p := range k.params {
				if strings.EqualFold(p, f.key) {
					hint = "; did you mean " + p + "?"
				}
			}
			return nil, bad(f.key, "keyword %s is unknown for %s (it takes %s)%s", quote(f.key), k.name, list(k.params), hint)
		}
		if i < len(pos) {
			return nil, bad(f.key, "%s is given twice, by position and as %s=; keep one%s", f.key, f.key, ipv6Hint(kw))
		}
		a.vals[f.key] = f.value
	}
	return a, nil
}

// ipv6Hint explains the usual cause of surplus fields: an IPv6 interface
// whose colons were not escaped (interface=::1 splits into "", "", "1").
func ipv6Hint(kw []field) string {
	for _, f := range kw {
		if f.key == "interface" && strings.Trim(strings.ToLower(f.value), "0123456789abcdef") == "" {
			return `; IPv6 addresses need their colons escaped, e.g. interface=\:\:1`
		}
	}
	return ""
}

func (k *kind) index(param string) int {
	for i, p := range k.params {
		if p == param {
			return i
		}
	}
	return -1
}

// get returns the value given for name, or def when it was not given.
func (a *args) get(name, def string) string {
	if v, ok := a.vals[name]; ok {
		return v
	}
	return def
}

// required returns the value given for name or an error saying how to give it.
func (a *args) required(name, example string) (string, error) {
	v, ok := a.vals[name]
	if !ok {
		return "", bad(name, "%s is missing; write e.g. %s", name, example)
	}
	return v, nil
}

// port parses a port number 0-65535; 0 asks the kernel to pick one.
func (a *args) port() (int, error) {
	v, err := a.required("port", a.kind+":8080")
	if err != nil {
		return 0, err
	}
	n, err := strconv.Atoi(v)
	if err != nil && !isRange(err) {
		return 0, bad("port", "port %s is not a number", quote(v))
	}
	if err != nil || n < 0 || n > 65535 {
		return 0, bad("port", "port %s is out of range 0-65535", v)
	}
	return n, nil
}

// count parses a whole number >= 0 (backlog, index).
func (a *args) count(name string, def int) (int, error) {
	v, ok := a.vals[name]
	if !ok {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 || n > 1<<31-1 {
		return 0, bad(name, "%s %s is not a whole number >= 0", name, quote(v))
	}
	return n, nil
}

func isRange(err error) bool {
	ne, ok := err.(*strconv.NumError)
	return ok && ne.Err == strconv.ErrRange
}

// defaultBacklog is Twisted's listen backlog. Go cannot pass a backlog to
// listen(2): it always uses the kernel's somaxconn, so backlog is checked
// and kept in String but has no effect.
const defaultBacklog = 50
