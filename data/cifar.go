package data

import (
	"archive/tar"
	"bufio"
	"compress/gzip"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"strings"
)

// CIFAR binary layout (https://www.cs.toronto.edu/~kriz/cifar.html, "Binary
// version"): each record is the label byte(s) then 1024 red, 1024 green and
// 1024 blue bytes of a 32×32 image, rows top to bottom.
const (
	cifarPixels     = 3 * 32 * 32 // 3072
	cifarPerBatch   = 10000       // records in each CIFAR-10 data_batch_k.bin / test_batch.bin
	cifar100Train   = 50000       // records in cifar-100-binary/train.bin
	cifar100Test    = 10000       // records in cifar-100-binary/test.bin
	cifar10Classes  = 10
	cifar100Fine    = 100
	cifar100Coarse  = 20
	cifar10Folder   = "cifar-10-batches-bin"
	cifar100Folder  = "cifar-100-binary"
	cifar10Archive  = "cifar-10-binary.tar.gz"
	cifar100Archive = "cifar-100-binary.tar.gz"
)

// CIFAROptions selects what LoadCIFAR reads.
type CIFAROptions struct {
	// Coarse selects the 20 coarse CIFAR-100 labels instead of the 100
	// fine ones (the default). Ignored for CIFAR-10.
	Coarse bool
}

// cifarMember describes one batch file: where its records go.
type cifarMember struct {
	name  string // base name inside the folder
	test  bool   // goes to the test split
	first int    // index of its first record in the split
	count int    // records it must hold
}

type cifarSpec struct {
	name     string // "cifar10" or "cifar100"
	folder   string
	archive  string
	labelLen int // label bytes per record
	labelAt  int // which label byte is the class (CIFAR-100: 0 coarse, 1 fine)
	classes  int
	nTrain   int
	nTest    int
	members  []cifarMember
}

func (s *cifarSpec) recordSize() int { return s.labelLen + cifarPixels }

func cifarSpecFor(name string, opt CIFAROptions) (*cifarSpec, error) {
	switch name {
	case "cifar10":
		s := &cifarSpec{name: name, folder: cifar10Folder, archive: cifar10Archive, labelLen: 1, classes: cifar10Classes,
			nTrain: 5 * cifarPerBatch, nTest: cifarPerBatch}
		for k := 1; k <= 5; k++ {
			s.members = append(s.members, cifarMember{fmt.Sprintf("data_batch_%d.bin", k), false, (k - 1) * cifarPerBatch, cifarPerBatch})
		}
		s.members = append(s.members, cifarMember{"test_batch.bin", true, 0, cifarPerBatch})
		return s, nil
	case "cifar100":
		s := &cifarSpec{name: name, folder: cifar100Folder, archive: cifar100Archive, labelLen: 2, labelAt: 1, classes: cifar100Fine,
			nTrain: cifar100Train, nTest: cifar100Test,
			members: []cifarMember{{"train.bin", false, 0, cifar100Train}, {"test.bin", true, 0, cifar100Test}}}
		if opt.Coarse {
			s.labelAt, s.classes = 0, cifar100Coarse
		}
		return s, nil
	}
	return nil, fmt.Errorf("data: unknown CIFAR variant %q (valid: cifar10, cifar100)", name)
}

// LoadCIFAR reads CIFAR-10 (name "cifar10") or CIFAR-100 ("cifar100") in
// the official binary format. p is either the downloaded archive
// (cifar-10-binary.tar.gz, read in one streaming pass without extracting),
// the extracted folder (cifar-10-batches-bin/), or a folder holding either
// of them. Every batch file must hold exactly its published number of
// records (10,000 per CIFAR-10 batch; 50,000 + 10,000 for CIFAR-100).
func LoadCIFAR(name, p string, opt CIFAROptions) (*Dataset, error) {
	spec, err := cifarSpecFor(name, opt)
	if err != nil {
		return nil, err
	}
	src, isArchive, err := spec.locate(p)
	if err != nil {
		return nil, err
	}
	ds := &Dataset{Name: name, Classes: spec.classes}
	train := NewImages(spec.nTrain, 3, 32, 32)
	test := NewImages(spec.nTest, 3, 32, 32)
	if isArchive {
		err = spec.readArchive(src, train, test)
	} else {
		err = spec.readFolder(src, train, test)
	}
	if err != nil {
		return nil, err
	}
	ds.Train, ds.Test = train, test
	if name == "cifar10" {
		ds.Mean, ds.Std = NormCIFAR10[0], NormCIFAR10[1]
		ds.ClassNames = cifar10Names(src, isArchive)
	} else {
		ds.Mean, ds.Std = NormCIFAR100[0], NormCIFAR100[1]
	}
	return ds, nil
}

// locate resolves p to the archive or the extracted folder.
func (s *cifarSpec) locate(p string) (string, bool, error) {
	fi, err := os.Stat(p)
	if err != nil {
		return "", false, fmt.Errorf("data: %s: %w: %v (set --data-dir, or run `nasx data download %s`)", s.name, ErrNotFound, err, s.name)
	}
	if !fi.IsDir() {
		return p, true, nil
	}
	if _, err := os.Stat(filepath.Join(p, s.members[0].name)); err == nil {
		return p, false, nil
	}
	if fi, err := os.Stat(filepath.Join(p, s.folder)); err == nil && fi.IsDir() {
		return filepath.Join(p, s.folder), false, nil
	}
	if _, err := os.Stat(filepath.Join(p, s.archive)); err == nil {
		return filepath.Join(p, s.archive), true, nil
	}
	return "", false, fmt.Errorf("data: %s: %w: %s holds neither %s/ nor %s (set --data-dir, or run `nasx data download %s`)",
		s.name, ErrNotFound, p, s.folder, s.archive, s.name)
}

func (s *cifarSpec) member(base string) (cifarMember, bool) {
	for _, m := range s.members {
		if m.name == base {
			return m, true
		}
	}
	return cifarMember{}, false
}

func (s *cifarSpec) readFolder(dir string, train, test *Images) error {
	for _, m := range s.members {
		fn := filepath.Join(dir, m.name)
		f, err := os.Open(fn)
		if err != nil {
			return fmt.Errorf("data: %s: %w: %v", s.name, ErrNotFound, err)
		}
		fi, err := f.Stat()
		if err == nil {
			err = s.readMember(bufio.NewReaderSize(f, 1<<20), fi.Size(), m, train, test)
		}
		f.Close()
		if err != nil {
			return fmt.Errorf("data: %s: %s: %w", s.name, fn, err)
		}
	}
	return nil
}

func (s *cifarSpec) readArchive(fn string, train, test *Images) error {
	f, err := os.Open(fn)
	if err != nil {
		return fmt.Errorf("data: %s: %w: %v", s.name, ErrNotFound, err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(bufio.NewReaderSize(f, 1<<20))
	if err != nil {
		return fmt.Errorf("data: %s: %s: not a gzip file: %w (%w; delete it and download again)", s.name, fn, err, ErrFormat)
	}
	// Inflate on one goroutine while this one parses records.
	ra := newReadAhead(zr, 1<<20, 4)
	defer ra.Close()
	tr := tar.NewReader(ra)
	seen := map[string]bool{}
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return fmt.Errorf("data: %s: %s: reading tar after %d of %d batch files: %w (%w: truncated or corrupt archive; delete it and download again)",
				s.name, fn, len(seen), len(s.members), err, ErrFormat)
		}
		if h.Typeflag != tar.TypeReg || path.Dir(path.Clean(h.Name)) != s.folder {
			continue
		}
		m, ok := s.member(path.Base(h.Name))
		if !ok {
			continue
		}
		if err := s.readMember(tr, h.Size, m, train, test); err != nil {
			return fmt.Errorf("data: %s: %s: member %s: %w", s.name, fn, h.Name, err)
		}
		seen[m.name] = true
	}
	var missing []string
	for _, m := range s.members {
		if !seen[m.name] {
			missing = append(missing, s.folder+"/"+m.name)
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("data: %s: %s: archive lacks %s (%w; delete it and download again)", s.name, fn, strings.Join(missing, ", "), ErrFormat)
	}
	return nil
}

// readMember reads the records of one batch file of size bytes from r into
// the split m names.
func (s *cifarSpec) readMember(r io.Reader, size int64, m cifarMember, train, test *Images) error {
	dst := train
	if m.test {
		dst = test
	}
	return parseCIFARRecords(r, size, s.labelLen, s.labelAt, s.classes, m.count, dst.Pix[m.first*cifarPixels:], dst.Labels[m.first:])
}

// parseCIFARRecords reads count records of labelLen label bytes plus 3072
// pixel bytes from r, whose declared length is size, into pix and labels.
// It checks the size, the label range and that r is not truncated, and
// names the record and byte offset of any problem.
func parseCIFARRecords(r io.Reader, size int64, labelLen, labelAt, classes, count int, pix []uint8, labels []int32) error {
	rec := labelLen + cifarPixels
	if size != int64(count)*int64(rec) {
		if size%int64(rec) != 0 {
			return fmt.Errorf("size %d bytes is not a whole number of %d-byte records (%w: want %d records = %d bytes)",
				size, rec, ErrFormat, count, count*rec)
		}
		return fmt.Errorf("holds %d records, want %d (%w: size %d bytes, want %d)", size/int64(rec), count, ErrFormat, size, count*rec)
	}
	if len(pix) < count*cifarPixels || len(labels) < count {
		return fmt.Errorf("internal: destination too small for %d records", count)
	}
	const chunk = 256 // records per read: ~786 KB
	buf := make([]byte, chunk*rec)
	for done := 0; done < count; {
		n := min(chunk, count-done)
		b := buf[:n*rec]
		if got, err := io.ReadFull(r, b); err != nil {
			off := int64(done)*int64(rec) + int64(got)
			return fmt.Errorf("truncated at byte offset %d, record %d of %d: %w (%w; delete it and download again)",
				off, done+got/rec, count, err, ErrFormat)
		}
		for k := 0; k < n; k++ {
			rb := b[k*rec : (k+1)*rec]
			l := rb[labelAt]
			if int(l) >= classes {
				i := done + k
				return fmt.Errorf("record %d at byte offset %d: label %d out of range [0, %d) (%w)", i, int64(i)*int64(rec)+int64(labelAt), l, classes, ErrFormat)
			}
			labels[done+k] = int32(l)
			copy(pix[(done+k)*cifarPixels:(done+k+1)*cifarPixels], rb[labelLen:])
		}
		done += n
	}
	return nil
}

// cifar10Names reads the class names from batches.meta.txt in the folder;
// for an archive (or when absent) it returns the published names.
func cifar10Names(src string, isArchive bool) []string {
	if !isArchive {
		if b, err := os.ReadFile(filepath.Join(src, "batches.meta.txt")); err == nil {
			var names []string
			for _, l := range strings.Split(string(b), "\n") {
				if l = strings.TrimSpace(l); l != "" {
					names = append(names, l)
				}
			}
			if len(names) == cifar10Classes {
				return names
			}
		}
	}
	// The published batches.meta.txt, in label order.
	return []string{"airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"}
}
