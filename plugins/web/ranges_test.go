package web

import (
	"bytes"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestParseRange(t *testing.T) {
	const size = 1000
	many := "bytes=" + strings.Repeat("0-0,", maxRanges) + "5-6"
	for _, tc := range []struct {
		h    string
		want []byteRange
		d    rangeDecision
	}{
		{"", nil, rangeWhole},
		{"bytes=10-19", []byteRange{{10, 10}}, rangePartial},
		{"Bytes = 10-19", []byteRange{{10, 10}}, rangePartial},
		{"bytes=-5", []byteRange{{995, 5}}, rangePartial},
		{"bytes=-5000", []byteRange{{0, 1000}}, rangePartial},
		{"bytes=990-", []byteRange{{990, 10}}, rangePartial},
		{"bytes=990-5000", []byteRange{{990, 10}}, rangePartial},
		{"bytes=0-1,5-6", []byteRange{{0, 2}, {5, 2}}, rangePartial},
		{"bytes=5-6, 0-1", []byteRange{{5, 2}, {0, 2}}, rangePartial},
		{"bytes=0-1,,5-6", []byteRange{{0, 2}, {5, 2}}, rangePartial},
		{"bytes=0-1,5000-6000", []byteRange{{0, 2}}, rangePartial},
		{"bytes=5000-6000", nil, rangeUnsatisfiable},
		{"bytes=1000-", nil, rangeUnsatisfiable},
		{"bytes=-0", nil, rangeUnsatisfiable},
		{"bytes=20-10", nil, rangeUnsatisfiable},
		{"bytes=abc", nil, rangeUnsatisfiable},
		{"bytes=1-2-3", nil, rangeUnsatisfiable},
		{"bytes=-", nil, rangeUnsatisfiable},
		{"bytes=", nil, rangeUnsatisfiable},
		{"bytes=+1-2", nil, rangeUnsatisfiable},
		{"bytes= 1 - 2", nil, rangeUnsatisfiable},
		{"bytes=0-99999999999999999999999", []byteRange{{0, 1000}}, rangePartial},
		{"bytes=99999999999999999999999-", nil, rangeUnsatisfiable},
		{"items=0-1", nil, rangeWhole},
		{"bytes 0-1", nil, rangeWhole},
		{"bytes=0-10,5-20", nil, rangeWhole},  // overlapping
		{"bytes=0-,0-,0-", nil, rangeWhole},   // overlapping
		{"bytes=-500,0-999", nil, rangeWhole}, // overlapping
		{many, nil, rangeWhole},               // too many
	} {
		got, d := parseRange(tc.h, size)
		if d != tc.d || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("parseRange(%q) = %v, %v; want %v, %v", tc.h, got, d, tc.want, tc.d)
		}
	}
	if _, d := parseRange("bytes=-5", 0); d != rangeWhole {
		t.Errorf("suffix of an empty file: %v", d)
	}
}

// FuzzParseRange checks parseRange's promises for any header and size,
// and that net/http's ServeContent, given the canonical header, answers
// exactly what parseRange decided.
func FuzzParseRange(f *testing.F) {
	for _, h := range []string{"bytes=0-0", "bytes=-1", "bytes=5-", "bytes=0-1,3-4", "bytes=1-0", "bytes=0-1,0-1",
		"bytes=,", "BYTES=1-2", "bytes=-0", "bytes=18446744073709551616-", "bytes=0-1," + strings.Repeat("9-9,", 70)} {
		f.Add(h, uint16(10))
		f.Add(h, uint16(0))
	}
	f.Fuzz(func(t *testing.T, h string, size16 uint16) {
		size := int64(size16 % 4096)
		rs, d := parseRange(h, size)
		if d != rangePartial {
			if rs != nil {
				t.Fatalf("%q: ranges %v with decision %v", h, rs, d)
			}
		} else {
			if len(rs) == 0 || len(rs) > maxRanges || overlapping(rs) {
				t.Fatalf("%q size %d: bad ranges %v", h, size, rs)
			}
			var sum int64
			for _, r := range rs {
				if r.start < 0 || r.length <= 0 || r.start+r.length > size {
					t.Fatalf("%q size %d: range %v out of bounds", h, size, r)
				}
				sum += r.length
			}
			if sum > size {
				t.Fatalf("%q: %d bytes of ranges for %d", h, sum, size)
			}
		}
		if d == rangeWhole {
			return
		}
		canon := canonicalRange(rs, d, size)
		if rs2, d2 := parseRange(canon, size); d2 != d || !reflect.DeepEqual(rs2, rs) {
			t.Fatalf("%q: canonical %q reparses as %v %v, not %v %v", h, canon, rs2, d2, rs, d)
		}
		checkServeContent(t, canon, rs, d, size)
	})
}

// checkServeContent asks net/http for the canonical ranges of a
// size-byte body and compares the answer with what parseRange decided.
func checkServeContent(t *testing.T, canon string, rs []byteRange, d rangeDecision, size int64) {
	t.Helper()
	body := make([]byte, size)
	for i := range body {
		body[i] = byte(i * 7)
	}
	req := httptest.NewRequest("GET", "/f", nil)
	req.Header.Set("Range", canon)
	rec := httptest.NewRecorder()
	http.ServeContent(rec, req, "", time.Time{}, bytes.NewReader(body))
	switch d {
	case rangeUnsatisfiable:
		if rec.Code != http.StatusRequestedRangeNotSatisfiable || rec.Header().Get("Content-Range") != "bytes */"+strconv.FormatInt(size, 10) {
			t.Fatalf("%q: want 416 with Content-Range, got %d %q", canon, rec.Code, rec.Header().Get("Content-Range"))
		}
	case rangePartial:
		if rec.Code != http.StatusPartialContent {
			t.Fatalf("%q: want 206, got %d", canon, rec.Code)
		}
		parts := partsOf(t, rec)
		if len(parts) != len(rs) {
			t.Fatalf("%q: %d parts, want %d", canon, len(parts), len(rs))
		}
		for i, r := range rs {
			if !bytes.Equal(parts[i], body[r.start:r.start+r.length]) {
				t.Fatalf("%q: part %d differs", canon, i)
			}
		}
	}
}

func partsOf(t *testing.T, rec *httptest.ResponseRecorder) [][]byte {
	t.Helper()
	mt, params, err := mime.ParseMediaType(rec.Header().Get("Content-Type"))
	if err != nil || mt != "multipart/byteranges" {
		return [][]byte{rec.Body.Bytes()}
	}
	var out [][]byte
	mr := multipart.NewReader(rec.Body, params["boundary"])
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatal(fmt.Errorf("multipart: %w", err))
		}
		b, _ := io.ReadAll(p)
		out = append(out, b)
	}
}
