//go:build race

package exercise

// followTimeout is how long a browser may take to follow: the race
// detector slows everything several times, so it only checks correctness.
const followTimeout = 5e9
