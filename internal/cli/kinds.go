package cli

import (
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	kustomizev1 "github.com/ferrycd/ferry/api/kustomize/v1"
	sourcev1 "github.com/ferrycd/ferry/api/source/v1"
)

// kinds are the Flux kinds that get, export, suspend, resume and reconcile
// act on: each of these verbs has one subcommand per kind, built from its
// entry here. Adding a kind to the CLI is one more entry.
var kinds = []*kind{gitRepositories, kustomizations}

// sources groups the source kinds: `ferry get sources git`, `ferry
// reconcile source git`.
var sources = &group{name: "source", plural: "sources"}

var gitRepositories = &kind{
	gvk:        sourcev1.GroupVersion.WithKind(sourcev1.GitRepositoryKind),
	plural:     "GitRepositories",
	group:      sources,
	command:    "git",
	newObject:  func() fluxObject { return &sourcev1.GitRepository{} },
	newList:    func() client.ObjectList { return &sourcev1.GitRepositoryList{} },
	setSuspend: func(obj fluxObject, s bool) { obj.(*sourcev1.GitRepository).Spec.Suspend = s },
	lastHandled: func(obj fluxObject) string {
		return obj.(*sourcev1.GitRepository).Status.GetLastHandledReconcileRequest()
	},
	revision: artifactRevision,
	done:     "fetched",
	help: kindHelp{
		get: help{"Get the status of GitRepository sources", `  # List the GitRepositories in flux-system
  ferry get sources git

  # List them in every namespace
  ferry get sources git -A`},
		export: help{"Print GitRepositories as Flux v1 YAML", `  # Export one GitRepository
  ferry export source git podinfo

  # Export every GitRepository of flux-system into a file
  ferry export source git --all > sources.yaml`},
		suspend: help{"Suspend a GitRepository: it stops fetching until resumed", `  # Stop fetching podinfo
  ferry suspend source git podinfo

  # Suspend every GitRepository in flux-system
  ferry suspend source git --all`},
		resume: help{"Resume a suspended GitRepository and wait until it has fetched", `  # Resume podinfo and wait for its artifact
  ferry resume source git podinfo`},
		reconcile: help{"Fetch a GitRepository now and wait for the new artifact", `  # Fetch the latest commit of the flux-system repository
  ferry reconcile source git flux-system`},
	},
}

var kustomizations = &kind{
	gvk:        kustomizev1.GroupVersion.WithKind(kustomizev1.KustomizationKind),
	plural:     "Kustomizations",
	command:    "kustomization",
	aliases:    []string{"ks"},
	newObject:  func() fluxObject { return &kustomizev1.Kustomization{} },
	newList:    func() client.ObjectList { return &kustomizev1.KustomizationList{} },
	setSuspend: func(obj fluxObject, s bool) { obj.(*kustomizev1.Kustomization).Spec.Suspend = s },
	lastHandled: func(obj fluxObject) string {
		return obj.(*kustomizev1.Kustomization).Status.GetLastHandledReconcileRequest()
	},
	revision: func(obj fluxObject) string { return obj.(*kustomizev1.Kustomization).Status.LastAppliedRevision },
	done:     "applied",
	sourceRef: func(obj fluxObject) (string, types.NamespacedName) {
		ref := obj.(*kustomizev1.Kustomization).Spec.SourceRef
		return ref.Kind, types.NamespacedName{Namespace: ref.Namespace, Name: ref.Name}
	},
	help: kindHelp{
		get: help{"Get the status of Kustomizations", `  # List the Kustomizations in flux-system
  ferry get kustomizations

  # List them in every namespace
  ferry get ks -A`},
		export: help{"Print Kustomizations as Flux v1 YAML", `  # Export one Kustomization
  ferry export kustomization apps

  # Export every Kustomization of flux-system
  ferry export kustomization --all > kustomizations.yaml`},
		suspend: help{"Suspend a Kustomization: it stops applying until resumed", `  # Stop applying apps
  ferry suspend kustomization apps`},
		resume: help{"Resume a suspended Kustomization and wait until it has applied", `  # Resume apps and wait for the apply
  ferry resume kustomization apps`},
		reconcile: help{"Apply a Kustomization now and wait for the outcome", `  # Apply the Kustomization outside of its interval
  ferry reconcile kustomization apps

  # Fetch its source first, then apply what it fetched
  ferry reconcile kustomization apps --with-source`},
	},
}

// The targets `create` waits on after applying an object.
var (
	gitRepositoryTarget = gitRepositories.target
	kustomizationTarget = kustomizations.target
)
