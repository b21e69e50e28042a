package web

import "testing"

func TestAcceptEncoding(t *testing.T) {
	for _, tc := range []struct {
		h              string
		br, zstd, gzip int16
	}{
		{"gzip", 0, 0, 1000},
		{"gzip, br;q=0.5", 500, 0, 1000},
		{"*;q=0.1, gzip;q=0", 100, 100, 0},
		{"GZIP;Q=0.3", 0, 0, 300},
		{"x-gzip", 0, 0, 1000},
		{"br;q=2", 0, 0, 0},
		{"br;q=abc", 0, 0, 0},
		{"identity", 0, 0, 0},
		{"br;q=NaN, gzip;q=Inf", 0, 0, 0},
	} {
		ae := parseAcceptEncoding([]string{tc.h})
		if ae.q("br") != tc.br || ae.q("zstd") != tc.zstd || ae.q("gzip") != tc.gzip {
			t.Errorf("%q: br %d zstd %d gzip %d", tc.h, ae.q("br"), ae.q("zstd"), ae.q("gzip"))
		}
	}
}

func TestListingFormat(t *testing.T) {
	for h, want := range map[string]string{
		"": "html", "*/*": "html", "application/json": "json", "text/plain": "text",
		"text/html, application/json;q=0.9": "html", "application/json, text/html;q=0.5": "json",
		"text/plain;q=0.5, application/json;q=0.4": "text", "image/png": "html", "application/json;q=0": "html",
		"text/html;q=0.5, application/json;q=0.5": "html",
	} {
		if got := listingFormat(h); got != want {
			t.Errorf("Accept %q: %s, want %s", h, got, want)
		}
	}
}

// FuzzAcceptHeaders checks the Accept and Accept-Encoding readers on any
// input: qualities stay within 0-1000 and the format is one of three.
func FuzzAcceptHeaders(f *testing.F) {
	for _, s := range []string{"gzip, br;q=0.5", "*;q=0", "application/json;q=0.9, */*", ";;;,,,", "q=1;q=0", "br;q=1e308", "gzip;q=-0"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, h string) {
		ae := parseAcceptEncoding([]string{h})
		for _, enc := range []string{"br", "zstd", "gzip"} {
			if q := ae.q(enc); q < 0 || q > 1000 {
				t.Fatalf("%q: q(%s) = %d", h, enc, q)
			}
		}
		switch listingFormat(h) {
		case "html", "json", "text":
		default:
			t.Fatalf("%q: format %q", h, listingFormat(h))
		}
	})
}
