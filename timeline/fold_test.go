package timeline

import (
	"bytes"
	"testing"
)

func FuzzContainsFold(f *testing.F) {
	for _, tc := range [][2]string{
		{"Alice read MAILBOX of bob", "mailbox"}, {"aaaaaaaaab", "aab"}, {"AbAbAbAc", "abac"}, {"x", "xy"},
		{"Ünïcode Straße", "straße"}, {"", "a"}, {"abc", ""}, {"9999.Forged", ".f"}, {"bBbBbB", "bbb"},
	} {
		f.Add([]byte(tc[0]), []byte(tc[1]))
	}
	f.Fuzz(func(t *testing.T, s, needle []byte) {
		lower := bytes.ToLower(needle)
		want := bytes.Contains(bytes.ToLower(s), lower)
		if got := containsFold(s, lower); got != want {
			t.Fatalf("containsFold(%q, %q) = %v, want %v", s, lower, got, want)
		}
	})
}

func BenchmarkContainsFold(b *testing.B) {
	s := []byte("arn:aws:iam::111111111111:user/ci-deployer GetObject finance-data/reports/2024/q1.csv (s3.amazonaws.com) from 203.0.113.7")
	needle := []byte("forged")
	b.SetBytes(int64(len(s)))
	for b.Loop() {
		containsFold(s, needle)
	}
}
