package script

import (
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	lua "github.com/yuin/gopher-lua"
)

// openMona creates the global server object, visible as `mona` (MonaServer)
// and `cumulus` (CumulusServer): the same table under both names. Methods
// are called with ':' (mona:time()); a call with '.' works as well.
// Unknown members fall back to mona.configs (M1), and epochTime is the
// current time in ms (CU).
func (h *Host) openMona() {
	L := h.L
	h.mona = L.NewTable()
	h.global.RawSetString("mona", h.mona)
	h.global.RawSetString("cumulus", h.mona)

	h.configs = h.newParameterCollection("configs", h.opts.Configs)
	h.arguments = h.newParameterCollection("arguments", h.opts.Arguments)
	env := h.opts.Environment
	if env == nil {
		env = os.Environ()
	}
	envMap := map[string]string{}
	for _, kv := range env {
		if k, v, ok := strings.Cut(kv, "="); ok && k != "" {
			envMap[k] = v
		}
	}
	h.environment = h.newCollection("environment", nil)
	for k, v := range envMap {
		h.environment.set(lua.LString(k), autoType(v))
	}
	h.mona.RawSetString("configs", h.configs.proxy)
	h.mona.RawSetString("arguments", h.arguments.proxy)
	h.mona.RawSetString("environment", h.environment.proxy)

	L.SetFuncs(h.mona, map[string]lua.LGFunction{
		"time":         h.monaTime,
		"toJSON":       h.monaToJSON,
		"fromJSON":     h.monaFromJSON,
		"toQuery":      h.monaToQuery,
		"fromQuery":    h.monaFromQuery,
		"toXML":        h.monaToXML,
		"fromXML":      h.monaFromXML,
		"toXMLRPC":     h.monaToXMLRPC,
		"fromXMLRPC":   h.monaFromXMLRPC,
		"md5":          h.monaDigest(func(b []byte) []byte { s := md5.Sum(b); return s[:] }),
		"sha256":       h.monaDigest(func(b []byte) []byte { s := sha256.Sum256(b); return s[:] }),
		"split":        h.monaSplit,
		"absolutePath": h.monaAbsolutePath,
		"listPaths":    h.monaListPaths,
		"dump":         h.monaDump,
		"toAMF":        h.monaToAMF(true),
		"toAMF0":       h.monaToAMF(false),
		"fromAMF":      h.monaFromAMF,
	})
	h.mona.RawSetString("createMediaWriter", L.NewFunction(h.registerMediaWriter()))
	mt := L.NewTable()
	mt.RawSetString("__index", L.NewFunction(func(L *lua.LState) int {
		key := L.Get(2)
		if key == lua.LString("epochTime") {
			L.Push(lua.LNumber(float64(time.Now().UnixMilli())))
			return 1
		}
		if s, ok := key.(lua.LString); ok {
			if v, ok := h.dynamicMona(L, string(s)); ok {
				L.Push(v)
				return 1
			}
		}
		L.Push(h.configs.get(key))
		return 1
	}))
	L.SetMetatable(h.mona, mt)
}

// newParameterCollection builds an auto-typed collection from "a.b.c" keys;
// dotted keys are also reachable as nested collections (configs["RTMFP.port"]
// and configs.RTMFP.port).
func (h *Host) newParameterCollection(kind string, params map[string]string) *collection {
	root := h.newCollection(kind, nil)
	keys := make([]string, 0, len(params))
	for k := range params {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		v := autoType(params[k])
		root.set(lua.LString(k), v)
		parts := strings.Split(k, ".")
		c := root
		for _, p := range parts[:len(parts)-1] {
			sub, ok := c.get(lua.LString(p)).(*lua.LTable)
			var subColl *collection
			if ok {
				subColl = h.subCollections[sub]
			}
			if subColl == nil {
				subColl = h.newCollection(kind, nil)
				h.subCollections[subColl.proxy] = subColl
				c.set(lua.LString(p), subColl.proxy)
			}
			c = subColl
		}
		if len(parts) > 1 {
			c.set(lua.LString(parts[len(parts)-1]), v)
		}
	}
	return root
}

// args returns the index of the first real argument: 2 after mona:f(),
// 1 after mona.f().
func (h *Host) args(L *lua.LState) int {
	if L.Get(1) == h.mona {
		return 2
	}
	return 1
}

func (h *Host) argValues(L *lua.LState) []lua.LValue {
	first := h.args(L)
	out := make([]lua.LValue, 0, L.GetTop()-first+1)
	for i := first; i <= L.GetTop(); i++ {
		out = append(out, L.Get(i))
	}
	return out
}

func pushAll(L *lua.LState, values []lua.LValue) int {
	for _, v := range values {
		L.Push(v)
	}
	return len(values)
}

// dateLocation is where date tables get their calendar fields: local time
// for MonaServer apps, UTC for Cumulus apps (as the originals do).
func (h *Host) dateLocation(L *lua.LState) *time.Location {
	if _, a := h.callerPosition(L, 1); a != nil && a.flavour == FlavourCumulus {
		return time.UTC
	}
	return time.Local
}

// typedHook returns a collector of typed objects met while deserializing
// and a function calling onTypedObject(type, object) for each of them, in
// the environment of the calling Lua code.
func (h *Host) typedHook(L *lua.LState) (func(*lua.LTable, string), func()) {
	type typed struct {
		t     *lua.LTable
		class string
	}
	var found []typed
	collect := func(t *lua.LTable, class string) { found = append(found, typed{t, class}) }
	fire := func() {
		if len(found) == 0 {
			return
		}
		_, a := h.callerPosition(L, 1)
		if a == nil {
			a = h.root
		}
		fn := h.lookup(a, "onTypedObject")
		if fn == lua.LNil {
			return
		}
		for _, x := range found {
			L.Push(fn)
			L.Push(lua.LString(x.class))
			L.Push(x.t)
			L.Call(2, 0)
		}
	}
	return collect, fire
}

func (h *Host) monaTime(L *lua.LState) int {
	L.Push(lua.LNumber(float64(time.Now().UnixMilli())))
	return 1
}

func (h *Host) monaToJSON(L *lua.LState) int {
	s, err := encodeJSON(h.argValues(L))
	if err != nil {
		L.RaiseError("%v", err)
	}
	L.Push(lua.LString(s))
	return 1
}

func (h *Host) monaFromJSON(L *lua.LState) int {
	text := L.CheckString(h.args(L))
	collect, fire := h.typedHook(L)
	vals, err := decodeJSON(L, []byte(text), h.dateLocation(L), collect)
	if err != nil {
		L.RaiseError("%v", err)
	}
	fire()
	return pushAll(L, vals)
}

func (h *Host) monaToQuery(L *lua.LState) int {
	L.Push(lua.LString(encodeQuery(h.argValues(L))))
	return 1
}

func (h *Host) monaFromQuery(L *lua.LState) int {
	return pushAll(L, decodeQuery(L, L.CheckString(h.args(L)), h.dateLocation(L)))
}

// errorCallback implements the optional first argument of toXML/fromXML: a
// function called with the error message (e.g. error). Without it the
// error is logged and nil returned.
func (h *Host) errorCallback(L *lua.LState, first int) (lua.LValue, int) {
	if fn, ok := L.Get(first).(*lua.LFunction); ok {
		return fn, first + 1
	}
	return lua.LNil, first
}

func (h *Host) failWith(L *lua.LState, cb lua.LValue, err error) int {
	if cb != lua.LNil {
		L.Push(cb)
		L.Push(lua.LString(err.Error()))
		L.Call(1, 0)
	} else {
		pos, _ := h.callerPosition(L, 1)
		h.log.Error("script: "+err.Error(), "lua", pos)
	}
	L.Push(lua.LNil)
	return 1
}

func (h *Host) monaToXML(L *lua.LState) int {
	cb, i := h.errorCallback(L, h.args(L))
	t, ok := L.Get(i).(*lua.LTable)
	if !ok {
		return h.failWith(L, cb, errXMLArg)
	}
	s, err := encodeXML(t)
	if err != nil {
		return h.failWith(L, cb, err)
	}
	L.Push(lua.LString(s))
	return 1
}

func (h *Host) monaFromXML(L *lua.LState) int {
	cb, i := h.errorCallback(L, h.args(L))
	s, ok := L.Get(i).(lua.LString)
	if !ok {
		return h.failWith(L, cb, errXMLArg)
	}
	t, err := decodeXML(L, []byte(s))
	if err != nil {
		return h.failWith(L, cb, err)
	}
	L.Push(t)
	return 1
}

func (h *Host) monaToXMLRPC(L *lua.LState) int {
	s, err := encodeXMLRPC(h.argValues(L))
	if err != nil {
		L.RaiseError("%v", err)
	}
	L.Push(lua.LString(s))
	return 1
}

func (h *Host) monaFromXMLRPC(L *lua.LState) int {
	text := L.CheckString(h.args(L))
	collect, fire := h.typedHook(L)
	vals, err := decodeXMLRPC(L, []byte(text), h.dateLocation(L), collect)
	if err != nil {
		L.RaiseError("%v", err)
	}
	fire()
	return pushAll(L, vals)
}

func (h *Host) monaDigest(sum func([]byte) []byte) lua.LGFunction {
	return func(L *lua.LState) int {
		first, top := h.args(L), L.GetTop()
		for i := first; i <= top; i++ {
			L.Push(lua.LString(sum([]byte(L.CheckString(i)))))
		}
		return top - first + 1
	}
}

// monaSplit: mona:split(expression, separators [, options]) splits on any
// of the separator characters; option 1 drops empty tokens, 2 trims them.
func (h *Host) monaSplit(L *lua.LState) int {
	first := h.args(L)
	expr := L.CheckString(first)
	seps := L.CheckString(first + 1)
	opt := L.OptInt(first+2, 0)
	tokens := []string{expr}
	if seps != "" {
		tokens = splitAny(expr, seps)
	}
	n := 0
	for _, t := range tokens {
		if opt&2 != 0 {
			t = strings.TrimSpace(t)
		}
		if opt&1 != 0 && t == "" {
			continue
		}
		L.Push(lua.LString(t))
		n++
	}
	return n
}

func splitAny(s, seps string) []string {
	var out []string
	start := 0
	for i, r := range s {
		if strings.ContainsRune(seps, r) {
			out = append(out, s[start:i])
			start = i + len(string(r))
		}
	}
	return append(out, s[start:])
}

// monaAbsolutePath: mona:absolutePath(path) → "<www>/<path>/".
func (h *Host) monaAbsolutePath(L *lua.LState) int {
	p := L.OptString(h.args(L), "")
	L.Push(lua.LString(filepath.Join(h.wwwDir, filepath.FromSlash(p)) + string(filepath.Separator)))
	return 1
}

// monaListPaths: mona:listPaths(dir) → array of File tables for the entries
// of www/<dir>.
func (h *Host) monaListPaths(L *lua.LState) int {
	dir := filepath.Join(h.wwwDir, filepath.FromSlash(L.OptString(h.args(L), "")))
	entries, err := os.ReadDir(dir)
	out := L.NewTable()
	if err != nil {
		L.Push(out)
		return 1
	}
	for _, e := range entries {
		info, err := e.Info()
		if err != nil {
			continue
		}
		out.Append(h.newFileObject(L, filepath.Join(dir, e.Name()), info))
	}
	L.Push(out)
	return 1
}

func (h *Host) newFileObject(L *lua.LState, path string, info os.FileInfo) *lua.LTable {
	f := L.NewTable()
	name := info.Name()
	ext := filepath.Ext(name)
	full := path
	if info.IsDir() {
		full += string(filepath.Separator)
	}
	f.RawSetString("name", lua.LString(name))
	f.RawSetString("baseName", lua.LString(strings.TrimSuffix(name, ext)))
	f.RawSetString("extension", lua.LString(strings.TrimPrefix(ext, ".")))
	f.RawSetString("parent", lua.LString(filepath.Dir(path)+string(filepath.Separator)))
	f.RawSetString("size", lua.LNumber(info.Size()))
	f.RawSetString("lastModified", lua.LNumber(float64(info.ModTime().UnixMilli())))
	f.RawSetString("isFolder", lua.LBool(info.IsDir()))
	f.RawSetString("isAbsolute", lua.LTrue)
	f.RawSetString("path", lua.LString(full))
	f.RawSetString("value", lua.LString(full))
	f.Metatable = h.fileMeta()
	return f
}

func (h *Host) fileMeta() *lua.LTable {
	if h.fileMT == nil {
		h.fileMT = h.L.NewTable()
		h.fileMT.RawSetString("__tostring", h.L.NewFunction(func(L *lua.LState) int {
			t := L.CheckTable(1)
			L.Push(t.RawGetString("path"))
			return 1
		}))
	}
	return h.fileMT
}

// monaDump: mona:dump(name, data [, size]) logs a hex dump.
func (h *Host) monaDump(L *lua.LState) int {
	first := h.args(L)
	name := L.CheckString(first)
	data := L.CheckString(first + 1)
	if size := L.OptInt(first+2, len(data)); size >= 0 && size < len(data) {
		data = data[:size]
	}
	pos, _ := h.callerPosition(L, 1)
	h.log.Info("script: dump "+name+"\n"+hex.Dump([]byte(data)), "lua", pos)
	return 0
}
