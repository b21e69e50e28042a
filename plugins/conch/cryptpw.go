package conch

import (
	"crypto/subtle"
	"errors"
	"fmt"
	"strings"

	"github.com/go-crypt/crypt/algorithm"
	"github.com/go-crypt/crypt/algorithm/md5crypt"
	"github.com/go-crypt/crypt/algorithm/scrypt"
	"github.com/go-crypt/crypt/algorithm/shacrypt"
	"golang.org/x/crypto/bcrypt"
)

// errUnsupportedHash is returned for a crypt hash whose scheme we cannot
// check (DES crypt, $gy$, ...): the login fails and the log says why.
var errUnsupportedHash = errors.New("unsupported password hash scheme")

// hashScheme returns the "$id$" prefix of a crypt hash, or "".
func hashScheme(stored string) string {
	if !strings.HasPrefix(stored, "$") {
		return ""
	}
	end := strings.IndexByte(stored[1:], '$')
	if end < 0 {
		return stored
	}
	return stored[:end+2]
}

// matchHash reports whether password matches the crypt hash stored:
// bcrypt ($2a$, $2b$, $2x$, $2y$) with golang.org/x/crypto/bcrypt,
// SHA-crypt ($5$, $6$), yescrypt ($y$) and md5crypt ($1$) with
// github.com/go-crypt/crypt. A malformed or unknown hash is an error, never
// a match.
func matchHash(stored, password string) (bool, error) {
	var decode func(string) (algorithm.Digest, error)
	switch scheme := hashScheme(stored); scheme {
	case "$2a$", "$2b$", "$2x$", "$2y$":
		err := bcrypt.CompareHashAndPassword([]byte(stored), []byte(password))
		switch {
		case err == nil:
			return true, nil
		case errors.Is(err, bcrypt.ErrMismatchedHashAndPassword):
			return false, nil
		}
		return false, fmt.Errorf("bcrypt hash: %w", err)
	case "$5$", "$6$":
		decode = shacrypt.Decode
	case "$y$":
		decode = scrypt.Decode
	case "$1$":
		decode = md5crypt.Decode
	default:
		return false, fmt.Errorf("%w %q", errUnsupportedHash, scheme)
	}
	d, err := decode(stored)
	if err != nil {
		return false, err
	}
	return d.MatchAdvanced(password)
}

// matchStored checks a password against a password-file entry: a crypt
// hash when it starts with '$', else plain text compared in constant time.
func matchStored(stored, password string) (bool, error) {
	if strings.HasPrefix(stored, "$") {
		return matchHash(stored, password)
	}
	return subtle.ConstantTimeCompare([]byte(stored), []byte(password)) == 1, nil
}
