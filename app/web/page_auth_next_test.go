package web

import (
	"net/url"
	"strings"
	"testing"
)

// browserTarget resolves a Location value as a lenient browser would: tabs and newlines
// removed, backslashes read as slashes, leading and trailing spaces trimmed.
func browserTarget(t *testing.T, loc string) *url.URL {
	t.Helper()
	loc = strings.Trim(strings.NewReplacer("\t", "", "\n", "", "\r", "", "\\", "/").Replace(loc), " \x00\x0c")
	base, _ := url.Parse("https://jiayuan.example/login")
	u, err := url.Parse(loc)
	if err != nil {
		t.Fatalf("location %q does not parse: %v", loc, err)
	}
	return base.ResolveReference(u)
}

func TestSafeNextRefusesOffSiteTargets(t *testing.T) {
	bypasses := []string{
		"//evil.example", "///evil.example", "/\\evil.example", "\\\\evil.example", "\\/evil.example",
		"/\t/evil.example", "/\n/evil.example", "/\r\n/evil.example", "/\r/evil.example", "\t//evil.example",
		"/%09/evil.example", "/%0a/evil.example", "/%0d/evil.example", "/%2F%2Fevil.example", "/%2f/evil.example",
		"/%5Cevil.example", "/%5c%5cevil.example", "%2F%2Fevil.example", "%5C%5Cevil.example",
		" //evil.example", "  /\\evil.example", "\x00//evil.example", "/\x00/evil.example", "/\x0b/evil.example",
		"https://evil.example", "https:evil.example", "https:/evil.example", "HTTPS://evil.example", "//evil.example/%2e%2e",
		"javascript:alert(1)", "JavaScript:alert(1)", " javascript:alert(1)", "data:text/html,<script>alert(1)</script>",
		"/\u00a0/evil.example", "/\u2028/evil.example", "/\u200b/evil.example", "/\ufeff/evil.example",
		"evil.example", "", "@evil.example", "/@evil.example\\@", "//user@evil.example", "/ /evil.example",
	}
	for _, in := range bypasses {
		got := safeNext(in)
		if got != "/" {
			t.Errorf("safeNext(%q) = %q, want \"/\"", in, got)
		}
		if h := browserTarget(t, got).Host; h != "jiayuan.example" {
			t.Errorf("safeNext(%q) = %q leads a browser to %q", in, got, h)
		}
	}
	// Look-alike slashes are not slashes to a browser's path parser; they stay in the
	// path, percent-encoded, on this site.
	for _, in := range []string{"/\uff0f/evil.example", "/\u2215\u2215evil.example", "/\u2044evil.example", "/\uff3cevil.example"} {
		got := safeNext(in)
		if !strings.HasPrefix(got, "/") || strings.HasPrefix(got, "//") || strings.ContainsFunc(got, func(r rune) bool { return r > 0x7e }) {
			t.Errorf("safeNext(%q) = %q, want a plain ASCII path", in, got)
		}
		if h := browserTarget(t, got).Host; h != "jiayuan.example" {
			t.Errorf("safeNext(%q) = %q leads a browser to %q", in, got, h)
		}
	}
	kept := map[string]string{
		"/":                      "/",
		"/b/xinyu":               "/b/xinyu",
		"/t/12?after=30#p31":     "/t/12?after=30#p31",
		"/search?q=%E5%85%9A":    "/search?q=%E5%85%9A",
		"/search?q=党员":           "/search?q=%E5%85%9A%E5%91%98",
		"/u/%E5%BC%A0":           "/u/%E5%BC%A0",
		"/notifications?lang=en": "/notifications?lang=en",
	}
	for in, want := range kept {
		if got := safeNext(in); got != want {
			t.Errorf("safeNext(%q) = %q, want %q", in, got, want)
		}
	}
}
