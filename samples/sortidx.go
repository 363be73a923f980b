package samples

import "math/bits"

// sortIdx returns the indexes 0..n-1 ordered by key, stably (reusing
// idx's array). Keys are computed once; a few dozen are insertion-sorted,
// more are radix-sorted (least significant byte first, one pass per byte
// in which the keys differ: a stable sort with no comparisons, where at
// scale 100 a day holds most of a million records).
func sortIdx(idx []int, n int, key func(int) int64) []int {
	if cap(idx) < n {
		idx = make([]int, n)
	}
	idx = idx[:n]
	if n == 0 {
		return idx
	}
	if n <= 32 {
		var ks [32]int64
		for i := range n {
			ks[i] = key(i)
			idx[i] = i
		}
		for i := 1; i < n; i++ {
			k, x := ks[i], idx[i]
			j := i
			for ; j > 0 && ks[j-1] > k; j-- {
				ks[j], idx[j] = ks[j-1], idx[j-1]
			}
			ks[j], idx[j] = k, x
		}
		return idx
	}
	type kv struct {
		k uint64
		i int
	}
	buf := make([]kv, 2*n)
	src, dst := buf[:n], buf[n:]
	lo := key(0)
	for i := range n {
		k := key(i)
		src[i].k = uint64(k)
		src[i].i = i
		lo = min(lo, k)
	}
	// Keys relative to the smallest: a day of nanoseconds spans 6 bytes.
	var or uint64
	var counts [8][256]int
	for i := range src {
		src[i].k -= uint64(lo)
		k := src[i].k
		or |= k
		for b := range 8 {
			counts[b][byte(k>>(8*b))]++
		}
	}
	for b := range (bits.Len64(or) + 7) / 8 {
		c := &counts[b]
		if c[byte(src[0].k>>(8*b))] == n {
			continue // every key has the same byte here
		}
		sum := 0
		for d := range c {
			c[d], sum = sum, sum+c[d]
		}
		shift := 8 * b
		for _, e := range src {
			d := byte(e.k >> shift)
			dst[c[d]] = e
			c[d]++
		}
		src, dst = dst, src
	}
	for j, e := range src {
		idx[j] = e.i
	}
	return idx
}
