package runner

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/BurntSushi/toml"
)

// AppFile is an application file (`gotwistd -y app.toml`, twistd's -y):
// several plugins in one process, one tree, each entry written as the
// arguments its subcommand takes.
//
//	name = "site"                 # optional: the tree's name (default: the file's base name)
//
//	[[service]]
//	plugin = "web"
//	name = "www"                  # optional: default the plugin's name
//	args = ["--listen", "tcp:8080", "--path", "/srv/www"]
type AppFile struct {
	Name     string       `toml:"name"`
	Services []AppService `toml:"service"`
}

// AppService is one [[service]] entry.
type AppService struct {
	Plugin string   `toml:"plugin"`
	Name   string   `toml:"name"`
	Args   []string `toml:"args"`
}

// parseAppFile reads an application file; every error names the file and,
// where it can, the line or the entry.
func parseAppFile(path string, r io.Reader) (*AppFile, error) {
	var af AppFile
	md, err := toml.NewDecoder(r).Decode(&af)
	if err != nil {
		var pe toml.ParseError
		if errors.As(err, &pe) {
			return nil, fmt.Errorf("%s:%d: %s", path, pe.Position.Line, pe.Message)
		}
		return nil, fmt.Errorf("%s: %v", path, err)
	}
	if un := md.Undecoded(); len(un) > 0 {
		return nil, fmt.Errorf("%s: unknown key %q (the keys are name, and service entries with plugin, name and args)", path, un[0].String())
	}
	if len(af.Services) == 0 {
		return nil, fmt.Errorf("%s: no [[service]] entry: add one with plugin = \"NAME\" and args = [...]", path)
	}
	if af.Name == "" {
		af.Name = strings.TrimSuffix(filepath.Base(path), filepath.Ext(path))
	}
	seen := map[string]int{}
	for i := range af.Services {
		s := &af.Services[i]
		if s.Plugin == "" {
			return nil, fmt.Errorf("%s: service entry %d has no plugin = \"NAME\"", path, i+1)
		}
		if s.Name == "" {
			s.Name = s.Plugin
		}
		if !validName.MatchString(s.Name) {
			return nil, fmt.Errorf("%s: service entry %d: name %q must match %s", path, i+1, s.Name, validName)
		}
		if j, dup := seen[s.Name]; dup {
			return nil, fmt.Errorf("%s: service entries %d and %d are both named %q: give one a name = \"...\"", path, j, i+1, s.Name)
		}
		seen[s.Name] = i + 1
	}
	return &af, nil
}

// readAppFile opens and parses path.
func readAppFile(path string) (*AppFile, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("cannot read application file %s: %v", path, unwrapPathError(err))
	}
	defer f.Close()
	return parseAppFile(path, f)
}
