package searchspace

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// This file reads and writes the Python literal of DARTS' genotypes.py:
//
//	DARTS_V2 = Genotype(normal=[('sep_conv_3x3', 0), ...], normal_concat=[2, 3, 4, 5],
//	                    reduce=[...], reduce_concat=range(2, 6))
//
// It is a small tokenizer and recursive-descent parser, not a Python
// interpreter: it understands the statements `NAME = Genotype(...)`,
// `NAME = OTHER_NAME` (an alias of a genotype seen earlier) and a bare
// `Genotype(...)`, also after other tokens on the line (a pasted log line
// "10:01:34 PM genotype = Genotype(...)"), and skips every other statement
// (imports, the namedtuple definition, PRIMITIVES, ...) after tokenizing it.

// maxRangeLen bounds range(a, b) in a concat list, so that text such as
// range(0, 10**18) cannot make the reader allocate without bound. A DARTS
// cell has 4 intermediate states; 64 leaves room for any real cell.
const maxRangeLen = 64

type pyKind int

const (
	pyEOF     pyKind = iota
	pyName           // identifier
	pyNumber         // digits, possibly with '.', 'e', '_', 'x' ...
	pyString         // quoted string, value unescaped
	pyOp             // one punctuation rune
	pyNewline        // end of a logical line (outside brackets) or ';'
)

type pyToken struct {
	kind pyKind
	text string // the source text, or the unescaped value of a string
	off  int    // byte offset of the token start
}

func (t pyToken) describe() string {
	switch t.kind {
	case pyEOF:
		return "end of input"
	case pyName:
		return "name " + t.text
	case pyNumber:
		return "number " + t.text
	case pyString:
		return "string " + strconv.Quote(t.text)
	case pyNewline:
		switch t.text {
		case ";":
			return "';'"
		case "":
			return "end of input"
		}
		return "end of line"
	}
	return "'" + t.text + "'"
}

// tokenizePython splits src into tokens. Comments, blank lines and
// backslash continuations are dropped; newlines inside brackets are
// whitespace, as in Python.
func tokenizePython(src []byte) ([]pyToken, error) {
	var toks []pyToken
	depth := 0
	i := 0
	if strings.HasPrefix(string(src), "\uFEFF") {
		i = 3
	}
	errAt := func(off int, format string, args ...any) error {
		line, col := genoLineCol(src, off)
		return &SyntaxPosError{Line: line, Col: col, Msg: fmt.Sprintf(format, args...)}
	}
	newline := func(off int, text string) {
		if n := len(toks); n > 0 && toks[n-1].kind != pyNewline {
			toks = append(toks, pyToken{kind: pyNewline, text: text, off: off})
		}
	}
	for i < len(src) {
		c := src[i]
		switch {
		case c == ' ' || c == '\t' || c == '\r' || c == '\f':
			i++
		case c == '\n':
			if depth == 0 {
				newline(i, "\n")
			}
			i++
		case c == '#':
			for i < len(src) && src[i] != '\n' {
				i++
			}
		case c == '\\':
			j := i + 1
			if j < len(src) && src[j] == '\r' {
				j++
			}
			if j >= len(src) || src[j] != '\n' {
				return nil, errAt(i, "stray '\\' outside a string (a line continuation must end the line)")
			}
			i = j + 1
		case c == ';' && depth == 0:
			newline(i, ";")
			i++
		case c == '\'' || c == '"':
			s, n, err := scanPyString(src, i)
			if err != nil {
				return nil, errAt(i, "%v", err)
			}
			toks = append(toks, pyToken{kind: pyString, text: s, off: i})
			i += n
		case c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= utf8.RuneSelf:
			j := i
			for j < len(src) {
				r, size := utf8.DecodeRune(src[j:])
				if r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r >= utf8.RuneSelf && r != utf8.RuneError {
					j += size
					continue
				}
				break
			}
			if j == i { // a lone invalid UTF-8 byte
				return nil, errAt(i, "invalid UTF-8 byte 0x%02x", c)
			}
			toks = append(toks, pyToken{kind: pyName, text: string(src[i:j]), off: i})
			i = j
		case c >= '0' && c <= '9':
			j := i
			for j < len(src) {
				d := src[j]
				if d >= '0' && d <= '9' || d >= 'a' && d <= 'z' || d >= 'A' && d <= 'Z' || d == '_' || d == '.' {
					j++
					continue
				}
				break
			}
			toks = append(toks, pyToken{kind: pyNumber, text: string(src[i:j]), off: i})
			i = j
		default:
			switch c {
			case '(', '[', '{':
				depth++
			case ')', ']', '}':
				if depth > 0 {
					depth--
				}
			}
			toks = append(toks, pyToken{kind: pyOp, text: string(c), off: i})
			i++
		}
	}
	newline(len(src), "")
	toks = append(toks, pyToken{kind: pyEOF, off: len(src)})
	return toks, nil
}

// scanPyString scans the string literal starting at src[i] (a quote) and
// returns its value and length. It knows single, double and triple quotes
// and the common backslash escapes; other escapes are kept verbatim, as
// Python does.
func scanPyString(src []byte, i int) (string, int, error) {
	q := src[i]
	triple := i+2 < len(src) && src[i+1] == q && src[i+2] == q
	j := i + 1
	if triple {
		j = i + 3
	}
	var b strings.Builder
	for j < len(src) {
		c := src[j]
		switch {
		case c == '\\' && j+1 < len(src):
			esc := src[j+1]
			switch esc {
			case '\\', '\'', '"':
				b.WriteByte(esc)
			case 'n':
				b.WriteByte('\n')
			case 't':
				b.WriteByte('\t')
			case '\n':
			default:
				b.WriteByte('\\')
				b.WriteByte(esc)
			}
			j += 2
		case c == q && !triple:
			return b.String(), j + 1 - i, nil
		case c == q && triple && j+2 < len(src) && src[j+1] == q && src[j+2] == q:
			return b.String(), j + 3 - i, nil
		case c == '\n' && !triple:
			return "", 0, fmt.Errorf("unterminated string (missing closing %c before end of line)", q)
		default:
			b.WriteByte(c)
			j++
		}
	}
	return "", 0, fmt.Errorf("unterminated string (missing closing %c)", q)
}

// NamedGenotype is a genotype read from a Python file with the name it was
// assigned to ("" for a bare Genotype(...) expression).
type NamedGenotype struct {
	Name     string
	Genotype Genotype
}

// ParseGenotypesPython reads every genotype of a genotypes.py-style file, in
// order: each `NAME = Genotype(...)`, each alias `NAME = OTHER` of a
// genotype assigned earlier, and each bare `Genotype(...)`. Other statements
// are skipped. Inside Genotype(...) it accepts keyword or positional
// arguments, single or double quotes, tuples or lists, range(a, b) or
// literal lists for the concat fields, trailing commas and any whitespace.
// Errors are *SyntaxPosError values with line:col. It fails when no
// genotype is found.
func ParseGenotypesPython(src []byte) ([]NamedGenotype, error) {
	toks, err := tokenizePython(src)
	if err != nil {
		return nil, err
	}
	p := &pyParser{src: src, toks: toks}
	var out []NamedGenotype
	for p.peek().kind != pyEOF {
		start := p.pos
		if p.peek().kind == pyName && p.isOp(p.peekAt(1), "=") && p.peekAt(2).kind == pyName &&
			(p.peekAt(3).kind == pyNewline || p.peekAt(3).kind == pyEOF) {
			// NAME = OTHER: an alias when OTHER is a genotype seen before.
			name, target := p.peek().text, p.peekAt(2).text
			for k := len(out) - 1; k >= 0; k-- {
				if out[k].Name == target {
					out = append(out, NamedGenotype{Name: name, Genotype: out[k].Genotype.Clone()})
					break
				}
			}
		} else if k := p.findGenotypeCall(); k >= 0 {
			// NAME = Genotype(...) or a bare Genotype(...), possibly after
			// other tokens, as in a pasted log line "... genotype = Genotype(...)".
			name := ""
			if k-2 >= start && p.toks[k-2].kind == pyName && p.isOp(p.toks[k-1], "=") {
				name = p.toks[k-2].text
			}
			p.pos = k
			g, err := p.genotypeCall()
			if err != nil {
				return nil, err
			}
			if t := p.peek(); t.kind != pyNewline && t.kind != pyEOF {
				return nil, p.errAt(t, "unexpected %s after Genotype(...); want the end of the statement", t.describe())
			}
			out = append(out, NamedGenotype{Name: name, Genotype: g})
		}
		p.skipStatement()
	}
	if len(out) == 0 {
		return nil, p.errAt(pyToken{off: 0}, "no Genotype(...) found; want `NAME = Genotype(normal=[...], normal_concat=..., reduce=[...], reduce_concat=...)`")
	}
	return out, nil
}

// ParseGenotypePython reads one genotype from Python text (see
// ParseGenotypesPython). name picks the assignment of that name (the last
// one if it is assigned twice, as Python would); "" takes the only genotype
// and fails when there are several, listing their names. The genotype is not
// validated; call Validate.
func ParseGenotypePython(src []byte, name string) (Genotype, error) {
	ng, err := parseNamedGenotypePython(src, name)
	return ng.Genotype, err
}

func parseNamedGenotypePython(src []byte, name string) (NamedGenotype, error) {
	all, err := ParseGenotypesPython(src)
	if err != nil {
		return NamedGenotype{}, err
	}
	if name == "" {
		if len(all) == 1 {
			return all[0], nil
		}
		return NamedGenotype{}, fmt.Errorf("%d genotypes in the file (%s); pick one by name: %w", len(all), genoNames(all), ErrGenotypeSyntax)
	}
	for k := len(all) - 1; k >= 0; k-- {
		if all[k].Name == name {
			return all[k], nil
		}
	}
	return NamedGenotype{}, fmt.Errorf("no genotype named %q in the file (found: %s): %w", name, genoNames(all), ErrGenotypeSyntax)
}

func genoNames(all []NamedGenotype) string {
	names := make([]string, len(all))
	for i, ng := range all {
		names[i] = ng.Name
		if ng.Name == "" {
			names[i] = "<unnamed>"
		}
	}
	return strings.Join(names, ", ")
}

type pyParser struct {
	src  []byte
	toks []pyToken
	pos  int
}

func (p *pyParser) peek() pyToken { return p.peekAt(0) }

func (p *pyParser) peekAt(k int) pyToken {
	if p.pos+k < len(p.toks) {
		return p.toks[p.pos+k]
	}
	return p.toks[len(p.toks)-1]
}

func (p *pyParser) next() pyToken {
	t := p.peek()
	if p.pos < len(p.toks)-1 {
		p.pos++
	}
	return t
}

func (p *pyParser) errAt(t pyToken, format string, args ...any) error {
	line, col := genoLineCol(p.src, t.off)
	return &SyntaxPosError{Line: line, Col: col, Msg: fmt.Sprintf(format, args...)}
}

// skipStatement moves past the next end of statement.
func (p *pyParser) skipStatement() {
	for {
		t := p.next()
		if t.kind == pyNewline || t.kind == pyEOF {
			return
		}
	}
}

// findGenotypeCall returns the index of the first Genotype( or
// module.Genotype( in the statement at pos, or -1. It leaves pos unchanged.
func (p *pyParser) findGenotypeCall() int {
	start := p.pos
	defer func() { p.pos = start }()
	for ; p.peek().kind != pyNewline && p.peek().kind != pyEOF; p.pos++ {
		if p.atGenotypeCall() {
			return p.pos
		}
	}
	return -1
}

// atGenotypeCall reports whether the tokens at pos are Genotype( or
// module.Genotype(.
func (p *pyParser) atGenotypeCall() bool {
	k := 0
	for p.peekAt(k).kind == pyName && p.peekAt(k+1).kind == pyOp && p.peekAt(k+1).text == "." {
		k += 2
	}
	return p.peekAt(k).kind == pyName && p.peekAt(k).text == "Genotype" && p.peekAt(k+1).kind == pyOp && p.peekAt(k+1).text == "("
}

func (p *pyParser) isOp(t pyToken, s string) bool { return t.kind == pyOp && t.text == s }

func (p *pyParser) expectOp(s, what string) (pyToken, error) {
	t := p.next()
	if !p.isOp(t, s) {
		return t, p.errAt(t, "want %s, got %s", what, t.describe())
	}
	return t, nil
}

// genotypeArgs are the fields of Genotype in namedtuple order.
var genotypeArgs = []string{"normal", "normal_concat", "reduce", "reduce_concat"}

func (p *pyParser) genotypeCall() (Genotype, error) {
	var g Genotype
	for p.peek().kind == pyName && p.isOp(p.peekAt(1), ".") {
		p.pos += 2
	}
	callTok := p.next() // Genotype
	p.next()            // (
	seen := map[string]bool{}
	positional := 0
	sawKeyword := false
	for !p.isOp(p.peek(), ")") {
		t := p.peek()
		var field string
		if t.kind == pyName && p.isOp(p.peekAt(1), "=") {
			field = t.text
			if !slices.Contains(genotypeArgs, field) {
				return g, p.errAt(t, "unknown Genotype field %q (valid: %s)", field, strings.Join(genotypeArgs, ", "))
			}
			p.pos += 2
			sawKeyword = true
		} else {
			if sawKeyword {
				return g, p.errAt(t, "positional argument after keyword argument")
			}
			if positional >= len(genotypeArgs) {
				return g, p.errAt(t, "too many arguments to Genotype (want 4: %s)", strings.Join(genotypeArgs, ", "))
			}
			field = genotypeArgs[positional]
			positional++
		}
		if seen[field] {
			return g, p.errAt(t, "Genotype field %q given twice", field)
		}
		seen[field] = true
		var err error
		switch field {
		case "normal":
			g.Normal, err = p.edgeList(field)
		case "reduce":
			g.Reduce, err = p.edgeList(field)
		case "normal_concat":
			g.NormalConcat, err = p.concat(field)
		case "reduce_concat":
			g.ReduceConcat, err = p.concat(field)
		}
		if err != nil {
			return g, err
		}
		if p.isOp(p.peek(), ",") {
			p.next()
			continue
		}
		if !p.isOp(p.peek(), ")") {
			t := p.peek()
			return g, p.errAt(t, "want ',' or ')' after Genotype field %s, got %s", field, t.describe())
		}
	}
	p.next() // )
	for _, f := range genotypeArgs {
		if !seen[f] {
			return g, p.errAt(callTok, "Genotype(...) is missing field %s (want all of %s)", f, strings.Join(genotypeArgs, ", "))
		}
	}
	return g, nil
}

// openSeq consumes '[' or '(' and returns the matching closer.
func (p *pyParser) openSeq(what string) (string, error) {
	t := p.next()
	switch {
	case p.isOp(t, "["):
		return "]", nil
	case p.isOp(t, "("):
		return ")", nil
	}
	return "", p.errAt(t, "want %s, got %s", what, t.describe())
}

// seqItems calls item for each element of the sequence closed by closer,
// handling commas and a trailing comma.
func (p *pyParser) seqItems(closer, what string, item func(i int) error) error {
	for i := 0; ; i++ {
		if p.isOp(p.peek(), closer) {
			p.next()
			return nil
		}
		if err := item(i); err != nil {
			return err
		}
		t := p.peek()
		switch {
		case p.isOp(t, ","):
			p.next()
		case p.isOp(t, closer):
		default:
			return p.errAt(t, "want ',' or '%s' in %s, got %s", closer, what, t.describe())
		}
	}
}

func (p *pyParser) edgeList(field string) ([]GenotypeEdge, error) {
	closer, err := p.openSeq(fmt.Sprintf("a list of (op, input) pairs for %s", field))
	if err != nil {
		return nil, err
	}
	edges := []GenotypeEdge{}
	err = p.seqItems(closer, field, func(i int) error {
		where := fmt.Sprintf("%s[%d]", field, i)
		ecl, err := p.openSeq(fmt.Sprintf("an edge ('op', input) at %s", where))
		if err != nil {
			return err
		}
		var e GenotypeEdge
		t := p.next()
		if t.kind != pyString {
			return p.errAt(t, "%s: want the op name as a string, got %s", where, t.describe())
		}
		e.Op = t.text
		if _, err := p.expectOp(",", fmt.Sprintf("',' after the op of %s", where)); err != nil {
			return err
		}
		if e.Input, err = p.integer(where + " input"); err != nil {
			return err
		}
		if p.isOp(p.peek(), ",") {
			p.next()
		}
		if t := p.next(); !p.isOp(t, ecl) {
			return p.errAt(t, "%s: want '%s' closing the (op, input) pair, got %s", where, ecl, t.describe())
		}
		edges = append(edges, e)
		return nil
	})
	return edges, err
}

func (p *pyParser) integer(where string) (int, error) {
	t := p.next()
	sign := 1
	if p.isOp(t, "-") || p.isOp(t, "+") {
		if t.text == "-" {
			sign = -1
		}
		t = p.next()
	}
	if t.kind != pyNumber {
		return 0, p.errAt(t, "%s: want an integer, got %s", where, t.describe())
	}
	v, err := strconv.Atoi(strings.ReplaceAll(t.text, "_", ""))
	if err != nil || strings.HasPrefix(t.text, "_") {
		return 0, p.errAt(t, "%s: want a decimal integer, got %s", where, t.text)
	}
	return sign * v, nil
}

// concat reads [2, 3, 4, 5], (2, 3, 4, 5), range(2, 6) or list(range(2, 6)).
func (p *pyParser) concat(field string) ([]int, error) {
	return p.concatIn(field, true)
}

// concatIn reads a concat value; allowList says whether list(...) may wrap
// it (once: the recursion stays one level deep whatever the input).
func (p *pyParser) concatIn(field string, allowList bool) ([]int, error) {
	t := p.peek()
	if allowList && t.kind == pyName && t.text == "list" && p.isOp(p.peekAt(1), "(") {
		p.pos += 2
		v, err := p.concatIn(field, false)
		if err != nil {
			return nil, err
		}
		_, err = p.expectOp(")", fmt.Sprintf("')' closing list(...) of %s", field))
		return v, err
	}
	if t.kind == pyName && t.text == "range" && p.isOp(p.peekAt(1), "(") {
		p.pos += 2
		var args []int
		err := p.seqItems(")", "range(...)", func(i int) error {
			if i >= 3 {
				return p.errAt(p.peek(), "%s: range takes at most 3 arguments", field)
			}
			v, err := p.integer(fmt.Sprintf("%s range argument %d", field, i+1))
			args = append(args, v)
			return err
		})
		if err != nil {
			return nil, err
		}
		return expandRange(p, t, field, args)
	}
	closer, err := p.openSeq(fmt.Sprintf("a list of states or range(a, b) for %s", field))
	if err != nil {
		return nil, err
	}
	out := []int{}
	err = p.seqItems(closer, field, func(i int) error {
		v, err := p.integer(fmt.Sprintf("%s[%d]", field, i))
		out = append(out, v)
		return err
	})
	return out, err
}

func expandRange(p *pyParser, t pyToken, field string, args []int) ([]int, error) {
	start, stop, step := 0, 0, 1
	switch len(args) {
	case 0:
		return nil, p.errAt(t, "%s: range() needs 1 to 3 arguments", field)
	case 1:
		stop = args[0]
	case 2:
		start, stop = args[0], args[1]
	case 3:
		start, stop, step = args[0], args[1], args[2]
	}
	if step == 0 {
		return nil, p.errAt(t, "%s: range() step must not be zero", field)
	}
	out := []int{}
	for v := start; (step > 0 && v < stop) || (step < 0 && v > stop); v += step {
		if len(out) == maxRangeLen {
			return nil, p.errAt(t, "%s: range(%d, %d) has more than %d states", field, start, stop, maxRangeLen)
		}
		out = append(out, v)
		if (step > 0 && v > stop-step) || (step < 0 && v < stop-step) {
			break // the next v would overflow or pass stop
		}
	}
	return out, nil
}

// Python returns g as the Python literal of DARTS' genotypes.py, on one
// line, concat fields as lists:
//
//	Genotype(normal=[('sep_conv_3x3', 0), ...], normal_concat=[2, 3, 4, 5], reduce=[...], reduce_concat=[2, 3, 4, 5])
//
// For DARTS_V1 and DARTS_V2, "NAME = " + g.Python() is byte for byte the line
// of quark0/darts cnn/genotypes.py.
func (g Genotype) Python() string {
	var b strings.Builder
	b.WriteString("Genotype(normal=")
	writePyEdges(&b, g.Normal)
	b.WriteString(", normal_concat=")
	writePyInts(&b, g.NormalConcat)
	b.WriteString(", reduce=")
	writePyEdges(&b, g.Reduce)
	b.WriteString(", reduce_concat=")
	writePyInts(&b, g.ReduceConcat)
	b.WriteString(")")
	return b.String()
}

// String returns g.Python().
func (g Genotype) String() string { return g.Python() }

func writePyEdges(b *strings.Builder, edges []GenotypeEdge) {
	b.WriteByte('[')
	for i, e := range edges {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(b, "(%s, %d)", pyQuote(e.Op), e.Input)
	}
	b.WriteByte(']')
}

func writePyInts(b *strings.Builder, v []int) {
	b.WriteByte('[')
	for i, x := range v {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(strconv.Itoa(x))
	}
	b.WriteByte(']')
}

// pyQuote quotes s in single quotes, escaping what scanPyString unescapes,
// so that reading the literal back gives s.
func pyQuote(s string) string {
	var b strings.Builder
	b.WriteByte('\'')
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '\\', '\'':
			b.WriteByte('\\')
			b.WriteByte(c)
		case '\n':
			b.WriteString(`\n`)
		case '\t':
			b.WriteString(`\t`)
		default:
			b.WriteByte(c)
		}
	}
	b.WriteByte('\'')
	return b.String()
}
