package cli

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/ferrycd/ferry/internal/controller"
	"github.com/ferrycd/ferry/internal/testenv"
	"github.com/ferrycd/ferry/internal/uibrowser"
)

// env is the real cluster, controllers and Git server the CLI tests run
// against: an API-only control plane, every ferry controller in a manager,
// and `git http-backend` on loopback.
var env *testenv.Env

func TestMain(m *testing.M) {
	env = testenv.Start(testenv.Options{Manager: &controller.Options{}, GitServer: true})
	code := env.Run(m)
	uibrowser.StopBrowser() // the dev test drives ferry dev's UI in Chromium
	os.Exit(code)
}

// ferry runs the command line in-process against the test cluster.
func ferry(t *testing.T, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	var out, errOut testenv.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	code = Main(ctx, append([]string{"--kubeconfig", env.Kubeconfig}, args...), &out, &errOut)
	return out.String(), errOut.String(), code
}

func mustContain(t *testing.T, what, got string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(got, w) {
			t.Errorf("%s does not contain %q:\n%s", what, w, got)
		}
	}
}
