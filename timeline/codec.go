package timeline

import (
	"slices"

	"github.com/klauspost/compress/s2"
	"github.com/klauspost/compress/snappy"
	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/compress"
	"github.com/parquet-go/parquet-go/encoding"
	"github.com/parquet-go/parquet-go/format"
)

// rawCodec compresses the raw column: Snappy blocks made by s2's fast
// Snappy-compatible encoder. Raw records are most of a part's bytes, and
// zstd (even at its fastest level, on 64 KiB pages) spent a quarter of an
// import's CPU on them: s2 encodes CloudTrail JSON about five times as fast
// for about 1.45x the bytes (3.4 against 4.96 to one). Any Parquet reader
// reads the column, since the blocks are plain Snappy; parquet-go's own
// Snappy codec encodes with s2's slower "better" mode, hence this one.
type rawCodec struct{}

func (rawCodec) String() string                            { return "SNAPPY" }
func (rawCodec) CompressionCodec() format.CompressionCodec { return format.Snappy }

func (rawCodec) Encode(dst, src []byte) ([]byte, error) {
	if n := s2.MaxEncodedLen(len(src)); cap(dst) < n {
		dst = make([]byte, n)
	}
	return s2.EncodeSnappy(dst[:cap(dst)], src), nil
}

func (rawCodec) Decode(dst, src []byte) ([]byte, error) {
	n, err := snappy.DecodedLen(src)
	if err != nil {
		return dst[:0], err
	}
	if cap(dst) < n {
		dst = make([]byte, n)
	}
	return snappy.Decode(dst[:n], src)
}

// snappyColumns are the columns compressed with rawCodec instead of zstd:
// the raw record; ids that zstd cannot shrink (provider GUIDs: zstd kept
// 100.02 % of them in a CloudTrail part, after spending as much CPU on them
// as on the rest of the small columns); and the message, half of zstd's
// input, which Snappy still shrinks 5x for a quarter of the CPU.
var snappyColumns = [...]string{"raw", "id", "correlation_id", "message"}

// deltaColumns are the int64 columns written DELTA_BINARY_PACKED: the time
// (a part is sorted by it) and the offset (ascending within a file), a few
// bits a value before compression instead of eight bytes.
var deltaColumns = [...]string{"time", "offset"}

// rowSchema is row's Parquet schema as parts are written (see
// snappyColumns and deltaColumns).
func rowSchema() *parquet.Schema {
	with := map[string]fieldWith{}
	for _, c := range snappyColumns {
		with[c] = fieldWith{codec: rawCodec{}}
	}
	for _, c := range deltaColumns {
		with[c] = fieldWith{enc: &parquet.DeltaBinaryPacked}
	}
	return rowSchemaWith(with)
}

// rowSchemaWith is row's Parquet schema with the encodings and codecs of
// some columns replaced. It keeps row's columns, their order and types, so
// parquet-go still writes rows through its direct struct path (which
// compares schemas without encodings or compression).
func rowSchemaWith(with map[string]fieldWith) *parquet.Schema {
	base := parquet.SchemaOf(row{})
	fields := slices.Clone(base.Fields())
	for i, f := range fields {
		if w, ok := with[f.Name()]; ok {
			w.Field = f
			fields[i] = w
		}
	}
	return parquet.NewSchema(base.Name(), fieldsGroup{base, fields})
}

// fieldsGroup is a group node with replaced fields, in their order (a
// parquet.Group is a map and would sort them by name).
type fieldsGroup struct {
	parquet.Node
	fields []parquet.Field
}

func (g fieldsGroup) Fields() []parquet.Field { return g.fields }

// fieldWith is a field with its own encoding or codec (where not nil).
type fieldWith struct {
	parquet.Field
	enc   encoding.Encoding
	codec compress.Codec
}

func (f fieldWith) Encoding() encoding.Encoding {
	if f.enc != nil {
		return f.enc
	}
	return f.Field.Encoding()
}

func (f fieldWith) Compression() compress.Codec {
	if f.codec != nil {
		return f.codec
	}
	return f.Field.Compression()
}
