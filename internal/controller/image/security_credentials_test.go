package image_test

import (
	"strings"
	"testing"

	imagev1 "github.com/ferrycd/ferry/api/image/v1"
	"github.com/ferrycd/ferry/api/meta"
	"github.com/ferrycd/ferry/internal/oci/ocitest"
	"github.com/ferrycd/ferry/internal/testenv"
)

// TestImageCredentialsNeverEchoed writes a registry password into
// spec.image, in each form a user might (with a scheme, as userinfo before
// the host): the ImageRepository stalls with a message that says to use
// spec.secretRef, and the password is in no condition, event or log line.
func TestImageCredentialsNeverEchoed(t *testing.T) {
	ns := env.NewNamespace(t, "imagecreds")
	reg := ocitest.Start(t, ocitest.Options{Username: registryUser, Password: registryPassword})
	reg.PushTags(t, "acme/web", []string{"1.0.0"}, pushOpts(reg, false))
	userinfo := registryUser + ":" + registryPassword + "@"
	tests := map[string]string{
		"https":    "https://" + userinfo + reg.Host() + "/acme/web",
		"userinfo": userinfo + reg.Host() + "/acme/web",
		"user":     registryPassword + "@" + reg.Host() + "/acme/web",
	}
	before := len(env.Logs.String())
	for name, image := range tests {
		t.Run(name, func(t *testing.T) {
			create(t, newRepository(ns, name, image))
			got := waitRepo(t, ns, name, "stalled", testenv.ReadyFalse[*imagev1.ImageRepository](imagev1.ImageURLInvalidReason))
			c := cond(got, meta.ReadyCondition)
			t.Logf("Ready=False %s: %s", c.Reason, c.Message)
			if !strings.Contains(c.Message, "spec.secretRef") {
				t.Errorf("Ready message %q does not say to use spec.secretRef", c.Message)
			}
			if s := cond(got, meta.StalledCondition); s == nil {
				t.Error("not stalled: retrying cannot help")
			}
			if got.Status.CanonicalImageName != "" && strings.Contains(got.Status.CanonicalImageName, registryPassword) {
				t.Errorf("canonicalImageName %q holds the password", got.Status.CanonicalImageName)
			}
			testenv.AssertNoSecret(t, env.Client, got, registryPassword)
		})
	}
	if logs := env.Logs.String()[before:]; strings.Contains(logs, registryPassword) {
		t.Errorf("the controllers logged the password of spec.image")
	}
	if got := reg.Requests("GET", "tags"); got != 0 {
		t.Errorf("%d tag listings for images with credentials in spec.image", got)
	}
}
