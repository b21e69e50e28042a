package mail

import (
	"reflect"
	"strings"
	"testing"
)

func TestParsePOP3(t *testing.T) {
	for _, tc := range []struct {
		line string
		want pop3Cmd
		err  error
	}{
		{"STAT", pop3Cmd{name: "STAT"}, nil},
		{"stat", pop3Cmd{name: "STAT"}, nil},
		{"LIST 1", pop3Cmd{"LIST", []string{"1"}}, nil},
		{"TOP  1   2", pop3Cmd{"TOP", []string{"1", "2"}}, nil},
		{"PASS my secret  pass", pop3Cmd{"PASS", []string{"my secret  pass"}}, nil},
		{"PASS", pop3Cmd{name: "PASS"}, nil},
		{"APOP joe c4c9334bac560ecc979e58001b3e22fb", pop3Cmd{"APOP", []string{"joe", "c4c9334bac560ecc979e58001b3e22fb"}}, nil},
		{"", pop3Cmd{}, errPOP3Empty},
		{" ", pop3Cmd{}, errPOP3Empty},
		{" STAT", pop3Cmd{}, errPOP3Keyword},
		{"ST", pop3Cmd{}, errPOP3Keyword},
		{"STATS", pop3Cmd{}, errPOP3Keyword},
		{"ST4T", pop3Cmd{}, errPOP3Keyword},
		{"STAT\x00", pop3Cmd{}, errPOP3Control},
		{"USER " + strings.Repeat("a", 300), pop3Cmd{}, errPOP3Arg},
		{strings.Repeat("a", 600), pop3Cmd{}, errPOP3Arg},
	} {
		got, err := parsePOP3(tc.line)
		if err != tc.err || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("parsePOP3(%q) = %+v, %v; want %+v, %v", tc.line, got, err, tc.want, tc.err)
		}
	}
	for s, want := range map[string]int{"1": 1, "42": 42, "0": 0, "-1": 0, "+1": 0, "1x": 0, "": 0, "9999999999": 0} {
		n, ok := parseMsgNum(s)
		if ok != (want > 0) || n != want && ok {
			t.Errorf("parseMsgNum(%q) = %d, %v", s, n, ok)
		}
	}
}

func FuzzParsePOP3(f *testing.F) {
	for _, s := range []string{"STAT", "LIST 1", "TOP 1 2", "PASS a b c", "APOP joe 0123", "", "\x00", "USER " + strings.Repeat("x", 300)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, line string) {
		c, err := parsePOP3(line)
		if err != nil {
			return
		}
		if len(c.name) < 3 || len(c.name) > 4 || strings.ToUpper(c.name) != c.name {
			t.Fatalf("keyword %q from %q", c.name, line)
		}
		for _, a := range c.args {
			if a == "" || (c.name != "PASS" && (strings.ContainsAny(a, " \t") || len(a) > pop3MaxArg)) {
				t.Fatalf("argument %q from %q", a, line)
			}
		}
		if c.name == "PASS" && len(c.args) > 1 {
			t.Fatalf("PASS split: %q", c.args)
		}
	})
}

func TestParseAliases(t *testing.T) {
	in := `# comment
postmaster: root
root: joe, "bob@other.example"
team: joe,
	bob@localhost ,
  "|/usr/bin/logger -t mail"
archive: /var/mail/archive, "| cat, dog"
Quoted: "/tmp/a b"
`
	m, err := parseAliases(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][]aliasTarget{
		"postmaster": {{targetAddress, "root"}},
		"root":       {{targetAddress, "joe"}, {targetAddress, "bob@other.example"}},
		"team":       {{targetAddress, "joe"}, {targetAddress, "bob@localhost"}, {targetProgram, "/usr/bin/logger -t mail"}},
		"archive":    {{targetFile, "/var/mail/archive"}, {targetProgram, "cat, dog"}},
		"quoted":     {{targetFile, "/tmp/a b"}},
	}
	if !reflect.DeepEqual(m, want) {
		t.Errorf("got %v\nwant %v", m, want)
	}
	for _, bad := range []string{
		"no colon here",
		"a:",
		"a: b\na: c",
		" leading continuation",
		"a: |",
		`a: "unbalanced`,
		"a: :include:relative",
		"a/b: joe",
		"a: bad user@x",
		"a: joe@",
		"a: " + strings.Repeat("x", maxAliasLine+1),
	} {
		if _, err := parseAliases(strings.NewReader(bad)); err == nil {
			t.Errorf("parseAliases(%.40q) accepted", bad)
		}
	}
}

func FuzzParseAliases(f *testing.F) {
	for _, s := range []string{"a: b", "a: b, c@d\n\t/e", `x: "|prog arg", :include:/tmp/f`, "# c\n\nroot: joe", "a:\n b"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		m, err := parseAliases(strings.NewReader(in))
		if err != nil {
			return
		}
		for name, ts := range m {
			if checkLocalPart(name) != nil || len(ts) == 0 {
				t.Fatalf("alias %q -> %v accepted", name, ts)
			}
			for _, tg := range ts {
				if tg.value == "" {
					t.Fatalf("empty target in %q", name)
				}
			}
		}
	})
}

func TestParseAuthFile(t *testing.T) {
	in := "# users\njoe:pw\n\nbob@example.com:$2a$04$APKyqZpgxXCtfpjysEKabeiY2NCtXuxFuCHn1G6qUp/MXci5KOeLG:extra\nsue:p:w\n"
	creds, err := parseAuthFile(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	if creds["joe"].plain != "pw" || creds["sue"].plain != "p" {
		t.Errorf("got %+v", creds)
	}
	if !isBcrypt(creds["bob@example.com"].hash) {
		t.Errorf("bob's hash not taken as bcrypt: %+v", creds["bob@example.com"])
	}
	for _, bad := range []string{"nocolon", ":pw", "joe:$1$md5$notsupported", "joe:$6$salt$short", "joe:$2y$bad"} {
		if _, err := parseAuthFile(strings.NewReader(bad)); err == nil {
			t.Errorf("parseAuthFile(%q) accepted", bad)
		}
	}
}

func FuzzParseAuthFile(f *testing.F) {
	for _, s := range []string{"joe:pw", "a:$2a$04$APKyqZpgxXCtfpjysEKabeiY2NCtXuxFuCHn1G6qUp/MXci5KOeLG", "b:$5$salt$" + strings.Repeat("a", 43), "# x\n\nc:d:e", "x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		creds, err := parseAuthFile(strings.NewReader(in))
		if err != nil {
			return
		}
		for user, s := range creds {
			if user == "" || strings.Contains(user, ":") {
				t.Fatalf("user %q", user)
			}
			if s.hash != "" && !strings.HasPrefix(s.hash, "$") {
				t.Fatalf("hash %q", s.hash)
			}
			if s.hash == "" && strings.HasPrefix(s.plain, "$") {
				t.Fatalf("a '$' password kept in clear: %q", s.plain)
			}
		}
	})
}

func TestShaCrypt(t *testing.T) {
	// Vectors of Drepper's specification, as glibc's crypt(3) computes them.
	for _, tc := range []struct{ pw, hash string }{
		{"Hello world!", "$5$saltstring$5B8vYYiY.CVt1RlTTf8KbXBH3hsxY/GNooZaBBGWEc5"},
		{"Hello world!", "$6$saltstring$svn8UoSVapNtMuq1ukKS4tPQd8iKwSMHWjl/O817G3uBnIFNjnQJuesI68u4OTLiBFdcbYEdFCoEOfaS35inz1"},
		{"Hello world!", "$5$rounds=10000$saltstringsaltst$3xv.VbSHBb41AL9AvLeujZkZRBAwqFMz2.opqey6IcA"},
		{"This is just a test", "$6$rounds=5000$toolongsaltstrin$lQ8jolhgVRVhY4b5pZKaysCLi0QBxGoNeKQzQ3glMhwllF7oGDZxUhx1yxdYcz/e1JSbq3y6JMxxl8audkUEm0"},
		{"the minimum number is still observed", "$5$rounds=10$roundstoolow$yfvwcWrQ8l/K0DAWyuPMDNHpIVlTQebY9l/gL972bIC"},
		{"", "$6$rounds=1400$anotherlongsalts$CvyNSQwf6bQerEu9N9SQOWtPnrIu1XZzaKZQpGKfoQ/SaumCMqHGCEvfGxtQ5xG2Au23d5sGapl8LQH64hLtn/"},
		{"we have a short salt string but not a short password", "$6$rounds=77777$short$WuQyW2YR.hBNpjjRhpYD/ifIw05xdfeEyQoMxIXbkvr0gge1a1x3yRULJ5CCaUeOxFmtlcGZelFl5CxtgfiAc0"},
	} {
		if !shaCryptVerify(tc.hash, tc.pw) {
			p, _ := parseShaCrypt(tc.hash)
			t.Errorf("%q: computed %s, want %s", tc.pw, shaCrypt(p.id, tc.pw, p.salt, p.rounds, p.custom), tc.hash)
		}
		if shaCryptVerify(tc.hash, tc.pw+"x") {
			t.Errorf("%q: a wrong password matched", tc.pw)
		}
	}
}

func TestSecrets(t *testing.T) {
	for _, tc := range []struct {
		stored, pw string
		ok         bool
	}{
		{"pw", "pw", true},
		{"pw", "pW", false},
		{"$2a$04$APKyqZpgxXCtfpjysEKabeiY2NCtXuxFuCHn1G6qUp/MXci5KOeLG", "secret", true},
		{"$2a$04$APKyqZpgxXCtfpjysEKabeiY2NCtXuxFuCHn1G6qUp/MXci5KOeLG", "Secret", false},
		{"$5$saltstring$5B8vYYiY.CVt1RlTTf8KbXBH3hsxY/GNooZaBBGWEc5", "Hello world!", true},
	} {
		s, err := parseSecret(tc.stored)
		if err != nil {
			t.Fatalf("%s: %v", tc.stored, err)
		}
		if s.check(tc.pw) != tc.ok {
			t.Errorf("%s vs %q: %v", tc.stored, tc.pw, !tc.ok)
		}
	}
}
