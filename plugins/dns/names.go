package dns

// lower returns s with ASCII letters in lower case and every other byte
// kept. DNS names compare without regard to ASCII case only (RFC 4343);
// strings.ToLower would also rewrite bytes that are not UTF-8, lengthening
// labels. s itself is returned when it has no upper-case letter, so the
// common query costs no allocation.
func lower(s string) string {
	i := 0
	for i < len(s) && !('A' <= s[i] && s[i] <= 'Z') {
		i++
	}
	if i == len(s) {
		return s
	}
	b := []byte(s)
	for ; i < len(b); i++ {
		if 'A' <= b[i] && b[i] <= 'Z' {
			b[i] += 'a' - 'A'
		}
	}
	return string(b)
}

// equalFold compares two names as DNS does: ASCII letters without case.
func equalFold(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		x, y := a[i], b[i]
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}
