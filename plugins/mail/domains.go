package mail

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync/atomic"
)

// domainTable holds the local domains, built once by Make and never
// changed afterwards except for each domain's aliases (swapped whole).
type domainTable struct {
	byName map[string]*domain // lower-case name
	list   []*domain          // in command-line order
	def    *domain            // -D: receives mail for every other domain
}

// domain is one -d NAME=DIR: its users' Maildirs live in DIR/USER.
type domain struct {
	name       string
	dir        string
	users      map[string]*account        // by lower-case local part
	aliasFile  string                     // -A, absolute; "" when none
	aliases    atomic.Pointer[aliasTable] // swapped whole on SIGHUP
	postmaster bool                       // -b: unknown users go to postmaster
}

// account is one -u USER=PASS of a domain.
type account struct {
	local  string // lower-case
	domain *domain
	secret secret
	box    *maildir
}

// address returns user@domain.
func (a *account) address() string { return a.local + "@" + a.domain.name }

// eachMaildir calls fn for every user's Maildir.
func (t *domainTable) eachMaildir(fn func(*maildir)) {
	for _, d := range t.list {
		for _, a := range d.users {
			fn(a.box)
		}
	}
}

// readDomains applies -d, -u, -A, -D and -b in command-line order: each of
// the last four belongs to the -d before it, as in twistd.
func readDomains(opts []option) (*domainTable, error) {
	t := &domainTable{byName: map[string]*domain{}}
	var last *domain
	for _, o := range opts {
		if o.name != flagDomain && last == nil {
			return nil, fmt.Errorf("--%s must follow a -d/--%s NAME=DIR", o.name, flagDomain)
		}
		switch o.name {
		case flagDomain:
			d, err := parseDomain(o.value)
			if err != nil {
				return nil, err
			}
			if t.byName[d.name] != nil {
				return nil, fmt.Errorf("--%s %s: domain given twice", flagDomain, d.name)
			}
			t.byName[d.name] = d
			t.list = append(t.list, d)
			last = d
		case flagUser:
			if err := last.addUser(o.value); err != nil {
				return nil, err
			}
		case flagAliases:
			if last.aliasFile != "" {
				return nil, fmt.Errorf("--%s: domain %s has aliases already", flagAliases, last.name)
			}
			a, err := loadAliases(o.value)
			if err != nil {
				return nil, fmt.Errorf("--%s: %w", flagAliases, err)
			}
			last.aliasFile = a.file
			last.aliases.Store(a)
		case flagDefault:
			t.def = last
		case flagBounce:
			last.postmaster = true
		}
	}
	return t, nil
}

func parseDomain(arg string) (*domain, error) {
	name, dir, ok := strings.Cut(arg, "=")
	if !ok || name == "" || dir == "" {
		return nil, fmt.Errorf("--%s %q: must be NAME=DIR", flagDomain, arg)
	}
	name = strings.TrimSuffix(strings.ToLower(name), ".")
	if strings.ContainsAny(name, "@/ \t<>[]") || name == "" {
		return nil, fmt.Errorf("--%s %q: %q is not a domain name", flagDomain, arg, name)
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("--%s %q: %v", flagDomain, arg, err)
	}
	return &domain{name: name, dir: abs, users: map[string]*account{}}, nil
}

func (d *domain) addUser(arg string) error {
	user, pass, ok := strings.Cut(arg, "=")
	if !ok {
		return fmt.Errorf("--%s: must be USER=PASSWORD", flagUser)
	}
	user = strings.ToLower(user)
	if err := checkLocalPart(user); err != nil {
		return fmt.Errorf("--%s %q: %v", flagUser, user, err)
	}
	if d.users[user] != nil {
		return fmt.Errorf("--%s %s: user given twice for %s", flagUser, user, d.name)
	}
	sec, err := parseSecret(pass)
	if err != nil {
		return fmt.Errorf("--%s %s: %v", flagUser, user, err)
	}
	a := &account{local: user, domain: d, secret: sec}
	a.box = newMaildir(filepath.Join(d.dir, user))
	d.users[user] = a
	return nil
}

// checkLocalPart refuses user names that would not make a safe directory
// name or a plain address.
func checkLocalPart(u string) error {
	switch {
	case u == "":
		return errors.New("empty user name")
	case u[0] == '.' || u[0] == '-':
		return errors.New("a user name must not start with '.' or '-'")
	case len(u) > 64:
		return errors.New("a user name has at most 64 characters")
	}
	for _, r := range u {
		if r <= ' ' || r == 0x7f || strings.ContainsRune(`/\@:<>"(),;[]`, r) {
			return fmt.Errorf("character %q is not allowed in a user name", r)
		}
	}
	return nil
}

// local returns the domain that receives mail for name: the domain itself,
// or the -D default for any name not listed; nil means remote.
func (t *domainTable) local(name string) *domain {
	if d := t.byName[name]; d != nil {
		return d
	}
	return t.def
}

// login finds the account a POP3 or AUTH name means: "user@domain", or a
// bare "user" when it names a user of exactly one domain.
func (t *domainTable) login(name string) *account {
	name = strings.ToLower(name)
	if u, dom, ok := cutAt(name); ok {
		if d := t.byName[dom]; d != nil {
			return d.users[u]
		}
		return nil
	}
	var found *account
	for _, d := range t.list {
		if a := d.users[name]; a != nil {
			if found != nil {
				return nil // ambiguous: the domain must be given
			}
			found = a
		}
	}
	return found
}

// accounts returns every account, domains in command-line order.
func (t *domainTable) accounts() []*account {
	var out []*account
	for _, d := range t.list {
		for _, a := range d.users {
			out = append(out, a)
		}
	}
	return out
}

// checkRemoteAliases refuses aliases to other domains when there is no
// relay queue to send them through: such mail could never be delivered.
func (t *domainTable) checkRemoteAliases(haveQueue bool) error {
	if haveQueue {
		return nil
	}
	for _, d := range t.list {
		if a := d.aliases.Load(); a != nil {
			if err := t.checkAliasTable(a); err != nil {
				return err
			}
		}
	}
	return nil
}

func (t *domainTable) checkAliasTable(a *aliasTable) error {
	for _, name := range a.names() {
		for _, tg := range a.targets(name) {
			if tg.kind != targetAddress {
				continue
			}
			if _, dom, ok := cutAt(tg.value); ok && t.local(dom) == nil {
				return fmt.Errorf("--%s %s: alias %s sends to %s, another domain: that needs -R/--%s", flagAliases, a.file, name, tg.value, flagRelay)
			}
		}
	}
	return nil
}

// reloadAliases reads every -A file again; a file that no longer reads or
// checks keeps its old contents in force, and the error says so.
func (t *domainTable) reloadAliases(haveQueue bool) error {
	var errs []error
	for _, d := range t.list {
		if d.aliasFile == "" {
			continue
		}
		a, err := loadAliases(d.aliasFile)
		if err == nil && !haveQueue {
			err = t.checkAliasTable(a)
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("aliases of %s not reloaded: %w", d.name, err))
			continue
		}
		d.aliases.Store(a)
	}
	return errors.Join(errs...)
}

// cutAt splits an address at its last '@'.
func cutAt(addr string) (local, domain string, ok bool) {
	i := strings.LastIndexByte(addr, '@')
	if i < 0 {
		return addr, "", false
	}
	return addr[:i], addr[i+1:], true
}
