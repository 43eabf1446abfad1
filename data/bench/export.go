package bench

import (
	"bufio"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
)

// ExportColumns are the columns of WriteCSV, in order, and the keys of
// WriteJSONL.
var ExportColumns = []string{"index", "arch", "val_acc", "test_acc", "flops", "params"}

// WriteCSV writes every record of t on ds as CSV with a header row.
// Accuracies are written with full float64 precision.
func WriteCSV(w io.Writer, t Table, ds Dataset) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(ExportColumns); err != nil {
		return err
	}
	row := make([]string, len(ExportColumns))
	for i := 0; i < t.Len(); i++ {
		r, err := t.Record(i, ds)
		if err != nil {
			return err
		}
		row[0] = strconv.Itoa(r.Index)
		row[1] = r.Arch
		row[2] = strconv.FormatFloat(r.ValAcc, 'g', -1, 64)
		row[3] = strconv.FormatFloat(r.TestAcc, 'g', -1, 64)
		row[4] = strconv.FormatInt(r.Flops, 10)
		row[5] = strconv.FormatInt(r.Params, 10)
		if err := cw.Write(row); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// WriteJSONL writes every record of t on ds as one JSON object per line.
func WriteJSONL(w io.Writer, t Table, ds Dataset) error {
	bw := bufio.NewWriterSize(w, 1<<16)
	enc := json.NewEncoder(bw)
	for i := 0; i < t.Len(); i++ {
		r, err := t.Record(i, ds)
		if err != nil {
			return err
		}
		if err := enc.Encode(r); err != nil {
			return fmt.Errorf("bench: record %d: %w", i, err)
		}
	}
	return bw.Flush()
}
