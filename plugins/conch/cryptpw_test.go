package conch

import (
	"errors"
	"testing"
)

// The SHA-crypt vectors are the published ones of Ulrich Drepper's
// specification (akkadia.org/drepper/SHA-crypt.txt), as crypt(3) stores
// them: the salt cut at 16 characters, rounds=10 raised to the floor 1000. The yescrypt, md5crypt and
// bcrypt vectors were made with the system's libxcrypt.
func TestMatchHashVectors(t *testing.T) {
	vectors := []struct{ hash, password string }{
		{"$5$saltstring$5B8vYYiY.CVt1RlTTf8KbXBH3hsxY/GNooZaBBGWEc5", "Hello world!"},
		{"$5$rounds=10000$saltstringsaltst$3xv.VbSHBb41AL9AvLeujZkZRBAwqFMz2.opqey6IcA", "Hello world!"},
		{"$5$rounds=5000$toolongsaltstrin$Un/5jzAHMgOGZ5.mWJpuVolil07guHPvOW8mGRcvxa5", "This is just a test"},
		{"$5$rounds=1400$anotherlongsalts$Rx.j8H.h8HjEDGomFU8bDkXm3XIUnzyxf12oP84Bnq1", "a very much longer text to encrypt.  This one even stretches over morethan one line."},
		{"$5$rounds=77777$short$JiO1O3ZpDAxGJeaDIuqCoEFysAe1mZNJRs3pw0KQRd/", "we have a short salt string but not a short password"},
		{"$5$rounds=123456$asaltof16chars..$gP3VQ/6X7UUEW3HkBn2w1/Ptq2jxPyzV/cZKmF/wJvD", "a short string"},
		{"$5$rounds=1000$roundstoolow$yfvwcWrQ8l/K0DAWyuPMDNHpIVlTQebY9l/gL972bIC", "the minimum number is still observed"},
		{"$6$saltstring$svn8UoSVapNtMuq1ukKS4tPQd8iKwSMHWjl/O817G3uBnIFNjnQJuesI68u4OTLiBFdcbYEdFCoEOfaS35inz1", "Hello world!"},
		{"$6$rounds=10000$saltstringsaltst$OW1/O6BYHV6BcXZu8QVeXbDWra3Oeqh0sbHbbMCVNSnCM/UrjmM0Dp8vOuZeHBy/YTBmSK6H9qs/y3RnOaw5v.", "Hello world!"},
		{"$6$rounds=5000$toolongsaltstrin$lQ8jolhgVRVhY4b5pZKaysCLi0QBxGoNeKQzQ3glMhwllF7oGDZxUhx1yxdYcz/e1JSbq3y6JMxxl8audkUEm0", "This is just a test"},
		{"$6$rounds=1400$anotherlongsalts$POfYwTEok97VWcjxIiSOjiykti.o/pQs.wPvMxQ6Fm7I6IoYN3CmLs66x9t0oSwbtEW7o7UmJEiDwGqd8p4ur1", "a very much longer text to encrypt.  This one even stretches over morethan one line."},
		{"$6$rounds=77777$short$WuQyW2YR.hBNpjjRhpYD/ifIw05xdfeEyQoMxIXbkvr0gge1a1x3yRULJ5CCaUeOxFmtlcGZelFl5CxtgfiAc0", "we have a short salt string but not a short password"},
		{"$6$rounds=123456$asaltof16chars..$BtCwjqMJGx5hrJhZywWvt0RLE8uZ4oPwcelCjmw2kSYu.Ec6ycULevoBK25fs2xXgMNrCzIMVcgEJAstJeonj1", "a short string"},
		{"$6$rounds=1000$roundstoolow$kUMsbe306n21p9R.FRkW3IGn.S9NPN0x50YhH1xhLsPuWGsUSklZt58jaTfF4ZEQpyUNGc0dqbpBYYBaHHrsX.", "the minimum number is still observed"},
		{"$y$j9T$PUf1xY4Wvr2c8OyBhbFtH.$PRUCp5M3f.UHPbv.Bh7xZArfKbiaf7sOSXoGOmxadxA", "Hello world!"},
		{"$y$j9T$F5Jx5fExrKuPp53xLKQ..1$zwtVrjrUCmXcyLTs6oxLTQlzifSUkF8RHJ./tK5KU79", "correct horse"},
		{"$1$saltsalt$NuzA7WTAelpl95xgBGWN60", "correct horse"},
		{"$2b$05$abcdefghijklmnopqrstuuHNbAKRhpaujgo33bRWs.NLUTJO3lOy2", "correct horse"},
	}
	for _, v := range vectors {
		ok, err := matchHash(v.hash, v.password)
		if err != nil || !ok {
			t.Errorf("matchHash(%.20s…, %q) = %v, %v; want a match", v.hash, v.password, ok, err)
		}
		ok, err = matchHash(v.hash, v.password+"x")
		if err != nil || ok {
			t.Errorf("matchHash(%.20s…, wrong) = %v, %v; want no match", v.hash, ok, err)
		}
	}
}

func TestMatchStored(t *testing.T) {
	cases := []struct {
		stored, pw string
		want       bool
	}{
		{"secret", "secret", true},
		{"secret", "Secret", false},
		{"secret", "secret ", false},
		{"", "", true},
		{"$6$saltstring$svn8UoSVapNtMuq1ukKS4tPQd8iKwSMHWjl/O817G3uBnIFNjnQJuesI68u4OTLiBFdcbYEdFCoEOfaS35inz1", "Hello world!", true},
		// Malformed hashes never match, whatever the password.
		{"$6$saltstring$garbage", "Hello world!", false},
		{"$6$saltstring$garbage", "$6$saltstring$garbage", false},
		{"$2b$05$short", "$2b$05$short", false},
		{"$gy$j9T$abc$def", "$gy$j9T$abc$def", false},
		{"$", "$", false},
		{"$$", "$$", false},
		{"$y$", "$y$", false},
		{"$5$rounds=999999999999$x$y", "x", false},
	}
	for _, c := range cases {
		if got, err := matchStored(c.stored, c.pw); got != c.want {
			t.Errorf("matchStored(%q, %q) = %v (%v); want %v", c.stored, c.pw, got, err, c.want)
		}
	}
	if _, err := matchHash("$gy$x$y$z", "x"); !errors.Is(err, errUnsupportedHash) {
		t.Errorf("unknown scheme: %v, want errUnsupportedHash", err)
	}
}
