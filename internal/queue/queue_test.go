package queue

import (
	"sync"
	"testing"
)

func TestPushPopOrderAndLimit(t *testing.T) {
	q := New[int](3)
	for i := range 3 {
		if !q.Push(i) {
			t.Fatalf("push %d refused", i)
		}
	}
	if q.Push(99) {
		t.Fatal("push beyond the limit accepted")
	}
	got := q.Pop()
	if len(got) != 3 || got[0] != 0 || got[2] != 2 {
		t.Fatalf("pop = %v", got)
	}
	if !q.Push(4) {
		t.Fatal("push after pop refused")
	}
	if got := q.Pop(); len(got) != 1 || got[0] != 4 {
		t.Fatalf("second pop = %v", got)
	}
	q.Close()
	if q.Push(5) {
		t.Fatal("push after close accepted")
	}
}

func TestConcurrentProducers(t *testing.T) {
	const producers, each = 4, 10000
	q := New[int](producers * each)
	var wg sync.WaitGroup
	for p := range producers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				if !q.Push(p*each + i) {
					t.Error("push refused")
					return
				}
			}
		}()
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	seen := make(map[int]bool)
	for len(seen) < producers*each {
		select {
		case <-q.Ready():
		case <-done:
		}
		for _, v := range q.Pop() {
			if seen[v] {
				t.Fatalf("duplicate %d", v)
			}
			seen[v] = true
		}
	}
}

func BenchmarkPushPop(b *testing.B) {
	q := New[func()](1 << 16)
	f := func() {}
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		q.Push(f)
		if i%64 == 63 {
			q.Pop()
		}
	}
}
