package impersonation

import (
	"context"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	"github.com/ferrycd/ferry/api/meta"
	"github.com/ferrycd/ferry/internal/scheme"
)

var remoteKubeconfig = testKubeconfig("", "      token: abc")

func kubeconfigSecret(name string, data map[string]string) *corev1.Secret {
	s := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: "team", Name: name}, Data: map[string][]byte{}}
	for k, v := range data {
		s.Data[k] = []byte(v)
	}
	return s
}

func impersonator(objs ...client.Object) *Impersonator {
	c := fake.NewClientBuilder().WithScheme(scheme.New()).WithObjects(objs...).Build()
	return &Impersonator{
		Client:     c,
		RESTConfig: &rest.Config{Host: "https://ferry.example:6443", QPS: 50, Burst: 100, UserAgent: "ferry"},
		APIReader:  c,
	}
}

func kubeConfigRef(name, key string) *meta.KubeConfigReference {
	return &meta.KubeConfigReference{SecretRef: meta.SecretKeyReference{Name: name, Key: key}}
}

func TestClientFor(t *testing.T) {
	objs := []client.Object{
		kubeconfigSecret("value", map[string]string{"value": remoteKubeconfig}),
		kubeconfigSecret("value-yaml", map[string]string{"value.yaml": remoteKubeconfig}),
		kubeconfigSecret("custom", map[string]string{"cfg": remoteKubeconfig}),
		kubeconfigSecret("empty", nil),
		kubeconfigSecret("garbage", map[string]string{"value": "{not yaml"}),
	}
	tests := map[string]struct {
		target      Target
		noRESTCfg   bool
		wantOwn     bool   // the Impersonator's own client
		wantHost    string // of the client's configuration
		wantUser    string // impersonated
		wantErr     string
		wantErrNot  string // never in the error (the kubeconfig's content)
		wantLimited bool   // the controller's QPS, Burst, user agent
	}{
		"own rights":   {target: Target{Namespace: "team"}, wantOwn: true},
		"impersonated": {target: Target{Namespace: "team", ServiceAccountName: "deployer"}, wantHost: "https://ferry.example:6443", wantUser: "system:serviceaccount:team:deployer", wantLimited: true},
		"impersonated without a configuration": {target: Target{Namespace: "team", ServiceAccountName: "deployer"}, noRESTCfg: true,
			wantErr: "impersonating a ServiceAccount: the controller has no REST configuration"},
		"remote, key value":      {target: Target{Namespace: "team", KubeConfig: kubeConfigRef("value", "")}, wantHost: "https://remote.example:6443", wantLimited: true},
		"remote, key value.yaml": {target: Target{Namespace: "team", KubeConfig: kubeConfigRef("value-yaml", "")}, wantHost: "https://remote.example:6443", wantLimited: true},
		"remote, key named":      {target: Target{Namespace: "team", KubeConfig: kubeConfigRef("custom", "cfg")}, wantHost: "https://remote.example:6443", wantLimited: true},
		"remote as": {target: Target{Namespace: "team", ServiceAccountName: "deployer", KubeConfig: kubeConfigRef("value", "")},
			wantHost: "https://remote.example:6443", wantUser: "system:serviceaccount:team:deployer", wantLimited: true},
		"remote, Secret not found": {target: Target{Namespace: "team", KubeConfig: kubeConfigRef("gone", "")},
			wantErr: "spec.kubeConfig: reading Secret team/gone: "},
		"remote, no default key": {target: Target{Namespace: "team", KubeConfig: kubeConfigRef("empty", "")},
			wantErr: "spec.kubeConfig: Secret team/empty has no key 'value' or 'value.yaml' with a kubeconfig"},
		"remote, no named key": {target: Target{Namespace: "team", KubeConfig: kubeConfigRef("value", "cfg")},
			wantErr: "spec.kubeConfig: Secret team/value has no key 'cfg' with a kubeconfig"},
		"remote, invalid": {target: Target{Namespace: "team", KubeConfig: kubeConfigRef("garbage", "")},
			wantErr: "spec.kubeConfig: Secret team/garbage key 'value': invalid kubeconfig", wantErrNot: "not yaml"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			i := impersonator(objs...)
			if tc.noRESTCfg {
				i.RESTConfig = nil
			}
			c, cfg, err := i.ClientFor(context.Background(), tc.target)
			if tc.wantErr != "" {
				if err == nil || !strings.HasPrefix(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want one starting %q", err, tc.wantErr)
				}
				if tc.wantErrNot != "" && strings.Contains(err.Error(), tc.wantErrNot) {
					t.Errorf("err %q shows %q", err, tc.wantErrNot)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if tc.wantOwn {
				if c != i.Client || cfg != i.RESTConfig {
					t.Fatal("not the own client and configuration")
				}
				return
			}
			if c == i.Client || cfg == i.RESTConfig {
				t.Fatal("the own client or configuration, not a new one")
			}
			if cfg.Host != tc.wantHost || cfg.Impersonate.UserName != tc.wantUser {
				t.Errorf("host %q as %q, want %q as %q", cfg.Host, cfg.Impersonate.UserName, tc.wantHost, tc.wantUser)
			}
			if tc.wantLimited && (cfg.QPS != 50 || cfg.Burst != 100 || cfg.UserAgent != "ferry") {
				t.Errorf("QPS %v, Burst %d, UserAgent %q: not the controller's", cfg.QPS, cfg.Burst, cfg.UserAgent)
			}
			if i.RESTConfig.Impersonate.UserName != "" {
				t.Error("the own configuration was changed")
			}
		})
	}
}

func TestMissing(t *testing.T) {
	sa := &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Namespace: "team", Name: "deployer"}}
	secret := kubeconfigSecret("prod", map[string]string{"value": remoteKubeconfig})
	tests := map[string]struct {
		objs      []client.Object
		defaultSA string
		target    Target
		want      string
	}{
		"own rights":            {target: Target{Namespace: "team"}},
		"ServiceAccount exists": {objs: []client.Object{sa}, target: Target{Namespace: "team", ServiceAccountName: "deployer"}},
		"ServiceAccount gone":   {target: Target{Namespace: "team", ServiceAccountName: "deployer"}, want: "ServiceAccount team/deployer"},
		"default gone":          {defaultSA: "restricted", target: Target{Namespace: "team"}, want: "ServiceAccount team/restricted"},
		"Secret exists":         {objs: []client.Object{secret}, target: Target{Namespace: "team", KubeConfig: kubeConfigRef("prod", "")}},
		"Secret gone":           {target: Target{Namespace: "team", KubeConfig: kubeConfigRef("prod", "")}, want: "kubeconfig Secret team/prod"},
		"both gone, ServiceAccount first": {target: Target{Namespace: "team", ServiceAccountName: "deployer", KubeConfig: kubeConfigRef("prod", "")},
			want: "ServiceAccount team/deployer"},
		"both exist": {objs: []client.Object{sa, secret}, target: Target{Namespace: "team", ServiceAccountName: "deployer", KubeConfig: kubeConfigRef("prod", "")}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			i := impersonator(tc.objs...)
			i.DefaultServiceAccount = tc.defaultSA
			got, err := i.Missing(context.Background(), tc.target)
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Errorf("Missing = %q, want %q", got, tc.want)
			}
		})
	}
}
