package conch

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/gotwistd/gotwistd/endpoint"
	"github.com/gotwistd/gotwistd/runner"
	"github.com/gotwistd/gotwistd/service"
)

// config is the parsed command line.
type config struct {
	listen          endpoint.Endpoint
	dataDir         string // absolute
	moduli          string // accepted and ignored
	auth            authSpecs
	keysPattern     string
	sftpRoot        string // absolute, "" = not confined
	noSFTP          bool
	allowForwarding bool
	gatewayPorts    bool
	acceptEnv       []string
	maxAuthTries    int
	graceTime       time.Duration
	maxStartups     int
	maxSessions     int
	legacy          bool
	// exe is this program, re-executed as the sftp child; "" when it
	// cannot be found (sftp then runs in process, only for the server's
	// own account).
	exe string
}

// Make builds the conch service from its flags. It reads the host keys
// and password files (so that a bad one fails before anything starts) but
// writes nothing: a missing host key is generated in PrivilegedStart.
func Make(f runner.Flags, env runner.Env) (service.Service, error) {
	if f.IsSet(flagHelpAuthType) {
		return nil, fmt.Errorf("--help-auth-type %q: unknown authentication type (see --help-auth)", f.String(flagHelpAuthType))
	}
	cfg, err := parseConfig(f)
	if err != nil {
		return nil, err
	}
	keys, notes, err := loadHostKeys(cfg.dataDir)
	if err != nil {
		return nil, err
	}
	auth := &authenticator{
		specs:       cfg.auth,
		accounts:    systemAccounts(),
		keysPattern: cfg.keysPattern,
		strict:      true,
		log:         env.Log(),
	}
	for _, p := range cfg.auth.files {
		af, err := loadAuthFile(p)
		if err != nil {
			return nil, fmt.Errorf("--auth file:%s: %v", p, err)
		}
		auth.files = append(auth.files, af)
	}
	srv := newServer(cfg, auth, env.Log())
	return &Service{
		Stream: env.Stream("conch", cfg.listen, srv),
		srv:    srv,
		cfg:    cfg,
		keys:   keys,
		notes:  notes,
		log:    env.Log(),
	}, nil
}

func parseConfig(f runner.Flags) (*config, error) {
	cfg := &config{
		moduli:          f.String(flagModuli),
		keysPattern:     f.String(flagAuthorizedKeys),
		noSFTP:          f.Bool(flagNoSFTP),
		allowForwarding: f.Bool(flagAllowForwarding),
		gatewayPorts:    f.Bool(flagGatewayPorts),
		acceptEnv:       f.StringSlice(flagAcceptEnv),
		maxAuthTries:    f.Int(flagMaxAuthTries),
		graceTime:       f.Duration(flagLoginGraceTime),
		maxStartups:     f.Int(flagMaxStartups),
		maxSessions:     f.Int(flagMaxSessions),
		legacy:          f.Bool(flagLegacy),
	}
	desc := f.String(flagPort)
	if _, err := strconv.Atoi(desc); err == nil {
		desc = "tcp:" + desc
	}
	if iface := f.String(flagInterface); iface != "" {
		if strings.Contains(desc, "interface=") {
			return nil, fmt.Errorf("-i %s: --port %s already names an interface", iface, desc)
		}
		desc += ":interface=" + endpoint.Escape(iface)
	}
	ep, err := endpoint.Parse(desc)
	if err != nil {
		return nil, err
	}
	if _, ok := ep.(endpoint.PacketEndpoint); ok {
		return nil, fmt.Errorf("--port %s: SSH runs over streams; use tcp:, tcp6:, unix: or systemd:", desc)
	}
	cfg.listen = ep
	if cfg.dataDir, err = existingDir(flagData, f.String(flagData)); err != nil {
		return nil, err
	}
	if root := f.String(flagSFTPRoot); root != "" {
		if cfg.sftpRoot, err = existingDir(flagSFTPRoot, root); err != nil {
			return nil, err
		}
	}
	if cfg.auth, err = parseAuthSpecs(f.StringSlice(flagAuth)); err != nil {
		return nil, err
	}
	if cfg.auth.sshkey && cfg.keysPattern == "" {
		return nil, fmt.Errorf("--authorized-keys: empty path")
	}
	switch {
	case cfg.maxAuthTries < 1:
		return nil, fmt.Errorf("--max-auth-tries %d: must be 1 or more", cfg.maxAuthTries)
	case cfg.graceTime < 0:
		return nil, fmt.Errorf("--login-grace-time %s: must be 0 (never) or more", cfg.graceTime)
	case cfg.maxStartups < 1:
		return nil, fmt.Errorf("--max-startups %d: must be 1 or more", cfg.maxStartups)
	case cfg.maxSessions < 1:
		return nil, fmt.Errorf("--max-sessions %d: must be 1 or more", cfg.maxSessions)
	}
	for _, p := range cfg.acceptEnv {
		if _, err := filepath.Match(p, ""); err != nil {
			return nil, fmt.Errorf("--accept-env %q: %v", p, err)
		}
	}
	cfg.exe = selfExe()
	return cfg, nil
}

// selfExe names this program for the sftp child. /proc/self/exe is
// preferred: exec through it needs no search permission on the binary's
// directory, which the account may lack (a test binary in a 0700 build
// directory, a root-only bin directory).
func selfExe() string {
	if _, err := os.Stat("/proc/self/exe"); err == nil {
		return "/proc/self/exe"
	}
	if exe, err := os.Executable(); err == nil {
		return exe
	}
	return ""
}

// existingDir makes dir absolute and checks that it is a directory.
func existingDir(flag, dir string) (string, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", fmt.Errorf("--%s %s: %v", flag, dir, err)
	}
	st, err := os.Stat(abs)
	if err != nil {
		return "", fmt.Errorf("--%s %s: %v", flag, dir, err)
	}
	if !st.IsDir() {
		return "", fmt.Errorf("--%s %s: not a directory", flag, dir)
	}
	return abs, nil
}
