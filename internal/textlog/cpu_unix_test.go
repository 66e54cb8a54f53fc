//go:build unix

package textlog_test

import "syscall"

// cpuSeconds is the process's user and system CPU time, so that the
// benchmarks can report throughput per CPU second, which other processes on
// a shared machine do not distort the way they distort wall time.
func cpuSeconds() float64 {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return float64(ru.Utime.Nano()+ru.Stime.Nano()) / 1e9
}
