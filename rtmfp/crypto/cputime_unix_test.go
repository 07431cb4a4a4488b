//go:build unix

package crypto

import (
	"syscall"
	"testing"
)

// processCPU is the CPU time this process has used, user plus system.
func processCPU() int64 {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}

// reportCPU adds a cpu-ns/op metric to a benchmark that calls it before
// its loop: on a shared machine the CPU time a single-goroutine benchmark
// uses is steadier than its elapsed time.
func reportCPU(b *testing.B) {
	start := processCPU()
	b.Cleanup(func() {
		if b.N > 0 {
			b.ReportMetric(float64(processCPU()-start)/float64(b.N), "cpu-ns/op")
		}
	})
}
