package conch

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
)

// account is the system account a login runs as.
type account struct {
	Name   string
	UID    uint32
	GID    uint32
	Home   string
	Shell  string
	Groups []uint32 // supplementary groups (initgroups), primary included
	// passwd is the password field of /etc/passwd ("x" when in shadow).
	passwd string
}

var errNoAccount = errors.New("no such system account")

// accountDB reads the system's account files. Paths are fields so that
// tests can point them elsewhere; a static binary has no NSS, so these
// files are the whole truth, as for os/user without cgo (and they are read
// directly even with cgo: NSS modules such as systemd's cost a socket
// round trip per lookup).
type accountDB struct {
	passwdFile string // default /etc/passwd
	shadowFile string // default /etc/shadow
	groupFile  string // default /etc/group
}

func systemAccounts() *accountDB {
	return &accountDB{passwdFile: "/etc/passwd", shadowFile: "/etc/shadow", groupFile: "/etc/group"}
}

// lookup returns the account called name, with its supplementary groups.
func (db *accountDB) lookup(name string) (*account, error) {
	if name == "" || strings.ContainsAny(name, ":\n\x00") {
		return nil, errNoAccount
	}
	fields, err := findEntry(db.passwdFile, name, 7)
	if err != nil {
		return nil, err
	}
	uid, err1 := strconv.ParseUint(fields[2], 10, 32)
	gid, err2 := strconv.ParseUint(fields[3], 10, 32)
	if err1 != nil || err2 != nil {
		return nil, fmt.Errorf("%s: bad uid or gid for %s", db.passwdFile, name)
	}
	a := &account{Name: name, UID: uint32(uid), GID: uint32(gid), passwd: fields[1], Home: fields[5], Shell: fields[6]}
	if a.Shell == "" {
		a.Shell = "/bin/sh"
	}
	a.Groups = append([]uint32{a.GID}, db.memberOf(name, a.GID)...)
	return a, nil
}

// memberOf lists the groups of /etc/group that name belongs to as a
// supplementary member (initgroups), the primary group gid excepted.
func (db *accountDB) memberOf(name string, gid uint32) []uint32 {
	f, err := os.Open(db.groupFile)
	if err != nil {
		return nil
	}
	defer f.Close()
	var out []uint32
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 4096), 1<<20)
	for sc.Scan() {
		fields := strings.Split(sc.Text(), ":")
		if len(fields) < 4 || fields[3] == "" {
			continue
		}
		g, err := strconv.ParseUint(fields[2], 10, 32)
		if err != nil || uint32(g) == gid {
			continue
		}
		for _, m := range strings.Split(fields[3], ",") {
			if m == name {
				out = append(out, uint32(g))
				break
			}
		}
	}
	return out
}

// shadowHash returns the password hash of name: the /etc/shadow field, or
// the /etc/passwd field when that is not "x".
func (db *accountDB) shadowHash(a *account) (string, error) {
	if a.passwd != "x" {
		return a.passwd, nil
	}
	fields, err := findEntry(db.shadowFile, a.Name, 2)
	if err != nil {
		return "", err
	}
	return fields[1], nil
}

// findEntry returns the fields of the first line of a colon-separated
// account file whose first field is name; the line needs at least min
// fields.
func findEntry(path, name string, min int) ([]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 4096), 1<<20)
	prefix := name + ":"
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, prefix) {
			continue
		}
		fields := strings.Split(line, ":")
		if len(fields) < min {
			return nil, fmt.Errorf("%s: malformed entry for %s", path, name)
		}
		return fields, nil
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return nil, errNoAccount
}

// currentAccountName names the account this process runs as, for the
// "only X may log in" rule when not root.
func currentAccountName(db *accountDB) string {
	uid := strconv.Itoa(os.Geteuid())
	f, err := os.Open(db.passwdFile)
	if err == nil {
		defer f.Close()
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			fields := strings.Split(sc.Text(), ":")
			if len(fields) >= 3 && fields[2] == uid {
				return fields[0]
			}
		}
	}
	return ""
}
