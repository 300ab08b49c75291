package accounts

import (
	"regexp"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/mtibben/confusables"
	"golang.org/x/text/secure/precis"
	"golang.org/x/text/unicode/norm"

	"jiayuan/app/fault"
	"jiayuan/app/markup"
)

// usernameRE is what a username may hold once normalised: Latin letters, digits, _ and
// -, and Han ideographs. One Latin script plus Han is what UTS #39 calls highly
// restrictive: Cyrillic, Greek or accented look-alikes of Latin letters cannot be
// mixed in, and the skeleton check below catches digits posing as letters.
var usernameRE = regexp.MustCompile(`^[a-z0-9_\-\p{Han}]{2,32}$`)

var errUsername = fault.Invalid("username", "err_username_form")

// NormalizeUsername applies the PRECIS UsernameCaseMapped profile (RFC 8265: width
// folding, so ａｄｍｉｎ is admin; lower case; NFC) and then the character rules.
func NormalizeUsername(raw string) (string, error) {
	if !utf8.ValidString(raw) {
		return "", errUsername
	}
	s, err := precis.UsernameCaseMapped.String(strings.TrimSpace(raw))
	if err != nil || !usernameRE.MatchString(s) {
		return "", errUsername
	}
	return s, nil
}

// CanonicalUsername is the form a username is looked up by. Names stored before the
// current rules (which may not pass them) are still found by their lower-case form.
func CanonicalUsername(raw string) string {
	if s, err := precis.UsernameCaseMapped.String(strings.TrimSpace(raw)); err == nil {
		return s
	}
	return strings.ToLower(strings.TrimSpace(raw))
}

// Skeleton is the UTS #39 confusable skeleton of a username, case-folded on both sides
// so that "0" and "o", "1" and "l" meet. Two usernames with one skeleton look alike;
// the stores keep it in a unique index.
func Skeleton(username string) string {
	return strings.ToLower(confusables.Skeleton(strings.ToLower(username)))
}

// NameKey is what display names are compared by when one is reserved: compatibility
// forms folded (full-width letters), case and spaces ignored, confusables mapped.
func NameKey(name string) string {
	name = norm.NFKC.String(markup.StripControls(name))
	name = strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) || unicode.IsPunct(r) {
			return -1
		}
		return r
	}, name)
	return Skeleton(name)
}

// CleanDisplayName trims a display name and drops invisible characters (bidi
// overrides, zero-width and control characters), falling back to the username.
func CleanDisplayName(name, username string) (string, error) {
	if !utf8.ValidString(name) {
		return "", errDisplayName
	}
	name = strings.TrimSpace(markup.StripControls(name))
	if name == "" {
		return username, nil
	}
	if utf8.RuneCountInString(name) > 50 || strings.ContainsAny(name, "<>") {
		return "", errDisplayName
	}
	return name, nil
}

var errDisplayName = fault.Invalid("display_name", "err_display_name_form")

// DuplicateSkeleton is the stored skeleton of a user who already shared one with an
// earlier user when skeletons were first computed: unique, and never the skeleton of
// a name (a NUL cannot be in one).
func DuplicateSkeleton(skeleton string, id int64) string {
	return skeleton + "\x00" + strconv.FormatInt(id, 10)
}
