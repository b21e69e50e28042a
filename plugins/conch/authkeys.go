package conch

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net/netip"
	"path"
	"strconv"
	"strings"

	"golang.org/x/crypto/ssh"
)

// maxAuthorizedKeysLine bounds one line of an authorized_keys file
// (OpenSSH allows 8 KiB keys plus options).
const maxAuthorizedKeysLine = 64 << 10

// keyOptions are the authorized_keys options of one key, as sshd(8)
// documents them. Zero value: no restriction.
type keyOptions struct {
	noPTY        bool
	noForwarding bool
	command      string   // forced command, "" = none
	from         []string // patterns the client address must match
	permitOpen   []string // host:port targets allowed for -L; nil = any
	noTouch      bool     // no-touch-required (security keys)
}

// authorizedKey is one usable line of an authorized_keys file.
type authorizedKey struct {
	key     ssh.PublicKey
	comment string
	opts    keyOptions
}

// keyLineError describes a line that was skipped, for the log.
type keyLineError struct {
	line int
	err  error
}

func (e keyLineError) Error() string { return fmt.Sprintf("line %d: %v", e.line, e.err) }

// parseAuthorizedKeys reads an authorized_keys file. Lines that cannot be
// parsed, that carry an unknown option, or that mark a certificate
// authority (not supported) are skipped and reported, as sshd skips them.
func parseAuthorizedKeys(r io.Reader) ([]authorizedKey, []keyLineError) {
	var keys []authorizedKey
	var bad []keyLineError
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 4096), maxAuthorizedKeysLine)
	n := 0
	for sc.Scan() {
		n++
		line := bytes.TrimSpace(sc.Bytes())
		if len(line) == 0 || line[0] == '#' {
			continue
		}
		pub, comment, options, _, err := ssh.ParseAuthorizedKey(line)
		if err != nil {
			bad = append(bad, keyLineError{n, err})
			continue
		}
		opts, err := parseKeyOptions(options)
		if err != nil {
			bad = append(bad, keyLineError{n, err})
			continue
		}
		keys = append(keys, authorizedKey{key: pub, comment: comment, opts: opts})
	}
	if err := sc.Err(); err != nil {
		bad = append(bad, keyLineError{n + 1, err})
	}
	return keys, bad
}

// parseKeyOptions interprets the options ssh.ParseAuthorizedKey split out.
func parseKeyOptions(options []string) (keyOptions, error) {
	var o keyOptions
	for _, opt := range options {
		name, value, hasValue := strings.Cut(opt, "=")
		name = strings.ToLower(name)
		if hasValue {
			v, err := unquoteOption(value)
			if err != nil {
				return o, fmt.Errorf("option %s: %v", name, err)
			}
			value = v
		}
		switch name {
		case "restrict":
			o.noPTY, o.noForwarding = true, true
		case "no-pty":
			o.noPTY = true
		case "pty":
			o.noPTY = false
		case "no-port-forwarding":
			o.noForwarding = true
		case "port-forwarding":
			o.noForwarding = false
		case "no-touch-required":
			o.noTouch = true
		case "no-agent-forwarding", "no-x11-forwarding", "no-user-rc",
			"agent-forwarding", "x11-forwarding", "user-rc", "verify-required":
			// Agent and X11 forwarding and ~/.ssh/rc are never offered.
		case "command", "from", "permitopen", "environment", "permitlisten", "expiry-time", "tunnel":
			if !hasValue {
				return o, fmt.Errorf("option %s needs a value", name)
			}
			switch name {
			case "command":
				o.command = value
			case "from":
				o.from = append(o.from, strings.Split(value, ",")...)
			case "permitopen":
				o.permitOpen = append(o.permitOpen, value)
			}
			// environment, permitlisten, expiry-time and tunnel are
			// accepted and ignored: user environment and tunnels are off.
		case "cert-authority", "principals":
			return o, fmt.Errorf("option %s: certificates are not supported", name)
		default:
			return o, fmt.Errorf("unknown option %q", name)
		}
	}
	return o, nil
}

// unquoteOption strips the double quotes of an option value; \" inside
// stands for a quote, as in sshd.
func unquoteOption(v string) (string, error) {
	if !strings.HasPrefix(v, `"`) {
		return v, nil
	}
	if len(v) < 2 || !strings.HasSuffix(v, `"`) {
		return "", fmt.Errorf("unterminated quote")
	}
	return strings.ReplaceAll(v[1:len(v)-1], `\"`, `"`), nil
}

// fromAllowed reports whether the client address ip matches the from=
// pattern list: wildcards (* and ?) or CIDR blocks, a leading ! negates and
// a negated match refuses at once. Host names are not resolved, as with
// sshd's UseDNS no.
func fromAllowed(patterns []string, ip netip.Addr) bool {
	if len(patterns) == 0 {
		return true
	}
	addr := ip.Unmap().String()
	allowed := false
	for _, p := range patterns {
		p = strings.TrimSpace(p)
		neg := strings.HasPrefix(p, "!")
		p = strings.TrimPrefix(p, "!")
		var match bool
		if pfx, err := netip.ParsePrefix(p); err == nil {
			match = pfx.Contains(ip.Unmap())
		} else {
			match, _ = path.Match(p, addr)
		}
		if match && neg {
			return false
		}
		allowed = allowed || match
	}
	return allowed
}

// permitOpenAllows reports whether a -L target is allowed by permitopen=
// entries ("host:port", port "*" for any).
func permitOpenAllows(entries []string, host string, port uint32) bool {
	if entries == nil {
		return true
	}
	for _, e := range entries {
		i := strings.LastIndexByte(e, ':')
		if i < 0 {
			continue
		}
		h, p := strings.Trim(e[:i], "[]"), e[i+1:]
		if h != host && h != "*" {
			continue
		}
		if p == "*" || p == strconv.FormatUint(uint64(port), 10) {
			return true
		}
	}
	return false
}
