package mail

import (
	"crypto/subtle"
	"errors"
	"strings"

	"golang.org/x/crypto/bcrypt"
)

// secret is a password as configured: in clear, or a crypt(3)-style hash
// ($2a$/$2b$/$2y$ bcrypt, $5$ SHA-256-crypt, $6$ SHA-512-crypt). A field
// that starts with '$' is always taken as a hash, as the file
// format says, so a typo in a hash is an error, never a password.
type secret struct {
	plain string
	hash  string
}

func parseSecret(s string) (secret, error) {
	if !strings.HasPrefix(s, "$") {
		return secret{plain: s}, nil
	}
	switch {
	case isBcrypt(s):
		if _, err := bcrypt.Cost([]byte(s)); err != nil {
			return secret{}, errors.New("malformed bcrypt hash")
		}
	case strings.HasPrefix(s, "$5$") || strings.HasPrefix(s, "$6$"):
		if _, err := parseShaCrypt(s); err != nil {
			return secret{}, err
		}
	default:
		return secret{}, errors.New("a password starting with '$' must be a bcrypt ($2y$) or SHA-crypt ($5$, $6$) hash")
	}
	return secret{hash: s}, nil
}

func isBcrypt(s string) bool {
	return strings.HasPrefix(s, "$2a$") || strings.HasPrefix(s, "$2b$") || strings.HasPrefix(s, "$2y$")
}

// check reports whether pw is the password, in time that does not depend
// on where a clear password differs.
func (s secret) check(pw string) bool {
	switch {
	case s.hash == "":
		return subtle.ConstantTimeCompare([]byte(s.plain), []byte(pw)) == 1
	case isBcrypt(s.hash):
		return bcrypt.CompareHashAndPassword([]byte(s.hash), []byte(pw)) == nil
	default:
		return shaCryptVerify(s.hash, pw)
	}
}

// cleartext returns the password when it is stored in clear (APOP needs it).
func (s secret) cleartext() (string, bool) {
	return s.plain, s.hash == ""
}
