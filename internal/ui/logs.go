package ui

import (
	"fmt"
	"net/http"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/ferrycd/ferry/internal/logring"
)

// objectPageLogLines is how many of its newest log lines the object page
// shows; its log page shows every kept one.
const objectPageLogLines = 20

// logLevels are the filters of the log page (the level parameter): each
// shows its level and those above.
var logLevels = map[string]logring.Level{"debug": logring.LevelDebug, "info": logring.LevelInfo, "error": logring.LevelError}

// logView is an object's log lines as the object page and the log page
// show them.
type logView struct {
	// Kept says this process keeps log lines: it runs the controllers.
	Kept bool
	// Lines are the lines shown, oldest first.
	Lines []logLine
	// Total is how many lines are kept for the object, Errors how many of
	// them are errors.
	Total, Errors int
	// More says the object page shows only the newest of them.
	More bool
	// Path is the object's log page.
	Path string
	// Level is the log page's filter, "" for every line.
	Level string
}

// logLine is one line, for the templates.
type logLine struct{ logring.Line }

// Clock is the line's time of day in UTC, to the millisecond; the date is
// in its title.
func (l logLine) Clock() string { return l.Time.UTC().Format("15:04:05.000") }

// Stamp is the line's full time, RFC 3339 in UTC.
func (l logLine) Stamp() string { return l.Time.UTC().Format(time.RFC3339Nano) }

// logOf reads the kept lines of one object, those of level min and above,
// the newest limit of them (0 for all). It reads no API.
func (s *Server) logOf(kind, ns, name string, min logring.Level, limit int) logView {
	v := logView{Kept: s.opts.Logs != nil, Path: objectPath(kind, ns, name) + "/log"}
	if !v.Kept {
		return v
	}
	all := s.opts.Logs.Lines(logring.Key{Kind: kind, Namespace: ns, Name: name})
	v.Total = len(all)
	for _, l := range all {
		if l.Level == logring.LevelError {
			v.Errors++
		}
		if l.Level >= min {
			v.Lines = append(v.Lines, logLine{l})
		}
	}
	if limit > 0 && len(v.Lines) > limit {
		v.Lines, v.More = v.Lines[len(v.Lines)-limit:], true
	}
	return v
}

// objectLogSection is the object page's Log section: the newest lines.
func (s *Server) objectLogSection(k *kind, obj client.Object) logView {
	return s.logOf(k.name, obj.GetNamespace(), obj.GetName(), logring.LevelDebug, objectPageLogLines)
}

// logPage is the data of an object's log page.
type logPage struct {
	Kind            *kind
	Namespace, Name string
	// Gone says the object no longer exists; its lines are kept until the
	// ring drops them.
	Gone bool
	Log  logView
	// Levels are the filters, in order; Max is how many lines are kept of
	// an object.
	Levels []string
	Max    int
}

// objectLog serves an object's kept log lines, at most logring's 200,
// filtered by ?level= (error, info, debug). It reads the object from the
// cache only to say whether it still exists.
func (s *Server) objectLog(w http.ResponseWriter, r *http.Request) {
	k := kindNamed(r.PathValue("kind"))
	if k == nil {
		s.fail(w, r, http.StatusNotFound, "Unknown kind", "ferry's UI shows no kind named "+r.PathValue("kind")+".")
		return
	}
	ns, name := r.PathValue("namespace"), r.PathValue("name")
	p := logPage{Kind: k, Namespace: ns, Name: name, Levels: []string{"error", "info"}, Max: logring.DefaultLines}
	err := s.opts.Reader.Get(r.Context(), client.ObjectKey{Namespace: ns, Name: name}, k.newObject())
	switch {
	case apierrors.IsNotFound(err):
		p.Gone = true
	case err != nil:
		s.listErr(w, r, err)
		return
	}
	level := r.URL.Query().Get("level")
	min, ok := logLevels[level]
	if !ok {
		level = ""
	}
	p.Log = s.logOf(k.name, ns, name, min, 0)
	p.Log.Level = level
	if p.Gone && p.Log.Total == 0 {
		s.fail(w, r, http.StatusNotFound, "Not found", fmt.Sprintf("%s %s/%s does not exist, and no log lines of it are kept.", k.name, ns, name))
		return
	}
	title := "Log of " + k.name + " " + ns + "/" + name
	s.render(w, r, http.StatusOK, "log", page{Title: title, Nav: k.name, LiveKinds: k.name, Data: p})
}
