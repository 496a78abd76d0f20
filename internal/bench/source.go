package bench

import (
	"context"
	"fmt"
	"maps"
	"path/filepath"
	"strings"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	sourcev1 "github.com/ferrycd/ferry/api/source/v1"
	"github.com/ferrycd/ferry/internal/chartregistry"
	"github.com/ferrycd/ferry/internal/gitserver"
	"github.com/ferrycd/ferry/internal/oci"
)

// The sources Options.Source names.
const (
	// SourceGit serves the manifests from a Git repository on loopback
	// to a GitRepository (the default).
	SourceGit = "git"
	// SourceOCI pushes them as one artifact, as `flux push artifact`
	// does, to a registry on loopback, to an OCIRepository.
	SourceOCI = "oci"
)

// benchSource is where the benchmark's manifests come from.
type benchSource interface {
	// object returns the source object the Kustomizations reference, with
	// its spec.
	object() client.Object
	// revision returns what identifies the current revision in an
	// artifact revision: the text after its last colon.
	revision() (string, error)
	// publish makes files (path → content, merged over the current ones)
	// the next revision and returns it as revision does.
	publish(files map[string]string, message string) (string, error)
	close()
}

// serveSource serves the manifests of count apps from kind under root.
func serveSource(kind, root string, count int, env *benchEnv) (benchSource, error) {
	switch kind {
	case "", SourceGit:
		env.say("► committing %d directories of 4 objects to a Git repository", count)
		server, repo, err := serveManifests(filepath.Join(root, "git"), count, env.log)
		if err != nil {
			return nil, err
		}
		return &gitSource{server: server, repo: repo}, nil
	case SourceOCI:
		env.say("► pushing %d directories of 4 objects as an OCI artifact", count)
		reg, err := chartregistry.Start(chartregistry.Options{})
		if err != nil {
			return nil, err
		}
		s := &ociSource{reg: reg, client: oci.New(oci.Options{Insecure: true}), files: Manifests(count)}
		if _, err := s.publish(nil, ""); err != nil {
			s.close()
			return nil, err
		}
		return s, nil
	}
	return nil, fmt.Errorf("source %q is not one of %s, %s", kind, SourceGit, SourceOCI)
}

type gitSource struct {
	server *gitserver.Server
	repo   *gitserver.Repo
}

func (s *gitSource) object() client.Object { return s.objectOf(s.server.RepoURL("bench")) }

// objectOf returns the GitRepository of url, branch main.
func (*gitSource) objectOf(url string) client.Object {
	return &sourcev1.GitRepository{
		ObjectMeta: metav1.ObjectMeta{Name: sourceName, Namespace: SourceNamespace},
		Spec: sourcev1.GitRepositorySpec{
			URL:       url,
			Interval:  metav1.Duration{Duration: time.Hour},
			Reference: &sourcev1.GitRepositoryRef{Branch: "main"},
		},
	}
}

func (s *gitSource) revision() (string, error) { return s.repo.Head() }

func (s *gitSource) publish(files map[string]string, message string) (string, error) {
	for name, content := range files {
		if err := s.repo.WriteFile(name, content); err != nil {
			return "", err
		}
	}
	commit, err := s.repo.Commit(message)
	if err != nil {
		return "", fmt.Errorf("committing the change: %w", err)
	}
	return commit, nil
}

func (s *gitSource) close() { s.server.Close() }

// ociSource pushes the manifests to repository "fleet", tag "main".
type ociSource struct {
	reg    *chartregistry.Registry
	client *oci.Client
	files  map[string]string
	digest string
}

func (s *ociSource) url() string { return oci.Prefix + s.reg.Host() + "/fleet" }

func (s *ociSource) object() client.Object {
	return &sourcev1.OCIRepository{
		ObjectMeta: metav1.ObjectMeta{Name: sourceName, Namespace: SourceNamespace},
		Spec: sourcev1.OCIRepositorySpec{
			URL:       s.url(),
			Interval:  metav1.Duration{Duration: time.Hour},
			Reference: &sourcev1.OCIRepositoryRef{Tag: "main"},
			Insecure:  true,
		},
	}
}

func (s *ociSource) revision() (string, error) { return s.digest, nil }

func (s *ociSource) publish(files map[string]string, message string) (string, error) {
	maps.Copy(s.files, files)
	content, err := oci.TarGz(s.files)
	if err != nil {
		return "", err
	}
	img, err := oci.Image(content, oci.ContentMediaType, map[string]string{"org.opencontainers.image.description": message})
	if err != nil {
		return "", err
	}
	repo, err := oci.ParseRepository(s.url(), true)
	if err != nil {
		return "", err
	}
	d, err := s.client.Push(context.Background(), repo.Tag("main"), img)
	if err != nil {
		return "", err
	}
	s.digest = strings.TrimPrefix(d.String(), "sha256:")
	return s.digest, nil
}

func (s *ociSource) close() {
	s.client.Close()
	_ = s.reg.Close()
}

// sourceKindOf returns the kind of a source object of the benchmark.
func sourceKindOf(obj client.Object) string {
	if _, ok := obj.(*sourcev1.OCIRepository); ok {
		return sourcev1.OCIRepositoryKind
	}
	return sourcev1.GitRepositoryKind
}
