// Command image builds ferry's container image without Docker: it compiles
// ferry per platform (static, trimmed, no build id), builds each platform's
// image with internal/ferryimage, writes them as an OCI image layout
// (bin/image by default, with the digest in bin/image.digest) and, with
// --push, pushes them to a registry.
//
//	go run ./hack/image [--platforms linux/amd64,linux/arm64] [--version v0.1.0] [--push ghcr.io/ferrycd/ferry:v0.1.0]
//
// The image is reproducible: the creation time and every file's mtime come
// from SOURCE_DATE_EPOCH, or else the time of the HEAD commit, so one commit
// built with one Go toolchain and one CA bundle gives one digest.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/ferrycd/ferry/config"
	"github.com/ferrycd/ferry/internal/atomicfile"
	"github.com/ferrycd/ferry/internal/ferryimage"
)

// buildTags are the Makefile's TAGS: kustomize's Go plugin loader left out.
const buildTags = "kustomize_disable_go_plugin_support"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx); err != nil {
		fmt.Fprintf(os.Stderr, "image: %v\n", err)
		os.Exit(1)
	}
}

func run(ctx context.Context) error {
	platforms := flag.String("platforms", "linux/"+runtime.GOARCH, "comma-separated platforms to build, os/arch[/variant]")
	version := flag.String("version", "", "ferry's version, the image's tag (default: git describe --tags --always --dirty)")
	out := flag.String("out", "bin/image", "OCI image layout directory to write (replaced if it exists); the digest goes to <out>.digest")
	push := flag.String("push", "", "also push the image to this reference, e.g. ghcr.io/ferrycd/ferry:v0.1.0 (credentials from the Docker config)")
	caBundle := flag.String("ca-bundle", ferryimage.DefaultCABundle, "PEM bundle of trusted CAs to put into the image")
	flag.Parse()
	if flag.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q", flag.Args())
	}

	// Work out what to build: platforms, version, revision, creation time.
	root, err := moduleRoot(ctx)
	if err != nil {
		return err
	}
	plats, err := parsePlatforms(*platforms)
	if err != nil {
		return err
	}
	if *version == "" {
		*version = gitOutput(ctx, root, "describe", "--tags", "--always", "--dirty")
		if *version == "" {
			*version = "v0.0.0-dev"
		}
	}
	ref, err := name.NewTag(config.Image+":"+*version, name.StrictValidation)
	if err != nil {
		return fmt.Errorf("version %q is not an image tag: %w", *version, err)
	}
	if *push != "" {
		if ref, err = name.NewTag(*push, name.StrictValidation); err != nil {
			return fmt.Errorf("--push %q: %w (want registry/repository:tag)", *push, err)
		}
	}
	revision := gitOutput(ctx, root, "rev-parse", "HEAD")
	created, err := creationTime(ctx, root)
	if err != nil {
		return err
	}
	if strings.HasSuffix(*version, "-dirty") {
		fmt.Fprintf(os.Stderr, "note: the work tree has uncommitted changes; this image cannot be rebuilt from commit %s\n", revision)
	}

	// Compile ferry and build one image per platform.
	tmp, err := os.MkdirTemp("", "ferry-image-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	var images []v1.Image
	for _, p := range plats {
		binary := filepath.Join(tmp, "ferry-"+strings.ReplaceAll(p.String(), "/", "-"))
		start := time.Now()
		fmt.Fprintf(os.Stderr, "► compiling ferry %s for %s\n", *version, p)
		if err := compile(ctx, root, p, *version, revision, binary); err != nil {
			return err
		}
		img, err := ferryimage.Build(ferryimage.Options{
			Binary:   binary,
			Platform: p,
			Version:  *version,
			Revision: revision,
			CABundle: *caBundle,
			Created:  created,
		})
		if err != nil {
			return err
		}
		d, err := img.Digest()
		if err != nil {
			return err
		}
		fmt.Fprintf(os.Stderr, "✔ %s image %s (%s)\n", p, d, time.Since(start).Round(time.Second))
		images = append(images, img)
	}

	// One platform is pushed as an image, several as an index.
	var artifact mutate.Appendable = images[0]
	if len(images) > 1 {
		idx, err := ferryimage.Index(images...)
		if err != nil {
			return err
		}
		artifact = idx
	}
	digest, err := artifact.Digest()
	if err != nil {
		return err
	}

	// Write the layout and the digest file, then push.
	if err := writeLayout(*out, artifact, ref.TagStr()); err != nil {
		return err
	}
	if err := atomicfile.Write(*out+".digest", []byte(digest.String()+"\n"), 0o644); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "✔ OCI image layout in %s\n", *out)
	if *push != "" {
		fmt.Fprintf(os.Stderr, "► pushing %s\n", ref)
		opts := []remote.Option{remote.WithContext(ctx), remote.WithAuthFromKeychain(authn.DefaultKeychain)}
		switch a := artifact.(type) {
		case v1.ImageIndex:
			err = remote.WriteIndex(ref, a, opts...)
		case v1.Image:
			err = remote.Write(ref, a, opts...)
		}
		if err != nil {
			return fmt.Errorf("push %s: %w", ref, err)
		}
		fmt.Fprintf(os.Stderr, "✔ pushed %s\n", ref)
	}

	pinned := ref.String() + "@" + digest.String()
	fmt.Printf("digest:  %s\nimage:   %s\ninstall: ferry install --export --image %s\n", digest, pinned, pinned)
	return nil
}

// moduleRoot returns the directory of ferry's go.mod.
func moduleRoot(ctx context.Context) (string, error) {
	b, err := exec.CommandContext(ctx, "go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w", err)
	}
	gomod := strings.TrimSpace(string(b))
	if gomod == "" || gomod == os.DevNull {
		return "", errors.New("run it inside ferry's module: go run ./hack/image")
	}
	return filepath.Dir(gomod), nil
}

// parsePlatforms parses a comma-separated list of os/arch[/variant].
func parsePlatforms(s string) ([]v1.Platform, error) {
	var plats []v1.Platform
	seen := map[string]bool{}
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		p, err := v1.ParsePlatform(f)
		if err != nil {
			return nil, fmt.Errorf("--platforms: %w", err)
		}
		if p.OS != "linux" || p.Architecture == "" {
			return nil, fmt.Errorf("--platforms: %q: want linux/<arch>[/<variant>]", f)
		}
		if seen[p.String()] {
			return nil, fmt.Errorf("--platforms: %s given twice", p)
		}
		seen[p.String()] = true
		plats = append(plats, *p)
	}
	if len(plats) == 0 {
		return nil, errors.New("--platforms: none given")
	}
	return plats, nil
}

// creationTime returns SOURCE_DATE_EPOCH if it is set, else the committer
// time of HEAD, else the Unix epoch.
func creationTime(ctx context.Context, root string) (time.Time, error) {
	if s := os.Getenv("SOURCE_DATE_EPOCH"); s != "" {
		sec, err := strconv.ParseInt(s, 10, 64)
		if err != nil || sec < 0 {
			return time.Time{}, fmt.Errorf("SOURCE_DATE_EPOCH=%q: want seconds since the Unix epoch", s)
		}
		return time.Unix(sec, 0).UTC(), nil
	}
	if s := gitOutput(ctx, root, "log", "-1", "--format=%ct", "HEAD"); s != "" {
		if sec, err := strconv.ParseInt(s, 10, 64); err == nil {
			return time.Unix(sec, 0).UTC(), nil
		}
	}
	return time.Time{}, nil
}

// gitOutput runs git in dir and returns its trimmed output, or "" when git
// fails (no git, or not a repository).
func gitOutput(ctx context.Context, dir string, args ...string) string {
	cmd := exec.CommandContext(ctx, "git", args...)
	cmd.Dir = dir
	b, err := cmd.Output()
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(b))
}

// compile builds ferry for p into out with the release flags: static
// (CGO_ENABLED=0), -trimpath, no build id, version and commit stamped in.
func compile(ctx context.Context, root string, p v1.Platform, version, revision, out string) error {
	ldflags := "-s -w -buildid= -X github.com/ferrycd/ferry/internal/version.Version=" + version
	if revision != "" {
		// Commit is shortened as version.String shortens vcs.revision.
		ldflags += " -X github.com/ferrycd/ferry/internal/version.Commit=" + revision[:min(12, len(revision))]
	}
	cmd := exec.CommandContext(ctx, "go", "build", "-trimpath", "-tags", buildTags, "-ldflags", ldflags, "-o", out, "./cmd/ferry")
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS="+p.OS, "GOARCH="+p.Architecture)
	if p.Architecture == "arm" && p.Variant != "" {
		cmd.Env = append(cmd.Env, "GOARM="+strings.TrimPrefix(p.Variant, "v"))
	}
	cmd.Stdout = os.Stderr
	cmd.Stderr = os.Stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("go build for %s: %w", p, err)
	}
	return nil
}

// writeLayout writes artifact as an OCI image layout at dir, its one
// descriptor named tag (org.opencontainers.image.ref.name). It writes into a
// new directory beside dir and renames it into place, so dir is never a
// half-written layout: an old dir is moved aside first and removed after.
func writeLayout(dir string, artifact mutate.Appendable, tag string) error {
	parent, base := filepath.Split(filepath.Clean(dir))
	if parent == "" {
		parent = "."
	}
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return err
	}
	tmp, err := os.MkdirTemp(parent, "."+base+".new-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	p, err := layout.Write(tmp, mutate.IndexMediaType(empty.Index, types.OCIImageIndex))
	if err != nil {
		return fmt.Errorf("write image layout: %w", err)
	}
	named := layout.WithAnnotations(map[string]string{"org.opencontainers.image.ref.name": tag})
	switch a := artifact.(type) {
	case v1.ImageIndex:
		err = p.AppendIndex(a, named)
	case v1.Image:
		err = p.AppendImage(a, named)
	}
	if err != nil {
		return fmt.Errorf("write image layout: %w", err)
	}
	if err := os.Chmod(tmp, 0o755); err != nil {
		return err
	}
	old := ""
	if _, err := os.Lstat(dir); err == nil {
		old = tmp + ".old"
		if err := os.Rename(dir, old); err != nil {
			return fmt.Errorf("replace %s: %w", dir, err)
		}
	}
	if err := os.Rename(tmp, dir); err != nil {
		if old != "" {
			_ = os.Rename(old, dir)
		}
		return fmt.Errorf("replace %s: %w", dir, err)
	}
	if old != "" {
		return os.RemoveAll(old)
	}
	return nil
}
