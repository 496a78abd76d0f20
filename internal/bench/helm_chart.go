package bench

import (
	"time"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	helmv2 "github.com/ferrycd/ferry/api/helm/v2"
	sourcev1 "github.com/ferrycd/ferry/api/source/v1"
	"github.com/ferrycd/ferry/internal/helm/helmtest"
)

// BenchChart returns the chart every HelmRelease installs: a Deployment
// and a Service, both named after the release, the Deployment's replicas
// from .Values.replicas (1 in values.yaml; the HelmReleases set 0).
func BenchChart() helmtest.Chart {
	return helmtest.Chart{
		Name:       HelmChartName,
		Version:    HelmChartVersion,
		AppVersion: "6.7.1",
		Values:     chartValues,
		Templates: map[string]string{
			"deployment.yaml": chartDeployment,
			"service.yaml":    chartService,
		},
	}
}

const chartValues = `replicas: 1
image: ghcr.io/stefanprodan/podinfo:6.7.1
resources:
  requests:
    cpu: 10m
    memory: 16Mi
`

const chartDeployment = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ .Release.Name }}
  labels:
    app: {{ .Release.Name }}
spec:
  replicas: {{ .Values.replicas }}
  selector:
    matchLabels:
      app: {{ .Release.Name }}
  template:
    metadata:
      labels:
        app: {{ .Release.Name }}
    spec:
      containers:
        - name: app
          image: {{ .Values.image }}
          ports:
            - name: http
              containerPort: 9898
          resources:
            {{- toYaml .Values.resources | nindent 12 }}
`

const chartService = `apiVersion: v1
kind: Service
metadata:
  name: {{ .Release.Name }}
  labels:
    app: {{ .Release.Name }}
spec:
  selector:
    app: {{ .Release.Name }}
  ports:
    - name: http
      port: 80
      targetPort: http
`

// helmRelease returns the i-th HelmRelease: in TargetNamespace, release
// name appName(i), its chart from the HelmRepository in SourceNamespace,
// and values scaling the Deployment to 0 (flux-benchmark's replicas: 0).
func helmRelease(i int) *helmv2.HelmRelease {
	name := appName(i)
	return &helmv2.HelmRelease{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: TargetNamespace},
		Spec: helmv2.HelmReleaseSpec{
			Interval:    metav1.Duration{Duration: time.Hour},
			ReleaseName: name,
			Timeout:     &metav1.Duration{Duration: 5 * time.Minute},
			Chart: &helmv2.HelmChartTemplate{Spec: helmv2.HelmChartTemplateSpec{
				Chart:   HelmChartName,
				Version: HelmChartVersion,
				SourceRef: helmv2.CrossNamespaceObjectReference{
					Kind:      sourcev1.HelmRepositoryKind,
					Name:      HelmRepositoryName,
					Namespace: SourceNamespace,
				},
			}},
			Values: &apiextensionsv1.JSON{Raw: []byte(`{"replicas":0}`)},
		},
	}
}
