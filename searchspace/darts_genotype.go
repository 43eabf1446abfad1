package searchspace

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"slices"
	"sort"
	"strings"
)

// DARTS cell geometry (quark0/darts cnn/model_search.py Network: steps=4,
// multiplier=4): 4 intermediate nodes, each the sum of 2 ops in a derived
// genotype, 14 candidate edges in the search cell.
const (
	// DARTSNodes is the number of intermediate nodes of a DARTS cell.
	DARTSNodes = 4
	// DARTSEdgesPerNode is the number of incoming edges a derived node keeps.
	DARTSEdgesPerNode = 2
	// DARTSNumEdges is the number of candidate edges of a search cell
	// (2+3+4+5), the number of rows of α_normal and α_reduce.
	DARTSNumEdges = 14
)

// Sentinel errors of the DARTS genotype code. Every error returned by
// Validate wraps ErrInvalidGenotype; every error from the JSON and Python
// readers wraps ErrGenotypeSyntax.
var (
	// ErrInvalidGenotype reports a genotype that breaks a rule of the DARTS
	// CNN space (node count, input range, op, concat).
	ErrInvalidGenotype = errors.New("invalid genotype")
	// ErrGenotypeSyntax reports malformed genotype text (JSON or Python).
	ErrGenotypeSyntax = errors.New("genotype syntax error")
)

// GenotypeEdge is one kept edge of a derived DARTS cell: the op applied to
// state Input. States 0 and 1 are the cell inputs c_{k-2} and c_{k-1};
// state 2+i is intermediate node i. Its JSON form is the pair [op, input],
// the JSON image of DARTS' (op, input) tuple.
type GenotypeEdge struct {
	Op    string
	Input int
}

// Genotype is a derived DARTS CNN architecture, the Go image of DARTS'
// namedtuple Genotype(normal, normal_concat, reduce, reduce_concat)
// (quark0/darts cnn/genotypes.py). Normal and Reduce list 2 edges per
// intermediate node, node 0 first; the concat lists name the states that are
// concatenated into the cell output (2..5 in every DARTS genotype).
type Genotype struct {
	Normal       []GenotypeEdge
	NormalConcat []int
	Reduce       []GenotypeEdge
	ReduceConcat []int
}

// Equal reports whether g and h have the same edges and concat lists, in
// the same order.
func (g Genotype) Equal(h Genotype) bool {
	return slices.Equal(g.Normal, h.Normal) && slices.Equal(g.Reduce, h.Reduce) &&
		slices.Equal(g.NormalConcat, h.NormalConcat) && slices.Equal(g.ReduceConcat, h.ReduceConcat)
}

// Clone returns a deep copy of g.
func (g Genotype) Clone() Genotype {
	return Genotype{
		Normal: slices.Clone(g.Normal), NormalConcat: slices.Clone(g.NormalConcat),
		Reduce: slices.Clone(g.Reduce), ReduceConcat: slices.Clone(g.ReduceConcat),
	}
}

// DARTSEdges returns the 14 candidate edges of a DARTS search cell as
// {from, to} state pairs in the reference order, which is the row order of
// α_normal and α_reduce (quark0/darts cnn/model_search.py Cell.__init__):
// node 0 (state 2) from states 0,1; node 1 (state 3) from 0,1,2; node 2 from
// 0..3; node 3 from 0..4.
func DARTSEdges() [][2]int {
	edges := make([][2]int, 0, DARTSNumEdges)
	for i := 0; i < DARTSNodes; i++ {
		for j := 0; j < 2+i; j++ {
			edges = append(edges, [2]int{j, 2 + i})
		}
	}
	return edges
}

// The published genotypes, verbatim from the genotypes.py of each
// method's reference repository. DARTS (Liu et al., arXiv:1806.09055):
// quark0/darts cnn/genotypes.py.
var (
	dartsV1 = Genotype{
		Normal: []GenotypeEdge{
			{"sep_conv_3x3", 1}, {"sep_conv_3x3", 0}, {"skip_connect", 0}, {"sep_conv_3x3", 1},
			{"skip_connect", 0}, {"sep_conv_3x3", 1}, {"sep_conv_3x3", 0}, {"skip_connect", 2},
		},
		NormalConcat: []int{2, 3, 4, 5},
		Reduce: []GenotypeEdge{
			{"max_pool_3x3", 0}, {"max_pool_3x3", 1}, {"skip_connect", 2}, {"max_pool_3x3", 0},
			{"max_pool_3x3", 0}, {"skip_connect", 2}, {"skip_connect", 2}, {"avg_pool_3x3", 0},
		},
		ReduceConcat: []int{2, 3, 4, 5},
	}
	dartsV2 = Genotype{
		Normal: []GenotypeEdge{
			{"sep_conv_3x3", 0}, {"sep_conv_3x3", 1}, {"sep_conv_3x3", 0}, {"sep_conv_3x3", 1},
			{"sep_conv_3x3", 1}, {"skip_connect", 0}, {"skip_connect", 0}, {"dil_conv_3x3", 2},
		},
		NormalConcat: []int{2, 3, 4, 5},
		Reduce: []GenotypeEdge{
			{"max_pool_3x3", 0}, {"max_pool_3x3", 1}, {"skip_connect", 2}, {"max_pool_3x3", 1},
			{"max_pool_3x3", 0}, {"skip_connect", 2}, {"skip_connect", 2}, {"max_pool_3x3", 1},
		},
		ReduceConcat: []int{2, 3, 4, 5},
	}
	// PC-DARTS (Xu et al., arXiv:1907.05737): yuhuixu1993/PC-DARTS
	// genotypes.py (commit 283b086), where concat is range(2, 6).
	pcDARTSCIFAR = Genotype{
		Normal: []GenotypeEdge{
			{"sep_conv_3x3", 1}, {"skip_connect", 0}, {"sep_conv_3x3", 0}, {"dil_conv_3x3", 1},
			{"sep_conv_5x5", 0}, {"sep_conv_3x3", 1}, {"avg_pool_3x3", 0}, {"dil_conv_3x3", 1},
		},
		NormalConcat: []int{2, 3, 4, 5},
		Reduce: []GenotypeEdge{
			{"sep_conv_5x5", 1}, {"max_pool_3x3", 0}, {"sep_conv_5x5", 1}, {"sep_conv_5x5", 2},
			{"sep_conv_3x3", 0}, {"sep_conv_3x3", 3}, {"sep_conv_3x3", 1}, {"sep_conv_3x3", 2},
		},
		ReduceConcat: []int{2, 3, 4, 5},
	}
	pcDARTSImageNet = Genotype{
		Normal: []GenotypeEdge{
			{"skip_connect", 1}, {"sep_conv_3x3", 0}, {"sep_conv_3x3", 0}, {"skip_connect", 1},
			{"sep_conv_3x3", 1}, {"sep_conv_3x3", 3}, {"sep_conv_3x3", 1}, {"dil_conv_5x5", 4},
		},
		NormalConcat: []int{2, 3, 4, 5},
		Reduce: []GenotypeEdge{
			{"sep_conv_3x3", 0}, {"skip_connect", 1}, {"dil_conv_5x5", 2}, {"max_pool_3x3", 1},
			{"sep_conv_3x3", 2}, {"sep_conv_3x3", 1}, {"sep_conv_5x5", 0}, {"sep_conv_3x3", 3},
		},
		ReduceConcat: []int{2, 3, 4, 5},
	}
	// P-DARTS (Chen et al., arXiv:1904.12760): chenxin061/pdarts
	// genotypes.py (commit b1575e1), where concat is range(2, 6).
	pDARTS = Genotype{
		Normal: []GenotypeEdge{
			{"skip_connect", 0}, {"dil_conv_3x3", 1}, {"skip_connect", 0}, {"sep_conv_3x3", 1},
			{"sep_conv_3x3", 1}, {"sep_conv_3x3", 3}, {"sep_conv_3x3", 0}, {"dil_conv_5x5", 4},
		},
		NormalConcat: []int{2, 3, 4, 5},
		Reduce: []GenotypeEdge{
			{"avg_pool_3x3", 0}, {"sep_conv_5x5", 1}, {"sep_conv_3x3", 0}, {"dil_conv_5x5", 2},
			{"max_pool_3x3", 0}, {"dil_conv_3x3", 1}, {"dil_conv_3x3", 1}, {"dil_conv_5x5", 3},
		},
		ReduceConcat: []int{2, 3, 4, 5},
	}
	builtinGenotypes = map[string]Genotype{
		"DARTS_V1":       dartsV1,         // first-order DARTS, CIFAR-10
		"DARTS_V2":       dartsV2,         // second-order DARTS, CIFAR-10
		"DARTS":          dartsV2,         // quark0/darts genotypes.py: DARTS = DARTS_V2
		"PC_DARTS_cifar": pcDARTSCIFAR,    // PC-DARTS, CIFAR-10
		"PC_DARTS_image": pcDARTSImageNet, // PC-DARTS, ImageNet
		"PCDARTS":        pcDARTSCIFAR,    // PC-DARTS genotypes.py: PCDARTS = PC_DARTS_cifar
		"PDARTS":         pDARTS,          // P-DARTS, CIFAR-10
	}
	builtinDescriptions = map[string]string{
		"DARTS_V1":       "first-order DARTS cell searched on CIFAR-10 (Liu et al. 2019, quark0/darts genotypes.py)",
		"DARTS_V2":       "second-order DARTS cell searched on CIFAR-10 (Liu et al. 2019, quark0/darts genotypes.py)",
		"DARTS":          "alias of DARTS_V2, as in quark0/darts genotypes.py",
		"PC_DARTS_cifar": "PC-DARTS cell searched on CIFAR-10 (Xu et al. 2020, yuhuixu1993/PC-DARTS genotypes.py)",
		"PC_DARTS_image": "PC-DARTS cell searched on ImageNet (Xu et al. 2020, yuhuixu1993/PC-DARTS genotypes.py)",
		"PCDARTS":        "alias of PC_DARTS_cifar, as in yuhuixu1993/PC-DARTS genotypes.py",
		"PDARTS":         "P-DARTS cell searched on CIFAR-10 (Chen et al. 2019, chenxin061/pdarts genotypes.py)",
	}
)

// BuiltinGenotypeNames returns the names of the built-in genotypes, sorted.
func BuiltinGenotypeNames() []string {
	names := make([]string, 0, len(builtinGenotypes))
	for n := range builtinGenotypes {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// BuiltinGenotype returns a copy of the built-in genotype called name
// (see BuiltinGenotypeNames: the published DARTS_V1, DARTS_V2, PC_DARTS_cifar,
// PC_DARTS_image, PDARTS and the aliases DARTS, PCDARTS of their reference
// genotypes.py files) and whether it exists.
func BuiltinGenotype(name string) (Genotype, bool) {
	g, ok := builtinGenotypes[name]
	return g.Clone(), ok
}

// BuiltinGenotypeDescription returns a one-line description of the built-in
// genotype called name, or "" if there is none.
func BuiltinGenotypeDescription(name string) string { return builtinDescriptions[name] }

// GenotypeError is a rule of the DARTS space broken by a genotype. It wraps
// ErrInvalidGenotype.
type GenotypeError struct {
	// Cell is "normal" or "reduce".
	Cell string
	// Concat is true when the problem is in the concat list, false when it
	// is in the edge list.
	Concat bool
	// Index is the position in the edge (or concat) list, or -1 when the
	// problem is with the list as a whole.
	Index int
	// Msg states the rule that was broken, with the value found.
	Msg string
}

// Error formats the error as "normal[3]: node 1 (edge 2 of 2): <rule>",
// "reduce_concat[0]: <rule>" or "normal: <rule>".
func (e *GenotypeError) Error() string {
	field := e.Cell
	if e.Concat {
		field += "_concat"
	}
	switch {
	case e.Index < 0:
		return field + ": " + e.Msg
	case e.Concat:
		return fmt.Sprintf("%s[%d]: %s", field, e.Index, e.Msg)
	default:
		return fmt.Sprintf("%s[%d]: node %d (edge %d of %d): %s", field, e.Index,
			e.Index/DARTSEdgesPerNode, e.Index%DARTSEdgesPerNode+1, DARTSEdgesPerNode, e.Msg)
	}
}

// Unwrap returns ErrInvalidGenotype.
func (e *GenotypeError) Unwrap() error { return ErrInvalidGenotype }

// Validate checks g against the DARTS CNN space: each cell has
// DARTSNodes nodes of DARTSEdgesPerNode edges (8 edges); the edges of node i
// (state 2+i) take inputs in [0, 2+i); ops are DARTSPrimitives other than
// "none" (none is a search candidate, never a derived op); concat indices
// lie in [2, 6) without duplicates and the list is not empty. It returns
// every problem found, each a *GenotypeError, joined with errors.Join, or
// nil.
func (g Genotype) Validate() error {
	var errs []error
	errs = validateCell(errs, "normal", g.Normal, g.NormalConcat)
	errs = validateCell(errs, "reduce", g.Reduce, g.ReduceConcat)
	return errors.Join(errs...)
}

func validateCell(errs []error, cell string, edges []GenotypeEdge, concat []int) []error {
	want := DARTSNodes * DARTSEdgesPerNode
	if len(edges) != want {
		errs = append(errs, &GenotypeError{Cell: cell, Index: -1,
			Msg: fmt.Sprintf("got %d edges, want %d (%d per node for %d nodes)", len(edges), want, DARTSEdgesPerNode, DARTSNodes)})
	}
	for i, e := range edges {
		node := i / DARTSEdgesPerNode
		switch {
		case e.Op == "none":
			errs = append(errs, &GenotypeError{Cell: cell, Index: i,
				Msg: `op "none" is not allowed in a genotype (it is a search candidate only; pick another op)`})
		case !slices.Contains(DARTSPrimitives, e.Op):
			errs = append(errs, &GenotypeError{Cell: cell, Index: i,
				Msg: fmt.Sprintf("unknown op %q (valid: %s)", e.Op, strings.Join(DARTSPrimitives[1:], ", "))})
		}
		if e.Input < 0 || e.Input >= 2+node {
			errs = append(errs, &GenotypeError{Cell: cell, Index: i,
				Msg: fmt.Sprintf("input %d out of range [0, %d)", e.Input, 2+node)})
		}
	}
	if len(concat) == 0 {
		errs = append(errs, &GenotypeError{Cell: cell, Concat: true, Index: -1, Msg: "empty, want states to concatenate, e.g. [2, 3, 4, 5]"})
	}
	seen := map[int]bool{}
	for i, c := range concat {
		if c < 2 || c >= 2+DARTSNodes {
			errs = append(errs, &GenotypeError{Cell: cell, Concat: true, Index: i,
				Msg: fmt.Sprintf("state %d out of range [2, %d)", c, 2+DARTSNodes)})
		} else if seen[c] {
			errs = append(errs, &GenotypeError{Cell: cell, Concat: true, Index: i,
				Msg: fmt.Sprintf("duplicate state %d", c)})
		}
		seen[c] = true
	}
	return errs
}

// ParseGenotype reads a genotype from src, either JSON (the first
// non-space byte is '{') or the Python literal of DARTS' genotypes.py. name
// picks an assignment in a Python file with several; "" takes the only one
// (or fails, listing the names, when there are several). name must be ""
// for JSON. The genotype is not validated; call Validate.
func ParseGenotype(src []byte, name string) (Genotype, error) {
	ng, err := ParseNamedGenotype(src, name)
	return ng.Genotype, err
}

// ParseNamedGenotype is ParseGenotype that also returns the name the
// genotype was assigned to in Python text ("" for JSON and for a bare
// Genotype(...)).
func ParseNamedGenotype(src []byte, name string) (NamedGenotype, error) {
	if genoIsJSON(src) {
		if name != "" {
			return NamedGenotype{}, fmt.Errorf("a JSON genotype holds one genotype, cannot pick %q by name: %w", name, ErrGenotypeSyntax)
		}
		g, err := ParseGenotypeJSON(src)
		return NamedGenotype{Genotype: g}, err
	}
	return parseNamedGenotypePython(src, name)
}

func genoIsJSON(src []byte) bool {
	src = bytes.TrimPrefix(src, []byte("\uFEFF"))
	t := bytes.TrimLeft(src, " \t\r\n")
	return len(t) > 0 && t[0] == '{'
}

// LoadGenotype returns the built-in genotype called nameOrPath (see
// BuiltinGenotypeNames) or reads the file at that path, JSON or Python
// literal, detected by content. A built-in name wins over a file of the same
// name; write ./DARTS to read such a file. Errors name the file, with
// line:col for syntax errors ("g.py:3:14: ..."). The genotype is not
// validated; call Validate.
func LoadGenotype(nameOrPath string) (Genotype, error) {
	ng, err := LoadNamedGenotype(nameOrPath, "")
	return ng.Genotype, err
}

// LoadNamedGenotype is LoadGenotype that picks the assignment called name
// in a Python file with several (name "" takes the only one) and returns
// the genotype's name: the built-in name, or the Python assignment's name
// ("" for JSON).
func LoadNamedGenotype(nameOrPath, name string) (NamedGenotype, error) {
	if g, ok := BuiltinGenotype(nameOrPath); ok {
		if name != "" && name != nameOrPath {
			return NamedGenotype{}, fmt.Errorf("%s is a built-in genotype, cannot pick %q in it", nameOrPath, name)
		}
		return NamedGenotype{Name: nameOrPath, Genotype: g}, nil
	}
	src, err := os.ReadFile(nameOrPath)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return NamedGenotype{}, fmt.Errorf("%w (and not a built-in genotype: %s)", err, strings.Join(BuiltinGenotypeNames(), ", "))
		}
		return NamedGenotype{}, err
	}
	ng, err := ParseNamedGenotype(src, name)
	if err != nil {
		return NamedGenotype{}, genoWithFile(nameOrPath, err)
	}
	return ng, nil
}

// genoWithFile prefixes err with the file path: "path:line:col: msg" for a
// *SyntaxPosError, "path: msg" otherwise. It keeps err in the chain.
func genoWithFile(path string, err error) error {
	if _, ok := err.(*SyntaxPosError); ok {
		return &genoFileError{path: path, sep: ":", err: err}
	}
	return &genoFileError{path: path, sep: ": ", err: err}
}

type genoFileError struct {
	path, sep string
	err       error
}

func (e *genoFileError) Error() string { return e.path + e.sep + e.err.Error() }
func (e *genoFileError) Unwrap() error { return e.err }

// SyntaxPosError is a syntax error in genotype text at a 1-based line and
// column (columns count bytes). It wraps ErrGenotypeSyntax.
type SyntaxPosError struct {
	Line, Col int
	Msg       string
}

// Error formats the error as "line:col: msg".
func (e *SyntaxPosError) Error() string { return fmt.Sprintf("%d:%d: %s", e.Line, e.Col, e.Msg) }

// Unwrap returns ErrGenotypeSyntax.
func (e *SyntaxPosError) Unwrap() error { return ErrGenotypeSyntax }

// lineCol converts a byte offset of src into a 1-based line and column.
func genoLineCol(src []byte, off int) (int, int) {
	if off > len(src) {
		off = len(src)
	}
	if off < 0 {
		off = 0
	}
	line := 1 + bytes.Count(src[:off], []byte{'\n'})
	col := off - bytes.LastIndexByte(src[:off], '\n')
	return line, col
}
