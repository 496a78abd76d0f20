package controlplane

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/gofrs/flock"
	"sigs.k8s.io/yaml"

	"github.com/ferrycd/ferry/internal/atomicfile"
)

// Versions of the server binaries ferry builds when KUBEBUILDER_ASSETS does
// not provide them.
const (
	// KubernetesVersion is the release of kube-apiserver,
	// kube-controller-manager and kube-scheduler.
	KubernetesVersion = "v1.37.2"
	// EtcdVersion is the release of etcd.
	EtcdVersion = "v3.7.3"
	// KwokVersion is the release of kwok, which simulates nodes and pods.
	KwokVersion = "v0.8.0"
)

// recipe changes whenever the way the binaries are built changes, so that a
// cache built by an older ferry is rebuilt rather than trusted.
const recipe = "1"

// Names of the files in a binaries directory.
const (
	etcdBin       = "etcd"
	apiServerBin  = "kube-apiserver"
	kcmBin        = "kube-controller-manager"
	schedulerBin  = "kube-scheduler"
	kwokBin       = "kwok"
	kwokStagesDir = "kwok-stages"
)

// kwokStages are the kwok stage directories (under kustomize/stage in the
// kwok module) that make nodes Ready, keep their leases fresh and move pods
// to Running, Succeeded (Jobs) and deleted.
var kwokStages = []string{"node/fast", "node/heartbeat-with-lease", "pod/fast"}

// binarySet is a group of files that is built, installed and stamped
// together. The API-only set never waits for the simulated one.
type binarySet struct {
	name       string
	components []component
	// versions names what the set is built from, for its stamp.
	versions string
}

// component is one program of a set: the files it installs, how to build
// them from Go modules and, when its project publishes release binaries
// with SHA-256 checksums, the release to download instead.
type component struct {
	// name is what progress messages call it ("kube-apiserver v1.37.2").
	name  string
	files []string
	// release is nil when no release with published checksums exists: the
	// component is always built.
	release *release
	build   func(ctx context.Context, b *builder, out string) error
	// typical is the rough duration of a cold build on two cores, shown to
	// the user while it runs.
	typical string
}

// files lists every file s installs.
func (s binarySet) files() []string {
	var files []string
	for _, c := range s.components {
		files = append(files, c.files...)
	}
	return files
}

// stamp is the content of the file that marks s as completely installed.
func (s binarySet) stamp() string {
	return fmt.Sprintf("ferry controlplane %s recipe=%s %s\n", s.name, recipe, s.versions)
}

// The typical durations were measured on a fresh machine with two cores
// and an empty Go module cache (docs/benchmarks.md).
var (
	apiSet = binarySet{
		name: "api",
		components: []component{
			{
				name: "etcd " + EtcdVersion, files: []string{etcdBin}, release: etcdRelease(EtcdVersion),
				build: func(ctx context.Context, b *builder, out string) error {
					return b.buildEtcd(ctx, filepath.Join(out, etcdBin))
				},
				typical: "about 30 seconds",
			},
			kubernetesComponent("kube-apiserver", apiServerBin, "about 6 minutes"),
		},
		versions: "kubernetes=" + KubernetesVersion + " etcd=" + EtcdVersion,
	}
	simSet = binarySet{
		name: "simulated",
		components: []component{
			kubernetesComponent("kube-controller-manager", kcmBin, "about 2 minutes"),
			kubernetesComponent("kube-scheduler", schedulerBin, "about 10 seconds"),
			{
				// kwok publishes no checksums for its release binaries, so
				// it is always built; its stage files come from its module.
				name: "kwok " + KwokVersion, files: []string{kwokBin, kwokStagesDir},
				build:   func(ctx context.Context, b *builder, out string) error { return b.buildKwok(ctx, out) },
				typical: "about 1 minute",
			},
		},
		versions: "kubernetes=" + KubernetesVersion + " kwok=" + KwokVersion,
	}
)

// kubernetesComponent is a command of k8s.io/kubernetes, built from its
// module or downloaded from the Kubernetes release.
func kubernetesComponent(cmd, file, typical string) component {
	return component{
		name:    cmd + " " + KubernetesVersion,
		files:   []string{file},
		release: kubernetesRelease(KubernetesVersion, cmd),
		build: func(ctx context.Context, b *builder, out string) error {
			return b.buildKubernetes(ctx, "k8s.io/kubernetes/cmd/"+cmd, filepath.Join(out, file))
		},
		typical: typical,
	}
}

// EnsureBinaries returns a directory holding etcd and kube-apiserver, and
// with simulated also kube-controller-manager, kube-scheduler, kwok and the
// kwok stage files (in kwok-stages/).
//
// KUBEBUILDER_ASSETS is used when it holds all of them. Otherwise they are
// installed into <user cache dir>/ferry/controlplane/<KubernetesVersion>,
// once: later calls, from this or any other process, find them there. Each
// program whose project publishes release binaries with SHA-256 checksums
// (etcd, kube-apiserver, kube-controller-manager, kube-scheduler) is
// downloaded and verified when the network allows (DownloadEnv says where
// from, or turns downloads off); every other one, and every one whose
// download fails, is built from its Go module at the pinned version.
// Concurrent callers wait for an install in progress instead of installing
// again. Progress messages go to progress, which may be nil.
func EnsureBinaries(ctx context.Context, progress io.Writer, simulated bool) (string, error) {
	if progress == nil {
		progress = io.Discard
	}
	sets := []binarySet{apiSet}
	if simulated {
		sets = append(sets, simSet)
	}

	if assets := os.Getenv("KUBEBUILDER_ASSETS"); assets != "" {
		var missing []string
		for _, s := range sets {
			missing = append(missing, missingFiles(assets, s.files())...)
		}
		if len(missing) == 0 {
			return assets, nil
		}
		fmt.Fprintf(progress, "ferry: KUBEBUILDER_ASSETS=%s lacks %s; using ferry's own binaries\n",
			assets, strings.Join(missing, ", "))
	}

	dl, err := downloaderFromEnv()
	if err != nil {
		return "", err
	}
	cache, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("failed to find the user cache directory: %w", err)
	}
	dir := filepath.Join(cache, "ferry", "controlplane", KubernetesVersion)
	return dir, ensureSets(ctx, dir, progress, dl, sets)
}

// ensureSets installs every set of sets into dir unless it is complete.
func ensureSets(ctx context.Context, dir string, progress io.Writer, dl *downloader, sets []binarySet) error {
	b := &builder{dir: dir, progress: newProgress(progress), releases: dl}
	defer b.cleanup()
	for _, s := range sets {
		if err := b.ensure(ctx, s); err != nil {
			return err
		}
	}
	return nil
}

// missingFiles returns the names in files that dir lacks.
func missingFiles(dir string, files []string) []string {
	var missing []string
	for _, f := range files {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			missing = append(missing, f)
		}
	}
	return missing
}

// builder installs binary sets into dir.
type builder struct {
	dir      string
	progress *progress
	releases *downloader

	goBin   string
	tmpDirs []string
	// k8sMod is the throwaway module that builds Kubernetes commands, shared
	// by both sets within one EnsureBinaries call.
	k8sMod     string
	k8sLDFlags string
}

func (b *builder) cleanup() {
	for _, d := range b.tmpDirs {
		_ = os.RemoveAll(d)
	}
}

func (b *builder) stampPath(s binarySet) string {
	return filepath.Join(b.dir, "."+s.name+".complete")
}

// complete reports whether s is installed in b.dir by this recipe.
func (b *builder) complete(s binarySet) bool {
	data, err := os.ReadFile(b.stampPath(s))
	if err != nil || string(data) != s.stamp() {
		return false
	}
	return len(missingFiles(b.dir, s.files())) == 0
}

// ensure installs s unless it is already complete, holding a lock that is
// specific to s.
func (b *builder) ensure(ctx context.Context, s binarySet) error {
	if b.complete(s) {
		return nil
	}
	if err := os.MkdirAll(b.dir, 0o755); err != nil {
		return fmt.Errorf("failed to create the binaries cache: %w", err)
	}
	lock := flock.New(filepath.Join(b.dir, "."+s.name+".lock"))
	locked, err := lock.TryLock()
	if err != nil {
		return fmt.Errorf("failed to lock the binaries cache: %w", err)
	}
	if !locked {
		done := b.progress.step(fmt.Sprintf("waiting for another process to install the %s control plane binaries in %s", s.name, b.dir), "", nil)
		_, err := lock.TryLockContext(ctx, time.Second)
		done(err)
		if err != nil {
			return fmt.Errorf("failed to lock the binaries cache: %w", err)
		}
	}
	defer func() { _ = lock.Unlock() }()
	if b.complete(s) {
		return nil
	}

	// Remove what an interrupted install of s left; holding the lock, no
	// one else is installing s.
	if stale, err := filepath.Glob(filepath.Join(b.dir, ".build-"+s.name+"-*")); err == nil {
		for _, d := range stale {
			_ = os.RemoveAll(d)
		}
	}

	// Drop the stamp first: from here until the new stamp is written, the
	// set is incomplete.
	if err := os.Remove(b.stampPath(s)); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("failed to reset the binaries cache: %w", err)
	}
	b.progress.printf("ferry: first run: installing %s into %s", describeSet(s), b.dir)
	start := time.Now()
	out, err := os.MkdirTemp(b.dir, ".build-"+s.name+"-")
	if err != nil {
		return fmt.Errorf("failed to create a build directory: %w", err)
	}
	defer func() { _ = os.RemoveAll(out) }()
	for _, c := range s.components {
		if err := b.install(ctx, c, out); err != nil {
			return err
		}
	}

	// Install: rename every file into place, then write the stamp.
	for _, f := range s.files() {
		dst := filepath.Join(b.dir, f)
		if err := os.RemoveAll(dst); err != nil {
			return fmt.Errorf("failed to replace %s: %w", dst, err)
		}
		if err := os.Rename(filepath.Join(out, f), dst); err != nil {
			return fmt.Errorf("failed to install %s: %w", f, err)
		}
	}
	if err := atomicfile.Write(b.stampPath(s), []byte(s.stamp()), 0o644); err != nil {
		return fmt.Errorf("failed to stamp the binaries cache: %w", err)
	}
	b.progress.printf("ferry: the %s control plane binaries are ready (%s)", s.name, time.Since(start).Round(time.Second))
	return nil
}

// install puts the files of c into out: downloaded and verified when c has
// a release and downloads are on, else built from Go modules.
func (b *builder) install(ctx context.Context, c component, out string) error {
	if c.release != nil && b.releases.enabled() {
		err := b.fetch(ctx, c, out)
		if err == nil {
			return nil
		}
		var mismatch *checksumError
		if errors.As(err, &mismatch) {
			// Refused and nothing kept; the other downloads may still be fine.
			b.progress.printf("ferry: refused the download of %s: %v; building it from Go modules instead", c.name, err)
		} else {
			// Unreachable or refused by the server: say it once and build
			// everything from here on.
			b.progress.printf("ferry: cannot download release binaries (%v); building them from Go modules instead (%s=off skips the attempt)", err, DownloadEnv)
			b.releases.disable(err.Error())
		}
	}
	done := b.progress.step("building "+c.name+" from Go modules", c.typical, nil)
	err := c.build(ctx, b, out)
	done(err)
	return err
}

// describeSet names the programs of s with their versions.
func describeSet(s binarySet) string {
	names := make([]string, len(s.components))
	for i, c := range s.components {
		names[i] = c.name
	}
	switch len(names) {
	case 1:
		return names[0]
	default:
		return strings.Join(names[:len(names)-1], ", ") + " and " + names[len(names)-1]
	}
}

// buildEtcd builds etcd from a module whose main calls etcdmain, as etcd's
// own main does.
func (b *builder) buildEtcd(ctx context.Context, dst string) error {
	mod, err := b.tempModule("etcd")
	if err != nil {
		return err
	}
	const main = `// Generated by ferry. DO NOT EDIT.

// Command etcd runs an etcd server.
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() { etcdmain.Main(os.Args) }
`
	goVersion, err := b.moduleGoVersion(ctx, mod, "go.etcd.io/etcd/server/v3", EtcdVersion)
	if err != nil {
		return err
	}
	if err := writeFiles(mod, map[string]string{
		"go.mod":  simpleGoMod("ferry.local/etcd-build", goVersion, "go.etcd.io/etcd/server/v3", EtcdVersion),
		"main.go": main,
	}); err != nil {
		return err
	}
	return b.goBuild(ctx, mod, "etcd", "-ldflags=-s -w", "-o", dst, ".")
}

// buildKubernetes builds pkg, a command of k8s.io/kubernetes, stamped with
// KubernetesVersion.
func (b *builder) buildKubernetes(ctx context.Context, pkg, dst string) error {
	if b.k8sMod == "" {
		if err := b.prepareKubernetesModule(ctx); err != nil {
			return err
		}
	}
	return b.goBuild(ctx, b.k8sMod, filepath.Base(pkg), "-ldflags="+b.k8sLDFlags, "-o", dst, pkg)
}

// modDownload is the part of `go mod download -json` output ferry reads.
type modDownload struct {
	Info   string
	GoMod  string
	Dir    string
	Error  string
	Origin *struct {
		Hash string
	}
}

// prepareKubernetesModule writes the throwaway module that requires
// k8s.io/kubernetes at KubernetesVersion, with the staging replaces of that
// version's go.mod rewritten to published versions.
func (b *builder) prepareKubernetesModule(ctx context.Context) error {
	mod, err := b.tempModule("kubernetes")
	if err != nil {
		return err
	}
	dl, err := b.download(ctx, mod, "k8s.io/kubernetes", KubernetesVersion)
	if err != nil {
		return err
	}
	modJSON, err := b.goOutput(ctx, mod, "mod", "edit", "-json", dl.GoMod)
	if err != nil {
		return err
	}
	mf, err := parseModJSON(modJSON)
	if err != nil {
		return fmt.Errorf("go.mod of k8s.io/kubernetes %s: %w", KubernetesVersion, err)
	}
	gomod, err := kubernetesBuildGoMod(mf, KubernetesVersion)
	if err != nil {
		return err
	}
	if err := writeFiles(mod, map[string]string{"go.mod": gomod}); err != nil {
		return err
	}

	buildDate := "1970-01-01T00:00:00Z"
	if info, err := os.ReadFile(dl.Info); err == nil {
		var v struct{ Time time.Time }
		if json.Unmarshal(info, &v) == nil && !v.Time.IsZero() {
			buildDate = v.Time.UTC().Format(time.RFC3339)
		}
	}
	commit := ""
	if dl.Origin != nil {
		commit = dl.Origin.Hash
	}
	b.k8sLDFlags, err = kubernetesLDFlags(KubernetesVersion, commit, buildDate)
	if err != nil {
		return err
	}
	b.k8sMod = mod
	return nil
}

// buildKwok builds kwok in its own module (it needs the Kubernetes libraries
// of its own release) and copies its stage files into out/kwok-stages.
func (b *builder) buildKwok(ctx context.Context, out string) error {
	mod, err := b.tempModule("kwok")
	if err != nil {
		return err
	}
	dl, err := b.download(ctx, mod, "sigs.k8s.io/kwok", KwokVersion)
	if err != nil {
		return err
	}
	goVersion, err := b.moduleGoVersion(ctx, mod, "sigs.k8s.io/kwok", KwokVersion)
	if err != nil {
		return err
	}
	if err := writeFiles(mod, map[string]string{
		"go.mod": simpleGoMod("ferry.local/kwok-build", goVersion, "sigs.k8s.io/kwok", KwokVersion),
	}); err != nil {
		return err
	}
	if err := b.goBuild(ctx, mod, "kwok", "-ldflags=-s -w", "-o", filepath.Join(out, kwokBin), "sigs.k8s.io/kwok/cmd/kwok"); err != nil {
		return err
	}
	return copyKwokStages(filepath.Join(dl.Dir, "kustomize", "stage"), filepath.Join(out, kwokStagesDir))
}

// copyKwokStages copies the resources listed by the kustomization.yaml of
// each of kwokStages under stageRoot into dst.
func copyKwokStages(stageRoot, dst string) error {
	if err := os.MkdirAll(dst, 0o755); err != nil {
		return fmt.Errorf("failed to create %s: %w", dst, err)
	}
	for _, stage := range kwokStages {
		dir := filepath.Join(stageRoot, filepath.FromSlash(stage))
		data, err := os.ReadFile(filepath.Join(dir, "kustomization.yaml"))
		if err != nil {
			return fmt.Errorf("kwok stage %s: %w", stage, err)
		}
		var k struct {
			Resources []string `json:"resources"`
		}
		if err := yaml.Unmarshal(data, &k); err != nil {
			return fmt.Errorf("kwok stage %s: failed to parse kustomization.yaml: %w", stage, err)
		}
		if len(k.Resources) == 0 {
			return fmt.Errorf("kwok stage %s: kustomization.yaml lists no resources", stage)
		}
		for _, r := range k.Resources {
			if filepath.Base(r) != r || !strings.HasSuffix(r, ".yaml") {
				return fmt.Errorf("kwok stage %s: unexpected resource %q", stage, r)
			}
			content, err := os.ReadFile(filepath.Join(dir, r))
			if err != nil {
				return fmt.Errorf("kwok stage %s: %w", stage, err)
			}
			name := strings.ReplaceAll(stage, "/", "-") + "-" + r
			if err := os.WriteFile(filepath.Join(dst, name), content, 0o644); err != nil {
				return fmt.Errorf("kwok stage %s: %w", stage, err)
			}
		}
	}
	return nil
}

// kwokStageFiles returns the stage files installed in dir, sorted.
func kwokStageFiles(dir string) ([]string, error) {
	files, err := filepath.Glob(filepath.Join(dir, kwokStagesDir, "*.yaml"))
	if err != nil {
		return nil, err
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("no kwok stage files in %s", filepath.Join(dir, kwokStagesDir))
	}
	slices.Sort(files)
	return files, nil
}

// tempModule creates an empty directory for a throwaway module.
func (b *builder) tempModule(name string) (string, error) {
	d, err := os.MkdirTemp("", "ferry-build-"+name+"-")
	if err != nil {
		return "", fmt.Errorf("failed to create a build module: %w", err)
	}
	b.tmpDirs = append(b.tmpDirs, d)
	return d, nil
}

// download runs `go mod download -json mod@version` in dir, an empty
// directory, so outside any module.
func (b *builder) download(ctx context.Context, dir, mod, version string) (*modDownload, error) {
	data, err := b.goOutput(ctx, dir, "mod", "download", "-json", mod+"@"+version)
	var dl modDownload
	if jerr := json.Unmarshal(data, &dl); jerr != nil {
		if err != nil {
			return nil, err
		}
		return nil, fmt.Errorf("failed to download %s@%s: %w", mod, version, jerr)
	}
	if dl.Error != "" {
		return nil, fmt.Errorf("failed to download %s@%s: %s", mod, version, dl.Error)
	}
	if err != nil {
		return nil, err
	}
	return &dl, nil
}

// moduleGoVersion returns the go directive of mod@version's go.mod.
func (b *builder) moduleGoVersion(ctx context.Context, dir, mod, version string) (string, error) {
	dl, err := b.download(ctx, dir, mod, version)
	if err != nil {
		return "", err
	}
	data, err := b.goOutput(ctx, dir, "mod", "edit", "-json", dl.GoMod)
	if err != nil {
		return "", err
	}
	mf, err := parseModJSON(data)
	if err != nil {
		return "", fmt.Errorf("go.mod of %s@%s: %w", mod, version, err)
	}
	if mf.Go == "" {
		return "1.22", nil
	}
	return mf.Go, nil
}

func writeFiles(dir string, files map[string]string) error {
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			return fmt.Errorf("failed to write the build module: %w", err)
		}
	}
	return nil
}

// goBuild runs `go build args...` in dir.
func (b *builder) goBuild(ctx context.Context, dir, what string, args ...string) error {
	if _, err := b.goOutput(ctx, dir, append([]string{"build"}, args...)...); err != nil {
		return fmt.Errorf("failed to build %s: %w", what, err)
	}
	return nil
}

// goOutput runs the go command in dir with a hermetic environment and
// returns its standard output; on failure the error carries the tail of its
// standard error.
func (b *builder) goOutput(ctx context.Context, dir string, args ...string) ([]byte, error) {
	goBin, err := b.goCommand()
	if err != nil {
		return nil, err
	}
	cmd := exec.CommandContext(ctx, goBin, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(),
		"GOWORK=off",
		"GOFLAGS=-mod=mod",
		"CGO_ENABLED=0",
		"GOTOOLCHAIN=local",
		"GOOS="+runtime.GOOS,
		"GOARCH="+runtime.GOARCH,
	)
	var stdout, stderr bytes.Buffer
	cmd.Stdout = &stdout
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return stdout.Bytes(), fmt.Errorf("go %s: %w: %s", args[0], err, tail(stderr.Bytes(), 30))
	}
	return stdout.Bytes(), nil
}

// goCommand finds the go command: the one of the toolchain this program was
// built with if it is still there, else the one on PATH.
func (b *builder) goCommand() (string, error) {
	if b.goBin != "" {
		return b.goBin, nil
	}
	//nolint:staticcheck // GOROOT is only a hint here; PATH is the fallback.
	if root := runtime.GOROOT(); root != "" {
		p := filepath.Join(root, "bin", "go")
		if runtime.GOOS == "windows" {
			p += ".exe"
		}
		if _, err := os.Stat(p); err == nil {
			b.goBin = p
			return p, nil
		}
	}
	p, err := exec.LookPath("go")
	if err != nil {
		return "", fmt.Errorf("the go command is needed to build the control plane binaries (or set KUBEBUILDER_ASSETS): %w", err)
	}
	b.goBin = p
	return p, nil
}

// tail returns the last n lines of data.
func tail(data []byte, n int) string {
	s := strings.TrimRight(string(data), "\n")
	lines := strings.Split(s, "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
