package runner

import (
	"errors"
	"fmt"
	"os"
	"slices"
	"syscall"
)

// dropPrivileges becomes the user and group of cr: supplementary groups
// first, then the gid, then the uid (or only the effective ids with
// --euid), and checks afterwards that the kernel agrees, and that root
// cannot be regained. It returns the line to log. Go applies these calls
// to every thread of the process.
func dropPrivileges(cr *Credentials) (string, error) {
	if cr == nil {
		return "", nil
	}
	if os.Geteuid() != 0 && !alreadyAre(cr) {
		return "", fmt.Errorf("cannot switch to uid %s/gid %s: only root can change its user, and this process runs as uid %d (drop --uid/--gid, or start as root)", idText(cr.UID), idText(cr.GID), os.Geteuid())
	}
	setgid, setuid, what := syscall.Setgid, syscall.Setuid, "set uid/gid"
	if cr.EffectiveOnly {
		setgid, setuid, what = syscall.Setegid, syscall.Seteuid, "set euid/egid"
	}
	if cr.Groups != nil && os.Geteuid() == 0 {
		if err := syscall.Setgroups(cr.Groups); err != nil {
			return "", fmt.Errorf("setgroups %v: %w", cr.Groups, err)
		}
	}
	if cr.GID >= 0 {
		if err := setgid(cr.GID); err != nil {
			return "", fmt.Errorf("%s: gid %d: %w", what, cr.GID, err)
		}
	}
	if cr.UID >= 0 {
		if err := setuid(cr.UID); err != nil {
			return "", fmt.Errorf("%s: uid %d: %w", what, cr.UID, err)
		}
	}
	if err := verifyIDs(cr); err != nil {
		return "", err
	}
	return fmt.Sprintf("%s %d/%d", what, os.Geteuid(), os.Getegid()), nil
}

// alreadyAre is true when the process already has the ids cr asks for, so
// that a non-root user may name itself.
func alreadyAre(cr *Credentials) bool {
	return (cr.UID < 0 || cr.UID == os.Geteuid()) && (cr.GID < 0 || cr.GID == os.Getegid())
}

// verifyIDs refuses to go on unless the ids are what was asked, and, after a
// full switch away from root, unless setuid(0) fails.
func verifyIDs(cr *Credentials) error {
	check := func(what string, got, want int) error {
		if want >= 0 && got != want {
			return fmt.Errorf("after the switch the %s is %d, not %d: refusing to run", what, got, want)
		}
		return nil
	}
	errs := []error{check("effective uid", os.Geteuid(), cr.UID), check("effective gid", os.Getegid(), cr.GID)}
	if !cr.EffectiveOnly {
		errs = append(errs, check("uid", os.Getuid(), cr.UID), check("gid", os.Getgid(), cr.GID))
		if cr.Groups != nil {
			if gs, err := os.Getgroups(); err == nil && !sameSet(gs, cr.Groups) {
				errs = append(errs, fmt.Errorf("after the switch the groups are %v, not %v: refusing to run", gs, cr.Groups))
			}
		}
		if cr.UID > 0 && syscall.Setuid(0) == nil {
			errs = append(errs, errors.New("setuid(0) still succeeds after dropping root: refusing to run"))
		}
	}
	return errors.Join(errs...)
}

func sameSet(a, b []int) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(slices.Compact(a), slices.Compact(b))
}

func idText(id int) string {
	if id < 0 {
		return "unchanged"
	}
	return fmt.Sprint(id)
}

// writableBy tells whether the user of cr could create files in dir, by
// its mode bits alone (enough to warn; the kernel has the last word).
func writableBy(dir string, cr *Credentials) bool {
	fi, err := os.Stat(dir)
	if err != nil {
		return false
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return true
	}
	mode := fi.Mode().Perm()
	uid := cr.UID
	if uid < 0 {
		uid = os.Geteuid()
	}
	switch {
	case uid == 0:
		return true
	case int(st.Uid) == uid:
		return mode&0o200 != 0
	case int(st.Gid) == cr.GID || slices.Contains(cr.Groups, int(st.Gid)):
		return mode&0o020 != 0
	}
	return mode&0o002 != 0
}
