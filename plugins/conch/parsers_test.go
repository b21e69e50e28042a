package conch

import (
	"net/netip"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestParseAuthFile(t *testing.T) {
	cases := []struct {
		in   string
		want map[string]string
	}{
		{"alice:secret\n", map[string]string{"alice": "secret"}},
		{"alice:secret", map[string]string{"alice": "secret"}},
		// twistd: fields after the second are ignored, trailing space trimmed.
		{"alice:secret:1000:ignored\n", map[string]string{"alice": "secret"}},
		{"alice:secret  \t\r\n", map[string]string{"alice": "secret"}},
		{"alice:\n", map[string]string{"alice": ""}},
		// lines without two fields are skipped; comments and blanks too.
		{"junk\n\n# bob:x\nbob:y\n", map[string]string{"bob": "y"}},
		{":nouser\n", map[string]string{}},
		// the first line of a user wins, as twistd's getUser.
		{"a:1\na:2\n", map[string]string{"a": "1"}},
		{"a:$6$salt$hash\n", map[string]string{"a": "$6$salt$hash"}},
		{" a:b\n", map[string]string{" a": "b"}},
	}
	for _, c := range cases {
		got, err := parseAuthFile(strings.NewReader(c.in))
		if err != nil || !reflect.DeepEqual(got, c.want) {
			t.Errorf("parseAuthFile(%q) = %v, %v; want %v", c.in, got, err, c.want)
		}
	}
	if _, err := parseAuthFile(strings.NewReader(strings.Repeat("x", maxAuthFileLine+1))); err == nil {
		t.Error("overlong line accepted")
	}
}

// The file is read again when it changes; a broken re-read keeps the
// last good contents.
func TestAuthFileReloads(t *testing.T) {
	dir := t.TempDir()
	p := writeFile(t, dir, "pw", "a:1\n")
	f, err := loadAuthFile(p)
	if err != nil {
		t.Fatal(err)
	}
	if pw, ok, _ := f.lookup("a"); !ok || pw != "1" {
		t.Fatalf("lookup a = %q %v", pw, ok)
	}
	writeFile(t, dir, "pw", "a:2\nb:3\n")
	future := time.Now().Add(time.Hour)
	os.Chtimes(p, future, future)
	if pw, ok, _ := f.lookup("b"); !ok || pw != "3" {
		t.Errorf("after edit, lookup b = %q %v", pw, ok)
	}
	os.Remove(p)
	if pw, ok, err := f.lookup("a"); !ok || pw != "2" || err == nil {
		t.Errorf("after removal: %q %v %v; want the last contents and an error", pw, ok, err)
	}
}

func TestParseAuthorizedKeys(t *testing.T) {
	k1, k2 := authorizedLine(newKey(t)), authorizedLine(newKey(t))
	in := strings.Join([]string{
		"# comment",
		"",
		k1 + " alice@home",
		`no-pty,from="10.0.0.0/8,192.168.1.?",command="echo \"hi\"" ` + k2,
		"restrict " + k1,
		"restrict,pty,port-forwarding " + k1,
		`permitopen="db:5432",permitopen="*:80" ` + k1,
		"bogus-option " + k1,
		"cert-authority " + k1,
		"ssh-ed25519 AAAAnotbase64!!!",
		"not a key at all",
		`command="unterminated ` + k1,
	}, "\n")
	keys, bad := parseAuthorizedKeys(strings.NewReader(in))
	if len(keys) != 5 {
		t.Fatalf("%d keys, want 5 (bad lines: %v)", len(keys), bad)
	}
	if keys[0].comment != "alice@home" || !reflect.DeepEqual(keys[0].opts, keyOptions{}) {
		t.Errorf("plain key: %+v", keys[0])
	}
	o := keys[1].opts
	if !o.noPTY || o.command != `echo "hi"` || !reflect.DeepEqual(o.from, []string{"10.0.0.0/8", "192.168.1.?"}) {
		t.Errorf("options: %+v", o)
	}
	if !keys[2].opts.noPTY || !keys[2].opts.noForwarding {
		t.Errorf("restrict: %+v", keys[2].opts)
	}
	if keys[3].opts.noPTY || keys[3].opts.noForwarding {
		t.Errorf("restrict,pty,port-forwarding: %+v", keys[3].opts)
	}
	if !reflect.DeepEqual(keys[4].opts.permitOpen, []string{"db:5432", "*:80"}) {
		t.Errorf("permitopen: %+v", keys[4].opts)
	}
	var lines []int
	for _, b := range bad {
		lines = append(lines, b.line)
	}
	if !reflect.DeepEqual(lines, []int{8, 9, 10, 11, 12}) {
		t.Errorf("skipped lines %v, want 8-12 (%v)", lines, bad)
	}
}

func TestFromAllowed(t *testing.T) {
	ip := netip.MustParseAddr("192.168.1.7")
	cases := []struct {
		patterns []string
		want     bool
	}{
		{nil, true},
		{[]string{"192.168.1.7"}, true},
		{[]string{"192.168.1.*"}, true},
		{[]string{"192.168.1.?"}, true},
		{[]string{"192.168.0.0/16"}, true},
		{[]string{"10.0.0.0/8"}, false},
		{[]string{"192.168.1.*", "!192.168.1.7"}, false},
		{[]string{"!10.0.0.1"}, false}, // a negation alone allows nothing
		{[]string{"host.example.com"}, false},
	}
	for _, c := range cases {
		if got := fromAllowed(c.patterns, ip); got != c.want {
			t.Errorf("fromAllowed(%v, %s) = %v", c.patterns, ip, got)
		}
	}
}

func TestPermitOpen(t *testing.T) {
	e := []string{"db:5432", "*:80", "[::1]:22", "web:*"}
	for _, c := range []struct {
		host string
		port uint32
		want bool
	}{{"db", 5432, true}, {"db", 5433, false}, {"x", 80, true}, {"::1", 22, true}, {"web", 1, true}, {"other", 22, false}} {
		if got := permitOpenAllows(e, c.host, c.port); got != c.want {
			t.Errorf("permitopen %s:%d = %v", c.host, c.port, got)
		}
	}
	if !permitOpenAllows(nil, "any", 1) {
		t.Error("no permitopen must allow any target")
	}
}

func TestExpandKeysPath(t *testing.T) {
	a := &account{Name: "alice", Home: "/home/alice"}
	for pattern, want := range map[string]string{
		"%h/.ssh/authorized_keys": "/home/alice/.ssh/authorized_keys",
		"/etc/ssh/keys/%u":        "/etc/ssh/keys/alice",
		".ssh/keys":               "/home/alice/.ssh/keys",
		"/x/100%%/%u%":            "/x/100%/alice%",
		"/x/%z":                   "/x/%z",
		"/keys/%u/../../etc":      "/etc",
	} {
		if got := expandKeysPath(pattern, a); got != want {
			t.Errorf("expand %q = %q, want %q", pattern, got, want)
		}
	}
}

func TestAccountLookupFromFiles(t *testing.T) {
	dir := t.TempDir()
	passwd := filepath.Join(dir, "passwd")
	shadow := filepath.Join(dir, "shadow")
	os.WriteFile(passwd, []byte("root:x:0:0:root:/root:/bin/bash\nbob:x:1001:1001::/home/bob:\nold:$1$saltsalt$NuzA7WTAelpl95xgBGWN60:1002:1002::/:/bin/sh\nbad:x:zz:1::/:/bin/sh\nshort:x\n"), 0o600)
	os.WriteFile(shadow, []byte("root:!:19000:0:99999:7:::\nbob:$6$saltstring$svn8UoSVapNtMuq1ukKS4tPQd8iKwSMHWjl/O817G3uBnIFNjnQJuesI68u4OTLiBFdcbYEdFCoEOfaS35inz1:19000:0:99999:7::1:\n"), 0o600)
	group := filepath.Join(dir, "group")
	os.WriteFile(group, []byte("adm:x:4:alice,bob\nbob:x:1001:bob\nstaff:x:50:bob\nother:x:60:bobby\nbad:x:zz:bob\nshort:x\n"), 0o644)
	db := &accountDB{passwdFile: passwd, shadowFile: shadow, groupFile: group}
	bob, err := db.lookup("bob")
	if err != nil || bob.UID != 1001 || bob.Shell != "/bin/sh" || bob.Home != "/home/bob" {
		t.Fatalf("bob: %+v %v", bob, err)
	}
	if !reflect.DeepEqual(bob.Groups, []uint32{1001, 4, 50}) {
		t.Errorf("bob's groups %v, want [1001 4 50]", bob.Groups)
	}
	for _, name := range []string{"nobody-here", "", "bo", "bad", "short", "a:b"} {
		if _, err := db.lookup(name); err == nil {
			t.Errorf("lookup(%q) succeeded", name)
		}
	}
	a := &authenticator{accounts: db, specs: authSpecs{unix: true}}
	// bob's shadow entry expired on day 1 of 1970.
	if ok, _ := a.checkUnix(bob, "Hello world!"); ok {
		t.Error("expired account accepted")
	}
	root, _ := db.lookup("root")
	if ok, _ := a.checkUnix(root, ""); ok {
		t.Error("locked root accepted")
	}
	old, _ := db.lookup("old")
	if ok, err := a.checkUnix(old, "correct horse"); !ok {
		t.Errorf("hash in /etc/passwd: %v", err)
	}
}
