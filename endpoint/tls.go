package endpoint

import (
	"context"
	"crypto/tls"
	"errors"
	"net"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
)

// TLS is an "ssl" endpoint ("tls" is accepted as another name): a TCP
// listener that speaks TLS 1.2 or newer with one certificate.
//
//	ssl:PORT[:PRIVATEKEY[:CERTKEY[:SSLMETHOD[:INTERFACE[:BACKLOG[:EXTRACERTCHAIN[:DHPARAMETERS]]]]]]]
//
// Parse returns *TLS and has already read the key, the certificate and the
// chain, so missing or broken files fail before anything is bound. Reload
// reads them again (for renewed certificates, on SIGHUP); handshakes that
// start afterwards use the new certificate, handshakes already running keep
// the old one.
//
// Differences from Twisted: sslmethod only chooses among TLS 1.2-or-newer
// names (all of which mean "TLS 1.2 or newer"); dhParameters is read and
// checked to be PEM but otherwise ignored, because Go's TLS offers only
// ECDHE key exchange.
type TLS struct {
	TCP
	// PrivateKey is the PEM private key file, default "server.pem".
	PrivateKey string
	// CertKey is the PEM certificate file, default PrivateKey (one file
	// holding both).
	CertKey string
	// SSLMethod is "", "TLS_METHOD", "SSLv23_METHOD" or "TLSv1_2_METHOD";
	// each means TLS 1.2 or newer.
	SSLMethod string
	// ExtraCertChain is an optional PEM file of intermediate certificates,
	// sent after the certificate.
	ExtraCertChain string
	// DHParameters is an optional PEM file, checked and then ignored.
	DHParameters string

	state *tlsState // shared by copies; nil until Reload
}

// tlsState holds the files (absolute, resolved when parsing so that Reload
// works after a chdir) and the certificate handshakes use.
type tlsState struct {
	files  tlsFiles
	reload sync.Mutex
	cert   atomic.Pointer[tls.Certificate]
}

// String returns the canonical form; the file keys are always written so
// that logs show which files serve.
func (t *TLS) String() string {
	s := "ssl:" + strconv.Itoa(t.Port) + ":privateKey=" + Escape(t.PrivateKey) + ":certKey=" + Escape(t.CertKey)
	if t.SSLMethod != "" {
		s += ":sslmethod=" + t.SSLMethod
	}
	if t.Interface != "" {
		s += ":interface=" + Escape(t.Interface)
	}
	if t.Backlog != defaultBacklog {
		s += ":backlog=" + strconv.Itoa(t.Backlog)
	}
	if t.ExtraCertChain != "" {
		s += ":extraCertChain=" + Escape(t.ExtraCertChain)
	}
	if t.DHParameters != "" {
		s += ":dhParameters=" + Escape(t.DHParameters)
	}
	return s
}

// Config returns a new server configuration: MinVersion TLS 1.2 and a
// GetCertificate that hands out the certificate most recently loaded. A
// caller that needs more (NextProtos for HTTP/2, client certificates) may
// change the copy it gets and wrap t.TCP.Listen's listener itself with
// tls.NewListener.
func (t *TLS) Config() *tls.Config {
	st := t.state
	return &tls.Config{
		MinVersion: tls.VersionTLS12,
		GetCertificate: func(*tls.ClientHelloInfo) (*tls.Certificate, error) {
			if st == nil || st.cert.Load() == nil {
				return nil, errors.New("endpoint: TLS endpoint has no certificate loaded")
			}
			return st.cert.Load(), nil
		},
	}
}

// Listen binds the TCP address and wraps it in a TLS listener using
// Config(). Handshakes happen on the first Read or Write of each accepted
// connection, as with tls.NewListener.
func (t *TLS) Listen(ctx context.Context, env *Env) (net.Listener, error) {
	if t.state == nil || t.state.cert.Load() == nil {
		return nil, listenError(t, errors.New("no certificate loaded; build TLS endpoints with Parse"))
	}
	if err := ctx.Err(); err != nil {
		return nil, listenError(t, err)
	}
	var lc net.ListenConfig
	l, err := lc.Listen(ctx, t.Network(), t.Addr())
	if err != nil {
		return nil, listenError(t, err)
	}
	return tls.NewListener(l, t.Config()), nil
}

// Reload reads the key, certificate and chain files again and, if they are
// good, makes them the certificate for new handshakes. On error the old
// certificate stays. It is safe to call while the listener serves and from
// several goroutines. A TLS not made by Parse resolves its file names on
// its first Reload, which must happen before it is shared.
func (t *TLS) Reload() error {
	if t.state == nil {
		t.state = &tlsState{files: resolveFiles(t)}
	}
	st := t.state
	st.reload.Lock()
	defer st.reload.Unlock()
	cert, err := loadCertificate(st.files)
	if err != nil {
		return withDesc(t.String(), err)
	}
	st.cert.Store(cert)
	return nil
}

// sslMethods maps accepted sslmethod values (upper-cased) to their
// canonical spelling; oldMethods are OpenSSL names older than TLS 1.2.
var (
	sslMethods = map[string]string{"TLS_METHOD": "TLS_METHOD", "SSLV23_METHOD": "SSLv23_METHOD", "TLSV1_2_METHOD": "TLSv1_2_METHOD"}
	oldMethods = map[string]bool{"SSLV2_METHOD": true, "SSLV3_METHOD": true, "TLSV1_METHOD": true, "TLSV1_1_METHOD": true}
)

func buildTLS(a *args) (Endpoint, error) {
	tcp, err := buildTCP(a, false)
	if err != nil {
		return nil, err
	}
	t := &TLS{TCP: *tcp.(*TCP)}
	t.PrivateKey = a.get("privateKey", "server.pem")
	t.CertKey = a.get("certKey", t.PrivateKey)
	t.ExtraCertChain = a.get("extraCertChain", "")
	t.DHParameters = a.get("dhParameters", "")
	for _, f := range []struct{ name, v string }{{"privateKey", t.PrivateKey}, {"certKey", t.CertKey}} {
		if f.v == "" {
			return nil, bad(f.name, "%s is empty; name a PEM file", f.name)
		}
	}
	if v, ok := a.vals["sslmethod"]; ok {
		up := strings.ToUpper(v)
		switch {
		case sslMethods[up] != "":
			t.SSLMethod = sslMethods[up]
		case oldMethods[up]:
			return nil, bad("sslmethod", "sslmethod %s is older than TLS 1.2, which gotwistd refuses; use TLS_METHOD (TLS 1.2 or newer)", quote(v))
		default:
			return nil, bad("sslmethod", "sslmethod %s is not a method name; use TLS_METHOD (TLS 1.2 or newer)", quote(v))
		}
	}
	t.state = &tlsState{files: resolveFiles(t)}
	cert, err := loadCertificate(t.state.files)
	if err != nil {
		return nil, err
	}
	t.state.cert.Store(cert)
	return t, nil
}
