package controlplane

import (
	"context"
	"fmt"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/utils/ptr"
)

// eventually polls cond until it returns true, failing the test with the
// last reason after a generous deadline.
func eventually(t *testing.T, what string, cond func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(3 * time.Minute)
	for {
		ok, reason := cond()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: gave up waiting: %s", what, reason)
		}
		time.Sleep(250 * time.Millisecond)
	}
}

// deploymentAvailable says whether the Deployment is Available with
// replicas ready, and if not, what it shows.
func deploymentAvailable(ctx context.Context, cs kubernetes.Interface, namespace, name string, replicas int32) (bool, string) {
	got, err := cs.AppsV1().Deployments(namespace).Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		return false, err.Error()
	}
	available := false
	for _, c := range got.Status.Conditions {
		if c.Type == appsv1.DeploymentAvailable && c.Status == corev1.ConditionTrue {
			available = true
		}
	}
	return available && got.Status.ReadyReplicas == replicas,
		fmt.Sprintf("readyReplicas=%d conditions=%+v", got.Status.ReadyReplicas, got.Status.Conditions)
}

func TestSimulated(t *testing.T) {
	cp := startForTest(t, Options{Simulated: true})
	ctx := context.Background()
	cs, err := kubernetes.NewForConfig(cp.Config)
	if err != nil {
		t.Fatal(err)
	}
	labels := map[string]string{"app": "web"}
	podSpec := corev1.PodSpec{Containers: []corev1.Container{{Name: "main", Image: "registry.k8s.io/pause:3.10"}}}

	t.Run("deployment becomes available", func(t *testing.T) {
		d := &appsv1.Deployment{
			ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: metav1.NamespaceDefault},
			Spec: appsv1.DeploymentSpec{
				Replicas: ptr.To[int32](2),
				Selector: &metav1.LabelSelector{MatchLabels: labels},
				Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: labels}, Spec: podSpec},
			},
		}
		if _, err := cs.AppsV1().Deployments(d.Namespace).Create(ctx, d, metav1.CreateOptions{}); err != nil {
			t.Fatalf("create Deployment: %v", err)
		}
		eventually(t, "Deployment/default/web Available", func() (bool, string) {
			return deploymentAvailable(ctx, cs, d.Namespace, d.Name, 2)
		})
	})

	// The node lifecycle controller declares a Node NotReady when neither
	// its Lease nor its status has been renewed for its grace period (50 s
	// by default), and then marks every pod on it not ready; kwok never
	// marks them ready again. Watch for three grace periods.
	t.Run("stays ready across node monitor grace periods", func(t *testing.T) {
		const watchFor = 3*50*time.Second + 15*time.Second
		lease, err := cs.CoordinationV1().Leases(corev1.NamespaceNodeLease).Get(ctx, SimulatedNodeName, metav1.GetOptions{})
		if err != nil {
			t.Fatalf("the simulated Node has no Lease: %v", err)
		}
		firstRenew := lease.Spec.RenewTime.Time
		for end := time.Now().Add(watchFor); time.Now().Before(end); time.Sleep(2 * time.Second) {
			if ok, why := deploymentAvailable(ctx, cs, metav1.NamespaceDefault, "web", 2); !ok {
				t.Fatalf("Deployment/default/web stopped being available: %s", why)
			}
			if why := simulatedNotReady(ctx, cs); why != "" {
				t.Fatalf("the simulated cluster stopped being ready: %s", why)
			}
		}
		lease, err = cs.CoordinationV1().Leases(corev1.NamespaceNodeLease).Get(ctx, SimulatedNodeName, metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if !lease.Spec.RenewTime.After(firstRenew) {
			t.Errorf("the Lease was not renewed: renewTime %s, then %s", firstRenew, lease.Spec.RenewTime.Time)
		}
		events, err := cs.CoreV1().Events(metav1.NamespaceDefault).List(ctx, metav1.ListOptions{FieldSelector: "involvedObject.kind=Node"})
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range events.Items {
			if e.Reason == "NodeNotReady" {
				t.Errorf("event %s: %s", e.Reason, e.Message)
			}
		}
	})

	t.Run("job completes", func(t *testing.T) {
		job := &batchv1.Job{
			ObjectMeta: metav1.ObjectMeta{Name: "migrate", Namespace: metav1.NamespaceDefault},
			Spec: batchv1.JobSpec{
				Template: corev1.PodTemplateSpec{Spec: func() corev1.PodSpec {
					s := *podSpec.DeepCopy()
					s.RestartPolicy = corev1.RestartPolicyNever
					return s
				}()},
			},
		}
		if _, err := cs.BatchV1().Jobs(job.Namespace).Create(ctx, job, metav1.CreateOptions{}); err != nil {
			t.Fatalf("create Job: %v", err)
		}
		eventually(t, "Job/default/migrate Complete", func() (bool, string) {
			got, err := cs.BatchV1().Jobs(job.Namespace).Get(ctx, job.Name, metav1.GetOptions{})
			if err != nil {
				return false, err.Error()
			}
			for _, c := range got.Status.Conditions {
				if c.Type == batchv1.JobComplete && c.Status == corev1.ConditionTrue {
					return true, ""
				}
			}
			return false, fmt.Sprintf("succeeded=%d conditions=%+v", got.Status.Succeeded, got.Status.Conditions)
		})
	})
}
