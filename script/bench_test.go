package script

import (
	"testing"

	lua "github.com/yuin/gopher-lua"

	"nimbus/core"
)

// BenchmarkOnCall measures an RPC through the host: AMF args to Lua, the
// protected call under the budget, results back to AMF.
func BenchmarkOnCall(b *testing.B) {
	e := startCore(b, map[string]string{"main.lua": `
		function onConnection(client)
			function client:add(a, b) return a + b end
		end`})
	c := e.connect("rtmfp://host/")
	call := &core.Call{Name: "add", TID: 1, Args: []any{1.0, 2.0}}
	e.onLoop(func() {
		b.ReportAllocs()
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			if _, err := e.h.OnCall(c.c, call); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkEvent measures one application event (lookup + protected call).
func BenchmarkEvent(b *testing.B) {
	th := startHost(b, map[string]string{"main.lua": `n = 0; function tick(x) n = n + x end`})
	th.loop.do(func() {
		b.ReportAllocs()
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			th.h.event(th.h.root, "tick", lua.LNumber(1))
		}
	})
}

// BenchmarkLuaLoop measures the budget's cost on a tight Lua loop.
func BenchmarkLuaLoop(b *testing.B) {
	for _, budget := range []struct {
		name string
		d    int64
	}{{"budget", 0}, {"nobudget", -1}} {
		b.Run(budget.name, func(b *testing.B) {
			th := startHost(b, map[string]string{"main.lua": `function loop() local s = 0; for i = 1, 1e5 do s = s + i end; return s end`},
				func(o *Options) {
					if budget.d < 0 {
						o.Budget = -1
					}
				})
			th.loop.do(func() {
				if budget.d < 0 {
					th.h.L.RemoveContext()
				}
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					th.h.event(th.h.root, "loop")
				}
			})
		})
	}
}

func BenchmarkToJSON(b *testing.B) {
	th := startHost(b, map[string]string{"main.lua": `obj = {name = "x", list = {1, 2, 3, 4}, nested = {a = true, b = "text"}}`})
	th.loop.do(func() {
		v := th.h.lookup(th.h.root, "obj")
		b.ReportAllocs()
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			if _, err := encodeJSON([]lua.LValue{v}); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func BenchmarkDataSet(b *testing.B) {
	th := startHost(b, map[string]string{"main.lua": `function set(i) data.counter = i end`},
		func(o *Options) { o.DataDir = b.TempDir() })
	th.loop.do(func() {
		fn := th.h.lookup(th.h.root, "set")
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			th.h.call(th.h.root, "set", fn, lua.LNumber(i))
		}
		b.StopTimer()
		th.h.SyncData()
	})
}
