package cli

import (
	"reflect"
	"strings"
	"testing"

	notificationv1 "github.com/ferrycd/ferry/api/notification/v1"
)

// TestCreateNotificationExport checks the YAML of `create alert-provider`,
// `create alert` and `create receiver` with --export against golden files,
// and that the API server takes it as it is.
func TestCreateNotificationExport(t *testing.T) {
	ns := env.NewNamespace(t, "exportnotif")
	tests := map[string][]string{
		"create_alert_provider_slack.golden": {"alert-provider", "slack", "--type=slack", "--channel=general", "--username=ferry", "--secret-ref=slack-url"},
		"create_alert_provider_github.golden": {"alert-provider", "github-podinfo", "--type=github",
			"--address=https://github.com/stefanprodan/podinfo", "--secret-ref=github-token"},
		"create_alert_default.golden": {"alert", "flux-system", "--provider-ref=slack", "--event-source=Kustomization/flux-system"},
		"create_alert_full.golden": {"alert", "on-call", "--provider-ref=pager", "--event-severity=error",
			"--event-source=Kustomization/*.apps", "--event-source=helmrelease/podinfo,GitRepository/*.*"},
		"create_receiver_github.golden": {"receiver", "github", "--type=github", "--event=ping", "--event=push",
			"--secret-ref=webhook-token", "--resource=GitRepository/webapp", "--resource=HelmRepository/charts.infra"},
		"create_receiver_generic.golden": {"receiver", "hook", "--type=generic", "--secret-ref=webhook-token", "--resource=Kustomization/*"},
	}
	for name, args := range tests {
		t.Run(name, func(t *testing.T) {
			stdout, stderr, code := ferry(t, append([]string{"-n", "apps", "create", "--export"}, args...)...)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			golden(t, name, []byte(stdout))
			dryRunApply(t, ns, stdout)
		})
	}
}

func TestCreateNotificationRefusals(t *testing.T) {
	tests := map[string]struct {
		args []string
		want string
	}{
		"provider without type":      {[]string{"alert-provider", "p"}, "--type is required: one of slack, discord"},
		"provider of unknown type":   {[]string{"alert-provider", "p", "--type=pigeon"}, `--type "pigeon" is not one of slack,`},
		"alert without provider":     {[]string{"alert", "a", "--event-source=Kustomization/apps"}, "--provider-ref is required"},
		"alert without sources":      {[]string{"alert", "a", "--provider-ref=slack"}, "--event-source is required"},
		"alert of unknown severity":  {[]string{"alert", "a", "--provider-ref=slack", "--event-source=Kustomization/apps", "--event-severity=warning"}, `--event-severity "warning" is not one of info, error`},
		"alert source without kind":  {[]string{"alert", "a", "--provider-ref=slack", "--event-source=apps"}, `--event-source "apps" must be '<kind>/<name>[.<namespace>]'`},
		"alert source of bad kind":   {[]string{"alert", "a", "--provider-ref=slack", "--event-source=Deployment/web"}, `kind "Deployment" is not one of Bucket, GitRepository`},
		"alert source, any ns, name": {[]string{"alert", "a", "--provider-ref=slack", "--event-source=Kustomization/apps.*"}, "the namespace '*' (every namespace) needs the name '*'"},
		"receiver without type":      {[]string{"receiver", "r", "--secret-ref=token", "--resource=GitRepository/app"}, "--type is required: one of generic, generic-hmac"},
		"receiver of unknown type":   {[]string{"receiver", "r", "--type=svn", "--secret-ref=token", "--resource=GitRepository/app"}, `--type "svn" is not one of generic,`},
		"receiver without secret":    {[]string{"receiver", "r", "--type=github", "--resource=GitRepository/app"}, "--secret-ref is required"},
		"receiver without resources": {[]string{"receiver", "r", "--type=github", "--secret-ref=token"}, "--resource is required"},
		"receiver resource, no name": {[]string{"receiver", "r", "--type=github", "--secret-ref=token", "--resource=GitRepository/"}, `--resource "GitRepository/" must be`},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			_, stderr, code := ferry(t, append([]string{"create", "--export"}, tt.args...)...)
			if code == 0 {
				t.Fatal("exit code 0, want failure")
			}
			mustContain(t, "stderr", stderr, tt.want)
		})
	}
	// A webhook URL may hold a token: it is never repeated in a message.
	_, stderr, code := ferry(t, "create", "alert-provider", "p", "--type=pigeon", "--address=https://hooks.example.com/s3cret", "--export")
	if code == 0 || strings.Contains(stderr, "s3cret") {
		t.Errorf("exit %d, stderr %q", code, stderr)
	}
}

func TestParseNotificationRef(t *testing.T) {
	ref := func(kind, name, ns string) notificationv1.CrossNamespaceObjectReference {
		return notificationv1.CrossNamespaceObjectReference{Kind: kind, Name: name, Namespace: ns}
	}
	for in, want := range map[string]notificationv1.CrossNamespaceObjectReference{
		"Kustomization/flux-system":  ref("Kustomization", "flux-system", ""),
		"helmrelease/podinfo.apps":   ref("HelmRelease", "podinfo", "apps"),
		"GitRepository/*":            ref("GitRepository", "*", ""),
		"GitRepository/*.*":          ref("GitRepository", "*", "*"),
		"OCIRepository/my.app.infra": ref("OCIRepository", "my.app", "infra"), // the namespace follows the last dot, as in Flux
	} {
		got, err := parseNotificationRef(in)
		if err != nil || !reflect.DeepEqual(got, want) {
			t.Errorf("parseNotificationRef(%q) = %+v, %v; want %+v", in, got, err, want)
		}
	}
	for _, in := range []string{"", "Kustomization", "/apps", "Kustomization/", "Kustomization/a/b", "Kustomization/apps.", "Kustomization/.apps", "Kustomization/apps.*", "Secret/x"} {
		if got, err := parseNotificationRef(in); err == nil {
			t.Errorf("parseNotificationRef(%q) = %+v, want an error", in, got)
		}
	}
}
