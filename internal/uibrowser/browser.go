package uibrowser

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/ferrycd/ferry/internal/testenv"
)

// tabDeadline bounds everything one test does in its tab. It is generous,
// because the machine may be shared and a reconcile may have to happen
// first; it is a wait, not a timing assertion.
const tabDeadline = 5 * time.Minute

// viewport is the size of every tab (and so of the screenshots): a laptop.
const viewportWidth, viewportHeight = 1280, 800

// chromiumNames are the names Chromium's binary goes by, Debian's first.
var chromiumNames = []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"}

// findChromium returns the path of a Chromium binary, or "".
func findChromium() string {
	for _, name := range chromiumNames {
		if path, err := exec.LookPath(name); err == nil {
			return path
		}
	}
	return ""
}

// chromium is the binary the tests drive, found on first use; "" when
// there is none.
var chromium struct {
	once sync.Once
	path string
}

// HaveChromium reports whether there is a Chromium to drive, so that a
// TestMain starts nothing when every test would skip.
func HaveChromium() bool {
	chromium.once.Do(func() { chromium.path = findChromium() })
	return chromium.path != ""
}

// NeedChromium skips t when there is no Chromium, or fails it when the
// environment variable CI is set, so that CI never passes by skipping (and
// when screenshots are asked for).
func NeedChromium(t testing.TB) {
	t.Helper()
	if HaveChromium() {
		return
	}
	msg := fmt.Sprintf("no Chromium binary found (looked for %s in PATH): the web UI's browser tests need one; on Debian: apt-get install chromium",
		strings.Join(chromiumNames, ", "))
	switch {
	case os.Getenv("CI") != "":
		t.Fatal(msg + " (CI is set, so this fails instead of skipping)")
	case ScreenshotsWanted():
		t.Fatal(msg + " (FERRY_UI_SCREENSHOTS=1 asks for screenshots)")
	}
	t.Skip(msg)
}

// browser is the one Chromium process the tests share; each test gets a
// tab in a browser context of its own, so cookies (and with them the CSRF
// token) are not shared between tests.
var browser struct {
	once   sync.Once
	err    error
	ctx    context.Context // the first tab's context, which holds the browser
	cancel func()
	dir    string
	out    testenv.Buffer // the browser's stdout and stderr, for failures
}

// startBrowser starts Chromium headless with a temporary profile.
func startBrowser() error {
	dir, err := os.MkdirTemp("", "ferry-chromium-")
	if err != nil {
		return err
	}
	browser.dir = dir
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromium.path),
		chromedp.UserDataDir(dir),
		chromedp.WindowSize(viewportWidth, viewportHeight),
		chromedp.CombinedOutput(&browser.out),
	)
	if os.Geteuid() == 0 {
		// Chromium refuses to run its sandbox as root (CI containers).
		opts = append(opts, chromedp.NoSandbox)
	}
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(allocCtx)
	browser.ctx = ctx
	browser.cancel = func() { cancelCtx(); cancelAlloc() }
	// Start the browser with a context that has no deadline: the first
	// Run binds the browser's life to it.
	if err := chromedp.Do(ctx); err != nil {
		return fmt.Errorf("starting %s: %w\n%s", chromium.path, err, browser.out.String())
	}
	return nil
}

// StopBrowser stops the browser, if it was started, and removes its
// profile.
func StopBrowser() {
	if browser.cancel != nil {
		browser.cancel()
	}
	if browser.dir != "" {
		_ = os.RemoveAll(browser.dir)
	}
}

// Tab is one test's browser tab. Its methods fail the test when the
// browser does.
type Tab struct {
	t testing.TB
	// ctx carries the tab's deadline; base is the same tab without it,
	// to describe the page after the deadline.
	ctx, base context.Context

	mu       sync.Mutex
	messages []chromedp.ConsoleMessage
}

// NewTab opens a tab in a new browser context for the rest of t, after
// NeedChromium. Every action in it shares the deadline tabDeadline. At the
// end of t the tab fails t for every uncaught exception and every
// security (Content-Security-Policy) message its pages logged, unless the
// test took them with takeMessages.
func NewTab(t testing.TB) *Tab {
	t.Helper()
	NeedChromium(t)
	browser.once.Do(func() { browser.err = startBrowser() })
	if browser.err != nil {
		t.Fatal(browser.err)
	}
	tabCtx, cancelTab := chromedp.NewContext(browser.ctx, chromedp.WithNewBrowserContext())
	// Create the tab without a deadline, then bound what runs in it.
	if err := chromedp.Do(tabCtx, chromedp.EmulateViewport(viewportWidth, viewportHeight)); err != nil {
		cancelTab()
		t.Fatalf("opening a tab: %v\n%s", err, browser.out.String())
	}
	ctx, cancel := context.WithTimeout(tabCtx, tabDeadline)
	tb := &Tab{t: t, ctx: ctx, base: tabCtx}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for m, err := range chromedp.Console(tabCtx) {
			if err != nil {
				return
			}
			tb.mu.Lock()
			tb.messages = append(tb.messages, m)
			tb.mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		for _, m := range tb.TakeMessages() {
			if m.IsException() || m.Source == "security" {
				t.Errorf("the page logged %s (%s:%d)", m, m.URL, m.Line+1)
			}
		}
		cancel()
		cancelTab()
		<-done
	})
	return tb
}

// TakeMessages returns what the tab's pages wrote to the console so far
// and forgets it.
func (tb *Tab) TakeMessages() []chromedp.ConsoleMessage {
	tb.mu.Lock()
	defer tb.mu.Unlock()
	m := tb.messages
	tb.messages = nil
	return m
}

// Open loads url and waits for its load event.
func (tb *Tab) Open(url string) {
	tb.t.Helper()
	if err := chromedp.Do(tb.ctx, chromedp.Navigate(url)); err != nil {
		tb.t.Fatalf("opening %s: %v", url, err)
	}
}

// Eval evaluates a JavaScript expression in the page and decodes its
// value into T.
func Eval[T any](tb *Tab, expr string) T {
	tb.t.Helper()
	v, err := chromedp.Run(tb.ctx, chromedp.Evaluate[T](expr))
	if err != nil {
		tb.t.Fatalf("evaluating %s: %v", expr, err)
	}
	return v
}

// js quotes s as a JavaScript string literal.
func js(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// Text returns the visible text of the first element matching the CSS
// selector, or "" when there is none.
func (tb *Tab) Text(selector string) string {
	tb.t.Helper()
	return Eval[string](tb, fmt.Sprintf(`(document.querySelector(%s)?.innerText ?? "")`, js(selector)))
}

// Texts returns the visible text of every element matching the CSS
// selector, in document order.
func (tb *Tab) Texts(selector string) []string {
	tb.t.Helper()
	return Eval[[]string](tb, fmt.Sprintf(`Array.from(document.querySelectorAll(%s), e => e.innerText)`, js(selector)))
}

// WaitFor polls cond every 100 ms until it reports true; at
// testenv.Deadline (or the tab's) it fails the test with what, cond's
// last detail and the page's text.
func (tb *Tab) WaitFor(what string, cond func() (bool, string)) {
	tb.t.Helper()
	var detail string
	end := time.After(testenv.Deadline)
	for {
		var ok bool
		if ok, detail = cond(); ok {
			return
		}
		select {
		case <-tb.ctx.Done():
		case <-end:
		case <-time.After(100 * time.Millisecond):
			continue
		}
		tb.t.Fatalf("gave up waiting for %s; last seen: %q\n%s", what, detail, tb.Describe())
	}
}

// Describe returns the URL and the text of the page, for failures.
func (tb *Tab) Describe() string {
	ctx, cancel := context.WithTimeout(tb.base, 10*time.Second)
	defer cancel()
	page, err := chromedp.Run(ctx, chromedp.Evaluate[string](`location.href + "\n" + (document.body?.innerText ?? "")`))
	if err != nil {
		return fmt.Sprintf("(the page cannot be read: %v)", err)
	}
	return "page " + page
}

// WaitText waits until the text of the element matching selector contains
// every one of want, and returns that text.
func (tb *Tab) WaitText(selector string, want ...string) string {
	tb.t.Helper()
	var got string
	tb.WaitFor(fmt.Sprintf("%s to show %q", selector, want), func() (bool, string) {
		got = tb.Text(selector)
		for _, w := range want {
			if !strings.Contains(got, w) {
				return false, got
			}
		}
		return true, got
	})
	return got
}

// Rows returns the cells' text of every body row of the first table
// matching the CSS selector.
func (tb *Tab) Rows(table string) [][]string {
	tb.t.Helper()
	return Eval[[][]string](tb, fmt.Sprintf(`Array.from(document.querySelector(%s)?.tBodies[0]?.rows ?? [], r => Array.from(r.cells, c => c.innerText.trim()))`, js(table)))
}

// WaitRow waits until the table matching the CSS selector has a row whose
// first cell is key and whose text contains every one of want, and
// returns its cells.
func (tb *Tab) WaitRow(table, key string, want ...string) []string {
	tb.t.Helper()
	var found []string
	tb.WaitFor(fmt.Sprintf("a row %s in %s showing %q", key, table, want), func() (bool, string) {
		var seen []string
		for _, cells := range tb.Rows(table) {
			line := strings.Join(cells, " | ")
			seen = append(seen, line)
			if len(cells) == 0 || cells[0] != key {
				continue
			}
			ok := true
			for _, w := range want {
				ok = ok && strings.Contains(line, w)
			}
			if ok {
				found = cells
				return true, ""
			}
		}
		return false, strings.Join(seen, "\n")
	})
	return found
}

// Click clicks the first element matching the CSS selector, once it is
// visible.
func (tb *Tab) Click(selector string) {
	tb.t.Helper()
	if err := chromedp.Do(tb.ctx, chromedp.Click(chromedp.CSS(selector), chromedp.NodeVisible)); err != nil {
		tb.t.Fatalf("clicking %s: %v", selector, err)
	}
}

// Submit clicks the submit button matching the CSS selector, waits for
// the page the form leads to and returns its HTTP status.
func (tb *Tab) Submit(button string) int64 {
	tb.t.Helper()
	resp, err := chromedp.RunResponse(tb.ctx, chromedp.Click(chromedp.CSS(button), chromedp.NodeVisible))
	if err != nil {
		tb.t.Fatalf("submitting with %s: %v", button, err)
	}
	return resp.Status
}

// TypeInto types text into the input matching the CSS selector.
func (tb *Tab) TypeInto(input, text string) {
	tb.t.Helper()
	if err := chromedp.Do(tb.ctx, chromedp.SendKeys(chromedp.CSS(input), text, chromedp.NodeVisible)); err != nil {
		tb.t.Fatalf("typing into %s: %v", input, err)
	}
}

// Has reports whether an element matches the CSS selector.
func (tb *Tab) Has(selector string) bool {
	tb.t.Helper()
	return Eval[bool](tb, fmt.Sprintf(`document.querySelector(%s) !== null`, js(selector)))
}

// WaitHas waits until an element matches the CSS selector.
func (tb *Tab) WaitHas(selector string) {
	tb.t.Helper()
	tb.WaitFor(selector, func() (bool, string) { return tb.Has(selector), "absent" })
}

// ScreenshotsWanted reports whether FERRY_UI_SCREENSHOTS=1 asks for the
// screenshots in docs/ui/.
func ScreenshotsWanted() bool { return os.Getenv("FERRY_UI_SCREENSHOTS") == "1" }

// screenshotDir is where the screenshots go: docs/ui/ of the repository,
// from this package's directory.
var screenshotDir = filepath.Join("..", "..", "docs", "ui")

// Capture takes a screenshot of the visible part of the page and checks it
// is a PNG.
func (tb *Tab) Capture() []byte {
	tb.t.Helper()
	png, err := chromedp.Run(tb.ctx, chromedp.CaptureScreenshot())
	if err != nil {
		tb.t.Fatalf("taking a screenshot: %v", err)
	}
	if !bytes.HasPrefix(png, []byte("\x89PNG\r\n\x1a\n")) {
		tb.t.Fatalf("the screenshot is not a PNG: % x", png[:min(len(png), 8)])
	}
	return png
}

// Screenshot takes a screenshot of the visible part of the page and, when
// ScreenshotsWanted, writes it to docs/ui/<name>.png.
func (tb *Tab) Screenshot(name string) {
	tb.t.Helper()
	png := tb.Capture()
	if !ScreenshotsWanted() {
		return
	}
	if err := os.MkdirAll(screenshotDir, 0o755); err != nil {
		tb.t.Fatal(err)
	}
	path := filepath.Join(screenshotDir, name+".png")
	if err := os.WriteFile(path, png, 0o644); err != nil {
		tb.t.Fatal(err)
	}
	tb.t.Logf("wrote %s (%d KB)", path, len(png)/1024)
}

// Press types keys into the page as key presses, outside any input.
func (tb *Tab) Press(keys string) {
	tb.t.Helper()
	if err := chromedp.Do(tb.ctx, chromedp.KeyEvent(keys)); err != nil {
		tb.t.Fatalf("pressing %q: %v", keys, err)
	}
}
