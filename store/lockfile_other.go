//go:build !unix

package store

// lockFile is a no-op where flock is missing: replicas sharing a SQLite file there must not
// start at the same moment.
func lockFile(string) (func(), error) { return func() {}, nil }
