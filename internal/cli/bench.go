package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"text/tabwriter"
	"time"

	"github.com/go-logr/logr"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"k8s.io/klog/v2"
	ctrl "sigs.k8s.io/controller-runtime"

	"github.com/ferrycd/ferry/internal/bench"
)

func newBenchCommand(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "bench",
		Short: "Measure ferry at scale on a local simulated cluster",
	}
	cmd.AddCommand(newBenchKustomizationsCommand(g))
	cmd.AddCommand(newBenchHelmReleasesCommand(g))
	cmd.AddCommand(newBenchReceiverCommand(g), newBenchNotificationsCommand(g))
	return cmd
}

func newBenchKustomizationsCommand(g *globals) *cobra.Command {
	o := bench.Options{}
	var out string
	var oneCommit, floor bool
	cmd := &cobra.Command{
		Use:   "kustomizations",
		Short: "Time N Kustomizations to Ready, the controller's peak memory and a no-change pass",
		Long: `Bench kustomizations runs Flux's benchmark shape on a local simulated
cluster: one GitRepository (a real git http-backend on loopback) holding N
directories of 4 objects each (a Deployment scaled to 0, a ServiceAccount, a
Service and a ConfigMap), and N Kustomizations with wait: true and prune.
'ferry controller' runs as a separate process, so its memory is ferry's alone.

It reports the time from creating the Kustomizations until all are Ready, the
controller's peak resident memory (VmHWM), and a no-change pass: every
Kustomization is asked to reconcile (reconcile.fluxcd.io/requestedAt) with no
new commit; the pass is timed, and the applied objects whose resourceVersion
changed are counted (a no-op must rewrite nothing).

Then one commit (--one-commit) changes one app's directory only (its
ConfigMap's data) and the GitRepository is asked to reconcile
(reconcile.fluxcd.io/requestedAt, as 'flux reconcile source git' does); it
reports the time until the changed ConfigMap shows the new data, the time
until every Kustomization has the commit in status.lastAppliedRevision, the
controller's CPU seconds meanwhile, and the applied objects rewritten.

Last, with ferry idle, the floor (--floor): the same 4N objects applied by
server-side apply from one client without a rate limit, in a namespace of
their own per concurrency (--floor-concurrency), timed until their
Deployments are Current; the fastest round is the floor, and the first apply
is reported as a multiple of it. Everything it starts is stopped at the end.

With --source oci the manifests are pushed as one artifact (as 'flux push
artifact' does) to an OCI registry on loopback and the Kustomizations use
an OCIRepository; the one commit is a new push of the same tag.`,
		Example: `  # The figures of docs/benchmarks.md
  ferry bench kustomizations --count 500

  # Only the first apply and the no-change pass
  ferry bench kustomizations --count 100 --one-commit=false --floor=false

  # The same Kustomizations fed from an OCIRepository
  ferry bench kustomizations --count 500 --source oci --floor=false

  # Keep the figures as JSON and the controller's log
  ferry bench kustomizations --count 100 --out bench.json --controller-log controller.log`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			o.Progress = g.errOut
			o.NoOneCommit, o.NoFloor = !oneCommit, !floor
			return runBench(cmd.Context(), g, out, o, bench.Kustomizations, printBenchResult)
		},
	}
	f := cmd.Flags()
	f.IntVar(&o.Count, "count", 100, "number of Kustomizations, each applying 4 objects")
	f.IntVar(&o.Concurrent, "concurrent", 0, "passed to 'ferry controller --concurrent' (default: the controller's default)")
	f.DurationVar(&o.Timeout, "timeout", 30*time.Minute, "how long each phase (first apply, no-change pass, one commit, a round of the floor) may take")
	f.StringVar(&o.Source, "source", bench.SourceGit, "where the manifests come from: "+bench.SourceGit+" (a GitRepository) or "+bench.SourceOCI+" (an OCIRepository)")
	f.BoolVar(&oneCommit, "one-commit", true, "after the no-change pass, commit a change to one app and time it")
	f.BoolVar(&floor, "floor", true, "measure the raw server-side-apply floor and report the first apply as a multiple of it")
	f.IntSliceVar(&o.FloorConcurrency, "floor-concurrency", bench.DefaultFloorConcurrency, "the concurrencies the floor is measured at; the fastest is the floor")
	benchOutputFlags(f, &o.ControllerArgs, &o.ControllerLog, &out)
	return cmd
}

// printBenchResult prints the figures as a table on stdout.
func printBenchResult(g *globals, r *bench.Result) {
	concurrent := "default"
	if r.Concurrent > 0 {
		concurrent = fmt.Sprint(r.Concurrent)
	}
	w := tabwriter.NewWriter(g.out, 0, 0, 2, ' ', 0)
	fmt.Fprintln(w, "KUSTOMIZATIONS\tOBJECTS\tCONCURRENT\tALL READY\tPEAK RSS (ANON)\tNO-CHANGE PASS\tSPEED-UP\tREWRITTEN\tCPU (APPLY / NO-CHANGE)\tLOAD (BEFORE / AFTER)")
	fmt.Fprintf(w, "%d\t%d\t%s\t%s\t%.1f MiB (%.1f)\t%s\t%.1f×\t%d\t%.1f s / %.1f s\t%s / %s\n",
		r.Count, r.Objects, concurrent,
		r.FirstApply.Round(10*time.Millisecond), float64(r.PeakRSS)/(1<<20), float64(r.PeakAnon)/(1<<20),
		r.NoChange.Round(10*time.Millisecond), r.Speedup(), r.Rewritten,
		r.FirstApplyCPU, r.NoChangeCPU, r.LoadBefore, r.LoadAfter)
	_ = w.Flush()
	for _, id := range r.RewrittenObjects {
		fmt.Fprintf(g.out, "rewritten: %s\n", id)
	}
	if c := r.OneCommit; c != nil {
		fmt.Fprintf(g.out, "one commit to %s: artifact %s, the app applied %s, all %d at the new revision %s; CPU %.1f s; rewritten %d of %d\n",
			c.App, c.Artifact.Round(10*time.Millisecond), c.AppApplied.Round(10*time.Millisecond), r.Count,
			c.AllAtRevision.Round(10*time.Millisecond), c.CPU, c.Rewritten, r.Objects)
		for _, id := range c.RewrittenObjects {
			fmt.Fprintf(g.out, "rewritten by the commit: %s\n", id)
		}
	}
	if f := r.Floor; f != nil {
		fmt.Fprintf(g.out, "floor (server-side apply, one client, no rate limit, concurrency %d): applied %s, healthy %s; all Ready = %.1f× the floor\n",
			f.Concurrency, f.Apply.Round(10*time.Millisecond), f.Healthy.Round(10*time.Millisecond), r.FloorMultiple)
		for _, round := range f.Rounds {
			fmt.Fprintf(g.out, "  floor at concurrency %d: applied %s, healthy %s\n", round.Concurrency,
				round.Apply.Round(10*time.Millisecond), round.Healthy.Round(10*time.Millisecond))
		}
	}
}

func newBenchHelmReleasesCommand(g *globals) *cobra.Command {
	o := bench.Options{}
	var out string
	cmd := &cobra.Command{
		Use:   "helmreleases",
		Short: "Time N HelmReleases to Ready, the controller's peak memory and CPU, and a no-change pass",
		Long: `Bench helmreleases runs flux-benchmark's HelmRelease shape on a local
simulated cluster: one small chart (a Deployment scaled to 0 and a Service,
named after the release) in an OCI registry running in this process, a
HelmRepository of type oci in flux-system, and N HelmReleases in namespace
bench, each with spec.chart (so the controller creates one HelmChart per
HelmRelease, as Flux does). 'ferry controller' runs as a separate process, so
its memory and CPU time are ferry's alone.

It reports the time from creating the HelmReleases until all are Ready, the
controller's peak resident memory (VmHWM) and CPU seconds, and a no-change
pass: every HelmRelease is asked to reconcile (reconcile.fluxcd.io/requestedAt)
with no new chart and no new values; the pass is timed, and the Helm release
revisions it created (storage Secrets labelled owner=helm) are counted, as are
the released objects whose resourceVersion changed (a no-op must create and
rewrite nothing). Everything it starts is stopped at the end.`,
		Example: `  # The figures of docs/benchmarks.md
  ferry bench helmreleases --count 500

  # The same Kustomizations fed from an OCIRepository
  ferry bench kustomizations --count 500 --source oci --floor=false

  # Keep the figures as JSON and the controller's log
  ferry bench helmreleases --count 100 --out bench.json --controller-log controller.log`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			o.Progress = g.errOut
			return runBench(cmd.Context(), g, out, o, bench.HelmReleases, printHelmBenchResult)
		},
	}
	f := cmd.Flags()
	f.IntVar(&o.Count, "count", 100, "number of HelmReleases, each installing a Deployment and a Service")
	f.IntVar(&o.Concurrent, "concurrent", 0, "passed to 'ferry controller --concurrent' (default: the controller's default)")
	f.DurationVar(&o.Timeout, "timeout", 30*time.Minute, "how long the first install and the no-change pass may each take")
	benchOutputFlags(f, &o.ControllerArgs, &o.ControllerLog, &out)
	return cmd
}

// printHelmBenchResult prints the figures of bench helmreleases as a table
// on stdout.
func printHelmBenchResult(g *globals, r *bench.HelmResult) {
	concurrent := "default"
	if r.Concurrent > 0 {
		concurrent = fmt.Sprint(r.Concurrent)
	}
	w := tabwriter.NewWriter(g.out, 0, 0, 2, ' ', 0)
	fmt.Fprintln(w, "HELMRELEASES\tOBJECTS\tCONCURRENT\tALL READY\tPEAK RSS (ANON)\tCPU (INSTALL / NO-CHANGE)\tNO-CHANGE PASS\tNEW REVISIONS\tREWRITTEN\tLOAD (BEFORE / AFTER)")
	fmt.Fprintf(w, "%d\t%d\t%s\t%s\t%.1f MiB (%.1f)\t%.1f s / %.1f s\t%s\t%d\t%d\t%s / %s\n",
		r.Count, r.Objects, concurrent,
		r.AllReady.Round(10*time.Millisecond), float64(r.PeakRSS)/(1<<20), float64(r.PeakAnon)/(1<<20),
		r.AllReadyCPU, r.NoChangeCPU, r.NoChange.Round(10*time.Millisecond),
		r.NewRevisions, r.Rewritten, r.LoadBefore, r.LoadAfter)
	_ = w.Flush()
	if r.InstallMax > 0 {
		fmt.Fprintf(g.out, "one install action (release written, objects ready): median %s, longest %s\n",
			r.InstallMedian.Round(time.Millisecond), r.InstallMax.Round(time.Millisecond))
	}
	for _, name := range r.NewRevisionSecrets {
		fmt.Fprintf(g.out, "new revision: Secret/%s\n", name)
	}
	for _, id := range r.RewrittenObjects {
		fmt.Fprintf(g.out, "rewritten: %s\n", id)
	}
}

// runBench runs one benchmark with the libraries' own logs discarded
// (they would drown the progress lines), prints its figures and, when out
// is set, writes them there as JSON.
func runBench[O, R any](ctx context.Context, g *globals, out string, o O, run func(context.Context, O) (R, error), print func(*globals, R)) error {
	ctrl.SetLogger(logr.Discard())
	klog.SetLogger(logr.Discard())
	res, err := run(ctx, o)
	if err != nil {
		return err
	}
	print(g, res)
	if out == "" {
		return nil
	}
	data, err := json.MarshalIndent(res, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(out, append(data, '\n'), 0o644); err != nil {
		return fmt.Errorf("writing %s: %w", out, err)
	}
	return nil
}

// benchOutputFlags are the flags every benchmark has: extra controller
// arguments, where to keep its log, and where to write the figures.
func benchOutputFlags(f *pflag.FlagSet, controllerArgs *[]string, controllerLog, out *string) {
	f.StringArrayVar(controllerArgs, "controller-arg", nil, "extra argument for 'ferry controller' (repeatable)")
	f.StringVar(controllerLog, "controller-log", "", "keep the controller's log in this file")
	f.StringVar(out, "out", "", "also write the figures as JSON to this file")
}
