package timeline

import (
	"os"
	"path/filepath"
	"testing"
)

// BenchmarkNewParquetWriter is what every part pays for its writer: make
// one, write a row, close it.
func BenchmarkNewParquetWriter(b *testing.B) {
	f, err := os.Create(filepath.Join(b.TempDir(), "x.parquet"))
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	e := testEvent(1, "s")
	var x row
	x.ID, x.Raw, x.Source = e.ID, e.Raw, e.Source
	for b.Loop() {
		f.Seek(0, 0)
		w := newParquetWriter(f, 1000)
		w.Write([]row{x})
		w.Close()
	}
}
