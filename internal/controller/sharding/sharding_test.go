package sharding

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/go-logr/logr/funcr"
	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	apimeta "k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"sigs.k8s.io/controller-runtime/pkg/client"

	kustomizev1 "github.com/ferrycd/ferry/api/kustomize/v1"
	"github.com/ferrycd/ferry/api/meta"
	sourcev1 "github.com/ferrycd/ferry/api/source/v1"
	"github.com/ferrycd/ferry/config"
	"github.com/ferrycd/ferry/internal/controller"
	"github.com/ferrycd/ferry/internal/controlplane"
	"github.com/ferrycd/ferry/internal/gitserver"
	"github.com/ferrycd/ferry/internal/logring"
	"github.com/ferrycd/ferry/internal/scheme"
)

// instance is one running controller: the main one or a shard.
type instance struct {
	name string
	logs *logring.Ring
}

// TestShardsReconcileDisjointObjects runs the main controller (objects
// without the shard key) and shards one and two beside it, each with its
// own lease, and creates a GitRepository and a Kustomization for each:
// every object is reconciled, and by exactly the instance its label
// names; the HelmChart-style hand-off is the HelmRelease tests' concern.
func TestShardsReconcileDisjointObjects(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cp, err := controlplane.Start(ctx, controlplane.Options{Progress: os.Stderr})
	if err != nil {
		t.Fatal(err)
	}
	defer cp.Stop()
	c, err := client.New(cp.Config, client.Options{Scheme: scheme.New()})
	if err != nil {
		t.Fatal(err)
	}
	if err := config.InstallCRDs(ctx, c); err != nil {
		t.Fatal(err)
	}
	git := gitserver.New(t.TempDir())
	if _, err := git.Start(); err != nil {
		t.Fatal(err)
	}
	defer git.Close()

	selectors := map[string]string{
		"main":   "!" + meta.ShardingKeyLabel,
		"shard1": meta.ShardingKeyLabel + "=shard1",
		"shard2": meta.ShardingKeyLabel + "=shard2",
	}
	var instances []instance
	for _, name := range []string{"main", "shard1", "shard2"} {
		sel, err := labels.Parse(selectors[name])
		if err != nil {
			t.Fatal(err)
		}
		logs := logring.New(logring.Options{})
		leaseID := controller.DefaultLeaderElectionID
		if name != "main" {
			leaseID = "ferry-shard-" + name + "-leader-election"
		}
		mgr, err := controller.NewManager(ctx, cp.Config, controller.Options{
			Controllers:             []string{"gitrepository", "kustomization"},
			Logger:                  logs.Wrap(funcr.New(func(string, string) {}, funcr.Options{})),
			Logs:                    logs,
			MetricsAddr:             "0",
			HealthAddr:              "0",
			ReceiverAddr:            "0",
			StoragePath:             filepath.Join(t.TempDir(), name),
			StorageAddr:             "127.0.0.1:0",
			WatchLabelSelector:      sel,
			LeaderElection:          true,
			LeaderElectionNamespace: "kube-system",
			LeaderElectionID:        leaseID,
		})
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		done := make(chan error, 1)
		go func() { done <- mgr.Start(ctx) }()
		defer func() { cancel(); <-done }()
		instances = append(instances, instance{name: name, logs: logs})
	}

	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{GenerateName: "shards-"}}
	if err := c.Create(ctx, ns); err != nil {
		t.Fatal(err)
	}
	// One repository and sync per instance; "main" carries no shard key.
	for _, name := range []string{"main", "shard1", "shard2"} {
		repo, err := git.InitRepo(name, "main")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := repo.CommitFiles("init", map[string]string{"cm.yaml": fmt.Sprintf("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: from-%s\n", name)}); err != nil {
			t.Fatal(err)
		}
		var shardLabels map[string]string
		if name != "main" {
			shardLabels = map[string]string{meta.ShardingKeyLabel: name}
		}
		gr := &sourcev1.GitRepository{
			ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns.Name, Labels: shardLabels},
			Spec: sourcev1.GitRepositorySpec{URL: git.RepoURL(name), Interval: metav1.Duration{Duration: time.Hour},
				Reference: &sourcev1.GitRepositoryRef{Branch: "main"}},
		}
		ks := &kustomizev1.Kustomization{
			ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns.Name, Labels: shardLabels},
			Spec: kustomizev1.KustomizationSpec{Interval: metav1.Duration{Duration: time.Hour}, Path: "./", Prune: true,
				TargetNamespace: ns.Name, SourceRef: kustomizev1.CrossNamespaceSourceReference{Kind: sourcev1.GitRepositoryKind, Name: name}},
		}
		for _, obj := range []client.Object{gr, ks} {
			if err := c.Create(ctx, obj); err != nil {
				t.Fatal(err)
			}
		}
	}

	// Every Kustomization applies its ConfigMap.
	deadline := time.Now().Add(3 * time.Minute)
	for _, name := range []string{"main", "shard1", "shard2"} {
		ks := &kustomizev1.Kustomization{}
		for {
			if err := c.Get(ctx, client.ObjectKey{Namespace: ns.Name, Name: name}, ks); err != nil {
				t.Fatal(err)
			}
			if apimeta.IsStatusConditionTrue(ks.Status.Conditions, meta.ReadyCondition) {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("Kustomization %s never became Ready: %+v", name, ks.Status.Conditions)
			}
			time.Sleep(200 * time.Millisecond)
		}
		if err := c.Get(ctx, client.ObjectKey{Namespace: ns.Name, Name: "from-" + name}, &corev1.ConfigMap{}); err != nil {
			t.Errorf("ConfigMap from-%s was not applied: %v", name, err)
		}
	}

	// Each object's lines are in the log of exactly the instance it
	// belongs to.
	for _, name := range []string{"main", "shard1", "shard2"} {
		for _, kind := range []string{sourcev1.GitRepositoryKind, kustomizev1.KustomizationKind} {
			var reconciledBy []string
			for _, in := range instances {
				if len(in.logs.Lines(logring.Key{Kind: kind, Namespace: ns.Name, Name: name})) > 0 {
					reconciledBy = append(reconciledBy, in.name)
				}
			}
			if len(reconciledBy) != 1 || reconciledBy[0] != name {
				t.Errorf("%s %s was reconciled by %v, want only %s", kind, name, reconciledBy, name)
			}
		}
	}

	// Each instance holds its own lease.
	for _, id := range []string{controller.DefaultLeaderElectionID, "ferry-shard-shard1-leader-election", "ferry-shard-shard2-leader-election"} {
		var lease coordinationv1.Lease
		if err := c.Get(ctx, client.ObjectKey{Namespace: "kube-system", Name: id}, &lease); err != nil || lease.Spec.HolderIdentity == nil {
			t.Errorf("lease %s: %v, holder %v", id, err, lease.Spec.HolderIdentity)
		}
	}
}
