package bench

import (
	"math"
	"math/bits"
	"sync/atomic"
	"time"
)

// Histogram layout: values below 2^subBits nanoseconds get a bucket each;
// above, every power of two is split into 2^subBits buckets, so a bucket is
// never wider than 1/64 of its lower bound (under 1.6 % error on any
// percentile). Values are capped at maxExp (about 18 minutes).
const (
	subBits    = 6
	subBuckets = 1 << subBits
	maxExp     = 40
	numBuckets = (maxExp-subBits+1)*subBuckets + subBuckets
)

// Histogram records durations in fixed memory (about 18 KiB) with atomic
// counters, so any number of goroutines may record at any rate without
// keeping samples.
type Histogram struct {
	counts [numBuckets]atomic.Uint64
	n      atomic.Uint64
	sum    atomic.Uint64 // nanoseconds; wraps only after 584 years of latency
	max    atomic.Int64
}

func bucketOf(v uint64) int {
	if v < subBuckets {
		return int(v)
	}
	if v >= 1<<(maxExp+1) {
		v = 1<<(maxExp+1) - 1
	}
	e := bits.Len64(v) - 1 // v in [2^e, 2^(e+1)), e >= subBits
	shift := e - subBits
	mant := v >> shift // in [subBuckets, 2*subBuckets)
	return (shift+1)*subBuckets + int(mant) - subBuckets
}

// bucketBounds returns [lo, hi) of bucket i in nanoseconds.
func bucketBounds(i int) (lo, hi uint64) {
	if i < subBuckets {
		return uint64(i), uint64(i) + 1
	}
	shift := i/subBuckets - 1
	mant := uint64(i%subBuckets + subBuckets)
	return mant << shift, (mant + 1) << shift
}

// Record adds one observation; negative durations count as zero.
func (h *Histogram) Record(d time.Duration) {
	v := uint64(max(d, 0))
	h.counts[bucketOf(v)].Add(1)
	h.n.Add(1)
	h.sum.Add(v)
	for {
		m := h.max.Load()
		if int64(v) <= m || h.max.CompareAndSwap(m, int64(v)) {
			return
		}
	}
}

// Count is the number of observations.
func (h *Histogram) Count() uint64 { return h.n.Load() }

// Quantile returns the value below which a fraction q (0..1) of the
// observations fall, as the middle of the bucket holding it; 0 when the
// histogram is empty.
func (h *Histogram) Quantile(q float64) time.Duration {
	n := h.n.Load()
	if n == 0 {
		return 0
	}
	rank := uint64(math.Ceil(q * float64(n)))
	rank = min(max(rank, 1), n)
	var seen uint64
	for i := range h.counts {
		seen += h.counts[i].Load()
		if seen >= rank {
			lo, hi := bucketBounds(i)
			mid := time.Duration(lo + (hi-lo)/2)
			return min(mid, time.Duration(h.max.Load()))
		}
	}
	return time.Duration(h.max.Load())
}

// Latency is a histogram's summary in microseconds.
type Latency struct {
	Count  uint64  `json:"count"`
	MeanUs float64 `json:"mean_us"`
	P50Us  float64 `json:"p50_us"`
	P90Us  float64 `json:"p90_us"`
	P99Us  float64 `json:"p99_us"`
	P999Us float64 `json:"p999_us"`
	MaxUs  float64 `json:"max_us"`
}

func us(d time.Duration) float64 { return float64(d) / float64(time.Microsecond) }

// Summary returns the histogram's count, mean, percentiles and maximum.
func (h *Histogram) Summary() Latency {
	n := h.n.Load()
	if n == 0 {
		return Latency{}
	}
	return Latency{
		Count:  n,
		MeanUs: float64(h.sum.Load()) / float64(n) / 1e3,
		P50Us:  us(h.Quantile(0.50)),
		P90Us:  us(h.Quantile(0.90)),
		P99Us:  us(h.Quantile(0.99)),
		P999Us: us(h.Quantile(0.999)),
		MaxUs:  us(time.Duration(h.max.Load())),
	}
}
