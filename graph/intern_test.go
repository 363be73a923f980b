package graph

import (
	"testing"
	"unsafe"

	"github.com/causeway-ir/causeway/timeline"
)

// TestInternReusedBytes checks that an uncoded column's values may reuse
// their bytes from batch to batch (timeline.ScanColumns hands out Values
// that last only until its callback returns): the same bytes holding a
// new value must make a new node, not find the last value's node by the
// string's address.
func TestInternReusedBytes(t *testing.T) {
	g := newGraph(Options{})
	buf := []byte("alice@contoso.com")
	col := &timeline.StringColumn{Values: []string{unsafe.String(&buf[0], len(buf))}}
	var c codeColumn
	c.use(col, &caseCodes{})
	a := c.intern(g, 0, kIdentity, 1)
	copy(buf, "carol@contoso.com") // the next batch, in the same bytes
	b := c.intern(g, 0, kIdentity, 2)
	if a == b {
		t.Fatalf("alice and carol are one node (%d): the reused bytes were taken for the old value", a)
	}
	if got := g.value(b); got != "carol@contoso.com" {
		t.Errorf("node %d is %q, want carol@contoso.com", b, got)
	}
	if got := g.value(a); got != "alice@contoso.com" {
		t.Errorf("node %d is %q, want alice@contoso.com (its own copy)", a, got)
	}
}
