//go:build unix

package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
)

// lockDataDir takes the data directory's lock: one server per directory (two would both
// write the SQLite file and the WAL is not made for two processes' checkpointers), and no
// restore under a running server. The lock is the kernel's (flock): it goes with the
// process, however it ends. release gives it back.
func lockDataDir(dir string) (release func(), err error) {
	f, err := os.OpenFile(filepath.Join(dir, "barnteam.lock"), os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, fmt.Errorf("the data directory %s is in use by a running barnteam; stop it first", dir)
		}
		return nil, err
	}
	return func() { f.Close() }, nil
}
