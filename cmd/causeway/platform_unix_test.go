//go:build unix

package main

import (
	"os"
	"runtime"
	"testing"
)

// TestMemoryDir: a tmpfs is offered only with room to spare in it and in
// memory, never for more than the machine has.
func TestMemoryDir(t *testing.T) {
	if runtime.GOOS != "linux" {
		if memoryDir(1) != "" {
			t.Fatal("a memory directory where there is no /dev/shm")
		}
		t.Skip("/dev/shm and /proc/meminfo are Linux's")
	}
	avail, ok := memAvailable()
	if !ok || avail <= 0 {
		t.Fatalf("MemAvailable: %d, %v", avail, ok)
	}
	if dir := memoryDir(avail); dir != "" {
		t.Errorf("memoryDir(all available memory) = %q, want none: no room to spare", dir)
	}
	if dir := memoryDir(1 << 62); dir != "" {
		t.Errorf("memoryDir(4 EiB) = %q", dir)
	}
	if _, err := os.Stat("/dev/shm"); err == nil && avail > 64<<20 {
		if dir := memoryDir(1 << 20); dir != "/dev/shm" {
			t.Errorf("memoryDir(1 MiB) = %q, want /dev/shm (MemAvailable %d MB)", dir, avail>>20)
		}
	}
}
