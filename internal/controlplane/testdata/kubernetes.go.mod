// A trimmed copy of the shape of k8s.io/kubernetes' go.mod.

module k8s.io/kubernetes

go 1.26.0

godebug default=go1.26

require (
	github.com/spf13/cobra v1.10.2
	k8s.io/api v0.0.0
	k8s.io/client-go v0.0.0
)

require k8s.io/cri-api v0.0.0 // indirect

replace (
	k8s.io/api => ./staging/src/k8s.io/api
	k8s.io/client-go => ./staging/src/k8s.io/client-go
	// a comment between entries
	k8s.io/cri-api => ./staging/src/k8s.io/cri-api
	github.com/example/forked => github.com/example/fork v1.2.3
	github.com/example/local => ../elsewhere
)

replace k8s.io/apimachinery => ./staging/src/k8s.io/apimachinery
