package searchspace

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// genotypeJSONFields are the keys of the JSON genotype object, in the order
// they are written.
var genotypeJSONFields = []string{"normal", "normal_concat", "reduce", "reduce_concat"}

// ParseGenotypeJSON reads the JSON form of a genotype:
//
//	{"normal": [["sep_conv_3x3", 0], ...], "normal_concat": [2, 3, 4, 5],
//	 "reduce": [...], "reduce_concat": [2, 3, 4, 5]}
//
// An edge may also be written as an object {"op": "sep_conv_3x3", "input": 0}.
// Decoding is strict: all four fields are required, unknown or duplicate
// fields and trailing data are errors, inputs and concat states must be
// integers. Errors are *SyntaxPosError values with the line:col of the
// offending token. The genotype is not validated; call Validate.
func ParseGenotypeJSON(src []byte) (Genotype, error) {
	if bytes.HasPrefix(src, []byte("\uFEFF")) {
		// Blank out a UTF-8 byte order mark, keeping the offsets of the rest.
		src = append([]byte("   "), src[3:]...)
	}
	p := &jsonParser{src: src, dec: json.NewDecoder(bytes.NewReader(src))}
	p.dec.UseNumber()
	return p.genotype()
}

type jsonParser struct {
	src []byte
	dec *json.Decoder
}

// errAt returns a *SyntaxPosError at byte offset off.
func (p *jsonParser) errAt(off int, format string, args ...any) error {
	line, col := genoLineCol(p.src, off)
	return &SyntaxPosError{Line: line, Col: col, Msg: fmt.Sprintf(format, args...)}
}

// nextOffset is the offset of the next token: the decoder's offset past
// whitespace and the separators ',' and ':'.
func (p *jsonParser) nextOffset() int {
	off := int(p.dec.InputOffset())
	for off < len(p.src) {
		switch p.src[off] {
		case ' ', '\t', '\r', '\n', ',', ':':
			off++
			continue
		}
		break
	}
	return off
}

// token reads the next token and returns it with its offset. what says
// what the caller expected, for the truncation message.
func (p *jsonParser) token(what string) (json.Token, int, error) {
	off := p.nextOffset()
	tok, err := p.dec.Token()
	if err == nil {
		return tok, off, nil
	}
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return nil, len(p.src), p.errAt(len(p.src), "unexpected end of input, want %s (truncated JSON?)", what)
	}
	var se *json.SyntaxError
	if errors.As(err, &se) {
		o := int(se.Offset) - 1
		if o < off {
			o = off
		}
		return nil, o, p.errAt(o, "%s", se.Error())
	}
	return nil, off, p.errAt(off, "%v", err)
}

func describeJSON(tok json.Token) string {
	switch v := tok.(type) {
	case json.Delim:
		return "'" + v.String() + "'"
	case string:
		return "string " + strconv.Quote(v)
	case json.Number:
		return "number " + v.String()
	case bool:
		return strconv.FormatBool(v)
	case nil:
		return "null"
	}
	return fmt.Sprint(tok)
}

func (p *jsonParser) expectDelim(d json.Delim, what string) (int, error) {
	tok, off, err := p.token(what)
	if err != nil {
		return off, err
	}
	if got, ok := tok.(json.Delim); !ok || got != d {
		return off, p.errAt(off, "want %s, got %s", what, describeJSON(tok))
	}
	return off, nil
}

func (p *jsonParser) genotype() (Genotype, error) {
	var g Genotype
	start, err := p.expectDelim('{', "'{' starting the genotype object")
	if err != nil {
		return g, err
	}
	seen := map[string]bool{}
	for p.dec.More() {
		tok, off, err := p.token("a field name")
		if err != nil {
			return g, err
		}
		key, _ := tok.(string) // the decoder only yields strings as object keys
		if seen[key] {
			return g, p.errAt(off, "duplicate field %q", key)
		}
		seen[key] = true
		switch key {
		case "normal":
			g.Normal, err = p.edges(key)
		case "reduce":
			g.Reduce, err = p.edges(key)
		case "normal_concat":
			g.NormalConcat, err = p.ints(key)
		case "reduce_concat":
			g.ReduceConcat, err = p.ints(key)
		default:
			return g, p.errAt(off, "unknown field %q (valid: %s)", key, strings.Join(genotypeJSONFields, ", "))
		}
		if err != nil {
			return g, err
		}
	}
	if _, err := p.expectDelim('}', "'}' closing the genotype object"); err != nil {
		return g, err
	}
	for _, f := range genotypeJSONFields {
		if !seen[f] {
			return g, p.errAt(start, "genotype object is missing field %q (want all of %s)", f, strings.Join(genotypeJSONFields, ", "))
		}
	}
	off := p.nextOffset()
	if tok, err := p.dec.Token(); err != io.EOF {
		if err != nil {
			return g, p.errAt(off, "trailing data after the genotype object")
		}
		return g, p.errAt(off, "trailing data after the genotype object: %s", describeJSON(tok))
	}
	return g, nil
}

// edges reads a list of edges, each [op, input] or {"op":..,"input":..}.
func (p *jsonParser) edges(field string) ([]GenotypeEdge, error) {
	if _, err := p.expectDelim('[', fmt.Sprintf("'[' starting the %s edge list", field)); err != nil {
		return nil, err
	}
	edges := []GenotypeEdge{}
	for i := 0; p.dec.More(); i++ {
		where := fmt.Sprintf("%s[%d]", field, i)
		tok, off, err := p.token("an edge [op, input]")
		if err != nil {
			return nil, err
		}
		var e GenotypeEdge
		switch tok {
		case json.Delim('['):
			e, err = p.pairEdge(where)
		case json.Delim('{'):
			e, err = p.objectEdge(where, off)
		default:
			return nil, p.errAt(off, "%s: want an edge [\"op\", input], got %s", where, describeJSON(tok))
		}
		if err != nil {
			return nil, err
		}
		edges = append(edges, e)
	}
	_, err := p.expectDelim(']', fmt.Sprintf("']' closing the %s edge list", field))
	return edges, err
}

func (p *jsonParser) pairEdge(where string) (GenotypeEdge, error) {
	var e GenotypeEdge
	var err error
	if e.Op, err = p.str(where + " op"); err != nil {
		return e, err
	}
	if e.Input, err = p.integer(where + " input"); err != nil {
		return e, err
	}
	tok, off, err := p.token("']' closing the edge")
	if err != nil {
		return e, err
	}
	if tok != json.Delim(']') {
		return e, p.errAt(off, "%s: an edge has 2 items [op, input], got more: %s", where, describeJSON(tok))
	}
	return e, nil
}

func (p *jsonParser) objectEdge(where string, start int) (GenotypeEdge, error) {
	var e GenotypeEdge
	seen := map[string]bool{}
	for p.dec.More() {
		tok, off, err := p.token("\"op\" or \"input\"")
		if err != nil {
			return e, err
		}
		key, _ := tok.(string)
		if seen[key] {
			return e, p.errAt(off, "%s: duplicate field %q", where, key)
		}
		seen[key] = true
		switch key {
		case "op":
			e.Op, err = p.str(where + " op")
		case "input":
			e.Input, err = p.integer(where + " input")
		default:
			return e, p.errAt(off, "%s: unknown edge field %q (valid: op, input)", where, key)
		}
		if err != nil {
			return e, err
		}
	}
	if _, err := p.expectDelim('}', "'}' closing the edge"); err != nil {
		return e, err
	}
	if !seen["op"] || !seen["input"] {
		return e, p.errAt(start, "%s: an edge object needs both \"op\" and \"input\"", where)
	}
	return e, nil
}

func (p *jsonParser) str(where string) (string, error) {
	tok, off, err := p.token(where)
	if err != nil {
		return "", err
	}
	s, ok := tok.(string)
	if !ok {
		return "", p.errAt(off, "%s: want a string, got %s", where, describeJSON(tok))
	}
	return s, nil
}

func (p *jsonParser) integer(where string) (int, error) {
	tok, off, err := p.token(where)
	if err != nil {
		return 0, err
	}
	n, ok := tok.(json.Number)
	if !ok {
		return 0, p.errAt(off, "%s: want an integer, got %s", where, describeJSON(tok))
	}
	v, err := strconv.Atoi(n.String())
	if err != nil {
		return 0, p.errAt(off, "%s: want an integer, got %s", where, n.String())
	}
	return v, nil
}

func (p *jsonParser) ints(field string) ([]int, error) {
	if _, err := p.expectDelim('[', fmt.Sprintf("'[' starting the %s list", field)); err != nil {
		return nil, err
	}
	out := []int{}
	for i := 0; p.dec.More(); i++ {
		v, err := p.integer(fmt.Sprintf("%s[%d]", field, i))
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	_, err := p.expectDelim(']', fmt.Sprintf("']' closing the %s list", field))
	return out, err
}

// JSON returns the JSON form of g, the list form written by DARTS users
// ({"normal": [["sep_conv_3x3", 0], ...], ...}), one field per line, with a
// trailing newline. ParseGenotypeJSON(g.JSON()) equals g.
func (g Genotype) JSON() []byte {
	var b bytes.Buffer
	b.WriteString("{\n")
	writeEdges := func(name string, edges []GenotypeEdge) {
		fmt.Fprintf(&b, "  %q: [", name)
		for i, e := range edges {
			if i > 0 {
				b.WriteString(", ")
			}
			op, _ := json.Marshal(e.Op) // marshalling a string cannot fail
			fmt.Fprintf(&b, "[%s, %d]", op, e.Input)
		}
		b.WriteString("],\n")
	}
	writeInts := func(name string, v []int, last bool) {
		fmt.Fprintf(&b, "  %q: [", name)
		for i, x := range v {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(strconv.Itoa(x))
		}
		b.WriteString("]")
		if !last {
			b.WriteString(",")
		}
		b.WriteString("\n")
	}
	writeEdges("normal", g.Normal)
	writeInts("normal_concat", g.NormalConcat, false)
	writeEdges("reduce", g.Reduce)
	writeInts("reduce_concat", g.ReduceConcat, true)
	b.WriteString("}\n")
	return b.Bytes()
}

// MarshalJSON writes g in the form of Genotype.JSON, so a Genotype can be a
// field of a larger JSON document.
func (g Genotype) MarshalJSON() ([]byte, error) { return g.JSON(), nil }

// UnmarshalJSON reads g strictly with ParseGenotypeJSON; line:col in errors
// count from the start of the genotype value. JSON null leaves g unchanged,
// as encoding/json does for other types.
func (g *Genotype) UnmarshalJSON(b []byte) error {
	if string(bytes.TrimSpace(b)) == "null" {
		return nil
	}
	v, err := ParseGenotypeJSON(b)
	if err != nil {
		return err
	}
	*g = v
	return nil
}
