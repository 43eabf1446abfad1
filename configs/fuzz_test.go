package configs

import "testing"

// FuzzDecodeRank: no JSON input makes decoding or validation panic.
func FuzzDecodeRank(f *testing.F) {
	f.Add(narNB201)
	f.Add(narNB101)
	f.Add([]byte(`{"search": {"top_k": [1, -5]}, "train": {"batch": 0}}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := decodeRank(b, DefaultRankNB201())
		if err == nil {
			_ = r.Validate()
		}
	})
}
