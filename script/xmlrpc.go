package script

import (
	"bytes"
	"encoding/base64"
	"encoding/xml"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"time"

	lua "github.com/yuin/gopher-lua"
)

// XML-RPC (mona:toXMLRPC / mona:fromXMLRPC). The writer produces a
// methodResponse with one <param> per value; the reader accepts a
// methodResponse or a methodCall (whose methodName comes first).

func encodeXMLRPC(values []lua.LValue) (string, error) {
	var b strings.Builder
	b.WriteString(`<?xml version="1.0"?><methodResponse><params>`)
	visiting := map[*lua.LTable]bool{}
	for _, v := range values {
		b.WriteString("<param>")
		if err := writeRPCValue(&b, v, visiting, 0); err != nil {
			return "", fmt.Errorf("toXMLRPC: %w", err)
		}
		b.WriteString("</param>")
	}
	b.WriteString(`</params></methodResponse>`)
	return b.String(), nil
}

func writeRPCValue(b *strings.Builder, v lua.LValue, visiting map[*lua.LTable]bool, depth int) error {
	b.WriteString("<value>")
	defer b.WriteString("</value>")
	switch x := v.(type) {
	case lua.LBool:
		if x {
			b.WriteString("<boolean>1</boolean>")
		} else {
			b.WriteString("<boolean>0</boolean>")
		}
	case lua.LNumber:
		f := float64(x)
		if f == math.Trunc(f) && f >= math.MinInt32 && f <= math.MaxInt32 {
			b.WriteString("<int>" + strconv.Itoa(int(f)) + "</int>")
		} else {
			b.WriteString("<double>" + formatNumber(f) + "</double>")
		}
	case lua.LString:
		b.WriteString("<string>")
		xmlEscape(b, string(x), false)
		b.WriteString("</string>")
	case *lua.LTable:
		if visiting[x] {
			return errCyclic
		}
		if depth >= maxNesting {
			return errTooDeep
		}
		visiting[x] = true
		defer delete(visiting, x)
		kind, n := classify(x)
		switch kind {
		case kindBytes:
			b.WriteString("<base64>" + base64.StdEncoding.EncodeToString([]byte(bytesOf(x))) + "</base64>")
		case kindDate:
			b.WriteString("<dateTime.iso8601>" + isoDate(dateOf(x)) + "</dateTime.iso8601>")
		case kindArray, kindMixed:
			b.WriteString("<array><data>")
			if kind == kindMixed {
				if err := writeRPCStruct(b, x, n, "", visiting, depth); err != nil {
					return err
				}
			}
			for i := 1; i <= n; i++ {
				if err := writeRPCValue(b, x.RawGetInt(i), visiting, depth+1); err != nil {
					return err
				}
			}
			b.WriteString("</data></array>")
		case kindTyped:
			class, _ := x.RawGetString("__type").(lua.LString)
			b.WriteString(`<struct type="`)
			xmlEscape(b, string(class), true)
			b.WriteString(`">`)
			if err := writeRPCMembers(b, x, 0, "__type", visiting, depth); err != nil {
				return err
			}
			b.WriteString("</struct>")
		default:
			return writeRPCStruct(b, x, 0, "", visiting, depth)
		}
	default:
		b.WriteString("<nil/>")
	}
	return nil
}

func writeRPCStruct(b *strings.Builder, t *lua.LTable, n int, skip string, visiting map[*lua.LTable]bool, depth int) error {
	if n > 0 {
		b.WriteString("<value>")
		defer b.WriteString("</value>")
	}
	b.WriteString("<struct>")
	if err := writeRPCMembers(b, t, n, skip, visiting, depth); err != nil {
		return err
	}
	b.WriteString("</struct>")
	return nil
}

func writeRPCMembers(b *strings.Builder, t *lua.LTable, n int, skip string, visiting map[*lua.LTable]bool, depth int) error {
	var err error
	t.ForEach(func(k, v lua.LValue) {
		if err != nil || isDenseKey(k, n) {
			return
		}
		ks := keyString(k)
		if ks == skip {
			return
		}
		b.WriteString("<member><name>")
		xmlEscape(b, ks, false)
		b.WriteString("</name>")
		err = writeRPCValue(b, v, visiting, depth+1)
		b.WriteString("</member>")
	})
	return err
}

// XML-RPC decoding: a small tree first (bounded by the input), then values.

type rpcNode struct {
	name     string
	attrs    []xml.Attr
	text     strings.Builder
	children []*rpcNode
}

func parseRPCTree(text []byte) (*rpcNode, error) {
	d := xml.NewDecoder(bytes.NewReader(text))
	d.Strict = true
	root := &rpcNode{}
	stack := []*rpcNode{root}
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		top := stack[len(stack)-1]
		switch t := tok.(type) {
		case xml.StartElement:
			if len(stack) > 4*maxNesting {
				return nil, errTooDeep
			}
			n := &rpcNode{name: t.Name.Local, attrs: t.Attr}
			top.children = append(top.children, n)
			stack = append(stack, n)
		case xml.EndElement:
			stack = stack[:len(stack)-1]
		case xml.CharData:
			top.text.Write(t)
		}
	}
	if len(root.children) != 1 {
		return nil, fmt.Errorf("want one root element")
	}
	return root.children[0], nil
}

func (n *rpcNode) child(name string) *rpcNode {
	for _, c := range n.children {
		if c.name == name {
			return c
		}
	}
	return nil
}

type rpcDecoder struct {
	L     *lua.LState
	loc   *time.Location
	typed func(*lua.LTable, string)
}

func decodeXMLRPC(L *lua.LState, text []byte, loc *time.Location, typed func(*lua.LTable, string)) ([]lua.LValue, error) {
	root, err := parseRPCTree(text)
	if err != nil {
		return nil, fmt.Errorf("fromXMLRPC: %w", err)
	}
	d := &rpcDecoder{L: L, loc: loc, typed: typed}
	var out []lua.LValue
	switch root.name {
	case "methodCall":
		if m := root.child("methodName"); m != nil {
			out = append(out, lua.LString(strings.TrimSpace(m.text.String())))
		}
	case "methodResponse":
		if f := root.child("fault"); f != nil {
			if v := f.child("value"); v != nil {
				fv, err := d.value(v)
				if err != nil {
					return nil, err
				}
				out = append(out, fv)
			}
			return out, nil
		}
	default:
		return nil, fmt.Errorf("fromXMLRPC: unexpected root <%s>", root.name)
	}
	if params := root.child("params"); params != nil {
		for _, p := range params.children {
			if p.name != "param" {
				continue
			}
			v := p.child("value")
			if v == nil {
				out = append(out, lua.LNil)
				continue
			}
			lv, err := d.value(v)
			if err != nil {
				return nil, err
			}
			out = append(out, lv)
		}
	}
	return out, nil
}

func (d *rpcDecoder) value(v *rpcNode) (lua.LValue, error) {
	if len(v.children) == 0 {
		return lua.LString(v.text.String()), nil // bare text is a string
	}
	t := v.children[0]
	text := strings.TrimSpace(t.text.String())
	switch t.name {
	case "i4", "int", "double", "i8":
		f, err := strconv.ParseFloat(text, 64)
		if err != nil {
			return nil, fmt.Errorf("fromXMLRPC: bad number %q", text)
		}
		return lua.LNumber(f), nil
	case "boolean":
		return lua.LBool(text == "1" || text == "true"), nil
	case "string":
		return lua.LString(t.text.String()), nil
	case "nil":
		return lua.LNil, nil
	case "dateTime.iso8601":
		tm, ok := parseISODate(text)
		if !ok {
			if tm2, err := time.Parse("20060102T15:04:05", text); err == nil {
				tm, ok = tm2, true
			}
		}
		if !ok {
			return nil, fmt.Errorf("fromXMLRPC: bad date %q", text)
		}
		return newDateTable(d.L, tm, d.loc), nil
	case "base64":
		b, err := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(text), ""))
		if err != nil {
			return nil, fmt.Errorf("fromXMLRPC: bad base64")
		}
		return newBytesTable(d.L, string(b)), nil
	case "array":
		arr := d.L.NewTable()
		data := t.child("data")
		if data == nil {
			return arr, nil
		}
		i := 0
		for _, c := range data.children {
			if c.name != "value" {
				continue
			}
			i++
			lv, err := d.value(c)
			if err != nil {
				return nil, err
			}
			if lv != lua.LNil {
				arr.RawSetInt(i, lv)
			}
		}
		return arr, nil
	case "struct":
		st := d.L.NewTable()
		for _, m := range t.children {
			if m.name != "member" {
				continue
			}
			name, val := m.child("name"), m.child("value")
			if name == nil || val == nil {
				continue
			}
			lv, err := d.value(val)
			if err != nil {
				return nil, err
			}
			st.RawSetString(name.text.String(), lv)
		}
		for _, a := range t.attrs {
			if a.Name.Local == "type" {
				st.RawSetString("__type", lua.LString(a.Value))
				if d.typed != nil {
					d.typed(st, a.Value)
				}
			}
		}
		return st, nil
	}
	return nil, fmt.Errorf("fromXMLRPC: unknown type <%s>", t.name)
}
