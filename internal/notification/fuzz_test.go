package notification

import (
	"net/url"
	"strings"
	"testing"

	"github.com/ferrycd/ferry/internal/notifier"
)

// FuzzRedact checks that a delivery error redacted with a provider's
// secret values never holds one of them (of the 4 bytes and more that are
// redacted; a value with a '*' could be made of the "***" put in place of
// another one): the token, the password, a header, the address and its
// path, the proxy's password.
func FuzzRedact(f *testing.F) {
	f.Add("posting https://hooks.slack.com/services/T000/B000/XXXXSECRET failed with tok-12345 and Bearer hdr-secret",
		"https://hooks.slack.com/services/T000/B000/XXXXSECRET", "tok-12345", "pw", "Bearer hdr-secret", "http://u:proxypass@proxy:3128")
	f.Add("abcdefgh", "http://h/abcd", "bcde", "cdefg", "defgh", "")
	f.Add("xaaaaa aaaa", "", "aaaa", "xaaaa", "", "")
	f.Add("token=sec%20ret", "https://h/x?token=sec%20ret", "sec ret", "", "", "")
	f.Fuzz(func(t *testing.T, msg, address, token, password, header, proxy string) {
		o := notifier.Options{Address: address, Token: token, Password: password, Headers: map[string]string{"X": header}}
		secrets := []string{address, token, password, header}
		if u, err := url.Parse(address); err == nil {
			secrets = append(secrets, strings.TrimPrefix(u.RequestURI(), "/"))
		}
		if p, err := url.Parse(proxy); err == nil && proxy != "" {
			o.Proxy = p
			if pw, ok := p.User.Password(); ok {
				secrets = append(secrets, pw, p.String())
			}
		}
		got := redact(msg, secretValues(o))
		for _, s := range secrets {
			if len(s) >= 4 && !strings.Contains(s, "*") && strings.Contains(got, s) {
				t.Fatalf("redact(%q) = %q still holds %q", msg, got, s)
			}
		}
	})
}
