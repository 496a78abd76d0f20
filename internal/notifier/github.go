package notifier

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
)

func init() { register("github", newGitHub) }

// gitHubDescriptionLimit is the longest description GitHub accepts
// ("description is too long (maximum is 140 characters)").
const gitHubDescriptionLimit = 140

// gitHub sets a commit status through GitHub's REST API: POST
// /repos/{owner}/{repo}/statuses/{sha}. The address is the repository's
// URL on github.com (API at api.github.com) or on a GitHub Enterprise
// Server (API at <host>/api/v3).
type gitHub struct {
	client *http.Client
	// statuses is the API URL of the repository's statuses, without the
	// commit.
	statuses string
	token    string
	o        Options
}

func newGitHub(o Options, client *http.Client) (Notifier, error) {
	repo, err := csParseRepo("github", o.Address, "https://github.com/<owner>/<repo>")
	if err != nil {
		return nil, err
	}
	if len(repo.segments) != 2 {
		return nil, fmt.Errorf("the github provider's address must name one repository, such as https://github.com/<owner>/<repo>")
	}
	if err := csNeedToken("github", o.Token); err != nil {
		return nil, err
	}
	api := repo.scheme + "://" + repo.host + "/api/v3"
	if h := strings.ToLower(repo.host); h == "github.com" || h == "www.github.com" {
		api = "https://api.github.com"
	}
	return &gitHub{
		client:   client,
		statuses: api + "/repos/" + url.PathEscape(repo.segments[0]) + "/" + url.PathEscape(repo.segments[1]) + "/statuses/",
		token:    o.Token,
		o:        o,
	}, nil
}

// gitHubStatus is the body of "create a commit status".
type gitHubStatus struct {
	State       string `json:"state"`
	Description string `json:"description"`
	Context     string `json:"context"`
}

// gitHubState names s as GitHub does (error, failure, pending, success).
func gitHubState(s csState) string {
	switch s {
	case csFailure:
		return "failure"
	case csPending:
		return "pending"
	default:
		return "success"
	}
}

func (g *gitHub) Post(ctx context.Context, e Event) error {
	sha, state, ok := csCommit(e, true)
	if !ok {
		return nil
	}
	status := gitHubStatus{
		State:       gitHubState(state),
		Description: csDescription(g.o, e, gitHubDescriptionLimit),
		Context:     commitStatusContext(e, g.o.ProviderUID),
	}
	return postJSON(ctx, g.client, g.statuses+sha, status, map[string]string{
		"Authorization":        "Bearer " + g.token,
		"Accept":               "application/vnd.github+json",
		"X-GitHub-Api-Version": "2022-11-28",
	})
}
