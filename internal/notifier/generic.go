package notifier

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
)

func init() {
	register("generic", newGeneric)
	register("generic-hmac", newGeneric)
}

// generic posts the event JSON itself; generic-hmac also signs it with
// the Secret's token in X-Signature, as Flux's generic-hmac does.
type generic struct {
	client  *http.Client
	address string
	headers map[string]string
	hmacKey []byte
}

func newGeneric(o Options, client *http.Client) (Notifier, error) {
	if err := chatNeedAddress(o); err != nil {
		return nil, err
	}
	g := &generic{client: client, address: o.Address, headers: o.Headers}
	if o.Type == "generic-hmac" {
		if o.Token == "" {
			return nil, errors.New("generic-hmac needs a token in the Secret")
		}
		g.hmacKey = []byte(o.Token)
	}
	return g, nil
}

func (g *generic) Post(ctx context.Context, e Event) error {
	body, err := json.Marshal(e)
	if err != nil {
		return Permanent(fmt.Errorf("encoding the event: %w", err))
	}
	// The Secret's headers may replace the two defaults, never the
	// signature.
	headers := map[string]string{
		"Content-Type":   "application/json",
		"Gotk-Component": e.ReportingController,
	}
	for k, v := range g.headers {
		headers[http.CanonicalHeaderKey(k)] = v
	}
	if g.hmacKey != nil {
		headers["X-Signature"] = "sha256=" + genericSign(body, g.hmacKey)
	}
	return post(ctx, g.client, http.MethodPost, g.address, body, headers)
}

// genericSign is the hex HMAC-SHA256 of body with key.
func genericSign(body, key []byte) string {
	mac := hmac.New(sha256.New, key)
	mac.Write(body)
	return hex.EncodeToString(mac.Sum(nil))
}
