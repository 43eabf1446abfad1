// Package weights reads and writes safetensors files
// (https://github.com/huggingface/safetensors), the format nasx uses for
// model weights and optimiser state, so that they load into the reference
// PyTorch models with safetensors.torch.load_file and back.
//
// # Format
//
// A file is an 8-byte little-endian header length N, an N-byte JSON header,
// and the raw data. The header maps each tensor name to
// {"dtype", "shape", "data_offsets": [begin, end]} (byte offsets into the
// data), plus an optional "__metadata__" map of strings. Data is
// little-endian and C-ordered. This package supports the dtypes F32, F64
// and I64.
//
// # Conventions
//
// The writer follows the reference Rust crate byte for byte: tensors are laid
// out by descending dtype size (I64, F64, F32) and then by name, the header
// lists "__metadata__" first and then the tensors in data order, as compact
// JSON, padded with spaces to a multiple of 8 bytes. The metadata keys are
// sorted (the Rust crate writes them in hash order). Files are written
// atomically (internal/atomicio).
//
// The reader validates everything the Rust crate does (the header is UTF-8
// JSON, every tensor's byte range matches its dtype and shape, the ranges tile
// the data exactly) and reports the file, the tensor and the offending value.
package weights
