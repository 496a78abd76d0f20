package uibrowser

import (
	"os"
	"testing"

	"github.com/ferrycd/ferry/internal/controller"
	"github.com/ferrycd/ferry/internal/testenv"
)

// The suite shares one control plane whose manager runs the GitRepository,
// Kustomization, Provider and Alert controllers, so the objects the pages
// show really reconcile, one UI served on loopback twice (as an admin and
// as a user without rights) and one Chromium. Each test has its own namespaces and
// Git repositories, and a tab in a browser context of its own.
var env *testenv.Env

func TestMain(m *testing.M) {
	if !HaveChromium() {
		// Every test skips (or fails under CI) in needChromium: start
		// nothing.
		os.Exit(m.Run())
	}
	env = testenv.Start(testenv.Options{
		// The alert controller's dispatcher feeds /notifications; the log
		// ring the object pages' Log sections.
		Manager:   &controller.Options{Controllers: []string{"gitrepository", "kustomization", "provider", "alert"}, Concurrent: 2},
		GitServer: true,
		LogRing:   true,
	})
	code := env.Run(m)
	StopBrowser()
	os.Exit(code)
}
