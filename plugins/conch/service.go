package conch

import (
	"context"
	"fmt"
	"log/slog"
	"os"

	"github.com/gotwistd/gotwistd/service"
)

// Service is the conch server: a service.Stream serving SSH, plus the
// host keys, which it generates in PrivilegedStart when --data has none
// (Make writes no files).
type Service struct {
	*service.Stream
	srv   *server
	cfg   *config
	keys  []hostKey
	notes []string
	log   *slog.Logger
}

// PrivilegedStart loads or generates the host keys and binds the port.
func (s *Service) PrivilegedStart(ctx context.Context) error {
	for _, n := range s.notes {
		s.log.Info(n)
	}
	if len(s.keys) == 0 {
		k, err := generateHostKey(s.cfg.dataDir)
		if err != nil {
			return err
		}
		s.log.Info(fmt.Sprintf("no host key in %s: generated %s: %s", s.cfg.dataDir, k.path, k.describe()))
		s.keys = []hostKey{k}
	} else {
		for _, k := range s.keys {
			s.log.Info(fmt.Sprintf("host key %s: %s", k.path, k.describe()))
		}
	}
	if s.cfg.moduli != "" {
		s.log.Info(fmt.Sprintf("--moduli %s ignored: group-exchange key exchange is not offered (curve25519, ECDH and fixed DH groups are)", s.cfg.moduli))
	}
	if err := s.srv.setHostKeys(s.keys); err != nil {
		return err
	}
	return s.Stream.PrivilegedStart(ctx)
}

// Start serves. It runs after the runner has dropped privileges, so this
// is where the server knows who it runs as: not root means sessions run
// as this account, and only it may log in.
func (s *Service) Start(ctx context.Context) error {
	auth := s.srv.auth
	s.log.Info("authentication: " + s.cfg.auth.String())
	if os.Geteuid() != 0 {
		auth.onlyUser = currentAccountName(auth.accounts)
		if auth.onlyUser == "" {
			return fmt.Errorf("not running as root, and uid %d has no account in %s: nobody could log in", os.Geteuid(), auth.accounts.passwdFile)
		}
		s.log.Warn(fmt.Sprintf("not running as root: only %s (uid %d) can log in, and sessions run as %s", auth.onlyUser, os.Geteuid(), auth.onlyUser))
		if s.cfg.auth.unix {
			if f, err := os.Open(auth.accounts.shadowFile); err != nil {
				s.log.Warn(fmt.Sprintf("--auth unix: %v: system passwords cannot be checked", err))
			} else {
				f.Close()
			}
		}
	}
	return s.Stream.Start(ctx)
}

var (
	_ service.Service      = (*Service)(nil)
	_ service.StopBeginner = (*Service)(nil)
)
