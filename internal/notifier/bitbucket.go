package notifier

import (
	"context"
	"crypto/sha1"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
)

func init() { register("bitbucket", newBitbucket) }

// bitbucketDescriptionLimit bounds the description; Bitbucket Cloud
// documents no limit, 255 keeps it to what its UI shows.
const bitbucketDescriptionLimit = 255

// bitbucket sets a build status through the Bitbucket Cloud REST API:
// POST /2.0/repositories/{workspace}/{repo}/commit/{sha}/statuses/build,
// with basic authentication. The address is the repository's URL,
// https://bitbucket.org/<workspace>/<repo>; its API is api.bitbucket.org,
// any other host serves the API under <host>/2.0.
type bitbucket struct {
	client *http.Client
	// commits is the API URL of the repository's commits, without the
	// commit.
	commits string
	// web is the repository's page, the status's link.
	web           string
	authorization string
	o             Options
}

func newBitbucket(o Options, client *http.Client) (Notifier, error) {
	repo, err := csParseRepo("bitbucket", o.Address, "https://bitbucket.org/<workspace>/<repo>")
	if err != nil {
		return nil, err
	}
	if len(repo.segments) != 2 {
		return nil, fmt.Errorf("the bitbucket provider's address must name one repository, such as https://bitbucket.org/<workspace>/<repo>")
	}
	username, password, err := bitbucketCredentials(o)
	if err != nil {
		return nil, err
	}
	api := repo.scheme + "://" + repo.host + "/2.0"
	if h := strings.ToLower(repo.host); h == "bitbucket.org" || h == "www.bitbucket.org" {
		api = "https://api.bitbucket.org/2.0"
	}
	return &bitbucket{
		client:        client,
		commits:       api + "/repositories/" + url.PathEscape(repo.segments[0]) + "/" + url.PathEscape(repo.segments[1]) + "/commit/",
		web:           repo.web(),
		authorization: csBasicAuth(username, password),
		o:             o,
	}, nil
}

// bitbucketCredentials returns the basic authentication of o: the token
// as "<username>:<app password>" (Flux's format), else spec.username with
// the Secret's password (or token).
func bitbucketCredentials(o Options) (username, password string, err error) {
	if user, pass, ok := strings.Cut(o.Token, ":"); ok && user != "" && pass != "" {
		return user, pass, nil
	}
	pass := o.Password
	if pass == "" && !strings.Contains(o.Token, ":") {
		pass = o.Token
	}
	if o.Username != "" && pass != "" {
		return o.Username, pass, nil
	}
	return "", "", errors.New(`the bitbucket provider needs credentials: set the Secret's token key to "<username>:<app password>", or spec.username and the Secret's password key`)
}

// bitbucketStatus is the body of "create a build status for a commit".
type bitbucketStatus struct {
	Key         string `json:"key"`
	State       string `json:"state"`
	Name        string `json:"name"`
	Description string `json:"description"`
	URL         string `json:"url"`
}

// bitbucketState names s as Bitbucket does (SUCCESSFUL, FAILED,
// INPROGRESS, STOPPED).
func bitbucketState(s csState) string {
	switch s {
	case csFailure:
		return "FAILED"
	case csPending:
		return "INPROGRESS"
	default:
		return "SUCCESSFUL"
	}
}

// bitbucketKey identifies a status among the commit's: Bitbucket keys
// are at most 40 characters, so the context's SHA-1 in hex (the key Flux
// uses, so a status Flux set is updated rather than doubled).
func bitbucketKey(statusContext string) string {
	sum := sha1.Sum([]byte(statusContext))
	return hex.EncodeToString(sum[:])
}

func (b *bitbucket) Post(ctx context.Context, e Event) error {
	sha, state, ok := csCommit(e, false)
	if !ok {
		return nil
	}
	name := commitStatusContext(e, b.o.ProviderUID)
	status := bitbucketStatus{
		Key:         bitbucketKey(name),
		State:       bitbucketState(state),
		Name:        name,
		Description: csDescription(b.o, e, bitbucketDescriptionLimit),
		URL:         b.web + "/commits/" + sha,
	}
	return postJSON(ctx, b.client, b.commits+sha+"/statuses/build", status, map[string]string{
		"Authorization": b.authorization,
		"Accept":        "application/json",
	})
}
