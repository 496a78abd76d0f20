// Package testenv is the harness of ferry's integration tests. A test
// package's TestMain starts, once, what its tests run against: a control
// plane (API-only or simulated) with ferry's CRDs, an admin client with
// ferry's scheme, optionally ferry's controllers in a manager built by
// controller.NewManager (with its artifact server on loopback) and a
// smart-HTTP Git server. Tests then create their own namespaces and wait
// with Eventually, WaitFor or the Kustomization Fixture:
//
//	var env *testenv.Env
//
//	func TestMain(m *testing.M) {
//		env = testenv.Start(testenv.Options{
//			Manager:   &controller.Options{Controllers: []string{"kustomization", "gitrepository"}},
//			GitServer: true,
//		})
//		os.Exit(env.Run(m))
//	}
//
// The controllers' logs are kept in Env.Logs, so that a suite can check that
// no secret appears in them (Options.Secrets); FERRY_TEST_LOG=1 also writes
// them to stderr.
//
// Packages that controller imports (apply, status's in-package tests,
// config, controlplane) cannot import testenv without an import cycle.
package testenv
