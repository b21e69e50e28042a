package conch

import (
	"bytes"
	"strings"
	"testing"
)

// FuzzParseAuthFile: any password file parses without panicking, every
// user it yields is a non-empty field without ':' or a newline, and the
// stored password is the second field of some line.
func FuzzParseAuthFile(f *testing.F) {
	for _, s := range []string{
		"alice:secret\n", "a:b:c:d\n", "# c\n\nbob:$2b$05$abcdefghijklmnopqrstuu\n",
		"x\n:y\n", "a:1\na:2\r\n", "a:\x00\xff\n", strings.Repeat("u:p\n", 50),
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		users, err := parseAuthFile(bytes.NewReader(in))
		if err != nil {
			return
		}
		for u, pw := range users {
			if u == "" || strings.ContainsAny(u, ":\n") || strings.ContainsAny(pw, ":\n") {
				t.Fatalf("user %q password %q from %q", u, pw, in)
			}
			if !bytes.Contains(in, []byte(u+":"+pw)) {
				t.Fatalf("user %q password %q not in the input", u, pw)
			}
		}
	})
}

// FuzzParseAuthorizedKeys: any authorized_keys file parses without
// panicking; every key kept re-serializes, and every skipped line is
// numbered within the input.
func FuzzParseAuthorizedKeys(f *testing.F) {
	key := "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGuPXLWlLm1ZTOSxB/b5rg+7WEWm/dUGW4oATkxzrhFI"
	for _, s := range []string{
		key + " alice@home\n",
		`from="10.0.0.0/8,!10.1.2.3",command="echo \"x\"",no-pty ` + key + "\n",
		"restrict,pty " + key + "\n# comment\n\n",
		`permitopen="db:5432" ` + key,
		"cert-authority " + key,
		`command="unterminated ` + key,
		"ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAAAgQ== short\n",
		"ecdsa-sha2-nistp256 !!!\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		keys, bad := parseAuthorizedKeys(bytes.NewReader(in))
		lines := bytes.Count(in, []byte("\n")) + 2
		for _, b := range bad {
			if b.line < 1 || b.line > lines {
				t.Fatalf("bad line number %d for %d lines", b.line, lines)
			}
		}
		for _, k := range keys {
			if k.key == nil || len(k.key.Marshal()) == 0 {
				t.Fatal("kept a key that does not serialize")
			}
		}
	})
}

// FuzzMatchStored: no stored value or password panics, and a value that
// is not a hash matches exactly itself.
func FuzzMatchStored(f *testing.F) {
	for _, s := range [][2]string{
		{"secret", "secret"},
		{"$6$rounds=1000$salt$x", "pw"},
		{"$5$salt$5B8vYYiY.CVt1RlTTf8KbXBH3hsxY/GNooZaBBGWEc5", "Hello world!"},
		{"$2b$04$abcdefghijklmnopqrstuuHNbAKRhpaujgo33bRWs.NLUTJO3lOy2", "x"},
		{"$y$j9T$F5Jx5fExrKuPp53xLKQ..1$zwtVrjrUCmXcyLTs6oxLTQlzifSUkF8RHJ./tK5KU79", "x"},
		{"$1$saltsalt$NuzA7WTAelpl95xgBGWN60", "x"},
		{"$", ""},
	} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, stored, pw string) {
		if strings.Contains(stored, "rounds=") || strings.HasPrefix(stored, "$2") || strings.HasPrefix(stored, "$y$") {
			t.Skip("costly hashes: the vectors cover them")
		}
		ok, _ := matchStored(stored, pw)
		if !strings.HasPrefix(stored, "$") && ok != (stored == pw) {
			t.Fatalf("plain %q vs %q: %v", stored, pw, ok)
		}
	})
}
