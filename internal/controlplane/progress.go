package controlplane

import (
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"golang.org/x/term"
)

// progress writes the messages of a first install. A long step shows that
// it is alive: on a terminal its line is rewritten in place every second
// with the elapsed time; anywhere else (a log, CI) a line is added every
// quietInterval.
type progress struct {
	w    io.Writer
	live bool
	// tick is how often a live line is redrawn; quietInterval how often a
	// line is added elsewhere.
	tick, quietInterval time.Duration

	mu sync.Mutex
	// drawn is true while a live line is on screen without its newline.
	drawn bool
}

func newProgress(w io.Writer) *progress {
	if w == nil {
		w = io.Discard
	}
	f, ok := w.(*os.File)
	return &progress{
		w:             w,
		live:          ok && term.IsTerminal(int(f.Fd())),
		tick:          time.Second,
		quietInterval: 30 * time.Second,
	}
}

// printf writes one message line.
func (p *progress) printf(format string, args ...any) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.clearLocked()
	fmt.Fprintf(p.w, format+"\n", args...)
}

// clearLocked erases a live line so that a message can take its place.
func (p *progress) clearLocked() {
	if p.drawn {
		fmt.Fprint(p.w, "\r\033[K")
		p.drawn = false
	}
}

// step announces what (such as "building kube-apiserver v1.37.2") and keeps
// its line moving until the returned function is called with the step's
// outcome. typical, if set, is the usual duration shown beside the elapsed
// time; detail, if set, adds what it returns (bytes received, say).
func (p *progress) step(what, typical string, detail func() string) (done func(error)) {
	start := time.Now()
	about := ""
	if typical != "" {
		about = " (typically " + typical + ")"
	}
	line := func() string {
		s := fmt.Sprintf("ferry: %s... %s%s", what, time.Since(start).Round(time.Second), about)
		if detail != nil {
			if d := detail(); d != "" {
				s += ", " + d
			}
		}
		return s
	}
	if !p.live {
		p.printf("ferry: %s...%s", what, about)
	}

	stop := make(chan struct{})
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		interval := p.quietInterval
		if p.live {
			interval = p.tick
		}
		t := time.NewTicker(interval)
		defer t.Stop()
		if p.live {
			p.redraw(line)
		}
		for {
			select {
			case <-stop:
				return
			case <-t.C:
				p.redraw(line)
			}
		}
	}()

	var once sync.Once
	return func(err error) {
		once.Do(func() {
			close(stop)
			<-stopped
			elapsed := time.Since(start).Round(time.Second)
			if err != nil {
				p.printf("ferry: %s failed after %s", what, elapsed)
				return
			}
			p.printf("ferry: %s: done in %s", what, elapsed)
		})
	}
}

// redraw shows the current line of a running step: in place on a
// terminal, as a new line elsewhere.
func (p *progress) redraw(line func() string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.live {
		fmt.Fprint(p.w, "\r\033[K"+line())
		p.drawn = true
		return
	}
	fmt.Fprintln(p.w, line())
}
