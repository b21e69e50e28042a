package runner

import (
	"strings"
	"testing"

	"github.com/urfave/cli/v2"
)

func TestParseUmask(t *testing.T) {
	for in, want := range map[string]int{"022": 0o22, "0o027": 0o27, "7": 7, "0": 0, "0777": 0o777} {
		if got, err := parseUmask(in); err != nil || got != want {
			t.Errorf("%q: %o %v", in, got, err)
		}
	}
	for _, in := range []string{"", "abc", "999", "08", "01000", "-1"} {
		if _, err := parseUmask(in); err == nil {
			t.Errorf("%q accepted", in)
		}
	}
}

func TestCredentials(t *testing.T) {
	cr, err := readCredentials("12345", "", false)
	if err != nil || cr.UID != 12345 || cr.GID != 12345 || len(cr.Groups) != 1 || cr.Groups[0] != 12345 {
		t.Errorf("numeric uid without an entry: %+v %v", cr, err)
	}
	cr, err = readCredentials("0", "", false)
	if err != nil || cr.UID != 0 || cr.User != "root" {
		t.Errorf("root: %+v %v", cr, err)
	}
	cr, err = readCredentials("", "12", false)
	if err != nil || cr.UID != -1 || cr.GID != 12 || cr.Groups != nil {
		t.Errorf("gid only: %+v %v", cr, err)
	}
	for _, c := range [][3]string{{"nosuchuser-x", "", "no such user"}, {"", "nosuchgroup-x", "no such group"}, {"-5", "", "negative"}, {"", "", "--euid"}} {
		if _, err := readCredentials(c[0], c[1], c[2] == "--euid"); err == nil || !strings.Contains(err.Error(), c[2]) {
			t.Errorf("%v: %v", c, err)
		}
	}
}

func TestTranslateFlagError(t *testing.T) {
	for in, want := range map[string]string{
		"flag provided but not defined: -bogus":             "unknown option --bogus",
		"flag provided but not defined: -x":                 "unknown option -x",
		"flag needs an argument: -listen":                   "option --listen needs a value",
		`invalid value "abc" for flag -idle-timeout: parse`: `invalid value "abc" for --idle-timeout: parse`,
		"something else":                                    "something else",
	} {
		if got := translateFlagError(in); got != want {
			t.Errorf("%q: %q, want %q", in, got, want)
		}
	}
}

// A plugin option named like a global one (web's -l/--logfile, its access
// log) is the plugin's; the global one keeps its own value.
func TestPluginOptionShadowsGlobal(t *testing.T) {
	for _, c := range []struct {
		args      []string
		plugin    string
		global    string
		globalSet bool
	}{
		{[]string{"gotwistd", "-n", "p", "-l", "access.log"}, "access.log", "", false},
		{[]string{"gotwistd", "--logfile", "main.log", "p", "--logfile", "access.log"}, "access.log", "main.log", true},
		{[]string{"gotwistd", "p", "--pidfile", "x.pid"}, "", "", false},
	} {
		app, err := NewApp([]Plugin{fakePlugin("p")})
		if err != nil {
			t.Fatal(err)
		}
		var gotPlugin, gotGlobal string
		var gotSet bool
		app.Commands[0].Action = func(cc *cli.Context) error {
			gotPlugin = cc.String("logfile")
			g := setIn(cc, "logfile")
			gotGlobal, gotSet = g.String("logfile"), g.IsSet("logfile")
			if p := setIn(cc, "pidfile").String("pidfile"); c.args[3] == "--pidfile" && p != "x.pid" {
				t.Errorf("pidfile after the plugin name: %q", p)
			}
			return nil
		}
		app.ExitErrHandler = func(*cli.Context, error) {}
		if err := app.Run(c.args); err != nil {
			t.Fatal(err)
		}
		if gotPlugin != c.plugin || gotGlobal != c.global || gotSet != c.globalSet {
			t.Errorf("%v: plugin %q, global %q (set %v)", c.args, gotPlugin, gotGlobal, gotSet)
		}
	}
}
