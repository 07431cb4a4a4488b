package script

import (
	"crypto/md5"
	"encoding/hex"
	"os"
	"path/filepath"
	"testing"
)

func md5hex(s string) string {
	h := md5.Sum([]byte(s))
	return hex.EncodeToString(h[:])
}

// TestDataDatabases is the equivalent of MonaServer's LUATests/Databases,
// with its fixture files in MonaServer's disk layout, plus persistence
// across a restart.
func TestDataDatabases(t *testing.T) {
	root := t.TempDir()
	www, data := filepath.Join(root, "www"), filepath.Join(root, "data")
	writeFiles(t, data, map[string]string{
		"LUATests/Databases/init/" + md5hex("true"):        "true",
		"LUATests/Databases/subdir/init/" + md5hex("true"): "true",
	})
	writeFiles(t, www, map[string]string{
		"main.lua": "",
		"LUATests/Databases/main.lua": `
			child = children("subdir")
			function run()
				-- initialization from the fixture files (re-typed)
				assert(data.init == true)
				assert(#data == 1 and data.count == 1)
				assert(data.subdir.init == true)
				assert(#data.subdir == 1)
				-- numbers are stored as strings
				data.number = 10
				assert(data.number ~= 10 and data.number == "10" and data["number"] == "10")
				data.number = data.number + 1
				assert(data.number == "11")
				assert(#data == 2)
				data.number = nil
				-- arrays: numeric keys are strings
				data.table = nil
				data.table = {1, 2, 3, 4, 5}
				assert(data.table["1"] == "1")
				local i = 1
				while i <= #data.table do assert(data.table[i] == "" .. i); i = i + 1 end
				assert(i == 6)
				data.table = nil
				assert(data.table == nil and data["table"] == nil)
				-- hashes
				data.hash = {a = "one", b = "two", c = {c1 = "three"}}
				assert(data.hash.a == "one" and data.hash["b"] == "two")
				assert(data.hash.c.c1 == "three" and data.hash["c"]["c1"] == "three")
				-- assigning over a sub-table is refused
				data.hash = {x = 1}
				assert(data.hash.a == "one", "refused")
				data.hash = nil
				assert(data.hash == nil)
				-- sub-application data
				child.testNumber()
				assert(data.subdir.number == "12")
				assert(#data.subdir == 2)
				data.subdir.number = nil
				assert(#data.subdir == 1)
				assert(#data == 1)
				-- pairs, booleans
				data.flag = false
				local n = 0
				for k, v in pairs(data) do n = n + 1 end
				assert(n == 3, n) -- init, flag, subdir
				-- keep some values for the restart
				data.kept = 42
				data.keptTable = {x = "1", deep = {y = true}}
				data.flag = nil
				fails = pcall(function() data.f = print end)
				assert(not fails, "functions cannot be stored")
			end`,
		"LUATests/Databases/subdir/main.lua": `
			function testNumber()
				data.number = 11
				data.number = data.number + 1
				assert(super.data.subdir == data)
			end`,
	})
	dataOpt := func(o *Options) { o.DataDir = data }
	th := startHostIn(t, www, dataOpt)
	th.mustRun("/LUATests/Databases", "run()")
	if th.logs.find("ERROR", "cannot assign over the existing sub-table hash") == "" {
		t.Errorf("refusal not logged:\n%s", th.logs.all())
	}
	th.loop.do(func() {
		if err := th.h.Close(); err != nil {
			t.Fatal(err)
		}
	})
	// MonaServer layout on disk.
	if _, err := os.Stat(filepath.Join(data, "LUATests/Databases/kept", md5hex("42"))); err != nil {
		t.Fatal(err)
	}

	th2 := startHostIn(t, www, dataOpt)
	th2.mustRun("/LUATests/Databases", `
		assert(data.kept == 42, "re-typed after restart: " .. tostring(data.kept))
		assert(data.keptTable.x == 1 and data.keptTable.deep.y == true)
		assert(data.number == nil and data.hash == nil and data.table == nil and data.flag == nil)
		assert(data.subdir.init == true and data.subdir.number == nil)
		assert(super.super.data.LUATests.Databases == data, "parent reaches child data by name")
	`)
}
