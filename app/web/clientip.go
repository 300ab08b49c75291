package web

import (
	"fmt"
	"net"
	"strings"

	"github.com/gofiber/fiber/v2"
)

// clientIP is the address a request came from, for rate limits: the TCP peer, or, when
// the peer is a trusted proxy, the rightmost address in X-Forwarded-For that is not a
// trusted proxy itself. Each proxy appends the peer it saw, so the left of the list is
// whatever the client chose to write; only the first untrusted hop from the right was
// seen by a proxy we trust.
func (s *Server) clientIP(c *fiber.Ctx) string {
	peer := c.Context().RemoteIP()
	if !s.isTrusted(peer) {
		return peer.String()
	}
	ips := c.IPs() // valid addresses only (EnableIPValidation), left to right
	for i := len(ips) - 1; i >= 0; i-- {
		ip := net.ParseIP(strings.TrimSpace(ips[i]))
		if ip == nil {
			continue
		}
		if !s.isTrusted(ip) || i == 0 {
			return ip.String()
		}
	}
	return peer.String()
}

func (s *Server) isTrusted(ip net.IP) bool {
	for _, n := range s.trusted {
		if n.Contains(ip) {
			return true
		}
	}
	return false
}

// parseNets reads IPs and CIDR ranges; a single IP is a range of one.
func parseNets(list []string) ([]*net.IPNet, error) {
	var out []*net.IPNet
	for _, p := range list {
		if _, n, err := net.ParseCIDR(p); err == nil {
			out = append(out, n)
			continue
		}
		ip := net.ParseIP(p)
		if ip == nil {
			return nil, fmt.Errorf("trusted proxy %q is not an IP address or CIDR range", p)
		}
		bits := 128
		if ip4 := ip.To4(); ip4 != nil {
			ip, bits = ip4, 32
		}
		out = append(out, &net.IPNet{IP: ip, Mask: net.CIDRMask(bits, bits)})
	}
	return out, nil
}
