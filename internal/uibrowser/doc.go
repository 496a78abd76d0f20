// Package uibrowser holds the end-to-end tests of the web UI
// (internal/ui): a real headless Chromium, driven with chromedp, loads the
// pages of a UI served on loopback against a control plane whose ferry
// controllers really reconcile, and the tests read the DOM. The harness
// (NewTab and the Tab's methods) is exported for the tests of other
// packages: internal/cli drives the UI of `ferry dev` itself with it. Only
// tests import this package.
//
// The tests need a chromium binary (Debian's chromium package; .ci/run
// installs it). Without one they skip, except when the environment variable
// CI is set: there they fail, so that CI never passes by skipping them.
//
// With FERRY_UI_SCREENSHOTS=1 the tests also write screenshots of the main
// pages to docs/ui/ (`make ui-screenshots`).
package uibrowser
