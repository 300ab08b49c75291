// Package words finds sensitive words in what users write, in one pass over the text
// whatever the length of the list.
//
// A rule is a word, optionally with character classes: [腐贪] is any one of the listed
// characters, so 反[腐贪] is 反腐 or 反贪 (classes are expanded when the list is
// compiled). Matching folds each character first (full- and half-width forms, case,
// Traditional to Simplified, by the fold function given) and skips filler characters
// (anything that is not a letter or a digit: spaces, punctuation, symbols, zero-width
// characters), so 反*腐, 反 腐 and 反腐 all match 反腐. A word that begins or ends with
// a Latin letter or digit matches whole words only, so "ass" is not found in "class".
//
// The text is folded and stripped of fillers once, with the byte offset of every kept
// character remembered; an Aho–Corasick automaton runs over that, and each match is
// mapped back to the original text, so masks and highlights land exactly.
//
// The Service keeps the admin-managed list in the store (list.go): the forum screens
// what users write with it, and accounts the names they take, which must also not pose
// as a role or a member of staff (names.go).
package words

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"github.com/coregx/ahocorasick"
)

// Action is what a match does to the text.
type Action string

// Actions, strongest first.
const (
	Block   Action = "block"   // refuse the text with a message
	Hold    Action = "hold"    // accept it, but hold it for a moderator's review
	Replace Action = "replace" // replace the matched characters with ＊
)

// ParseAction reads an action name.
func ParseAction(s string) (Action, error) {
	switch a := Action(strings.ToLower(strings.TrimSpace(s))); a {
	case Block, Hold, Replace:
		return a, nil
	}
	return "", refuse("err_rule_action", fmt.Sprintf("未知的动作 %q，可选 block、hold、replace (unknown action %q: use block, hold or replace)", s, s), "action", s)
}

// RuleError refuses one rule of a list. Rule is its place (1-based); Key and Args say
// why for the reader's catalog (frontend/i18n), with the rule and pattern among the
// arguments; Error says it for the log.
type RuleError struct {
	Rule    int
	Pattern string
	Key     string
	Args    []any
	text    string
}

func (e *RuleError) Error() string {
	if e.Pattern == "" {
		return fmt.Sprintf("第 %d 条：%s", e.Rule, e.text)
	}
	return fmt.Sprintf("第 %d 条 %q：%s", e.Rule, e.Pattern, e.text)
}

// refuse makes the reason a pattern or action is refused; Compile adds which rule.
func refuse(key, text string, args ...any) *RuleError {
	return &RuleError{Key: key, Args: args, text: text}
}

func (e *RuleError) of(rule int, pattern string) *RuleError {
	e.Rule, e.Pattern = rule, pattern
	e.Args = append([]any{"rule", rule, "pattern", pattern}, e.Args...)
	return e
}

func (a Action) strength() int {
	switch a {
	case Block:
		return 3
	case Hold:
		return 2
	case Replace:
		return 1
	}
	return 0
}

// Rule is one entry of the list.
type Rule struct {
	Pattern string `json:"pattern"`
	Action  Action `json:"action"`
}

// Match is one occurrence of a rule in a text.
type Match struct {
	Start, End int // byte offsets in the original text; fillers inside the span included
	Rule       int // index of the rule in the list given to Compile
	Action     Action
}

// Limits on one rule.
const (
	MaxRuneCount    = 64
	MaxAlternatives = 256
)

// literal is one expanded, folded word and the rules that produce it.
type literal struct {
	rules      []int
	wordStart  bool // begins with a Latin letter or digit: must start a word
	wordEnd    bool
	runeLength int
}

// Matcher finds the words of a compiled list.
type Matcher struct {
	rules    []Rule
	fold     func(rune) rune
	fillers  []uint64 // fillers(), kept at hand for normalize
	ac       *ahocorasick.Automaton
	literals []literal
}

// buffers of normalize, reused between calls.
type buffers struct {
	norm   []byte
	starts []int32
}

var bufferPool = sync.Pool{New: func() any { return new(buffers) }}

// Len is the number of rules.
func (m *Matcher) Len() int {
	if m == nil {
		return 0
	}
	return len(m.rules)
}

func isFiller(r rune) bool {
	if r < utf8.RuneSelf {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9')
	}
	return !unicode.IsLetter(r) && !unicode.IsNumber(r)
}

// fillers marks the fillers of the Basic Multilingual Plane, one bit each, so matching
// a character is an index rather than a walk through Unicode's tables. Folding has its
// own table (package fold): the matcher keeps none, however many lists it compiles.
var fillers = sync.OnceValue(func() []uint64 {
	bits := make([]uint64, 0x10000/64)
	for r := range rune(0x10000) {
		if isFiller(r) || r >= 0xD800 && r < 0xE000 {
			bits[r/64] |= 1 << (r % 64)
		}
	}
	return bits
})

func isWordRune(r rune) bool {
	return r < utf8.RuneSelf && (r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9')
}

// Compile checks and compiles a list. An invalid rule fails the whole list with an
// error that names it (1-based) and says why.
func Compile(rules []Rule, fold func(rune) rune) (*Matcher, error) {
	if fold == nil {
		fold = func(r rune) rune { return r }
	}
	m := &Matcher{rules: rules, fold: fold, fillers: fillers()}
	index := map[string]int{}
	var patterns []string
	for i, r := range rules {
		if _, err := ParseAction(string(r.Action)); err != nil {
			return nil, err.(*RuleError).of(i+1, "")
		}
		alts, err := expand(r.Pattern, fold)
		if err != nil {
			return nil, err.of(i+1, r.Pattern)
		}
		for _, a := range alts {
			j, ok := index[a]
			if !ok {
				j = len(patterns)
				index[a] = j
				patterns = append(patterns, a)
				first, _ := utf8.DecodeRuneInString(a)
				last, _ := utf8.DecodeLastRuneInString(a)
				m.literals = append(m.literals, literal{wordStart: isWordRune(first), wordEnd: isWordRune(last), runeLength: utf8.RuneCountInString(a)})
			}
			m.literals[j].rules = append(m.literals[j].rules, i)
		}
	}
	if len(patterns) == 0 {
		return m, nil
	}
	ac, err := ahocorasick.NewBuilder().AddStrings(patterns).Build()
	if err != nil {
		return nil, fmt.Errorf("词表无法编译 (the list cannot be compiled): %w", err)
	}
	m.ac = ac
	return m, nil
}

// expand turns a pattern into its folded literal alternatives.
func expand(pattern string, fold func(rune) rune) ([]string, *RuleError) {
	if !utf8.ValidString(pattern) {
		return nil, refuse("err_rule_utf8", "含有无效的 UTF-8 字符 (not valid UTF-8)")
	}
	alts := []string{""}
	runes := 0
	rs := []rune(pattern)
	for i := 0; i < len(rs); i++ {
		var choice []rune
		switch r := rs[i]; {
		case r == '[':
			end := -1
			for j := i + 1; j < len(rs); j++ {
				if rs[j] == '[' {
					return nil, refuse("err_rule_nest", "方括号不能嵌套 (brackets cannot nest)")
				}
				if rs[j] == ']' {
					end = j
					break
				}
			}
			if end < 0 {
				return nil, refuse("err_rule_unbalanced", "方括号不配对 (unbalanced [ ])")
			}
			for _, c := range rs[i+1 : end] {
				if !isFiller(c) {
					choice = append(choice, fold(c))
				}
			}
			if len(choice) == 0 {
				return nil, refuse("err_rule_empty", "方括号内没有字符 (empty [ ])")
			}
			i = end
		case r == ']':
			return nil, refuse("err_rule_unbalanced", "方括号不配对 (unbalanced [ ])")
		case isFiller(r):
			continue
		default:
			choice = []rune{fold(r)}
		}
		runes++
		if runes > MaxRuneCount {
			return nil, refuse("err_rule_too_long", fmt.Sprintf("最多 %d 个字符 (at most %d characters)", MaxRuneCount, MaxRuneCount), "max", MaxRuneCount)
		}
		if len(alts)*len(choice) > MaxAlternatives {
			return nil, refuse("err_rule_too_many", fmt.Sprintf("展开后超过 %d 种写法 (expands to more than %d words)", MaxAlternatives, MaxAlternatives), "max", MaxAlternatives)
		}
		next := make([]string, 0, len(alts)*len(choice))
		for _, a := range alts {
			for _, c := range choice {
				next = append(next, a+string(c))
			}
		}
		alts = next
	}
	if runes == 0 {
		return nil, refuse("err_rule_nothing", "没有可匹配的字（只有空白或符号）(nothing to match: only spaces or symbols)")
	}
	return alts, nil
}

// normalize folds text and drops fillers, remembering where each kept character was.
// Invalid UTF-8 bytes are fillers, one byte each, so offsets stay exact.
func (m *Matcher) normalize(text string, b *buffers) (norm []byte, starts []int32) {
	norm, starts = b.norm[:0], b.starts[:0]
	for i := 0; i < len(text); {
		r, size := rune(text[i]), 1
		if r >= utf8.RuneSelf {
			r, size = utf8.DecodeRuneInString(text[i:])
		}
		if r < 0x10000 && m.fillers[r/64]&(1<<(r%64)) == 0 || r >= 0x10000 && !isFiller(r) {
			f := m.fold(r)
			n := len(norm)
			norm = utf8.AppendRune(norm, f)
			for range len(norm) - n {
				starts = append(starts, int32(i))
			}
		}
		i += size
	}
	b.norm, b.starts = norm, starts
	return norm, starts
}

// Find returns every match of every rule in text, ordered by Start.
func (m *Matcher) Find(text string) []Match {
	if m == nil || m.ac == nil || text == "" {
		return nil
	}
	b := bufferPool.Get().(*buffers)
	defer bufferPool.Put(b)
	norm, starts := m.normalize(text, b)
	if len(norm) == 0 {
		return nil
	}
	var out []Match
	for _, hit := range m.ac.FindAllOverlapping(norm) {
		lit := m.literals[hit.PatternID]
		start, last := int(starts[hit.Start]), int(starts[hit.End-1])
		_, size := utf8.DecodeRuneInString(text[last:])
		end := last + size
		if lit.wordStart && start > 0 {
			if r, _ := utf8.DecodeLastRuneInString(text[:start]); isWordRune(r) {
				continue
			}
		}
		if lit.wordEnd && end < len(text) {
			if r, _ := utf8.DecodeRuneInString(text[end:]); isWordRune(r) {
				continue
			}
		}
		for _, ri := range lit.rules {
			out = append(out, Match{Start: start, End: end, Rule: ri, Action: m.rules[ri].Action})
		}
	}
	sortMatches(out)
	return out
}

func sortMatches(ms []Match) {
	slices.SortFunc(ms, func(a, b Match) int {
		if a.Start != b.Start {
			return a.Start - b.Start
		}
		return a.Rule - b.Rule
	})
}

// Verdict returns the strongest action among the matches in text ("" for none) and
// the matches.
func (m *Matcher) Verdict(text string) (Action, []Match) {
	found := m.Find(text)
	var best Action
	for _, f := range found {
		if f.Action.strength() > best.strength() {
			best = f.Action
		}
	}
	return best, found
}

// Mask replaces every non-filler character inside a Replace match with ＊; fillers
// and everything else stay as written.
func (m *Matcher) Mask(text string) string {
	found := m.Find(text)
	mask := make([]bool, len(text))
	any := false
	for _, f := range found {
		if f.Action == Replace {
			for i := f.Start; i < f.End; i++ {
				mask[i] = true
			}
			any = true
		}
	}
	if !any {
		return text
	}
	var b strings.Builder
	b.Grow(len(text))
	for i := 0; i < len(text); {
		r, size := utf8.DecodeRuneInString(text[i:])
		if mask[i] && !isFiller(r) {
			b.WriteString("＊")
		} else {
			b.WriteString(text[i : i+size])
		}
		i += size
	}
	return b.String()
}
