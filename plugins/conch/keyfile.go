package conch

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
)

// maxAuthorizedKeysFile bounds how much of an authorized_keys file is read.
const maxAuthorizedKeysFile = 4 << 20

// expandKeysPath turns an --authorized-keys pattern into the file of a:
// %h is the home directory, %u the user name, %% a percent sign. A
// relative result is taken from the home directory, as sshd does.
func expandKeysPath(pattern string, a *account) string {
	var b strings.Builder
	for i := 0; i < len(pattern); i++ {
		if pattern[i] != '%' || i+1 == len(pattern) {
			b.WriteByte(pattern[i])
			continue
		}
		i++
		switch pattern[i] {
		case 'h':
			b.WriteString(a.Home)
		case 'u':
			b.WriteString(a.Name)
		case '%':
			b.WriteByte('%')
		default:
			b.WriteByte('%')
			b.WriteByte(pattern[i])
		}
	}
	p := b.String()
	if !filepath.IsAbs(p) {
		p = filepath.Join(a.Home, p)
	}
	return filepath.Clean(p)
}

// readAuthorizedKeys reads the authorized_keys file at path for a. With
// strict (sshd's StrictModes) the file and the directories above it, up to
// the home directory when the file is inside it (else only its own
// directory), must belong to root or a and be writable by no one else: a
// file that others can edit would let them log in as a.
func readAuthorizedKeys(path string, a *account, strict bool) ([]authorizedKey, []keyLineError, error) {
	// O_NONBLOCK: a FIFO planted as authorized_keys must not block the
	// open; anything but a regular file is refused below (sshd does both).
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, nil, err
	}
	if !st.Mode().IsRegular() {
		return nil, nil, fmt.Errorf("%s: not a regular file", path)
	}
	if strict {
		if err := safeOwner(path, st, a.UID); err != nil {
			return nil, nil, err
		}
		if err := safeDirs(path, a); err != nil {
			return nil, nil, err
		}
	}
	keys, bad := parseAuthorizedKeys(io.LimitReader(f, maxAuthorizedKeysFile))
	return keys, bad, nil
}

func safeOwner(path string, st os.FileInfo, uid uint32) error {
	sys, ok := st.Sys().(*syscall.Stat_t)
	if !ok {
		return nil
	}
	if sys.Uid != 0 && sys.Uid != uid {
		return fmt.Errorf("bad ownership of %s: uid %d, want root or %d", path, sys.Uid, uid)
	}
	if st.Mode().Perm()&0o022 != 0 {
		return fmt.Errorf("bad modes for %s: %#o is writable by group or others", path, st.Mode().Perm())
	}
	return nil
}

func safeDirs(path string, a *account) error {
	home := filepath.Clean(a.Home)
	inHome := home != "/" && strings.HasPrefix(path, home+string(filepath.Separator))
	for dir := filepath.Dir(path); ; dir = filepath.Dir(dir) {
		st, err := os.Stat(dir)
		if err != nil {
			return err
		}
		if err := safeOwner(dir, st, a.UID); err != nil {
			return err
		}
		if !inHome || dir == home || dir == "/" {
			return nil
		}
	}
}
