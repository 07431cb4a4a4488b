package script

import (
	"fmt"
	"path/filepath"
	"runtime"
	"testing"
)

// BenchmarkClientMemory reports the heap the Lua host adds per connected
// client of an app like www/main.lua (an echo RPC defined in onConnection),
// and of one that also reads client.properties and stores a field.
//
//	go test ./script -run XXX -bench ClientMemory -benchtime 1x
func BenchmarkClientMemory(b *testing.B) {
	apps := map[string]string{
		"echo": `function onConnection(client)
	function client:echo(...) return ... end
end`,
		"properties": `function onConnection(client)
	client.name = client.properties.n
	function client:echo(...) return ... end
end`,
	}
	for _, name := range []string{"echo", "properties"} {
		b.Run(name, func(b *testing.B) {
			const clients = 2000
			www := filepath.Join(b.TempDir(), "www")
			writeFiles(b, www, map[string]string{"main.lua": apps[name]})
			e := startCoreIn(b, www)
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			for i := range clients {
				c := e.connect(fmt.Sprintf("rtmfp://host/?n=%d", i))
				c.waitFor("accept")
			}
			runtime.GC()
			runtime.ReadMemStats(&after)
			b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/clients, "B/client")
		})
	}
}
