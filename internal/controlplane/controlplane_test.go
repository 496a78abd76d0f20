package controlplane

import (
	"context"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
)

// startForTest starts a plane and stops it when the test ends, checking that
// Stop leaves no process behind.
func startForTest(t *testing.T, opts Options) *ControlPlane {
	t.Helper()
	if testing.Short() {
		t.Skip("starts a real control plane")
	}
	opts.Progress = testWriter{t}
	cp, err := Start(context.Background(), opts)
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() {
		if err := cp.Stop(); err != nil {
			t.Errorf("Stop: %v", err)
		}
		if left := childProcesses(t); len(left) > 0 {
			t.Errorf("processes left after Stop: %q", left)
		}
		if _, err := os.Stat(cp.workDir); !os.IsNotExist(err) {
			t.Errorf("work directory %s not removed: %v", cp.workDir, err)
		}
	})
	return cp
}

func TestAPIOnly(t *testing.T) {
	cp := startForTest(t, Options{})
	ctx := context.Background()
	cs, err := kubernetes.NewForConfig(cp.Config)
	if err != nil {
		t.Fatal(err)
	}

	// Objects are stored.
	cm := &corev1.ConfigMap{
		ObjectMeta: metav1.ObjectMeta{Name: "settings", Namespace: metav1.NamespaceDefault},
		Data:       map[string]string{"color": "blue"},
	}
	if _, err := cs.CoreV1().ConfigMaps(cm.Namespace).Create(ctx, cm, metav1.CreateOptions{}); err != nil {
		t.Fatalf("create ConfigMap: %v", err)
	}
	got, err := cs.CoreV1().ConfigMaps(cm.Namespace).Get(ctx, cm.Name, metav1.GetOptions{})
	if err != nil {
		t.Fatalf("get ConfigMap: %v", err)
	}
	if got.Data["color"] != "blue" {
		t.Errorf("ConfigMap data = %v", got.Data)
	}

	// Discovery reports the release, not v0.0.0-master.
	v, err := cs.Discovery().ServerVersion()
	if err != nil {
		t.Fatalf("ServerVersion: %v", err)
	}
	if v.GitVersion != KubernetesVersion || v.Major != "1" || v.Minor != "37" {
		t.Errorf("ServerVersion = %s (major %q, minor %q), want %s", v.GitVersion, v.Major, v.Minor, KubernetesVersion)
	}

	// Services get addresses from the configured range.
	svc := &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: metav1.NamespaceDefault},
		Spec:       corev1.ServiceSpec{Ports: []corev1.ServicePort{{Port: 80}}},
	}
	svc, err = cs.CoreV1().Services(svc.Namespace).Create(ctx, svc, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("create Service: %v", err)
	}
	_, cidr, _ := net.ParseCIDR(DefaultServiceClusterIPRange)
	if ip := net.ParseIP(svc.Spec.ClusterIP); ip == nil || !cidr.Contains(ip) {
		t.Errorf("Service clusterIP %q not in %s", svc.Spec.ClusterIP, DefaultServiceClusterIPRange)
	}

	// The kubeconfig works for client-go and for kubectl.
	path := filepath.Join(t.TempDir(), "kubeconfig")
	if err := cp.WriteKubeconfig(path); err != nil {
		t.Fatal(err)
	}
	cfg, err := clientcmd.BuildConfigFromFlags("", path)
	if err != nil {
		t.Fatalf("load kubeconfig: %v", err)
	}
	cs2, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cs2.CoreV1().ConfigMaps(cm.Namespace).Get(ctx, cm.Name, metav1.GetOptions{}); err != nil {
		t.Errorf("get ConfigMap through the kubeconfig: %v", err)
	}
	if kubectl, err := exec.LookPath("kubectl"); err == nil {
		out, err := exec.Command(kubectl, "--kubeconfig", path, "get", "configmap", "settings", "-o", "jsonpath={.data.color}").CombinedOutput()
		if err != nil || string(out) != "blue" {
			t.Errorf("kubectl get configmap: %v: %s", err, out)
		}
	}

	// kube-apiserver restarts, killed then stopped, and serves the same
	// objects to the same clients; Stop (the cleanup) stops the restarted
	// one too.
	if _, err := os.Stat("/proc/self/cmdline"); err != nil {
		return // RestartAPIServer is Linux only
	}
	for _, kill := range []bool{true, false} {
		if err := cp.RestartAPIServer(ctx, kill); err != nil {
			t.Fatalf("RestartAPIServer(kill=%t): %v", kill, err)
		}
		got, err := cs2.CoreV1().ConfigMaps(cm.Namespace).Get(ctx, cm.Name, metav1.GetOptions{})
		if err != nil || got.Data["color"] != "blue" {
			t.Errorf("after a restart (kill=%t): ConfigMap %v, %v", kill, got.Data, err)
		}
	}
}

// childProcesses lists the live child processes of the test binary (Linux
// only), after giving exiting ones a moment to be reaped.
func childProcesses(t *testing.T) []string {
	t.Helper()
	if _, err := os.Stat("/proc/self/stat"); err != nil {
		return nil
	}
	var left []string
	deadline := time.Now().Add(10 * time.Second)
	for {
		left = left[:0]
		entries, _ := filepath.Glob("/proc/[0-9]*/stat")
		for _, e := range entries {
			data, err := os.ReadFile(e)
			if err != nil {
				continue
			}
			// pid (comm) state ppid ...
			s := string(data)
			i := strings.LastIndexByte(s, ')')
			if i < 0 {
				continue
			}
			fields := strings.Fields(s[i+1:])
			if len(fields) < 2 || fields[1] != strconv.Itoa(os.Getpid()) {
				continue
			}
			left = append(left, s[:i+1])
		}
		if len(left) == 0 || time.Now().After(deadline) {
			return left
		}
		time.Sleep(200 * time.Millisecond)
	}
}
