package cli

import (
	"bytes"
	"errors"
	"fmt"
	"net/url"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"golang.org/x/crypto/ssh"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/ferrycd/ferry/internal/git"
)

// secretGitFlags are the flags of `create secret git`.
type secretGitFlags struct {
	url            string
	username       string
	password       string
	bearerToken    string
	privateKeyFile string
	knownHostsFile string
	caFile         string
}

func newCreateSecretGitCommand(g *globals, cf *createFlags) *cobra.Command {
	f := &secretGitFlags{}
	cmd := &cobra.Command{
		Use:   "git NAME",
		Short: "Create or update a Secret with Git credentials, in the keys GitRepository spec.secretRef reads",
		Long: `Create or update a Secret with Git credentials, in the keys Flux's GitRepository
spec.secretRef reads: 'username'/'password' or 'bearerToken' for HTTP(S) URLs;
'identity', 'identity.pub', 'known_hosts' (and 'password' for a passphrase) for
SSH URLs; 'ca.crt' for a custom certificate authority.

ferry does not fetch host keys over the network: for an SSH URL pass the host
keys with --known-hosts-file (e.g. the output of 'ssh-keyscan HOST').`,
		Example: `  # Basic authentication over HTTPS
  ferry create secret git podinfo-auth --url=https://github.com/stefanprodan/podinfo \
    --username=git --password="$TOKEN"

  # SSH with an existing key and the host keys from ssh-keyscan
  ssh-keyscan github.com > known_hosts
  ferry create secret git podinfo-ssh --url=ssh://git@github.com/stefanprodan/podinfo \
    --private-key-file=./id_ed25519 --known-hosts-file=./known_hosts

  # Print the Secret instead of applying it
  ferry create secret git podinfo-auth --url=https://github.com/stefanprodan/podinfo \
    --bearer-token="$TOKEN" --export`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			secret, err := f.secret(args[0], g.namespace)
			if err != nil {
				return err
			}
			if cf.export {
				return printYAML(g, secret)
			}
			c, err := g.client()
			if err != nil {
				return err
			}
			live := &corev1.Secret{}
			err = c.Get(cmd.Context(), client.ObjectKeyFromObject(secret), live)
			switch {
			case apierrors.IsNotFound(err):
				if err := c.Create(cmd.Context(), secret); err != nil {
					return fmt.Errorf("creating Secret '%s/%s': %w", secret.Namespace, secret.Name, err)
				}
				g.printf("✔ git secret '%s' created in '%s' namespace", secret.Name, secret.Namespace)
			case err != nil:
				return fmt.Errorf("getting Secret '%s/%s': %w", secret.Namespace, secret.Name, err)
			default:
				live.Data = nil
				live.StringData = secret.StringData
				if err := c.Update(cmd.Context(), live); err != nil {
					return fmt.Errorf("updating Secret '%s/%s': %w", secret.Namespace, secret.Name, err)
				}
				g.printf("✔ git secret '%s' updated in '%s' namespace", secret.Name, secret.Namespace)
			}
			return nil
		},
	}
	f.register(cmd.Flags(), "Git address the credentials are for; its scheme selects HTTP(S) or SSH credentials")
	return cmd
}

// register adds the credential flags, --url described as urlHelp.
func (f *secretGitFlags) register(fl *pflag.FlagSet, urlHelp string) {
	fl.StringVar(&f.url, "url", "", urlHelp)
	fl.StringVarP(&f.username, "username", "u", "", "basic authentication user name (HTTP(S))")
	fl.StringVarP(&f.password, "password", "p", "", "basic authentication password or token (HTTP(S)), or the passphrase of --private-key-file (SSH)")
	fl.StringVar(&f.bearerToken, "bearer-token", "", "bearer token (HTTP(S))")
	fl.StringVar(&f.privateKeyFile, "private-key-file", "", "path to an SSH private key (SSH)")
	fl.StringVar(&f.knownHostsFile, "known-hosts-file", "", "path to known_hosts lines for the SSH host, e.g. from ssh-keyscan (required for SSH)")
	fl.StringVar(&f.caFile, "ca-file", "", "path to a PEM certificate authority bundle (HTTPS)")
}

// secret builds the Secret the flags describe. It never puts a credential
// into an error message.
func (f *secretGitFlags) secret(name, namespace string) (*corev1.Secret, error) {
	if f.url == "" {
		return nil, errors.New("--url is required")
	}
	if err := git.ValidateURL(f.url); err != nil {
		return nil, fmt.Errorf("--url: %w", err)
	}
	u, err := url.Parse(f.url)
	if err != nil {
		return nil, fmt.Errorf("--url: %w", git.ValidateURL(f.url))
	}
	data := map[string]string{}
	if strings.EqualFold(u.Scheme, "ssh") {
		if f.username != "" || f.bearerToken != "" {
			return nil, errors.New("--username and --bearer-token are for HTTP(S) URLs; an SSH URL takes --private-key-file and --known-hosts-file")
		}
		if f.privateKeyFile == "" {
			return nil, errors.New("an SSH URL needs --private-key-file")
		}
		if f.knownHostsFile == "" {
			return nil, fmt.Errorf("an SSH URL needs --known-hosts-file: ferry never skips host key verification and does not fetch host keys; create the file with 'ssh-keyscan %s'", u.Hostname())
		}
		key, err := os.ReadFile(f.privateKeyFile)
		if err != nil {
			return nil, fmt.Errorf("reading --private-key-file: %w", err)
		}
		var signer ssh.Signer
		if f.password != "" {
			signer, err = ssh.ParsePrivateKeyWithPassphrase(key, []byte(f.password))
		} else {
			signer, err = ssh.ParsePrivateKey(key)
		}
		if err != nil {
			var missing *ssh.PassphraseMissingError
			if errors.As(err, &missing) {
				return nil, fmt.Errorf("--private-key-file %s is encrypted: pass its passphrase with --password", f.privateKeyFile)
			}
			return nil, fmt.Errorf("--private-key-file %s is not a usable SSH private key (or --password is wrong)", f.privateKeyFile)
		}
		hosts, err := os.ReadFile(f.knownHostsFile)
		if err != nil {
			return nil, fmt.Errorf("reading --known-hosts-file: %w", err)
		}
		if err := checkKnownHosts(hosts); err != nil {
			return nil, fmt.Errorf("--known-hosts-file %s: %w", f.knownHostsFile, err)
		}
		data[git.IdentityKey] = string(key)
		data[git.IdentityKey+".pub"] = string(ssh.MarshalAuthorizedKey(signer.PublicKey()))
		data[git.KnownHostsKey] = string(hosts)
		if f.password != "" {
			data[git.PasswordKey] = f.password
		}
	} else {
		if f.privateKeyFile != "" || f.knownHostsFile != "" {
			return nil, errors.New("--private-key-file and --known-hosts-file are for SSH URLs; an HTTP(S) URL takes --username/--password or --bearer-token")
		}
		basic := f.username != "" || f.password != ""
		switch {
		case basic && f.bearerToken != "":
			return nil, errors.New("use either --username/--password or --bearer-token, not both")
		case basic && (f.username == "" || f.password == ""):
			return nil, errors.New("basic authentication needs both --username and --password")
		case basic:
			data[git.UsernameKey] = f.username
			data[git.PasswordKey] = f.password
		case f.bearerToken != "":
			data[git.BearerTokenKey] = f.bearerToken
		case f.caFile == "":
			return nil, errors.New("no credentials given: pass --username and --password, or --bearer-token")
		}
	}
	if f.caFile != "" {
		ca, err := os.ReadFile(f.caFile)
		if err != nil {
			return nil, fmt.Errorf("reading --ca-file: %w", err)
		}
		data[git.CAKey] = string(ca)
	}
	return &corev1.Secret{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Secret"},
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: namespace},
		StringData: data,
	}, nil
}

// checkKnownHosts fails unless every non-comment line of data is a
// known_hosts entry, and there is at least one.
func checkKnownHosts(data []byte) error {
	n := 0
	for i, line := range bytes.Split(data, []byte("\n")) {
		line = bytes.TrimSpace(line)
		if len(line) == 0 || line[0] == '#' {
			continue
		}
		if _, _, _, _, _, err := ssh.ParseKnownHosts(line); err != nil {
			return fmt.Errorf("line %d is not a known_hosts entry: %w", i+1, err)
		}
		n++
	}
	if n == 0 {
		return errors.New("no host keys in the file")
	}
	return nil
}
