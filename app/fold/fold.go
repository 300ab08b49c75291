// Package fold maps each character to the one it is searched and matched as: full-
// to half-width, upper to lower case, Traditional to Simplified. It folds one
// character at a time, so every byte offset of the original text stays exact.
//
// Search and the word list fold alike; the table behind it (256 KB) is built once per
// process, on first use.
package fold

import (
	"fmt"
	"strings"
	"sync"
	"unicode"

	"github.com/longbridgeapp/opencc"
)

// Folder maps each character to the one it is indexed and searched as.
type Folder struct {
	t2s map[rune]rune
	bmp []rune // Rune of every Basic Multilingual Plane character, computed once
	han []bool // IsCJK of every Basic Multilingual Plane character
}

// cjkRanges are the ideograph blocks whose Traditional forms are folded.
var cjkRanges = [][2]rune{{0x3400, 0x4DBF}, {0x4E00, 0x9FFF}, {0xF900, 0xFAFF}, {0x20000, 0x2A6DF}}

// Load returns the process's Folder, built on the first call.
func Load() (*Folder, error) { return load() }

var load = sync.OnceValues(build)

// build makes the per-character Traditional→Simplified table from OpenCC's
// dictionaries. Whole-string conversion would use phrases and could change lengths;
// one character at a time keeps every offset where it was.
func build() (*Folder, error) {
	cc, err := opencc.New("t2s")
	if err != nil {
		return nil, fmt.Errorf("opencc: %w", err)
	}
	f := &Folder{t2s: make(map[rune]rune, 4096)}
	for _, rg := range cjkRanges {
		for r := rg[0]; r <= rg[1]; r++ {
			out, err := cc.Convert(string(r))
			if err != nil {
				return nil, err
			}
			if rs := []rune(out); len(rs) == 1 && rs[0] != r {
				f.t2s[r] = rs[0]
			}
		}
	}
	// Indexing and matching fold every character they read: a table lookup for the
	// characters almost all text is made of, instead of a case mapping and a map.
	f.bmp, f.han = make([]rune, 0x10000), make([]bool, 0x10000)
	for r := range rune(0x10000) {
		f.bmp[r], f.han[r] = f.slowRune(r), unicode.Is(unicode.Han, r)
	}
	return f, nil
}

// Rune folds one character: full-width forms to half-width, upper to lower case,
// Traditional to Simplified.
func (f *Folder) Rune(r rune) rune {
	if r >= 0 && r < 0x10000 && f.bmp != nil {
		return f.bmp[r]
	}
	return f.slowRune(r)
}

func (f *Folder) slowRune(r rune) rune {
	switch {
	case r >= 0xFF01 && r <= 0xFF5E:
		r -= 0xFEE0
	case r == 0x3000:
		r = ' '
	}
	r = unicode.ToLower(r)
	if s, ok := f.t2s[r]; ok {
		return s
	}
	return r
}

// String folds every character of s; the result has as many characters as s.
func (f *Folder) String(s string) string {
	out := make([]rune, 0, len(s))
	for _, r := range s {
		out = append(out, f.Rune(r))
	}
	return string(out)
}

// IsCJK tells the ideographs that are indexed character by character.
func IsCJK(r rune) bool { return unicode.Is(unicode.Han, r) }

// IsCJK is the function IsCJK through the folder's table.
func (f *Folder) IsCJK(r rune) bool {
	if r >= 0 && r < 0x10000 && f.han != nil {
		return f.han[r]
	}
	return IsCJK(r)
}

// Matches returns the byte ranges of text where any of terms occurs after folding,
// sorted and not overlapping: what a snippet marks.
func (f *Folder) Matches(text string, terms []string) [][2]int {
	var runes []rune
	var offs []int
	for i, r := range text {
		runes = append(runes, f.Rune(r))
		offs = append(offs, i)
	}
	offs = append(offs, len(text))
	hit := make([]bool, len(runes))
	for _, t := range terms {
		tr := []rune(f.String(strings.TrimSpace(t)))
		if len(tr) == 0 {
			continue
		}
		for i := 0; i+len(tr) <= len(runes); i++ {
			if equalRunes(runes[i:i+len(tr)], tr) {
				for j := i; j < i+len(tr); j++ {
					hit[j] = true
				}
			}
		}
	}
	var out [][2]int
	for i := 0; i < len(hit); i++ {
		if !hit[i] {
			continue
		}
		j := i
		for j < len(hit) && hit[j] {
			j++
		}
		out = append(out, [2]int{offs[i], offs[j]})
		i = j
	}
	return out
}

func equalRunes(a, b []rune) bool {
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
