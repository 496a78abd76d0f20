// Package version holds the build identity of the ferry binary.
package version

import "runtime/debug"

// Version is the release of ferry, set at build time with
// -ldflags "-X github.com/ferrycd/ferry/internal/version.Version=v0.1.0".
var Version = "v0.0.0-dev"

// Commit is the Git commit ferry was built from; when it is not set at build
// time it is read from the module's VCS build info where available.
var Commit = ""

// String returns "<version>" or "<version> (<commit>)".
func String() string {
	c := Commit
	if c == "" {
		if info, ok := debug.ReadBuildInfo(); ok {
			for _, s := range info.Settings {
				if s.Key == "vcs.revision" && len(s.Value) >= 12 {
					c = s.Value[:12]
				}
			}
		}
	}
	if c == "" {
		return Version
	}
	return Version + " (" + c + ")"
}
