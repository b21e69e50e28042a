package web

import "strings"

// wellKnown is the one dot-directory served even without --show-hidden:
// ACME challenges and security.txt live there (RFC 8615).
const wellKnown = ".well-known"

// splitPath turns a request's decoded URL path into the slash-separated
// name of a file below the document root ("." for the root itself).
//
// It refuses (ok false, answered with 404) every path that could name
// something outside the root or something hidden, whatever its spelling:
// the URL is decoded exactly once (by net/url), and afterwards any "." or
// ".." segment, backslash or NUL byte is refused rather than cleaned, so
// "%2e%2e", "..%2f", "..%5c" and the like cannot climb; a doubly encoded
// "%252e%252e" stays the literal name "%2e%2e". Segments starting with a
// dot are refused unless showHidden, except .well-known. Empty segments
// ("//") are dropped. slash reports a trailing slash, which asks for a
// directory.
//
// Lexical checks cannot see symbolic links: the file system layer (fs.go)
// keeps those inside the root.
func splitPath(p string, showHidden bool) (rel string, slash bool, ok bool) {
	if !strings.HasPrefix(p, "/") || strings.ContainsAny(p, "\\\x00") {
		return "", false, false
	}
	slash = strings.HasSuffix(p, "/")
	var b strings.Builder
	for rest := p[1:]; rest != ""; {
		var seg string
		seg, rest, _ = strings.Cut(rest, "/")
		switch {
		case seg == "":
			continue
		case seg == "." || seg == "..":
			return "", false, false
		case seg[0] == '.' && !showHidden && seg != wellKnown:
			return "", false, false
		}
		if b.Len() > 0 {
			b.WriteByte('/')
		}
		b.WriteString(seg)
	}
	if b.Len() == 0 {
		return ".", slash, true
	}
	return b.String(), slash, true
}

// hiddenName reports whether a directory entry is hidden from listings.
func hiddenName(name string, showHidden bool) bool {
	return !showHidden && strings.HasPrefix(name, ".") && name != wellKnown
}

// parentAndBase splits a name from splitPath into its directory ("." at
// the top) and last segment.
func parentAndBase(rel string) (dir, base string) {
	i := strings.LastIndexByte(rel, '/')
	if i < 0 {
		return ".", rel
	}
	return rel[:i], rel[i+1:]
}
