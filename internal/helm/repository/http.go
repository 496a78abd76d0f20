package repository

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
)

// newTransport returns a transport with opts' TLS configuration and the
// environment's proxy. It is used for one operation: the caller closes its
// idle connections after it, so none outlives the operation.
func newTransport(opts Options) *http.Transport {
	t := http.DefaultTransport.(*http.Transport).Clone()
	if opts.TLS != nil {
		t.TLSClientConfig = opts.TLS.Clone()
	}
	return t
}

// sameHost reports whether a and b name the same host and port.
func sameHost(a, b *url.URL) bool {
	return strings.EqualFold(a.Host, b.Host)
}

// get downloads u with opts, sending the credentials when u is on opts.URL's
// host or PassCredentials is set, and reads at most max bytes. what names
// the download in errors ("index", "chart demo-1.0.0").
func get(ctx context.Context, opts Options, u *url.URL, max int64, what string) ([]byte, error) {
	base, err := url.Parse(opts.URL)
	if err != nil {
		return nil, fmt.Errorf("%w: cannot parse %q", ErrInvalidURL, redactURLs(opts.URL))
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("User-Agent", "ferry (Helm repository client)")
	if (opts.Username != "" || opts.Password != "") && (opts.PassCredentials || sameHost(base, u)) {
		req.SetBasicAuth(opts.Username, opts.Password)
	}
	t := newTransport(opts)
	defer t.CloseIdleConnections()
	resp, err := (&http.Client{Transport: t}).Do(req)
	if err != nil {
		return nil, fmt.Errorf("failed to download %s from '%s': %w", what, u.Redacted(), err)
	}
	defer resp.Body.Close()
	switch {
	case resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden:
		hint := "the server requires credentials: set spec.secretRef to a Secret with 'username' and 'password'"
		if req.Header.Get("Authorization") != "" {
			hint = "the server rejected the credentials"
		}
		return nil, fmt.Errorf("failed to download %s from '%s': %w: %s (%s)", what, u.Redacted(), ErrAuthentication, resp.Status, hint)
	case resp.StatusCode != http.StatusOK:
		return nil, fmt.Errorf("failed to download %s from '%s': %s", what, u.Redacted(), resp.Status)
	case resp.ContentLength > max:
		return nil, fmt.Errorf("failed to download %s from '%s': %w: %d bytes is more than the maximum of %s", what, u.Redacted(), ErrTooLarge, resp.ContentLength, humanSize(max))
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, max+1))
	if err != nil {
		return nil, fmt.Errorf("failed to download %s from '%s': %w", what, u.Redacted(), err)
	}
	if int64(len(data)) > max {
		return nil, fmt.Errorf("failed to download %s from '%s': %w: more than the maximum of %s", what, u.Redacted(), ErrTooLarge, humanSize(max))
	}
	return data, nil
}

// humanSize writes n bytes in binary units ("50 MiB", "1.5 KiB", "12 B").
func humanSize(n int64) string {
	units := []string{"B", "KiB", "MiB", "GiB", "TiB"}
	v, i := float64(n), 0
	for v >= 1024 && i < len(units)-1 {
		v /= 1024
		i++
	}
	if i == 0 {
		return fmt.Sprintf("%d B", n)
	}
	s := strings.TrimSuffix(strings.TrimRight(fmt.Sprintf("%.2f", v), "0"), ".")
	return s + " " + units[i]
}
