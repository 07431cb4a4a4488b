package script

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"

	lua "github.com/yuin/gopher-lua"
)

// Generic XML ⇄ Lua (mona:fromXML / mona:toXML, reference §5.3):
//   - the document is a table; the declaration's attributes go to key xml;
//   - an element is a table with __name, its attributes as string keys and
//     its children (elements, and text that is not only white space) in the
//     array part, in order;
//   - each child element is also reachable from its parent by tag name (the
//     first one wins, attributes win over children), and __value is the
//     first child.

func decodeXML(L *lua.LState, text []byte) (*lua.LTable, error) {
	d := xml.NewDecoder(bytes.NewReader(text))
	d.Strict = true
	d.Entity = xml.HTMLEntity
	doc := L.NewTable()
	stack := []*lua.LTable{doc}
	var names []string
	for {
		tok, err := d.RawToken()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("fromXML: %w", err)
		}
		parent := stack[len(stack)-1]
		switch t := tok.(type) {
		case xml.ProcInst:
			if t.Target == "xml" && len(stack) == 1 {
				doc.RawSetString("xml", xmlDeclAttrs(L, string(t.Inst)))
			}
		case xml.StartElement:
			if len(stack) > maxNesting {
				return nil, fmt.Errorf("fromXML: %w", errTooDeep)
			}
			name := xmlName(t.Name)
			e := L.NewTable()
			e.RawSetString("__name", lua.LString(name))
			for _, a := range t.Attr {
				e.RawSetString(xmlName(a.Name), lua.LString(a.Value))
			}
			addXMLChild(parent, e, name)
			stack = append(stack, e)
			names = append(names, name)
		case xml.EndElement:
			if len(names) == 0 || names[len(names)-1] != xmlName(t.Name) {
				return nil, fmt.Errorf("fromXML: unexpected end element </%s>", xmlName(t.Name))
			}
			stack = stack[:len(stack)-1]
			names = names[:len(names)-1]
		case xml.CharData:
			if len(stack) == 1 || len(bytes.TrimSpace(t)) == 0 {
				continue
			}
			addXMLChild(parent, lua.LString(string(t)), "")
		}
	}
	if len(names) != 0 {
		return nil, fmt.Errorf("fromXML: element <%s> not closed", names[len(names)-1])
	}
	return doc, nil
}

func xmlName(n xml.Name) string {
	if n.Space != "" {
		return n.Space + ":" + n.Local
	}
	return n.Local
}

func addXMLChild(parent *lua.LTable, child lua.LValue, name string) {
	n := parent.Len()
	if n == 0 {
		parent.RawSetString("__value", child)
	}
	parent.RawSetInt(n+1, child)
	if name != "" && parent.RawGetString(name) == lua.LNil {
		parent.RawSetString(name, child)
	}
}

// xmlDeclAttrs parses `version="1.0" encoding="UTF-8"`.
func xmlDeclAttrs(L *lua.LState, inst string) *lua.LTable {
	t := L.NewTable()
	for {
		inst = strings.TrimSpace(inst)
		k, rest, ok := strings.Cut(inst, "=")
		if !ok {
			return t
		}
		rest = strings.TrimSpace(rest)
		if rest == "" || (rest[0] != '"' && rest[0] != '\'') {
			return t
		}
		end := strings.IndexByte(rest[1:], rest[0])
		if end < 0 {
			return t
		}
		t.RawSetString(strings.TrimSpace(k), lua.LString(rest[1:1+end]))
		inst = rest[end+2:]
	}
}

var (
	errXMLShape = errors.New("element without __name")
	errXMLArg   = errors.New("bad argument: want a table for toXML, a string for fromXML")
)

// encodeXML writes a document table back: `<?xml k="v" ?>`, then each
// element as `<name k="v" >children</name>` (`<name />` when empty).
func encodeXML(doc *lua.LTable) (string, error) {
	var b strings.Builder
	if decl, ok := doc.RawGetString("xml").(*lua.LTable); ok {
		b.WriteString("<?xml")
		writeXMLAttrs(&b, decl)
		b.WriteString(" ?>")
	}
	visiting := map[*lua.LTable]bool{}
	for i := 1; i <= doc.Len(); i++ {
		if err := writeXMLNode(&b, doc.RawGetInt(i), visiting, 0); err != nil {
			return "", fmt.Errorf("toXML: %w", err)
		}
	}
	return b.String(), nil
}

func writeXMLAttrs(b *strings.Builder, t *lua.LTable) {
	t.ForEach(func(k, v lua.LValue) {
		ks, ok := k.(lua.LString)
		if !ok || strings.HasPrefix(string(ks), "__") {
			return
		}
		var s string
		switch x := v.(type) {
		case lua.LString:
			s = string(x)
		case lua.LNumber:
			s = formatNumber(float64(x))
		case lua.LBool:
			s = x.String()
		default:
			return // child elements reachable by name
		}
		b.WriteByte(' ')
		b.WriteString(string(ks))
		b.WriteString(`="`)
		xmlEscape(b, s, true)
		b.WriteByte('"')
	})
}

func writeXMLNode(b *strings.Builder, v lua.LValue, visiting map[*lua.LTable]bool, depth int) error {
	switch x := v.(type) {
	case lua.LString:
		xmlEscape(b, string(x), false)
		return nil
	case lua.LNumber:
		b.WriteString(formatNumber(float64(x)))
		return nil
	case *lua.LTable:
		if visiting[x] {
			return errCyclic
		}
		if depth >= maxNesting {
			return errTooDeep
		}
		name, ok := x.RawGetString("__name").(lua.LString)
		if !ok || name == "" {
			return errXMLShape
		}
		visiting[x] = true
		defer delete(visiting, x)
		b.WriteByte('<')
		b.WriteString(string(name))
		writeXMLAttrs(b, x)
		n := x.Len()
		value := x.RawGetString("__value")
		if n == 0 && value == lua.LNil {
			b.WriteString(" />")
			return nil
		}
		b.WriteString(" >")
		if n == 0 {
			if err := writeXMLNode(b, value, visiting, depth+1); err != nil {
				return err
			}
		}
		for i := 1; i <= n; i++ {
			child := x.RawGetInt(i)
			if i == 1 && value != lua.LNil && value != child {
				child = value // __value was reassigned: it replaces the first child
			}
			if err := writeXMLNode(b, child, visiting, depth+1); err != nil {
				return err
			}
		}
		b.WriteString("</")
		b.WriteString(string(name))
		b.WriteByte('>')
	}
	return nil
}

func xmlEscape(b *strings.Builder, s string, attr bool) {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '&':
			b.WriteString("&amp;")
		case '<':
			b.WriteString("&lt;")
		case '>':
			b.WriteString("&gt;")
		case '"':
			if attr {
				b.WriteString("&quot;")
			} else {
				b.WriteByte(c)
			}
		default:
			b.WriteByte(c)
		}
	}
}
