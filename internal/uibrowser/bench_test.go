package uibrowser

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"runtime"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"sigs.k8s.io/controller-runtime/pkg/client"

	kustomizev1 "github.com/ferrycd/ferry/api/kustomize/v1"
	"github.com/ferrycd/ferry/api/meta"
	sourcev1 "github.com/ferrycd/ferry/api/source/v1"
	"github.com/ferrycd/ferry/internal/bench"
	"github.com/ferrycd/ferry/internal/controller"
	"github.com/ferrycd/ferry/internal/testenv"
)

// The benchmark's fleet: uiBenchApps Kustomizations of four objects each
// (bench.Manifests, Flux's benchmark shape), uiBenchFailing of them
// pointing at a missing path, and one Kustomization "big" applying
// uiBenchBig ConfigMaps, all from one GitRepository, really reconciled by
// the suite's controllers.
// FERRY_UI_BENCH_APPS sets another number of apps, for a quick trial.
const (
	uiBenchFailing = 20
	uiBenchBig     = 500
	// uiBenchLoads is how many times each page is loaded for its timing.
	uiBenchLoads = 20
)

var uiBenchApps = 1000

// BenchmarkUI measures the web UI on a fleet of 1000 Kustomizations and
// 4000 objects, served as `ferry controller --ui-address` serves it (from
// a manager's informer cache): the server time of each page (the time to
// the last byte over loopback, cold and then median and p95 of
// uiBenchLoads loads), the first contentful paint in headless Chromium,
// the API-server requests a page load costs (counted by the API server's
// own apiserver_request_total, every resource but leases), and the heap
// the UI adds to the process. Run it with
//
//	go test ./internal/uibrowser -run '^$' -bench UI -benchtime 1x -timeout 30m
//
// and copy its log into docs/benchmarks.md.
func BenchmarkUI(b *testing.B) {
	NeedChromium(b)
	if n, err := strconv.Atoi(os.Getenv("FERRY_UI_BENCH_APPS")); err == nil && n > uiBenchFailing {
		uiBenchApps = n
	}
	ctx := context.Background()
	ns := env.NewNamespace(b, "uibench")

	// The fleet.
	start := time.Now()
	files := bench.Manifests(uiBenchApps)
	var big strings.Builder
	for i := range uiBenchBig {
		fmt.Fprintf(&big, "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: big-%04d\ndata:\n  n: %q\n---\n", i, strconv.Itoa(i))
	}
	files["big/manifests.yaml"] = big.String()
	repo, err := env.Git.InitRepo("org/"+ns, "main")
	if err != nil {
		b.Fatal(err)
	}
	if _, err := repo.CommitFiles("fleet", files); err != nil {
		b.Fatal(err)
	}
	create := func(obj client.Object) {
		if err := env.Client.Create(ctx, obj); err != nil {
			b.Fatal(err)
		}
	}
	hour := metav1.Duration{Duration: time.Hour}
	create(&sourcev1.GitRepository{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "fleet"},
		Spec: sourcev1.GitRepositorySpec{URL: env.Git.RepoURL("org/" + ns), Interval: hour,
			Reference: &sourcev1.GitRepositoryRef{Branch: "main"}},
	})
	ks := func(name, path string) {
		create(&kustomizev1.Kustomization{
			ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
			Spec: kustomizev1.KustomizationSpec{Interval: hour, Path: path, Prune: true, TargetNamespace: ns,
				SourceRef: kustomizev1.CrossNamespaceSourceReference{Kind: sourcev1.GitRepositoryKind, Name: "fleet"}},
		})
	}
	for i := range uiBenchApps {
		name := fmt.Sprintf("app-%04d", i)
		path := "./apps/" + name
		if i < uiBenchFailing {
			path = "./missing/" + name
		}
		ks(name, path)
	}
	ks("big", "./big")
	testenv.Eventually(b, "the fleet reconciled", func() (bool, string) {
		list := &kustomizev1.KustomizationList{}
		if err := env.Client.List(ctx, list, client.InNamespace(ns)); err != nil {
			return false, err.Error()
		}
		done := 0
		for _, k := range list.Items {
			for _, c := range k.Status.Conditions {
				if c.Type == meta.ReadyCondition && c.ObservedGeneration == k.Generation && c.Status != metav1.ConditionUnknown {
					done++
				}
			}
		}
		return done == len(list.Items), fmt.Sprintf("%d of %d reconciled", done, len(list.Items))
	})
	logf("fleet: %d Kustomizations (%d failing), %d objects applied, reconciled in %s",
		uiBenchApps+1, uiBenchFailing, 4*(uiBenchApps-uiBenchFailing)+uiBenchBig, time.Since(start).Round(time.Second))

	// The UI, served from a manager's cache as `ferry controller
	// --ui-address` serves it; the one controller it runs (provider) has
	// nothing to do.
	mgr := env.StartManager(b, controller.Options{Controllers: []string{"provider"}, UIAddr: "127.0.0.1:0", UIUnauthenticated: true})
	base := mgr.UIURL
	if !mgr.GetCache().WaitForCacheSync(ctx) {
		b.Fatal("the UI's cache did not sync")
	}
	heapBefore := heapAlloc()

	mid, last := fmt.Sprintf("app-%04d", uiBenchApps/2), fmt.Sprintf("app-%04d", uiBenchApps-1)
	pages := []string{
		"/",
		"/k/Kustomization",
		"/k/Kustomization?status=failing",
		"/k/Kustomization?sort=since&page=2",
		"/search?q=" + last,
		"/o/Kustomization/" + ns + "/big",
		"/o/Kustomization/" + ns + "/" + mid,
		"/o/GitRepository/" + ns + "/fleet",
		"/graph?ns=" + ns,
		"/graph?focus=Kustomization/" + ns + "/" + mid,
		"/engine",
		"/notifications",
	}
	lazy := []string{"/o/Kustomization/" + ns + "/big/health"}
	cs := kubernetes.NewForConfigOrDie(env.Config)

	httpc := &http.Client{Timeout: time.Minute}
	load := func(path string) (time.Duration, int, int) {
		t0 := time.Now()
		resp, err := httpc.Get(base + path)
		if err != nil {
			b.Fatal(err)
		}
		n, _ := io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return time.Since(t0), resp.StatusCode, int(n)
	}
	logf("%-52s %7s %8s %8s %8s %s", "page", "bytes", "cold", "median", "p95", fmt.Sprintf("API requests in %d loads", uiBenchLoads+1))
	report := func(path string) {
		reqs := apiRequests(b, cs)
		cold, code, size := load(path)
		if code == http.StatusNotFound && !strings.HasPrefix(path, "/o/") {
			logf("%-52s (not served by this build)", path)
			return
		}
		if code != http.StatusOK {
			b.Fatalf("GET %s: %d", path, code)
		}
		var times []time.Duration
		for range uiBenchLoads {
			d, _, _ := load(path)
			times = append(times, d)
		}
		used := apiRequests(b, cs) - reqs
		slices.Sort(times)
		logf("%-52s %7d %8s %8s %8s %.0f", path, size, ms(cold), ms(times[len(times)/2]), ms(times[len(times)*95/100]), used)
	}
	// FERRY_UI_BENCH_CPUPROFILE=FILE profiles the page loads alone (the
	// process also runs the suite's controllers, idle by now).
	if out := os.Getenv("FERRY_UI_BENCH_CPUPROFILE"); out != "" {
		f, err := os.Create(out)
		if err != nil {
			b.Fatal(err)
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			b.Fatal(err)
		}
		defer func() { pprof.StopCPUProfile(); f.Close() }()
	}
	for _, p := range pages {
		report(p)
	}
	for _, p := range lazy {
		report(p)
	}
	runtime.GC()
	logf("heap the UI added after %d page loads: %.1f MiB (%.1f MiB before the first page, %.1f MiB after)",
		(len(pages)+len(lazy))*(uiBenchLoads+1), float64(heapAlloc()-heapBefore)/(1<<20), float64(heapBefore)/(1<<20), float64(heapAlloc())/(1<<20))

	// First contentful paint in Chromium, median of five loads.
	tb := NewTab(b)
	for _, p := range []string{"/", "/k/Kustomization", "/o/Kustomization/" + ns + "/big"} {
		var paints []float64
		for range 5 {
			tb.Open(base + p)
			tb.WaitFor("the first contentful paint", func() (bool, string) {
				return Eval[bool](tb, `performance.getEntriesByName("first-contentful-paint").length > 0`), "not painted"
			})
			paints = append(paints, Eval[float64](tb, `performance.getEntriesByName("first-contentful-paint")[0].startTime`))
		}
		slices.Sort(paints)
		logf("first contentful paint %-40s %6.0f ms", p, paints[2])
	}
	tb.TakeMessages()
}

// logf prints one line of the benchmark's report on stdout (b.Logf keeps
// only the first lines of a benchmark's log).
func logf(format string, args ...any) { fmt.Printf(format+"\n", args...) }

// heapAlloc is the live heap after a collection.
func heapAlloc() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// ms formats d in milliseconds, one decimal.
func ms(d time.Duration) string { return fmt.Sprintf("%.1fms", float64(d)/float64(time.Millisecond)) }

// apiRequests is the API server's count of resource requests so far, but
// leases (leader election renews them whatever the UI does) and the
// metrics scrape itself (not a resource).
func apiRequests(b *testing.B, cs kubernetes.Interface) float64 {
	b.Helper()
	raw, err := cs.CoreV1().RESTClient().Get().AbsPath("/metrics").DoRaw(context.Background())
	if err != nil {
		b.Fatal(err)
	}
	total := 0.0
	sc := bufio.NewScanner(strings.NewReader(string(raw)))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, "apiserver_request_total{") || strings.Contains(line, `resource="leases"`) || strings.Contains(line, `,resource=""`) || strings.Contains(line, `{resource=""`) {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if err == nil {
			total += v
		}
	}
	return total
}
