package main

import (
	"fmt"
	"syscall"
)

// raiseFDLimit lifts the open-files limit to at least want (the hard limit too, when
// running as root), and says so when it cannot. A server started by the generator
// inherits the limit.
func raiseFDLimit(want uint64) string {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		return fmt.Sprintf("cannot read the open-files limit: %v", err)
	}
	if lim.Cur >= want {
		return ""
	}
	n := lim
	n.Cur = want
	if n.Max < want {
		n.Max = want
	}
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &n); err == nil {
		return fmt.Sprintf("open-files limit raised from %d to %d", lim.Cur, want)
	}
	n = lim
	n.Cur = lim.Max
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &n); err != nil {
		return fmt.Sprintf("cannot raise the open-files limit (%d): %v; connections beyond it will fail", lim.Cur, err)
	}
	return fmt.Sprintf("open-files limit raised only to the hard limit %d (want %d): connections beyond it will fail", lim.Max, want)
}
