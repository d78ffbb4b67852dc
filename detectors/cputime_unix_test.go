//go:build unix

package detectors

import (
	"syscall"
	"time"
)

// cpuTime is the CPU time (user and system) this process has used so far:
// on a loaded machine it measures the work where wall time measures the
// wait for a core.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
