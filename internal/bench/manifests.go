package bench

import (
	"fmt"
	"io"
	"strings"

	"github.com/ferrycd/ferry/internal/gitserver"
)

// Manifests returns the repository's files: for each of count directories
// apps/app-NNNN, one file with a Deployment scaled to 0, a ServiceAccount, a
// Service and a ConfigMap, and no kustomization.yaml (one is generated, as
// Flux does).
func Manifests(count int) map[string]string {
	files := make(map[string]string, count)
	for i := range count {
		name := appName(i)
		files["apps/"+name+"/manifests.yaml"] = strings.ReplaceAll(manifestTemplate, "NAME", name)
	}
	return files
}

const manifestTemplate = `apiVersion: v1
kind: ServiceAccount
metadata:
  name: NAME
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: NAME
data:
  app: NAME
  greeting: hello
---
apiVersion: v1
kind: Service
metadata:
  name: NAME
spec:
  selector:
    app: NAME
  ports:
    - name: http
      port: 80
      targetPort: http
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: NAME
spec:
  replicas: 0
  selector:
    matchLabels:
      app: NAME
  template:
    metadata:
      labels:
        app: NAME
    spec:
      serviceAccountName: NAME
      containers:
        - name: app
          image: ghcr.io/stefanprodan/podinfo:6.7.1
          ports:
            - name: http
              containerPort: 9898
          resources:
            requests:
              cpu: 10m
              memory: 16Mi
`

func appName(i int) string { return fmt.Sprintf("app-%04d", i) }

// serveManifests commits Manifests(count) to a repository under root and
// serves it over smart HTTP, with git http-backend's errors going to
// stderr. It returns the server and the repository, for later commits.
func serveManifests(root string, count int, stderr io.Writer) (*gitserver.Server, *gitserver.Repo, error) {
	server := gitserver.New(root)
	server.Stderr = stderr
	repo, err := server.InitRepo("bench", "main")
	if err != nil {
		return nil, nil, fmt.Errorf("creating the Git repository: %w", err)
	}
	if err := repo.WriteFiles(Manifests(count)); err != nil {
		return nil, nil, fmt.Errorf("writing the manifests: %w", err)
	}
	if _, err := repo.Commit("benchmark manifests"); err != nil {
		return nil, nil, fmt.Errorf("committing the manifests: %w", err)
	}
	if _, err := server.Start(); err != nil {
		return nil, nil, fmt.Errorf("starting the Git server: %w", err)
	}
	return server, repo, nil
}
