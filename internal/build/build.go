// Package build holds the version information stamped into the nasx binary.
package build

import "runtime/debug"

// Version is the nasx version. Release builds set it with
// -ldflags "-X github.com/nasx/nasx/internal/build.Version=v1.2.3";
// otherwise it falls back to the module version or "dev".
var Version = ""

// Commit is the VCS revision the binary was built from, if known.
var Commit = ""

func init() {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		if Version == "" {
			Version = "dev"
		}
		return
	}
	if Version == "" {
		Version = info.Main.Version
		if Version == "" || Version == "(devel)" {
			Version = "dev"
		}
	}
	if Commit == "" {
		for _, s := range info.Settings {
			if s.Key == "vcs.revision" {
				Commit = s.Value
			}
		}
	}
}
