package receiver

import (
	"context"
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"errors"
	"hash"
	"net/http"
	"strings"
	"testing"

	notificationv1 "github.com/ferrycd/ferry/api/notification/v1"
)

// fuzzToken is the Receiver token of FuzzValidate: no logged refusal may
// name it.
const fuzzToken = "fuzz-t0ken-never-logged"

// FuzzValidate sends arbitrary calls to every Receiver type: validation
// never panics, refuses with a 400 or a 401 whose logged message never
// names the token, and accepts an authenticated type only when the call
// carries the token or a valid HMAC of the body under it (sign computes a
// valid one, so that the payload parsers behind the check are reached
// too).
func FuzzValidate(f *testing.F) {
	body := `{"ref":"refs/heads/main"}`
	for i := range Types {
		f.Add(uint8(i), "push", "", "push", fuzzToken, "application/json", []byte(body), true)
		f.Add(uint8(i), "", "sha256=00", "ping", "Bearer id", "text/plain", []byte(`{"action":"ping"}`), false)
	}
	f.Add(uint8(5), "", "", "", fuzzToken, "", []byte(`{"push_data":{"tag":"v1"},"repository":{"repo_url":"u"}}`), false)
	f.Add(uint8(6), "", "", "", "", "", []byte(`{"docker_url":"q","updated_tags":["v1"]}`), false)
	f.Add(uint8(9), "", "", "", "Bearer good", "", []byte(`{"message":{"data":"eyJhY3Rpb24iOiJJTlNFUlQifQ==","messageId":"m"}}`), false)
	f.Add(uint8(11), "dev.cdevents.a", "", "dev.cdevents.a", "", "application/cloudevents+json", []byte(`{"context":{"version":"1","id":"i","source":"s","type":"dev.cdevents.a"},"subject":{}}`), false)
	v := &validator{verifyIDToken: func(_ context.Context, token, audience string) (map[string]any, error) {
		if token != "good" || audience != "aud" {
			return nil, errors.New("invalid token")
		}
		return map[string]any{"iss": "accounts.google.com", "email": "push@p.iam", "email_verified": true}, nil
	}}
	secret := map[string][]byte{TokenKey: []byte(fuzzToken), EmailKey: []byte("push@p.iam"), AudienceKey: []byte("aud")}
	f.Fuzz(func(t *testing.T, typ uint8, events, sig, event, auth, contentType string, body []byte, sign bool) {
		c := call{typ: Types[int(typ)%len(Types)], secret: secret, header: http.Header{}, body: body}
		if events != "" {
			c.events = strings.Split(events, ",")
		}
		nexusSig := sig
		if sign {
			sig = "sha256=" + hex.EncodeToString(fuzzMAC(sha256.New, body))
			nexusSig = hex.EncodeToString(fuzzMAC(sha1.New, body))
		}
		for name, value := range map[string]string{
			"X-Signature": sig, "X-Hub-Signature-256": sig, "X-Hub-Signature": sig, "X-Nexus-Webhook-Signature": nexusSig,
			"X-Github-Event": event, "X-Gitlab-Event": event, "X-Event-Key": event, "Ce-Type": event,
			"X-Gitlab-Token": auth, "Authorization": auth, "Content-Type": contentType,
			"X-Github-Delivery": "d", "X-Gitlab-Event-Uuid": "d", "X-Request-Uuid": "d", "Ce-Id": "d",
		} {
			if value != "" {
				c.header.Set(name, value)
			}
		}
		got, err := v.validate(context.Background(), c)
		if err != nil {
			var ref *refusal
			if !errors.As(err, &ref) || (ref.code != http.StatusBadRequest && ref.code != http.StatusUnauthorized) {
				t.Fatalf("%s: validate = %v, want a 400 or 401 refusal", c.typ, err)
			}
			if strings.Contains(ref.Error(), fuzzToken) {
				t.Fatalf("%s: the logged refusal names the token: %q", c.typ, ref.Error())
			}
			return
		}
		if got == nil {
			t.Fatalf("%s: validate accepted with no verdict", c.typ)
		}
		switch c.typ {
		case notificationv1.GenericHMACReceiver, notificationv1.BitbucketReceiver:
			if !validHMAC(sig, body) {
				t.Fatalf("%s: accepted the signature %q", c.typ, sig)
			}
		case notificationv1.GitHubReceiver:
			if !validHMAC(sig, body) {
				t.Fatalf("%s: accepted the signature %q", c.typ, sig)
			}
			if got.ack != (event == "ping") {
				t.Fatalf("%s: ack = %v for the event %q", c.typ, got.ack, event)
			}
		case notificationv1.NexusReceiver:
			if !validHMAC("sha1="+nexusSig, body) {
				t.Fatalf("%s: accepted the signature %q", c.typ, nexusSig)
			}
		case notificationv1.GitLabReceiver, notificationv1.HarborReceiver:
			if auth != fuzzToken {
				t.Fatalf("%s: accepted the token %q", c.typ, auth)
			}
		case notificationv1.GCRReceiver:
			if auth != "Bearer good" {
				t.Fatalf("%s: accepted the Authorization %q", c.typ, auth)
			}
		}
	})
}

// validHMAC reports whether sig, "<algorithm>=<hex>", is the HMAC of body
// under fuzzToken, computed here independently of checkHMAC.
func validHMAC(sig string, body []byte) bool {
	algo, digits, _ := strings.Cut(sig, "=")
	var h func() hash.Hash
	switch strings.ToLower(algo) {
	case "sha1":
		h = sha1.New
	case "sha256":
		h = sha256.New
	case "sha512":
		h = sha512.New
	default:
		return false
	}
	got, err := hex.DecodeString(digits)
	return err == nil && hmac.Equal(got, fuzzMAC(h, body))
}

func fuzzMAC(h func() hash.Hash, body []byte) []byte {
	m := hmac.New(h, []byte(fuzzToken))
	m.Write(body)
	return m.Sum(nil)
}
