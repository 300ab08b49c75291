package web_test

import (
	"encoding/json"
	"regexp"
	"sort"
	"strings"
	"testing"
)

// TestOpenAPIMatchesRoutes: every route under /api/v1 is documented with its method,
// every documented operation exists, and each names a success and an error answer.
func TestOpenAPIMatchesRoutes(t *testing.T) {
	e := newEnv(t)
	r := e.guest().do("GET", "/api/openapi.json", nil)
	var doc struct {
		OpenAPI string                                                   `json:"openapi"`
		Servers []struct{ URL string }                                   `json:"servers"`
		Paths   map[string]map[string]struct{ Responses map[string]any } `json:"paths"`
	}
	if err := json.Unmarshal([]byte(r.Body), &doc); err != nil {
		t.Fatalf("openapi.json: %v", err)
	}
	if !strings.HasPrefix(doc.OpenAPI, "3.") || len(doc.Servers) != 1 || doc.Servers[0].URL != "/api/v1" {
		t.Fatalf("openapi %q servers %v", doc.OpenAPI, doc.Servers)
	}
	param := regexp.MustCompile(`:(\w+)`)
	routes := map[string]bool{}
	for _, rt := range e.srv.App().GetRoutes(true) {
		if !strings.HasPrefix(rt.Path, "/api/v1/") || rt.Method == "HEAD" || rt.Method == "USE" || strings.HasSuffix(rt.Path, "*") {
			continue
		}
		p := param.ReplaceAllString(strings.TrimPrefix(rt.Path, "/api/v1"), "{$1}")
		routes[strings.ToLower(rt.Method)+" "+p] = true
	}
	documented := map[string]bool{}
	for p, ops := range doc.Paths {
		for m, op := range ops {
			documented[m+" "+p] = true
			var ok2xx, ok4xx bool
			for code := range op.Responses {
				ok2xx = ok2xx || code[0] == '2'
				ok4xx = ok4xx || code[0] == '4'
			}
			if !ok2xx || (!ok4xx && !(m == "get" && p == "/boards")) {
				t.Errorf("%s %s lacks a success or an error response", m, p)
			}
		}
	}
	var missing, extra []string
	for k := range routes {
		if !documented[k] {
			missing = append(missing, k)
		}
	}
	for k := range documented {
		if !routes[k] {
			extra = append(extra, k)
		}
	}
	sort.Strings(missing)
	sort.Strings(extra)
	if len(missing) > 0 || len(extra) > 0 {
		t.Fatalf("routes not documented: %v\ndocumented but not routed: %v", missing, extra)
	}
	if len(routes) < 12 {
		t.Fatalf("only %d API routes found: route enumeration is broken", len(routes))
	}
}
