//go:build !linux

package graph

// adviseHuge asks for huge pages where the system has a way to (Linux).
func adviseHuge[T any](s []T) {}
