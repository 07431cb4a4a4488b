package script

import (
	"os"
	"path/filepath"
	"strings"

	lua "github.com/yuin/gopher-lua"
)

// openInclude gives app a its own require, dofile and loadfile (reference
// §1.7): relative names are searched in the app's folder, then in each
// ancestor app's folder, then as a plain path; the chunk runs in the
// environment of the app in whose folder it was found. require applies this
// only to names ending in ".lua" (re-executed on every call, not cached);
// other names go to the standard require.
func (h *Host) openInclude(a *app) {
	L := h.L
	load := func(L *lua.LState, name string) (*lua.LFunction, string) {
		file, owner := h.findInclude(a, name)
		if file == "" {
			return nil, "cannot find " + name
		}
		src, err := os.ReadFile(file)
		if err != nil {
			return nil, "cannot read " + name + ": " + err.Error()
		}
		chunk := h.chunkName(file)
		proto, err := compileSource(src, chunk)
		if err != nil {
			return nil, syntaxError(owner.path, name, chunk, err).Text
		}
		fn := L.NewFunctionFromProto(proto)
		fn.Env = owner.env
		return fn, ""
	}
	loadfile := func(L *lua.LState) int {
		fn, msg := load(L, L.CheckString(1))
		if fn == nil {
			L.Push(lua.LNil)
			L.Push(lua.LString(msg))
			return 2
		}
		L.Push(fn)
		return 1
	}
	run := func(L *lua.LState, name string, emptyResult lua.LValue) int {
		fn, msg := load(L, name)
		if fn == nil {
			L.RaiseError("%s", msg)
		}
		top := L.GetTop()
		L.Push(fn)
		L.Call(0, lua.MultRet)
		n := L.GetTop() - top
		if n == 0 && emptyResult != nil {
			L.Push(emptyResult)
			return 1
		}
		return n
	}
	a.layer.RawSetString("loadfile", L.NewFunction(loadfile))
	a.layer.RawSetString("dofile", L.NewFunction(func(L *lua.LState) int {
		return run(L, L.CheckString(1), nil)
	}))
	a.layer.RawSetString("require", L.NewFunction(func(L *lua.LState) int {
		name := L.CheckString(1)
		if !strings.HasSuffix(name, ".lua") {
			L.Push(h.global.RawGetString("require"))
			L.Push(lua.LString(name))
			L.Call(1, 1)
			return 1
		}
		return run(L, name, lua.LTrue)
	}))
}

// findInclude resolves an include name for app a: the app's folder, then
// each ancestor's, then the plain path. It returns the file and the app
// whose environment the chunk gets.
func (h *Host) findInclude(a *app, name string) (string, *app) {
	if name == "" {
		return "", nil
	}
	if filepath.IsAbs(name) {
		if isFile(name) {
			owner := a
			if o := h.appOfFile(name); o != nil {
				owner = o
			}
			return name, owner
		}
		return "", nil
	}
	for x := a; x != nil; x = x.parent {
		p := filepath.Join(x.dir, filepath.FromSlash(name))
		if isFile(p) {
			return p, x
		}
	}
	if isFile(name) {
		abs, err := filepath.Abs(name)
		if err == nil {
			return abs, a
		}
	}
	return "", nil
}

// appOfFile returns the loaded app whose folder directly contains file.
func (h *Host) appOfFile(file string) *app {
	dir := filepath.Dir(file)
	rel, err := filepath.Rel(h.wwwDir, dir)
	if err != nil || strings.HasPrefix(rel, "..") {
		return nil
	}
	path := ""
	if rel != "." {
		path = "/" + filepath.ToSlash(rel)
	}
	return h.apps[path]
}

func isFile(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.Mode().IsRegular()
}
