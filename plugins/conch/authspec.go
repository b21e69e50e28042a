package conch

import (
	"fmt"
	"path/filepath"
	"sort"
	"strings"
)

// authSpecs is what the --auth options asked for, parsed in Make. Giving
// any --auth replaces the defaults (unix and sshkey), as in twistd.
type authSpecs struct {
	unix   bool
	sshkey bool
	files  []string          // absolute paths of user:password files
	memory map[string]string // user -> password, from memory:u:p:...
}

// authTypes documents each --auth type, in the order --help-auth lists them.
var authTypes = []struct{ name, args, help string }{
	{"file", "Location of a FilePasswordDB-formatted file.",
		"Each line of the file is 'username:password'. A password starting with '$' is a\n" +
			"crypt hash: bcrypt ($2a$, $2b$, $2y$), SHA-crypt ($5$, $6$), yescrypt ($y$) or\n" +
			"md5crypt ($1$); anything else is compared as plain text. Blank lines and lines\n" +
			"starting with '#' are skipped. The file is read again when it changes.\n"},
	{"memory", "A colon-separated list (name:password:...)",
		"Users and plain-text passwords on the command line: memory:alice:pw1:bob:pw2.\n" +
			"Anyone who can list processes sees them; prefer file: outside tests.\n"},
	{"sshkey", "No argstring required.",
		"Public keys from each user's authorized_keys file (--authorized-keys, default\n" +
			"%h/.ssh/authorized_keys). The file and its directories must not be writable by\n" +
			"anyone but the user and root. Options such as from=, command=, no-pty,\n" +
			"no-port-forwarding and restrict are honoured.\n"},
	{"unix", "No argstring required.",
		"System passwords: the crypt hashes of /etc/shadow (and of /etc/passwd where it\n" +
			"holds one). Reading /etc/shadow needs root. Locked and empty passwords never match.\n"},
}

// authHelp is the text of --help-auth, laid out like twistd's.
func authHelp() string {
	var b strings.Builder
	b.WriteString("Usage: --auth AuthType[:ArgString]\nFor detailed help: --help-auth-type AuthType\n\n")
	b.WriteString("  AuthType \tArgString format\n  ======== \t================\n")
	for _, t := range authTypes {
		fmt.Fprintf(&b, "  %-9s\t%s\n", t.name, t.args)
	}
	b.WriteString("\n'anonymous' is not offered: every SSH login runs as a system account.\n")
	return b.String()
}

// authTypeHelp is the text of --help-auth-type NAME.
func authTypeHelp(name string) (string, bool) {
	for _, t := range authTypes {
		if t.name == name {
			return fmt.Sprintf("Usage: --auth %s[:ArgString]\nArgString format: %s\n\n%s", t.name, t.args, t.help), true
		}
	}
	return "", false
}

// parseAuthSpecs turns the --auth values into authSpecs; none means the
// twistd defaults. File paths are made absolute, since Make runs in the
// starting directory.
func parseAuthSpecs(values []string) (authSpecs, error) {
	var a authSpecs
	if len(values) == 0 {
		return authSpecs{unix: true, sshkey: true}, nil
	}
	for _, v := range values {
		kind, arg, hasArg := strings.Cut(v, ":")
		switch kind {
		case "unix", "sshkey":
			if hasArg {
				return a, fmt.Errorf("--auth %s takes no argument, got %q", kind, v)
			}
			if kind == "unix" {
				a.unix = true
			} else {
				a.sshkey = true
			}
		case "file":
			if strings.TrimSpace(arg) == "" {
				return a, fmt.Errorf("--auth file needs a path: file:/etc/gotwistd/users")
			}
			p, err := filepath.Abs(arg)
			if err != nil {
				return a, fmt.Errorf("--auth %s: %v", v, err)
			}
			a.files = append(a.files, p)
		case "memory":
			fields := strings.Split(arg, ":")
			if !hasArg || len(fields)%2 != 0 {
				return a, fmt.Errorf("--auth %q: memory takes user:password pairs, e.g. memory:alice:secret", v)
			}
			if a.memory == nil {
				a.memory = map[string]string{}
			}
			for i := 0; i < len(fields); i += 2 {
				if fields[i] == "" {
					return a, fmt.Errorf("--auth %q: empty user name", v)
				}
				if _, dup := a.memory[fields[i]]; !dup {
					a.memory[fields[i]] = fields[i+1]
				}
			}
		case "anonymous":
			return a, fmt.Errorf("--auth anonymous is not offered: every SSH login runs as a system account")
		default:
			names := make([]string, len(authTypes))
			for i, t := range authTypes {
				names[i] = t.name
			}
			sort.Strings(names)
			return a, fmt.Errorf("--auth %q: unknown type %q (the types are %s; see --help-auth)", v, kind, strings.Join(names, ", "))
		}
	}
	return a, nil
}

// passwords reports whether any password method is configured.
func (a authSpecs) passwords() bool { return a.unix || len(a.files) > 0 || len(a.memory) > 0 }

// String lists the methods for the start-up log line.
func (a authSpecs) String() string {
	var out []string
	if a.unix {
		out = append(out, "unix")
	}
	for _, f := range a.files {
		out = append(out, "file:"+f)
	}
	if len(a.memory) > 0 {
		out = append(out, fmt.Sprintf("memory (%d users)", len(a.memory)))
	}
	if a.sshkey {
		out = append(out, "sshkey")
	}
	return strings.Join(out, ", ")
}
