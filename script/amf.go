package script

import (
	"errors"
	"io"
	"math"
	"strconv"
	"time"

	lua "github.com/yuin/gopher-lua"

	"nimbus/core/amf"
)

// Lua ↔ AMF value mapping (reference §5.1, §5.2). Shared containers map to
// shared tables and back (AMF references), cycles included.

// Memo keys of AMF values that are not pointers: the decoder returns the
// same slice for a referenced ByteArray.
type (
	dateMemoKey  int64
	bytesMemoKey struct {
		p *byte
		n int
	}
)

// amfToLua converts decoded AMF values into Lua values.
type amfToLua struct {
	L     *lua.LState
	loc   *time.Location
	memo  map[any]*lua.LTable
	typed func(*lua.LTable, string) // collects typed objects for onTypedObject
}

func newAMFToLua(L *lua.LState, loc *time.Location, typed func(*lua.LTable, string)) *amfToLua {
	return &amfToLua{L: L, loc: loc, typed: typed}
}

func (c *amfToLua) cached(key any) (*lua.LTable, bool) {
	t, ok := c.memo[key]
	return t, ok
}

func (c *amfToLua) remember(key any, t *lua.LTable) {
	if c.memo == nil {
		c.memo = map[any]*lua.LTable{}
	}
	c.memo[key] = t
}

func (c *amfToLua) value(v any) lua.LValue {
	L := c.L
	switch x := v.(type) {
	case nil, amf.Undefined:
		return lua.LNil
	case bool:
		return lua.LBool(x)
	case float64:
		return lua.LNumber(x)
	case float32:
		return lua.LNumber(x)
	case int:
		return lua.LNumber(x)
	case int32:
		return lua.LNumber(x)
	case int64:
		return lua.LNumber(x)
	case uint32:
		return lua.LNumber(x)
	case uint64:
		return lua.LNumber(x)
	case string:
		return lua.LString(x)
	case amf.XML:
		return lua.LString(x)
	case amf.XMLDocument:
		return lua.LString(x)
	case time.Time:
		// AMF3 writes a repeated date as a reference: one table again.
		key := dateMemoKey(x.UnixMilli())
		if t, ok := c.cached(key); ok {
			return t
		}
		t := newDateTable(L, x, c.loc)
		c.remember(key, t)
		return t
	case []byte:
		if len(x) == 0 {
			return newBytesTable(L, "")
		}
		key := bytesMemoKey{&x[0], len(x)}
		if t, ok := c.cached(key); ok {
			return t
		}
		t := newBytesTable(L, string(x))
		c.remember(key, t)
		return t
	case *amf.Object:
		if x == nil {
			return lua.LNil
		}
		if t, ok := c.cached(x); ok {
			return t
		}
		if x.Externalizable {
			// MonaServer reads the wrapped value directly (an
			// ArrayCollection becomes its source array).
			inner := c.value(x.External)
			if t, ok := inner.(*lua.LTable); ok {
				c.remember(x, t)
			}
			return inner
		}
		t := L.CreateTable(0, len(x.Members)+1)
		c.remember(x, t)
		for _, m := range x.Members {
			t.RawSetString(m.Key, c.value(m.Value))
		}
		if x.Class != "" {
			t.RawSetString("__type", lua.LString(x.Class))
			if c.typed != nil {
				c.typed(t, x.Class)
			}
		}
		return t
	case *amf.ECMAArray:
		if x == nil {
			return lua.LNil
		}
		if t, ok := c.cached(x); ok {
			return t
		}
		t := L.CreateTable(0, len(x.Entries))
		c.remember(x, t)
		for _, m := range x.Entries {
			// Flash writes the indexed elements of an Array as "0", "1"...
			if i, err := strconv.ParseUint(m.Key, 10, 32); err == nil && uint32(i) < x.Count && strconv.FormatUint(i, 10) == m.Key {
				t.RawSetInt(int(i)+1, c.value(m.Value))
				continue
			}
			t.RawSetString(m.Key, c.value(m.Value))
		}
		return t
	case *amf.Array:
		if x == nil {
			return lua.LNil
		}
		if t, ok := c.cached(x); ok {
			return t
		}
		t := L.CreateTable(len(x.Dense), len(x.Assoc))
		c.remember(x, t)
		for i, e := range x.Dense {
			if lv := c.value(e); lv != lua.LNil {
				t.RawSetInt(i+1, lv)
			}
		}
		for _, m := range x.Assoc {
			t.RawSetString(m.Key, c.value(m.Value))
		}
		return t
	case *amf.VectorInt:
		return c.sequence(x, len(x.Items), func(i int) lua.LValue { return lua.LNumber(x.Items[i]) })
	case *amf.VectorUint:
		return c.sequence(x, len(x.Items), func(i int) lua.LValue { return lua.LNumber(x.Items[i]) })
	case *amf.VectorDouble:
		return c.sequence(x, len(x.Items), func(i int) lua.LValue { return lua.LNumber(x.Items[i]) })
	case *amf.VectorObject:
		return c.sequence(x, len(x.Items), func(i int) lua.LValue { return c.value(x.Items[i]) })
	case *amf.Dictionary:
		if x == nil {
			return lua.LNil
		}
		if t, ok := c.cached(x); ok {
			return t
		}
		t := L.CreateTable(0, len(x.Entries)+1)
		c.remember(x, t)
		n := 0
		for _, e := range x.Entries {
			k := c.value(e.Key)
			if k == lua.LNil {
				continue
			}
			if f, ok := k.(lua.LNumber); ok && math.IsNaN(float64(f)) {
				continue
			}
			t.RawSet(k, c.value(e.Value))
			n++
		}
		t.RawSetString("__size", lua.LNumber(n))
		if x.WeakKeys {
			mt := L.CreateTable(0, 1)
			mt.RawSetString("__mode", lua.LString("k"))
			t.Metatable = mt
		}
		return t
	}
	return lua.LNil
}

func (c *amfToLua) sequence(key any, n int, at func(int) lua.LValue) lua.LValue {
	if t, ok := c.cached(key); ok {
		return t
	}
	t := c.L.CreateTable(n, 0)
	c.remember(key, t)
	for i := 0; i < n; i++ {
		if v := at(i); v != lua.LNil {
			t.RawSetInt(i+1, v)
		}
	}
	return t
}

// luaToAMF converts Lua values into AMF values following §5.2.
type luaToAMF struct {
	memo  map[*lua.LTable]any
	depth int
}

var errUnsupportedLua = errors.New("unsupported Lua value")

func (c *luaToAMF) value(v lua.LValue) (any, error) {
	switch x := v.(type) {
	case lua.LBool:
		return bool(x), nil
	case lua.LNumber:
		return float64(x), nil
	case lua.LString:
		return string(x), nil
	case *lua.LTable:
		return c.table(x)
	}
	return nil, nil // nil, functions, userdata, threads: null
}

func (c *luaToAMF) table(t *lua.LTable) (any, error) {
	if v, ok := c.memo[t]; ok {
		return v, nil
	}
	if c.depth >= maxNesting {
		return nil, errTooDeep
	}
	c.depth++
	defer func() { c.depth-- }()
	if c.memo == nil {
		c.memo = map[*lua.LTable]any{}
	}
	src := t
	if items := hiddenItems(t); items != nil {
		src = items // a collection or a data table: its entries
	}
	kind, n := classify(src)
	switch kind {
	case kindBytes:
		b := []byte(bytesOf(src))
		c.memo[t] = b
		return b, nil
	case kindDate:
		d := dateOf(src)
		c.memo[t] = d
		return d, nil
	case kindDictionary:
		d := &amf.Dictionary{}
		c.memo[t] = d
		if mt, ok := t.Metatable.(*lua.LTable); ok && mt.RawGetString("__mode") == lua.LString("k") {
			d.WeakKeys = true
		}
		var err error
		src.ForEach(func(k, v lua.LValue) {
			if err != nil || k == lua.LString("__size") {
				return
			}
			var ak, av any
			if ak, err = c.value(k); err != nil {
				return
			}
			if av, err = c.value(v); err != nil {
				return
			}
			d.Entries = append(d.Entries, amf.DictEntry{Key: ak, Value: av})
		})
		return d, err
	case kindArray, kindMixed:
		a := &amf.Array{Dense: make([]any, n)}
		c.memo[t] = a
		for i := 1; i <= n; i++ {
			v, err := c.value(src.RawGetInt(i))
			if err != nil {
				return nil, err
			}
			a.Dense[i-1] = v
		}
		if kind == kindMixed {
			members, err := c.members(src, n, "")
			if err != nil {
				return nil, err
			}
			a.Assoc = members
		}
		return a, nil
	}
	o := &amf.Object{}
	c.memo[t] = o
	skip := ""
	if kind == kindTyped {
		class, _ := src.RawGetString("__type").(lua.LString)
		o.Class, skip = string(class), "__type"
	}
	members, err := c.members(src, 0, skip)
	if err != nil {
		return nil, err
	}
	o.Members = members
	return o, nil
}

// members lists the non-dense entries of t as AMF members (numeric keys
// become property names).
func (c *luaToAMF) members(t *lua.LTable, n int, skip string) ([]amf.Member, error) {
	var out []amf.Member
	var err error
	t.ForEach(func(k, v lua.LValue) {
		if err != nil || isDenseKey(k, n) {
			return
		}
		key := keyString(k)
		if key == skip {
			return
		}
		var av any
		if av, err = c.value(v); err == nil {
			out = append(out, amf.Member{Key: key, Value: av})
		}
	})
	return out, err
}

// LuaToAMF converts Lua values for the wire (loop only).
func luaValuesToAMF(values []lua.LValue) ([]any, error) {
	c := &luaToAMF{}
	out := make([]any, len(values))
	for i, v := range values {
		av, err := c.value(v)
		if err != nil {
			return nil, err
		}
		out[i] = av
	}
	return out, nil
}

// encodeAMF serializes Lua values as one AMF0 message; preferAMF3 writes
// objects, arrays and strings the way MonaServer's default writer does.
func encodeAMF(values []lua.LValue, preferAMF3 bool) ([]byte, error) {
	vals, err := luaValuesToAMF(values)
	if err != nil {
		return nil, err
	}
	e := amf.NewEncoder(nil)
	e.PreferAMF3 = preferAMF3
	if err := e.WriteAMF0(vals...); err != nil {
		return nil, err
	}
	return e.Bytes(), nil
}

// decodeAMF reads every AMF0 value (with AMF3 switches) of b.
func decodeAMF(L *lua.LState, b []byte, loc *time.Location, typed func(*lua.LTable, string)) ([]lua.LValue, error) {
	d := amf.NewDecoder(b)
	conv := newAMFToLua(L, loc, typed)
	var out []lua.LValue
	for {
		v, err := d.ReadAMF0()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, err
		}
		out = append(out, conv.value(v))
	}
}

func (h *Host) monaToAMF(preferAMF3 bool) lua.LGFunction {
	name := "toAMF0"
	if preferAMF3 {
		name = "toAMF"
	}
	return func(L *lua.LState) int {
		b, err := encodeAMF(h.argValues(L), preferAMF3)
		if err != nil {
			L.RaiseError("%s: %v", name, err)
		}
		L.Push(lua.LString(b))
		return 1
	}
}

func (h *Host) monaFromAMF(L *lua.LState) int {
	first := h.args(L)
	var b string
	switch v := L.Get(first).(type) {
	case lua.LString:
		b = string(v)
	case *lua.LTable:
		b = bytesOf(v)
	default:
		L.ArgError(first, "bytes expected")
	}
	collect, fire := h.typedHook(L)
	vals, err := decodeAMF(L, []byte(b), h.dateLocation(L), collect)
	if err != nil {
		L.RaiseError("fromAMF: %v", err)
	}
	fire()
	return pushAll(L, vals)
}
