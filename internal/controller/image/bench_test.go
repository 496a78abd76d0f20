package image_test

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	ctrl "sigs.k8s.io/controller-runtime"

	imagev1 "github.com/ferrycd/ferry/api/image/v1"
	notificationv1 "github.com/ferrycd/ferry/api/notification/v1"
	"github.com/ferrycd/ferry/internal/controller/image"
	"github.com/ferrycd/ferry/internal/image/tagstore"
	"github.com/ferrycd/ferry/internal/oci/ocitest"
	"github.com/ferrycd/ferry/internal/testenv"
)

func benchEnv(b *testing.B, name string, def int) int {
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		b.Fatalf("%s=%q is not a positive number", name, v)
	}
	return n
}

// BenchmarkScan measures scanning FERRY_BENCH_REPOS (default 100)
// ImageRepositories of FERRY_BENCH_TAGS tags each (default 1000) on one
// in-process registry serving 100 tags a page. One op is one round that
// scans every repository once through a RepositoryReconciler called
// directly (its client reads the API server); the first round, which
// fills the tag store, is reported apart as cold-ms. Reported per round:
// the registry's requests, and the heap the tag store holds once every
// list is in it. Run it with:
//
//	go test ./internal/controller/image -run '^$' -bench Scan -benchtime 5x -benchmem
func BenchmarkScan(b *testing.B) {
	repos, tags := benchEnv(b, "FERRY_BENCH_REPOS", 100), benchEnv(b, "FERRY_BENCH_TAGS", 1000)
	ctx := ctrl.LoggerInto(context.Background(), ctrl.Log.WithName("bench"))
	ns := env.NewNamespace(b, "scanbench")
	reg := ocitest.Start(b, ocitest.Options{PageSize: 100})
	keys := make([]ctrl.Request, repos)
	for i := range repos {
		list := make([]string, tags)
		for j := range list {
			list[j] = fmt.Sprintf("%d.%d.%d", j/100, j%100, i)
		}
		path := fmt.Sprintf("acme/app-%d", i)
		reg.PushTags(b, path, list)
		o := newRepository(ns, fmt.Sprintf("app-%d", i), reg.Host()+"/"+path)
		create(b, o)
		keys[i] = ctrl.Request{NamespacedName: testenv.Key(ns, o.Name)}
	}
	// The manager scans each once (its interval is an hour); the
	// benchmark's own reconciler, with a tag store of its own, then
	// starts cold.
	for _, k := range keys {
		waitRepo(b, k.Namespace, k.Name, "scanned", ready[*imagev1.ImageRepository])
	}
	store, err := tagstore.Open(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	r := &image.RepositoryReconciler{Client: env.Client, Tags: store, Registries: &image.Registries{}}
	round := func() {
		for _, k := range keys {
			if _, err := r.Reconcile(ctx, k); err != nil {
				b.Fatalf("scan of %s: %v", k, err)
			}
		}
	}
	var before runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	start, requests := time.Now(), reg.Total()
	round()
	cold := time.Since(start)
	coldRequests := reg.Total() - requests
	var after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&after)

	requests = reg.Total()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		round()
	}
	b.StopTimer()
	b.ReportMetric(float64(cold.Milliseconds()), "cold-ms")
	b.ReportMetric(float64(coldRequests), "cold-requests")
	b.ReportMetric(float64(reg.Total()-requests)/float64(b.N), "requests/op")
	b.ReportMetric(float64(int64(after.HeapInuse)-int64(before.HeapInuse))/(1<<20), "store-MiB")
}

// BenchmarkTagToWorkload measures the whole loop of seed 003 on the
// simulated cluster: CI pushes a new tag and the registry's webhook calls
// a harbor Receiver; the ImageRepository scans, its ImagePolicy picks the
// tag, the ImageUpdateAutomation commits and pushes it, the GitRepository
// fetches the commit, the Kustomization applies it and the Deployment's
// rollout completes. One op is one tag; commit-ms is the time until the
// commit is on the branch, ns/op until the rollout is done. Run it with:
//
//	go test ./internal/controller/image -run '^$' -bench TagToWorkload -benchtime 5x
func BenchmarkTagToWorkload(b *testing.B) {
	ctx := context.Background()
	ns := env.NewNamespace(b, "loop")
	reg := ocitest.Start(b, ocitest.Options{})
	reg.PushTags(b, "acme/web", []string{"1.0.0"})
	g := newGit(b)
	deploy := strings.NewReplacer("REG", reg.Host()).Replace(`apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - name: web
        image: REG/acme/web:1.0.0 # {"$imagepolicy": "NS:web"}
`)
	url := g.repo(b, "org/loop", map[string]string{"apps/web/deployment.yaml": strings.ReplaceAll(deploy, "NS", ns)})
	create(b, gitAuth(ns),
		&corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "webhook-token"}, StringData: map[string]string{"token": "bench-token"}})
	applyYAML(b, `apiVersion: source.toolkit.fluxcd.io/v1
kind: GitRepository
metadata: {name: fleet, namespace: NS}
spec: {interval: 1h, url: URL, ref: {branch: main}, secretRef: {name: git-auth}}
---
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata: {name: web, namespace: NS}
spec: {interval: 1h, path: ./apps/web, prune: true, targetNamespace: NS, sourceRef: {kind: GitRepository, name: fleet}}
---
apiVersion: image.toolkit.fluxcd.io/v1
kind: ImageRepository
metadata: {name: web, namespace: NS}
spec: {image: REG/acme/web, interval: 1h, insecure: true}
---
apiVersion: image.toolkit.fluxcd.io/v1
kind: ImagePolicy
metadata: {name: web, namespace: NS}
spec: {imageRepositoryRef: {name: web}, policy: {semver: {range: ">=1.0.0"}}}
---
apiVersion: image.toolkit.fluxcd.io/v1
kind: ImageUpdateAutomation
metadata: {name: fleet, namespace: NS}
spec:
  interval: 1h
  sourceRef: {kind: GitRepository, name: fleet}
  git: {commit: {author: {email: bot@ferry.invalid}}, push: {branch: main}}
---
apiVersion: notification.toolkit.fluxcd.io/v1
kind: Receiver
metadata: {name: registry, namespace: NS}
spec:
  type: harbor
  secretRef: {name: webhook-token}
  resources: [{apiVersion: image.toolkit.fluxcd.io/v1, kind: ImageRepository, name: web}]`,
		"NS", ns, "URL", url, "REG", reg.Host())

	rcv := testenv.WaitFor(b, env.Client, testenv.Key(ns, "registry"), "ready", func(r *notificationv1.Receiver) bool {
		return ready(r) && r.Status.WebhookPath != ""
	})
	rolledOut := func(tag string) func(*appsv1.Deployment) bool {
		return func(d *appsv1.Deployment) bool {
			return len(d.Spec.Template.Spec.Containers) == 1 && strings.HasSuffix(d.Spec.Template.Spec.Containers[0].Image, ":"+tag) &&
				d.Status.ObservedGeneration == d.Generation && d.Status.UpdatedReplicas == 2 && d.Status.AvailableReplicas == 2 && d.Status.Replicas == 2
		}
	}
	testenv.WaitFor(b, env.Client, testenv.Key(ns, "web"), "first rollout", rolledOut("1.0.0"))
	// The automation's first run has nothing to commit.
	testenv.WaitFor(b, env.Client, testenv.Key(ns, "fleet"), "first run", func(a *imagev1.ImageUpdateAutomation) bool { return ready(a) })

	var commits time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		tag := fmt.Sprintf("1.0.%d", i+1)
		before := g.head(b, "org/loop", "main")
		start := time.Now()
		reg.PushTags(b, "acme/web", []string{tag})
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost, env.ReceiverURL+rcv.Status.WebhookPath,
			strings.NewReader(fmt.Sprintf(`{"type":"PUSH_ARTIFACT","event_data":{"resources":[{"tag":%q}]}}`, tag)))
		req.Header.Set("Authorization", "bench-token")
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			b.Fatalf("webhook answered %s", resp.Status)
		}
		testenv.Eventually(b, "the commit of "+tag, func() (bool, string) {
			return g.head(b, "org/loop", "main") != before, "main unchanged"
		})
		commits += time.Since(start)
		testenv.WaitFor(b, env.Client, testenv.Key(ns, "web"), "rolled out "+tag, rolledOut(tag))
	}
	b.StopTimer()
	b.ReportMetric(float64(commits.Milliseconds())/float64(b.N), "commit-ms/op")
}
