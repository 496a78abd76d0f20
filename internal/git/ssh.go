package git

import (
	"crypto/ed25519"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"strconv"
	"strings"

	"github.com/go-git/go-git/v5/plumbing/transport"
	gitssh "github.com/go-git/go-git/v5/plumbing/transport/ssh"
	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"
)

// DefaultSSHUser is the user name for ssh URLs that name none, as in Flux.
const DefaultSSHUser = "git"

// sshMethod returns the go-git public key auth for an ssh URL: the identity
// of a (with its passphrase in Password) and a host key check against its
// known_hosts that can never be skipped.
func (a *Auth) sshMethod(u *url.URL) (transport.AuthMethod, error) {
	if a == nil || (len(a.Identity) == 0 && len(a.KnownHosts) == 0) {
		return nil, &scrubbedError{msg: fmt.Sprintf("ssh authentication requires a secret with '%s' and '%s'", IdentityKey, KnownHostsKey), cause: ErrInvalidAuth}
	}
	if len(a.KnownHosts) == 0 {
		return nil, &scrubbedError{msg: fmt.Sprintf("ssh authentication requires '%s': the host key is always verified", KnownHostsKey), cause: ErrInvalidAuth}
	}
	if len(a.Identity) == 0 {
		return nil, &scrubbedError{msg: fmt.Sprintf("ssh authentication requires '%s'", IdentityKey), cause: ErrInvalidAuth}
	}
	user := u.User.Username()
	if user == "" {
		user = DefaultSSHUser
	}
	pk, err := gitssh.NewPublicKeys(user, a.Identity, a.Password)
	if err != nil {
		prefix := fmt.Sprintf("invalid '%s'", IdentityKey)
		if a.Password == "" {
			prefix = fmt.Sprintf("invalid '%s' (if it is passphrase protected, set '%s')", IdentityKey, PasswordKey)
		}
		return nil, &scrubbedError{msg: scrub(prefix+": "+tidy(err.Error()), a.secrets()...), cause: ErrInvalidAuth}
	}
	port := u.Port()
	if port == "" {
		port = "22"
	}
	cb, algorithms, err := knownHostsCallback(a.KnownHosts, net.JoinHostPort(u.Hostname(), port))
	if err != nil {
		return nil, err
	}
	pk.HostKeyCallback = cb
	pk.HostKeyAlgorithms = algorithms
	return pk, nil
}

// knownHostsCallback parses known_hosts lines into a host key callback
// whose errors say plainly that verification failed, and returns the host
// key algorithms known for hostport, so the server is asked for a key type
// known_hosts can vouch for.
func knownHostsCallback(knownHosts []byte, hostport string) (ssh.HostKeyCallback, []string, error) {
	f, err := os.CreateTemp("", "ferry-known-hosts-")
	if err != nil {
		return nil, nil, fmt.Errorf("unable to parse '%s': %w", KnownHostsKey, err)
	}
	defer os.Remove(f.Name())
	_, werr := f.Write(knownHosts)
	if cerr := f.Close(); werr == nil {
		werr = cerr
	}
	if werr != nil {
		return nil, nil, fmt.Errorf("unable to parse '%s': %w", KnownHostsKey, werr)
	}
	cb, err := knownhosts.New(f.Name())
	if err != nil {
		msg := strings.ReplaceAll(err.Error(), "knownhosts: "+f.Name(), "line")
		return nil, nil, &scrubbedError{msg: fmt.Sprintf("unable to parse '%s': %s", KnownHostsKey, msg), cause: ErrInvalidAuth}
	}

	// Ask the database which keys it knows for the host with a key it
	// cannot know.
	var algorithms []string
	_, probe, _ := ed25519.GenerateKey(nil)
	if signer, err := ssh.NewSignerFromKey(probe); err == nil {
		var ke *knownhosts.KeyError
		if errors.As(cb(hostport, &net.TCPAddr{IP: net.IPv4zero, Port: atoi(hostport)}, signer.PublicKey()), &ke) {
			for _, k := range ke.Want {
				algorithms = append(algorithms, algorithmsFor(k.Key.Type())...)
			}
		}
	}

	checked := func(hostname string, remote net.Addr, key ssh.PublicKey) error {
		err := cb(hostname, remote, key)
		var ke *knownhosts.KeyError
		switch {
		case errors.As(err, &ke) && len(ke.Want) == 0:
			return fmt.Errorf("%w: host '%s' is not in '%s'", ErrHostKeyVerification, hostname, KnownHostsKey)
		case errors.As(err, &ke):
			return fmt.Errorf("%w: the %s key of host '%s' does not match '%s'", ErrHostKeyVerification, key.Type(), hostname, KnownHostsKey)
		case err != nil:
			return fmt.Errorf("%w: %s", ErrHostKeyVerification, err)
		}
		return nil
	}
	return checked, algorithms, nil
}

func atoi(hostport string) int {
	_, port, _ := net.SplitHostPort(hostport)
	n, _ := strconv.Atoi(port)
	return n
}

// algorithmsFor returns the host key algorithms that produce keys of type.
func algorithmsFor(keyType string) []string {
	if keyType == ssh.KeyAlgoRSA {
		return []string{ssh.KeyAlgoRSASHA512, ssh.KeyAlgoRSASHA256, ssh.KeyAlgoRSA}
	}
	return []string{keyType}
}
