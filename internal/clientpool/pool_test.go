package clientpool

import (
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

type client struct {
	name   string
	closed bool
}

func TestPool(t *testing.T) {
	p := New(time.Hour, 2, func(c *client) { c.closed = true })
	get := func(key string) *client {
		c, err := p.Get(key, func() (*client, error) { return &client{name: key}, nil })
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	a := get("a")
	if get("a") != a {
		t.Error("the same key gave another client")
	}
	b := get("b")
	get("a") // a is now the most recently used
	get("c")
	if p.Len() != 2 || !b.closed || a.closed {
		t.Errorf("%d clients held (want the maximum of 2), b closed %v, a closed %v", p.Len(), b.closed, a.closed)
	}
	if get("a") != a {
		t.Error("the most recently used client was evicted")
	}

	idle := New[*client](time.Nanosecond, 0, nil)
	old, _ := idle.Get("a", func() (*client, error) { return &client{}, nil })
	time.Sleep(time.Millisecond)
	_, _ = idle.Get("b", func() (*client, error) { return &client{}, nil })
	if again, _ := idle.Get("a", func() (*client, error) { return &client{}, nil }); again == old {
		t.Error("an idle client was kept")
	}
}

func TestKey(t *testing.T) {
	secret := func(password string) *corev1.Secret {
		return &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "creds"},
			Data: map[string][]byte{"username": []byte("u"), "password": []byte(password)}}
	}
	one := NewKey("registry.example", "false").Secrets(secret("first")).String()
	if again := NewKey("registry.example", "false").Secrets(secret("first")).String(); again != one {
		t.Error("the same inputs gave another key")
	}
	if rotated := NewKey("registry.example", "false").Secrets(secret("second")).String(); rotated == one {
		t.Error("a rotated password kept the key")
	}
	if NewKey("ab", "c").String() == NewKey("a", "bc").String() {
		t.Error("fields ran together")
	}
}
