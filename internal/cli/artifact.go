package cli

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"regexp"
	"slices"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/Masterminds/semver/v3"
	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"sigs.k8s.io/yaml"

	"github.com/ferrycd/ferry/internal/artifact"
	"github.com/ferrycd/ferry/internal/oci"
)

// artifactTLS, when set, is the TLS configuration the artifact commands
// reach registries with (tests trust their registry's CA with it); nil
// uses the system roots.
var artifactTLS *tls.Config

// registryFlags are the flags every artifact command shares.
type registryFlags struct {
	creds    string
	insecure bool
	timeout  time.Duration
}

func (r *registryFlags) add(fl *pflag.FlagSet, verb string) {
	fl.StringVar(&r.creds, "creds", "", "credentials for the OCI registry in the format <username>[:<password>]; without it, those of ~/.docker/config.json")
	fl.BoolVar(&r.insecure, "insecure-registry", false, "allows artifacts to be "+verb+" without TLS (plain HTTP)")
	fl.DurationVar(&r.timeout, "timeout", 5*time.Minute, "how long the command may take")
}

// client returns a registry client with the flags' credentials, else the
// Docker config of the user, and a context bounded by --timeout.
func (r *registryFlags) client(g *globals, ctx context.Context) (*oci.Client, context.Context, context.CancelFunc, error) {
	var kc authn.Keychain = authn.DefaultKeychain
	if r.creds != "" {
		var err error
		if kc, err = oci.CredentialsKeychain(r.creds); err != nil {
			return nil, nil, nil, fmt.Errorf("--creds: %w", err)
		}
		g.printf("► logging in to registry with credentials")
	}
	ctx, cancel := context.WithTimeout(ctx, r.timeout)
	return oci.New(oci.Options{Keychain: kc, TLS: artifactTLS, Insecure: r.insecure}), ctx, cancel, nil
}

// parse parses the artifact URL argument.
func (r *registryFlags) parse(raw string) (oci.ArtifactURL, error) {
	return oci.ParseArtifactURL(raw, r.insecure)
}

// registryError turns the plain-HTTP refusal into a hint at the flag.
func registryError(err error, u oci.ArtifactURL) error {
	if errors.Is(err, oci.ErrPlainHTTP) {
		return fmt.Errorf("the registry %s answers over plain HTTP only: pass --insecure-registry to allow it", u.Repository.RegistryStr())
	}
	return err
}

func newPushCommand(g *globals) *cobra.Command {
	cmd := &cobra.Command{Use: "push", Short: "Push OCI artifacts to a registry"}
	cmd.AddCommand(newPushArtifactCommand(g))
	return cmd
}

func newPullCommand(g *globals) *cobra.Command {
	cmd := &cobra.Command{Use: "pull", Short: "Pull OCI artifacts from a registry"}
	cmd.AddCommand(newPullArtifactCommand(g))
	return cmd
}

func newListCommand(g *globals) *cobra.Command {
	cmd := &cobra.Command{Use: "list", Short: "List OCI artifacts in a registry"}
	cmd.AddCommand(newListArtifactsCommand(g))
	return cmd
}

func newTagCommand(g *globals) *cobra.Command {
	cmd := &cobra.Command{Use: "tag", Short: "Tag OCI artifacts in a registry"}
	cmd.AddCommand(newTagArtifactCommand(g))
	return cmd
}

type pushArtifactFlags struct {
	registryFlags
	path         string
	source       string
	revision     string
	annotations  []string
	ignorePaths  []string
	output       string
	reproducible bool
}

func newPushArtifactCommand(g *globals) *cobra.Command {
	f := &pushArtifactFlags{}
	cmd := &cobra.Command{
		Use:   "artifact oci://<registry>/<repository>:<tag>",
		Short: "Pack a directory or file as a tar.gz and push it as an OCI artifact",
		Long: `Pack the directory or the single file of --path as a tar.gz, the same way
every time (sorted entries, fixed mode and time, no owner), and push it as
an OCI artifact with Flux's media types, as 'flux push artifact' does. The
manifest's annotations are org.opencontainers.image.source (--source),
org.opencontainers.image.revision (--revision),
org.opencontainers.image.created (now; the Unix epoch with --reproducible)
and --annotations. The credentials are those of --creds, else of
~/.docker/config.json (docker login).`,
		Example: `  # Push the manifests of ./deploy, tagged with the short Git SHA
  ferry push artifact oci://ghcr.io/org/config/app:$(git rev-parse --short HEAD) \
    --path=./deploy \
    --source="$(git config --get remote.origin.url)" \
    --revision="$(git branch --show-current)@sha1:$(git rev-parse HEAD)"

  # The same content always gives the same digest
  ferry push artifact oci://ghcr.io/org/config/app:v1.0.0 --path=./deploy \
    --source=https://github.com/org/config --revision=v1.0.0@sha1:0123abc --reproducible --output=json`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return f.run(cmd.Context(), g, args[0])
		},
	}
	fl := cmd.Flags()
	fl.StringVarP(&f.path, "path", "f", "", "path to the directory or the file to pack (required)")
	fl.StringVar(&f.source, "source", "", "the source address, e.g. the Git URL (required)")
	fl.StringVar(&f.revision, "revision", "", "the source revision in the format '<branch|tag>@sha1:<commit-sha>' (required)")
	fl.StringArrayVarP(&f.annotations, "annotations", "a", nil, "custom OCI annotations in the format '<key>=<value>'; repeated")
	fl.StringSliceVar(&f.ignorePaths, "ignore-paths", oci.DefaultIgnorePaths, "paths to leave out, in .gitignore format; .sourceignore files apply too")
	fl.StringVarP(&f.output, "output", "o", "", "print the artifact's URL, repository, tag and digest as 'json' or 'yaml'")
	fl.BoolVar(&f.reproducible, "reproducible", false, "set org.opencontainers.image.created to the Unix epoch, so the same content gives the same digest")
	f.add(fl, "pushed")
	return cmd
}

func (f *pushArtifactFlags) run(ctx context.Context, g *globals, rawURL string) error {
	switch {
	case f.source == "":
		return errors.New("--source is required")
	case f.revision == "":
		return errors.New("--revision is required")
	case f.path == "":
		return errors.New("--path is required")
	case f.output != "" && f.output != "json" && f.output != "yaml":
		return fmt.Errorf("--output %q is not one of json, yaml", f.output)
	}
	u, err := f.parse(rawURL)
	if err != nil {
		return err
	}
	if u.Digest != "" {
		return errors.New("push artifact takes a tag, not a digest: oci://<registry>/<repository>:<tag>")
	}
	if _, err := os.Stat(f.path); err != nil {
		return fmt.Errorf("invalid path '%s', must point to an existing directory or file", f.path)
	}
	annotations := map[string]string{
		oci.SourceAnnotation:   f.source,
		oci.RevisionAnnotation: f.revision,
		oci.CreatedAnnotation:  time.Now().UTC().Format(time.RFC3339),
	}
	if f.reproducible {
		annotations[oci.CreatedAnnotation] = oci.ReproducibleCreated
	}
	for _, a := range f.annotations {
		k, v, ok := strings.Cut(a, "=")
		if !ok || k == "" {
			return fmt.Errorf("invalid annotation %s, must be in the format key=value", a)
		}
		annotations[k] = v
	}
	content, err := oci.PackPath(f.path, oci.PackOptions{Ignore: f.ignorePaths})
	if err != nil {
		return fmt.Errorf("packing %s: %w", f.path, err)
	}
	img, err := oci.Image(content, oci.ContentMediaType, annotations)
	if err != nil {
		return err
	}
	c, ctx, cancel, err := f.client(g, ctx)
	if err != nil {
		return err
	}
	defer cancel()
	defer c.Close()
	tag := u.Repository.Tag(u.TagOrLatest())
	if f.output == "" {
		g.printf("► pushing artifact to %s", tag)
	}
	digest, err := c.Push(ctx, tag, img)
	if err != nil {
		return registryError(err, u)
	}
	digestURL := u.Repository.Name() + "@" + digest.String()
	info := struct {
		URL        string `json:"url"`
		Repository string `json:"repository"`
		Tag        string `json:"tag"`
		Digest     string `json:"digest"`
	}{oci.Prefix + digestURL, u.Repository.Name(), tag.TagStr(), digest.String()}
	switch f.output {
	case "json":
		b, err := json.MarshalIndent(info, "", "  ")
		if err != nil {
			return err
		}
		fmt.Fprintf(g.out, "%s\n", b)
	case "yaml":
		b, err := yaml.Marshal(info)
		if err != nil {
			return err
		}
		fmt.Fprint(g.out, string(b))
	default:
		g.printf("✔ artifact successfully pushed to %s", digestURL)
	}
	return nil
}

type pullArtifactFlags struct {
	registryFlags
	output string
}

func newPullArtifactCommand(g *globals) *cobra.Command {
	f := &pullArtifactFlags{}
	cmd := &cobra.Command{
		Use:   "artifact oci://<registry>/<repository>[:<tag>|@<digest>]",
		Short: "Pull an OCI artifact and extract its content to a directory",
		Long: `Pull an OCI artifact and extract the tar.gz of its first layer into the
existing directory --output, as 'flux pull artifact' does. Extraction is
confined to the directory: absolute paths, '..' and links that leave it
are refused.`,
		Example: `  # Pull an artifact pushed with ferry or flux push artifact
  ferry pull artifact oci://ghcr.io/org/manifests/app:v0.0.1 --output ./manifests`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return f.run(cmd.Context(), g, args[0])
		},
	}
	fl := cmd.Flags()
	fl.StringVarP(&f.output, "output", "o", "", "path of the directory the artifact's content is extracted to (required, must exist)")
	f.add(fl, "pulled")
	return cmd
}

func (f *pullArtifactFlags) run(ctx context.Context, g *globals, rawURL string) error {
	if f.output == "" {
		return errors.New("--output is required")
	}
	u, err := f.parse(rawURL)
	if err != nil {
		return err
	}
	if fi, err := os.Stat(f.output); err != nil || !fi.IsDir() {
		return fmt.Errorf("invalid output path %s: must be an existing directory", f.output)
	}
	c, ctx, cancel, err := f.client(g, ctx)
	if err != nil {
		return err
	}
	defer cancel()
	defer c.Close()
	g.printf("► pulling artifact from %s", u.Reference())
	a, digest, err := pullLayer(ctx, c, u)
	if err != nil {
		return err
	}
	rc, err := a.Open(artifact.DefaultMaxUntarSize)
	if err != nil {
		return registryError(err, u)
	}
	defer rc.Close()
	if err := artifact.Untar(rc, f.output, artifact.UntarOptions{}); err != nil {
		return fmt.Errorf("extracting the artifact: %w", err)
	}
	g.printf("✔ source %s", a.Annotations[oci.SourceAnnotation])
	g.printf("✔ revision %s", a.Annotations[oci.RevisionAnnotation])
	g.printf("✔ digest %s@%s", u.Repository.Name(), digest)
	g.printf("✔ artifact content extracted to %s", f.output)
	return nil
}

// pullLayer resolves u and reads its manifest and first layer.
func pullLayer(ctx context.Context, c *oci.Client, u oci.ArtifactURL) (*oci.Artifact, string, error) {
	res, err := c.Resolve(ctx, u.Repository, u.Ref())
	if err != nil {
		return nil, "", registryError(err, u)
	}
	a, err := c.Pull(ctx, u.Repository, res.Digest, "", artifact.DefaultMaxUntarSize)
	if err != nil {
		return nil, "", registryError(err, u)
	}
	return a, res.Digest.String(), nil
}

type listArtifactsFlags struct {
	registryFlags
	filterRegex  string
	filterSemver string
}

func newListArtifactsCommand(g *globals) *cobra.Command {
	f := &listArtifactsFlags{}
	cmd := &cobra.Command{
		Use:     "artifacts oci://<registry>/<repository>",
		Aliases: []string{"artifact"},
		Short:   "List the tags of an OCI repository with their digest, source and revision",
		Long: `List the tags of an OCI repository, as 'flux list artifacts' does: one row
per tag with the artifact, its manifest digest and the source and revision
annotations. --filter-semver keeps the tags in a semver range, highest
first; --filter-regex the tags a regular expression matches.`,
		Example: `  # List the artifacts of a repository
  ferry list artifacts oci://ghcr.io/org/config/app

  # Only the 1.x releases
  ferry list artifacts oci://ghcr.io/org/config/app --filter-semver=">=1.0.0 <2.0.0"`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return f.run(cmd.Context(), g, args[0])
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.filterRegex, "filter-regex", "", "filter tags returned from the oci repository using regex")
	fl.StringVar(&f.filterSemver, "filter-semver", "", "filter tags returned from the oci repository using semver")
	f.add(fl, "listed")
	return cmd
}

func (f *listArtifactsFlags) run(ctx context.Context, g *globals, rawURL string) error {
	u, err := f.parse(rawURL)
	if err != nil {
		return err
	}
	if u.Tag != "" || u.Digest != "" {
		return errors.New("list artifacts takes a repository without a tag or digest: oci://<registry>/<repository>")
	}
	var re *regexp.Regexp
	if f.filterRegex != "" {
		if re, err = regexp.Compile(f.filterRegex); err != nil {
			return fmt.Errorf("--filter-regex %q: %w", f.filterRegex, err)
		}
	}
	var constraint *semver.Constraints
	if f.filterSemver != "" {
		if constraint, err = semver.NewConstraint(f.filterSemver); err != nil {
			return fmt.Errorf("--filter-semver %q is not a semver range: %w", f.filterSemver, err)
		}
	}
	c, ctx, cancel, err := f.client(g, ctx)
	if err != nil {
		return err
	}
	defer cancel()
	defer c.Close()
	all, err := c.Tags(ctx, u.Repository)
	if err != nil {
		return registryError(err, u)
	}
	versions := map[string]*semver.Version{}
	var tags []string
	for _, t := range all {
		if re != nil && !re.MatchString(t) {
			continue
		}
		if constraint != nil {
			v, err := semver.NewVersion(t)
			if err != nil || !constraint.Check(v) {
				continue
			}
			versions[t] = v
		}
		tags = append(tags, t)
	}
	if constraint != nil {
		sort.SliceStable(tags, func(i, j int) bool { return versions[tags[i]].GreaterThan(versions[tags[j]]) })
	}
	var rows [][4]string
	for _, t := range tags {
		ref := u.Repository.Tag(t)
		m, digest, err := c.Manifest(ctx, ref)
		if err != nil {
			return registryError(err, u)
		}
		rows = append(rows, [4]string{ref.String(), digest.String(), m.Annotations[oci.SourceAnnotation], m.Annotations[oci.RevisionAnnotation]})
	}
	return printArtifactTable(g.out, rows)
}

// printArtifactTable prints the table of list artifacts: ARTIFACT, DIGEST,
// SOURCE and REVISION, as flux list artifacts.
func printArtifactTable(w io.Writer, rows [][4]string) error {
	tw := tabwriter.NewWriter(w, 0, 0, 3, ' ', 0)
	fmt.Fprintln(tw, "ARTIFACT\tDIGEST\tSOURCE\tREVISION")
	for _, r := range rows {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", r[0], r[1], r[2], r[3])
	}
	return tw.Flush()
}

type tagArtifactFlags struct {
	registryFlags
	tags []string
}

func newTagArtifactCommand(g *globals) *cobra.Command {
	f := &tagArtifactFlags{}
	cmd := &cobra.Command{
		Use:   "artifact oci://<registry>/<repository>:<tag>",
		Short: "Add tags to an OCI artifact",
		Long: `Point more tags at the manifest of an OCI artifact, as 'flux tag artifact'
does; nothing is pulled or pushed but the manifest.`,
		Example: `  # Tag an artifact version as latest
  ferry tag artifact oci://ghcr.io/org/manifests/app:v0.0.1 --tag latest`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return f.run(cmd.Context(), g, args[0])
		},
	}
	fl := cmd.Flags()
	fl.StringSliceVar(&f.tags, "tag", nil, "tag name; repeated or comma separated (required)")
	f.add(fl, "tagged")
	return cmd
}

func (f *tagArtifactFlags) run(ctx context.Context, g *globals, rawURL string) error {
	if len(f.tags) == 0 {
		return errors.New("--tag is required")
	}
	u, err := f.parse(rawURL)
	if err != nil {
		return err
	}
	for _, t := range f.tags {
		if !ociTag.MatchString(t) {
			return fmt.Errorf("--tag %q is not a valid OCI tag", t)
		}
	}
	c, ctx, cancel, err := f.client(g, ctx)
	if err != nil {
		return err
	}
	defer cancel()
	defer c.Close()
	g.printf("► tagging artifact")
	for _, t := range f.tags {
		to := u.Repository.Tag(t)
		if _, err := c.Tag(ctx, u.Reference(), to); err != nil {
			return registryError(err, u)
		}
		g.printf("✔ artifact tagged as %s", to)
	}
	return nil
}

type diffArtifactFlags struct {
	registryFlags
	path        string
	ignorePaths []string
}

// maxDiffLines is how many differing files diff artifact names.
const maxDiffLines = 20

func newDiffArtifactCommand(g *globals) *cobra.Command {
	f := &diffArtifactFlags{}
	cmd := &cobra.Command{
		Use:   "artifact oci://<registry>/<repository>[:<tag>|@<digest>]",
		Short: "Compare an OCI artifact's content with a local directory or file",
		Long: `Pack --path as 'ferry push artifact' would and compare its files with those
of the artifact's layer, as 'flux diff artifact' does. Exit code 0 when they
are the same; 1 when they differ (the first differing files are named) or
on error.`,
		Example: `  # Would pushing ./deploy change the artifact?
  ferry diff artifact oci://ghcr.io/org/config/app:v1.0.0 --path=./deploy`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return f.run(cmd.Context(), g, args[0])
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.path, "path", "", "path to the directory or the file to compare (required)")
	fl.StringSliceVar(&f.ignorePaths, "ignore-paths", oci.DefaultIgnorePaths, "paths to leave out, in .gitignore format; .sourceignore files apply too")
	f.add(fl, "pulled")
	return cmd
}

func (f *diffArtifactFlags) run(ctx context.Context, g *globals, rawURL string) error {
	if f.path == "" {
		return errors.New("--path is required")
	}
	u, err := f.parse(rawURL)
	if err != nil {
		return err
	}
	if _, err := os.Stat(f.path); err != nil {
		return fmt.Errorf("invalid path '%s', must point to an existing directory or file", f.path)
	}
	local, err := oci.PackPath(f.path, oci.PackOptions{Ignore: f.ignorePaths})
	if err != nil {
		return fmt.Errorf("packing %s: %w", f.path, err)
	}
	localFiles, err := oci.TarGzDigests(bytes.NewReader(local), 0)
	if err != nil {
		return err
	}
	c, ctx, cancel, err := f.client(g, ctx)
	if err != nil {
		return err
	}
	defer cancel()
	defer c.Close()
	a, _, err := pullLayer(ctx, c, u)
	if err != nil {
		return err
	}
	rc, err := a.Open(artifact.DefaultMaxUntarSize)
	if err != nil {
		return registryError(err, u)
	}
	defer rc.Close()
	remoteFiles, err := oci.TarGzDigests(rc, artifact.DefaultMaxUntarSize)
	if err != nil {
		return fmt.Errorf("reading the artifact's layer: %w", err)
	}
	var lines []string
	for _, n := range slices.Sorted(maps.Keys(localFiles)) {
		r, ok := remoteFiles[n]
		switch {
		case !ok:
			lines = append(lines, "► "+n+" is only in the local content")
		case r != localFiles[n]:
			lines = append(lines, "► "+n+" differs")
		}
	}
	for _, n := range slices.Sorted(maps.Keys(remoteFiles)) {
		if _, ok := localFiles[n]; !ok {
			lines = append(lines, "► "+n+" is only in the remote artifact")
		}
	}
	if len(lines) == 0 {
		g.printf("✔ no changes detected")
		return nil
	}
	sort.Strings(lines)
	for i, l := range lines {
		if i == maxDiffLines {
			g.printf("► ... and %d more", len(lines)-maxDiffLines)
			break
		}
		g.printf("%s", l)
	}
	return errors.New("the remote artifact contents differs from the local one")
}
