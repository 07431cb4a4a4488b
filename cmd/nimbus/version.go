package main

import (
	"fmt"
	"io"
	"runtime"
	"runtime/debug"
)

func init() {
	register(&command{
		name:    "version",
		summary: "Print the version of nimbus and how it was built.",
		run:     runVersion,
	})
}

func runVersion(e *env, args []string) int {
	if len(args) > 0 {
		fmt.Fprintf(e.stderr, "nimbus version: takes no arguments\n")
		return exitUsage
	}
	writeVersion(e.stdout, version, readBuildInfo())
	return exitOK
}

func readBuildInfo() *debug.BuildInfo {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return nil
	}
	return info
}

// writeVersion prints the release name, then what the build recorded: Go
// version, module version and VCS state when available.
func writeVersion(w io.Writer, release string, info *debug.BuildInfo) {
	if release == "dev" && info != nil && info.Main.Version != "" && info.Main.Version != "(devel)" {
		release = info.Main.Version // built with go install module@version
	}
	fmt.Fprintf(w, "nimbus %s\n", release)
	if info == nil {
		fmt.Fprintf(w, "  go        %s\n", runtime.Version())
		return
	}
	fmt.Fprintf(w, "  go        %s\n", info.GoVersion)
	fmt.Fprintf(w, "  module    %s %s\n", info.Main.Path, info.Main.Version)
	settings := map[string]string{}
	for _, s := range info.Settings {
		settings[s.Key] = s.Value
	}
	if rev := settings["vcs.revision"]; rev != "" {
		line := rev
		if t := settings["vcs.time"]; t != "" {
			line += " " + t
		}
		if settings["vcs.modified"] == "true" {
			line += " (modified)"
		}
		fmt.Fprintf(w, "  revision  %s\n", line)
	}
	fmt.Fprintf(w, "  platform  %s/%s\n", runtime.GOOS, runtime.GOARCH)
}
