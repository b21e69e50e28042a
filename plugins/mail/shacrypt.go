package mail

import (
	"crypto/sha256"
	"crypto/sha512"
	"crypto/subtle"
	"errors"
	"hash"
	"strconv"
	"strings"
)

// SHA-crypt ($5$ and $6$), as specified by Ulrich Drepper in "Unix crypt
// using SHA-256 and SHA-512" (the algorithm of glibc's crypt(3)). No
// well-kept Go library offers it, so it is written here from the
// specification and tested with its published vectors.

const (
	shaCryptDefaultRounds = 5000
	shaCryptMinRounds     = 1000
	shaCryptMaxRounds     = 999999999
	shaCryptMaxSalt       = 16
	cryptAlphabet         = "./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
)

// shaCryptParams is a parsed "$5$[rounds=N$]salt$hash" string.
type shaCryptParams struct {
	id         string // "5" or "6"
	rounds     int
	custom     bool // rounds= was given, so it is written back
	salt, hash string
}

func parseShaCrypt(s string) (shaCryptParams, error) {
	bad := errors.New("malformed SHA-crypt hash: want $5$[rounds=N$]SALT$HASH or $6$...")
	var p shaCryptParams
	parts := strings.Split(s, "$")
	// "", id, [rounds=N,] salt, hash
	if len(parts) < 4 || parts[0] != "" || (parts[1] != "5" && parts[1] != "6") {
		return p, bad
	}
	p.id, p.rounds = parts[1], shaCryptDefaultRounds
	rest := parts[2:]
	if strings.HasPrefix(rest[0], "rounds=") {
		n, err := strconv.Atoi(rest[0][len("rounds="):])
		if err != nil || n < 1 {
			return p, bad
		}
		p.rounds, p.custom = min(max(n, shaCryptMinRounds), shaCryptMaxRounds), true
		rest = rest[1:]
	}
	if len(rest) != 2 {
		return p, bad
	}
	p.salt, p.hash = rest[0], rest[1]
	if len(p.salt) > shaCryptMaxSalt {
		p.salt = p.salt[:shaCryptMaxSalt]
	}
	want := 43
	if p.id == "6" {
		want = 86
	}
	if len(p.hash) != want || strings.Trim(p.hash, cryptAlphabet) != "" {
		return p, bad
	}
	return p, nil
}

// shaCryptVerify reports whether pw matches the hash.
func shaCryptVerify(hashed, pw string) bool {
	p, err := parseShaCrypt(hashed)
	if err != nil {
		return false
	}
	// Compare the hash part only: a stored string may spell rounds below
	// the minimum or a salt longer than 16, which the algorithm clamps.
	got := shaCrypt(p.id, pw, p.salt, p.rounds, p.custom)
	got = got[strings.LastIndexByte(got, '$')+1:]
	return subtle.ConstantTimeCompare([]byte(got), []byte(p.hash)) == 1
}

// shaCrypt computes the full "$id$..." string.
func shaCrypt(id, password, salt string, rounds int, custom bool) string {
	newHash, perm := sha256.New, sha256Perm
	if id == "6" {
		newHash, perm = sha512.New, sha512Perm
	}
	pw, s := []byte(password), []byte(salt)
	sum := func(h hash.Hash) []byte { return h.Sum(nil) }

	// Digest B: password, salt, password.
	hb := newHash()
	hb.Write(pw)
	hb.Write(s)
	hb.Write(pw)
	b := sum(hb)

	// Digest A.
	ha := newHash()
	ha.Write(pw)
	ha.Write(s)
	ha.Write(repeatTo(b, len(pw)))
	for n := len(pw); n > 0; n >>= 1 {
		if n&1 != 0 {
			ha.Write(b)
		} else {
			ha.Write(pw)
		}
	}
	a := sum(ha)

	// P and S sequences.
	hp := newHash()
	for range len(pw) {
		hp.Write(pw)
	}
	pSeq := repeatTo(sum(hp), len(pw))
	hs := newHash()
	for range 16 + int(a[0]) {
		hs.Write(s)
	}
	sSeq := repeatTo(sum(hs), len(s))

	c := a
	for i := range rounds {
		h := newHash()
		if i&1 != 0 {
			h.Write(pSeq)
		} else {
			h.Write(c)
		}
		if i%3 != 0 {
			h.Write(sSeq)
		}
		if i%7 != 0 {
			h.Write(pSeq)
		}
		if i&1 != 0 {
			h.Write(c)
		} else {
			h.Write(pSeq)
		}
		c = sum(h)
	}

	var out strings.Builder
	out.WriteString("$" + id + "$")
	if custom {
		out.WriteString("rounds=" + strconv.Itoa(rounds) + "$")
	}
	out.WriteString(salt + "$")
	for _, g := range perm {
		w := uint(0)
		if g[0] >= 0 {
			w |= uint(c[g[0]]) << 16
		}
		if g[1] >= 0 {
			w |= uint(c[g[1]]) << 8
		}
		w |= uint(c[g[2]])
		for range g[3] {
			out.WriteByte(cryptAlphabet[w&0x3f])
			w >>= 6
		}
	}
	return out.String()
}

// repeatTo returns n bytes of b repeated.
func repeatTo(b []byte, n int) []byte {
	out := make([]byte, 0, n)
	for len(out) < n {
		out = append(out, b[:min(len(b), n-len(out))]...)
	}
	return out
}

// The byte orders of the final encoding: three source bytes (-1 = none,
// read as 0) and the number of characters they make.
var sha256Perm = [][4]int{
	{0, 10, 20, 4}, {21, 1, 11, 4}, {12, 22, 2, 4}, {3, 13, 23, 4}, {24, 4, 14, 4},
	{15, 25, 5, 4}, {6, 16, 26, 4}, {27, 7, 17, 4}, {18, 28, 8, 4}, {9, 19, 29, 4},
	{-1, 31, 30, 3},
}

var sha512Perm = [][4]int{
	{0, 21, 42, 4}, {22, 43, 1, 4}, {44, 2, 23, 4}, {3, 24, 45, 4}, {25, 46, 4, 4},
	{47, 5, 26, 4}, {6, 27, 48, 4}, {28, 49, 7, 4}, {50, 8, 29, 4}, {9, 30, 51, 4},
	{31, 52, 10, 4}, {53, 11, 32, 4}, {12, 33, 54, 4}, {34, 55, 13, 4}, {56, 14, 35, 4},
	{15, 36, 57, 4}, {37, 58, 16, 4}, {59, 17, 38, 4}, {18, 39, 60, 4}, {40, 61, 19, 4},
	{62, 20, 41, 4}, {-1, -1, 63, 2},
}
