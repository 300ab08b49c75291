package web

import (
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http/httptest"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"jiayuan/app/config"
	"jiayuan/app/moderation"
	"jiayuan/app/org"
	"jiayuan/app/words"
	"jiayuan/policy"
)

// The OpenAPI document (openapi.json, served at /api/openapi.json) is written by hand;
// these tests keep it honest against the route table and the JSON shapes in the code.
// They need no database: building the server only registers handlers.

type oaDoc struct {
	OpenAPI    string                                `json:"openapi"`
	Servers    []oaServer                            `json:"servers"`
	Security   []map[string][]string                 `json:"security"`
	Paths      map[string]map[string]json.RawMessage `json:"paths"`
	Components struct {
		Schemas         map[string]*oaSchema `json:"schemas"`
		SecuritySchemes map[string]struct {
			Type   string `json:"type"`
			In     string `json:"in"`
			Name   string `json:"name"`
			Scheme string `json:"scheme"`
		} `json:"securitySchemes"`
	} `json:"components"`
}

type oaServer struct {
	URL string `json:"url"`
}

type oaParam struct {
	Name     string    `json:"name"`
	In       string    `json:"in"`
	Required bool      `json:"required"`
	Schema   *oaSchema `json:"schema"`
}

type oaContent map[string]struct {
	Schema *oaSchema `json:"schema"`
}

type oaOperation struct {
	OperationID string                `json:"operationId"`
	Summary     string                `json:"summary"`
	Description string                `json:"description"`
	Parameters  []oaParam             `json:"parameters"`
	Security    []map[string][]string `json:"security"`
	RequestBody *struct {
		Content oaContent `json:"content"`
	} `json:"requestBody"`
	Responses map[string]struct {
		Ref         string    `json:"$ref"`
		Description string    `json:"description"`
		Content     oaContent `json:"content"`
	} `json:"responses"`
}

type oaSchema struct {
	Ref        string               `json:"$ref"`
	Type       string               `json:"type"`
	Format     string               `json:"format"`
	Nullable   bool                 `json:"nullable"`
	Properties map[string]*oaSchema `json:"properties"`
	Required   []string             `json:"required"`
	Items      *oaSchema            `json:"items"`
	AllOf      []*oaSchema          `json:"allOf"`
}

// ref is the schema's $ref, also when wrapped in a one-element allOf: the way OpenAPI
// 3.0 marks a reference nullable (a sibling of $ref is ignored).
func (s *oaSchema) ref() string {
	if s.Ref == "" && len(s.AllOf) == 1 {
		return s.AllOf[0].Ref
	}
	return s.Ref
}

// oaOp is one documented operation with where it lives.
type oaOp struct {
	method, path, full string // full: the path as routed, with the server prefix
	params             []oaParam
	op                 oaOperation
}

func loadOpenAPI(t *testing.T) (*oaDoc, []oaOp) {
	t.Helper()
	var doc oaDoc
	if err := json.Unmarshal(openAPIDoc, &doc); err != nil {
		t.Fatalf("openapi.json does not parse: %v", err)
	}
	if len(doc.Servers) != 1 {
		t.Fatalf("servers %v, want one", doc.Servers)
	}
	var ops []oaOp
	for p, item := range doc.Paths {
		server := doc.Servers[0].URL
		var params []oaParam
		if raw, ok := item["servers"]; ok {
			var ss []oaServer
			if err := json.Unmarshal(raw, &ss); err != nil || len(ss) != 1 {
				t.Fatalf("%s: servers %s", p, raw)
			}
			server = ss[0].URL
		}
		if raw, ok := item["parameters"]; ok {
			if err := json.Unmarshal(raw, &params); err != nil {
				t.Fatalf("%s: parameters: %v", p, err)
			}
		}
		for m, raw := range item {
			switch m {
			case "servers", "parameters", "summary", "description":
				continue
			case "get", "put", "post", "delete", "options", "head", "patch", "trace":
			default:
				t.Errorf("%s: unknown path item key %q", p, m)
				continue
			}
			o := oaOp{method: m, path: p, full: strings.TrimSuffix(server, "/") + p}
			if err := json.Unmarshal(raw, &o.op); err != nil {
				t.Fatalf("%s %s: %v", m, p, err)
			}
			o.params = append(append([]oaParam{}, params...), o.op.Parameters...)
			ops = append(ops, o)
		}
	}
	sort.Slice(ops, func(i, j int) bool { return ops[i].full+ops[i].method < ops[j].full+ops[j].method })
	return &doc, ops
}

// oaServerForRoutes builds the server with no services: enough to list its routes.
func oaServerForRoutes(t *testing.T) *Server {
	t.Helper()
	s, err := New(Deps{Log: slog.New(slog.DiscardHandler), Config: &config.Config{}})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return s
}

// TestOpenAPIMatchesRoutes: every route under /api/v1 is documented with its method,
// and every documented operation is routed.
func TestOpenAPIMatchesRoutes(t *testing.T) {
	doc, ops := loadOpenAPI(t)
	if doc.OpenAPI != "3.0.3" {
		t.Errorf("openapi %q, want 3.0.3", doc.OpenAPI)
	}
	if doc.Servers[0].URL != "/api/v1" {
		t.Errorf("server %q, want /api/v1", doc.Servers[0].URL)
	}
	param := regexp.MustCompile(`:(\w+)`)
	routed := map[string]bool{} // "get /api/v1/threads/{id}"
	api := map[string]bool{}
	for _, rt := range oaServerForRoutes(t).App().GetRoutes(true) {
		if rt.Method == "HEAD" || rt.Method == "USE" || strings.HasSuffix(rt.Path, "*") {
			continue
		}
		k := strings.ToLower(rt.Method) + " " + param.ReplaceAllString(rt.Path, "{$1}")
		routed[k] = true
		if strings.HasPrefix(rt.Path, "/api/v1/") {
			api[k] = true
		}
	}
	if len(api) < 15 {
		t.Fatalf("only %d API routes found: route enumeration is broken", len(api))
	}
	documented := map[string]bool{}
	var missing, extra []string
	for _, o := range ops {
		k := o.method + " " + o.full
		documented[k] = true
		if !routed[k] {
			extra = append(extra, k)
		}
	}
	for k := range api {
		if !documented[k] {
			missing = append(missing, k)
		}
	}
	sort.Strings(missing)
	sort.Strings(extra)
	if len(missing) > 0 || len(extra) > 0 {
		t.Fatalf("routes not documented: %v\ndocumented but not routed: %v", missing, extra)
	}
}

// TestOpenAPIOperations: each operation has an id, its path parameters, a success
// answer and (under /api/v1) error answers in the Error shape, and names only known
// security schemes.
func TestOpenAPIOperations(t *testing.T) {
	doc, ops := loadOpenAPI(t)
	resolve := func(s *oaSchema) *oaSchema {
		for s != nil && s.Ref != "" {
			s = doc.Components.Schemas[strings.TrimPrefix(s.Ref, "#/components/schemas/")]
		}
		return s
	}
	errSchema := doc.Components.Schemas["Error"]
	if errSchema == nil || errSchema.Properties["error"] == nil {
		t.Fatal("components.schemas.Error is missing or has no error property")
	}
	ids := map[string]string{}
	pathParam := regexp.MustCompile(`\{(\w+)\}`)
	for _, o := range ops {
		name := o.method + " " + o.full
		if o.op.OperationID == "" || o.op.Summary == "" || o.op.Description == "" {
			t.Errorf("%s: no operationId, summary or description", name)
		}
		if prev, dup := ids[o.op.OperationID]; dup {
			t.Errorf("%s: operationId %q also used by %s", name, o.op.OperationID, prev)
		}
		ids[o.op.OperationID] = name

		declared := map[string]bool{}
		for _, p := range o.params {
			if p.Schema == nil {
				t.Errorf("%s: parameter %q has no schema", name, p.Name)
			}
			if p.In == "path" {
				declared[p.Name] = true
				if !p.Required {
					t.Errorf("%s: path parameter %q must be required", name, p.Name)
				}
			}
		}
		for _, m := range pathParam.FindAllStringSubmatch(o.path, -1) {
			if !declared[m[1]] {
				t.Errorf("%s: path parameter {%s} not declared", name, m[1])
			}
			delete(declared, m[1])
		}
		for p := range declared {
			t.Errorf("%s: declares path parameter %q that is not in the path", name, p)
		}

		var ok2xx, err4xx bool
		for code, r := range o.op.Responses {
			if r.Ref != "" || r.Description == "" {
				t.Errorf("%s %s: responses are written out, with a description", name, code)
			}
			if len(code) != 3 || code[0] < '1' || code[0] > '5' {
				t.Errorf("%s: response code %q", name, code)
				continue
			}
			if code[0] == '2' {
				ok2xx = true
			}
			if code[0] == '4' || code[0] == '5' {
				c, has := r.Content["application/json"]
				if !has || c.Schema == nil || c.Schema.Ref != "#/components/schemas/Error" {
					t.Errorf("%s %s: an error answer must be application/json with the Error schema", name, code)
				} else if code[0] == '4' {
					err4xx = true
				}
			}
			if code == "204" && len(r.Content) > 0 {
				t.Errorf("%s: a 204 has no content", name)
			}
		}
		if !ok2xx {
			t.Errorf("%s: no 2xx response", name)
		}
		if strings.HasPrefix(o.full, "/api/v1/") && !err4xx {
			t.Errorf("%s: no 4xx response with the Error schema", name)
		}
		if o.method != "get" && strings.HasPrefix(o.full, "/api/v1/") {
			if _, ok := o.op.Responses["403"]; !ok {
				t.Errorf("%s: a write can be refused as cross-site or without a CSRF token: document the 403", name)
			}
		}
		if o.op.RequestBody != nil {
			for _, code := range []string{"400", "413", "422"} {
				if _, ok := o.op.Responses[code]; !ok {
					t.Errorf("%s: takes a JSON body, so it can answer %s", name, code)
				}
			}
			if c, ok := o.op.RequestBody.Content["application/json"]; !ok || resolve(c.Schema) == nil {
				t.Errorf("%s: request body without an application/json schema", name)
			}
		}
		for _, req := range append(o.op.Security, doc.Security...) {
			for scheme := range req {
				if _, ok := doc.Components.SecuritySchemes[scheme]; !ok {
					t.Errorf("%s: unknown security scheme %q", name, scheme)
				}
			}
		}
	}

	sc := doc.Components.SecuritySchemes
	if s := sc["session"]; s.Type != "apiKey" || s.In != "cookie" || s.Name != sessionCookie {
		t.Errorf("session scheme %+v, want the %s cookie", s, sessionCookie)
	}
	if s := sc["csrf"]; s.Type != "apiKey" || s.In != "header" || s.Name != csrfHeader {
		t.Errorf("csrf scheme %+v, want the %s header", s, csrfHeader)
	}
	if s := sc["bearer"]; s.Type != "http" || s.Scheme != "bearer" {
		t.Errorf("bearer scheme %+v", s)
	}
}

// TestOpenAPIRefsResolve: every $ref points at something in the document.
func TestOpenAPIRefsResolve(t *testing.T) {
	var root any
	if err := json.Unmarshal(openAPIDoc, &root); err != nil {
		t.Fatal(err)
	}
	var walk func(v any, at string)
	walk = func(v any, at string) {
		switch v := v.(type) {
		case map[string]any:
			if ref, ok := v["$ref"].(string); ok {
				if len(v) > 1 {
					t.Errorf("%s: $ref has siblings, which OpenAPI 3.0 ignores (nullable: wrap the $ref in allOf)", at)
				}
				var target any = root
				for _, part := range strings.Split(strings.TrimPrefix(ref, "#/"), "/") {
					m, _ := target.(map[string]any)
					target = m[part]
				}
				if !strings.HasPrefix(ref, "#/") || target == nil {
					t.Errorf("%s: $ref %q does not resolve", at, ref)
				}
			}
			for k, e := range v {
				walk(e, at+"/"+k)
			}
		case []any:
			for i, e := range v {
				walk(e, fmt.Sprintf("%s/%d", at, i))
			}
		}
	}
	walk(root, "#")
}

// TestOpenAPISchemasMatchCode: the documented shapes have exactly the fields, types and
// nullability of the structs the handlers encode and decode.
func TestOpenAPISchemasMatchCode(t *testing.T) {
	doc, ops := loadOpenAPI(t)
	schemas := doc.Components.Schemas
	for name, v := range map[string]any{
		"User": userJSON{}, "Author": authorJSON{}, "Board": boardJSON{}, "Thread": threadJSON{},
		"Post": postJSON{}, "Notification": notificationJSON{}, "Hit": hitJSON{},
		"Report": reportJSON{}, "Branch": branchJSON{}, "AuditEntry": auditEntry{}, "Rule": words.Rule{},
		"Silence": moderation.Silence{}, "Assignment": policy.Assignment{},
		"AccessToken": tokenJSON{}, "Session": sessionJSON{},
	} {
		s := schemas[name]
		if s == nil {
			t.Errorf("components.schemas.%s is missing", name)
			continue
		}
		oaCompare(t, name, s, reflect.TypeOf(v), true)
	}
	if e := schemas["Error"]; e != nil && e.Properties["error"] != nil {
		oaCompare(t, "Error.error", e.Properties["error"], reflect.TypeOf(apiErrorBody{}), true)
	}
	bodies := map[string]any{
		"register": registerRequest{}, "login": loginRequest{}, "createToken": tokenRequest{},
		"createThread": threadRequest{}, "createPost": postRequest{}, "editPost": editRequest{},
		"preview": editRequest{}, "markNotificationsRead": markReadRequest{},
		"updateThread": threadPatchRequest{}, "mergeThread": mergeRequest{}, "splitThread": splitRequest{},
		"reportPost": reportRequest{}, "reviewPost": reviewRequest{}, "resolveReport": resolveRequest{},
		"silenceInBoard": silenceRequest{}, "silenceSiteWide": silenceRequest{}, "grantRole": org.RoleChange{},
		"revokeRole": org.RoleChange{}, "banUser": banRequest{}, "createBranch": branchRequest{},
		"createBoard": boardRequest{}, "updateBoard": boardRequest{}, "setWords": wordsRequest{},
		"deletePost": hideRequest{},
	}
	for _, o := range ops {
		if o.op.RequestBody == nil {
			continue
		}
		v, ok := bodies[o.op.OperationID]
		if !ok {
			t.Errorf("%s %s: request body not compared with its struct: add it to this test", o.method, o.full)
			continue
		}
		delete(bodies, o.op.OperationID)
		// Requests: the client may leave fields out, so required is the document's call.
		oaCompare(t, o.op.OperationID+" body", o.op.RequestBody.Content["application/json"].Schema, reflect.TypeOf(v), false)
	}
	for id := range bodies {
		t.Errorf("operation %s should document a request body", id)
	}
}

// oaCompare checks that schema s describes the struct type typ: the same JSON names,
// compatible types, and, for answers, nullable exactly where the Go field is a pointer
// and required exactly where the field is never omitted.
func oaCompare(t *testing.T, name string, s *oaSchema, typ reflect.Type, answer bool) {
	t.Helper()
	if s.Type != "object" {
		t.Errorf("%s: type %q, want object", name, s.Type)
	}
	required := map[string]bool{}
	for _, r := range s.Required {
		required[r] = true
	}
	timeType := reflect.TypeOf(time.Time{})
	seen := map[string]bool{}
	for _, f := range jsonFields(typ) {
		jname, opts, _ := strings.Cut(f.Tag.Get("json"), ",")
		if jname == "-" || !f.IsExported() {
			continue
		}
		if jname == "" {
			jname = f.Name
		}
		seen[jname] = true
		p := s.Properties[jname]
		if p == nil {
			t.Errorf("%s: field %q (%s.%s) is not documented", name, jname, typ.Name(), f.Name)
			continue
		}
		where := name + "." + jname
		omitempty := strings.Contains(opts, "omitempty")
		ft := f.Type
		ref := p.ref()
		if ft.Kind() == reflect.Pointer {
			ft = ft.Elem()
			if answer && !p.Nullable {
				t.Errorf("%s: can be null, mark it nullable", where)
			}
		} else if answer && p.Nullable {
			t.Errorf("%s: is never null but marked nullable", where)
		}
		if answer && !omitempty && !required[jname] {
			t.Errorf("%s: always present, list it in required", where)
		}
		if answer && omitempty && required[jname] {
			t.Errorf("%s: omitted when empty, so it is not required", where)
		}
		if want := oaTypeOf(ft); want != "" && ref == "" && p.Type != want {
			t.Errorf("%s: type %q, want %q", where, p.Type, want)
		}
		if ft == timeType && p.Format != "date-time" {
			t.Errorf("%s: a time, want format date-time", where)
		}
		if ft.Kind() == reflect.Struct && ft != timeType && ref == "" {
			t.Errorf("%s: a nested object, want a $ref", where)
		}
		if ft.Kind() == reflect.Slice && oaTypeOf(ft) != "" && (p.Items == nil || (p.Items.Ref == "" && p.Items.Type != oaTypeOf(ft.Elem()))) {
			t.Errorf("%s: array items should be %q", where, oaTypeOf(ft.Elem()))
		}
	}
	for prop := range s.Properties {
		if !seen[prop] {
			t.Errorf("%s: documents %q, which %s does not have", name, prop, typ.Name())
		}
	}
	for r := range required {
		if !seen[r] {
			t.Errorf("%s: requires unknown field %q", name, r)
		}
	}
}

// jsonFields are the fields encoding/json writes of typ: an embedded struct without a
// JSON name gives its own fields, as if they were typ's.
func jsonFields(typ reflect.Type) []reflect.StructField {
	var out []reflect.StructField
	for i := range typ.NumField() {
		f := typ.Field(i)
		ft := f.Type
		if ft.Kind() == reflect.Pointer {
			ft = ft.Elem()
		}
		if f.Anonymous && ft.Kind() == reflect.Struct && f.Tag.Get("json") == "" {
			out = append(out, jsonFields(ft)...)
			continue
		}
		out = append(out, f)
	}
	return out
}

// oaTypeOf is the OpenAPI type encoding/json gives a Go type; "" for any JSON value.
func oaTypeOf(t reflect.Type) string {
	if t == reflect.TypeOf(time.Time{}) {
		return "string"
	}
	if t == reflect.TypeOf(json.RawMessage{}) {
		return ""
	}
	switch t.Kind() {
	case reflect.String:
		return "string"
	case reflect.Bool:
		return "boolean"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "integer"
	case reflect.Float32, reflect.Float64:
		return "number"
	case reflect.Slice, reflect.Array:
		return "array"
	case reflect.Map, reflect.Struct:
		return "object"
	}
	return ""
}

// TestOpenAPIServed: the document is served as JSON at /api/openapi.json, unchanged.
func TestOpenAPIServed(t *testing.T) {
	s := oaServerForRoutes(t)
	res, err := s.App().Test(httptest.NewRequest("GET", "/api/openapi.json", nil))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	if res.StatusCode != 200 || !strings.HasPrefix(res.Header.Get("Content-Type"), "application/json") || string(body) != string(openAPIDoc) {
		t.Fatalf("GET /api/openapi.json: %d %s, %d bytes", res.StatusCode, res.Header.Get("Content-Type"), len(body))
	}
}
