//go:build !unix

package textlog_test

// cpuSeconds is not measured on this platform; the benchmarks then report
// wall-clock throughput only.
func cpuSeconds() float64 { return 0 }
