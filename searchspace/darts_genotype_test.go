package searchspace

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The two lines of quark0/darts cnn/genotypes.py that define the published
// genotypes, verbatim (genotypes.py at the final commit of the repository;
// V1 is also the `DARTS = ...` line of commit 8876e79).
const (
	dartsV1Line = `DARTS_V1 = Genotype(normal=[('sep_conv_3x3', 1), ('sep_conv_3x3', 0), ('skip_connect', 0), ('sep_conv_3x3', 1), ('skip_connect', 0), ('sep_conv_3x3', 1), ('sep_conv_3x3', 0), ('skip_connect', 2)], normal_concat=[2, 3, 4, 5], reduce=[('max_pool_3x3', 0), ('max_pool_3x3', 1), ('skip_connect', 2), ('max_pool_3x3', 0), ('max_pool_3x3', 0), ('skip_connect', 2), ('skip_connect', 2), ('avg_pool_3x3', 0)], reduce_concat=[2, 3, 4, 5])`
	dartsV2Line = `DARTS_V2 = Genotype(normal=[('sep_conv_3x3', 0), ('sep_conv_3x3', 1), ('sep_conv_3x3', 0), ('sep_conv_3x3', 1), ('sep_conv_3x3', 1), ('skip_connect', 0), ('skip_connect', 0), ('dil_conv_3x3', 2)], normal_concat=[2, 3, 4, 5], reduce=[('max_pool_3x3', 0), ('max_pool_3x3', 1), ('skip_connect', 2), ('max_pool_3x3', 1), ('max_pool_3x3', 0), ('skip_connect', 2), ('skip_connect', 2), ('max_pool_3x3', 1)], reduce_concat=[2, 3, 4, 5])`
)

// dartsV2JSON is the JSON form written by Genotype.JSON for DARTS_V2.
const dartsV2JSON = `{
  "normal": [["sep_conv_3x3", 0], ["sep_conv_3x3", 1], ["sep_conv_3x3", 0], ["sep_conv_3x3", 1], ["sep_conv_3x3", 1], ["skip_connect", 0], ["skip_connect", 0], ["dil_conv_3x3", 2]],
  "normal_concat": [2, 3, 4, 5],
  "reduce": [["max_pool_3x3", 0], ["max_pool_3x3", 1], ["skip_connect", 2], ["max_pool_3x3", 1], ["max_pool_3x3", 0], ["skip_connect", 2], ["skip_connect", 2], ["max_pool_3x3", 1]],
  "reduce_concat": [2, 3, 4, 5]
}
`

func mustBuiltin(t testing.TB, name string) Genotype {
	t.Helper()
	g, ok := BuiltinGenotype(name)
	if !ok {
		t.Fatalf("BuiltinGenotype(%q) not found", name)
	}
	return g
}

func TestBuiltinGenotypes(t *testing.T) {
	if got, want := strings.Join(BuiltinGenotypeNames(), ","), "DARTS,DARTS_V1,DARTS_V2,PCDARTS,PC_DARTS_cifar,PC_DARTS_image,PDARTS"; got != want {
		t.Errorf("BuiltinGenotypeNames() = %s, want %s", got, want)
	}
	for _, name := range BuiltinGenotypeNames() {
		g := mustBuiltin(t, name)
		if err := g.Validate(); err != nil {
			t.Errorf("%s.Validate() = %v", name, err)
		}
		if BuiltinGenotypeDescription(name) == "" {
			t.Errorf("BuiltinGenotypeDescription(%q) is empty", name)
		}
	}
	if !mustBuiltin(t, "DARTS").Equal(mustBuiltin(t, "DARTS_V2")) {
		t.Errorf("DARTS != DARTS_V2, want the alias of genotypes.py")
	}
	// Built-ins are copies: changing one must not change the next lookup.
	g := mustBuiltin(t, "DARTS_V2")
	g.Normal[0].Op = "max_pool_3x3"
	if mustBuiltin(t, "DARTS_V2").Normal[0].Op != "sep_conv_3x3" {
		t.Errorf("BuiltinGenotype returned shared storage")
	}
}

// Lines of the reference genotypes.py of PC-DARTS (yuhuixu1993/PC-DARTS,
// commit 283b086) and P-DARTS (chenxin061/pdarts, commit b1575e1),
// verbatim, irregular spacing included.
const otherReferenceLines = `
PC_DARTS_cifar = Genotype(normal=[('sep_conv_3x3', 1), ('skip_connect', 0), ('sep_conv_3x3', 0), ('dil_conv_3x3', 1), ('sep_conv_5x5', 0), ('sep_conv_3x3', 1), ('avg_pool_3x3', 0), ('dil_conv_3x3', 1)], normal_concat=range(2, 6), reduce=[('sep_conv_5x5', 1), ('max_pool_3x3', 0), ('sep_conv_5x5', 1), ('sep_conv_5x5', 2), ('sep_conv_3x3', 0), ('sep_conv_3x3', 3), ('sep_conv_3x3', 1), ('sep_conv_3x3', 2)], reduce_concat=range(2, 6))
PC_DARTS_image = Genotype(normal=[('skip_connect', 1), ('sep_conv_3x3', 0), ('sep_conv_3x3', 0), ('skip_connect', 1), ('sep_conv_3x3', 1), ('sep_conv_3x3', 3), ('sep_conv_3x3', 1), ('dil_conv_5x5', 4)], normal_concat=range(2, 6), reduce=[('sep_conv_3x3', 0), ('skip_connect', 1), ('dil_conv_5x5', 2), ('max_pool_3x3', 1), ('sep_conv_3x3', 2), ('sep_conv_3x3', 1), ('sep_conv_5x5', 0), ('sep_conv_3x3', 3)], reduce_concat=range(2, 6))


PCDARTS = PC_DARTS_cifar

PDARTS = Genotype(normal=[('skip_connect', 0), ('dil_conv_3x3', 1), ('skip_connect', 0),('sep_conv_3x3', 1), ('sep_conv_3x3', 1), ('sep_conv_3x3', 3), ('sep_conv_3x3',0), ('dil_conv_5x5', 4)], normal_concat=range(2, 6), reduce=[('avg_pool_3x3', 0), ('sep_conv_5x5', 1), ('sep_conv_3x3', 0), ('dil_conv_5x5', 2), ('max_pool_3x3', 0), ('dil_conv_3x3', 1), ('dil_conv_3x3', 1), ('dil_conv_5x5', 3)], reduce_concat=range(2, 6))
`

func TestOtherBuiltinsMatchReference(t *testing.T) {
	all, err := ParseGenotypesPython([]byte(otherReferenceLines))
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 4 {
		t.Fatalf("read %d genotypes (%s), want 4", len(all), genoNames(all))
	}
	for _, ng := range all {
		if want := mustBuiltin(t, ng.Name); !ng.Genotype.Equal(want) {
			t.Errorf("%s: reference line reads as\n %v\nbuilt-in is\n %v", ng.Name, ng.Genotype, want)
		}
	}
}

func TestGenotypePythonMatchesReference(t *testing.T) {
	for _, tt := range []struct{ name, line string }{{"DARTS_V1", dartsV1Line}, {"DARTS_V2", dartsV2Line}} {
		g := mustBuiltin(t, tt.name)
		if got, _ := FormatGenotype(g, "python", tt.name); got != tt.line+"\n" {
			t.Errorf("python of %s:\n got %s\nwant %s", tt.name, got, tt.line)
		}
		// Python -> Genotype -> Python is the identity.
		parsed, err := ParseGenotypePython([]byte(tt.line), "")
		if err != nil {
			t.Fatalf("ParseGenotypePython(%s) error: %v", tt.name, err)
		}
		if !parsed.Equal(g) {
			t.Errorf("ParseGenotypePython(%s) = %v, want %v", tt.name, parsed, g)
		}
		if got := tt.name + " = " + parsed.Python(); got != tt.line {
			t.Errorf("Python round trip of %s:\n got %s\nwant %s", tt.name, got, tt.line)
		}
	}
}

func TestGenotypeJSONRoundTrip(t *testing.T) {
	if got := string(mustBuiltin(t, "DARTS_V2").JSON()); got != dartsV2JSON {
		t.Errorf("DARTS_V2.JSON() =\n%s\nwant\n%s", got, dartsV2JSON)
	}
	for _, name := range []string{"DARTS_V1", "DARTS_V2"} {
		g := mustBuiltin(t, name)
		text := g.JSON()
		back, err := ParseGenotypeJSON(text)
		if err != nil {
			t.Fatalf("ParseGenotypeJSON(%s.JSON()) error: %v", name, err)
		}
		if !back.Equal(g) || string(back.JSON()) != string(text) {
			t.Errorf("JSON round trip of %s changed it: %s", name, back.JSON())
		}
		// encoding/json sees the same form through MarshalJSON/UnmarshalJSON.
		wrapped, err := json.Marshal(struct {
			G Genotype `json:"genotype"`
		}{g})
		if err != nil {
			t.Fatal(err)
		}
		var w struct {
			G Genotype `json:"genotype"`
		}
		if err := json.Unmarshal(wrapped, &w); err != nil || !w.G.Equal(g) {
			t.Errorf("json.Unmarshal(json.Marshal(%s)) = %v, %v", name, w.G, err)
		}
		if err := json.Unmarshal([]byte(`{"genotype": null}`), &w); err != nil || !w.G.Equal(g) {
			t.Errorf("json.Unmarshal(null) = %v, %v; want no change", w.G, err)
		}
		if err := json.Unmarshal([]byte(`{"genotype": {"normal": []}}`), &w); err == nil {
			t.Errorf("json.Unmarshal(incomplete genotype) = nil error, want the strict reader's error")
		}
	}
}

func TestParseGenotypeJSONAccepts(t *testing.T) {
	v2 := mustBuiltin(t, "DARTS_V2")
	objectEdges := strings.NewReplacer(`["sep_conv_3x3", 0]`, `{"op": "sep_conv_3x3", "input": 0}`,
		`["max_pool_3x3", 1]`, `{"input": 1, "op": "max_pool_3x3"}`).Replace(dartsV2JSON)
	compact := strings.Join(strings.Fields(dartsV2JSON), "")
	reordered := `{"reduce_concat":[2,3,4,5],"reduce":` + jsonField(t, dartsV2JSON, "reduce") +
		`,"normal_concat":[2,3,4,5],"normal":` + jsonField(t, dartsV2JSON, "normal") + "}"
	for name, src := range map[string]string{"written": dartsV2JSON, "object edges": objectEdges, "compact": compact,
		"field order": reordered, "BOM and spaces": "\uFEFF \n" + dartsV2JSON + "\n\n"} {
		g, err := ParseGenotype([]byte(src), "")
		if err != nil {
			t.Errorf("%s: ParseGenotype error: %v", name, err)
			continue
		}
		if !g.Equal(v2) {
			t.Errorf("%s: ParseGenotype = %v, want DARTS_V2", name, g)
		}
	}
}

func jsonField(t *testing.T, src, field string) string {
	var m map[string]json.RawMessage
	if err := json.Unmarshal([]byte(src), &m); err != nil {
		t.Fatal(err)
	}
	return string(m[field])
}

func TestParseGenotypeJSONErrors(t *testing.T) {
	v2 := strings.TrimSpace(dartsV2JSON)
	tests := []struct {
		name, src, want string
	}{
		{"truncated in an edge", v2[:100], `2:99: unexpected end of input, want normal[4] op (truncated JSON?)`},
		{"truncated in a key", v2[:200], `3:17: unexpected end of input, want a field name (truncated JSON?)`},
		{"empty", "", `1:1: unexpected end of input, want '{' starting the genotype object (truncated JSON?)`},
		{"not an object", `[1, 2]`, `1:1: want '{' starting the genotype object, got '['`},
		{"unknown field", strings.Replace(v2, `"normal_concat"`, `"normal_concatt"`, 1), `3:3: unknown field "normal_concatt" (valid: normal, normal_concat, reduce, reduce_concat)`},
		{"duplicate field", strings.Replace(v2, `"reduce_concat"`, `"normal_concat"`, 1), `5:3: duplicate field "normal_concat"`},
		{"missing field", `{"normal": [], "reduce": [], "normal_concat": []}`, `1:1: genotype object is missing field "reduce_concat" (want all of normal, normal_concat, reduce, reduce_concat)`},
		{"trailing data", v2 + ` {}`, `6:3: trailing data after the genotype object: '{'`},
		{"trailing garbage", v2 + "\nx", `7:1: trailing data after the genotype object`},
		{"float input", strings.Replace(v2, `["sep_conv_3x3", 1]`, `["sep_conv_3x3", 1.5]`, 1), `2:52: normal[1] input: want an integer, got 1.5`},
		{"string input", strings.Replace(v2, `["sep_conv_3x3", 1]`, `["sep_conv_3x3", "1"]`, 1), `2:52: normal[1] input: want an integer, got string "1"`},
		{"op not a string", strings.Replace(v2, `["sep_conv_3x3", 1]`, `[4, 1]`, 1), `2:36: normal[1] op: want a string, got number 4`},
		{"three items", strings.Replace(v2, `["sep_conv_3x3", 1]`, `["sep_conv_3x3", 1, 2]`, 1), `2:55: normal[1]: an edge has 2 items [op, input], got more: number 2`},
		{"edge not a list", strings.Replace(v2, `["sep_conv_3x3", 1]`, `"sep_conv_3x3"`, 1), `2:35: normal[1]: want an edge ["op", input], got string "sep_conv_3x3"`},
		{"concat not ints", strings.Replace(v2, `"normal_concat": [2, 3, 4, 5]`, `"normal_concat": [2, 3, null]`, 1), `3:27: normal_concat[2]: want an integer, got null`},
		{"edge object missing input", `{"normal": [{"op": "skip_connect"}], "normal_concat": [], "reduce": [], "reduce_concat": []}`, `1:13: normal[0]: an edge object needs both "op" and "input"`},
		{"syntax error", `{"normal": [["skip_connect" 0]]}`, `1:29: invalid character '0' after array element`},
		{"huge input", strings.Replace(v2, `["sep_conv_3x3", 1]`, `["sep_conv_3x3", 99999999999999999999]`, 1), `2:52: normal[1] input: want an integer, got 99999999999999999999`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseGenotypeJSON([]byte(tt.src))
			if err == nil {
				t.Fatalf("ParseGenotypeJSON(%q) = nil error, want %q", tt.src, tt.want)
			}
			if err.Error() != tt.want {
				t.Errorf("ParseGenotypeJSON error\n got %q\nwant %q", err, tt.want)
			}
			if !errors.Is(err, ErrGenotypeSyntax) {
				t.Errorf("error %v does not wrap ErrGenotypeSyntax", err)
			}
		})
	}
}

// pastedFile is written the way genotypes.py files are: imports, the
// namedtuple, a list, multi-line genotypes with comments, trailing commas,
// double quotes and range(), aliases.
const pastedFile = `from collections import namedtuple

Genotype = namedtuple('Genotype', 'normal normal_concat reduce reduce_concat')

PRIMITIVES = [
    'none',
    'max_pool_3x3',
]

` + dartsV1Line + `
DARTS_V2 = Genotype(
    normal = [
        ("sep_conv_3x3", 0), ("sep_conv_3x3", 1),   # node 0
        ("sep_conv_3x3", 0), ("sep_conv_3x3", 1),
        ("sep_conv_3x3", 1), ("skip_connect", 0),
        ("skip_connect", 0), ("dil_conv_3x3", 2),
    ],
    normal_concat = range(2, 6),
    reduce = [('max_pool_3x3', 0), ('max_pool_3x3', 1), ('skip_connect', 2), ('max_pool_3x3', 1),
              ('max_pool_3x3', 0), ('skip_connect', 2), ('skip_connect', 2), ('max_pool_3x3', 1),],
    reduce_concat = list(range(2, 6)),
)

DARTS = DARTS_V2
NOT_A_GENOTYPE = PRIMITIVES
`

func TestParseGenotypePythonAccepts(t *testing.T) {
	v1, v2 := mustBuiltin(t, "DARTS_V1"), mustBuiltin(t, "DARTS_V2")
	all, err := ParseGenotypesPython([]byte(pastedFile))
	if err != nil {
		t.Fatalf("ParseGenotypesPython(pastedFile) error: %v", err)
	}
	// NOT_A_GENOTYPE = PRIMITIVES is no alias: PRIMITIVES is not a genotype.
	if got := genoNames(all); got != "DARTS_V1, DARTS_V2, DARTS" {
		t.Errorf("names = %s, want DARTS_V1, DARTS_V2, DARTS", got)
	}
	for _, tt := range []struct {
		name string
		want Genotype
	}{{"DARTS_V1", v1}, {"DARTS_V2", v2}, {"DARTS", v2}} {
		g, err := ParseGenotypePython([]byte(pastedFile), tt.name)
		if err != nil || !g.Equal(tt.want) {
			t.Errorf("ParseGenotypePython(pastedFile, %q) = %v, %v; want %v", tt.name, g, err, tt.want)
		}
	}
	expr := strings.TrimPrefix(dartsV2Line, "DARTS_V2 = ")
	positional := strings.NewReplacer("normal=", "", "normal_concat=", "", "reduce=", "", "reduce_concat=", "").Replace(expr)
	for name, src := range map[string]string{
		"bare expression":    expr,
		"one line with name": dartsV2Line,
		"double quotes":      strings.ReplaceAll(dartsV2Line, "'", `"`),
		"range":              strings.ReplaceAll(dartsV2Line, "[2, 3, 4, 5]", "range(2, 6)"),
		"tuples of lists": `Genotype(normal=(['sep_conv_3x3', 0], ['sep_conv_3x3', 1], ['sep_conv_3x3', 0], ['sep_conv_3x3', 1], ['sep_conv_3x3', 1], ['skip_connect', 0], ['skip_connect', 0], ['dil_conv_3x3', 2]), normal_concat=(2, 3, 4, 5),
			reduce=(['max_pool_3x3', 0], ['max_pool_3x3', 1], ['skip_connect', 2], ['max_pool_3x3', 1], ['max_pool_3x3', 0], ['skip_connect', 2], ['skip_connect', 2], ['max_pool_3x3', 1],), reduce_concat=(2, 3, 4, 5,))`,
		"positional":               positional,
		"module prefix":            "genotypes." + expr,
		"keywords out of order":    `Genotype(reduce_concat=range(2,6), reduce=` + pyField(expr, "reduce=") + `, normal_concat=[2,3,4,5], normal=` + pyField(expr, "normal=") + `,)`,
		"newlines and tabs":        strings.NewReplacer(", ", ",\n\t\t", "(", "(\n  ").Replace(dartsV2Line),
		"semicolons and CRLF":      "import x; " + strings.ReplaceAll(dartsV2Line+"\r\n# done\r\n", ", reduce=", ",\r\n reduce="),
		"backslash continuation":   "DARTS_V2 = \\\n  " + expr,
		"train_search.py log line": "11/05 10:01:34 PM genotype = " + strings.ReplaceAll(expr, "[2, 3, 4, 5]", "range(2, 6)") + "\n11/05 10:01:35 PM epoch 1 lr 2.5e-02",
	} {
		g, err := ParseGenotypePython([]byte(src), "")
		if err != nil {
			t.Errorf("%s: ParseGenotypePython error: %v\n%s", name, err, src)
			continue
		}
		if !g.Equal(v2) {
			t.Errorf("%s: ParseGenotypePython = %v, want DARTS_V2", name, g)
		}
	}
}

// pyField returns the bracketed list that follows key in expr.
func pyField(expr, key string) string {
	i := strings.Index(expr, key) + len(key)
	j := strings.Index(expr[i:], ")]") + i + 2
	return expr[i:j]
}

func TestParseGenotypePythonErrors(t *testing.T) {
	tests := []struct {
		name, src, pick, want string
	}{
		{"empty", "", "", "1:1: no Genotype(...) found; want `NAME = Genotype(normal=[...], normal_concat=..., reduce=[...], reduce_concat=...)`"},
		{"unterminated string", "G = Genotype(normal=[('sep_conv_3x3, 0)])", "", "1:23: unterminated string (missing closing ')"},
		{"string cut by newline", "G = Genotype(normal=[('sep_conv_3x3,\n 0)])", "", "1:23: unterminated string (missing closing ' before end of line)"},
		{"missing comma", "G = Genotype(normal=[('sep_conv_3x3' 0)])", "", "1:38: want ',' after the op of normal[0], got number 0"},
		{"missing field", "G = Genotype(normal=[], normal_concat=[], reduce=[])", "", "1:5: Genotype(...) is missing field reduce_concat (want all of normal, normal_concat, reduce, reduce_concat)"},
		{"unknown field", "G = Genotype(normal=[], normal_concatt=[])", "", `1:25: unknown Genotype field "normal_concatt" (valid: normal, normal_concat, reduce, reduce_concat)`},
		{"field twice", "G = Genotype(normal=[], normal=[])", "", `1:25: Genotype field "normal" given twice`},
		{"too many positional", "G = Genotype([], [], [], [], [])", "", "1:30: too many arguments to Genotype (want 4: normal, normal_concat, reduce, reduce_concat)"},
		{"positional after keyword", "G = Genotype(normal=[], [])", "", "1:25: positional argument after keyword argument"},
		{"truncated", "G = Genotype(normal=[('sep_conv_3x3', 0),\n  ('skip_connect', 1)", "", "2:22: want ',' or ']' in normal, got end of input"},
		{"input not int", "G = Genotype(normal=[('sep_conv_3x3', x)])", "", "1:39: normal[0] input: want an integer, got name x"},
		{"float input", "G = Genotype(normal=[('sep_conv_3x3', 1.0)])", "", "1:39: normal[0] input: want a decimal integer, got 1.0"},
		{"op not string", "G = Genotype(normal=[(sep_conv_3x3, 1)])", "", "1:23: normal[0]: want the op name as a string, got name sep_conv_3x3"},
		{"edge not a pair", "G = Genotype(normal=['sep_conv_3x3'])", "", `1:22: want an edge ('op', input) at normal[0], got string "sep_conv_3x3"`},
		{"three-item edge", "G = Genotype(normal=[('sep_conv_3x3', 1, 2)])", "", "1:42: normal[0]: want ')' closing the (op, input) pair, got number 2"},
		{"variable as list", "g = Genotype(normal=gene_normal, normal_concat=concat)", "", "1:21: want a list of (op, input) pairs for normal, got name gene_normal"},
		{"huge range", "G = Genotype(normal=[], normal_concat=range(0, 1000000000000), reduce=[], reduce_concat=[])", "", "1:39: normal_concat: range(0, 1000000000000) has more than 64 states"},
		{"list of list", "G = Genotype(normal=[], normal_concat=list(list(range(2, 6))), reduce=[], reduce_concat=[])", "", "1:44: want a list of states or range(a, b) for normal_concat, got name list"},
		{"zero step", "G = Genotype(normal=[], normal_concat=range(0, 6, 0), reduce=[], reduce_concat=[])", "", "1:39: normal_concat: range() step must not be zero"},
		{"range four args", "G = Genotype(normal=[], normal_concat=range(0, 6, 1, 2), reduce=[], reduce_concat=[])", "", "1:54: normal_concat: range takes at most 3 arguments"},
		{"after call", dartsV2Line + " + 1", "", "1:431: unexpected '+' after Genotype(...); want the end of the statement"},
		{"stray backslash", "G = \\ Genotype()", "", "1:5: stray '\\' outside a string (a line continuation must end the line)"},
		{"several, no name", pastedFile, "", "3 genotypes in the file (DARTS_V1, DARTS_V2, DARTS); pick one by name: genotype syntax error"},
		{"unknown name", pastedFile, "PDARTS", `no genotype named "PDARTS" in the file (found: DARTS_V1, DARTS_V2, DARTS): genotype syntax error`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseGenotypePython([]byte(tt.src), tt.pick)
			if err == nil {
				t.Fatalf("ParseGenotypePython(%q, %q) = nil error, want %q", tt.src, tt.pick, tt.want)
			}
			if err.Error() != tt.want {
				t.Errorf("ParseGenotypePython error\n got %q\nwant %q", err, tt.want)
			}
			if !errors.Is(err, ErrGenotypeSyntax) {
				t.Errorf("error %v does not wrap ErrGenotypeSyntax", err)
			}
		})
	}
}

func TestValidateErrors(t *testing.T) {
	v2 := func(edit func(g *Genotype)) Genotype {
		g := mustBuiltin(t, "DARTS_V2")
		edit(&g)
		return g
	}
	tests := []struct {
		name string
		g    Genotype
		want []string
	}{
		{"input out of range", v2(func(g *Genotype) { g.Normal[3].Input = 5 }),
			[]string{"normal[3]: node 1 (edge 2 of 2): input 5 out of range [0, 3)"}},
		{"negative input", v2(func(g *Genotype) { g.Reduce[0].Input = -1 }),
			[]string{"reduce[0]: node 0 (edge 1 of 2): input -1 out of range [0, 2)"}},
		{"last node may not read itself", v2(func(g *Genotype) { g.Normal[7].Input = 5 }),
			[]string{"normal[7]: node 3 (edge 2 of 2): input 5 out of range [0, 5)"}},
		{"none", v2(func(g *Genotype) { g.Reduce[6].Op = "none" }),
			[]string{`reduce[6]: node 3 (edge 1 of 2): op "none" is not allowed in a genotype (it is a search candidate only; pick another op)`}},
		{"unknown op", v2(func(g *Genotype) { g.Normal[0].Op = "sep_conv_7x7" }),
			[]string{`normal[0]: node 0 (edge 1 of 2): unknown op "sep_conv_7x7" (valid: max_pool_3x3, avg_pool_3x3, skip_connect, sep_conv_3x3, sep_conv_5x5, dil_conv_3x3, dil_conv_5x5)`}},
		{"too few edges", v2(func(g *Genotype) { g.Normal = g.Normal[:7] }),
			[]string{"normal: got 7 edges, want 8 (2 per node for 4 nodes)"}},
		{"concat out of range", v2(func(g *Genotype) { g.ReduceConcat = []int{2, 3, 4, 6} }),
			[]string{"reduce_concat[3]: state 6 out of range [2, 6)"}},
		{"concat duplicate", v2(func(g *Genotype) { g.NormalConcat = []int{2, 3, 3, 5} }),
			[]string{"normal_concat[2]: duplicate state 3"}},
		{"concat empty", v2(func(g *Genotype) { g.NormalConcat = nil }),
			[]string{"normal_concat: empty, want states to concatenate, e.g. [2, 3, 4, 5]"}},
		{"several problems", v2(func(g *Genotype) { g.Normal[0].Op = "none"; g.Normal[0].Input = 2; g.ReduceConcat = []int{1} }),
			[]string{`normal[0]: node 0 (edge 1 of 2): op "none" is not allowed in a genotype (it is a search candidate only; pick another op)`,
				"normal[0]: node 0 (edge 1 of 2): input 2 out of range [0, 2)",
				"reduce_concat[0]: state 1 out of range [2, 6)"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.g.Validate()
			if err == nil {
				t.Fatalf("Validate() = nil, want %q", tt.want)
			}
			if got := err.Error(); got != strings.Join(tt.want, "\n") {
				t.Errorf("Validate()\n got %q\nwant %q", got, strings.Join(tt.want, "\n"))
			}
			var ge *GenotypeError
			if !errors.Is(err, ErrInvalidGenotype) || !errors.As(err, &ge) {
				t.Errorf("Validate() error does not wrap ErrInvalidGenotype / *GenotypeError")
			}
		})
	}
	// Two edges from the same state are legal (NASNet's normal cell has them).
	g := v2(func(g *Genotype) { g.Normal[1].Input = 0 })
	if err := g.Validate(); err != nil {
		t.Errorf("Validate() of a node with two edges from state 0 = %v, want nil", err)
	}
}

func TestLoadGenotype(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	v1, v2 := mustBuiltin(t, "DARTS_V1"), mustBuiltin(t, "DARTS_V2")
	for _, tt := range []struct {
		arg, name string
		want      Genotype
		wantName  string
	}{
		{"DARTS", "", v2, "DARTS"},
		{"DARTS_V1", "", v1, "DARTS_V1"},
		{write("g.json", dartsV2JSON), "", v2, ""},
		{write("g.py", dartsV1Line), "", v1, "DARTS_V1"},
		{write("genotypes.py", pastedFile), "DARTS", v2, "DARTS"},
		{write("noext", dartsV2JSON), "", v2, ""},
	} {
		ng, err := LoadNamedGenotype(tt.arg, tt.name)
		if err != nil || !ng.Genotype.Equal(tt.want) || ng.Name != tt.wantName {
			t.Errorf("LoadNamedGenotype(%q, %q) = %v, %v; want %s = %v", tt.arg, tt.name, ng, err, tt.wantName, tt.want)
		}
	}
	bad := write("bad.json", `{"normal": [`)
	_, err := LoadGenotype(bad)
	if want := bad + ":1:13: unexpected end of input, want ']' closing the normal edge list (truncated JSON?)"; err == nil || err.Error() != want {
		t.Errorf("LoadGenotype(bad.json) error = %v, want %s", err, want)
	}
	_, err = LoadGenotype(filepath.Join(dir, "missing.json"))
	if err == nil || !strings.Contains(err.Error(), "no such file") || !strings.Contains(err.Error(), "not a built-in genotype: DARTS, DARTS_V1, DARTS_V2, PCDARTS") {
		t.Errorf("LoadGenotype(missing) error = %v", err)
	}
	if _, err := LoadNamedGenotype(write("one.json", dartsV2JSON), "X"); err == nil {
		t.Errorf("LoadNamedGenotype(json, X) = nil error, want one (JSON has no names)")
	}
}

func TestDARTSEdges(t *testing.T) {
	// Row order of α in quark0/darts model_search.py: for i in range(4): for j in range(2+i).
	want := [][2]int{{0, 2}, {1, 2}, {0, 3}, {1, 3}, {2, 3}, {0, 4}, {1, 4}, {2, 4}, {3, 4}, {0, 5}, {1, 5}, {2, 5}, {3, 5}, {4, 5}}
	got := DARTSEdges()
	if len(got) != DARTSNumEdges || len(got) != len(want) {
		t.Fatalf("len(DARTSEdges()) = %d, want %d", len(got), len(want))
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("DARTSEdges()[%d] = %v, want %v", i, got[i], want[i])
		}
	}
}
