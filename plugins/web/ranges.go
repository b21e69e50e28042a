package web

import (
	"slices"
	"strconv"
	"strings"
)

// rangeDecision is what a Range header asks of a response.
type rangeDecision int

const (
	// rangeWhole: no Range, or one to ignore (unknown unit, too many or
	// overlapping ranges): answer 200 with the whole representation.
	rangeWhole rangeDecision = iota
	// rangePartial: answer 206 with the ranges returned.
	rangePartial
	// rangeUnsatisfiable: answer 416 with Content-Range: bytes */SIZE.
	rangeUnsatisfiable
)

// maxRanges bounds the parts of one multipart/byteranges answer; a request
// for more is served whole, as RFC 9110 section 14.2 allows for "many
// small ranges", so thousands of 1-byte parts cannot multiply the work.
const maxRanges = 64

// byteRange is one satisfiable range: length > 0, start+length <= size.
type byteRange struct{ start, length int64 }

// parseRange decides how to answer the Range header h for a representation
// of size bytes (RFC 9110 section 14):
//
//   - a unit other than "bytes" (any case), or an empty representation,
//     gives rangeWhole;
//   - a malformed ranges-specifier (no ranges, a non-digit, last < first)
//     is rejected: rangeUnsatisfiable, as net/http answers it;
//   - ranges that start at or past the end are dropped; last positions
//     past the end are clamped; a suffix range takes the last N bytes;
//   - none left: rangeUnsatisfiable;
//   - more than maxRanges ranges, or two that overlap: rangeWhole;
//   - else rangePartial with the ranges in the order asked.
//
// Numbers too large for int64 saturate instead of failing.
func parseRange(h string, size int64) ([]byteRange, rangeDecision) {
	if h == "" || size == 0 {
		return nil, rangeWhole // an empty file has no ranges: 200, as net/http does
	}
	unit, set, ok := strings.Cut(h, "=")
	if !ok || !strings.EqualFold(strings.TrimSpace(unit), "bytes") {
		return nil, rangeWhole
	}
	var out []byteRange
	specs := 0
	for spec := range strings.SplitSeq(set, ",") {
		spec = strings.Trim(spec, " \t")
		if spec == "" {
			continue // RFC 9110 section 5.6.1: empty list elements are allowed
		}
		specs++
		if specs > maxRanges {
			return nil, rangeWhole
		}
		first, last, ok := strings.Cut(spec, "-")
		if !ok {
			return nil, rangeUnsatisfiable
		}
		if first == "" { // suffix range: the last N bytes
			n, ok := digits(last)
			if !ok {
				return nil, rangeUnsatisfiable
			}
			if n == 0 || size == 0 {
				continue
			}
			n = min(n, size)
			out = append(out, byteRange{size - n, n})
			continue
		}
		s, ok := digits(first)
		if !ok {
			return nil, rangeUnsatisfiable
		}
		e := int64(-1)
		if last != "" {
			if e, ok = digits(last); !ok || e < s {
				return nil, rangeUnsatisfiable
			}
		}
		if s >= size {
			continue
		}
		if e < 0 || e >= size {
			e = size - 1
		}
		out = append(out, byteRange{s, e - s + 1})
	}
	if specs == 0 || len(out) == 0 {
		return nil, rangeUnsatisfiable
	}
	if overlapping(out) {
		return nil, rangeWhole
	}
	return out, rangePartial
}

// digits parses a non-empty run of ASCII digits, saturating at MaxInt64.
func digits(s string) (int64, bool) {
	if s == "" {
		return 0, false
	}
	var n int64
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		if n > (1<<63-1-int64(c-'0'))/10 {
			n = 1<<63 - 1
			continue
		}
		n = n*10 + int64(c-'0')
	}
	return n, true
}

func overlapping(rs []byteRange) bool {
	if len(rs) < 2 {
		return false
	}
	sorted := slices.Clone(rs)
	slices.SortFunc(sorted, func(a, b byteRange) int { return compareInt64(a.start, b.start) })
	for i := 1; i < len(sorted); i++ {
		if sorted[i].start < sorted[i-1].start+sorted[i-1].length {
			return true
		}
	}
	return false
}

func compareInt64(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// canonicalRange writes ranges back as a header net/http parses exactly
// as parseRange did; for rangeUnsatisfiable it writes one that net/http
// answers with 416 and Content-Range (after If-Range, which keeps the
// RFC 9110 precedence).
func canonicalRange(rs []byteRange, d rangeDecision, size int64) string {
	if d == rangeUnsatisfiable {
		return "bytes=" + strconv.FormatInt(size, 10) + "-"
	}
	b := make([]byte, 0, 6+len(rs)*16)
	b = append(b, "bytes="...)
	for i, r := range rs {
		if i > 0 {
			b = append(b, ',')
		}
		b = strconv.AppendInt(b, r.start, 10)
		b = append(b, '-')
		b = strconv.AppendInt(b, r.start+r.length-1, 10)
	}
	return string(b)
}
