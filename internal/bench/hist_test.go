package bench

import (
	"math"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
	"time"
)

func TestBucketsCoverAndOrder(t *testing.T) {
	prevHi := uint64(0)
	for i := 0; i < numBuckets; i++ {
		lo, hi := bucketBounds(i)
		if lo != prevHi || hi <= lo {
			t.Fatalf("bucket %d: [%d, %d) after %d", i, lo, hi, prevHi)
		}
		if bucketOf(lo) != i || bucketOf(hi-1) != i {
			t.Fatalf("bucket %d: bucketOf(%d)=%d bucketOf(%d)=%d", i, lo, bucketOf(lo), hi-1, bucketOf(hi-1))
		}
		if lo >= subBuckets && float64(hi-lo)/float64(lo) > 1.0/subBuckets+1e-12 {
			t.Fatalf("bucket %d too wide: [%d, %d)", i, lo, hi)
		}
		prevHi = hi
	}
	if bucketOf(math.MaxUint64) != numBuckets-1 {
		t.Fatal("huge values do not land in the last bucket")
	}
}

func TestQuantilesWithinPrecision(t *testing.T) {
	var h Histogram
	rng := rand.New(rand.NewPCG(1, 2))
	samples := make([]time.Duration, 100000)
	for i := range samples {
		// Log-uniform from 1 µs to 1 s.
		samples[i] = time.Duration(math.Exp(rng.Float64()*math.Log(1e6)) * 1e3)
		h.Record(samples[i])
	}
	slices.Sort(samples)
	for _, q := range []float64{0.5, 0.9, 0.99, 0.999} {
		want := samples[int(math.Ceil(q*float64(len(samples))))-1]
		got := h.Quantile(q)
		if rel := math.Abs(float64(got-want)) / float64(want); rel > 0.02 {
			t.Errorf("q%v: got %v want %v (%.3f)", q, got, want, rel)
		}
	}
	if got := h.Summary(); got.Count != uint64(len(samples)) || got.MaxUs != us(samples[len(samples)-1]) {
		t.Errorf("summary %+v", got)
	}
}

func TestHistogramConcurrentAndEmpty(t *testing.T) {
	var h Histogram
	if h.Quantile(0.5) != 0 || h.Summary().Count != 0 {
		t.Fatal("empty histogram not zero")
	}
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 1000 {
				h.Record(time.Duration(g*1000+i) * time.Microsecond)
			}
		})
	}
	wg.Wait()
	if h.Count() != 8000 || time.Duration(h.Summary().MaxUs)*time.Microsecond != 7999*time.Microsecond {
		t.Fatalf("count %d max %v", h.Count(), h.Summary().MaxUs)
	}
	h.Record(-time.Second)
	if h.Count() != 8001 {
		t.Fatal("negative duration not recorded")
	}
}
