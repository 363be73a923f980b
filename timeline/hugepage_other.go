//go:build !linux

package timeline

// adviseHuge asks for huge pages where the system has a way to (Linux).
func adviseHuge[T any](s []T) {}
