package v1

// Labels and annotations read or written by the Kustomization controller.
const (
	// NameLabel is set on every applied object to the name of the
	// Kustomization that owns it.
	NameLabel = "kustomize.toolkit.fluxcd.io/name"

	// NamespaceLabel is set on every applied object to the namespace of the
	// Kustomization that owns it.
	NamespaceLabel = "kustomize.toolkit.fluxcd.io/namespace"

	// PruneAnnotation set to DisabledValue on an object keeps it in the
	// cluster when it is removed from the source.
	PruneAnnotation = "kustomize.toolkit.fluxcd.io/prune"

	// ReconcileAnnotation set to DisabledValue on an object stops ferry from
	// applying changes to it.
	ReconcileAnnotation = "kustomize.toolkit.fluxcd.io/reconcile"

	// SSAAnnotation selects the server-side apply policy of an object:
	// MergeValue, IfNotPresentValue or IgnoreValue.
	SSAAnnotation = "kustomize.toolkit.fluxcd.io/ssa"

	// ForceAnnotation set to EnabledValue on an object makes ferry recreate
	// it when an immutable field changes.
	ForceAnnotation = "kustomize.toolkit.fluxcd.io/force"

	// SubstituteAnnotation set to DisabledValue on an object skips postBuild
	// variable substitution for it.
	SubstituteAnnotation = "kustomize.toolkit.fluxcd.io/substitute"
)
