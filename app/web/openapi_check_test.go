package web_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/andybalholm/brotli"
	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"
)

// The scenario tests' client (env.send) checks every answer under /api/v1 against
// openapi.json: its status is documented for the operation, its body has the documented
// shape, and an error's code is one the status's description names.

type apiSpec struct {
	doc    *openapi3.T
	router routers.Router
}

var loadAPISpec = sync.OnceValues(func() (*apiSpec, error) {
	raw, err := os.ReadFile("openapi.json")
	if err != nil {
		return nil, err
	}
	doc, err := openapi3.NewLoader().LoadFromData(raw)
	if err != nil {
		return nil, err
	}
	if err := doc.Validate(context.Background()); err != nil {
		return nil, err
	}
	r, err := legacy.NewRouter(doc)
	if err != nil {
		return nil, err
	}
	return &apiSpec{doc: doc, router: r}, nil
})

// TestOpenAPIDocumentValidates: openapi.json is a valid OpenAPI 3.0 document.
func TestOpenAPIDocumentValidates(t *testing.T) {
	if _, err := loadAPISpec(); err != nil {
		t.Fatalf("openapi.json: %v", err)
	}
}

// checkAnswer validates res, the answer to req, against openapi.json when req is an
// API call. It leaves res.Body readable.
func checkAnswer(t *testing.T, req *http.Request, res *http.Response) {
	t.Helper()
	if !strings.HasPrefix(req.URL.Path, "/api/v1/") {
		return
	}
	spec, err := loadAPISpec()
	if err != nil {
		t.Errorf("openapi.json: %v", err)
		return
	}
	raw, err := io.ReadAll(res.Body)
	res.Body.Close()
	res.Body = io.NopCloser(bytes.NewReader(raw))
	if err != nil {
		return // the caller sees the same failure
	}
	// The caller gets the bytes as sent; the document describes them uncompressed.
	if raw, err = decoded(res.Header.Get("Content-Encoding"), raw); err != nil {
		t.Errorf("%s %s: %v", req.Method, req.URL.Path, err)
		return
	}
	name := req.Method + " " + req.URL.Path
	// The document's server is the relative /api/v1: route on the path alone.
	req = req.Clone(context.Background())
	req.URL = &url.URL{Path: req.URL.Path, RawQuery: req.URL.RawQuery}
	route, params, err := spec.router.FindRoute(req)
	if err != nil {
		// Unknown endpoints and methods answer in the Error shape.
		if res.StatusCode != 404 && res.StatusCode != 405 {
			t.Errorf("%s: %d, and the call is not in openapi.json: %v", name, res.StatusCode, err)
			return
		}
		var body any
		err = json.Unmarshal(raw, &body)
		if err == nil {
			err = spec.doc.Components.Schemas["Error"].Value.VisitJSON(body)
		}
		if err != nil {
			t.Errorf("%s: %d is not in the Error shape: %v\n%s", name, res.StatusCode, err, raw)
		}
		return
	}
	opts := &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true, AuthenticationFunc: openapi3filter.NoopAuthenticationFunc}
	in := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route, Options: opts},
		Status:                 res.StatusCode,
		Header:                 res.Header,
		Body:                   io.NopCloser(bytes.NewReader(raw)),
		Options:                opts,
	}
	if err := openapi3filter.ValidateResponse(context.Background(), in); err != nil {
		t.Errorf("%s (%s): the answer differs from openapi.json: %v\n%.2000s", name, route.Operation.OperationID, err, raw)
		return
	}
	if res.StatusCode >= 400 {
		var e struct {
			Error struct{ Code string } `json:"error"`
		}
		_ = json.Unmarshal(raw, &e)
		r := route.Operation.Responses.Status(res.StatusCode)
		if r == nil || r.Value == nil || r.Value.Description == nil || !namesCode(*r.Value.Description, e.Error.Code) {
			t.Errorf("%s (%s): openapi.json does not name the %d code %q", name, route.Operation.OperationID, res.StatusCode, e.Error.Code)
		}
	}
}

var codeInText = regexp.MustCompile("`([a-z0-9_<>]+)`")

// namesCode tells whether a response description names code in backquotes; `<x>`
// there stands for any field name (`invalid_<field>`, also `invalid_*` for a role's scope).
func namesCode(description, code string) bool {
	for _, m := range codeInText.FindAllStringSubmatch(description, -1) {
		pattern := regexp.QuoteMeta(m[1])
		pattern = regexp.MustCompile(`<[a-z_]+>`).ReplaceAllString(pattern, `\S+`)
		if regexp.MustCompile("^" + pattern + "$").MatchString(code) {
			return true
		}
	}
	return false
}

// TestBranchesAsDocumented: a branch answers with its secretary, null until one is
// granted (checked against openapi.json by the client, as every API answer is).
func TestBranchesAsDocumented(t *testing.T) {
	e := newEnv(t)
	admin := e.admin()
	e.direct("zhishu")
	if r := admin.do("POST", "/api/v1/admin/branches", map[string]string{"name": "第一支部", "description": "研发中心"}); r.Status != 201 {
		t.Fatalf("create branch: %d %s", r.Status, r.Body)
	}
	secretary := func() any {
		r := admin.do("GET", "/api/v1/admin/branches", nil)
		bs, _ := r.json(t)["branches"].([]any)
		if r.Status != 200 || len(bs) != 1 {
			t.Fatalf("branches: %d %s", r.Status, r.Body)
		}
		return bs[0].(map[string]any)["secretary"]
	}
	if s := secretary(); s != nil {
		t.Fatalf("secretary of a new branch: %v, want null", s)
	}
	if r := admin.do("POST", "/api/v1/admin/roles", map[string]string{"username": "zhishu", "role": "secretary", "branch": "第一支部"}); r.Status != 201 {
		t.Fatalf("grant secretary: %d %s", r.Status, r.Body)
	}
	if s, _ := secretary().(map[string]any); s == nil || s["username"] != "zhishu" {
		t.Fatalf("secretary after the grant: %v", s)
	}
}

// decoded undoes a Content-Encoding.
func decoded(encoding string, body []byte) ([]byte, error) {
	var r io.Reader
	switch encoding {
	case "":
		return body, nil
	case "gzip":
		zr, err := gzip.NewReader(bytes.NewReader(body))
		if err != nil {
			return nil, err
		}
		r = zr
	case "br":
		r = brotli.NewReader(bytes.NewReader(body))
	default:
		return nil, fmt.Errorf("unexpected Content-Encoding %q", encoding)
	}
	return io.ReadAll(r)
}
