package graph

import (
	"math/rand/v2"
	"testing"
	"unsafe"
)

// TestFirstTimes checks firstTimes against a map through several growths,
// with keys that repeat, times out of order and the zero key.
func TestFirstTimes(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	var m firstTimes
	want := map[uint64]int64{}
	for i := range 200_000 {
		key := uint64(r.IntN(50_000))<<32 | uint64(r.IntN(4))
		if i == 0 {
			key = 0
		}
		tm := r.Int64N(1_000_000) - 500_000
		m.note(key, tm)
		if old, ok := want[key]; !ok || tm < old {
			want[key] = tm
		}
	}
	if m.n != len(want) {
		t.Fatalf("%d keys, want %d", m.n, len(want))
	}
	for key, w := range want {
		if got, ok := m.get(key); !ok || got != w {
			t.Fatalf("key %x: got %d %v, want %d", key, got, ok, w)
		}
	}
	for _, key := range []uint64{1 << 60, 50_000 << 32} {
		if _, ok := m.get(key); ok {
			t.Errorf("key %x found, never noted", key)
		}
	}
	var empty firstTimes
	if _, ok := empty.get(0); ok {
		t.Error("empty table found a key")
	}
}

// TestTokenFactSize checks that a token's facts stay 56 bytes (millions of
// tokens in a real case): a field added or moved shows here.
func TestTokenFactSize(t *testing.T) {
	if n := unsafe.Sizeof(tokenFact{}); n != 56 {
		t.Errorf("a tokenFact is %d bytes, want 56", n)
	}
}
