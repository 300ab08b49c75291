package search

import (
	"unicode"
	"unicode/utf8"

	"github.com/blevesearch/bleve/v2/analysis"
	porterstemmer "github.com/blevesearch/go-porterstemmer"
)

// Token kinds the analyzers emit.
const (
	// Unigrams are single CJK characters and Latin words: what one-character queries
	// and word queries look up.
	Unigrams = iota
	// Bigrams are overlapping CJK character pairs and Latin words, with positions:
	// what phrase queries walk.
	Bigrams
)

// analyzer turns text into one field's tokens. Positions count characters (1-based),
// not tokens, so punctuation and spaces leave gaps and a phrase never matches across
// them.
type analyzer struct {
	fold *Folder
	kind int
}

// Analyze implements analysis.Analyzer.
func (a *analyzer) Analyze(input []byte) analysis.TokenStream {
	var out analysis.TokenStream
	var prev struct {
		ok    bool
		r     rune
		start int
	}
	wordStart, wordPos := -1, 0
	var word []rune
	flushWord := func(end int) {
		if wordStart < 0 {
			return
		}
		term := porterstemmer.StemString(string(word))
		out = append(out, &analysis.Token{Term: []byte(term), Start: wordStart, End: end, Position: wordPos, Type: analysis.AlphaNumeric})
		wordStart, word = -1, word[:0]
	}
	pos := 0
	for i := 0; i < len(input); {
		r, size := utf8.DecodeRune(input[i:])
		pos++
		f := a.fold.Rune(r)
		switch {
		case IsCJK(f):
			flushWord(i)
			if a.kind == Unigrams {
				out = append(out, &analysis.Token{Term: []byte(string(f)), Start: i, End: i + size, Position: pos, Type: analysis.Ideographic})
			} else if prev.ok {
				out = append(out, &analysis.Token{Term: []byte(string([]rune{prev.r, f})), Start: prev.start, End: i + size, Position: pos - 1, Type: analysis.Double})
			}
			prev.ok, prev.r, prev.start = true, f, i
		case unicode.IsLetter(f) || unicode.IsDigit(f):
			prev.ok = false
			if wordStart < 0 {
				wordStart, wordPos = i, pos
			}
			word = append(word, f)
		default:
			prev.ok = false
			flushWord(i)
		}
		i += size
	}
	flushWord(len(input))
	return out
}
