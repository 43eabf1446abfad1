package bench

import (
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"math"
	"strings"

	"google.golang.org/protobuf/encoding/protowire"

	"github.com/nasx/nasx/searchspace"
)

// ErrChecksum marks a TFRecord frame whose masked CRC-32C does not match.
var ErrChecksum = errors.New("checksum mismatch")

// maskCRC is TFRecord's masked CRC-32C (tensorflow/core/lib/hash/crc32c.h):
// rotate right by 15 bits and add 0xa282ead8.
func maskCRC(crc uint32) uint32 { return (crc>>15 | crc<<17) + 0xa282ead8 }

func crc32c(b []byte) uint32 { return crc32.Checksum(b, castagnoli) }

// frameHeaderOK reports whether the 12 bytes hdr are a TFRecord frame
// header: a uint64 length and the masked CRC-32C of those 8 bytes.
func frameHeaderOK(hdr []byte) bool {
	return binary.LittleEndian.Uint32(hdr[8:12]) == maskCRC(crc32c(hdr[:8]))
}

// maxFrame bounds a TFRecord payload; NAS-Bench-101 rows are about 1 KB.
const maxFrame = 64 << 20

// TFRecordReader reads TFRecord frames: uint64 length (little-endian),
// masked CRC-32C of the length, data, masked CRC-32C of the data. Both
// checksums are verified.
type TFRecordReader struct {
	r   io.Reader
	off int64 // offset of the next frame
	n   int   // frames read
	buf []byte
}

// NewTFRecordReader returns a reader of the frames of r.
func NewTFRecordReader(r io.Reader) *TFRecordReader { return &TFRecordReader{r: r} }

// Next returns the data of the next frame, valid until the next call, or
// io.EOF after the last frame. Errors name the frame number and its byte
// offset.
func (t *TFRecordReader) Next() ([]byte, error) {
	var hdr [12]byte
	n, err := io.ReadFull(t.r, hdr[:])
	if err == io.EOF {
		return nil, io.EOF
	}
	if err != nil {
		return nil, fmt.Errorf("frame %d at byte offset %d: header truncated after %d of 12 bytes: %w", t.n, t.off, n, err)
	}
	if !frameHeaderOK(hdr[:]) {
		return nil, fmt.Errorf("frame %d at byte offset %d: length CRC mismatch (file corrupt or not a TFRecord): %w", t.n, t.off, ErrChecksum)
	}
	size := binary.LittleEndian.Uint64(hdr[:8])
	if size > maxFrame {
		return nil, fmt.Errorf("frame %d at byte offset %d: length %d exceeds %d bytes: %w", t.n, t.off, size, maxFrame, ErrFormat)
	}
	if cap(t.buf) < int(size)+4 {
		t.buf = make([]byte, int(size)+4)
	}
	b := t.buf[:size+4]
	if n, err := io.ReadFull(t.r, b); err != nil {
		return nil, fmt.Errorf("frame %d at byte offset %d: data truncated after %d of %d bytes: %w", t.n, t.off, n, len(b), io.ErrUnexpectedEOF)
	}
	data := b[:size]
	if got, want := maskCRC(crc32c(data)), binary.LittleEndian.Uint32(b[size:]); got != want {
		return nil, fmt.Errorf("frame %d at byte offset %d: data CRC mismatch (stored %08x, computed %08x): %w", t.n, t.off, want, got, ErrChecksum)
	}
	t.off += 12 + int64(size) + 4
	t.n++
	return data, nil
}

// Offset returns the byte offset of the next frame.
func (t *TFRecordReader) Offset() int64 { return t.off }

// AppendFrame appends data framed as a TFRecord to dst.
func AppendFrame(dst, data []byte) []byte {
	var hdr [12]byte
	binary.LittleEndian.PutUint64(hdr[:8], uint64(len(data)))
	binary.LittleEndian.PutUint32(hdr[8:], maskCRC(crc32c(hdr[:8])))
	dst = append(dst, hdr[:]...)
	dst = append(dst, data...)
	return binary.LittleEndian.AppendUint32(dst, maskCRC(crc32c(data)))
}

// EvalData is one nasbench.EvaluationData message.
type EvalData struct {
	Epoch, TrainingTime, TrainAcc, ValAcc, TestAcc float64
}

// ModelMetrics is the nasbench.ModelMetrics message of one run.
type ModelMetrics struct {
	Evals               []EvalData
	TrainableParameters int64
	TotalTime           float64
}

// Field numbers of nasbench/lib/model_metrics.proto (proto2), from
// https://github.com/google-research/nasbench/blob/master/nasbench/lib/model_metrics.proto:
//
//	message ModelMetrics {
//	  repeated EvaluationData evaluation_data = 1;
//	  optional int32 trainable_parameters = 2;
//	  optional double total_time = 3;
//	}
//	message EvaluationData {
//	  optional double current_epoch = 1;
//	  optional double training_time = 2;
//	  optional double train_accuracy = 3;
//	  optional double validation_accuracy = 4;
//	  optional double test_accuracy = 5;
//	  optional string checkpoint_path = 6;
//	}
const (
	pbMetricsEval      = 1
	pbMetricsParams    = 2
	pbMetricsTotalTime = 3
	pbEvalEpoch        = 1
	pbEvalTrainingTime = 2
	pbEvalTrainAcc     = 3
	pbEvalValAcc       = 4
	pbEvalTestAcc      = 5
)

// ParseModelMetrics decodes a serialized nasbench.ModelMetrics with
// google.golang.org/protobuf's wire-format reader. Unknown fields are
// skipped, as proto2 parsers do.
func ParseModelMetrics(b []byte) (ModelMetrics, error) {
	var m ModelMetrics
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return m, fmt.Errorf("ModelMetrics: %w", protowire.ParseError(n))
		}
		b = b[n:]
		switch {
		case num == pbMetricsEval && typ == protowire.BytesType:
			v, n := protowire.ConsumeBytes(b)
			if n < 0 {
				return m, fmt.Errorf("ModelMetrics.evaluation_data[%d]: %w", len(m.Evals), protowire.ParseError(n))
			}
			e, err := parseEvalData(v)
			if err != nil {
				return m, fmt.Errorf("ModelMetrics.evaluation_data[%d]: %w", len(m.Evals), err)
			}
			m.Evals = append(m.Evals, e)
			b = b[n:]
		case num == pbMetricsParams && typ == protowire.VarintType:
			v, n := protowire.ConsumeVarint(b)
			if n < 0 {
				return m, fmt.Errorf("ModelMetrics.trainable_parameters: %w", protowire.ParseError(n))
			}
			m.TrainableParameters = int64(int32(v))
			b = b[n:]
		case num == pbMetricsTotalTime && typ == protowire.Fixed64Type:
			v, n := protowire.ConsumeFixed64(b)
			if n < 0 {
				return m, fmt.Errorf("ModelMetrics.total_time: %w", protowire.ParseError(n))
			}
			m.TotalTime = math.Float64frombits(v)
			b = b[n:]
		default:
			n := protowire.ConsumeFieldValue(num, typ, b)
			if n < 0 {
				return m, fmt.Errorf("ModelMetrics field %d: %w", num, protowire.ParseError(n))
			}
			b = b[n:]
		}
	}
	return m, nil
}

func parseEvalData(b []byte) (EvalData, error) {
	var e EvalData
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return e, protowire.ParseError(n)
		}
		b = b[n:]
		var dst *float64
		switch num {
		case pbEvalEpoch:
			dst = &e.Epoch
		case pbEvalTrainingTime:
			dst = &e.TrainingTime
		case pbEvalTrainAcc:
			dst = &e.TrainAcc
		case pbEvalValAcc:
			dst = &e.ValAcc
		case pbEvalTestAcc:
			dst = &e.TestAcc
		}
		if dst != nil && typ == protowire.Fixed64Type {
			v, n := protowire.ConsumeFixed64(b)
			if n < 0 {
				return e, fmt.Errorf("field %d: %w", num, protowire.ParseError(n))
			}
			*dst = math.Float64frombits(v)
			b = b[n:]
			continue
		}
		n = protowire.ConsumeFieldValue(num, typ, b)
		if n < 0 {
			return e, fmt.Errorf("field %d: %w", num, protowire.ParseError(n))
		}
		b = b[n:]
	}
	return e, nil
}

// AppendModelMetrics serializes m as a nasbench.ModelMetrics.
func AppendModelMetrics(dst []byte, m ModelMetrics) []byte {
	for _, e := range m.Evals {
		var sub []byte
		for _, f := range []struct {
			num protowire.Number
			v   float64
		}{{pbEvalEpoch, e.Epoch}, {pbEvalTrainingTime, e.TrainingTime}, {pbEvalTrainAcc, e.TrainAcc}, {pbEvalValAcc, e.ValAcc}, {pbEvalTestAcc, e.TestAcc}} {
			sub = protowire.AppendTag(sub, f.num, protowire.Fixed64Type)
			sub = protowire.AppendFixed64(sub, math.Float64bits(f.v))
		}
		dst = protowire.AppendTag(dst, pbMetricsEval, protowire.BytesType)
		dst = protowire.AppendBytes(dst, sub)
	}
	dst = protowire.AppendTag(dst, pbMetricsParams, protowire.VarintType)
	dst = protowire.AppendVarint(dst, uint64(int32(m.TrainableParameters)))
	dst = protowire.AppendTag(dst, pbMetricsTotalTime, protowire.Fixed64Type)
	return protowire.AppendFixed64(dst, math.Float64bits(m.TotalTime))
}

// Row is one row of nasbench_only108.tfrecord: one training run of one cell.
// The frame data is the UTF-8 JSON list [module_hash, epochs, adjacency,
// operations, metrics] (google-research/nasbench nasbench/api.py,
// NASBench.__init__): adjacency is the row-major matrix as a string of 0/1
// digits, operations the comma-separated op names, and metrics the base64
// of a serialized ModelMetrics.
type Row struct {
	Hash    string
	Epochs  int
	Spec    searchspace.NB101Spec
	Metrics ModelMetrics
}

// ParseRow decodes the data of one frame.
func ParseRow(data []byte) (Row, error) {
	var raw []json.RawMessage
	if err := json.Unmarshal(data, &raw); err != nil {
		return Row{}, fmt.Errorf("row is not a JSON list: %v: %w", err, ErrFormat)
	}
	if len(raw) != 5 {
		return Row{}, fmt.Errorf("row has %d elements, want 5 [hash, epochs, adjacency, operations, metrics]: %w", len(raw), ErrFormat)
	}
	var r Row
	var adj, ops, metrics string
	for j, dst := range []any{&r.Hash, &r.Epochs, &adj, &ops, &metrics} {
		if err := json.Unmarshal(raw[j], dst); err != nil {
			return Row{}, fmt.Errorf("row element %d (%s): %v: %w", j, []string{"module_hash", "epochs", "adjacency", "operations", "metrics"}[j], err, ErrFormat)
		}
	}
	n := 0
	for n*n < len(adj) {
		n++
	}
	if n*n != len(adj) || n < 2 || n > nb101V {
		return Row{}, fmt.Errorf("adjacency %q has %d digits, want n*n for n in 2..%d: %w", adj, len(adj), nb101V, ErrFormat)
	}
	r.Spec.Matrix = make([][]int, n)
	for i := range r.Spec.Matrix {
		r.Spec.Matrix[i] = make([]int, n)
		for j := range r.Spec.Matrix[i] {
			switch adj[i*n+j] {
			case '0':
			case '1':
				r.Spec.Matrix[i][j] = 1
			default:
				return Row{}, fmt.Errorf("adjacency %q: character %d is %q, want 0 or 1: %w", adj, i*n+j, adj[i*n+j], ErrFormat)
			}
		}
	}
	r.Spec.Ops = strings.Split(ops, ",")
	pb, err := base64.StdEncoding.DecodeString(metrics)
	if err != nil {
		return Row{}, fmt.Errorf("metrics: not base64: %v: %w", err, ErrFormat)
	}
	if r.Metrics, err = ParseModelMetrics(pb); err != nil {
		return Row{}, fmt.Errorf("metrics: %v: %w", err, ErrFormat)
	}
	return r, nil
}

// AppendRow serializes r as the data of one frame.
func AppendRow(dst []byte, r Row) ([]byte, error) {
	var adj strings.Builder
	for _, row := range r.Spec.Matrix {
		for _, v := range row {
			adj.WriteByte(byte('0' + v))
		}
	}
	b, err := json.Marshal([]any{r.Hash, r.Epochs, adj.String(), strings.Join(r.Spec.Ops, ","),
		base64.StdEncoding.EncodeToString(AppendModelMetrics(nil, r.Metrics))})
	if err != nil {
		return dst, err
	}
	return append(dst, b...), nil
}

// finalEval is the index of the end-of-training evaluation in
// ModelMetrics.evaluation_data (nasbench/api.py: "final_evaluation =
// metrics.evaluation_data[2]"; [0] is at step 0, [1] halfway).
const finalEval = 2

// tfAgg accumulates the runs of one cell.
type tfAgg struct {
	index int
	runs  int
	sum   [4]float64 // training_time, train, validation, test accuracy
}

// decodeTFRecord reads nasbench_only108.tfrecord (or nasbench_full: rows at
// other epoch budgets are skipped) and averages the 108-epoch runs of each
// cell into NAR's fields. The per-vertex and network costs, absent from the
// tfrecord, are computed with searchspace.NB101Cost, the model that
// reproduces NAR's file.
func decodeTFRecord(r io.Reader) (*NB101, error) {
	tr := NewTFRecordReader(r)
	t := &NB101{}
	aggs := map[string]*tfAgg{}
	var list []*tfAgg
	for {
		off := tr.Offset()
		data, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		row, err := ParseRow(data)
		if err != nil {
			return nil, fmt.Errorf("frame %d at byte offset %d: %w", tr.n-1, off, err)
		}
		if row.Epochs != 108 {
			continue
		}
		if len(row.Metrics.Evals) <= finalEval {
			return nil, fmt.Errorf("frame %d at byte offset %d: hash %s: %d evaluations, want at least %d (step 0, halfway, final): %w", tr.n-1, off, row.Hash, len(row.Metrics.Evals), finalEval+1, ErrFormat)
		}
		a := aggs[row.Hash]
		if a == nil {
			if err := t.addTFCell(row); err != nil {
				return nil, fmt.Errorf("frame %d at byte offset %d: hash %q: %w", tr.n-1, off, row.Hash, err)
			}
			a = &tfAgg{index: t.n - 1}
			aggs[row.Hash] = a
			list = append(list, a)
		}
		e := row.Metrics.Evals[finalEval]
		a.runs++
		a.sum[0] += e.TrainingTime
		a.sum[1] += e.TrainAcc
		a.sum[2] += e.ValAcc
		a.sum[3] += e.TestAcc
	}
	if t.n == 0 {
		return nil, fmt.Errorf("no 108-epoch rows: %w", ErrFormat)
	}
	for _, a := range list {
		for j := range a.sum {
			t.stats[a.index*4+j] = a.sum[j] / float64(a.runs)
		}
	}
	if err := t.index(); err != nil {
		return nil, err
	}
	return t, nil
}

// addTFCell appends the fixed data of a new cell: spec, hash, parameters
// and computed costs.
func (t *NB101) addTFCell(row Row) error {
	if len(row.Hash) != 32 {
		return fmt.Errorf("module hash has %d characters, want 32 hex digits: %w", len(row.Hash), ErrFormat)
	}
	costs, err := searchspace.NB101Cost(row.Spec)
	if err != nil {
		return err
	}
	// NAS-Bench-101 stores pruned specs, so the cost model's pruned spec
	// must have the row's shape.
	if len(costs.Spec.Ops) != len(row.Spec.Ops) {
		return fmt.Errorf("spec is not pruned (%d vertices, %d after pruning): %w", len(row.Spec.Ops), len(costs.Spec.Ops), ErrFormat)
	}
	t.grow()
	i := t.n - 1
	if _, err := hex.Decode(t.hash[i*16:i*16+16], []byte(row.Hash)); err != nil {
		t.n--
		return fmt.Errorf("module hash %q: %v: %w", row.Hash, err, ErrFormat)
	}
	n := len(row.Spec.Ops)
	adj := make([]int, 0, n*n)
	for v, op := range row.Spec.Ops {
		t.ops[i*nb101V+v] = uint8(opCode([]byte(op)))
		adj = append(adj, row.Spec.Matrix[v]...)
	}
	if err := t.setSpec(i, adj, n); err != nil {
		return err
	}
	t.params[i] = row.Metrics.TrainableParameters
	t.flops[i] = costs.Flops
	for c, cell := range costs.Cells {
		for v := range cell.VertexFlops {
			if cell.VertexFlops[v] > maxCost || cell.VertexParams[v] > maxCost {
				return fmt.Errorf("vertex cost out of uint32 range: %w", ErrFormat)
			}
			t.vflops[i*nb101Stride+c*nb101V+v] = uint32(cell.VertexFlops[v])
			t.vparams[i*nb101Stride+c*nb101V+v] = uint32(cell.VertexParams[v])
		}
	}
	return nil
}
