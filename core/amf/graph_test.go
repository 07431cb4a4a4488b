package amf

import (
	"math"
	"math/rand/v2"
	"testing"
	"time"
)

// randomGraph builds a value graph of random containers that point at each
// other (sharing and cycles included) and random scalars. ECMA arrays are
// left out: inside AMF3 they become arrays by design.
func randomGraph(r *rand.Rand) []any {
	n := 1 + r.IntN(12)
	pool := make([]any, n)
	for i := range pool {
		switch r.IntN(7) {
		case 0:
			pool[i] = &Object{}
		case 1:
			pool[i] = &Object{Class: "C" + string(rune('a'+r.IntN(3)))}
		case 2:
			pool[i] = &Object{Class: "S", Sealed: r.IntN(2) == 0}
		case 3:
			pool[i] = &Array{}
		case 4:
			pool[i] = &VectorObject{TypeName: "T", Fixed: r.IntN(2) == 0}
		case 5:
			pool[i] = &Dictionary{WeakKeys: r.IntN(2) == 0}
		default:
			pool[i] = &Object{Class: ClassObjectProxy, Externalizable: true}
		}
	}
	value := func() any {
		if r.IntN(3) == 0 {
			return pool[r.IntN(n)]
		}
		switch r.IntN(12) {
		case 0:
			return nil
		case 1:
			return Undefined{}
		case 2:
			return r.IntN(2) == 0
		case 3:
			return float64(r.IntN(1<<30) - 1<<29)
		case 4:
			return []float64{0.5, math.NaN(), math.Inf(-1), math.Copysign(0, -1), 1e300}[r.IntN(5)]
		case 5:
			return []string{"", "a", "key", "NetConnection.Connect.Success"}[r.IntN(4)]
		case 6:
			return time.UnixMilli(r.Int64N(1e13) - 5e12).UTC()
		case 7:
			return []byte{byte(r.IntN(256))}
		case 8:
			return XML("<x/>")
		case 9:
			return XMLDocument("<d/>")
		case 10:
			return &VectorInt{Items: []int32{int32(r.Uint32())}}
		default:
			return &VectorDouble{Items: []float64{r.Float64()}}
		}
	}
	keys := []string{"a", "b", "c", "d"}
	for _, c := range pool {
		count := r.IntN(4)
		switch x := c.(type) {
		case *Object:
			if x.Externalizable {
				x.External = value()
				continue
			}
			for i := 0; i < count; i++ {
				x.Members = append(x.Members, Member{keys[i], value()})
			}
			if x.Class == "S" {
				x.SealedCount = count
				if !x.Sealed && count > 0 {
					x.SealedCount = r.IntN(count)
				}
			}
		case *Array:
			for i := 0; i < count; i++ {
				x.Dense = append(x.Dense, value())
			}
			if r.IntN(2) == 0 {
				x.Assoc = append(x.Assoc, Member{"k", value()})
			}
		case *VectorObject:
			for i := 0; i < count; i++ {
				x.Items = append(x.Items, value())
			}
		case *Dictionary:
			for i := 0; i < count; i++ {
				x.Entries = append(x.Entries, DictEntry{value(), value()})
			}
		}
	}
	roots := []any{pool[0]}
	for i := r.IntN(3); i > 0; i-- {
		roots = append(roots, value())
	}
	return roots
}

// Encoding arbitrary graphs built by a program (not decoded from the wire)
// keeps values and sharing, in AMF3, in AMF0 with its AMF3 switches, and
// with PreferAMF3.
func TestRandomGraphsRoundTrip(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 3000; i++ {
		roots := randomGraph(r)
		for mode := 0; mode < 3; mode++ {
			e := NewEncoder(nil)
			var err error
			switch mode {
			case 0:
				for _, v := range roots {
					if err = e.WriteAMF3(v); err != nil {
						break
					}
				}
			case 1:
				err = e.WriteAMF0(roots...)
			case 2:
				e.PreferAMF3 = true
				err = e.WriteAMF0(roots...)
			}
			if err != nil {
				t.Fatalf("graph %d mode %d: encode: %v", i, mode, err)
			}
			got, err := decodeN(e.Bytes(), mode == 0, len(roots))
			if err != nil {
				t.Fatalf("graph %d mode %d: decode: %v\n%x", i, mode, err, e.Bytes())
			}
			if d := explainDiff(&Array{Dense: got}, &Array{Dense: roots}); d != "" {
				t.Fatalf("graph %d mode %d: %s\n%x", i, mode, d, e.Bytes())
			}
		}
	}
}
