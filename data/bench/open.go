package bench

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// Options control Open. The zero value is valid: caches live beside the
// source, and nothing is reported.
type Options struct {
	// CacheDir, when set, holds the caches (nasx sets it from $NASX_CACHE).
	// Otherwise a cache lives beside its source, or in UserCacheDir when the
	// source's folder is not writable.
	CacheDir string
	// UserCacheDir is the fallback cache folder (nasx uses
	// os.UserCacheDir()/nasx). Empty means no fallback.
	UserCacheDir string
	// NoCache disables reading and writing caches.
	NoCache bool
	// Progress, if set, is called as the source is read, with the bytes read
	// so far and the source size.
	Progress func(done, total int64)
	// Logf, if set, receives notes: a cache rebuilt and why, a cache that
	// could not be written.
	Logf func(format string, args ...any)
}

func (o Options) logf(format string, args ...any) {
	if o.Logf != nil {
		o.Logf(format, args...)
	}
}

// Format is the on-disk format of a benchmark file.
type Format string

// The formats Open detects.
const (
	FormatNB201JSON Format = "nar-nb201-json"
	FormatNB101JSON Format = "nar-nb101-json"
	FormatTFRecord  Format = "nb101-tfrecord"
)

// Detect reads the start of the file at path and reports its format and
// whether it is gzip-compressed: a JSON object is NAR's NB201 file, a JSON
// list NAR's NB101 file, and a valid TFRecord frame NAS-Bench-101's
// tfrecord.
func Detect(path string) (Format, bool, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", false, fmt.Errorf("bench: %w", err)
	}
	defer f.Close()
	r, gz, err := maybeGzip(bufio.NewReader(f))
	if err != nil {
		return "", false, fmt.Errorf("bench: %s: %w", path, err)
	}
	head := make([]byte, 4096)
	n, err := io.ReadFull(r, head)
	if err != nil && err != io.ErrUnexpectedEOF && err != io.EOF {
		return "", gz, fmt.Errorf("bench: %s: read: %w", path, err)
	}
	head = head[:n]
	if t := bytes.TrimLeft(head, " \t\r\n"); len(t) > 0 {
		switch t[0] {
		case '{':
			return FormatNB201JSON, gz, nil
		case '[':
			return FormatNB101JSON, gz, nil
		}
	}
	if len(head) >= 12 && frameHeaderOK(head[:12]) {
		return FormatTFRecord, gz, nil
	}
	return "", gz, fmt.Errorf("bench: %s: byte offset 0: not a benchmark file nasx reads: %w\n%s", path, ErrFormat, acceptedFiles)
}

// maybeGzip returns a reader of the decompressed stream when br starts with
// the gzip magic bytes 1f 8b, else br itself.
func maybeGzip(br *bufio.Reader) (io.Reader, bool, error) {
	magic, _ := br.Peek(2)
	if len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, true, fmt.Errorf("gzip header: %w", err)
		}
		return zr, true, nil
	}
	return br, false, nil
}

// progressReader reports bytes read.
type progressReader struct {
	r     io.Reader
	done  int64
	total int64
	fn    func(done, total int64)
}

func (p *progressReader) Read(b []byte) (int, error) {
	n, err := p.r.Read(b)
	p.done += int64(n)
	p.fn(p.done, p.total)
	return n, err
}

// Open loads the benchmark file at path, whatever its format (Detect),
// through its cache: a valid cache is read; otherwise the source is decoded
// and a new cache written (a failure to write it is only logged). Errors
// name the file and the record or byte offset.
func Open(path string, opts Options) (Table, error) {
	format, gz, err := Detect(path)
	if err != nil {
		return nil, err
	}
	kind := KindNB101
	if format == FormatNB201JSON {
		kind = KindNB201
	}
	var key sourceKey
	var paths []string
	if !opts.NoCache {
		key, err = keyOf(path)
		if err != nil {
			return nil, fmt.Errorf("bench: %w", err)
		}
		paths = cachePaths(path, opts.CacheDir, opts.UserCacheDir)
		for _, p := range paths {
			t, err := readCache(p, key, kind)
			if err == nil {
				return t, nil
			}
			if !errors.Is(err, os.ErrNotExist) {
				opts.logf("bench: rebuilding cache: %v", err)
			}
		}
	}
	t, err := decodeFile(path, format, gz, opts)
	if err != nil {
		return nil, err
	}
	if !opts.NoCache {
		var werr error
		for _, p := range paths {
			if werr = writeCache(p, key, t.(payloadWriter)); werr == nil {
				break
			}
		}
		if werr != nil {
			opts.logf("bench: could not write a cache for %s (set NASX_CACHE to a writable folder): %v", path, werr)
		}
	}
	return t, nil
}

// decodeFile decodes the source file without any cache.
func decodeFile(path string, format Format, gz bool, opts Options) (Table, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("bench: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("bench: %w", err)
	}
	var src io.Reader = f
	if opts.Progress != nil {
		src = &progressReader{r: f, total: st.Size(), fn: opts.Progress}
	}
	// Expected JSON text size, for reserving memory: NB201 and NB101 JSON
	// compress about 14× with gzip (the shared NB201 file: 58.6 MB in 4.1 MB).
	textSize := st.Size()
	if gz {
		textSize *= 14
	}
	r, _, err := maybeGzip(bufio.NewReaderSize(src, 1<<20))
	if err != nil {
		return nil, fmt.Errorf("bench: %s: %w", path, err)
	}
	where := ""
	if gz {
		where = " (offsets count bytes of the decompressed JSON)"
	}
	var t Table
	switch format {
	case FormatNB201JSON:
		// A compact NB201 record is about 3,750 bytes (58.6 MB / 15,625).
		t, err = decodeNB201(r, int(textSize/3750)+1)
	case FormatNB101JSON:
		// A NAR NB101 record is about 1,690 bytes (717 MB / 423,624).
		t, err = decodeNB101(r, int(textSize/1690)+1)
	case FormatTFRecord:
		where = ""
		if gz {
			where = " (offsets count bytes of the decompressed stream)"
		}
		t, err = decodeTFRecord(r)
	}
	if err != nil {
		return nil, fmt.Errorf("bench: %s: %w%s", path, err, where)
	}
	return t, nil
}

// acceptedFiles lists the files nasx reads and where to get them.
const acceptedFiles = `nasx reads these benchmark files (plain or .gz):
  nasbench201: nasbench201_with_edge_flops_and_params.json (NAR's release, 68 MB)
    https://drive.google.com/file/d/1MeYtWM2n-ZlUDvDyvby1lVj3hA71kZ28/view?usp=sharing
    SHA-256 e462fa2dbff708a0d8e3f8c2bdcd5d843355d9db01cb62c5532331ad0b8ca7af
  nasbench101: nasbench_only108_with_vertex_flops_and_params.json (NAR's release, 717 MB)
    https://drive.google.com/file/d/1hM_wZzkI79tkacl3YL42ZZFAuldmGip5/view?usp=sharing
    SHA-256 ff051bbe69e50490f8092dfc5d020675ed44e932d13619da0b6cc941f77b9c32
  nasbench101: nasbench_only108.tfrecord (NAS-Bench-101's release)
    https://storage.googleapis.com/nasbench/nasbench_only108.tfrecord`

// DefaultNames are the file names Locate looks for, per kind, in order.
var DefaultNames = map[Kind][]string{
	KindNB201: {"nasbench201_with_edge_flops_and_params.json", "nasbench201_with_edge_flops_and_params.json.gz"},
	KindNB101: {"nasbench_only108_with_vertex_flops_and_params.json", "nasbench_only108_with_vertex_flops_and_params.json.gz", "nasbench_only108.tfrecord"},
}

// ErrNoBenchmark is returned (wrapped) by Locate when no file is found.
var ErrNoBenchmark = errors.New("no benchmark file found")

// Locate finds the benchmark file of kind: explicit when set (it must
// exist), else the first of DefaultNames[kind] under <dir>/<kind>/ for each
// of dirs in order (nasx passes $NASX_DATA, then ~/.cache/nasx). The error
// lists the places searched, the accepted files, where to download them and
// their SHA-256.
func Locate(kind Kind, explicit string, dirs ...string) (string, error) {
	if explicit != "" {
		if _, err := os.Stat(explicit); err != nil {
			return "", fmt.Errorf("bench: --bench: %w", err)
		}
		return explicit, nil
	}
	var tried []string
	for _, d := range dirs {
		if d == "" {
			continue
		}
		for _, n := range DefaultNames[kind] {
			p := filepath.Join(d, string(kind), n)
			if _, err := os.Stat(p); err == nil {
				return p, nil
			}
			tried = append(tried, p)
		}
	}
	msg := "no files searched (no --bench, no $NASX_DATA)"
	if len(tried) > 0 {
		msg = "searched:\n  " + strings.Join(tried, "\n  ")
	}
	return "", fmt.Errorf("bench: %w for %s; %s\n%s\nPass --bench FILE, or put the file under $NASX_DATA/%s/", ErrNoBenchmark, kind, msg, acceptedFiles, kind)
}
