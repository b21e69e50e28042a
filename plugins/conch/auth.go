package conch

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"golang.org/x/crypto/ssh"
)

// loginKey indexes Permissions.ExtraData: the *login an auth callback
// accepted, which the connection then runs its sessions as.
type loginKey struct{}

// login is who logged in, and how.
type login struct {
	acct   *account
	method string // "password" or "publickey"
	detail string // the key's type and fingerprint, for publickey
	opts   keyOptions
}

func loginOf(p *ssh.Permissions) *login {
	if p == nil {
		return nil
	}
	l, _ := p.ExtraData[loginKey{}].(*login)
	return l
}

var errAuth = errors.New("authentication failed")

// authenticator checks passwords and public keys against what --auth
// configured, and logs every failure with the client's address and the
// user or key fingerprint.
type authenticator struct {
	specs       authSpecs
	files       []*authFile
	accounts    *accountDB
	keysPattern string // --authorized-keys
	// onlyUser, when not empty, is the one account that may log in: the
	// one the server runs as when it is not root.
	onlyUser string
	// strict checks the ownership and modes of authorized_keys files.
	strict bool
	log    *slog.Logger
}

// from is "from 127.0.0.1 port 51234" for log lines.
func from(meta ssh.ConnMetadata) string {
	host, port, err := net.SplitHostPort(meta.RemoteAddr().String())
	if err != nil {
		return "from " + meta.RemoteAddr().String()
	}
	return "from " + host + " port " + port
}

func remoteIP(meta ssh.ConnMetadata) netip.Addr {
	if ta, ok := meta.RemoteAddr().(*net.TCPAddr); ok {
		if ip, ok := netip.AddrFromSlice(ta.IP); ok {
			return ip.Unmap()
		}
	}
	return netip.Addr{}
}

// account finds the system account of a login name, applying the
// not-root rule. The reason is for the log line.
func (a *authenticator) account(name string) (*account, string) {
	if a.onlyUser != "" && name != a.onlyUser {
		return nil, "not running as root: only " + a.onlyUser + " may log in"
	}
	acct, err := a.accounts.lookup(name)
	if err != nil {
		if errors.Is(err, errNoAccount) {
			return nil, "no such system account"
		}
		return nil, err.Error()
	}
	return acct, ""
}

// who is "invalid user NAME" for a name without an account (sshd's
// wording), else the name.
func who(name, why string) string {
	if strings.HasPrefix(why, "no such") {
		return "invalid user " + quoteUser(name)
	}
	return quoteUser(name)
}

// password is ssh.ServerConfig.PasswordCallback.
func (a *authenticator) password(meta ssh.ConnMetadata, pw []byte) (*ssh.Permissions, error) {
	name := meta.User()
	acct, why := a.account(name)
	if acct == nil {
		a.log.Warn(fmt.Sprintf("failed password for %s %s: %s", who(name, why), from(meta), why))
		return nil, errAuth
	}
	ok, problems := a.checkPassword(acct, string(pw))
	for _, p := range problems {
		a.log.Warn(fmt.Sprintf("password check for %s: %s", quoteUser(name), p))
	}
	if !ok {
		a.log.Warn(fmt.Sprintf("failed password for %s %s", quoteUser(name), from(meta)))
		return nil, errAuth
	}
	return &ssh.Permissions{ExtraData: map[any]any{loginKey{}: &login{acct: acct, method: "password"}}}, nil
}

// checkPassword tries every configured password source; any match wins
// (twistd lets the last --auth of a kind shadow the others). problems are
// configuration errors worth a log line, such as an unreadable file.
func (a *authenticator) checkPassword(acct *account, pw string) (bool, []string) {
	var problems []string
	if stored, ok := a.specs.memory[acct.Name]; ok {
		if ok, _ := matchStored(stored, pw); ok {
			return true, nil
		}
	}
	for _, f := range a.files {
		stored, ok, err := f.lookup(acct.Name)
		if err != nil {
			problems = append(problems, err.Error())
		}
		if !ok {
			continue
		}
		match, err := matchStored(stored, pw)
		if err != nil {
			problems = append(problems, fmt.Sprintf("%s: %v", f.path, err))
		}
		if match {
			return true, problems
		}
	}
	if a.specs.unix {
		match, err := a.checkUnix(acct, pw)
		if err != nil {
			problems = append(problems, "unix: "+err.Error())
		}
		if match {
			return true, problems
		}
	}
	return false, problems
}

// checkUnix checks pw against the account's crypt hash. Empty, locked
// ('!' or '*') and expired entries never match.
func (a *authenticator) checkUnix(acct *account, pw string) (bool, error) {
	hash, err := a.accounts.shadowHash(acct)
	if err != nil {
		return false, err
	}
	if hash == "" || strings.HasPrefix(hash, "!") || strings.HasPrefix(hash, "*") {
		return false, nil
	}
	if expired, err := a.accounts.expired(acct); err != nil || expired {
		return false, err
	}
	return matchHash(hash, pw)
}

// publicKey is ssh.ServerConfig.PublicKeyCallback. x/crypto/ssh caches its
// answer per user and key, so each key a client offers is logged once.
func (a *authenticator) publicKey(meta ssh.ConnMetadata, key ssh.PublicKey) (*ssh.Permissions, error) {
	name := meta.User()
	desc := keyDescription(key)
	acct, why := a.account(name)
	if acct == nil {
		a.log.Warn(fmt.Sprintf("failed publickey for %s %s: %s: %s", who(name, why), from(meta), desc, why))
		return nil, errAuth
	}
	path := expandKeysPath(a.keysPattern, acct)
	keys, bad, err := readAuthorizedKeys(path, acct, a.strict)
	if err != nil {
		a.log.Warn(fmt.Sprintf("failed publickey for %s %s: %s: authorized keys: %v", quoteUser(name), from(meta), desc, err))
		return nil, errAuth
	}
	for _, b := range bad {
		a.log.Info(fmt.Sprintf("%s: skipped %v", path, b))
	}
	wire := key.Marshal()
	for _, k := range keys {
		if string(k.key.Marshal()) != string(wire) {
			continue
		}
		if !fromAllowed(k.opts.from, remoteIP(meta)) {
			a.log.Warn(fmt.Sprintf("failed publickey for %s %s: %s: address not allowed by from=", quoteUser(name), from(meta), desc))
			return nil, errAuth
		}
		p := &ssh.Permissions{ExtraData: map[any]any{loginKey{}: &login{acct: acct, method: "publickey", detail: desc, opts: k.opts}}}
		if k.opts.noTouch {
			p.Extensions = map[string]string{"no-touch-required": ""}
		}
		return p, nil
	}
	a.log.Warn(fmt.Sprintf("failed publickey for %s %s: %s: not in %s", quoteUser(name), from(meta), desc, path))
	return nil, errAuth
}

// quoteUser keeps a hostile user name from forging log lines.
func quoteUser(name string) string {
	if name == "" {
		return `""`
	}
	for _, r := range name {
		if r < 0x21 || r == 0x7f || r == '"' || r == '\\' {
			return strconv.Quote(name)
		}
	}
	return name
}

// expired reports whether the account's shadow expiry date has passed.
func (db *accountDB) expired(a *account) (bool, error) {
	fields, err := findEntry(db.shadowFile, a.Name, 2)
	if err != nil || len(fields) < 8 || fields[7] == "" {
		return false, nil
	}
	days, err := strconv.ParseInt(fields[7], 10, 64)
	if err != nil {
		return false, nil
	}
	return time.Now().Unix() >= days*86400, nil
}
