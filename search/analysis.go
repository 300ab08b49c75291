package search

import (
	"unicode"
	"unicode/utf8"

	"github.com/blevesearch/bleve/v2/analysis"
	porterstemmer "github.com/blevesearch/go-porterstemmer"

	"jiayuan/app/fold"
)

// Token kinds the analyzers emit.
const (
	// Unigrams are single CJK characters and Latin words. Nothing is indexed this
	// way; queries use it to find characters with no CJK neighbour.
	Unigrams = iota
	// Bigrams are overlapping CJK character pairs and Latin words, with positions:
	// what phrase queries walk. The last character of every run of CJK characters is
	// a token too (a lone character is a run of one), so every character of the text
	// begins some token: a one-character query is a prefix lookup in this one field.
	Bigrams
)

// analyzer turns text into one field's tokens. Positions count characters (1-based),
// not tokens, so punctuation and spaces leave gaps and a phrase never matches across
// them. Offsets are exact byte offsets of the original text unless noOffsets is set:
// the index never highlights (snippets are cut from the database's text), so the
// indexing analyzers leave them zero and the index does not store them.
type analyzer struct {
	fold      *fold.Folder
	kind      int
	noOffsets bool
}

// Analyze implements analysis.Analyzer. Tokens and their terms are carved out of two
// allocations per call rather than two per token.
func (a *analyzer) Analyze(input []byte) analysis.TokenStream {
	toks := make([]analysis.Token, 0, len(input)/3+4)
	arena := make([]byte, 0, len(input)*2+8)
	emit := func(term []byte, start, end, pos int, typ analysis.TokenType) {
		if a.noOffsets {
			start, end = 0, 0
		}
		toks = append(toks, analysis.Token{Term: term, Start: start, End: end, Position: pos, Type: typ})
	}
	var prev struct {
		ok              bool
		r               rune
		start, end, pos int
	}
	wordStart, wordPos := -1, 0
	var word []rune
	flushWord := func(end int) {
		if wordStart < 0 {
			return
		}
		term := porterstemmer.StemString(string(word))
		n := len(arena)
		arena = append(arena, term...)
		emit(arena[n:len(arena):len(arena)], wordStart, end, wordPos, analysis.AlphaNumeric)
		wordStart, word = -1, word[:0]
	}
	// endRun closes a run of CJK characters with its last character.
	endRun := func() {
		if a.kind == Bigrams && prev.ok {
			n := len(arena)
			arena = utf8.AppendRune(arena, prev.r)
			emit(arena[n:len(arena):len(arena)], prev.start, prev.end, prev.pos, analysis.Ideographic)
		}
		prev.ok = false
	}
	pos := 0
	for i := 0; i < len(input); {
		r, size := rune(input[i]), 1
		if r >= utf8.RuneSelf {
			r, size = utf8.DecodeRune(input[i:])
		}
		pos++
		f := a.fold.Rune(r)
		switch {
		case a.fold.IsCJK(f):
			flushWord(i)
			n := len(arena)
			if a.kind == Unigrams {
				arena = utf8.AppendRune(arena, f)
				emit(arena[n:len(arena):len(arena)], i, i+size, pos, analysis.Ideographic)
			} else if prev.ok {
				arena = utf8.AppendRune(utf8.AppendRune(arena, prev.r), f)
				emit(arena[n:len(arena):len(arena)], prev.start, i+size, pos-1, analysis.Double)
			}
			prev.ok, prev.r, prev.start, prev.end, prev.pos = true, f, i, i+size, pos
		case unicode.IsLetter(f) || unicode.IsDigit(f):
			endRun()
			if wordStart < 0 {
				wordStart, wordPos = i, pos
			}
			word = append(word, f)
		default:
			endRun()
			flushWord(i)
		}
		i += size
	}
	endRun()
	flushWord(len(input))
	out := make(analysis.TokenStream, len(toks))
	for i := range toks {
		out[i] = &toks[i]
	}
	return out
}
