package notification

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	notificationv1beta3 "github.com/ferrycd/ferry/api/notification/v1beta3"
	"github.com/ferrycd/ferry/internal/notifier"
	"github.com/ferrycd/ferry/internal/tlsconfig"
)

// Keys of a Provider's Secrets, Flux's.
const (
	AddressKey  = "address"
	TokenKey    = "token"
	UsernameKey = "username"
	PasswordKey = "password"
	HeadersKey  = "headers"
	ProxyKey    = "proxy"
)

// ErrSecret is a Provider whose Secret is missing or lacks what its type
// needs; retrying helps once the Secret changes.
var ErrSecret = errors.New("provider secret")

// Resolve reads the Secrets of p and returns its notifier options. Its
// errors name the Secrets and keys, never their values. It does not check
// that the type is supported; notifier.New does.
func Resolve(ctx context.Context, c client.Reader, p *notificationv1beta3.Provider) (notifier.Options, error) {
	o, _, err := resolve(ctx, c, p)
	return o, err
}

// resolve is Resolve that also returns a version of what it read (the
// Provider's generation and its Secrets' resource versions): the same
// version means the same options.
func resolve(ctx context.Context, c client.Reader, p *notificationv1beta3.Provider) (notifier.Options, string, error) {
	version := fmt.Sprintf("%s/%d", p.UID, p.Generation)
	getSecret := func(ctx context.Context, c client.Reader, namespace, name string) (*corev1.Secret, error) {
		s, err := readSecret(ctx, c, namespace, name)
		if err == nil {
			version += "/" + s.ResourceVersion
		}
		return s, err
	}
	o := notifier.Options{
		Type:        p.Spec.Type,
		Address:     p.Spec.Address,
		Channel:     p.Spec.Channel,
		Username:    p.Spec.Username,
		Timeout:     p.GetTimeout(),
		ProviderUID: string(p.UID),
	}
	proxy := p.Spec.Proxy
	if ref := p.Spec.SecretRef; ref != nil {
		s, err := getSecret(ctx, c, p.Namespace, ref.Name)
		if err != nil {
			return o, version, err
		}
		if v := strings.TrimSpace(string(s.Data[AddressKey])); v != "" {
			o.Address = v
		}
		if v := strings.TrimSpace(string(s.Data[TokenKey])); v != "" {
			o.Token = v
		}
		if v := string(s.Data[UsernameKey]); v != "" {
			o.Username = v
		}
		o.Password = string(s.Data[PasswordKey])
		if v := strings.TrimSpace(string(s.Data[ProxyKey])); v != "" {
			proxy = v
		}
		if raw := s.Data[HeadersKey]; len(raw) > 0 {
			headers := map[string]string{}
			if err := yaml.Unmarshal(raw, &headers); err != nil {
				return o, version, fmt.Errorf("%w '%s/%s': key '%s' is not a YAML map of header names to values", ErrSecret, s.Namespace, s.Name, HeadersKey)
			}
			o.Headers = headers
		}
	}
	if ref := p.Spec.ProxySecretRef; ref != nil {
		s, err := getSecret(ctx, c, p.Namespace, ref.Name)
		if err != nil {
			return o, version, err
		}
		addr := strings.TrimSpace(string(s.Data[AddressKey]))
		if addr == "" {
			return o, version, fmt.Errorf("%w '%s/%s': key '%s' with the proxy address is missing", ErrSecret, s.Namespace, s.Name, AddressKey)
		}
		u, err := parseProxy(addr)
		if err != nil {
			return o, version, fmt.Errorf("%w '%s/%s': key '%s': %v", ErrSecret, s.Namespace, s.Name, AddressKey, err)
		}
		if user := string(s.Data[UsernameKey]); user != "" {
			u.User = url.UserPassword(user, string(s.Data[PasswordKey]))
		}
		o.Proxy = u
	} else if proxy != "" {
		u, err := parseProxy(proxy)
		if err != nil {
			return o, version, fmt.Errorf("spec.proxy (or the Secret's '%s' key): %v", ProxyKey, err)
		}
		o.Proxy = u
	}
	if ref := p.Spec.CertSecretRef; ref != nil {
		s, err := getSecret(ctx, c, p.Namespace, ref.Name)
		if err != nil {
			return o, version, err
		}
		keys := tlsconfig.Standard
		if !tlsconfig.Has(s, keys) && tlsconfig.Has(s, tlsconfig.Legacy) {
			keys = tlsconfig.Legacy
		}
		cfg, err := tlsconfig.FromSecret(s, keys)
		if err != nil {
			return o, version, fmt.Errorf("%w: %v", ErrSecret, err)
		}
		if cfg == nil {
			return o, version, fmt.Errorf("%w '%s/%s': none of 'ca.crt', 'tls.crt' and 'tls.key' is set", ErrSecret, s.Namespace, s.Name)
		}
		o.TLS = cfg
	}
	if o.Address != "" {
		if u, err := url.Parse(o.Address); err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
			// The address may be a secret (a Slack webhook): do not print it.
			return o, version, errors.New("the address (spec.address or the Secret's 'address' key) is not a valid http(s) URL")
		}
	}
	return o, version, nil
}

func parseProxy(raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return nil, errors.New("the proxy address is not a valid http(s) URL")
	}
	return u, nil
}

func readSecret(ctx context.Context, c client.Reader, namespace, name string) (*corev1.Secret, error) {
	s := &corev1.Secret{}
	if err := c.Get(ctx, client.ObjectKey{Namespace: namespace, Name: name}, s); err != nil {
		if apierrors.IsNotFound(err) {
			return nil, fmt.Errorf("%w '%s/%s' not found", ErrSecret, namespace, name)
		}
		return nil, fmt.Errorf("reading secret '%s/%s': %w", namespace, name, err)
	}
	return s, nil
}

// secretValues are the values of o that must never appear in a message,
// longest first so that a value containing another is redacted whole.
func secretValues(o notifier.Options) []string {
	var out []string
	add := func(v string) {
		if len(v) >= 4 {
			out = append(out, v)
		}
	}
	add(o.Address)
	if u, err := url.Parse(o.Address); err == nil {
		add(strings.TrimPrefix(u.RequestURI(), "/"))
	}
	add(o.Token)
	add(o.Password)
	for _, v := range o.Headers {
		add(v)
	}
	if o.Proxy != nil {
		add(o.Proxy.String())
		if p, ok := o.Proxy.User.Password(); ok {
			add(p)
		}
	}
	for i := range out {
		for j := i + 1; j < len(out); j++ {
			if len(out[j]) > len(out[i]) {
				out[i], out[j] = out[j], out[i]
			}
		}
	}
	return out
}

// redact replaces every secret value of o in msg.
func redact(msg string, secrets []string) string {
	for _, s := range secrets {
		msg = strings.ReplaceAll(msg, s, "***")
	}
	return msg
}
