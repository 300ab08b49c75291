package search

import (
	"strings"
	"unicode/utf8"
)

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

// Window cuts text around its first match to about width characters, shifting the
// ranges into the cut; it says whether text was cut before or after.
func Window(text string, ranges [][2]int, width int) (string, [][2]int, bool, bool) {
	if utf8.RuneCountInString(text) <= width {
		return text, ranges, false, false
	}
	center := 0
	if len(ranges) > 0 {
		center = ranges[0][0]
	}
	// Start width/3 characters before the first match, on a rune boundary.
	start := center
	for n := 0; n < width/3 && start > 0; n++ {
		_, size := utf8.DecodeLastRuneInString(text[:start])
		start -= size
	}
	end := start
	for n := 0; n < width && end < len(text); n++ {
		_, size := utf8.DecodeRuneInString(text[end:])
		end += size
	}
	var out [][2]int
	for _, r := range ranges {
		if r[0] >= start && r[1] <= end {
			out = append(out, [2]int{r[0] - start, r[1] - start})
		}
	}
	return text[start:end], out, start > 0, end < len(text)
}
