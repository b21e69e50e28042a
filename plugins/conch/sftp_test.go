package conch

import (
	"bytes"
	"crypto/rand"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/pkg/sftp"
	"golang.org/x/crypto/ssh"
)

func sftpClient(t *testing.T, c *ssh.Client) *sftp.Client {
	t.Helper()
	sc, err := sftp.NewClient(c)
	if err != nil {
		t.Fatalf("sftp: %v", err)
	}
	t.Cleanup(func() { sc.Close() })
	return sc
}

// roundTrip uploads, downloads, renames, lists and removes under dir.
func roundTrip(t *testing.T, sc *sftp.Client, dir string) {
	t.Helper()
	data := make([]byte, 3<<20+17)
	rand.Read(data)
	if err := sc.MkdirAll(dir + "/sub"); err != nil {
		t.Fatalf("mkdir: %v", err)
	}
	f, err := sc.Create(dir + "/sub/up.bin")
	if err != nil {
		t.Fatalf("create: %v", err)
	}
	if _, err := f.ReadFrom(bytes.NewReader(data)); err != nil {
		t.Fatalf("upload: %v", err)
	}
	f.Close()
	if err := sc.Rename(dir+"/sub/up.bin", dir+"/sub/moved.bin"); err != nil {
		t.Fatalf("rename: %v", err)
	}
	g, err := sc.Open(dir + "/sub/moved.bin")
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	var got bytes.Buffer
	if _, err := g.WriteTo(&got); err != nil {
		t.Fatalf("download: %v", err)
	}
	g.Close()
	if !bytes.Equal(got.Bytes(), data) {
		t.Fatalf("downloaded %d bytes differ from the %d uploaded", got.Len(), len(data))
	}
	ents, err := sc.ReadDir(dir + "/sub")
	if err != nil || len(ents) != 1 || ents[0].Name() != "moved.bin" || ents[0].Size() != int64(len(data)) {
		t.Fatalf("readdir: %v %v", ents, err)
	}
	if err := sc.Chmod(dir+"/sub/moved.bin", 0o640); err != nil {
		t.Errorf("chmod: %v", err)
	}
	if st, err := sc.Stat(dir + "/sub/moved.bin"); err != nil || st.Mode().Perm() != 0o640 {
		t.Errorf("stat after chmod: %v %v", st, err)
	}
	if err := sc.Remove(dir + "/sub/moved.bin"); err != nil {
		t.Fatalf("remove: %v", err)
	}
	if err := sc.RemoveDirectory(dir + "/sub"); err != nil {
		t.Fatalf("rmdir: %v", err)
	}
}

func TestSFTPInProcess(t *testing.T) {
	r := start(t, "--auth", "memory:"+me(t)+":pw")
	sc := sftpClient(t, r.dial(t, me(t), ssh.Password("pw")))
	dir := t.TempDir()
	roundTrip(t, sc, dir)
	wd, err := sc.Getwd()
	acct, _ := systemAccounts().lookup(me(t))
	if err != nil || wd != homeOrRoot(acct.Home) {
		t.Errorf("sftp starts in %q (%v), want the home directory %s", wd, err, acct.Home)
	}
}

func TestSFTPRootConfines(t *testing.T) {
	root := t.TempDir()
	outside := t.TempDir()
	writeFile(t, outside, "secret", "s3cret")
	if err := os.Symlink(outside, filepath.Join(root, "escape")); err != nil {
		t.Fatal(err)
	}
	writeFile(t, root, "hello.txt", "hello")
	r := start(t, "--auth", "memory:"+me(t)+":pw", "--sftp-root", root)
	sc := sftpClient(t, r.dial(t, me(t), ssh.Password("pw")))

	roundTrip(t, sc, "/inside")
	f, err := sc.Open("/hello.txt")
	if err != nil {
		t.Fatalf("open /hello.txt: %v", err)
	}
	b, _ := io.ReadAll(f)
	f.Close()
	if string(b) != "hello" {
		t.Errorf("/hello.txt = %q", b)
	}
	for _, p := range []string{"/../" + filepath.Base(outside) + "/secret", "../../../../etc/passwd", "/escape/secret", outside + "/secret"} {
		if f, err := sc.Open(p); err == nil {
			b, _ := io.ReadAll(f)
			f.Close()
			t.Errorf("read %q outside the root: %q", p, b)
		}
	}
	if _, err := sc.Create("/escape/new"); err == nil {
		t.Error("created a file through a symlink out of the root")
	}
	if err := sc.Symlink("/etc/passwd", "/pw-link"); err != nil {
		t.Fatalf("symlink: %v", err)
	}
	if f, err := sc.Open("/pw-link"); err == nil {
		f.Close()
		t.Error("followed an absolute symlink out of the root")
	}
	if target, err := sc.ReadLink("/pw-link"); err != nil || target != "/etc/passwd" {
		t.Errorf("readlink: %q %v", target, err)
	}
	if _, err := os.Stat(filepath.Join(root, "pw-link")); !os.IsNotExist(err) && err == nil {
		// the link exists inside the root: fine; nothing escaped
	}
	if err := sc.PosixRename("/hello.txt", "/hello2.txt"); err != nil {
		t.Errorf("posix-rename: %v", err)
	}
}

func TestSFTPAsAnotherAccount(t *testing.T) {
	acct := testUser(t)
	// The sftp child is this binary run as the account: a test binary
	// built under umask 077 cannot be.
	if st, err := os.Stat("/proc/self/exe"); err != nil {
		t.Skipf("/proc/self/exe: %v", err)
	} else if st.Mode().Perm()&0o001 == 0 {
		t.Skipf("the test binary (mode %v) is not executable by other accounts", st.Mode())
	}
	r := start(t, "--auth", "memory:"+acct.Name+":pw")
	sc := sftpClient(t, r.dial(t, acct.Name, ssh.Password("pw")))
	f, err := sc.Create(acct.Home + "/from-sftp")
	if err != nil {
		t.Fatal(err)
	}
	f.Write([]byte("x"))
	f.Close()
	st, err := os.Stat(filepath.Join(acct.Home, "from-sftp"))
	if err != nil || st.Sys().(*syscall.Stat_t).Uid != acct.UID {
		t.Fatalf("uploaded file: %v, owner %v; want uid %d", err, st.Sys(), acct.UID)
	}
	if f, err := sc.Open("/etc/shadow"); err == nil {
		f.Close()
		t.Error("the account's sftp read /etc/shadow: the sftp server runs as root")
	}
	if wd, _ := sc.Getwd(); wd != acct.Home {
		t.Errorf("sftp working directory %q, want %s", wd, acct.Home)
	}

	// Confined and as the account: the child process does both.
	root := filepath.Join(acct.Home, "jail")
	os.Mkdir(root, 0o755)
	os.Chown(root, int(acct.UID), int(acct.GID))
	r2 := start(t, "--auth", "memory:"+acct.Name+":pw", "--sftp-root", root)
	sc2 := sftpClient(t, r2.dial(t, acct.Name, ssh.Password("pw")))
	roundTrip(t, sc2, "/d")
	if _, err := sc2.Open("/../../etc/hostname"); err == nil {
		t.Error("escaped --sftp-root in the child")
	}
}

func TestNoSFTP(t *testing.T) {
	r := start(t, "--auth", "memory:"+me(t)+":pw", "--no-sftp")
	c := r.dial(t, me(t), ssh.Password("pw"))
	if _, err := sftp.NewClient(c); err == nil || !strings.Contains(err.Error(), "subsystem request failed") {
		t.Errorf("sftp with --no-sftp: %v", err)
	}
}
