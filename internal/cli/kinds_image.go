package cli

import (
	"time"

	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	imagev1 "github.com/ferrycd/ferry/api/image/v1"
)

// images groups the image automation kinds: `ferry get images policy`,
// `ferry reconcile image repository`.
var images = &group{name: "image", plural: "images"}

// The `get` columns of the image kinds, as `flux get images` prints them.
const (
	colLastScan    = "LAST SCAN"
	colLatestImage = "LATEST IMAGE"
	colLastRun     = "LAST RUN"
)

var imageRepositories = &kind{
	gvk:        imagev1.GroupVersion.WithKind(imagev1.ImageRepositoryKind),
	plural:     "ImageRepositories",
	group:      images,
	command:    "repository",
	columns:    []string{colLastScan, colSuspended, colReady, colMessage},
	newObject:  func() fluxObject { return &imagev1.ImageRepository{} },
	newList:    func() client.ObjectList { return &imagev1.ImageRepositoryList{} },
	setSuspend: func(obj fluxObject, s bool) { obj.(*imagev1.ImageRepository).Spec.Suspend = s },
	lastHandled: func(obj fluxObject) string {
		return obj.(*imagev1.ImageRepository).Status.GetLastHandledReconcileRequest()
	},
	revision: func(obj fluxObject) string {
		r := obj.(*imagev1.ImageRepository).Status.LastScanResult
		if r == nil {
			return ""
		}
		return r.ScanTime.UTC().Format(time.RFC3339)
	},
	done: "scanned: the current tag list was found at %s",
	help: kindHelp{
		get: help{"Get the status of ImageRepositories", `  # List the ImageRepositories in flux-system
  ferry get images repository

  # List them in every namespace
  ferry get images repository -A`},
		export: help{"Print ImageRepositories as Flux v1 YAML", `  # Export one ImageRepository
  ferry export image repository web

  # Export every ImageRepository of flux-system
  ferry export image repository --all > imagerepositories.yaml`},
		suspend: help{"Suspend an ImageRepository: it stops scanning until resumed", `  # Stop scanning the web image
  ferry suspend image repository web`},
		resume: help{"Resume a suspended ImageRepository and wait until it has scanned", `  # Resume web and wait for its scan
  ferry resume image repository web`},
		reconcile: help{"Scan an ImageRepository now and wait for the outcome", `  # List the tags of web outside of its interval
  ferry reconcile image repository web`},
	},
}

var imagePolicies = &kind{
	gvk:     imagev1.GroupVersion.WithKind(imagev1.ImagePolicyKind),
	plural:  "ImagePolicies",
	group:   images,
	command: "policy",
	columns: []string{colLatestImage, colReady, colMessage},
	// An ImagePolicy has no spec.suspend: neither suspend nor resume.
	newObject: func() fluxObject { return &imagev1.ImagePolicy{} },
	newList:   func() client.ObjectList { return &imagev1.ImagePolicyList{} },
	lastHandled: func(obj fluxObject) string {
		return obj.(*imagev1.ImagePolicy).Status.GetLastHandledReconcileRequest()
	},
	revision: func(obj fluxObject) string {
		p := obj.(*imagev1.ImagePolicy)
		// name:tag, as flux get images policy shows it: the digest (under
		// digestReflectionPolicy) would make the column unreadable.
		if ref := p.Status.LatestRef; ref != nil {
			return ref.Name + ":" + ref.Tag
		}
		return p.Status.LatestImage
	},
	done: "chose %s",
	sourceRef: func(obj fluxObject) (string, types.NamespacedName) {
		ref := obj.(*imagev1.ImagePolicy).Spec.ImageRepositoryRef
		return imagev1.ImageRepositoryKind, types.NamespacedName{Namespace: ref.Namespace, Name: ref.Name}
	},
	help: kindHelp{
		get: help{"Get the status of ImagePolicies and the image each chose", `  # List the ImagePolicies in flux-system
  ferry get images policy

  # List them in every namespace
  ferry get images policy -A`},
		export: help{"Print ImagePolicies as Flux v1 YAML", `  # Export one ImagePolicy
  ferry export image policy web

  # Export every ImagePolicy of flux-system
  ferry export image policy --all > imagepolicies.yaml`},
		reconcile: help{"Compute an ImagePolicy now and wait for the outcome", `  # Choose again from the stored tags
  ferry reconcile image policy web

  # Scan its ImageRepository first
  ferry reconcile image policy web --with-source`},
	},
}

var imageUpdateAutomations = &kind{
	gvk:        imagev1.GroupVersion.WithKind(imagev1.ImageUpdateAutomationKind),
	plural:     "ImageUpdateAutomations",
	group:      images,
	command:    "update",
	columns:    []string{colLastRun, colSuspended, colReady, colMessage},
	newObject:  func() fluxObject { return &imagev1.ImageUpdateAutomation{} },
	newList:    func() client.ObjectList { return &imagev1.ImageUpdateAutomationList{} },
	setSuspend: func(obj fluxObject, s bool) { obj.(*imagev1.ImageUpdateAutomation).Spec.Suspend = s },
	lastHandled: func(obj fluxObject) string {
		return obj.(*imagev1.ImageUpdateAutomation).Status.GetLastHandledReconcileRequest()
	},
	revision: func(obj fluxObject) string {
		t := obj.(*imagev1.ImageUpdateAutomation).Status.LastAutomationRunTime
		if t == nil {
			return ""
		}
		return t.UTC().Format(time.RFC3339)
	},
	done: "last ran %s",
	sourceRef: func(obj fluxObject) (string, types.NamespacedName) {
		ref := obj.(*imagev1.ImageUpdateAutomation).Spec.SourceRef
		return ref.Kind, types.NamespacedName{Namespace: ref.Namespace, Name: ref.Name}
	},
	help: kindHelp{
		get: help{"Get the status of ImageUpdateAutomations", `  # List the ImageUpdateAutomations in flux-system
  ferry get images update

  # List them in every namespace
  ferry get images update -A`},
		export: help{"Print ImageUpdateAutomations as Flux v1 YAML", `  # Export one ImageUpdateAutomation
  ferry export image update flux-system

  # Export every ImageUpdateAutomation of flux-system
  ferry export image update --all > imageupdates.yaml`},
		suspend: help{"Suspend an ImageUpdateAutomation: it commits nothing until resumed", `  # Stop writing new tags to Git during a freeze
  ferry suspend image update flux-system`},
		resume: help{"Resume a suspended ImageUpdateAutomation and wait until it has run", `  # Resume and wait for its run
  ferry resume image update flux-system`},
		reconcile: help{"Run an ImageUpdateAutomation now and wait for the outcome", `  # Commit the policies' latest images now
  ferry reconcile image update flux-system

  # Fetch its GitRepository first
  ferry reconcile image update flux-system --with-source`},
	},
}
