//go:build !race

package exercise

// followTimeout is how long a browser may take to follow a change (ux.md:
// every browser follows within a second).
const followTimeout = 1e9
