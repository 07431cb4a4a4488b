package script

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestReadmeFirstApp runs the "Writing your first app" example of
// README.md as www/game/main.lua: docs that are executed cannot rot.
func TestReadmeFirstApp(t *testing.T) {
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	blocks := regexp.MustCompile("(?s)```lua\n(.*?)```").FindAllSubmatch(readme, -1)
	if len(blocks) == 0 {
		t.Fatal("README.md has no lua example")
	}
	www := filepath.Join(t.TempDir(), "www")
	writeFiles(t, www, map[string]string{"game/main.lua": string(blocks[0][1])})
	e := startCoreIn(t, www)

	ada := e.connect("rtmfp://host/game", "Ada")
	ada.waitFor("accept")
	ada.call("hello")
	ada.waitFor("result 2 [Hello Ada]")

	anon := e.connect("rtmfp://host/game")
	if got := anon.waitFor("reject"); !strings.Contains(got, "NetConnection.Connect.Rejected") || !strings.Contains(got, "a name is required") {
		t.Fatalf("nameless connection: %q", got)
	}
	if rec := e.logs.find("ERROR"); rec != "" {
		t.Fatalf("the example logged an error: %s", rec)
	}
}
