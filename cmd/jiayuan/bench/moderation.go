package bench

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"time"

	"jiayuan/app/fold"
	"jiayuan/app/words"
	"jiayuan/policy"
)

// benchModeration measures the two budgets of issue #5 in this process: one policy
// decision with 10,000 users and 1,000 role assignments, and the sensitive-word check of
// a 64 KiB post against 10,000 words. Each is timed call by call next to a baseline
// timed the same way in the same run (a map lookup; one scan of the same text).
func benchModeration(ctx context.Context, w io.Writer, calls int) error {
	fmt.Fprintf(w, "moderation budgets, %d timed calls each\n", calls)

	// Policy: 10,000 users, 1,000 assignments across 20 boards and 10 branches.
	st := &assignments{}
	r := rand.New(rand.NewPCG(5, 6))
	for i := range 1000 {
		a := policy.Assignment{UserID: int64(r.IntN(10000) + 1), Role: "moderator", Domain: fmt.Sprintf("board:b%d", r.IntN(20))}
		switch i % 5 {
		case 0:
			a.Role, a.Domain = "member", fmt.Sprintf("branch:%d", r.IntN(10))
		case 1:
			a.Role, a.Domain = "secretary", fmt.Sprintf("branch:%d", r.IntN(10))
		case 2:
			a.Role, a.Domain = "activist", "*"
		}
		if i < 3 {
			a.Role, a.Domain = "admin", "*"
		}
		st.roles = append(st.roles, a)
	}
	en, err := policy.New(ctx, st)
	if err != nil {
		return err
	}
	objects := [][2]string{{"board.public", "read"}, {"board.staff", "post"}, {"post", "edit_own"}, {"post", "delete_any"}, {"thread", "pin"}, {"report", "resolve"}, {"board.branch", "read"}}
	type q struct {
		user        int64
		dom, ob, ac string
	}
	qs := make([]q, calls)
	for i := range qs {
		o := objects[r.IntN(len(objects))]
		dom := fmt.Sprintf("board:b%d", r.IntN(20))
		if o[0] == "board.branch" {
			dom = fmt.Sprintf("branch:%d", r.IntN(10))
		}
		qs[i] = q{int64(r.IntN(10001)), dom, o[0], o[1]}
	}
	cold := make([]time.Duration, 0, calls)
	first := map[string]bool{}
	decide := make([]time.Duration, calls)
	for i, x := range qs {
		t0 := time.Now()
		en.Allowed(x.user, x.dom, x.ob, x.ac)
		decide[i] = time.Since(t0)
		if k := x.dom + x.ob + x.ac; !first[k] {
			first[k] = true
			cold = append(cold, decide[i])
		}
	}
	var base sync.Map
	for _, x := range qs {
		base.Store(x.dom+x.ob+x.ac, true)
	}
	baseline := make([]time.Duration, calls)
	for i, x := range qs {
		t0 := time.Now()
		base.Load(x.dom + "\x00" + x.ob + "\x00" + x.ac)
		baseline[i] = time.Since(t0)
	}
	dp50, _, dp99, dmax := percentiles(decide)
	bp50, _, bp99, _ := percentiles(baseline)
	_, _, cp99, cmax := percentiles(cold)
	fmt.Fprintf(w, "  policy decision: p50 %v, p99 %v, max %v (baseline map lookup p50 %v, p99 %v; p99 ratio %.1f×)\n", dp50, dp99, dmax, bp50, bp99, float64(dp99)/float64(max(bp99, 1)))
	fmt.Fprintf(w, "  first answer of each kind (Casbin evaluates the rules): p99 %v, max %v over %d kinds\n", cp99, cmax, len(cold))
	verdict := "pass"
	if dp99 >= 20*time.Microsecond {
		verdict = "MISS"
	}
	fmt.Fprintf(w, "  budget p99 < 20 µs: %s\n", verdict)

	// Words: 10,000 rules, a 64 KiB post.
	fold, err := fold.Load()
	if err != nil {
		return err
	}
	rules := make([]words.Rule, 10000)
	for i := range rules {
		var b strings.Builder
		if i%10 == 0 {
			for range 4 + r.IntN(5) {
				b.WriteByte(byte('a' + r.IntN(26)))
			}
		} else {
			for range 2 + r.IntN(5) {
				b.WriteRune(rune(0x4E00 + r.IntN(3000)))
			}
		}
		rules[i] = words.Rule{Pattern: b.String(), Action: []words.Action{words.Block, words.Hold, words.Replace}[i%3]}
	}
	t0 := time.Now()
	m, err := words.Compile(rules, fold.Rune)
	if err != nil {
		return err
	}
	compiled := time.Since(t0)
	var text strings.Builder
	for text.Len() < 64*1024 {
		switch r.IntN(10) {
		case 0:
			text.WriteString(" hello world, ")
		case 1:
			text.WriteString("，")
		default:
			text.WriteRune(rune(0x4E00 + r.IntN(3000)))
		}
	}
	post := text.String()
	n := max(calls/1000, 50)
	check, scan := make([]time.Duration, n), make([]time.Duration, n)
	found := 0
	for i := range n {
		t0 := time.Now()
		_, ms := m.Verdict(post)
		check[i] = time.Since(t0)
		found = len(ms)
		t0 = time.Now()
		_ = strings.Count(post, "，")
		scan[i] = time.Since(t0)
	}
	slices.Sort(check)
	wp50, _, wp99, _ := percentiles(check)
	sp50, _, _, _ := percentiles(scan)
	fmt.Fprintf(w, "  word check, 64 KiB against 10,000 words: p50 %v, p99 %v, %d matches (baseline one scan of the text p50 %v; ratio %.0f×); list compiled in %v\n",
		wp50, wp99, found, sp50, float64(wp50)/float64(max(sp50, 1)), compiled.Round(time.Millisecond))
	verdict = "pass"
	if wp50 >= 2*time.Millisecond {
		verdict = "MISS"
	}
	fmt.Fprintf(w, "  budget < 2 ms: %s\n", verdict)
	return nil
}

// assignments is an in-memory role store for the policy benchmark.
type assignments struct{ roles []policy.Assignment }

func (a *assignments) AddRole(_ context.Context, x policy.Assignment) error {
	a.roles = append(a.roles, x)
	return nil
}
func (a *assignments) RemoveRole(context.Context, policy.Assignment) error { return nil }
func (a *assignments) ListRoles(context.Context) ([]policy.Assignment, error) {
	return a.roles, nil
}
