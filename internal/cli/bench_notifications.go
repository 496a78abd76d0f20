package cli

import (
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/ferrycd/ferry/internal/bench"
)

func newBenchReceiverCommand(g *globals) *cobra.Command {
	o := bench.PushOptions{}
	var out string
	cmd := &cobra.Command{
		Use:   "receiver",
		Short: "Time a git push to applied, through a Receiver called by the repository's post-receive hook",
		Long: `Bench receiver measures how soon a git push is applied when the
repository's post-receive hook calls a Receiver, on a local simulated cluster:
a bare repository behind a real git http-backend that accepts pushes, holding
one app directory (a Deployment scaled to 0, a ServiceAccount, a Service and a
ConfigMap); a GitRepository and a Kustomization with interval 1h, so that only
the Receiver makes them reconcile; a Receiver of type generic, then one of type
github (signed calls), listing the GitRepository. The hook is a bash script
that notes when it fires and posts to the Receiver's webhook path over
/dev/tcp. 'ferry controller' runs as a separate process.

For each push (a new value in the ConfigMap, committed in a clone and pushed
over smart HTTP) it waits until the Kustomization is Ready with the commit
applied, as seen by a watch, and reports the median, 90th percentile, least
and largest time from the hook and from the start of git push, and the
stages in between. Pushes are at least --gap apart, within a Receiver's rate
limit. Everything it starts is stopped at the end.`,
		Example: `  # The figures of docs/benchmarks.md
  ferry bench receiver

  # Keep every push's timestamps as JSON and the controller's log
  ferry bench receiver --pushes 50 --out receiver.json --controller-log controller.log`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			o.Progress = g.errOut
			return runBench(cmd.Context(), g, out, o, bench.Push, printPushResult)
		},
	}
	f := cmd.Flags()
	f.IntVar(&o.Pushes, "pushes", 20, "number of pushes through each Receiver")
	f.DurationVar(&o.Gap, "gap", time.Second, "least time between two pushes")
	f.BoolVar(&o.NoGitHub, "no-github", false, "leave out the pushes through a github Receiver")
	f.DurationVar(&o.Timeout, "timeout", time.Minute, "how long one push may take to be applied")
	benchOutputFlags(f, &o.ControllerArgs, &o.ControllerLog, &out)
	return cmd
}

// printPushResult prints the figures of bench receiver as a table on
// stdout.
func printPushResult(g *globals, r *bench.PushResult) {
	w := tabwriter.NewWriter(g.out, 0, 0, 2, ' ', 0)
	fmt.Fprintln(w, "RECEIVER\tPUSHES\tFROM\tMEDIAN\tP90\tMIN\tMAX")
	ms := func(d time.Duration) string { return fmt.Sprintf("%.0f ms", float64(d)/float64(time.Millisecond)) }
	row := func(typ string, n int, from string, s bench.Stats) {
		fmt.Fprintf(w, "%s\t%d\t%s\t%s\t%s\t%s\t%s\n", typ, n, from, ms(s.Median), ms(s.P90), ms(s.Min), ms(s.Max))
	}
	for _, s := range r.Series {
		n := len(s.Samples)
		row(s.Receiver, n, "hook → applied", s.HookToApplied)
		row(s.Receiver, n, "git push → applied", s.PushToApplied)
		row(s.Receiver, n, "  git push → hook", s.PushToHook)
		row(s.Receiver, n, "  hook → answered", s.HookToAnswered)
		row(s.Receiver, n, "  answered → artifact", s.AnsweredToArtifact)
		row(s.Receiver, n, "  artifact → applied", s.ArtifactToApplied)
	}
	_ = w.Flush()
	fmt.Fprintf(g.out, "load %s → %s, %d CPUs, %s\n", r.LoadBefore, r.LoadAfter, r.CPUs, r.GoVersion)
}

func newBenchNotificationsCommand(g *globals) *cobra.Command {
	o := bench.NotificationOptions{}
	var out string
	cmd := &cobra.Command{
		Use:   "notifications",
		Short: "Measure the fan-out of events to Providers, and whether deliveries slow reconciles",
		Long: `Bench notifications runs N Kustomizations of the benchmark shape on a local
simulated cluster (one GitRepository on a real git http-backend, N directories
of 4 objects) and commits a change to every app at a steady rate, requesting a
reconcile of the GitRepository after each commit: each commit makes every
Kustomization (wait: true) record 3 events (its change set, "Health check
passed" and "Reconciliation finished"), so a commit comes every
3 × N / --events-per-minute minutes. It does so twice for --duration: without Providers and Alerts, then with --providers Providers
of type generic posting to an endpoint in this process that answers after
--reply-delay, each with an Alert (severity info) on every Kustomization.
'ferry controller' runs as a separate process.

For each run it reports the time from each commit until all Kustomizations
applied it (median and 90th percentile), the deliveries the endpoint answered
(per minute, against those expected, and duplicates), the controller's
resident memory (VmRSS) before, after and at its peak, its goroutines (from
its pprof endpoint) and its CPU time. Everything it starts is stopped at the
end.`,
		Example: `  # The figures of docs/benchmarks.md
  ferry bench notifications

  # Keep the figures as JSON and the controller's log
  ferry bench notifications --count 100 --duration 5m --out notifications.json --controller-log controller.log`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			o.Progress = g.errOut
			return runBench(cmd.Context(), g, out, o, bench.Notifications, printNotificationResult)
		},
	}
	f := cmd.Flags()
	f.IntVar(&o.Count, "count", 100, "number of Kustomizations, each applying 4 objects")
	f.IntVar(&o.Providers, "providers", 10, "number of Providers of type generic, each with an Alert on every Kustomization")
	f.IntVar(&o.EventsPerMinute, "events-per-minute", 1000, "rate of Kustomization events the commits drive")
	f.DurationVar(&o.Duration, "duration", 3*time.Minute, "how long each run commits for")
	f.DurationVar(&o.ReplyDelay, "reply-delay", 20*time.Millisecond, "how long the endpoint takes to answer a delivery")
	f.DurationVar(&o.Timeout, "timeout", 30*time.Minute, "how long the first apply, and the last commit of a run, may take")
	benchOutputFlags(f, &o.ControllerArgs, &o.ControllerLog, &out)
	return cmd
}

// printNotificationResult prints the figures of bench notifications as a
// table on stdout.
func printNotificationResult(g *globals, r *bench.NotificationResult) {
	mib := func(b int64) string { return fmt.Sprintf("%.1f", float64(b)/(1<<20)) }
	w := tabwriter.NewWriter(g.out, 0, 0, 2, ' ', 0)
	fmt.Fprintln(w, "KUSTOMIZATIONS\tALERTS\tCOMMITS\tCOMMIT → ALL APPLIED (MEDIAN / P90)\tDELIVERED / EXPECTED\tDUPLICATES\tDELIVERIES / MIN (PER PROVIDER)\tDRAIN\tRSS MiB (START / END / PEAK)\tGOROUTINES (START / END / PEAK)\tCPU\tLOAD (BEFORE / AFTER)")
	for _, run := range r.Runs {
		alerts := "0"
		if run.Alerts {
			alerts = fmt.Sprint(r.Providers)
		}
		fmt.Fprintf(w, "%d\t%s\t%d\t%s / %s\t%d / %d\t%d\t%.0f (%.0f)\t%s\t%s / %s / %s\t%d / %d / %d\t%.1f s\t%s / %s\n",
			r.Count, alerts, run.Commits, run.Latency.Median.Round(10*time.Millisecond), run.Latency.P90.Round(10*time.Millisecond),
			run.Deliveries, run.ExpectedDeliveries, run.Duplicates, run.DeliveriesPerMinute, run.EventsPerMinute,
			run.Drain.Round(10*time.Millisecond), mib(run.RSSStart), mib(run.RSSEnd), mib(run.RSSPeak),
			run.GoroutinesStart, run.GoroutinesEnd, run.GoroutinesPeak, run.CPU, run.LoadBefore, run.LoadAfter)
	}
	_ = w.Flush()
	fmt.Fprintf(g.out, "one commit every %s (%d events a minute), endpoint answering after %s; first apply %s; %d CPUs, %s\n",
		r.CommitInterval.Round(time.Millisecond), r.EventsPerMinute, r.ReplyDelay, r.FirstApply.Round(10*time.Millisecond), r.CPUs, r.GoVersion)
}
