package git_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/ferrycd/ferry/internal/git"
	"github.com/ferrycd/ferry/internal/testserver"
)

// TestServerFaultMessages checks that a listing or a clone through a
// faulty server says what happened: a stall past the deadline is "timed
// out", a canceled operation "canceled", and a page that is not the Git
// protocol says so and what to check.
func TestServerFaultMessages(t *testing.T) {
	f := newFixture(t, nil, false)
	refs := testserver.PathContains("/info/refs", http.MethodGet)
	uploadPack := testserver.PathContains("/git-upload-pack", http.MethodPost)
	page := []byte("<!DOCTYPE html>\n<html><body>Sign in</body></html>\n")
	tests := map[string]struct {
		fault    testserver.Fault
		deadline bool
		cancel   bool
		// list: RemoteRevision fails too (the fault is on the listing).
		list     bool
		contains []string
	}{
		"stalled listing": {
			fault: testserver.Stalled(0).On(refs), deadline: true, list: true,
			contains: []string{": timed out: ", "context deadline exceeded"},
		},
		"stalled pack": {
			fault: testserver.Stalled(0).On(uploadPack), deadline: true,
			contains: []string{"unable to clone '", ": timed out: "},
		},
		"canceled during the listing": {
			fault: testserver.Stalled(0).On(refs), cancel: true, list: true,
			contains: []string{": canceled: "},
		},
		"HTML login page": {
			fault: testserver.Responding(http.StatusOK, "text/html", page).On(refs), list: true,
			contains: []string{"invalid pkt-len found", "the server did not answer with the Git protocol", "clone URL"},
		},
		"empty answer": {
			fault: testserver.Responding(http.StatusOK, "text/plain", nil).On(refs), list: true,
			contains: []string{"the server did not answer with the Git protocol"},
		},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			p := testserver.StartFaultProxy(t, f.url, testserver.FaultProxyOptions{})
			p.Set(tt.fault)
			opts := git.CloneOptions{URL: p.URL + "/org/app", Branch: "main"}
			run := func(op func(context.Context) error) error {
				ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
				defer cancel()
				if tt.deadline {
					ctx, cancel = context.WithTimeout(ctx, 500*time.Millisecond)
					defer cancel()
				}
				if tt.cancel {
					held := p.Injected()
					go func() {
						for p.Injected() == held {
							time.Sleep(10 * time.Millisecond)
						}
						cancel()
					}()
				}
				return op(ctx)
			}
			errs := map[string]error{"Clone": run(func(ctx context.Context) error {
				_, err := git.Clone(ctx, t.TempDir(), opts)
				return err
			})}
			if tt.list {
				errs["RemoteRevision"] = run(func(ctx context.Context) error {
					_, err := git.RemoteRevision(ctx, opts)
					return err
				})
			}
			for op, err := range errs {
				if err == nil {
					t.Fatalf("%s succeeded", op)
				}
				t.Logf("%s: %v", op, err)
				for _, s := range tt.contains {
					if !strings.Contains(err.Error(), s) {
						t.Errorf("%s error %q lacks %q", op, err, s)
					}
				}
			}
			if p.Injected() == 0 {
				t.Error("the fault was never injected")
			}
		})
	}
}
