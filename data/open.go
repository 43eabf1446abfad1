package data

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// Names lists the datasets Open reads.
var Names = []string{"cifar10", "cifar100", "imagenet16", "imagenet", "imagefolder", "synthetic"}

// OpenOptions configures Open.
type OpenOptions struct {
	// Dir is the dataset folder (or, for CIFAR, the archive itself).
	// Ignored for synthetic; required otherwise.
	Dir string
	// Download fetches a missing CIFAR archive into Dir first.
	Download bool
	// Downloader fetches archives; nil means a default Downloader.
	Downloader *Downloader
	// Remote overrides the archive fetched (mirrors with their own
	// checksum, tests); the zero value means RemoteFor(name).
	Remote Remote
	// Coarse selects CIFAR-100's 20 coarse labels.
	Coarse bool
	// ImageNet16Classes keeps ImageNet16 labels ≤ it; 0 means 120.
	ImageNet16Classes int
	// Synthetic configures the synthetic set; the zero value means
	// DefaultSynthetic().
	Synthetic SyntheticConfig
}

// Open reads the named dataset (one of Names).
func Open(ctx context.Context, name string, opt OpenOptions) (*Dataset, error) {
	if name != "synthetic" && opt.Dir == "" {
		return nil, fmt.Errorf("data: %s: no folder given (set --data-dir or NASX_DATA)", name)
	}
	switch name {
	case "cifar10", "cifar100":
		spec, err := cifarSpecFor(name, CIFAROptions{Coarse: opt.Coarse})
		if err != nil {
			return nil, err
		}
		if _, _, err := spec.locate(opt.Dir); errors.Is(err, ErrNotFound) && opt.Download {
			r, _ := RemoteFor(name)
			if opt.Remote != (Remote{}) {
				r = opt.Remote
			}
			d := opt.Downloader
			if d == nil {
				d = &Downloader{}
			}
			if err := d.Fetch(ctx, r, filepath.Join(opt.Dir, r.File())); err != nil {
				return nil, err
			}
		}
		return LoadCIFAR(name, opt.Dir, CIFAROptions{Coarse: opt.Coarse})
	case "imagenet16":
		c := opt.ImageNet16Classes
		if c == 0 {
			c = ImageNet16Classes
		}
		return LoadImageNet16(opt.Dir, c)
	case "imagenet":
		return LoadImageNet(opt.Dir)
	case "imagefolder":
		return LoadImageFolder(opt.Dir)
	case "synthetic":
		cfg := opt.Synthetic
		if cfg == (SyntheticConfig{}) {
			cfg = DefaultSynthetic()
		}
		return Synthetic(cfg)
	}
	return nil, fmt.Errorf("data: unknown dataset %q (valid: %v)", name, Names)
}

// DefaultDir returns the folder of a dataset when no --data-dir is given:
// $NASX_DATA/<dataset>, else ~/.cache/nasx/data/<dataset>. getenv reads the
// environment (os.Getenv when nil).
func DefaultDir(dataset string, getenv func(string) string) (string, error) {
	if getenv == nil {
		getenv = os.Getenv
	}
	if d := getenv("NASX_DATA"); d != "" {
		return filepath.Join(d, dataset), nil
	}
	home := getenv("HOME")
	if home == "" {
		h, err := os.UserHomeDir()
		if err != nil {
			return "", fmt.Errorf("data: no home folder for the default data folder (set --data-dir or NASX_DATA): %w", err)
		}
		home = h
	}
	return filepath.Join(home, ".cache", "nasx", "data", dataset), nil
}
