package timeline

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/parquet-go/parquet-go"
)

// TestStatsBuilder compares a part's value counts with counting each row
// naively, for sequences that repeat, alternate, hold empty values and
// pass maxStatsValues.
func TestStatsBuilder(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(1, 2))
	tests := []struct {
		name  string
		value func(i int) string
		n     int
	}{
		{"constant", func(int) string { return "a" }, 1000},
		{"empty and one value", func(i int) string { return []string{"", "x"}[i%2] }, 1000},
		{"runs", func(i int) string { return fmt.Sprint(i / 7 % 5) }, 5000},
		{"alternating five", func(i int) string { return fmt.Sprint("v", i%5) }, 5000},
		{"alternating three with empty", func(i int) string { return []string{"", "b", "c"}[i%3] }, 999},
		{"random of 50", func(int) string { return fmt.Sprint("u", rng.IntN(50)) }, 20000},
		{"random of 4096", func(int) string { return fmt.Sprint("u", rng.IntN(maxStatsValues)) }, 60000},
		{"all distinct, past the limit", func(i int) string { return fmt.Sprint("id-", i) }, maxStatsValues + 10},
		{"exactly the limit", func(i int) string { return fmt.Sprint("id-", i%maxStatsValues) }, 3 * maxStatsValues},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			sb := newStatsBuilder()
			want := map[string]int64{}
			var batch []parquet.Value
			for i := range tc.n {
				v := tc.value(i)
				// Each value is its own copy, as values decoded from a
				// buffer are; one column is given values one by one, the
				// other in batches.
				sb.cols[6].add(string([]byte(v))) // actor
				batch = append(batch, parquet.ByteArrayValue([]byte("s")))
				if len(batch) == 100 || i == tc.n-1 {
					sb.cols[0].addValues(batch) // source
					batch = batch[:0]
				}
				want[v]++
			}
			if len(want) > maxStatsValues {
				want = nil
			}
			c := &sb.cols[6] // actor
			c.settle()
			if diff := cmp.Diff(want, c.countsByValue()); diff != "" {
				t.Errorf("counts (-want +got):\n%s", diff)
			}
			src := &sb.cols[0]
			src.settle()
			if diff := cmp.Diff(map[string]int64{"s": int64(tc.n)}, src.countsByValue()); diff != "" {
				t.Errorf("source counts (-want +got):\n%s", diff)
			}
		})
	}
}
