package cli

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/ferrycd/ferry/config"
	"github.com/ferrycd/ferry/internal/controller"
	"github.com/ferrycd/ferry/internal/controlplane"
	"github.com/ferrycd/ferry/internal/gitserver"
	"github.com/ferrycd/ferry/internal/scheme"
)

// env is the real cluster, controllers and Git server the CLI tests run
// against: an API-only control plane, every ferry controller in a manager,
// and `git http-backend` on loopback.
var env struct {
	kubeconfig string
	client     client.Client
	git        *gitserver.Server
}

func TestMain(m *testing.M) {
	flag.Parse()
	os.Exit(runTests(m))
}

func runTests(m *testing.M) int {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	dir, err := os.MkdirTemp("", "ferry-cli-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)

	cp, err := controlplane.Start(ctx, controlplane.Options{Progress: os.Stderr})
	if err != nil {
		fmt.Fprintf(os.Stderr, "starting the control plane: %v\n", err)
		return 1
	}
	defer cp.Stop()
	env.kubeconfig = filepath.Join(dir, "kubeconfig")
	if err := cp.WriteKubeconfig(env.kubeconfig); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	env.client, err = client.New(cp.Config, client.Options{Scheme: scheme.New()})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	if err := config.InstallCRDs(ctx, env.client); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	mgr, err := controller.NewManager(ctx, cp.Config, controller.Options{
		StoragePath: filepath.Join(dir, "artifacts"),
		StorageAddr: "127.0.0.1:0",
		MetricsAddr: "0",
		HealthAddr:  "0",
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	mgrDone := make(chan struct{})
	go func() {
		defer close(mgrDone)
		if err := mgr.Start(ctx); err != nil {
			fmt.Fprintf(os.Stderr, "manager: %v\n", err)
		}
	}()
	defer func() { cancel(); <-mgrDone }()

	if err := os.MkdirAll(filepath.Join(dir, "git"), 0o755); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	env.git = gitserver.New(filepath.Join(dir, "git"))
	if _, err := env.git.Start(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer env.git.Close()
	return m.Run()
}

// syncBuffer is a bytes.Buffer safe to read while a command writes to it.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// ferry runs the command line in-process against the test cluster.
func ferry(t *testing.T, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	var out, errOut syncBuffer
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	code = Main(ctx, append([]string{"--kubeconfig", env.kubeconfig}, args...), &out, &errOut)
	return out.String(), errOut.String(), code
}

// newNamespace creates a namespace for one test.
func newNamespace(t *testing.T, prefix string) string {
	t.Helper()
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{GenerateName: prefix + "-"}}
	if err := env.client.Create(context.Background(), ns); err != nil {
		t.Fatal(err)
	}
	return ns.Name
}

// eventually polls cond until it returns true or the deadline passes; it is
// a wait, not a timing assertion.
func eventually(t *testing.T, what string, cond func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(3 * time.Minute)
	last := ""
	for time.Now().Before(deadline) {
		ok, detail := cond()
		if ok {
			return
		}
		last = detail
		time.Sleep(250 * time.Millisecond)
	}
	t.Fatalf("gave up waiting for %s; last seen: %s", what, last)
}

func mustContain(t *testing.T, what, got string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(got, w) {
			t.Errorf("%s does not contain %q:\n%s", what, w, got)
		}
	}
}
