package amf

import (
	"bytes"
	"fmt"
	"math"
	"time"
	"unsafe"
)

// equalValues reports whether a and b are the same value with the same
// sharing: numbers compare bit for bit (NaN equals NaN, -0 differs from 0),
// and the containers of a map one-to-one onto the containers of b, so a
// cycle matches only a cycle and two references to one object match only
// two references to one object.
func equalValues(a, b any) bool {
	c := comparer{ab: map[any]any{}, ba: map[any]any{}}
	return c.equal(a, b)
}

// explainDiff returns a short description of why a and b differ, or "".
func explainDiff(a, b any) string {
	if equalValues(a, b) {
		return ""
	}
	return fmt.Sprintf("values differ:\n  got  %s\n  want %s", clipText(describe(a, 0)), clipText(describe(b, 0)))
}

func clipText(s string) string {
	if len(s) > 2000 {
		return s[:2000] + "…"
	}
	return s
}

type comparer struct {
	ab, ba map[any]any
}

// pair records that container x corresponds to y. seen reports that x or y
// was paired before; then ok tells whether the earlier pairing agrees.
func (c *comparer) pair(x, y any) (seen, ok bool) {
	px, hasX := c.ab[x]
	py, hasY := c.ba[y]
	if hasX || hasY {
		return true, hasX && hasY && px == y && py == x
	}
	c.ab[x] = y
	c.ba[y] = x
	return false, true
}

func (c *comparer) members(x, y []Member) bool {
	if len(x) != len(y) {
		return false
	}
	for i := range x {
		if x[i].Key != y[i].Key || !c.equal(x[i].Value, y[i].Value) {
			return false
		}
	}
	return true
}

func (c *comparer) list(x, y []any) bool {
	if len(x) != len(y) {
		return false
	}
	for i := range x {
		if !c.equal(x[i], y[i]) {
			return false
		}
	}
	return true
}

func (c *comparer) equal(a, b any) bool {
	switch x := a.(type) {
	case nil:
		return b == nil
	case Undefined:
		_, ok := b.(Undefined)
		return ok
	case bool:
		y, ok := b.(bool)
		return ok && x == y
	case float64:
		y, ok := b.(float64)
		return ok && math.Float64bits(x) == math.Float64bits(y)
	case string:
		y, ok := b.(string)
		return ok && x == y
	case XMLDocument:
		y, ok := b.(XMLDocument)
		return ok && x == y
	case XML:
		y, ok := b.(XML)
		return ok && x == y
	case time.Time:
		y, ok := b.(time.Time)
		return ok && x.Equal(y) && x.IsZero() == y.IsZero()
	case []byte:
		y, ok := b.([]byte)
		if !ok || !bytes.Equal(x, y) {
			return false
		}
		if len(x) == 0 {
			return true
		}
		_, agree := c.pair(unsafe.SliceData(x), unsafe.SliceData(y))
		return agree
	case *Object:
		y, ok := b.(*Object)
		if !ok || x == nil || y == nil {
			return ok && x == y
		}
		if seen, agree := c.pair(x, y); seen {
			return agree
		}
		return x.Class == y.Class && x.SealedCount == y.SealedCount && x.Sealed == y.Sealed &&
			x.Externalizable == y.Externalizable && c.members(x.Members, y.Members) && c.equal(x.External, y.External)
	case *Array:
		y, ok := b.(*Array)
		if !ok || x == nil || y == nil {
			return ok && x == y
		}
		if seen, agree := c.pair(x, y); seen {
			return agree
		}
		return c.list(x.Dense, y.Dense) && c.members(x.Assoc, y.Assoc)
	case *ECMAArray:
		y, ok := b.(*ECMAArray)
		if !ok || x == nil || y == nil {
			return ok && x == y
		}
		if seen, agree := c.pair(x, y); seen {
			return agree
		}
		return x.Count == y.Count && c.members(x.Entries, y.Entries)
	case *VectorInt:
		y, ok := b.(*VectorInt)
		if !ok || x == nil || y == nil {
			return ok && x == y
		}
		if seen, agree := c.pair(x, y); seen {
			return agree
		}
		return x.Fixed == y.Fixed && fmt.Sprint(x.Items) == fmt.Sprint(y.Items)
	case *VectorUint:
		y, ok := b.(*VectorUint)
		if !ok || x == nil || y == nil {
			return ok && x == y
		}
		if seen, agree := c.pair(x, y); seen {
			return agree
		}
		return x.Fixed == y.Fixed && fmt.Sprint(x.Items) == fmt.Sprint(y.Items)
	case *VectorDouble:
		y, ok := b.(*VectorDouble)
		if !ok || x == nil || y == nil {
			return ok && x == y
		}
		if seen, agree := c.pair(x, y); seen {
			return agree
		}
		if x.Fixed != y.Fixed || len(x.Items) != len(y.Items) {
			return false
		}
		for i := range x.Items {
			if math.Float64bits(x.Items[i]) != math.Float64bits(y.Items[i]) {
				return false
			}
		}
		return true
	case *VectorObject:
		y, ok := b.(*VectorObject)
		if !ok || x == nil || y == nil {
			return ok && x == y
		}
		if seen, agree := c.pair(x, y); seen {
			return agree
		}
		return x.TypeName == y.TypeName && x.Fixed == y.Fixed && c.list(x.Items, y.Items)
	case *Dictionary:
		y, ok := b.(*Dictionary)
		if !ok || x == nil || y == nil {
			return ok && x == y
		}
		if seen, agree := c.pair(x, y); seen {
			return agree
		}
		if x.WeakKeys != y.WeakKeys || len(x.Entries) != len(y.Entries) {
			return false
		}
		for i := range x.Entries {
			if !c.equal(x.Entries[i].Key, y.Entries[i].Key) || !c.equal(x.Entries[i].Value, y.Entries[i].Value) {
				return false
			}
		}
		return true
	}
	panic(fmt.Sprintf("equalValues: unexpected type %T", a))
}

// describe prints a value for test failures, bounded in depth so cycles
// terminate.
func describe(v any, depth int) string {
	budget := 200
	return describeBudget(v, depth, &budget)
}

// describeBudget prints at most *budget values, so shared subtrees cannot
// make the output exponential.
func describeBudget(v any, depth int, budget *int) string {
	*budget--
	if depth > 6 || *budget < 0 {
		return "…"
	}
	switch x := v.(type) {
	case *Object:
		if x == nil {
			return "(*Object)(nil)"
		}
		var b bytes.Buffer
		fmt.Fprintf(&b, "&Object{%q sealed=%d/%v ext=%v [", x.Class, x.SealedCount, x.Sealed, x.Externalizable)
		for _, m := range x.Members {
			fmt.Fprintf(&b, "%q:%s ", m.Key, describeBudget(m.Value, depth+1, budget))
		}
		if x.Externalizable {
			fmt.Fprintf(&b, "body=%s", describeBudget(x.External, depth+1, budget))
		}
		b.WriteString("]}")
		return b.String()
	case *Array:
		if x == nil {
			return "(*Array)(nil)"
		}
		var b bytes.Buffer
		b.WriteString("&Array{[")
		for _, item := range x.Dense {
			b.WriteString(describeBudget(item, depth+1, budget) + " ")
		}
		b.WriteString("] {")
		for _, m := range x.Assoc {
			fmt.Fprintf(&b, "%q:%s ", m.Key, describeBudget(m.Value, depth+1, budget))
		}
		b.WriteString("}}")
		return b.String()
	case *ECMAArray:
		if x == nil {
			return "(*ECMAArray)(nil)"
		}
		var b bytes.Buffer
		fmt.Fprintf(&b, "&ECMAArray{%d [", x.Count)
		for _, m := range x.Entries {
			fmt.Fprintf(&b, "%q:%s ", m.Key, describeBudget(m.Value, depth+1, budget))
		}
		b.WriteString("]}")
		return b.String()
	case *VectorObject:
		if x == nil {
			return "(*VectorObject)(nil)"
		}
		var b bytes.Buffer
		fmt.Fprintf(&b, "&VectorObject{%q %v [", x.TypeName, x.Fixed)
		for _, item := range x.Items {
			b.WriteString(describeBudget(item, depth+1, budget) + " ")
		}
		b.WriteString("]}")
		return b.String()
	case *Dictionary:
		if x == nil {
			return "(*Dictionary)(nil)"
		}
		var b bytes.Buffer
		fmt.Fprintf(&b, "&Dictionary{weak=%v [", x.WeakKeys)
		for _, en := range x.Entries {
			fmt.Fprintf(&b, "%s=>%s ", describeBudget(en.Key, depth+1, budget), describeBudget(en.Value, depth+1, budget))
		}
		b.WriteString("]}")
		return b.String()
	case float64:
		return fmt.Sprintf("%v(%#x)", x, math.Float64bits(x))
	case string:
		return fmt.Sprintf("%q", clip(x))
	default:
		return fmt.Sprintf("%T(%v)", v, v)
	}
}
