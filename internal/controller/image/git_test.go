package image_test

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/armor"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/ferrycd/ferry/internal/gitserver"
	"github.com/ferrycd/ferry/internal/pgptest"
)

// gitFixture is a real Git server (git http-backend, basic auth, push
// allowed) behind a proxy that can run a hook just before the next push
// reaches the server: a human committing meanwhile.
type gitFixture struct {
	srv  *gitserver.Server
	url  string
	root string

	mu         sync.Mutex
	beforePush func()
	pushes     int
}

func newGit(t testing.TB) *gitFixture {
	t.Helper()
	f := &gitFixture{root: t.TempDir()}
	f.srv = gitserver.New(f.root).WithBasicAuth(gitUser, gitPassword)
	f.srv.AllowPush = true
	h := f.srv.Handler()
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/git-receive-pack") {
			f.mu.Lock()
			hook := f.beforePush
			f.beforePush = nil
			f.pushes++
			f.mu.Unlock()
			if hook != nil {
				hook()
			}
		}
		h.ServeHTTP(w, r)
	}))
	t.Cleanup(ts.Close)
	f.url = ts.URL
	return f
}

// repo creates the bare repository path whose branch main holds files and
// returns its URL.
func (f *gitFixture) repo(t testing.TB, path string, files map[string]string) string {
	t.Helper()
	src, err := gitserver.InitRepo(filepath.Join(t.TempDir(), "src"), "main")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := src.CommitFiles("initial", files); err != nil {
		t.Fatal(err)
	}
	if err := f.srv.InitBareRepo(path, src); err != nil {
		t.Fatal(err)
	}
	return f.url + "/" + path
}

// clone clones branch of path straight from the server's directory (no
// HTTP), for the test to read or to commit as a human.
func (f *gitFixture) clone(t testing.TB, path, branch string) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "clone")
	if _, err := gitserver.Git(f.root, "clone", "--quiet", "--branch", branch, filepath.Join(f.root, path), dir); err != nil {
		t.Fatal(err)
	}
	return dir
}

// humanCommit commits files to branch of path and pushes it, as a person
// would, and returns the commit.
func (f *gitFixture) humanCommit(t testing.TB, path, branch string, files map[string]string) string {
	t.Helper()
	dir := f.clone(t, path, branch)
	repo := &gitserver.Repo{Dir: dir}
	head, err := repo.CommitFiles("a human's change", files)
	if err != nil {
		t.Error(err)
		return ""
	}
	if _, err := gitserver.Git(dir, "push", "--quiet", "origin", branch); err != nil {
		t.Error(err)
	}
	return head
}

// head returns the commit branch of path points at, or "".
func (f *gitFixture) head(t testing.TB, path, branch string) string {
	t.Helper()
	out, err := gitserver.Git(filepath.Join(f.root, path), "rev-parse", "--verify", "--quiet", "refs/heads/"+branch)
	if err != nil {
		return ""
	}
	return out
}

// show runs git in the bare repository path.
func (f *gitFixture) git(t testing.TB, path string, args ...string) string {
	t.Helper()
	out, err := gitserver.Git(filepath.Join(f.root, path), args...)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func (f *gitFixture) onNextPush(hook func()) {
	f.mu.Lock()
	f.beforePush = hook
	f.mu.Unlock()
}

// gitAuth is the basic-auth Secret of the fixture's server.
func gitAuth(ns string) *corev1.Secret {
	return &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "git-auth"},
		Data:       map[string][]byte{"username": []byte(gitUser), "password": []byte(gitPassword)},
	}
}

// signingKey is a PGP key and its Secret in Flux's layout (git.asc).
func signingKey(t testing.TB, ns string) (*pgptest.Key, *corev1.Secret) {
	t.Helper()
	key, err := pgptest.NewKey("ferry bot", "bot@ferry.invalid")
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	w, err := armor.Encode(&buf, openpgp.PrivateKeyType, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := key.Entity.SerializePrivate(w, nil); err != nil {
		t.Fatal(err)
	}
	w.Close()
	return key, &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "signing-key"},
		Data:       map[string][]byte{"git.asc": buf.Bytes()},
	}
}

func readFile(t testing.TB, dir, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
