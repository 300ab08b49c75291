package config

import (
	"slices"
	"testing"
)

func TestTrustedProxies(t *testing.T) {
	t.Setenv("JIAYUAN_TRUSTED_PROXIES", "10.0.0.0/8, 192.0.2.7")
	c, err := Load(nil)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(c.TrustedProxies, []string{"10.0.0.0/8", "192.0.2.7"}) {
		t.Fatalf("from the environment: %q", c.TrustedProxies)
	}
	if c, err = Load([]string{"--trusted-proxies", "::1,fd00::/8"}); err != nil || !slices.Equal(c.TrustedProxies, []string{"::1", "fd00::/8"}) {
		t.Fatalf("the flag wins: %q %v", c.TrustedProxies, err)
	}
	for _, bad := range []string{"10.0.0.0/33", "proxy.internal", "10.0.0.1;10.0.0.2", "*"} {
		if _, err := Load([]string{"--trusted-proxies", bad}); err == nil {
			t.Errorf("--trusted-proxies %q accepted", bad)
		}
	}
	t.Setenv("JIAYUAN_TRUSTED_PROXIES", "")
	if c, err = Load(nil); err != nil || len(c.TrustedProxies) != 0 {
		t.Fatalf("unset: %q %v", c.TrustedProxies, err)
	}
}

func TestMetricsToken(t *testing.T) {
	t.Setenv("JIAYUAN_METRICS_TOKEN", "from-env")
	if c, err := Load(nil); err != nil || c.MetricsToken != "from-env" {
		t.Fatalf("from the environment: %q %v", c.MetricsToken, err)
	}
	if c, err := Load([]string{"--metrics-token", "from-flag"}); err != nil || c.MetricsToken != "from-flag" {
		t.Fatalf("the flag wins: %q %v", c.MetricsToken, err)
	}
}
