package mail

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

// authHelp is what --help-auth prints.
const authHelp = `--auth gives the credentials SMTP AUTH (PLAIN, LOGIN) accepts, besides the
users of the -d domains (as user@domain). Repeat it to use several sources.

  file:PATH              one "user:password" per line, twistd's format; lines
                         starting with # and blank lines are skipped; a
                         password starting with $ is a hash: bcrypt ($2a$,
                         $2b$, $2y$) or SHA-crypt ($5$, $6$). The file is
                         read at start-up and again whenever it changes.
  memory:USER:PASS[:USER:PASS...]
                         credentials given on the command line.

Make a hash with: htpasswd -nbB user password (bcrypt), or
mkpasswd -m sha-512 password (SHA-crypt).
`

// authSet is every --auth source, asked in the order given.
type authSet struct {
	sources []credSource
}

type credSource interface {
	lookup(user string) (secret, bool)
}

// readAuth parses the --auth values. Files are read now, so that a missing
// or malformed file stops the start.
func readAuth(specs []string) (*authSet, error) {
	if len(specs) == 0 {
		return nil, nil
	}
	a := &authSet{}
	for _, spec := range specs {
		kind, arg, _ := strings.Cut(spec, ":")
		switch kind {
		case "file":
			src, err := newFileCreds(arg)
			if err != nil {
				return nil, fmt.Errorf("--%s %s: %w", flagAuth, spec, err)
			}
			a.sources = append(a.sources, src)
		case "memory":
			m, err := parseMemoryCreds(arg)
			if err != nil {
				return nil, fmt.Errorf("--%s memory:...: %w", flagAuth, err)
			}
			a.sources = append(a.sources, m)
		default:
			return nil, fmt.Errorf("--%s %q: unknown kind %q; use file:PATH or memory:USER:PASS (see --help-auth)", flagAuth, spec, kind)
		}
	}
	return a, nil
}

// check reports whether user and pw match a credential of any source.
func (a *authSet) check(user, pw string) bool {
	if a == nil {
		return false
	}
	for _, s := range a.sources {
		if sec, ok := s.lookup(user); ok && sec.check(pw) {
			return true
		}
	}
	return false
}

// memoryCreds is memory:USER:PASS[:USER:PASS...].
type memoryCreds map[string]secret

func parseMemoryCreds(arg string) (memoryCreds, error) {
	parts := strings.Split(arg, ":")
	if len(parts) < 2 || len(parts)%2 != 0 {
		return nil, errors.New("want memory:USER:PASS[:USER:PASS...]")
	}
	m := memoryCreds{}
	for i := 0; i < len(parts); i += 2 {
		if parts[i] == "" {
			return nil, errors.New("empty user name")
		}
		sec, err := parseSecret(parts[i+1])
		if err != nil {
			return nil, fmt.Errorf("user %s: %w", parts[i], err)
		}
		m[parts[i]] = sec
	}
	return m, nil
}

func (m memoryCreds) lookup(user string) (secret, bool) {
	s, ok := m[user]
	return s, ok
}

// fileCreds is file:PATH, read again when its size or time changes (twistd
// re-reads it on every login; a stat is cheaper). When a changed file is
// malformed, the last good contents stay in force.
type fileCreds struct {
	path string

	mu    sync.Mutex
	size  int64
	mtime time.Time
	creds map[string]secret
}

func newFileCreds(path string) (*fileCreds, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, err
	}
	f := &fileCreds{path: abs}
	if err := f.refresh(); err != nil {
		return nil, err
	}
	return f, nil
}

func (f *fileCreds) lookup(user string) (secret, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	_ = f.refreshLocked()
	s, ok := f.creds[user]
	return s, ok
}

func (f *fileCreds) refresh() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.refreshLocked()
}

func (f *fileCreds) refreshLocked() error {
	st, err := os.Stat(f.path)
	if err != nil {
		return err
	}
	if f.creds != nil && st.Size() == f.size && st.ModTime().Equal(f.mtime) {
		return nil
	}
	data, err := os.ReadFile(f.path)
	if err != nil {
		return err
	}
	creds, err := parseAuthFile(bytes.NewReader(data))
	if err != nil {
		return err
	}
	f.creds, f.size, f.mtime = creds, st.Size(), st.ModTime()
	return nil
}

// parseAuthFile reads "user:password" lines. As twistd's FilePasswordDB,
// the password is the second ':'-separated field (later fields are
// ignored); unlike it, a non-blank, non-comment line without a ':' is an
// error rather than silently skipped, and so is a malformed hash.
func parseAuthFile(r io.Reader) (map[string]secret, error) {
	creds := map[string]secret{}
	err := scanLines(r, func(n int, line string) error {
		line = strings.TrimRight(line, " \t")
		if strings.TrimSpace(line) == "" || strings.HasPrefix(line, "#") {
			return nil
		}
		fields := strings.Split(line, ":")
		if len(fields) < 2 || fields[0] == "" {
			return fmt.Errorf("line %d: want user:password", n)
		}
		sec, err := parseSecret(fields[1])
		if err != nil {
			return fmt.Errorf("line %d: user %s: %w", n, fields[0], err)
		}
		creds[fields[0]] = sec
		return nil
	})
	return creds, err
}
