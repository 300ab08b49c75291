package search

import "unicode/utf8"

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
