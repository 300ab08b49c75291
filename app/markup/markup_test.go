package markup

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestRender(t *testing.T) {
	r := New()
	cases := []struct {
		name, in      string
		want, notWant []string
	}{
		{"chinese paragraph", "党员**学习**心得", []string{"<p>党员<strong>学习</strong>心得</p>"}, nil},
		{"script tag", "hi <script>alert(1)</script>", []string{"hi"}, []string{"<script", "alert(1)</script>"}},
		{"javascript link", "[x](javascript:alert(1))", nil, []string{"javascript:"}},
		{"event handler", `<img src=x onerror="alert(1)">`, nil, []string{"onerror"}},
		{"external link", "[东航](https://example.com)", []string{`href="https://example.com"`, `rel="nofollow noreferrer noopener"`, `target="_blank"`}, nil},
		{"code block", "```go\nfmt.Println(1)\n```", []string{`<code class="language-go">`}, nil},
		{"table", "| a | b |\n|---|---|\n| 1 | 2 |", []string{"<table>", "<td>1</td>"}, nil},
		{"hard wrap", "第一行\n第二行", []string{"第一行<br>"}, nil},
		{"style attribute", `<p style="color:red">x</p>`, nil, []string{"style="}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := r.Render(c.in)
			for _, w := range c.want {
				if !strings.Contains(got, w) {
					t.Errorf("Render(%q) = %q, want it to contain %q", c.in, got, w)
				}
			}
			for _, w := range c.notWant {
				if strings.Contains(got, w) {
					t.Errorf("Render(%q) = %q, must not contain %q", c.in, got, w)
				}
			}
		})
	}
}

// FuzzRender checks that no input makes the renderer emit markup an attacker could use.
func FuzzRender(f *testing.F) {
	for _, s := range []string{"", "党员", "<script>x</script>", "[a](javascript:b)", "<a href='x' onclick='y'>z</a>", "<iframe src=//evil>", "`<b>`", "<svg/onload=alert(1)>", "![x](data:text/html;base64,PHNjcmlwdD4=)"} {
		f.Add(s)
	}
	r := New()
	f.Fuzz(func(t *testing.T, in string) {
		out := strings.ToLower(r.Render(in))
		for _, bad := range []string{"<script", "<iframe", "<svg", "<object", "<embed", "<style", "javascript:", " onerror=", " onload=", " onclick=", " style="} {
			if strings.Contains(out, bad) {
				t.Fatalf("Render(%q) produced %q", in, out)
			}
		}
		if utf8.ValidString(in) && !utf8.ValidString(out) {
			t.Fatalf("Render(%q) produced invalid UTF-8", in)
		}
	})
}

func TestPlainTextAndHighlight(t *testing.T) {
	r := New()
	got := PlainText(r.Render("# 标题\n\n**党员**学习 &amp; <script>x</script>\n\n- 一\n- 二"))
	if !strings.Contains(got, "标题\n") || !strings.Contains(got, "党员学习 & ") || strings.Contains(got, "<") || !strings.Contains(got, "一\n") {
		t.Fatalf("PlainText = %q", got)
	}
	h := Highlight("a<b>党员c", [][2]int{{4, 10}})
	if h != "a&lt;b&gt;<mark>党员</mark>c" {
		t.Fatalf("Highlight = %q", h)
	}
}

func TestStripControls(t *testing.T) {
	for in, want := range map[string]string{
		"\u202Enimda":                         "nimda",
		"a\u200Bd\u200Cm\u200Di\u2060n\uFEFF": "admin",
		"管理\u2066员\u2069":                     "管理员",
		"x\u200E\u200F\u061Cy":                "xy",
		"tab\there\nline\u2028":               "tabhereline",
		"王伟 ❤":                                "王伟 ❤",
	} {
		if got := StripControls(in); got != want {
			t.Errorf("StripControls(%q) = %q, want %q", in, got, want)
		}
	}
}
