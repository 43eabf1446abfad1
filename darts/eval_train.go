package darts

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"time"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/nasx/nasx/configs"
	"github.com/nasx/nasx/data"
	"github.com/nasx/nasx/internal/atomicio"
	"github.com/nasx/nasx/internal/nn"
	"github.com/nasx/nasx/internal/op"
	"github.com/nasx/nasx/internal/optim"
	"github.com/nasx/nasx/internal/weights"
)

// Files that Train writes in its output folder.
const (
	CheckpointFile = "checkpoint.safetensors" // model, optimiser and progress after the latest epoch
	MetricsFile    = "metrics.jsonl"          // one EpochMetrics per line
	WeightsFile    = "weights.safetensors"    // final model state_dict, reference names
	ResultFile     = "result.json"            // the EvalResult
	ConfigFile     = "config.json"            // the resolved configs.Eval
)

// checkpointFormat tags checkpoints so that other safetensors files are
// refused with a clear message.
const checkpointFormat = "nasx-eval-checkpoint/1"

// EpochMetrics are the figures of one training epoch.
type EpochMetrics struct {
	Epoch     int     `json:"epoch"` // from 1
	LR        float64 `json:"lr"`
	DropPath  float64 `json:"drop_path"`
	TrainLoss float64 `json:"train_loss"` // mean total loss (with the auxiliary term) over the steps
	TrainAcc  float64 `json:"train_acc"`  // top-1 % on the augmented training batches
	TestLoss  float64 `json:"test_loss"`  // mean cross-entropy (no smoothing)
	TestAcc   float64 `json:"test_acc"`   // top-1 %
	TestTop5  float64 `json:"test_top5"`  // top-5 %
	Seconds   float64 `json:"seconds"`    // wall time of the epoch (training and testing)
}

// EvalResult is the final report of a training run.
type EvalResult struct {
	EvalSize
	Top1        float64        `json:"top1"` // final test top-1 %
	Top5        float64        `json:"top5"` // final test top-5 %
	Epochs      int            `json:"epochs"`
	WallSeconds float64        `json:"wall_seconds"` // sum of the epochs' wall times (resumed runs included)
	Metrics     []EpochMetrics `json:"metrics"`
}

// TrainSpec is one evaluation training run.
type TrainSpec struct {
	// Config is the resolved, validated configuration.
	Config configs.Eval
	// Arch is the architecture to train.
	Arch EvalArch
	// Data is the opened dataset.
	Data *data.Dataset
	// OutDir receives the checkpoint, metrics, weights and result; it is
	// created if missing.
	OutDir string
	// Resume continues from OutDir's checkpoint; its config must equal
	// Config (Workers aside).
	Resume bool
	// OnStep, if set, is called after every training step.
	OnStep func(epoch, step, steps int)
	// OnEpoch, if set, is called after every epoch's checkpoint is written.
	OnEpoch func(EpochMetrics)
	// Now gives the time for the wall-clock figures; nil means time.Now.
	Now func() time.Time
}

// Train trains the architecture from scratch as the DARTS / NAS-Bench-201
// evaluation recipes do (see configs.Eval) and returns the final report.
// After each epoch it writes OutDir/checkpoint.safetensors and
// OutDir/metrics.jsonl atomically; at the end weights.safetensors (the
// model's state_dict under the reference names) and result.json.
//
// The drop-path masks of each step are drawn from a generator seeded by
// (seed, epoch, step), and the data loader's batches are a pure function of
// (seed, epoch, step), so a run resumed from the checkpoint of epoch k
// continues bit-exactly as the uninterrupted run on CPU. An epoch
// interrupted by ctx is discarded (the checkpoint stays at the previous
// epoch) and ctx's error is returned.
//
// The training loader drops the last incomplete batch (the graph has a fixed
// batch size); the test set is evaluated completely.
func Train(ctx context.Context, spec TrainSpec) (*EvalResult, error) {
	cfg := spec.Config
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	now := spec.Now
	if now == nil {
		now = time.Now
	}
	ds := spec.Data
	trainTf, testTf, err := data.DefaultTransforms(ds, cfg.Cutout)
	if err != nil {
		return nil, err
	}
	trainIdx, err := firstN(ds.Train.Len(), cfg.Subset, "subset", "training")
	if err != nil {
		return nil, err
	}
	testIdx, err := firstN(ds.Test.Len(), cfg.TestSubset, "test_subset", "test")
	if err != nil {
		return nil, err
	}
	if n := ds.Train.Len(); (cfg.Subset == 0 && n < cfg.BatchSize) || (cfg.Subset > 0 && cfg.Subset < cfg.BatchSize) {
		if cfg.Subset > 0 {
			n = cfg.Subset
		}
		return nil, fmt.Errorf("darts: %d training images, fewer than one batch of %d (lower --batch-size or raise --subset)",
			n, cfg.BatchSize)
	}
	trainL, err := data.NewLoader(ds.Train, trainIdx, trainTf,
		data.LoaderConfig{BatchSize: cfg.BatchSize, Shuffle: true, DropLast: true, Seed: cfg.Seed, Workers: cfg.Workers})
	if err != nil {
		return nil, err
	}
	testL, err := data.NewLoader(ds.Test, testIdx, testTf,
		data.LoaderConfig{BatchSize: cfg.BatchSize, Seed: cfg.Seed + 1, Workers: cfg.Workers})
	if err != nil {
		return nil, err
	}
	sched, err := schedule(cfg)
	if err != nil {
		return nil, err
	}
	sgd, err := optim.NewSGD[float32](optim.SGDConfig{LR: cfg.LR, Momentum: cfg.Momentum, WeightDecay: cfg.WeightDecay,
		Nesterov: cfg.Nesterov})
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(spec.OutDir, 0o755); err != nil {
		return nil, err
	}
	res := &EvalResult{Epochs: cfg.Epochs}
	var state []weights.Tensor // model state_dict carried from epoch to epoch
	start := 0
	if spec.Resume {
		if state, start, err = loadCheckpoint(filepath.Join(spec.OutDir, CheckpointFile), cfg, sgd, res); err != nil {
			return nil, err
		}
	}
	cfgJSON, err := json.MarshalIndent(cfg, "", "  ")
	if err != nil {
		return nil, err
	}
	if err := atomicio.WriteFile(filepath.Join(spec.OutDir, ConfigFile), append(cfgJSON, '\n'), 0o644); err != nil {
		return nil, err
	}
	c, h, w := trainTf.OutShape()
	// One graph and machine serve every epoch (rebuilding them per epoch
	// retained each old graph's activations; see the report).
	e := &epochRun{cfg: cfg, spec: spec, sgd: sgd, shape: [4]int{cfg.BatchSize, c, h, w}}
	if err := e.build(state); err != nil {
		return nil, err
	}
	defer e.close()
	res.EvalSize = EvalSize{Params: e.model.NumParams(), ParamsWithAux: e.model.Params().NumLearnable(),
		MultAdds: e.model.MultAdds()}
	for epoch := start; epoch < cfg.Epochs; epoch++ {
		t0 := now()
		e.epoch = epoch
		e.metrics = EpochMetrics{Epoch: epoch + 1, LR: sched.LR(epoch), DropPath: cfg.DropPath * float64(epoch) / float64(cfg.Epochs)}
		if err := e.train(ctx, trainL); err != nil {
			return nil, fmt.Errorf("epoch %d: %w", epoch+1, err)
		}
		if err := e.test(ctx, testL); err != nil {
			return nil, fmt.Errorf("epoch %d: test: %w", epoch+1, err)
		}
		if state, err = e.model.Params().StateDict(); err != nil {
			return nil, err
		}
		// BatchNorm keeps its running statistics in float64 but the state
		// dict (and so the checkpoint) holds them in float32, as torch does;
		// reload them so that an uninterrupted run continues from exactly
		// what a resumed one reads.
		if err := e.model.Params().LoadStateDict(state, true); err != nil {
			return nil, err
		}
		e.metrics.Seconds = now().Sub(t0).Seconds()
		res.Metrics = append(res.Metrics, e.metrics)
		res.WallSeconds += e.metrics.Seconds
		if err := saveCheckpoint(spec.OutDir, cfg, state, sgd, res, epoch+1); err != nil {
			return nil, err
		}
		if spec.OnEpoch != nil {
			spec.OnEpoch(e.metrics)
		}
	}
	if state == nil { // resumed after the last epoch: the loaded weights
		if state, err = e.model.Params().StateDict(); err != nil {
			return nil, err
		}
	}
	if len(res.Metrics) > 0 {
		last := res.Metrics[len(res.Metrics)-1]
		res.Top1, res.Top5 = last.TestAcc, last.TestTop5
	}
	if err := weights.WriteFile(filepath.Join(spec.OutDir, WeightsFile), state, map[string]string{"format": "pt"}); err != nil {
		return nil, err
	}
	b, err := json.MarshalIndent(res, "", "  ")
	if err != nil {
		return nil, err
	}
	return res, atomicio.WriteFile(filepath.Join(spec.OutDir, ResultFile), append(b, '\n'), 0o644)
}

// firstN returns 0..n-1, or 0..limit-1 when 0 < limit <= n.
func firstN(n, limit int, field, split string) ([]int, error) {
	if limit > n {
		return nil, fmt.Errorf("darts: %s %d, but the %s split has %d images", field, limit, split, n)
	}
	if limit == 0 {
		return nil, nil // the loader uses every sample
	}
	idx := make([]int, limit)
	for i := range idx {
		idx[i] = i
	}
	return idx, nil
}

func schedule(cfg configs.Eval) (optim.Schedule, error) {
	switch cfg.Schedule {
	case "cosine":
		s := optim.Cosine{Base: cfg.LR, Min: cfg.LRMin, TMax: cfg.Epochs}
		return s, s.Validate()
	case "step":
		s := optim.StepDecay{Base: cfg.LR, StepSize: 1, Gamma: cfg.Gamma}
		return s, s.Validate()
	case "linear":
		return optim.AlphaDARTSImageNet(cfg.LR, cfg.Epochs, cfg.Warmup)
	}
	return nil, fmt.Errorf("darts: schedule %q, want cosine, step or linear", cfg.Schedule)
}

// epochRun is the graph and machines of one epoch.
type epochRun struct {
	cfg     configs.Eval
	spec    TrainSpec
	sgd     *optim.SGD[float32]
	epoch   int
	shape   [4]int
	metrics EpochMetrics

	model           evalModel
	masks           []*G.Node // drop-path scales; nil without drop-path
	x, y            *G.Node
	out             *runValues
	readLogits      *G.Node
	params          []optim.Param[float32]
	trainVM, evalVM G.VM
}

// runValues receives the values the machines read. It is its own object, not
// fields of epochRun, on purpose: a G.Read node keeps a pointer to its target
// and gorgonia's TapeMachine carries a finalizer (runtime.SetFinalizer in
// NewTapeMachine). With the targets inside epochRun, which holds the
// machines, machine → graph → Read op → epochRun → machine was a cycle through
// a finalized object, which the Go runtime never frees (see
// runtime.SetFinalizer): every graph Train built stayed in memory.
type runValues struct {
	loss, logits G.Value
}

// dropRNG is the generator of the drop-path masks of one step.
func dropRNG(seed uint64, epoch, step int) *rand.Rand {
	return rand.New(rand.NewPCG(seed^0x64726f7070617468, uint64(epoch)<<32|uint64(step)))
}

// graphBuilt, when set (by tests), is called with the graph Train compiles.
var graphBuilt func(*G.ExprGraph)

// build builds the graph and its training and evaluation machines. The graph
// is rebuilt with the input renamed while two of its nodes' hashes collide,
// which gorgonia's compiler would merge (see nn.CheckHashes).
func (e *epochRun) build(state []weights.Tensor) error {
	g, err := nn.BuildDistinct(16, func(salt int) (*G.ExprGraph, *G.ExprGraph, error) {
		g, err := e.buildGraph(state, salt)
		return g, g, err
	}, nil)
	if err != nil {
		return err
	}
	if graphBuilt != nil {
		graphBuilt(g)
	}
	e.trainVM = G.NewTapeMachine(g, op.VMOpts()...)
	e.evalVM = G.NewTapeMachine(g.SubgraphRoots(e.readLogits), append(op.VMOpts(), G.EvalMode())...)
	return nil
}

// buildGraph builds the model (initialised, or loaded from state), the
// loss, its gradients and the Read nodes, with the input named
// nn.SaltName("input", salt).
func (e *epochRun) buildGraph(state []weights.Tensor, salt int) (*G.ExprGraph, error) {
	g := G.NewGraph()
	classes := e.spec.Data.Classes
	m, err := newEvalModel(g, e.cfg, e.spec.Arch, classes)
	if err != nil {
		return nil, err
	}
	e.model = m
	if state == nil {
		if err := m.Init(rand.New(rand.NewPCG(e.cfg.Seed, 0x1417))); err != nil {
			return nil, err
		}
	} else if err := m.Params().LoadStateDict(state, true); err != nil {
		return nil, err
	}
	var masks func() []*G.Node
	if e.cfg.DropPath > 0 {
		masks = m.enableDropPath()
	}
	s := e.shape
	e.x = G.NewTensor(g, tensor.Float32, 4, G.WithShape(s[0], s[1], s[2], s[3]), G.WithName(nn.SaltName("input", salt)),
		G.WithValue(tensor.New(tensor.Of(tensor.Float32), tensor.WithShape(s[0], s[1], s[2], s[3]))))
	e.y = G.NewTensor(g, tensor.Int32, 1, G.WithShape(s[0]), G.WithName("target"),
		G.WithValue(tensor.New(tensor.Of(tensor.Int32), tensor.WithShape(s[0]))))
	logits, aux, err := m.forward(e.x)
	if err != nil {
		return nil, err
	}
	if masks != nil {
		e.masks = masks()
	}
	loss, err := op.CrossEntropy(logits, e.y, e.cfg.LabelSmoothing)
	if err != nil {
		return nil, err
	}
	if aux != nil && e.cfg.AuxWeight > 0 {
		auxLoss, err := op.CrossEntropy(aux, e.y, e.cfg.LabelSmoothing)
		if err != nil {
			return nil, err
		}
		if auxLoss, err = G.Mul(auxLoss, G.NewConstant(float32(e.cfg.AuxWeight))); err != nil {
			return nil, err
		}
		if loss, err = G.Add(loss, auxLoss); err != nil {
			return nil, err
		}
	}
	learn := m.Learnables()
	grads, err := G.Grad(loss, learn...)
	if err != nil {
		return nil, fmt.Errorf("gradients: %w", err)
	}
	e.out = &runValues{}
	G.Read(loss, &e.out.loss)
	e.readLogits = G.Read(logits, &e.out.logits)
	entries := m.Params().Entries()
	e.params = nil
	gv := make([]G.Value, len(grads))
	k := 0
	for _, en := range entries {
		if en.Kind != nn.Learnable {
			continue
		}
		G.Read(grads[k], &gv[k])
		e.params = append(e.params, optim.NewRead[float32](en.Name, en.Node, &gv[k]))
		k++
	}
	return g, nil
}

func (e *epochRun) close() {
	if e.trainVM != nil {
		e.trainVM.Close()
	}
	if e.evalVM != nil {
		e.evalVM.Close()
	}
}

func (e *epochRun) train(ctx context.Context, l *data.Loader) error {
	e.sgd.SetLR(e.metrics.LR)
	it, err := l.Epoch(ctx, e.epoch, 0)
	if err != nil {
		return err
	}
	defer it.Close()
	e.model.SetTraining(true)
	xs := e.x.Value().Data().([]float32)
	ys := e.y.Value().Data().([]int32)
	steps := l.StepsPerEpoch()
	var lossSum float64
	var correct, seen int
	for step := 0; ; step++ {
		if err := ctx.Err(); err != nil {
			return err
		}
		b, err := it.Next()
		if errors.Is(err, data.ErrDone) {
			break
		}
		if err != nil {
			return err
		}
		copy(xs, b.X)
		copy(ys, b.Y)
		b.Release()
		if e.masks != nil {
			fillDropMasks(e.masks, e.metrics.DropPath, dropRNG(e.cfg.Seed, e.epoch, step))
		}
		if err := e.trainVM.RunAll(); err != nil {
			return fmt.Errorf("step %d: %w", step, err)
		}
		loss := float64(scalar32(e.out.loss))
		if math.IsNaN(loss) || math.IsInf(loss, 0) {
			return fmt.Errorf("step %d: loss is %v (lower --lr?)", step, loss)
		}
		lossSum += loss
		top1, _ := topK(e.out.logits.Data().([]float32), ys, e.spec.Data.Classes)
		correct += top1
		seen += len(ys)
		if e.cfg.GradClip > 0 {
			if _, err := optim.ClipGradNorm(e.params, e.cfg.GradClip); err != nil {
				return err
			}
		}
		if err := e.sgd.Step(e.params); err != nil {
			return err
		}
		e.trainVM.Reset()
		if e.spec.OnStep != nil {
			e.spec.OnStep(e.epoch, step+1, steps)
		}
	}
	if seen > 0 {
		e.metrics.TrainLoss = lossSum / float64(seen/len(ys)) // mean over steps
		e.metrics.TrainAcc = 100 * float64(correct) / float64(seen)
	}
	return nil
}

func (e *epochRun) test(ctx context.Context, l *data.Loader) error {
	it, err := l.Epoch(ctx, 0, 0)
	if err != nil {
		return err
	}
	defer it.Close()
	e.model.SetTraining(false)
	fillDropMasks(e.masks, 0, nil) // no drop-path in evaluation
	xs := e.x.Value().Data().([]float32)
	var lossSum float64
	var c1, c5, n int
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		b, err := it.Next()
		if errors.Is(err, data.ErrDone) {
			break
		}
		if err != nil {
			return err
		}
		copy(xs, b.X)
		clear(xs[len(b.X):]) // pad a short last batch; BN uses running statistics, so padding does not leak
		labels := append([]int32(nil), b.Y...)
		b.Release()
		if err := e.evalVM.RunAll(); err != nil {
			return err
		}
		logits := e.out.logits.Data().([]float32)
		t1, t5 := topK(logits, labels, e.spec.Data.Classes)
		c1, c5 = c1+t1, c5+t5
		lossSum += crossEntropySum(logits, labels, e.spec.Data.Classes)
		n += len(labels)
		e.evalVM.Reset()
	}
	if n > 0 {
		e.metrics.TestLoss = lossSum / float64(n)
		e.metrics.TestAcc = 100 * float64(c1) / float64(n)
		e.metrics.TestTop5 = 100 * float64(c5) / float64(n)
	}
	return nil
}

func scalar32(v G.Value) float32 {
	switch d := v.Data().(type) {
	case float32:
		return d
	case []float32:
		return d[0]
	}
	return float32(math.NaN())
}

// topK counts the rows i < len(labels) of logits (rows of classes values)
// whose label has the largest logit (top-1) or one of the 5 largest (top-5).
// A label counts as top-k when fewer than k logits are strictly larger.
func topK(logits []float32, labels []int32, classes int) (top1, top5 int) {
	for i, y := range labels {
		row := logits[i*classes : (i+1)*classes]
		target := row[y]
		larger := 0
		for _, v := range row {
			if v > target {
				larger++
			}
		}
		if larger == 0 {
			top1++
		}
		if larger < 5 {
			top5++
		}
	}
	return top1, top5
}

// crossEntropySum returns Σ_i −log softmax(row_i)[labels_i] in float64 over
// the rows i < len(labels).
func crossEntropySum(logits []float32, labels []int32, classes int) float64 {
	var s float64
	for i, y := range labels {
		row := logits[i*classes : (i+1)*classes]
		mx := math.Inf(-1)
		for _, v := range row {
			mx = math.Max(mx, float64(v))
		}
		var z float64
		for _, v := range row {
			z += math.Exp(float64(v) - mx)
		}
		s += mx + math.Log(z) - float64(row[y])
	}
	return s
}

func saveCheckpoint(dir string, cfg configs.Eval, state []weights.Tensor, sgd *optim.SGD[float32], res *EvalResult, nextEpoch int) error {
	ts := make([]weights.Tensor, 0, 2*len(state))
	shapes := map[string][]int{}
	for _, t := range state {
		shapes[t.Name] = t.Shape
		t.Name = "model." + t.Name
		ts = append(ts, t)
	}
	opt, err := optim.StateTensors(sgd.StateDict(), shapes, "optim.")
	if err != nil {
		return err
	}
	ts = append(ts, opt...)
	cfgJSON, err := json.Marshal(cfg)
	if err != nil {
		return err
	}
	metricsJSON, err := json.Marshal(res.Metrics)
	if err != nil {
		return err
	}
	meta := map[string]string{"format": checkpointFormat, "epoch": strconv.Itoa(nextEpoch),
		"config": string(cfgJSON), "metrics": string(metricsJSON)}
	b, err := weights.Encode(ts, meta)
	if err != nil {
		return err
	}
	if err := atomicio.WriteFile(filepath.Join(dir, CheckpointFile), b, 0o644); err != nil {
		return err
	}
	var lines []byte
	for _, m := range res.Metrics {
		l, err := json.Marshal(m)
		if err != nil {
			return err
		}
		lines = append(append(lines, l...), '\n')
	}
	return atomicio.WriteFile(filepath.Join(dir, MetricsFile), lines, 0o644)
}

func loadCheckpoint(path string, cfg configs.Eval, sgd *optim.SGD[float32], res *EvalResult) ([]weights.Tensor, int, error) {
	f, err := weights.ReadFile(path)
	if err != nil {
		return nil, 0, fmt.Errorf("resume: %w (run without --resume to start afresh)", err)
	}
	if f.Metadata["format"] != checkpointFormat {
		return nil, 0, fmt.Errorf("resume: %s: metadata format %q, want %q (not a nasx eval checkpoint)",
			path, f.Metadata["format"], checkpointFormat)
	}
	var saved configs.Eval
	if err := json.Unmarshal([]byte(f.Metadata["config"]), &saved); err != nil {
		return nil, 0, fmt.Errorf("resume: %s: config metadata: %w", path, err)
	}
	saved.Workers, cfg.Workers = 0, 0 // the worker count does not change results
	if !reflect.DeepEqual(saved, cfg) {
		return nil, 0, fmt.Errorf("resume: %s was written with another configuration (%s); resume with the same flags and config file, or use another --out",
			path, configDiff(saved, cfg))
	}
	epoch, err := strconv.Atoi(f.Metadata["epoch"])
	if err != nil || epoch < 1 || epoch > cfg.Epochs {
		return nil, 0, fmt.Errorf("resume: %s: epoch %q, want 1..%d", path, f.Metadata["epoch"], cfg.Epochs)
	}
	if err := json.Unmarshal([]byte(f.Metadata["metrics"]), &res.Metrics); err != nil {
		return nil, 0, fmt.Errorf("resume: %s: metrics metadata: %w", path, err)
	}
	for _, m := range res.Metrics {
		res.WallSeconds += m.Seconds
	}
	var state []weights.Tensor
	for _, t := range f.Tensors {
		if len(t.Name) > 6 && t.Name[:6] == "model." {
			t.Name = t.Name[6:]
			state = append(state, t)
		}
	}
	sd, err := optim.StateFromTensors[float32](f.Tensors, "optim.")
	if err != nil {
		return nil, 0, fmt.Errorf("resume: %s: %w", path, err)
	}
	if err := sgd.LoadStateDict(sd); err != nil {
		return nil, 0, fmt.Errorf("resume: %s: %w", path, err)
	}
	return state, epoch, nil
}

// configDiff names the fields that differ between a and b.
func configDiff(a, b configs.Eval) string {
	va, vb := reflect.ValueOf(a), reflect.ValueOf(b)
	var s string
	for i := range va.NumField() {
		if !reflect.DeepEqual(va.Field(i).Interface(), vb.Field(i).Interface()) {
			tag := va.Type().Field(i).Tag.Get("json")
			if s != "" {
				s += ", "
			}
			s += fmt.Sprintf("%s: checkpoint %v, now %v", tag, va.Field(i).Interface(), vb.Field(i).Interface())
		}
	}
	return s
}
