package image_test

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	imagev1 "github.com/ferrycd/ferry/api/image/v1"
	"github.com/ferrycd/ferry/api/meta"
	"github.com/ferrycd/ferry/internal/oci/ocitest"
	"github.com/ferrycd/ferry/internal/testenv"
)

// TestScanPages scans a repository of 1,503 tags served 100 per page,
// behind basic auth: every page is read, the signatures are excluded by
// the default exclusion list, and the status samples the newest tags.
//
// Over plain HTTP: go-containerregistry refuses to follow a next page of
// a loopback or private-address registry served over TLS (it assumes such
// registries speak HTTP and finds the scheme of the link wrong);
// TestScanTLS covers TLS with one page.
func TestScanPages(t *testing.T) {
	ns := env.NewNamespace(t, "scan")
	reg := ocitest.Start(t, ocitest.Options{Username: registryUser, Password: registryPassword, PageSize: 100})
	var tags []string
	for i := range 1500 {
		tags = append(tags, fmt.Sprintf("1.%d.%d", i/100, i%100))
	}
	tags = append(tags, "sha256-0123.sig", "sha256-4567.sig", "latest")
	reg.PushTags(t, "acme/web", tags, pushOpts(reg, false))

	create(t,
		dockerConfig(ns, "regcred", reg.Host(), registryUser, registryPassword),
		newRepository(ns, "web", reg.Host()+"/acme/web", func(r *imagev1.ImageRepository) {
			r.Spec.SecretRef = &meta.LocalObjectReference{Name: "regcred"}
		}))
	repo := waitRepo(t, ns, "web", "scanned", ready[*imagev1.ImageRepository])
	res := repo.Status.LastScanResult
	if res == nil || res.TagCount != 1501 {
		t.Fatalf("lastScanResult = %s; want 1501 tags (1503 less two signatures)", testenv.Dump(res))
	}
	sorted := slices.Clone(tags[:1500])
	sorted = append(sorted, "latest")
	sort.Sort(sort.Reverse(sort.StringSlice(sorted)))
	if !slices.Equal(res.LatestTags, sorted[:10]) {
		t.Errorf("latestTags = %v, want %v", res.LatestTags, sorted[:10])
	}
	if want := reg.Host() + "/acme/web"; repo.Status.CanonicalImageName != want {
		t.Errorf("canonicalImageName = %q, want %q", repo.Status.CanonicalImageName, want)
	}
	if !slices.Equal(repo.Status.ObservedExclusionList, []string{imagev1.DefaultExclusion}) {
		t.Errorf("observedExclusionList = %v", repo.Status.ObservedExclusionList)
	}
	if c := cond(repo, meta.ReadyCondition); c.Message != "successful scan: found 1501 tags" {
		t.Errorf("Ready message = %q", c.Message)
	}
	if pages := reg.Requests("GET", "tags"); pages < 16 {
		t.Errorf("the scan made %d tag list requests; 1503 tags at 100 a page need 16", pages)
	}
}

// TestScanTLS scans a registry served over TLS with a CA of its own and
// basic auth: without the CA the scan fails, naming the certificate.
func TestScanTLS(t *testing.T) {
	ns := env.NewNamespace(t, "tls")
	reg := ocitest.Start(t, ocitest.Options{Username: registryUser, Password: registryPassword, TLS: true})
	reg.PushTags(t, "acme/web", []string{"1.0.0", "1.1.0", "sha256-0a.sig"}, pushOpts(reg, true))
	create(t,
		dockerConfig(ns, "regcred", reg.Host(), registryUser, registryPassword),
		&corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "ca"}, Data: map[string][]byte{"ca.crt": reg.CA()}},
		newRepository(ns, "web", reg.Host()+"/acme/web", func(r *imagev1.ImageRepository) {
			r.Spec.Insecure = false
			r.Spec.SecretRef = &meta.LocalObjectReference{Name: "regcred"}
			r.Spec.CertSecretRef = &meta.LocalObjectReference{Name: "ca"}
		}),
		newRepository(ns, "no-ca", reg.Host()+"/acme/web", func(r *imagev1.ImageRepository) {
			r.Spec.Insecure = false
			r.Spec.SecretRef = &meta.LocalObjectReference{Name: "regcred"}
		}))
	repo := waitRepo(t, ns, "web", "scanned", ready[*imagev1.ImageRepository])
	if res := repo.Status.LastScanResult; res.TagCount != 2 || !slices.Equal(res.LatestTags, []string{"1.1.0", "1.0.0"}) {
		t.Errorf("lastScanResult = %s", testenv.Dump(res))
	}
	failed := waitRepo(t, ns, "no-ca", "failed", testenv.ReadyFalse[*imagev1.ImageRepository](imagev1.ScanFailedReason))
	if c := cond(failed, meta.ReadyCondition); !strings.Contains(c.Message, "certificate") {
		t.Errorf("Ready message = %q, want it to name the certificate", c.Message)
	}
	testenv.AssertNoSecret(t, env.Client, failed, registryPassword)
}

// TestScanWithoutChangeWritesNothing lets a repository scan every second:
// the registry is asked each time, the status is never written again, and
// a new tag is noticed at the next scan.
func TestScanWithoutChangeWritesNothing(t *testing.T) {
	ns := env.NewNamespace(t, "quiet")
	reg := ocitest.Start(t, ocitest.Options{})
	reg.PushTags(t, "acme/api", []string{"1.0.0", "1.1.0"})
	create(t, newRepository(ns, "api", reg.Host()+"/acme/api", func(r *imagev1.ImageRepository) {
		r.Spec.Interval = metav1.Duration{Duration: time.Second}
	}))
	repo := waitRepo(t, ns, "api", "scanned", ready[*imagev1.ImageRepository])
	rv, before := repo.ResourceVersion, reg.Requests("GET", "tags")
	testenv.Eventually(t, "three more scans", func() (bool, string) {
		n := reg.Requests("GET", "tags") - before
		return n >= 3, fmt.Sprintf("%d scans", n)
	})
	got := &imagev1.ImageRepository{}
	if err := env.Client.Get(context.Background(), testenv.Key(ns, "api"), got); err != nil {
		t.Fatal(err)
	}
	if got.ResourceVersion != rv {
		t.Errorf("scans that found the same tags wrote the object: resourceVersion %s -> %s\n%s", rv, got.ResourceVersion, testenv.Dump(got.Status))
	}

	reg.PushTags(t, "acme/api", []string{"1.2.0"})
	repo = waitRepo(t, ns, "api", "found the new tag", func(r *imagev1.ImageRepository) bool {
		return r.Status.LastScanResult != nil && r.Status.LastScanResult.TagCount == 3
	})
	if repo.Status.LastScanResult.LatestTags[0] != "1.2.0" {
		t.Errorf("latestTags = %v", repo.Status.LastScanResult.LatestTags)
	}
}

// TestScanFailures: no credentials, wrong credentials, a bad exclusion,
// a tag in spec.image and an unsupported provider each end in Ready=False
// with a message saying what to do, and no password in any of it.
func TestScanFailures(t *testing.T) {
	ns := env.NewNamespace(t, "scanfail")
	reg := ocitest.Start(t, ocitest.Options{Username: registryUser, Password: registryPassword})
	reg.PushTags(t, "acme/web", []string{"1.0.0"}, pushOpts(reg, false))
	create(t, dockerConfig(ns, "wrong", reg.Host(), registryUser, registryPassword+"-wrong"))

	tests := map[string]struct {
		repo    *imagev1.ImageRepository
		reason  string
		message string
		stalled bool
	}{
		"anonymous": {repo: newRepository(ns, "anonymous", reg.Host()+"/acme/web"),
			reason: meta.AuthenticationFailedReason, message: "set spec.secretRef to a Docker config secret"},
		"wrong password": {repo: newRepository(ns, "wrong", reg.Host()+"/acme/web", func(r *imagev1.ImageRepository) {
			r.Spec.SecretRef = &meta.LocalObjectReference{Name: "wrong"}
		}), reason: meta.AuthenticationFailedReason, message: "rejected the credentials"},
		"missing secret": {repo: newRepository(ns, "missing", reg.Host()+"/acme/web", func(r *imagev1.ImageRepository) {
			r.Spec.SecretRef = &meta.LocalObjectReference{Name: "nope"}
		}), reason: meta.AuthenticationFailedReason, message: "failed to get secret"},
		"tag in image": {repo: newRepository(ns, "tagged", reg.Host()+"/acme/web:1.0.0"),
			reason: imagev1.ImageURLInvalidReason, message: "must not have a tag or digest", stalled: true},
		"bad exclusion": {repo: newRepository(ns, "exclusion", reg.Host()+"/acme/web", func(r *imagev1.ImageRepository) {
			r.Spec.ExclusionList = []string{"(unclosed"}
		}), reason: imagev1.ScanFailedReason, message: "invalid spec.exclusionList entry", stalled: true},
		"provider": {repo: newRepository(ns, "aws", reg.Host()+"/acme/web", func(r *imagev1.ImageRepository) {
			r.Spec.Provider = "aws"
		}), reason: "UnsupportedProvider", message: "provider 'aws' is not supported", stalled: true},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			create(t, tt.repo)
			got := waitRepo(t, ns, tt.repo.Name, "failed", testenv.ReadyFalse[*imagev1.ImageRepository](tt.reason))
			if c := cond(got, meta.ReadyCondition); !strings.Contains(c.Message, tt.message) {
				t.Errorf("Ready message = %q, want it to contain %q", c.Message, tt.message)
			}
			if s := cond(got, meta.StalledCondition); (s != nil) != tt.stalled {
				t.Errorf("Stalled = %v, want %v", s, tt.stalled)
			}
			testenv.AssertNoSecret(t, env.Client, got, registryPassword)
		})
	}
}

// TestRegistryDownKeepsTheChoice: when the registry goes down, the scan
// fails with a message saying so, and what was scanned stays: the policy
// keeps its image and the automation has nothing to undo.
func TestRegistryDownKeepsTheChoice(t *testing.T) {
	ns := env.NewNamespace(t, "down")
	reg := ocitest.Start(t, ocitest.Options{})
	reg.PushTags(t, "acme/web", []string{"1.0.0", "1.1.0"})
	create(t, newRepository(ns, "web", reg.Host()+"/acme/web"), newPolicy(ns, "web", "web", semver(">=1.0.0")))
	waitPolicy(t, ns, "web", "chose 1.1.0", latestTag("1.1.0"))
	before := waitRepo(t, ns, "web", "scanned", ready[*imagev1.ImageRepository]).Status.LastScanResult

	reg.Close()
	testenv.ReconcileNow(t, env.Client, &imagev1.ImageRepository{}, testenv.Key(ns, "web"),
		func(o *imagev1.ImageRepository) string { return o.Status.LastHandledReconcileAt })
	failed := waitRepo(t, ns, "web", "failed", testenv.ReadyFalse[*imagev1.ImageRepository](imagev1.ScanFailedReason))
	if c := cond(failed, meta.ReadyCondition); !strings.Contains(c.Message, "failed to list the tags") || !strings.Contains(c.Message, "connection refused") {
		t.Errorf("Ready message = %q", c.Message)
	}
	if got := failed.Status.LastScanResult; got == nil || got.Revision != before.Revision || got.TagCount != 2 {
		t.Errorf("a failed scan changed lastScanResult: %s", testenv.Dump(got))
	}
	// The policy, asked again, chooses from the tags scanned before.
	p := testenv.ReconcileNow(t, env.Client, &imagev1.ImagePolicy{}, testenv.Key(ns, "web"),
		func(o *imagev1.ImagePolicy) string { return o.Status.LastHandledReconcileAt })
	if !latestTag("1.1.0")(p) {
		t.Errorf("the policy lost its choice while the registry is down: %s", testenv.Dump(p.Status))
	}
}
