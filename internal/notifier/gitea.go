package notifier

import (
	"context"
	"net/http"
	"net/url"
	"strings"
)

func init() { register("gitea", newGitea) }

// gitea sets a commit status through Gitea's (and Forgejo's) REST API:
// POST /api/v1/repos/{owner}/{repo}/statuses/{sha}. The address is the
// repository's URL, https://<host>[/<sub path>]/<owner>/<repo>: the last
// two segments name the repository, anything before them is the path
// Gitea is served under.
type gitea struct {
	client *http.Client
	// statuses is the API URL of the repository's statuses, without the
	// commit.
	statuses string
	token    string
	o        Options
}

func newGitea(o Options, client *http.Client) (Notifier, error) {
	repo, err := csParseRepo("gitea", o.Address, "https://gitea.example.com/<owner>/<repo>")
	if err != nil {
		return nil, err
	}
	if err := csNeedToken("gitea", o.Token); err != nil {
		return nil, err
	}
	n := len(repo.segments)
	base := repo.scheme + "://" + repo.host
	if n > 2 {
		base += "/" + strings.Join(repo.segments[:n-2], "/")
	}
	return &gitea{
		client:   client,
		statuses: base + "/api/v1/repos/" + url.PathEscape(repo.segments[n-2]) + "/" + url.PathEscape(repo.segments[n-1]) + "/statuses/",
		token:    o.Token,
		o:        o,
	}, nil
}

// Gitea's "create a commit status" (CreateStatusOption) takes GitHub's
// body and state names.

func (g *gitea) Post(ctx context.Context, e Event) error {
	sha, state, ok := csCommit(e, false)
	if !ok {
		return nil
	}
	status := gitHubStatus{
		State:       gitHubState(state),
		Context:     commitStatusContext(e, g.o.ProviderUID),
		Description: csDescription(g.o, e, 0),
	}
	return postJSON(ctx, g.client, g.statuses+sha, status, map[string]string{
		"Authorization": "token " + g.token,
		"Accept":        "application/json",
	})
}
