package gitrepository_test

import (
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	ferryevents "github.com/ferrycd/ferry/internal/events"
)

// TestEventsCarryFluxMetadata checks one event twice over: the Kubernetes
// Event is annotated with the revision and digest under the source group,
// as Flux's, and the in-process bus (what notifications will read) gets it
// in Flux's event shape.
func TestEventsCarryFluxMetadata(t *testing.T) {
	bus, cancel := env.Events.Subscribe(256)
	defer cancel()
	ns := newNamespace(t)
	git, _, head := newGitServer(t)
	gr := newGitRepository(ns, "app", git.RepoURL("org/app"))
	create(t, gr)
	revision := "main@sha1:" + head
	gr = waitFor(t, client.ObjectKeyFromObject(gr), "Ready", isReadyWith(revision))

	k := waitForEvent(t, ns, "app", corev1.EventTypeNormal, "NewArtifact")
	if k.Annotations["source.toolkit.fluxcd.io/revision"] != revision ||
		k.Annotations["source.toolkit.fluxcd.io/digest"] != gr.Status.Artifact.Digest {
		t.Errorf("Kubernetes event annotations = %v", k.Annotations)
	}

	deadline := time.After(time.Minute)
	for {
		select {
		case e := <-bus:
			if e.InvolvedObject.Namespace != ns || e.Reason != "NewArtifact" {
				continue
			}
			if e.Severity != ferryevents.SeverityInfo || e.ReportingController != "source-controller" ||
				e.InvolvedObject.Kind != "GitRepository" || e.InvolvedObject.APIVersion != "source.toolkit.fluxcd.io/v1" ||
				e.InvolvedObject.UID != gr.UID || e.Message != "stored artifact for commit 'add the app config'" ||
				e.Metadata[ferryevents.MetaRevision] != revision || e.Metadata[ferryevents.MetaDigest] != gr.Status.Artifact.Digest {
				t.Errorf("bus event = %+v", e)
			}
			return
		case <-deadline:
			t.Fatal("no NewArtifact event on the bus")
		}
	}
}
