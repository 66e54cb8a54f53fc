package pwsh

import (
	"context"
	"fmt"
	"os"
	"slices"
	"testing"
	"time"
)

// BenchmarkCorpus analyses the whole labelled corpus once per iteration,
// with the options 'wuguard script' uses.
func BenchmarkCorpus(b *testing.B) {
	scripts := loadCorpus(b)
	b.ResetTimer()
	for range b.N {
		for _, s := range scripts {
			Analyze(context.Background(), s.Text, nil)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(scripts)), "ns/script")
}

// TestCorpusTiming prints the distribution of the time one script takes,
// over every corpus file after a warm-up pass. It is a measurement, not a
// check, so it runs only when WUGUARD_TIMING=1 (bench/script.sh sets it).
func TestCorpusTiming(t *testing.T) {
	if os.Getenv("WUGUARD_TIMING") != "1" {
		t.Skip("set WUGUARD_TIMING=1 to measure")
	}
	scripts := loadCorpus(t)
	for _, s := range scripts {
		Analyze(context.Background(), s.Text, nil)
	}
	type timing struct {
		d    time.Duration
		path string
		size int
	}
	ts := make([]timing, len(scripts))
	for i, s := range scripts {
		start := time.Now()
		Analyze(context.Background(), s.Text, nil)
		ts[i] = timing{time.Since(start), s.Path, len(s.Text)}
	}
	slices.SortFunc(ts, func(a, b timing) int { return int(a.d - b.d) })
	at := func(q float64) time.Duration { return ts[int(q*float64(len(ts)-1))].d }
	var total time.Duration
	for _, x := range ts {
		total += x.d
	}
	fmt.Printf("scripts %d, total %v\nmedian %v  p90 %v  p99 %v  max %v\n",
		len(ts), total.Round(time.Millisecond), at(0.5), at(0.9), at(0.99), ts[len(ts)-1].d)
	fmt.Println("slowest:")
	for _, x := range ts[max(0, len(ts)-10):] {
		fmt.Printf("  %10v  %8d bytes  %s\n", x.d.Round(time.Microsecond), x.size, x.path)
	}
}
