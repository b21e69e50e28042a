package runner

import (
	"bytes"
	"strings"
	"testing"

	"github.com/urfave/cli/v2"

	"github.com/gotwistd/gotwistd/service"
)

func fakePlugin(name string) Plugin {
	return Plugin{
		Name:  name,
		Usage: "a test plugin",
		Flags: []cli.Flag{&cli.StringFlag{Name: "word", Value: "hi"}, &cli.StringFlag{Name: "logfile", Aliases: []string{"l"}}},
		Make: func(f Flags, env Env) (service.Service, error) {
			if f.String("word") == "bad" {
				return nil, errBad
			}
			return service.NewMulti(f.String("word")), nil
		},
	}
}

var errBad = usageErrorf("--word bad: pick another word")

func TestCheckRefusesBadPlugins(t *testing.T) {
	good := fakePlugin("ok")
	for name, p := range map[string]Plugin{
		"bad name": {Name: "Bad", Make: good.Make},
		"empty":    {Name: "", Make: good.Make},
		"reserved": {Name: "stop", Make: good.Make},
		"no make":  {Name: "x"},
		"reactor":  {Name: "x", Make: good.Make, Reactors: []string{"tornado"}},
	} {
		if err := check(p); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if _, err := NewApp([]Plugin{good, good}); err == nil || !strings.Contains(err.Error(), "twice") {
		t.Errorf("duplicate: %v", err)
	}
}

func TestRegisterPanicsOnDuplicate(t *testing.T) {
	Register(fakePlugin("regtest"))
	defer func() {
		registry.Lock()
		delete(registry.plugins, "regtest")
		registry.Unlock()
		if recover() == nil {
			t.Error("a duplicate registration did not panic")
		}
	}()
	Register(fakePlugin("regtest"))
}

func TestBuildParsesLikeTheCLI(t *testing.T) {
	svc, err := Build(fakePlugin("p"), []string{"--word", "there"}, Env{})
	if err != nil || svc.Name() != "there" {
		t.Fatalf("%v %v", svc, err)
	}
	if _, err := Build(fakePlugin("p"), []string{"--bogus"}, Env{}); err == nil || !strings.Contains(err.Error(), "unknown option --bogus") {
		t.Errorf("bogus: %v", err)
	}
	if _, err := Build(fakePlugin("p"), []string{"--word", "bad"}, Env{}); err == nil || !strings.Contains(err.Error(), "pick another") {
		t.Errorf("bad: %v", err)
	}
	// The plugin's own --logfile hides the global one after its name.
	if _, err := Build(fakePlugin("p"), []string{"-l", "access.log"}, Env{}); err != nil {
		t.Errorf("-l: %v", err)
	}
}

func TestExecuteExitCodes(t *testing.T) {
	ps := []Plugin{fakePlugin("p")}
	for _, c := range []struct {
		args []string
		code int
		out  string
	}{
		{[]string{"gotwistd"}, 0, "Commands:\n    p "},
		{[]string{"gotwistd", "--version"}, 0, "gotwistd"},
		{[]string{"gotwistd", "--help-reactors"}, 0, "netpoll"},
		{[]string{"gotwistd", "--nope"}, 2, ""},
		{[]string{"gotwistd", "-n", "p", "--word", "bad"}, 2, ""},
		{[]string{"gotwistd", "-n", "p", "--nodaemon", "x"}, 2, ""},
	} {
		var out, errb bytes.Buffer
		if code := Execute(ps, c.args, &out, &errb); code != c.code || !strings.Contains(out.String(), c.out) {
			t.Errorf("%v: exit %d, stdout %q, stderr %q", c.args, code, out.String(), errb.String())
		}
	}
}

// An option's action that answers the command line itself ends the
// program with exit 0 and no message.
func TestErrDoneExitsZero(t *testing.T) {
	p := fakePlugin("p")
	p.Flags = append(p.Flags, &cli.BoolFlag{Name: "list", Action: func(c *cli.Context, on bool) error {
		c.App.Writer.Write([]byte("the list\n"))
		return ErrDone
	}})
	var out, errb bytes.Buffer
	if code := Execute([]Plugin{p}, []string{"gotwistd", "p", "--list"}, &out, &errb); code != 0 || out.String() != "the list\n" || errb.Len() != 0 {
		t.Errorf("exit %d, stdout %q, stderr %q", code, out.String(), errb.String())
	}
}
