package scheme

import (
	"fmt"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"

	helmv2 "github.com/ferrycd/ferry/api/helm/v2"
	imagev1 "github.com/ferrycd/ferry/api/image/v1"
	kustomizev1 "github.com/ferrycd/ferry/api/kustomize/v1"
	notificationv1 "github.com/ferrycd/ferry/api/notification/v1"
	notificationv1beta3 "github.com/ferrycd/ferry/api/notification/v1beta3"
	sourcev1 "github.com/ferrycd/ferry/api/source/v1"
)

// builder lists what New registers.
var builder = runtime.NewSchemeBuilder(
	clientgoscheme.AddToScheme,
	apiextensionsv1.AddToScheme,
	sourcev1.AddToScheme,
	kustomizev1.AddToScheme,
	helmv2.AddToScheme,
	notificationv1beta3.AddToScheme,
	notificationv1.AddToScheme,
	imagev1.AddToScheme,
)

// AddToScheme adds every kind of New to s.
var AddToScheme = builder.AddToScheme

// New returns a scheme that knows the Kubernetes built-in kinds, CRDs and
// every ferry API group.
func New() *runtime.Scheme {
	s := runtime.NewScheme()
	if err := AddToScheme(s); err != nil {
		panic(fmt.Sprintf("building the scheme: %v", err))
	}
	return s
}
