package web

import (
	"net/url"
	"strings"
	"testing"
)

func TestSplitPath(t *testing.T) {
	for _, tc := range []struct {
		in        string
		hidden    bool
		rel       string
		slash, ok bool
	}{
		{"/", false, ".", true, true},
		{"/a.txt", false, "a.txt", false, true},
		{"/sub/", false, "sub", true, true},
		{"/sub//x", false, "sub/x", false, true},
		{"//sub", false, "sub", false, true},
		{"/a b/<script>", false, "a b/<script>", false, true},
		{"/%2e%2e", false, "%2e%2e", false, true}, // still encoded: a literal name
		{"/..", false, "", false, false},
		{"/../etc/passwd", false, "", false, false},
		{"/a/../../etc", false, "", false, false},
		{"/a/./b", false, "", false, false},
		{"/./", false, "", false, false},
		{"/..\\..\\etc", false, "", false, false},
		{"/a\x00b", false, "", false, false},
		{"/.git/config", false, "", false, false},
		{"/.git/config", true, ".git/config", false, true},
		{"/.env", false, "", false, false},
		{"/sub/.hidden", false, "", false, false},
		{"/.well-known/acme-challenge/x", false, ".well-known/acme-challenge/x", false, true},
		{"/..", true, "", false, false},
		{"/.", true, "", false, false},
		{"relative", false, "", false, false},
		{"", false, "", false, false},
		{"*", false, "", false, false},
	} {
		rel, slash, ok := splitPath(tc.in, tc.hidden)
		if rel != tc.rel || slash != tc.slash || ok != tc.ok {
			t.Errorf("splitPath(%q, %v) = %q, %v, %v; want %q, %v, %v", tc.in, tc.hidden, rel, slash, ok, tc.rel, tc.slash, tc.ok)
		}
	}
}

// TestSplitPathEncodings feeds the spellings of "go up" through net/url's
// decoding, as net/http does, and checks none gets through.
func TestSplitPathEncodings(t *testing.T) {
	for _, raw := range []string{
		"/../etc/passwd", "/%2e%2e/etc/passwd", "/%2E%2E/etc/passwd", "/.%2e/etc/passwd",
		"/..%2fetc%2fpasswd", "/%2e%2e%2fetc%2fpasswd", "/..%5cetc%5cpasswd", "/..%5c..%5cetc",
		"/a/%2e%2e/%2e%2e/etc", "/%00../etc", "/a%00.txt", "/sub/..%2f..%2fetc",
		"/%2e/", "/%2e%2e%2f", "/..;/etc", "/.;/etc",
	} {
		u, err := url.ParseRequestURI(raw)
		if err != nil {
			continue // net/http answers 400 itself
		}
		if rel, _, ok := splitPath(u.Path, false); ok && (strings.Contains(rel, "..") || strings.HasPrefix(rel, "/")) {
			t.Errorf("%s: decoded %q, accepted as %q", raw, u.Path, rel)
		}
	}
	// Double encoding stays a literal, harmless name.
	u, _ := url.ParseRequestURI("/%252e%252e/etc/passwd")
	if rel, _, ok := splitPath(u.Path, false); !ok || rel != "%2e%2e/etc/passwd" {
		t.Errorf("double encoding: %q %v", rel, ok)
	}
}

// FuzzSplitPath checks, for any decoded URL path, that an accepted name
// is relative, has no empty, "." or ".." segment, no backslash or NUL,
// and no hidden segment unless allowed.
func FuzzSplitPath(f *testing.F) {
	for _, s := range []string{"/", "/a/b", "/../x", "/a/./b", "//x//", "/.well-known/x", "/a\\b", "/.git", "/%2e%2e", "/a/..", "/\x00"} {
		f.Add(s, false)
		f.Add(s, true)
	}
	f.Fuzz(func(t *testing.T, p string, hidden bool) {
		rel, _, ok := splitPath(p, hidden)
		if !ok {
			return
		}
		if rel == "." {
			return
		}
		if strings.HasPrefix(rel, "/") || strings.ContainsAny(rel, "\\\x00") {
			t.Fatalf("%q -> %q", p, rel)
		}
		for _, seg := range strings.Split(rel, "/") {
			if seg == "" || seg == "." || seg == ".." {
				t.Fatalf("%q -> %q: segment %q", p, rel, seg)
			}
			if !hidden && seg[0] == '.' && seg != wellKnown {
				t.Fatalf("%q -> %q: hidden segment %q", p, rel, seg)
			}
		}
	})
}
