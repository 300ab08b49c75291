package i18n_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"jiayuan/app/fault"
	"jiayuan/app/i18n"
	"jiayuan/app/l10n"
)

var placeholder = regexp.MustCompile(`\{[a-z_]+\}`)

func placeholders(text string) []string {
	ps := placeholder.FindAllString(text, -1)
	slices.Sort(ps)
	return slices.Compact(ps)
}

// TestCatalogsAgree: the three catalogs hold the same keys, and each translation fills
// the same placeholders as the default language's text.
func TestCatalogsAgree(t *testing.T) {
	cats, err := i18n.Load()
	if err != nil {
		t.Fatal(err)
	}
	def := cats[i18n.Languages[0]]
	for _, l := range i18n.Languages[1:] {
		for k, text := range def {
			got, ok := cats[l][k]
			if !ok {
				t.Errorf("%s lacks %q", l, k)
				continue
			}
			if a, b := placeholders(text), placeholders(got); !slices.Equal(a, b) {
				t.Errorf("%s %q fills %v, %s fills %v", l, k, b, i18n.Languages[0], a)
			}
		}
		for k := range cats[l] {
			if _, ok := def[k]; !ok {
				t.Errorf("%s has %q, which %s lacks", l, k, i18n.Languages[0])
			}
		}
	}
}

// whatCalls pass the name of a missing thing on to fault.NotFound as their last
// argument; their literal names are keys too.
var whatCalls = map[string]bool{"NotFound": true, "notFound": true, "idParam": true, "idAndBody": true, "requireRead": true, "thread": true}

// pairsFollow take a key followed by its arguments as name, value pairs, so the names
// given can be held against the text's placeholders.
var pairsFollow = map[string]bool{"Forbidden": true, "Unauthorized": true, "Deny": true, "Conflict": true, "Invalid": true,
	"Locked": true, "TooMany": true, "BadRequest": true, "Unavailable": true, "Text": true, "text": true, "errorFrame": true}

var messageKey = regexp.MustCompile(`^err_[a-z0-9_]+$`)

// TestEveryKeyIsTranslated walks the Go source for message keys (every "err_…" literal,
// and "not_found_<what>" for each literal what given to NotFound and the helpers that
// pass one on) and wants each in the catalogs, with every placeholder of its text among
// the argument names given beside it.
func TestEveryKeyIsTranslated(t *testing.T) {
	cats, err := i18n.Load()
	if err != nil {
		t.Fatal(err)
	}
	def := cats[i18n.Languages[0]]
	seen := 0
	check := func(pos token.Position, key string, names []string) {
		seen++
		text, ok := def[key]
		if !ok {
			t.Errorf("%s: key %q is in no catalog", pos, key)
			return
		}
		if names == nil {
			return // the arguments are built elsewhere (a RuleError's, a table's)
		}
		for _, p := range placeholders(text) {
			if !slices.Contains(names, strings.Trim(p, "{}")) {
				t.Errorf("%s: %q needs %s, given %v", pos, key, p, names)
			}
		}
	}
	fset := token.NewFileSet()
	for _, dir := range []string{"../../app", "../../realtime", "../../search"} {
		err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
				return err
			}
			f, err := parser.ParseFile(fset, path, nil, 0)
			if err != nil {
				return err
			}
			inCall := map[*ast.BasicLit]bool{}
			ast.Inspect(f, func(n ast.Node) bool {
				call, ok := n.(*ast.CallExpr)
				if !ok {
					return true
				}
				for i, a := range call.Args {
					key, ok := stringLit(a)
					if !ok || !messageKey.MatchString(key) {
						continue
					}
					inCall[a.(*ast.BasicLit)] = true
					var names []string
					if pairsFollow[funcName(call.Fun)] && !call.Ellipsis.IsValid() {
						names = []string{}
						for j := i + 1; j < len(call.Args); j += 2 {
							if name, ok := stringLit(call.Args[j]); ok {
								names = append(names, name)
							}
						}
					}
					check(fset.Position(a.Pos()), key, names)
				}
				if len(call.Args) > 0 && whatCalls[funcName(call.Fun)] {
					if what, ok := stringLit(call.Args[len(call.Args)-1]); ok {
						check(fset.Position(call.Pos()), fault.NotFoundPrefix+what, []string{})
					}
				}
				return true
			})
			// Keys outside calls: struct fields (Key: "err_…"), tables of keys.
			ast.Inspect(f, func(n ast.Node) bool {
				if lit, ok := n.(*ast.BasicLit); ok && !inCall[lit] {
					if key, ok := stringLit(lit); ok && messageKey.MatchString(key) {
						check(fset.Position(lit.Pos()), key, nil)
					}
				}
				return true
			})
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if seen < 200 {
		t.Fatalf("found only %d keys in the source: is the walk still looking in the right places?", seen)
	}
}

func stringLit(e ast.Expr) (string, bool) {
	lit, ok := e.(*ast.BasicLit)
	if !ok || lit.Kind != token.STRING {
		return "", false
	}
	s, err := strconv.Unquote(lit.Value)
	return s, err == nil
}

func funcName(e ast.Expr) string {
	switch f := e.(type) {
	case *ast.Ident:
		return f.Name
	case *ast.SelectorExpr:
		return f.Sel.Name
	}
	return ""
}

// TestFill: placeholders take their values by name, whatever the order.
func TestFill(t *testing.T) {
	if got := i18n.Fill("{has} > {max}", "max", 50, "has", 61); got != "61 > 50" {
		t.Fatalf("Fill: %q", got)
	}
	cats, err := i18n.Load()
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ lang, want string }{
		{"zh-Hans", "标题最多 200 个字符，现为 201"},
		{"zh-Hant", "標題最多 200 個字元，現為 201"},
		{"en", "title must be at most 200 characters, it has 201"},
		{"fr", "标题最多 200 个字符，现为 201"},
	} {
		if got := cats.Message(c.lang, fault.Invalid("title", "err_title_too_long", "max", 200, "has", 201)); got != c.want {
			t.Errorf("%s: %q, want %q", c.lang, got, c.want)
		}
	}
}

// TestMatch: headers, tags and locales find their catalog; anything else the default.
func TestMatch(t *testing.T) {
	for in, want := range map[string]string{
		"": "zh-Hans", "nonsense;;": "zh-Hans",
		"en-GB,en;q=0.8": "en", "zh-TW": "zh-Hant", "zh-HK": "zh-Hant", "zh-CN": "zh-Hans",
		"zh_TW.UTF-8": "zh-Hant", "en_US.UTF-8@euro": "en", "C.UTF-8": "zh-Hans",
	} {
		if got := i18n.Match(in); got != want {
			t.Errorf("Match(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestLocalizedArgument: a board's name in a message is the reader's language's, and
// the default's where the board has none in it.
func TestLocalizedArgument(t *testing.T) {
	cats, err := i18n.Load()
	if err != nil {
		t.Fatal(err)
	}
	err = fault.Forbidden("err_move_not_allowed", "name", l10n.Text{"zh-Hans": "家·视角", "en": "Perspectives"})
	for lang, want := range map[string]string{
		"en": "you may not move threads into Perspectives", "zh-Hant": "你不能把主題移到「家·视角」",
	} {
		if got := cats.Message(lang, err); got != want {
			t.Errorf("%s: %q, want %q", lang, got, want)
		}
	}
}
