package cli

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	sourcev1 "github.com/ferrycd/ferry/api/source/v1"
	"github.com/ferrycd/ferry/internal/testenv"
)

// TestUI runs `ferry ui` against the test cluster: it serves the pages
// from its own watch, on loopback only, and acts as the kubeconfig's user.
func TestUI(t *testing.T) {
	ns := env.NewNamespace(t, "ui")
	gr := &sourcev1.GitRepository{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "shown-in-ui"},
		Spec: sourcev1.GitRepositorySpec{URL: "https://example.invalid/repo", Interval: metav1.Duration{Duration: time.Hour}}}
	if err := env.Client.Create(context.Background(), gr); err != nil {
		t.Fatal(err)
	}

	ctx, cancel := context.WithCancel(context.Background())
	var out, errOut testenv.Buffer
	done := make(chan int, 1)
	go func() {
		done <- Main(ctx, []string{"--kubeconfig", env.Kubeconfig, "ui", "--address", "127.0.0.1:0"}, &out, &errOut)
	}()
	waitForOutput(t, &errOut, done, "the UI is at ", time.Minute)
	_, url, _ := strings.Cut(errOut.String(), "the UI is at ")
	url, _, _ = strings.Cut(url, " ")
	testenv.Eventually(t, "the GitRepository on the UI's list", func() (bool, string) {
		resp, err := http.Get(url + "/k/GitRepository?ns=" + ns)
		if err != nil {
			return false, err.Error()
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode == http.StatusOK && strings.Contains(string(body), "shown-in-ui"), resp.Status
	})
	cancel()
	if code := <-done; code != 0 {
		t.Errorf("ferry ui exited %d:\n%s", code, errOut.String())
	}

	_, stderr, code := ferry(t, "ui", "--address", "0.0.0.0:0")
	if code == 0 || !strings.Contains(stderr, "serves loopback addresses only") {
		t.Errorf("ferry ui on a non-loopback address: exit %d\n%s", code, stderr)
	}
}
