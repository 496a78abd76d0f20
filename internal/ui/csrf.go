package ui

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"net/http"
	"net/url"
)

// csrfCookie holds a browser's random value; every form carries the HMAC
// of it under the process's key (a double submit that a cross-site page
// cannot forge, since it can neither read the cookie nor the key).
const (
	csrfCookie = "ferry-csrf"
	csrfField  = "csrf"
)

type csrf struct {
	key []byte
}

func newCSRF() (*csrf, error) {
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		return nil, err
	}
	return &csrf{key: key}, nil
}

// sign is the token of a cookie value.
func (c *csrf) sign(cookie string) string {
	m := hmac.New(sha256.New, c.key)
	m.Write([]byte(cookie))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// token returns the token of the request's cookie, setting a new cookie
// when the browser has none.
func (c *csrf) token(w http.ResponseWriter, r *http.Request) string {
	if ck, err := r.Cookie(csrfCookie); err == nil && len(ck.Value) >= 16 {
		return c.sign(ck.Value)
	}
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return ""
	}
	value := base64.RawURLEncoding.EncodeToString(b)
	http.SetCookie(w, &http.Cookie{
		Name:     csrfCookie,
		Value:    value,
		Path:     "/",
		HttpOnly: true,
		Secure:   r.TLS != nil,
		SameSite: http.SameSiteStrictMode,
	})
	return c.sign(value)
}

// check refuses a POST that is not from one of the UI's own pages: its
// token must match its cookie, and its Origin and Sec-Fetch-Site, when
// the browser sends them, must say same origin.
func (c *csrf) check(r *http.Request) error {
	if site := r.Header.Get("Sec-Fetch-Site"); site != "" && site != "same-origin" {
		return errors.New("the request comes from another site (Sec-Fetch-Site: " + site + ")")
	}
	if origin := r.Header.Get("Origin"); origin != "" {
		u, err := url.Parse(origin)
		if err != nil || u.Host != r.Host {
			return errors.New("the request comes from another origin (" + origin + ")")
		}
	}
	ck, err := r.Cookie(csrfCookie)
	if err != nil || ck.Value == "" {
		return errors.New("the request has no CSRF cookie; reload the page and try again")
	}
	token := r.PostFormValue(csrfField)
	if token == "" || !hmac.Equal([]byte(token), []byte(c.sign(ck.Value))) {
		return errors.New("the request's CSRF token is missing or wrong; reload the page and try again")
	}
	return nil
}
