package crypto

import (
	"bytes"
	"sync"
	"testing"
	"time"
)

func TestEphemeralKeysFresh(t *testing.T) {
	k := NewEphemeralKeys(nil, 0)
	now := time.Now()
	a, err := k.Get(Group2, now)
	if err != nil {
		t.Fatal(err)
	}
	b, err := k.Get(Group2, now)
	if err != nil {
		t.Fatal(err)
	}
	if a == b || bytes.Equal(a.Public, b.Public) {
		t.Fatal("key pair reused with a zero window")
	}
	if NewEphemeralKeys(nil, -time.Second).Reuse() != 0 {
		t.Fatal("negative window not treated as zero")
	}
}

func TestEphemeralKeysReuseWindow(t *testing.T) {
	k := NewEphemeralKeys(nil, 10*time.Second)
	t0 := time.Now()
	a, err := k.Get(Group2, t0)
	if err != nil {
		t.Fatal(err)
	}
	same, _ := k.Get(Group2, t0.Add(9*time.Second))
	if same != a {
		t.Fatal("pair not reused inside the window")
	}
	other, _ := k.Get(Group14, t0.Add(time.Second))
	if other == a || other.Group != Group14 {
		t.Fatal("groups share a pair")
	}
	next, _ := k.Get(Group2, t0.Add(10*time.Second))
	if next == a || bytes.Equal(next.Public, a.Public) {
		t.Fatal("pair reused at the end of its window")
	}
	if again, _ := k.Get(Group2, t0.Add(15*time.Second)); again != next {
		t.Fatal("replacement pair not reused")
	}
	if g14, _ := k.Get(Group14, t0.Add(5*time.Second)); g14 != other {
		t.Fatal("group 14 pair lost when group 2 was replaced")
	}
}

// TestEphemeralKeysBounded: pairs of Group values built by a caller are
// handed out but the kept set stays bounded.
func TestEphemeralKeysBounded(t *testing.T) {
	k := NewEphemeralKeys(nil, time.Hour)
	now := time.Now()
	for range 3 * maxReusedGroups {
		g := *Group2
		if _, err := k.Get(&g, now); err != nil {
			t.Fatal(err)
		}
	}
	if len(k.pairs) != maxReusedGroups {
		t.Fatalf("%d pairs kept, want %d", len(k.pairs), maxReusedGroups)
	}
}

func TestEphemeralKeysConcurrent(t *testing.T) {
	k := NewEphemeralKeys(nil, time.Hour)
	now := time.Now()
	keys := make([]*PrivateKey, 16)
	var wg sync.WaitGroup
	for i := range keys {
		wg.Go(func() {
			key, err := k.Get(Group2, now)
			if err != nil {
				t.Error(err)
			}
			keys[i] = key
		})
	}
	wg.Wait()
	// Callers that raced the first generation may hold their own pair;
	// from then on everybody gets the kept one.
	kept, _ := k.Get(Group2, now)
	for range 4 {
		if again, _ := k.Get(Group2, now.Add(time.Minute)); again != kept {
			t.Fatal("kept pair not reused")
		}
	}
	for _, key := range keys {
		if key == nil || len(key.Public) != Group2.Size {
			t.Fatal("bad key from a concurrent call")
		}
	}
}
