package web

import (
	"io/fs"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// idOf returns the identity of a stat result for the file cache; ok is
// false where the platform does not say (then nothing is cached).
func idOf(fi fs.FileInfo) (fileID, bool) {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return fileID{}, false
	}
	return fileID{
		dev: uint64(st.Dev), ino: uint64(st.Ino), size: st.Size,
		mtime: st.Mtim.Nano(), ctimeN: st.Ctim.Nano(),
	}, true
}

// lstatAt describes name in the directory open as dirfd without following
// a final symbolic link: one fstatat(2), and no allocation, which is what
// a listing of many entries needs.
func lstatAt(dirfd int, _, name string) (fileMeta, error) {
	var st unix.Stat_t
	if err := unix.Fstatat(dirfd, name, &st, unix.AT_SYMLINK_NOFOLLOW); err != nil {
		return fileMeta{}, err
	}
	m := fileMeta{size: st.Size, mtime: time.Unix(st.Mtim.Unix())}
	switch st.Mode & unix.S_IFMT {
	case unix.S_IFREG:
	case unix.S_IFDIR:
		m.typ = fs.ModeDir
	case unix.S_IFLNK:
		m.typ = fs.ModeSymlink
	default:
		m.typ = fs.ModeIrregular
	}
	return m, nil
}
