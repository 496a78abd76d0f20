package gitserver

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/binary"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"
)

// SSHServer serves the Git repositories below a root over ssh: it accepts
// the public keys it was given and runs the system `git-upload-pack` for
// exec requests, so clients can fetch (not push).
type SSHServer struct {
	root        string
	hostSigners []ssh.Signer

	mu         sync.Mutex
	authorized []ssh.PublicKey
	listener   net.Listener
	addr       string
	wg         sync.WaitGroup
	closed     bool

	// uploadPacks counts the git-upload-pack commands run.
	uploadPacks atomic.Int64

	// AllowPush also serves git-receive-pack, so clients can push. Set it
	// before Start.
	AllowPush bool
}

// NewSSH returns an ssh server for the repositories below root, identified
// by hostKey and accepting the authorized public keys. It is not listening
// until Start.
func NewSSH(root string, hostKey ssh.Signer, authorized ...ssh.PublicKey) *SSHServer {
	return &SSHServer{root: root, hostSigners: []ssh.Signer{hostKey}, authorized: authorized}
}

// AddHostKey gives the server another host key (of another type), as real
// servers offer several. Call it before Start.
func (s *SSHServer) AddHostKey(key ssh.Signer) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.hostSigners = append(s.hostSigners, key)
}

// Authorize adds a public key the server accepts.
func (s *SSHServer) Authorize(key ssh.PublicKey) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.authorized = append(s.authorized, key)
}

// Start listens on 127.0.0.1 and a free port and returns the address.
func (s *SSHServer) Start() (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.listener != nil {
		return "", errors.New("ssh gitserver already started")
	}
	cfg := &ssh.ServerConfig{PublicKeyCallback: s.checkKey}
	for _, k := range s.hostSigners {
		cfg.AddHostKey(k)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("ssh gitserver listen: %w", err)
	}
	s.listener, s.addr = l, l.Addr().String()
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		for {
			conn, err := l.Accept()
			if err != nil {
				return
			}
			s.wg.Add(1)
			go func() {
				defer s.wg.Done()
				s.serve(conn, cfg)
			}()
		}
	}()
	return s.addr, nil
}

// Addr returns the address after Start, e.g. "127.0.0.1:41234".
func (s *SSHServer) Addr() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.addr
}

// RepoURL returns the ssh URL of the repository at the slash-separated path
// below the root, e.g. "ssh://git@127.0.0.1:41234/org/app".
func (s *SSHServer) RepoURL(path string) string {
	return "ssh://git@" + s.Addr() + "/" + strings.TrimPrefix(path, "/")
}

// KnownHosts returns known_hosts lines for the server's host keys at its
// address.
func (s *SSHServer) KnownHosts() []byte {
	addr := s.Addr()
	s.mu.Lock()
	defer s.mu.Unlock()
	var b strings.Builder
	for _, k := range s.hostSigners {
		b.WriteString(KnownHostsLine(addr, k.PublicKey()) + "\n")
	}
	return []byte(b.String())
}

// UploadPacks returns how many git-upload-pack commands (fetches and ref
// listings) the server ran.
func (s *SSHServer) UploadPacks() int64 { return s.uploadPacks.Load() }

// Close stops listening and waits for open sessions to end.
func (s *SSHServer) Close() {
	s.mu.Lock()
	l := s.listener
	already := s.closed
	s.closed = true
	s.mu.Unlock()
	if l == nil || already {
		return
	}
	_ = l.Close()
	s.wg.Wait()
}

func (s *SSHServer) checkKey(_ ssh.ConnMetadata, key ssh.PublicKey) (*ssh.Permissions, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, k := range s.authorized {
		if string(k.Marshal()) == string(key.Marshal()) {
			return &ssh.Permissions{}, nil
		}
	}
	return nil, errors.New("public key not authorized")
}

func (s *SSHServer) serve(conn net.Conn, cfg *ssh.ServerConfig) {
	defer conn.Close()
	sc, chans, reqs, err := ssh.NewServerConn(conn, cfg)
	if err != nil {
		return
	}
	defer sc.Close()
	go ssh.DiscardRequests(reqs)
	for nc := range chans {
		if nc.ChannelType() != "session" {
			_ = nc.Reject(ssh.UnknownChannelType, "only session channels")
			continue
		}
		ch, chReqs, err := nc.Accept()
		if err != nil {
			continue
		}
		go s.session(ch, chReqs)
	}
}

// session runs the one exec request of a session.
func (s *SSHServer) session(ch ssh.Channel, reqs <-chan *ssh.Request) {
	defer ch.Close()
	for req := range reqs {
		if req.Type != "exec" {
			// env (GIT_PROTOCOL) and the like: refused, git falls back.
			_ = req.Reply(false, nil)
			continue
		}
		var payload struct{ Command string }
		if err := ssh.Unmarshal(req.Payload, &payload); err != nil {
			_ = req.Reply(false, nil)
			continue
		}
		service, dir, err := s.repoDir(payload.Command)
		if err != nil {
			_ = req.Reply(true, nil)
			fmt.Fprintf(ch.Stderr(), "%s\n", err)
			exit(ch, 1)
			return
		}
		_ = req.Reply(true, nil)
		if service == "upload-pack" {
			s.uploadPacks.Add(1)
		}
		exit(ch, s.pack(ch, service, dir))
		return
	}
}

// repoDir parses "git-upload-pack '/org/app'" (or git-receive-pack, with
// AllowPush) and returns the service ("upload-pack", "receive-pack") and
// the repository directory, confined to the root.
func (s *SSHServer) repoDir(command string) (string, string, error) {
	name, arg, ok := strings.Cut(command, " ")
	service := strings.TrimPrefix(strings.TrimPrefix(name, "git-"), "git ")
	if strings.HasPrefix(arg, "upload-pack ") || strings.HasPrefix(arg, "receive-pack ") {
		// "git upload-pack '/org/app'"
		service, arg, _ = strings.Cut(arg, " ")
	}
	switch {
	case !ok:
		return "", "", fmt.Errorf("unsupported command %q", command)
	case service == "upload-pack", service == "receive-pack" && s.AllowPush:
	default:
		return "", "", fmt.Errorf("unsupported command %q: only git-upload-pack is served", name)
	}
	arg = strings.Trim(strings.TrimSpace(arg), "'\"")
	rel := filepath.Clean("/" + arg)
	dir := filepath.Join(s.root, rel)
	if _, err := os.Stat(dir); err != nil {
		return "", "", fmt.Errorf("repository '%s' not found", arg)
	}
	return service, dir, nil
}

// pack runs git upload-pack or receive-pack on the channel.
func (s *SSHServer) pack(ch ssh.Channel, service, dir string) uint32 {
	cmd := exec.Command("git", service, dir)
	cmd.Env = append(os.Environ(), gitEnv...)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return 1
	}
	cmd.Stdout, cmd.Stderr = ch, ch.Stderr()
	if err := cmd.Start(); err != nil {
		fmt.Fprintf(ch.Stderr(), "git %s: %s\n", service, err)
		return 1
	}
	go func() {
		_, _ = io.Copy(stdin, ch)
		_ = stdin.Close()
	}()
	if err := cmd.Wait(); err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return uint32(ee.ExitCode())
		}
		return 1
	}
	return 0
}

func exit(ch ssh.Channel, code uint32) {
	status := make([]byte, 4)
	binary.BigEndian.PutUint32(status, code)
	_, _ = ch.SendRequest("exit-status", false, status)
}

// GenerateSSHKey returns a new ed25519 key as a signer and as an OpenSSH
// PEM private key, encrypted with passphrase unless it is empty.
func GenerateSSHKey(passphrase string) (ssh.Signer, []byte, error) {
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	signer, err := ssh.NewSignerFromKey(priv)
	if err != nil {
		return nil, nil, err
	}
	var block *pem.Block
	if passphrase == "" {
		block, err = ssh.MarshalPrivateKey(priv, "ferry test key")
	} else {
		block, err = ssh.MarshalPrivateKeyWithPassphrase(priv, "ferry test key", []byte(passphrase))
	}
	if err != nil {
		return nil, nil, err
	}
	return signer, pem.EncodeToMemory(block), nil
}

// KnownHostsLine returns the known_hosts line for key at addr ("host:port").
func KnownHostsLine(addr string, key ssh.PublicKey) string {
	return knownhosts.Line([]string{knownhosts.Normalize(addr)}, key)
}
