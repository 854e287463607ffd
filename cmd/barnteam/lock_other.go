//go:build !unix

package main

// lockDataDir does nothing where flock is not available: run one server per data
// directory, and stop it before a restore.
func lockDataDir(dir string) (release func(), err error) { return func() {}, nil }
