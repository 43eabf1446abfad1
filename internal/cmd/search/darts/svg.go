package darts

import (
	"bytes"
	"fmt"
	"html"
	"math"

	"github.com/nasx/nasx/darts"
)

// curvesSVG draws two panels by hand (no plotting dependency): the train
// and val losses per epoch, and for the first α table (normal cell, or the
// NAS-Bench-201 cell) the mean softmax weight of each op over the edges.
func curvesSVG(h []darts.EpochRecord) []byte {
	const W, H, pad = 460.0, 330.0, 48.0
	var b bytes.Buffer
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" font-family="sans-serif" font-size="11">`+"\n", int(2*W), int(H))
	colors := []string{"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f"}
	var ops []string
	if len(h) > 0 && h[0].Genotype == nil {
		ops = []string{"none", "skip_connect", "nor_conv_1x1", "nor_conv_3x3", "avg_pool_3x3"}
	} else {
		ops = []string{"none", "max_pool_3x3", "avg_pool_3x3", "skip_connect", "sep_conv_3x3", "sep_conv_5x5", "dil_conv_3x3", "dil_conv_5x5"}
	}
	// panel 1: losses
	series := map[string][]float64{}
	names := []string{"train loss", "val loss"}
	for _, r := range h {
		series["train loss"] = append(series["train loss"], r.TrainLoss)
		series["val loss"] = append(series["val loss"], r.ValLoss)
		if r.TrainRec > 0 {
			series["train rec"] = append(series["train rec"], r.TrainRec)
		}
	}
	if len(series["train rec"]) == len(h) && len(h) > 0 {
		names = append(names, "train rec")
	}
	panel(&b, 0, W, H, pad, "loss per epoch", names, series, colors)
	// panel 2: mean softmax(α) per op
	aser := map[string][]float64{}
	for _, r := range h {
		if len(r.Alphas) == 0 {
			continue
		}
		t := r.Alphas[0]
		for k := range ops {
			var m float64
			for _, row := range t {
				if k < len(row) {
					m += row[k]
				}
			}
			aser[ops[k]] = append(aser[ops[k]], m/float64(len(t)))
		}
	}
	panel(&b, W, W, H, pad, "mean softmax(α) per op (first table)", ops, aser, colors)
	b.WriteString("</svg>\n")
	return b.Bytes()
}

func panel(b *bytes.Buffer, x0, W, H, pad float64, title string, names []string, s map[string][]float64, colors []string) {
	lo, hi, n := math.Inf(1), math.Inf(-1), 0
	for _, name := range names {
		for _, v := range s[name] {
			if !math.IsNaN(v) && !math.IsInf(v, 0) {
				lo, hi = math.Min(lo, v), math.Max(hi, v)
			}
		}
		n = max(n, len(s[name]))
	}
	if n == 0 || math.IsInf(lo, 0) {
		return
	}
	if hi == lo {
		hi, lo = hi+0.5, lo-0.5
	}
	pw, ph := W-2*pad, H-2*pad
	px := func(i int) float64 {
		if n == 1 {
			return x0 + pad + pw/2
		}
		return x0 + pad + pw*float64(i)/float64(n-1)
	}
	py := func(v float64) float64 { return pad + ph*(hi-v)/(hi-lo) }
	fmt.Fprintf(b, `<text x="%.1f" y="%.1f">%s</text>`+"\n", x0+pad, pad-18, html.EscapeString(title))
	fmt.Fprintf(b, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="none" stroke="#999"/>`+"\n", x0+pad, pad, pw, ph)
	fmt.Fprintf(b, `<text x="%.1f" y="%.1f" text-anchor="end">%.4g</text><text x="%.1f" y="%.1f" text-anchor="end">%.4g</text>`+"\n",
		x0+pad-4, pad+4, hi, x0+pad-4, pad+ph, lo)
	fmt.Fprintf(b, `<text x="%.1f" y="%.1f">epoch 1</text><text x="%.1f" y="%.1f" text-anchor="end">epoch %d</text>`+"\n",
		x0+pad, pad+ph+14, x0+pad+pw, pad+ph+14, n)
	for k, name := range names {
		vs := s[name]
		if len(vs) == 0 {
			continue
		}
		c := colors[k%len(colors)]
		var pts bytes.Buffer
		for i, v := range vs {
			fmt.Fprintf(&pts, "%.1f,%.1f ", px(i), py(v))
		}
		fmt.Fprintf(b, `<polyline fill="none" stroke="%s" stroke-width="1.5" points="%s"/>`+"\n", c, pts.String())
		lx := x0 + pad + float64(k%3)*pw/3
		ly := H - pad + 30 + float64(k/3)*12
		fmt.Fprintf(b, `<text x="%.1f" y="%.1f" fill="%s">%s</text>`+"\n", lx, ly, c, html.EscapeString(name))
	}
}
