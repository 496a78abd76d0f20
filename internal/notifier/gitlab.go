package notifier

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
)

func init() { register("gitlab", newGitLab) }

// gitLabDescriptionLimit keeps the description within the 255 characters
// of GitLab's commit status columns.
const gitLabDescriptionLimit = 255

// gitLab sets a commit status through GitLab's REST API: POST
// /api/v4/projects/<full path, escaped>/statuses/<sha>. The address is the
// project's URL, https://<host>/<group>[/<subgroup>...]/<project>.
type gitLab struct {
	client *http.Client
	// statuses is the API URL of the project's statuses, without the
	// commit.
	statuses string
	token    string
	o        Options
}

func newGitLab(o Options, client *http.Client) (Notifier, error) {
	repo, err := csParseRepo("gitlab", o.Address, "https://gitlab.com/<group>/<project>")
	if err != nil {
		return nil, err
	}
	if err := csNeedToken("gitlab", o.Token); err != nil {
		return nil, err
	}
	project := url.PathEscape(strings.Join(repo.segments, "/"))
	return &gitLab{
		client:   client,
		statuses: repo.scheme + "://" + repo.host + "/api/v4/projects/" + project + "/statuses/",
		token:    o.Token,
		o:        o,
	}, nil
}

// gitLabStatus is the body of "set the pipeline status of a commit".
type gitLabStatus struct {
	State       string `json:"state"`
	Name        string `json:"name"`
	Description string `json:"description"`
}

// gitLabState names s as GitLab does (pending, running, success, failed,
// canceled).
func gitLabState(s csState) string {
	switch s {
	case csFailure:
		return "failed"
	case csPending:
		return "running"
	default:
		return "success"
	}
}

func (g *gitLab) Post(ctx context.Context, e Event) error {
	sha, state, ok := csCommit(e, true)
	if !ok {
		return nil
	}
	status := gitLabStatus{
		State:       gitLabState(state),
		Name:        commitStatusContext(e, g.o.ProviderUID),
		Description: csDescription(g.o, e, gitLabDescriptionLimit),
	}
	err := postJSON(ctx, g.client, g.statuses+sha, status, map[string]string{"PRIVATE-TOKEN": g.token})
	if gitLabDuplicate(err, status.State) {
		return nil
	}
	return err
}

// gitLabDuplicate reports GitLab refusing a status because the commit
// already has it: 400 "Cannot transition status via :succeed from
// :success". The status is what was asked for, so that is a success.
func gitLabDuplicate(err error, state string) bool {
	var se *StatusError
	if !errors.As(err, &se) || se.Code != http.StatusBadRequest {
		return false
	}
	if !strings.Contains(se.Body, "Cannot transition status via") {
		return false
	}
	from := "from :" + state
	i := strings.Index(se.Body, from)
	if i < 0 {
		return false
	}
	// "from :running" must not match "from :runningX".
	rest := se.Body[i+len(from):]
	return rest == "" || !gitLabStateByte(rest[0])
}

func gitLabStateByte(c byte) bool {
	return c == '_' || ('a' <= c && c <= 'z')
}
