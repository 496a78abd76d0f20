package controlplane

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
)

// SimulatedNodeName is the name of the fake Node of a simulated plane.
const SimulatedNodeName = "kwok-node-0"

// nodeLeaseDurationSeconds is the duration of the simulated Node's Lease in
// kube-node-lease, a kubelet's default; kwok renews it every quarter of it,
// well inside kube-controller-manager's node monitor grace period.
const nodeLeaseDurationSeconds = 40

// kwokPodCIDR is the range kwok gives pod IPs from; it must not overlap the
// Service range and must be large enough for the Node's pod capacity.
const kwokPodCIDR = "10.244.0.0/16"

// startSimulation starts kube-controller-manager, kube-scheduler and kwok,
// registers the fake Node and waits until the plane can run workloads.
func (c *ControlPlane) startSimulation(ctx context.Context, binDir string) error {
	kubeconfig := filepath.Join(c.workDir, "kubeconfig")
	if err := c.WriteKubeconfig(kubeconfig); err != nil {
		return err
	}
	stages, err := kwokStageFiles(binDir)
	if err != nil {
		return err
	}

	// Start the three processes; none of them serves a port.
	if _, err := c.startProcess(kcmBin, filepath.Join(binDir, kcmBin), []string{
		"--kubeconfig=" + kubeconfig,
		"--leader-elect=false",
		"--secure-port=0",
		"--use-service-account-credentials=false",
		// The token controller needs a signing key and nodeipam a cluster
		// CIDR; neither matters without real kubelets.
		"--controllers=*,-serviceaccount-token,-nodeipam",
	}, nil); err != nil {
		return err
	}
	if _, err := c.startProcess(schedulerBin, filepath.Join(binDir, schedulerBin), []string{
		"--kubeconfig=" + kubeconfig,
		"--leader-elect=false",
		"--secure-port=0",
	}, nil); err != nil {
		return err
	}
	kwokArgs := []string{
		"--kubeconfig=" + kubeconfig,
		"--manage-all-nodes=true",
		"--cidr=" + kwokPodCIDR,
		// Without a node Lease, the node lifecycle controller sees the
		// Node's status heartbeat only (kwok's heartbeat stage writes it
		// every 10 to 20 minutes), declares the Node NotReady once its
		// grace period has passed and marks every pod on it not ready.
		fmt.Sprintf("--node-lease-duration-seconds=%d", nodeLeaseDurationSeconds),
	}
	for _, s := range stages {
		kwokArgs = append(kwokArgs, "--config="+s)
	}
	// kwok also loads ~/.kwok/kwok.yaml; a private HOME keeps a user's kwok
	// configuration (which may open server ports) out of the plane.
	home := filepath.Join(c.workDir, "kwok-home")
	if err := os.MkdirAll(home, 0o700); err != nil {
		return fmt.Errorf("failed to create the kwok home: %w", err)
	}
	if _, err := c.startProcess(kwokBin, filepath.Join(binDir, kwokBin), kwokArgs, []string{"HOME=" + home}); err != nil {
		return err
	}

	cs, err := kubernetes.NewForConfig(c.Config)
	if err != nil {
		return fmt.Errorf("failed to create a client: %w", err)
	}
	if _, err := cs.CoreV1().Nodes().Create(ctx, simulatedNode(), metav1.CreateOptions{}); err != nil {
		return fmt.Errorf("failed to create Node/%s: %w", SimulatedNodeName, err)
	}

	ctx, cancel := context.WithTimeout(ctx, readyTimeout)
	defer cancel()
	return c.waitSimulated(ctx, cs)
}

// waitSimulated waits until the Node is Ready and schedulable (kwok and the
// node lifecycle controller at work) and the default ServiceAccount exists
// (kube-controller-manager's controllers running), failing early when a
// process exits.
func (c *ControlPlane) waitSimulated(ctx context.Context, cs kubernetes.Interface) error {
	var waitingFor string
	for {
		for _, p := range c.procs {
			if err := p.exitErr(); err != nil {
				return err
			}
		}
		waitingFor = simulatedNotReady(ctx, cs)
		if waitingFor == "" {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("simulated cluster not ready: %s: %w", waitingFor, ctx.Err())
		case <-time.After(250 * time.Millisecond):
		}
	}
}

// simulatedNotReady says what the simulated plane still lacks, or "".
func simulatedNotReady(ctx context.Context, cs kubernetes.Interface) string {
	node, err := cs.CoreV1().Nodes().Get(ctx, SimulatedNodeName, metav1.GetOptions{})
	if err != nil {
		return fmt.Sprintf("Node/%s: %v", SimulatedNodeName, err)
	}
	ready := false
	for _, cond := range node.Status.Conditions {
		if cond.Type == corev1.NodeReady && cond.Status == corev1.ConditionTrue {
			ready = true
		}
	}
	if !ready {
		return fmt.Sprintf("Node/%s is not Ready", SimulatedNodeName)
	}
	for _, t := range node.Spec.Taints {
		if t.Key == corev1.TaintNodeNotReady || t.Key == corev1.TaintNodeUnreachable {
			return fmt.Sprintf("Node/%s still has the %s taint", SimulatedNodeName, t.Key)
		}
	}
	if _, err := cs.CoordinationV1().Leases(corev1.NamespaceNodeLease).Get(ctx, SimulatedNodeName, metav1.GetOptions{}); err != nil {
		return fmt.Sprintf("Lease/%s/%s (renewed by kwok): %v", corev1.NamespaceNodeLease, SimulatedNodeName, err)
	}
	_, err = cs.CoreV1().ServiceAccounts(metav1.NamespaceDefault).Get(ctx, "default", metav1.GetOptions{})
	if err != nil {
		return fmt.Sprintf("ServiceAccount/default/default (made by kube-controller-manager): %v", err)
	}
	return ""
}

// simulatedNode is the fake Node kwok manages, as in kwok's documentation
// but without its NoSchedule taint: the taint keeps real pods off fake
// nodes in a real cluster, and here every node is fake.
func simulatedNode() *corev1.Node {
	capacity := corev1.ResourceList{
		corev1.ResourceCPU:    resource.MustParse("32"),
		corev1.ResourceMemory: resource.MustParse("256Gi"),
		corev1.ResourcePods:   resource.MustParse("1000"),
	}
	return &corev1.Node{
		ObjectMeta: metav1.ObjectMeta{
			Name: SimulatedNodeName,
			Annotations: map[string]string{
				"node.alpha.kubernetes.io/ttl": "0",
				"kwok.x-k8s.io/node":           "fake",
			},
			Labels: map[string]string{
				"beta.kubernetes.io/arch":       "amd64",
				"beta.kubernetes.io/os":         "linux",
				"kubernetes.io/arch":            "amd64",
				"kubernetes.io/hostname":        SimulatedNodeName,
				"kubernetes.io/os":              "linux",
				"kubernetes.io/role":            "agent",
				"node-role.kubernetes.io/agent": "",
				"type":                          "kwok",
			},
		},
		Status: corev1.NodeStatus{
			Capacity:    capacity,
			Allocatable: capacity,
			NodeInfo: corev1.NodeSystemInfo{
				Architecture:    "amd64",
				OperatingSystem: "linux",
				KubeletVersion:  KubernetesVersion,
			},
		},
	}
}

// waitForDefaultNamespace waits until kube-apiserver serves the default
// Namespace, which it creates shortly after it starts.
func waitForDefaultNamespace(ctx context.Context, cfg *rest.Config) error {
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return fmt.Errorf("failed to create a client: %w", err)
	}
	for {
		_, err := cs.CoreV1().Namespaces().Get(ctx, metav1.NamespaceDefault, metav1.GetOptions{})
		if err == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("Namespace/default not served: %w (last error: %v)", ctx.Err(), err)
		case <-time.After(100 * time.Millisecond):
		}
	}
}
