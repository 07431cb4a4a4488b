package script

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestLuaScripts runs every testdata/lua/*.lua assert script (after
// prelude.lua) in the root application of a small www tree.
func TestLuaScripts(t *testing.T) {
	prelude, err := os.ReadFile("testdata/lua/prelude.lua")
	if err != nil {
		t.Fatal(err)
	}
	files, err := filepath.Glob("testdata/lua/*.lua")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		if filepath.Base(f) == "prelude.lua" {
			continue
		}
		name := strings.TrimSuffix(filepath.Base(f), ".lua")
		t.Run(name, func(t *testing.T) {
			src, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			th := startHost(t, map[string]string{
				"main.lua":     "",
				"sub/main.lua": "",
			}, func(o *Options) {
				o.Configs = map[string]string{
					"RTMFP.port": "1935", "RTMFP.enabled": "true", "app.name": "nimbus",
					"custom.group.key": "value",
				}
				o.Arguments = map[string]string{"verbose": "true"}
				o.Environment = []string{"NIMBUS_TEST=yes", "PATH=/bin"}
				o.DataDir = filepath.Join(t.TempDir(), "data")
			})
			th.mustRun("", string(prelude))
			if err := th.run("", string(src)); err != nil {
				t.Fatalf("%s: %v\n%s", f, err, stackOf(err))
			}
		})
	}
}
