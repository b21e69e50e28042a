package testsvc

import (
	"fmt"
	"regexp"
	"strings"
	"time"
)

// node is one entry of a --tree SPEC: a leaf, or a multi-service with
// children.
type node struct {
	name     string
	children []*node // nil for a leaf
	multi    bool
}

var nameRE = regexp.MustCompile(`^[A-Za-z0-9_-]+`)

// parseTree reads SPEC := ITEM ("," ITEM)*, ITEM := NAME ("[" SPEC "]")?.
// Names are unique in the whole tree, since delays name leaves.
func parseTree(spec string) ([]*node, error) {
	p := &treeParser{s: spec, seen: map[string]bool{}}
	nodes, err := p.list()
	if err != nil {
		return nil, err
	}
	if p.i != len(p.s) {
		return nil, p.errorf("unexpected %q", p.s[p.i:p.i+1])
	}
	return nodes, nil
}

type treeParser struct {
	s    string
	i    int
	seen map[string]bool
}

func (p *treeParser) errorf(format string, a ...any) error {
	return fmt.Errorf("--tree %q: at offset %d: %s", p.s, p.i, fmt.Sprintf(format, a...))
}

func (p *treeParser) list() ([]*node, error) {
	var out []*node
	for {
		n, err := p.item()
		if err != nil {
			return nil, err
		}
		out = append(out, n)
		if p.i < len(p.s) && p.s[p.i] == ',' {
			p.i++
			continue
		}
		return out, nil
	}
}

func (p *treeParser) item() (*node, error) {
	name := nameRE.FindString(p.s[p.i:])
	if name == "" {
		return nil, p.errorf("expected a name (letters, digits, _ or -)")
	}
	if p.seen[name] {
		return nil, p.errorf("name %q used twice", name)
	}
	p.seen[name] = true
	p.i += len(name)
	n := &node{name: name}
	if p.i < len(p.s) && p.s[p.i] == '[' {
		p.i++
		kids, err := p.list()
		if err != nil {
			return nil, err
		}
		if p.i >= len(p.s) || p.s[p.i] != ']' {
			return nil, p.errorf("expected ] to close %q", name)
		}
		p.i++
		n.children, n.multi = kids, true
	}
	return n, nil
}

// leaves returns the names of the leaves of nodes.
func leaves(nodes []*node, into map[string]bool) map[string]bool {
	for _, n := range nodes {
		if n.multi {
			leaves(n.children, into)
		} else {
			into[n.name] = true
		}
	}
	return into
}

// delay is a --start-delay or --stop-delay value; forever only for stops.
type delay struct {
	d       time.Duration
	forever bool
}

// parseDelays reads NAME=DUR entries for the leaves named in known.
func parseDelays(flag string, entries []string, known map[string]bool, allowForever bool) (map[string]delay, error) {
	out := map[string]delay{}
	for _, e := range entries {
		name, val, ok := strings.Cut(e, "=")
		if !ok || name == "" {
			return nil, fmt.Errorf("--%s %q: write NAME=DURATION, such as a=2s", flag, e)
		}
		if !known[name] {
			return nil, fmt.Errorf("--%s %q: %q is not a leaf of --tree", flag, e, name)
		}
		if val == "forever" {
			if !allowForever {
				return nil, fmt.Errorf("--%s %q: only a stop can take forever", flag, e)
			}
			out[name] = delay{forever: true}
			continue
		}
		d, err := time.ParseDuration(val)
		if err != nil || d < 0 {
			return nil, fmt.Errorf("--%s %q: %q is not a duration such as 500ms or 2s", flag, e, val)
		}
		out[name] = delay{d: d}
	}
	return out, nil
}
