package git_test

import (
	"errors"
	"testing"

	"github.com/ferrycd/ferry/internal/git"
)

func TestRedactURL(t *testing.T) {
	tests := map[string]string{
		"https://user:pass@github.com/org/repo": "https://github.com/org/repo",
		"https://token@github.com/org/repo.git": "https://github.com/org/repo.git",
		"http://127.0.0.1:8080/org/app":         "http://127.0.0.1:8080/org/app",
		"ssh://git@github.com/org/repo":         "ssh://github.com/org/repo",
		"https://u:p@host/path?q=1#frag":        "https://host/path?q=1#frag",
		"http://u:p%zz@host/bad-escape":         "http://host/bad-escape",
		"":                                      "",
		"not a url":                             "not a url",
	}
	for in, want := range tests {
		if got := git.RedactURL(in); got != want {
			t.Errorf("RedactURL(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestValidateURL(t *testing.T) {
	tests := map[string]bool{
		"https://github.com/org/repo": true,
		"http://127.0.0.1:1234/x":     true,
		"HTTPS://github.com/org/repo": true,
		"ssh://git@github.com/org/r":  true,
		"git@github.com:org/repo.git": false,
		"file:///srv/repo":            false,
		"https:///nohost":             false,
		"://bad":                      false,
		"":                            false,
	}
	for in, valid := range tests {
		err := git.ValidateURL(in)
		if valid && err != nil {
			t.Errorf("ValidateURL(%q) = %v, want nil", in, err)
		}
		if !valid && !errors.Is(err, git.ErrInvalidURL) {
			t.Errorf("ValidateURL(%q) = %v, want ErrInvalidURL", in, err)
		}
	}
}
