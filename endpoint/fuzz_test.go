package endpoint

import (
	"errors"
	"strings"
	"testing"
)

// FuzzParse checks that Parse never panics, that every error is a one-line
// *ParseError, and that the canonical String of whatever parses re-parses
// to an equal endpoint with the same String. Each input runs in a
// directory with the TLS files of writeTLSFiles, so ssl strings can parse
// too. (The target itself must not change directory: the fuzzing engine
// reads and writes testdata/fuzz relative to it.)
func FuzzParse(f *testing.F) {
	dir := f.TempDir()
	writeTLSFiles(f, dir)
	for _, c := range goodCases {
		f.Add(c.desc)
	}
	for _, c := range badCases {
		f.Add(c.desc)
	}
	for _, s := range []string{
		"ssl:8443", "tls:0:privateKey=key.pem:certKey=cert.pem:extraCertChain=chain.pem:dhParameters=dh.pem",
		"ssl:443:key.pem:cert.pem:TLS_METHOD:127.0.0.1:5", `unix:a\:b\=c\\d:mode=0`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, desc string) {
		t.Chdir(dir)
		checkRoundTrip(t, desc)
	})
}

func checkRoundTrip(t *testing.T, desc string) {
	t.Helper()
	e, err := Parse(desc)
	if err != nil {
		var pe *ParseError
		if !errors.As(err, &pe) || pe.Desc != desc {
			t.Fatalf("Parse(%q) error %v is not a ParseError for the string", desc, err)
		}
		if strings.ContainsAny(err.Error(), "\n\r") {
			t.Fatalf("Parse(%q) error is not one line: %q", desc, err)
		}
		return
	}
	s := e.String()
	again, err := Parse(s)
	if err != nil {
		t.Fatalf("Parse(%q) gave String %q, which does not parse: %v", desc, s, err)
	}
	if !sameEndpoint(e, again) {
		t.Fatalf("Parse(%q) = %#v; its String %q parses to %#v", desc, e, s, again)
	}
	if s2 := again.String(); s2 != s {
		t.Fatalf("Parse(%q): String %q re-parses to String %q", desc, s, s2)
	}
}

// TestFuzzRegressions replays inputs the fuzzer found, each named for the
// bug it caught.
func TestFuzzRegressions(t *testing.T) {
	for name, desc := range map[string]string{
		"abstract socket hint carried a raw control character": "uniX:@\r",
	} {
		t.Run(name, func(t *testing.T) { checkRoundTrip(t, desc) })
	}
}
