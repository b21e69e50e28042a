package mail

import (
	"errors"
	"strings"
)

// target is where one copy of a message goes.
type target struct {
	kind targetKind // targetAddress here means a remote address
	acct *account   // for a mailbox (kind targetAddress, acct != nil)
	path string     // file path or program command line
	addr string     // remote address
}

// key identifies a target, so that a message reaches each place once.
func (t target) key() string {
	switch {
	case t.acct != nil:
		return "box:" + t.acct.address()
	case t.kind == targetFile:
		return "file:" + t.path
	case t.kind == targetProgram:
		return "prog:" + t.path
	}
	return "remote:" + t.addr
}

var (
	errNoUser    = errors.New("no such user here")
	errAliasLoop = errors.New("aliases loop without reaching a mailbox")
)

// maxAliasDepth bounds alias chains (a → b → c ...).
const maxAliasDepth = 16

// splitAddress returns the lower-case local part and domain of addr; a
// bare local part (RCPT TO:<postmaster>) belongs to the domain named like
// --hostname, else to the first -d domain.
func (m *mailer) splitAddress(addr string) (string, string) {
	addr = strings.ToLower(addr)
	local, dom, ok := cutAt(addr)
	if !ok {
		dom = m.c.hostname
		if m.domains.byName[dom] == nil && len(m.domains.list) > 0 {
			dom = m.domains.list[0].name
		}
	}
	return local, strings.TrimSuffix(dom, ".")
}

// isLocal reports whether mail for addr stays on this server.
func (m *mailer) isLocal(addr string) bool {
	_, dom := m.splitAddress(addr)
	return m.domains.local(dom) != nil
}

// resolve expands a local address into its targets: the user's mailbox,
// else the alias's targets (recursively), else the postmaster with -b.
// Users come before aliases, as in twistd.
func (m *mailer) resolve(addr string) ([]target, error) {
	seen := map[string]bool{}
	out, err := m.resolveDepth(addr, 0, seen)
	if err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return nil, errAliasLoop
	}
	return out, nil
}

func (m *mailer) resolveDepth(addr string, depth int, seen map[string]bool) ([]target, error) {
	local, dom := m.splitAddress(addr)
	d := m.domains.local(dom)
	if d == nil {
		return []target{{kind: targetAddress, addr: local + "@" + dom}}, nil
	}
	if a := d.users[local]; a != nil {
		return []target{{kind: targetAddress, acct: a}}, nil
	}
	key := local + "@" + d.name
	if seen[key] {
		return nil, nil // a loop: this branch adds nothing
	}
	seen[key] = true
	if a := d.aliases.Load(); a != nil && a.m[local] != nil {
		if depth >= maxAliasDepth {
			return nil, errAliasLoop
		}
		var out []target
		for _, t := range a.m[local] {
			switch t.kind {
			case targetFile, targetProgram:
				out = append(out, target{kind: t.kind, path: t.value})
			case targetAddress:
				next := t.value
				if !strings.Contains(next, "@") {
					next += "@" + d.name
				}
				more, err := m.resolveDepth(next, depth+1, seen)
				if err != nil {
					return nil, err
				}
				out = append(out, more...)
			}
		}
		return out, nil
	}
	if d.postmaster && local != "postmaster" {
		return m.resolveDepth("postmaster@"+d.name, depth+1, seen)
	}
	return nil, errNoUser
}
