package cli

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/ferrycd/ferry/api/meta"
	sourcev1 "github.com/ferrycd/ferry/api/source/v1"
	"github.com/ferrycd/ferry/internal/git"
)

// sourceGitFlags are the flags of `create source git`.
type sourceGitFlags struct {
	url         string
	branch      string
	tag         string
	semver      string
	commit      string
	interval    time.Duration
	secretRef   string
	ignorePaths []string
}

func newCreateSourceGitCommand(g *globals, cf *createFlags) *cobra.Command {
	f := &sourceGitFlags{}
	cmd := &cobra.Command{
		Use:   "git NAME",
		Short: "Create or update a GitRepository source and wait until it has fetched",
		Example: `  # Follow the main branch of a public repository
  ferry create source git podinfo --url=https://github.com/stefanprodan/podinfo --branch=main

  # Follow the highest 6.x tag, with credentials from the Secret podinfo-auth
  ferry create source git podinfo --url=https://github.com/stefanprodan/podinfo \
    --tag-semver=">=6.0.0 <7.0.0" --secret-ref=podinfo-auth

  # Print the GitRepository as YAML instead of applying it
  ferry create source git podinfo --url=https://github.com/stefanprodan/podinfo --branch=main --export`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			gr, err := f.gitRepository(args[0], g.namespace)
			if err != nil {
				return err
			}
			if cf.export {
				return printYAML(g, gr)
			}
			c, err := g.client()
			if err != nil {
				return err
			}
			g.printf("► applying GitRepository %s in %s namespace", gr.Name, gr.Namespace)
			live := &sourcev1.GitRepository{}
			token, created, err := upsert(cmd.Context(), c, gr, live, func() {
				live.Spec = gr.Spec
				live.Labels = mergeLabels(live.Labels, gr.Labels)
			})
			if err != nil {
				return fmt.Errorf("applying GitRepository '%s/%s': %w", gr.Namespace, gr.Name, err)
			}
			if created {
				g.printf("✔ GitRepository created")
			} else {
				g.printf("✔ GitRepository updated")
			}
			return g.waitReconciled(cmd.Context(), c, gitRepositoryTarget(types.NamespacedName{Namespace: gr.Namespace, Name: gr.Name}), token, cf.timeout)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.url, "url", "", "Git address, e.g. https://github.com/org/repo or ssh://git@github.com/org/repo")
	fl.StringVar(&f.branch, "branch", "", "branch to follow (default master when no other reference is given)")
	fl.StringVar(&f.tag, "tag", "", "tag to check out")
	fl.StringVar(&f.semver, "tag-semver", "", "semver range of tags; the highest matching tag is checked out")
	fl.StringVar(&f.commit, "commit", "", "commit SHA to check out (with --branch, the commit must be on that branch)")
	fl.DurationVar(&f.interval, "interval", time.Minute, "how often to check the remote for a new revision")
	fl.StringVar(&f.secretRef, "secret-ref", "", "name of the Secret with the credentials (see 'ferry create secret git')")
	fl.StringSliceVar(&f.ignorePaths, "ignore-paths", nil, "paths to leave out of the artifact, in .gitignore syntax; comma separated or repeated")
	return cmd
}

// gitRepository builds the GitRepository the flags describe, with Flux's
// reference precedence; conflicting references are refused.
func (f *sourceGitFlags) gitRepository(name, namespace string) (*sourcev1.GitRepository, error) {
	if f.url == "" {
		return nil, errors.New("--url is required")
	}
	if err := git.ValidateURL(f.url); err != nil {
		return nil, fmt.Errorf("--url: %w", err)
	}
	set := 0
	for _, v := range []string{f.tag, f.semver, f.commit} {
		if v != "" {
			set++
		}
	}
	if set > 1 {
		return nil, errors.New("--tag, --tag-semver and --commit are mutually exclusive")
	}
	if f.branch != "" && (f.tag != "" || f.semver != "") {
		return nil, errors.New("--branch cannot be combined with --tag or --tag-semver")
	}
	if f.interval <= 0 {
		return nil, errors.New("--interval must be positive")
	}
	ref := &sourcev1.GitRepositoryRef{}
	switch {
	case f.commit != "":
		ref.Commit, ref.Branch = f.commit, f.branch
	case f.semver != "":
		ref.SemVer = f.semver
	case f.tag != "":
		ref.Tag = f.tag
	case f.branch != "":
		ref.Branch = f.branch
	default:
		ref.Branch = git.DefaultBranch
	}
	gr := &sourcev1.GitRepository{
		TypeMeta:   metav1.TypeMeta{APIVersion: sourcev1.GroupVersion.String(), Kind: sourcev1.GitRepositoryKind},
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: namespace},
		Spec: sourcev1.GitRepositorySpec{
			URL:       f.url,
			Interval:  metav1.Duration{Duration: f.interval},
			Reference: ref,
		},
	}
	if f.secretRef != "" {
		gr.Spec.SecretRef = &meta.LocalObjectReference{Name: f.secretRef}
	}
	if len(f.ignorePaths) > 0 {
		ignore := strings.Join(f.ignorePaths, "\n")
		gr.Spec.Ignore = &ignore
	}
	return gr, nil
}

// mergeLabels returns live with the labels of want added.
func mergeLabels(live, want map[string]string) map[string]string {
	if len(want) == 0 {
		return live
	}
	if live == nil {
		live = map[string]string{}
	}
	for k, v := range want {
		live[k] = v
	}
	return live
}
