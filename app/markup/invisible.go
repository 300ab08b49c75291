package markup

import (
	"strings"
	"unicode"
)

// StripControls removes the characters a person cannot see but a renderer obeys:
// control characters (Cc), format characters (Cf: the bidi embeddings, overrides and
// isolates U+202A–U+202E and U+2066–U+2069, the marks U+200E, U+200F and U+061C, the
// zero-width U+200B–U+200D, U+2060 and U+FEFF, the soft hyphen) and the line and
// paragraph separators. A right-to-left override in a name ("\u202Enimda") would
// otherwise show one string and store another.
func StripControls(s string) string {
	if strings.IndexFunc(s, invisible) < 0 {
		return s
	}
	return strings.Map(func(r rune) rune {
		if invisible(r) {
			return -1
		}
		return r
	}, s)
}

func invisible(r rune) bool {
	return unicode.In(r, unicode.Cc, unicode.Cf, unicode.Zl, unicode.Zp)
}
