package conch

import (
	"slices"

	"golang.org/x/crypto/ssh"
)

// Modern algorithms only, by default: no SHA-1 anywhere, no CBC. Every
// OpenSSH client since 7.x finds a match in each list.
var (
	modernKex = []string{
		ssh.KeyExchangeMLKEM768X25519,
		ssh.KeyExchangeCurve25519,
		ssh.KeyExchangeECDHP256,
		ssh.KeyExchangeECDHP384,
		ssh.KeyExchangeECDHP521,
		ssh.KeyExchangeDH16SHA512,
		ssh.KeyExchangeDH14SHA256,
	}
	modernCiphers = []string{
		ssh.CipherChaCha20Poly1305,
		ssh.CipherAES128GCM,
		ssh.CipherAES256GCM,
		ssh.CipherAES128CTR,
		ssh.CipherAES192CTR,
		ssh.CipherAES256CTR,
	}
	modernMACs = []string{
		ssh.HMACSHA256ETM,
		ssh.HMACSHA512ETM,
		ssh.HMACSHA256,
		ssh.HMACSHA512,
	}
	modernPubKeyAuth = []string{
		ssh.KeyAlgoED25519,
		ssh.KeyAlgoSKED25519,
		ssh.KeyAlgoECDSA256,
		ssh.KeyAlgoECDSA384,
		ssh.KeyAlgoECDSA521,
		ssh.KeyAlgoSKECDSA256,
		ssh.KeyAlgoRSASHA256,
		ssh.KeyAlgoRSASHA512,
	}
	// modernRSAHostAlgos are the signatures an RSA host key makes:
	// rsa-sha2-*, never ssh-rsa (SHA-1).
	modernRSAHostAlgos = []string{ssh.KeyAlgoRSASHA512, ssh.KeyAlgoRSASHA256}
)

// algorithms returns the lists for ssh.Config; legacy adds what
// x/crypto/ssh calls insecure (SHA-1 key exchanges and MACs, CBC, ssh-rsa
// signatures) for old clients.
func algorithms(legacy bool) (kex, ciphers, macs, pubkey []string) {
	kex, ciphers, macs, pubkey = modernKex, modernCiphers, modernMACs, modernPubKeyAuth
	if legacy {
		in := ssh.InsecureAlgorithms()
		kex = slices.Concat(kex, in.KeyExchanges)
		ciphers = slices.Concat(ciphers, []string{ssh.InsecureCipherAES128CBC, ssh.InsecureCipherTripleDESCBC})
		macs = slices.Concat(macs, []string{ssh.HMACSHA1}, in.MACs)
		pubkey = slices.Concat(pubkey, []string{ssh.KeyAlgoRSA})
	}
	return kex, ciphers, macs, pubkey
}

// hostSigner restricts an RSA host key to SHA-2 signatures unless legacy
// algorithms are on; other key types sign one way only.
func hostSigner(s ssh.Signer, legacy bool) (ssh.Signer, error) {
	if legacy || s.PublicKey().Type() != ssh.KeyAlgoRSA {
		return s, nil
	}
	as, ok := s.(ssh.AlgorithmSigner)
	if !ok {
		return s, nil
	}
	return ssh.NewSignerWithAlgorithms(as, modernRSAHostAlgos)
}
