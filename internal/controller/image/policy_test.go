package image_test

import (
	"context"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	imagev1 "github.com/ferrycd/ferry/api/image/v1"
	"github.com/ferrycd/ferry/api/meta"
	sourcev1 "github.com/ferrycd/ferry/api/source/v1"
	"github.com/ferrycd/ferry/internal/oci"
	"github.com/ferrycd/ferry/internal/oci/ocitest"
	"github.com/ferrycd/ferry/internal/testenv"
)

// TestPolicies chooses among semver releases, release candidates, calver
// builds with timestamps and signatures with every kind of policy.
func TestPolicies(t *testing.T) {
	ns := env.NewNamespace(t, "policy")
	reg := ocitest.Start(t, ocitest.Options{})
	image := reg.Host() + "/acme/web"
	digest := reg.PushTags(t, "acme/web", []string{
		"1.0.0", "1.4.1", "1.4.2", "v1.5.0", "2.0.0-rc.1", "2.0.0-rc.2", "1.9.0-rc.1",
		"main-3f2a1bc-1700000000", "main-9c0d7e2-1700000900", "main-0aa11bb-1699999999",
		"sha256-4a5b.sig", "latest",
	})
	create(t, newRepository(ns, "web", image))

	policies := map[string]struct {
		choice imagev1.ImagePolicyChoice
		filter *imagev1.TagFilter
		want   string
	}{
		"stable":       {choice: semver(">=1.0.0 <2.0.0"), want: "v1.5.0"},
		"patch":        {choice: semver("~1.4"), want: "1.4.2"},
		"candidates":   {choice: semver(">=2.0.0-0"), want: "2.0.0-rc.2"},
		"seed-filter":  {choice: semver(">=1.0.0 <2.0.0"), filter: &imagev1.TagFilter{Pattern: `^v(?P<version>.*)$`, Extract: `$version`}, want: "v1.5.0"},
		"calver":       {choice: imagev1.ImagePolicyChoice{Numerical: &imagev1.NumericalPolicy{Order: "asc"}}, filter: &imagev1.TagFilter{Pattern: `^main-[a-f0-9]+-(?P<ts>[0-9]+)$`, Extract: `$ts`}, want: "main-9c0d7e2-1700000900"},
		"oldest-build": {choice: imagev1.ImagePolicyChoice{Numerical: &imagev1.NumericalPolicy{Order: "desc"}}, filter: &imagev1.TagFilter{Pattern: `^main-[a-f0-9]+-(?P<ts>[0-9]+)$`, Extract: `$ts`}, want: "main-0aa11bb-1699999999"},
		"alpha-asc":    {choice: imagev1.ImagePolicyChoice{Alphabetical: &imagev1.AlphabeticalPolicy{Order: "asc"}}, filter: &imagev1.TagFilter{Pattern: `^main-`}, want: "main-9c0d7e2-1700000900"},
		"alpha-desc":   {choice: imagev1.ImagePolicyChoice{Alphabetical: &imagev1.AlphabeticalPolicy{Order: "desc"}}, want: "1.0.0"},
	}
	for name, p := range policies {
		create(t, newPolicy(ns, name, "web", p.choice, func(o *imagev1.ImagePolicy) { o.Spec.FilterTags = p.filter }))
	}
	for name, p := range policies {
		got := waitPolicy(t, ns, name, "chose "+p.want, latestTag(p.want))
		if got.Status.LatestRef.Name != image || got.Status.LatestRef.Digest != "" {
			t.Errorf("%s: latestRef = %+v; want name %s and no digest (digestReflectionPolicy Never)", name, got.Status.LatestRef, image)
		}
		if got.Status.LatestImage != image+":"+p.want {
			t.Errorf("%s: latestImage = %q", name, got.Status.LatestImage)
		}
	}

	// Digest reflection: IfNotPresent records the manifest's digest.
	create(t, newPolicy(ns, "pinned", "web", semver("1.4.x"), func(o *imagev1.ImagePolicy) {
		o.Spec.DigestReflectionPolicy = imagev1.ReflectIfNotPresent
	}))
	pinned := waitPolicy(t, ns, "pinned", "chose 1.4.2", latestTag("1.4.2"))
	if pinned.Status.LatestRef.Digest != digest {
		t.Errorf("digest = %q, want %q", pinned.Status.LatestRef.Digest, digest)
	}

	// A new release: the repository's next scan moves the policies that
	// accept it, keeps the previous choice, and says so in an event.
	reg.PushTags(t, "acme/web", []string{"1.6.0"})
	scan(t, ns, "web")
	stable := waitPolicy(t, ns, "stable", "chose 1.6.0", latestTag("1.6.0"))
	if prev := stable.Status.ObservedPreviousRef; prev == nil || prev.Tag != "v1.5.0" {
		t.Errorf("observedPreviousRef = %+v, want tag v1.5.0", prev)
	}
	if stable.Status.ObservedPreviousImage != image+":v1.5.0" {
		t.Errorf("observedPreviousImage = %q", stable.Status.ObservedPreviousImage)
	}
	ev := testenv.WaitForEvent(t, env.Client, ns, "stable", corev1.EventTypeNormal, meta.SucceededReason)
	testenv.Eventually(t, "the event of the new tag", func() (bool, string) {
		for _, e := range testenv.Events(t, env.Client, "ImagePolicy", ns, "stable") {
			if strings.Contains(e.Message, "updated from v1.5.0 to 1.6.0") {
				return true, ""
			}
		}
		return false, ev.Message
	})
	if got := waitPolicy(t, ns, "patch", "still 1.4.2", latestTag("1.4.2")); got.Status.ObservedPreviousRef != nil {
		t.Errorf("a policy whose choice did not change recorded a previous ref: %+v", got.Status.ObservedPreviousRef)
	}
}

// TestPolicyFailures: an invalid range, a filter matching nothing and a
// missing repository each end Ready=False with a clear message; the
// missing repository, created later, is picked up without a request.
func TestPolicyFailures(t *testing.T) {
	ns := env.NewNamespace(t, "polfail")
	reg := ocitest.Start(t, ocitest.Options{})
	reg.PushTags(t, "acme/web", []string{"1.0.0", "1.1.0"})
	create(t, newRepository(ns, "web", reg.Host()+"/acme/web"),
		newPolicy(ns, "bad-range", "web", semver(">=x.y")),
		newPolicy(ns, "no-match", "web", semver(">=1.0.0"), func(o *imagev1.ImagePolicy) {
			o.Spec.FilterTags = &imagev1.TagFilter{Pattern: "^release-"}
		}),
		newPolicy(ns, "later", "later", semver(">=1.0.0")))

	bad := waitPolicy(t, ns, "bad-range", "refused", testenv.ReadyFalse[*imagev1.ImagePolicy](imagev1.InvalidPolicyReason))
	if c := cond(bad, meta.ReadyCondition); !strings.Contains(c.Message, ">=x.y") || cond(bad, meta.StalledCondition) == nil {
		t.Errorf("bad range: Ready = %q, Stalled = %v", c.Message, cond(bad, meta.StalledCondition))
	}
	none := waitPolicy(t, ns, "no-match", "no tag", testenv.ReadyFalse[*imagev1.ImagePolicy](imagev1.NoTagReason))
	if c := cond(none, meta.ReadyCondition); !strings.Contains(c.Message, "2") {
		t.Errorf("no match: Ready message %q does not say how many tags there were", c.Message)
	}
	missing := waitPolicy(t, ns, "later", "waiting", testenv.ReadyFalse[*imagev1.ImagePolicy](imagev1.ImageRepositoryNotFoundReason))
	if c := cond(missing, meta.ReadyCondition); !strings.Contains(c.Message, "does not exist") {
		t.Errorf("missing repository: %q", c.Message)
	}
	create(t, newRepository(ns, "later", reg.Host()+"/acme/web"))
	waitPolicy(t, ns, "later", "chose 1.1.0 once the repository scanned", latestTag("1.1.0"))
}

// TestPolicyAcrossNamespaces: an ImagePolicy may use an ImageRepository of
// another namespace only when the repository's accessFrom selects the
// policy's namespace.
func TestPolicyAcrossNamespaces(t *testing.T) {
	repoNS := env.NewNamespace(t, "shared")
	appNS := env.NewNamespace(t, "tenant")
	reg := ocitest.Start(t, ocitest.Options{})
	reg.PushTags(t, "acme/web", []string{"1.0.0"})
	create(t, newRepository(repoNS, "web", reg.Host()+"/acme/web"),
		newPolicy(appNS, "web", "web", semver(">=1.0.0"), func(o *imagev1.ImagePolicy) {
			o.Spec.ImageRepositoryRef.Namespace = repoNS
		}))
	denied := waitPolicy(t, appNS, "web", "denied", testenv.ReadyFalse[*imagev1.ImagePolicy](imagev1.AccessDeniedReason))
	if c := cond(denied, meta.ReadyCondition); !strings.Contains(c.Message, "spec.accessFrom") {
		t.Errorf("Ready message = %q", c.Message)
	}

	ctx := context.Background()
	tenant := &corev1.Namespace{}
	if err := env.Client.Get(ctx, testenv.Key("", appNS), tenant); err != nil {
		t.Fatal(err)
	}
	tenant.Labels["team"] = "web"
	if err := env.Client.Update(ctx, tenant); err != nil {
		t.Fatal(err)
	}
	repo := &imagev1.ImageRepository{}
	if err := env.Client.Get(ctx, testenv.Key(repoNS, "web"), repo); err != nil {
		t.Fatal(err)
	}
	repo.Spec.AccessFrom = &sourcev1.AccessFrom{NamespaceSelectors: []sourcev1.NamespaceSelector{{MatchLabels: map[string]string{"team": "web"}}}}
	if err := env.Client.Update(ctx, repo); err != nil {
		t.Fatal(err)
	}
	waitPolicy(t, appNS, "web", "allowed", latestTag("1.0.0"))
}

// TestDigestReflectionAlways follows a tag that is pushed again (latest):
// the digest is read every spec.interval and a new one recorded, with the
// previous reference kept.
func TestDigestReflectionAlways(t *testing.T) {
	ns := env.NewNamespace(t, "digest")
	reg := ocitest.Start(t, ocitest.Options{})
	push := func(content string) string {
		img, err := oci.Image(ocitest.TarGz(map[string]string{"build": content}), oci.ContentMediaType, nil)
		if err != nil {
			t.Fatal(err)
		}
		return reg.Push(t, "acme/web", "latest", img)
	}
	first := push("1")
	create(t, newRepository(ns, "web", reg.Host()+"/acme/web"),
		newPolicy(ns, "latest", "web", imagev1.ImagePolicyChoice{Alphabetical: &imagev1.AlphabeticalPolicy{}}, func(o *imagev1.ImagePolicy) {
			o.Spec.FilterTags = &imagev1.TagFilter{Pattern: "^latest$"}
			o.Spec.DigestReflectionPolicy = imagev1.ReflectAlways
			o.Spec.Interval = &metav1.Duration{Duration: time.Second}
		}))
	got := waitPolicy(t, ns, "latest", "recorded the digest", func(p *imagev1.ImagePolicy) bool {
		return ready(p) && p.Status.LatestRef != nil && p.Status.LatestRef.Digest == first
	})
	if got.Status.LatestRef.String() != reg.Host()+"/acme/web:latest@"+first {
		t.Errorf("latestRef = %s", got.Status.LatestRef)
	}
	second := push("2")
	got = waitPolicy(t, ns, "latest", "recorded the new digest without a new scan", func(p *imagev1.ImagePolicy) bool {
		return p.Status.LatestRef != nil && p.Status.LatestRef.Digest == second
	})
	if prev := got.Status.ObservedPreviousRef; prev == nil || prev.Digest != first || prev.Tag != "latest" {
		t.Errorf("observedPreviousRef = %+v, want latest@%s", prev, first)
	}
}
