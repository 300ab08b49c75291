package web

import (
	"crypto/subtle"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/adaptor"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"jiayuan/app/fault"
)

// httpMetrics are the server's Prometheus metrics, registered on its own registry so two
// servers in one test binary do not collide.
type httpMetrics struct {
	reg      *prometheus.Registry
	duration *prometheus.HistogramVec
}

func newHTTPMetrics() *httpMetrics {
	m := &httpMetrics{reg: prometheus.NewRegistry()}
	m.duration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "jiayuan_http_request_duration_seconds",
		Help:    "HTTP request latency by route and status.",
		Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, 1},
	}, []string{"method", "route", "status"})
	m.reg.MustRegister(m.duration, collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// measure records each request under its route pattern (not its path, which would
// explode the label set).
func (s *Server) measure(c *fiber.Ctx) error {
	start := time.Now()
	err := c.Next()
	status := c.Response().StatusCode()
	if err != nil {
		status = statusFor(err)
	}
	// Fiber's strings point into fasthttp's reused buffers; the vector keeps its label
	// values, so they must be copies or later requests rewrite them in place.
	s.metrics.duration.WithLabelValues(strings.Clone(c.Method()), strings.Clone(c.Route().Path), strconv.Itoa(status)).Observe(time.Since(start).Seconds())
	return err
}

var (
	errMetricsToken = &fault.Error{Kind: fault.KindUnauthorized, Code: "metrics_token", Key: "err_metrics_token"}
	errMetricsLocal = &fault.Error{Kind: fault.KindForbidden, Code: "metrics_local_only", Key: "err_metrics_local"}
)

// metricsHandler serves the Prometheus metrics to whoever may read them. They say
// nothing about users, but much about the deployment (routes, load, memory), so: with
// --metrics-token, only to a caller who sends it as a bearer token; without one, only
// to a caller on this machine whose request came through no proxy (a proxy on the same
// host would otherwise make every visitor look local).
func (s *Server) metricsHandler() fiber.Handler {
	serve := adaptor.HTTPHandler(promhttp.HandlerFor(s.metrics.reg, promhttp.HandlerOpts{}))
	token := []byte(s.Config.MetricsToken)
	return func(c *fiber.Ctx) error {
		if len(token) > 0 {
			got, ok := strings.CutPrefix(c.Get(fiber.HeaderAuthorization), "Bearer ")
			if !ok || subtle.ConstantTimeCompare([]byte(strings.TrimSpace(got)), token) != 1 {
				c.Set(fiber.HeaderWWWAuthenticate, `Bearer realm="metrics"`)
				return errMetricsToken
			}
			return serve(c)
		}
		if !c.Context().RemoteIP().IsLoopback() || c.Get(fiber.HeaderXForwardedFor) != "" || c.Get("Forwarded") != "" || c.Get("X-Real-Ip") != "" {
			return errMetricsLocal
		}
		return serve(c)
	}
}
