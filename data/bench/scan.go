package bench

import (
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
)

// scanner is a pull tokenizer for the JSON of the benchmark files. It reads
// from an io.Reader through its own buffer and never holds more than one
// buffer of raw text.
//
// Why not encoding/json: the Token API of json.Decoder took 9.4 s to walk the
// 58.6 MB NB201 file (13.8 M tokens), and json.Decoder.Decode into typed
// per-record structs 3.7 s, against 2.9 s for Python's json.load, measured
// here on 2026-11-27 (go1.26.8, shared 2-core machine). The target is half of
// Python's time, so the loaders decode with this schema-driven scanner, which
// allocates nothing per number.
type scanner struct {
	src  io.Reader
	buf  []byte
	pos  int   // next unread byte in buf
	end  int   // bytes of buf that are valid
	base int64 // file offset of buf[0]
	eof  bool
	err  error // sticky read error (not io.EOF)
	str  []byte
}

// errSyntax marks malformed JSON; the wrapped message says what and where.
var errSyntax = errors.New("malformed JSON")

func newScanner(r io.Reader) *scanner {
	return &scanner{src: r, buf: make([]byte, 64<<10)}
}

// offset returns the file offset of the next unread byte.
func (s *scanner) offset() int64 { return s.base + int64(s.pos) }

// fill makes at least one more byte available, reporting false at the end of
// the input or on a read error.
func (s *scanner) fill() bool {
	if s.pos < s.end {
		return true
	}
	if s.eof || s.err != nil {
		return false
	}
	s.base += int64(s.end)
	s.pos, s.end = 0, 0
	for s.end == 0 {
		n, err := s.src.Read(s.buf)
		s.end = n
		if err == io.EOF {
			s.eof = true
			break
		}
		if err != nil {
			s.err = err
			break
		}
	}
	return s.end > 0
}

// errorf returns a syntax error at the current offset. A pending read error
// (for instance a truncated gzip stream) takes precedence, since it is the
// real cause.
func (s *scanner) errorf(format string, args ...any) error {
	if s.err != nil {
		return fmt.Errorf("byte offset %d: read: %w", s.offset(), s.err)
	}
	return fmt.Errorf("byte offset %d: %s: %w", s.offset(), fmt.Sprintf(format, args...), errSyntax)
}

// peek skips white space and returns the next byte without consuming it.
func (s *scanner) peek() (byte, error) {
	if s.pos < s.end {
		if c := s.buf[s.pos]; c > ' ' {
			return c, nil
		}
	}
	return s.peekSlow()
}

func (s *scanner) peekSlow() (byte, error) {
	for {
		if !s.fill() {
			return 0, s.errorf("unexpected end of input (is the file truncated?)")
		}
		for s.pos < s.end {
			c := s.buf[s.pos]
			if c != ' ' && c != '\n' && c != '\r' && c != '\t' {
				return c, nil
			}
			s.pos++
		}
	}
}

// atEOF skips white space and reports whether the input is exhausted.
func (s *scanner) atEOF() (bool, error) {
	for {
		if !s.fill() {
			if s.err != nil {
				return false, s.errorf("")
			}
			return true, nil
		}
		for s.pos < s.end {
			c := s.buf[s.pos]
			if c != ' ' && c != '\n' && c != '\r' && c != '\t' {
				return false, nil
			}
			s.pos++
		}
	}
}

func describe(c byte) string {
	if c >= 0x20 && c < 0x7f {
		return strconv.QuoteRune(rune(c))
	}
	return fmt.Sprintf("byte 0x%02x", c)
}

// expect consumes the delimiter c.
func (s *scanner) expect(c byte) error {
	got, err := s.peek()
	if err != nil {
		return err
	}
	if got != c {
		return s.errorf("got %s, want %q", describe(got), c)
	}
	s.pos++
	return nil
}

// next reports whether a container has another element: it consumes a ','
// (if not first) and returns false after consuming the closing delimiter.
func (s *scanner) next(first bool, closing byte) (bool, error) {
	c, err := s.peek()
	if err != nil {
		return false, err
	}
	if c == closing {
		s.pos++
		return false, nil
	}
	if !first {
		if c != ',' {
			return false, s.errorf("got %s, want ',' or %q", describe(c), closing)
		}
		s.pos++
	}
	return true, nil
}

// key reads an object key and the ':' after it. The returned slice is valid
// until the next call that reads a string.
func (s *scanner) key() ([]byte, error) {
	k, err := s.stringBytes()
	if err != nil {
		return nil, err
	}
	if err := s.expect(':'); err != nil {
		return nil, err
	}
	return k, nil
}

// stringBytes reads a JSON string. The returned slice is valid until the next
// call that reads a string.
func (s *scanner) stringBytes() ([]byte, error) {
	if err := s.expect('"'); err != nil {
		return nil, err
	}
	s.str = s.str[:0]
	for {
		if !s.fill() {
			return nil, s.errorf("end of input inside a string (is the file truncated?)")
		}
		// Fast path: copy a run of plain bytes.
		start := s.pos
		for s.pos < s.end {
			c := s.buf[s.pos]
			if c == '"' || c == '\\' || c < 0x20 {
				break
			}
			s.pos++
		}
		s.str = append(s.str, s.buf[start:s.pos]...)
		if s.pos == s.end {
			continue
		}
		c := s.buf[s.pos]
		s.pos++
		switch {
		case c == '"':
			if !utf8.Valid(s.str) {
				return nil, s.errorf("string is not valid UTF-8")
			}
			return s.str, nil
		case c < 0x20:
			s.pos--
			return nil, s.errorf("control character %s in string", describe(c))
		}
		// An escape.
		if !s.fill() {
			return nil, s.errorf("unterminated escape")
		}
		e := s.buf[s.pos]
		s.pos++
		switch e {
		case '"', '\\', '/':
			s.str = append(s.str, e)
		case 'b':
			s.str = append(s.str, '\b')
		case 'f':
			s.str = append(s.str, '\f')
		case 'n':
			s.str = append(s.str, '\n')
		case 'r':
			s.str = append(s.str, '\r')
		case 't':
			s.str = append(s.str, '\t')
		case 'u':
			r, err := s.hex4()
			if err != nil {
				return nil, err
			}
			if utf16.IsSurrogate(r) {
				r2 := utf8.RuneError
				if s.fill() && s.buf[s.pos] == '\\' {
					s.pos++
					if s.fill() && s.buf[s.pos] == 'u' {
						s.pos++
						lo, err := s.hex4()
						if err != nil {
							return nil, err
						}
						r2 = lo
					} else {
						return nil, s.errorf("bad escape after surrogate")
					}
				}
				r = utf16.DecodeRune(r, r2)
			}
			s.str = utf8.AppendRune(s.str, r)
		default:
			s.pos--
			return nil, s.errorf("bad escape \\%s", describe(e))
		}
	}
}

func (s *scanner) hex4() (rune, error) {
	var r rune
	for i := 0; i < 4; i++ {
		if !s.fill() {
			return 0, s.errorf("unterminated \\u escape")
		}
		c := s.buf[s.pos]
		var v byte
		switch {
		case c >= '0' && c <= '9':
			v = c - '0'
		case c >= 'a' && c <= 'f':
			v = c - 'a' + 10
		case c >= 'A' && c <= 'F':
			v = c - 'A' + 10
		default:
			return 0, s.errorf("bad hex digit %s in \\u escape", describe(c))
		}
		s.pos++
		r = r<<4 | rune(v)
	}
	return r, nil
}

// number reads the bytes of a JSON number into s.str and validates its
// grammar.
func (s *scanner) number() ([]byte, error) {
	if _, err := s.peek(); err != nil {
		return nil, err
	}
	s.str = s.str[:0]
	for s.fill() {
		c := s.buf[s.pos]
		if !(c >= '0' && c <= '9' || c == '-' || c == '+' || c == '.' || c == 'e' || c == 'E') {
			break
		}
		s.str = append(s.str, c)
		s.pos++
	}
	if !validNumber(s.str) {
		if len(s.str) == 0 && s.pos < s.end {
			return nil, s.errorf("got %s, want a number", describe(s.buf[s.pos]))
		}
		return nil, s.errorf("malformed number %q", s.str)
	}
	return s.str, nil
}

// validNumber reports whether b follows the JSON number grammar.
func validNumber(b []byte) bool {
	i := 0
	if i < len(b) && b[i] == '-' {
		i++
	}
	if i == len(b) {
		return false
	}
	if b[i] == '0' {
		i++
	} else if b[i] >= '1' && b[i] <= '9' {
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
	} else {
		return false
	}
	if i < len(b) && b[i] == '.' {
		i++
		j := i
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
		if i == j {
			return false
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		j := i
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
		if i == j {
			return false
		}
	}
	return i == len(b)
}

// float reads a number as a float64.
func (s *scanner) float() (float64, error) {
	start := s.offset()
	b, err := s.number()
	if err != nil {
		return 0, err
	}
	f, err := strconv.ParseFloat(string(b), 64)
	if err != nil || math.IsInf(f, 0) {
		return 0, fmt.Errorf("byte offset %d: number %q out of float64 range: %w", start, b, errSyntax)
	}
	return f, nil
}

// uint reads a number that must be an integer in [0, max].
func (s *scanner) uint(max uint64) (uint64, error) {
	if _, err := s.peek(); err != nil {
		return 0, err
	}
	// Fast path: plain digits followed by a delimiter, all in the buffer.
	buf, i, v := s.buf[:s.end], s.pos, uint64(0)
	for i < len(buf) && buf[i] >= '0' && buf[i] <= '9' && v <= (max-9)/10 {
		v = v*10 + uint64(buf[i]-'0')
		i++
	}
	if i > s.pos && i < len(buf) && (buf[s.pos] != '0' || i == s.pos+1) {
		switch buf[i] {
		case ',', ']', '}', ' ', '\n', '\r', '\t':
			s.pos = i
			return v, nil
		}
	}
	start := s.offset()
	b, err := s.number()
	if err != nil {
		return 0, err
	}
	v = 0
	for _, c := range b {
		if c < '0' || c > '9' {
			// Integers written as floats ("3.0", "1e3") are accepted when exact.
			f, ferr := strconv.ParseFloat(string(b), 64)
			if ferr == nil && f >= 0 && f <= float64(max) && f == math.Trunc(f) {
				return uint64(f), nil
			}
			return 0, fmt.Errorf("byte offset %d: got %s, want an integer in [0, %d]: %w", start, b, max, errSyntax)
		}
		d := uint64(c - '0')
		if v > (max-d)/10 {
			return 0, fmt.Errorf("byte offset %d: integer %s out of range [0, %d]: %w", start, b, max, errSyntax)
		}
		v = v*10 + d
	}
	return v, nil
}

// skip consumes one JSON value of any kind.
func (s *scanner) skip(depth int) error {
	if depth > 64 {
		return s.errorf("nesting deeper than 64")
	}
	c, err := s.peek()
	if err != nil {
		return err
	}
	switch {
	case c == '{':
		s.pos++
		for first := true; ; first = false {
			more, err := s.next(first, '}')
			if err != nil {
				return err
			}
			if !more {
				return nil
			}
			if _, err := s.key(); err != nil {
				return err
			}
			if err := s.skip(depth + 1); err != nil {
				return err
			}
		}
	case c == '[':
		s.pos++
		for first := true; ; first = false {
			more, err := s.next(first, ']')
			if err != nil {
				return err
			}
			if !more {
				return nil
			}
			if err := s.skip(depth + 1); err != nil {
				return err
			}
		}
	case c == '"':
		_, err := s.stringBytes()
		return err
	case c == 't':
		return s.literal("true")
	case c == 'f':
		return s.literal("false")
	case c == 'n':
		return s.literal("null")
	default:
		_, err := s.number()
		return err
	}
}

func (s *scanner) literal(word string) error {
	for i := 0; i < len(word); i++ {
		if !s.fill() || s.buf[s.pos] != word[i] {
			return s.errorf("bad literal, want %s", word)
		}
		s.pos++
	}
	return nil
}

// uintArray reads an array of integers in [0, max] into dst (which it
// truncates first) and returns it.
func (s *scanner) uintArray(dst []uint64, max uint64) ([]uint64, error) {
	dst = dst[:0]
	if err := s.expect('['); err != nil {
		return dst, err
	}
	for first := true; ; first = false {
		more, err := s.next(first, ']')
		if err != nil {
			return dst, err
		}
		if !more {
			return dst, nil
		}
		if len(dst) >= 64 {
			return dst, s.errorf("array longer than 64 elements")
		}
		v, err := s.uint(max)
		if err != nil {
			return dst, err
		}
		dst = append(dst, v)
	}
}

// intern returns k as a string, without allocating when k is one of known's
// keys (the field names of a schema): decoding a 15,625-record file would
// otherwise allocate 1.4 million key strings.
func intern(k []byte, known map[string]string) string {
	if v, ok := known[string(k)]; ok {
		return v
	}
	return string(k)
}

// internSet maps each name to itself.
func internSet(names ...[]string) map[string]string {
	m := map[string]string{}
	for _, ns := range names {
		for _, n := range ns {
			m[n] = n
		}
	}
	return m
}

// costKeys describes a JSON object of per-cell cost arrays, such as NAR's
// {"cells0": [...], ...} (NB201) or {"stack0/module0": [...], ...} (NB101).
type costKeys struct {
	label    string                // prefix of the key in errors ("cell " or "")
	slot     func(k []byte) int    // key → slot in [0, n), or -1 if unknown
	names    map[string]string     // interned key strings
	n        int                   // number of slots; every one must appear once
	want     string                // the valid keys, for errors
	slotName func(slot int) string // the key of a slot, for "missing" errors
}

// costObject reads an object described by t, calling store with each key's
// slot, name and values (valid only during the call). Unknown, repeated and
// missing keys are errors.
func (s *scanner) costObject(t costKeys, buf []uint64, store func(slot int, name string, vals []uint64) error) ([]uint64, error) {
	if err := s.expect('{'); err != nil {
		return buf, err
	}
	var seen uint32
	for first := true; ; first = false {
		more, err := s.next(first, '}')
		if err != nil {
			return buf, err
		}
		if !more {
			break
		}
		k, err := s.key()
		if err != nil {
			return buf, err
		}
		slot := t.slot(k)
		if slot < 0 {
			return buf, fmt.Errorf("byte offset %d: unknown %skey %q (want %s): %w", s.offset(), t.label, k, t.want, ErrFormat)
		}
		name := intern(k, t.names)
		if seen&(1<<slot) != 0 {
			return buf, fmt.Errorf("%s%q appears twice: %w", t.label, name, ErrFormat)
		}
		seen |= 1 << slot
		buf, err = s.uintArray(buf, maxCost)
		if err != nil {
			return buf, fmt.Errorf("%s%q: %w", t.label, name, err)
		}
		if err := store(slot, name, buf); err != nil {
			return buf, err
		}
	}
	for c := 0; c < t.n; c++ {
		if seen&(1<<c) == 0 {
			return buf, fmt.Errorf("%s%q is missing: %w", t.label, t.slotName(c), ErrFormat)
		}
	}
	return buf, nil
}
