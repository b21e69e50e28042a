package mail

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// targetKind says what an alias sends mail to.
type targetKind int

const (
	targetAddress targetKind = iota // user, or user@domain
	targetFile                      // /path: appended to, mbox style
	targetProgram                   // |command args: message on its stdin
	targetInclude                   // :include:/path: more targets, one file
)

// aliasTarget is one destination of an alias.
type aliasTarget struct {
	kind  targetKind
	value string // address (lower-case), path, or command line
}

// aliasTable is one parsed aliases(5) file, read whole at start-up.
type aliasTable struct {
	file string
	m    map[string][]aliasTarget // by lower-case name; :include: expanded
}

// maxAliasLine bounds one line of an aliases or include file.
const maxAliasLine = 64 << 10

// maxIncludeDepth bounds :include: files that include each other.
const maxIncludeDepth = 8

func (a *aliasTable) targets(name string) []aliasTarget { return a.m[name] }

// names returns the alias names, sorted.
func (a *aliasTable) names() []string {
	out := make([]string, 0, len(a.m))
	for n := range a.m {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// loadAliases reads the aliases file at path (made absolute) and the
// :include: files it names.
func loadAliases(path string) (*aliasTable, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, err
	}
	f, err := os.Open(abs)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	m, err := parseAliases(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", abs, err)
	}
	for name, ts := range m {
		if m[name], err = expandIncludes(ts, 0); err != nil {
			return nil, fmt.Errorf("%s: alias %s: %w", abs, name, err)
		}
	}
	return &aliasTable{file: abs, m: m}, nil
}

func expandIncludes(ts []aliasTarget, depth int) ([]aliasTarget, error) {
	var out []aliasTarget
	for _, t := range ts {
		if t.kind != targetInclude {
			out = append(out, t)
			continue
		}
		if depth >= maxIncludeDepth {
			return nil, fmt.Errorf(":include: nested more than %d deep", maxIncludeDepth)
		}
		f, err := os.Open(t.value)
		if err != nil {
			return nil, err
		}
		more, err := parseInclude(f)
		f.Close()
		if err != nil {
			return nil, fmt.Errorf("%s: %w", t.value, err)
		}
		more, err = expandIncludes(more, depth+1)
		if err != nil {
			return nil, err
		}
		out = append(out, more...)
	}
	return out, nil
}

// parseAliases reads aliases(5): "name: target, target, ..." lines; a line
// starting with a space or tab continues the one before; "#" starts a
// comment line. A target is an address, /file, |program, :include:/file,
// each optionally in double quotes. Errors carry the line number.
func parseAliases(r io.Reader) (map[string][]aliasTarget, error) {
	m := map[string][]aliasTarget{}
	var entry strings.Builder
	start := 0
	flush := func() error {
		if entry.Len() == 0 {
			return nil
		}
		defer entry.Reset()
		name, ts, err := parseAliasEntry(entry.String())
		if err != nil {
			return fmt.Errorf("line %d: %w", start, err)
		}
		if _, dup := m[name]; dup {
			return fmt.Errorf("line %d: alias %s given twice", start, name)
		}
		m[name] = ts
		return nil
	}
	err := scanLines(r, func(n int, line string) error {
		trimmed := strings.TrimSpace(line)
		switch {
		case trimmed == "" || trimmed[0] == '#':
			return nil
		case line[0] == ' ' || line[0] == '\t':
			if entry.Len() == 0 {
				return fmt.Errorf("line %d: continuation line without an alias before it", n)
			}
			entry.WriteString(" " + trimmed)
			return nil
		}
		if err := flush(); err != nil {
			return err
		}
		start = n
		entry.WriteString(trimmed)
		return nil
	})
	if err != nil {
		return nil, err
	}
	if err := flush(); err != nil {
		return nil, err
	}
	return m, nil
}

// parseInclude reads an :include: file: targets separated by commas or
// lines, "#" comment lines.
func parseInclude(r io.Reader) ([]aliasTarget, error) {
	var out []aliasTarget
	err := scanLines(r, func(n int, line string) error {
		line = strings.TrimSpace(line)
		if line == "" || line[0] == '#' {
			return nil
		}
		ts, err := parseTargets(line)
		if err != nil {
			return fmt.Errorf("line %d: %w", n, err)
		}
		out = append(out, ts...)
		return nil
	})
	return out, err
}

func scanLines(r io.Reader, fn func(n int, line string) error) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 4096), maxAliasLine)
	for n := 1; sc.Scan(); n++ {
		if err := fn(n, strings.TrimSuffix(sc.Text(), "\r")); err != nil {
			return err
		}
	}
	if errors.Is(sc.Err(), bufio.ErrTooLong) {
		return fmt.Errorf("a line is longer than %d bytes", maxAliasLine)
	}
	return sc.Err()
}

func parseAliasEntry(s string) (string, []aliasTarget, error) {
	name, rest, ok := strings.Cut(s, ":")
	if !ok {
		return "", nil, errors.New(`expected "name: target, ..."`)
	}
	name = strings.ToLower(strings.TrimSpace(unquote(strings.TrimSpace(name))))
	if err := checkLocalPart(name); err != nil {
		return "", nil, fmt.Errorf("alias name %q: %v", name, err)
	}
	ts, err := parseTargets(rest)
	if err != nil {
		return "", nil, fmt.Errorf("alias %s: %w", name, err)
	}
	if len(ts) == 0 {
		return "", nil, fmt.Errorf("alias %s has no targets", name)
	}
	return name, ts, nil
}

// parseTargets splits a comma-separated list, keeping commas inside double
// quotes, and classifies each target.
func parseTargets(s string) ([]aliasTarget, error) {
	var out []aliasTarget
	for _, raw := range splitOutsideQuotes(s) {
		raw = strings.TrimSpace(raw)
		if raw == "" {
			continue
		}
		if strings.Count(raw, `"`)%2 != 0 {
			return nil, fmt.Errorf("unbalanced quote in %q", raw)
		}
		t, err := classifyTarget(strings.TrimSpace(unquote(raw)))
		if err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, nil
}

func classifyTarget(v string) (aliasTarget, error) {
	switch {
	case strings.HasPrefix(v, "|"):
		cmd := strings.TrimSpace(v[1:])
		if cmd == "" {
			return aliasTarget{}, errors.New("| without a program")
		}
		return aliasTarget{targetProgram, cmd}, nil
	case strings.HasPrefix(v, "/"):
		return aliasTarget{targetFile, filepath.Clean(v)}, nil
	case strings.HasPrefix(strings.ToLower(v), ":include:"):
		p := strings.TrimSpace(v[len(":include:"):])
		if !filepath.IsAbs(p) {
			return aliasTarget{}, fmt.Errorf(":include: needs an absolute path, not %q", p)
		}
		return aliasTarget{targetInclude, filepath.Clean(p)}, nil
	}
	addr := strings.ToLower(v)
	local, dom, hasAt := cutAt(addr)
	if err := checkLocalPart(local); err != nil {
		return aliasTarget{}, fmt.Errorf("target %q: %v", v, err)
	}
	if hasAt && (dom == "" || strings.ContainsAny(dom, " \t@<>")) {
		return aliasTarget{}, fmt.Errorf("target %q: bad domain", v)
	}
	return aliasTarget{targetAddress, addr}, nil
}

func splitOutsideQuotes(s string) []string {
	var out []string
	quoted, from := false, 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '"':
			quoted = !quoted
		case ',':
			if !quoted {
				out = append(out, s[from:i])
				from = i + 1
			}
		}
	}
	return append(out, s[from:])
}

func unquote(s string) string {
	if len(s) >= 2 && s[0] == '"' && s[len(s)-1] == '"' {
		return s[1 : len(s)-1]
	}
	return s
}
