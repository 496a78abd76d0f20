package acl

import "testing"

func TestCheck(t *testing.T) {
	source := Reference{Kind: "GitRepository", Name: "repo"}
	tests := map[string]struct {
		refs []Reference
		want string // empty: allowed
	}{
		"no references":          {},
		"same namespace implied": {refs: []Reference{source, {Kind: "Kustomization", Name: "infra"}}},
		"same namespace named":   {refs: []Reference{{Kind: "GitRepository", Namespace: "team", Name: "repo"}}},
		"source elsewhere": {
			refs: []Reference{{Kind: "GitRepository", Namespace: "flux-system", Name: "repo"}},
			want: "can't access 'GitRepository/flux-system/repo', cross-namespace references have been blocked",
		},
		"first of several": {
			refs: []Reference{source, {Kind: "Kustomization", Namespace: "a", Name: "x"}, {Kind: "Kustomization", Namespace: "b", Name: "y"}},
			want: "can't access 'Kustomization/a/x', cross-namespace references have been blocked",
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			err := Check("team", tc.refs...)
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("refused: %v", err)
			case tc.want != "" && (err == nil || err.Error() != tc.want):
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
		})
	}
}
