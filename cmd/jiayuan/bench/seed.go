package bench

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"strings"
	"time"

	"github.com/alexedwards/argon2id"

	"jiayuan/app/accounts"
	"jiayuan/app/forum"
	"jiayuan/app/markup"
	"jiayuan/app/sqlstore"
)

// Words of the community's own conversations: what staff write about in the 家· boards.
var benchWords = strings.Fields(`党员 学习 廉洁 志愿者 家园 传媒 周记 党章 支部 组织生活 三会一课 党课 讲坛 心得 体会
初心 使命 服务 群众 基层 创新 发展 改革 热点 面对面 领导 讲话 精神 员工 青年 同事 文化 建设 责任 担当
奉献 善行 公益 活动 读书 电影 放映厅 每周一书 每周一文 旅行 休闲 摄影 生日 祝福 贺卡 格言 清白 做人
干净 做事 制度 监督 科技 防腐 宣讲 视频 微电影 航空 客舱 服务 品牌 质量 安全 效率 团队 合作 沟通 成长
进步 思想 汇报 入党 积极分子 培养 联系人 考察 民主 评议 整改 方案 公示 反馈 意见 建议 落实 推进 总结
黨員 學習 廉潔 志願者 傳媒 週記 黨章 支部 organization weekly report team culture volunteer`)

var benchTitles = []string{"第%d周工作周记", "关于%s的一点体会", "%s学习心得", "本周%s活动回顾", "大家怎么看%s？",
	"%s：我的成长故事", "推荐一本关于%s的好书", "%s志愿者招募", "%s主题党日安排", "分享：%s"}

// benchText writes n runes or so of plausible Chinese prose with a little Markdown.
func benchText(r *rand.Rand, n int) string {
	var b strings.Builder
	runes := 0
	sentence := 0
	for runes < n {
		w := benchWords[r.IntN(len(benchWords))]
		switch r.IntN(40) {
		case 0:
			w = "**" + w + "**"
		case 1:
			w = "[" + w + "](https://example.com/" + fmt.Sprint(r.IntN(1000)) + ")"
		}
		b.WriteString(w)
		runes += len([]rune(w))
		sentence++
		if sentence > 6+r.IntN(8) {
			sentence = 0
			b.WriteString([]string{"。", "！", "？", "。\n\n", "；"}[r.IntN(5)])
		} else if r.IntN(5) == 0 {
			b.WriteString("，")
		}
	}
	b.WriteString("。")
	return b.String()
}

// seedPlan says how big a community to make.
type seedPlan struct {
	Threads, Posts, Users, BigThread int
}

type seedResult struct {
	Threads   int
	Posts     int
	HotThread []int64 // threads with at least 50 posts
	BigThread int64
	Boards    []string
	Took      time.Duration
}

// seedCommunity fills a fresh SQLite store with a realistic community, in bulk.
func seedCommunity(ctx context.Context, path string, plan seedPlan) (*seedResult, error) {
	start := time.Now()
	st, err := sqlstore.Open(ctx, path)
	if err != nil {
		return nil, err
	}
	defer st.Close()
	if err := forum.SeedBoards(ctx, st, time.Now().UTC().Truncate(time.Millisecond)); err != nil {
		return nil, err
	}
	boards, err := st.ListBoards(ctx)
	if err != nil {
		return nil, err
	}
	// One argon2id hash for every seeded user: hashing 500 passwords would dominate seeding.
	hash, err := argon2id.CreateHash("bench-password", argon2id.DefaultParams)
	if err != nil {
		return nil, err
	}
	users := make([]int64, plan.Users)
	for i := range users {
		u := &accounts.User{Username: fmt.Sprintf("user%04d", i), DisplayName: fmt.Sprintf("员工%04d", i), PasswordHash: hash, CreatedAt: time.Now().UTC().Truncate(time.Millisecond)}
		if i == 0 {
			u.Username, u.DisplayName = "bench", "压测用户"
		}
		if err := st.CreateUser(ctx, u); err != nil {
			return nil, err
		}
		users[i] = u.ID
	}
	r := rand.New(rand.NewPCG(1, 2))
	render := markup.New()
	res := &seedResult{}
	for _, b := range boards {
		res.Boards = append(res.Boards, b.Slug)
	}
	// Post counts per thread: a long tail, most threads short, a few long.
	sizes := make([]int, plan.Threads)
	remaining := plan.Posts - plan.BigThread
	for i := range sizes {
		sizes[i] = 1
	}
	remaining -= plan.Threads
	for remaining > 0 {
		i := int(float64(plan.Threads) * r.Float64() * r.Float64()) // skewed to low indexes
		sizes[i]++
		remaining--
	}
	t0 := time.Now().Add(-90 * 24 * time.Hour).UTC().Truncate(time.Millisecond)
	span := 90 * 24 * time.Hour
	lastReport := time.Now()
	for i, size := range sizes {
		// Popular boards get more threads.
		b := boards[min(len(boards)-1, int(float64(len(boards))*r.Float64()*r.Float64()))]
		id, err := seedThread(ctx, st, r, render, b, users, size, t0.Add(time.Duration(float64(span)*float64(i)/float64(len(sizes)))))
		if err != nil {
			return nil, err
		}
		res.Threads++
		res.Posts += size
		if size >= 50 && len(res.HotThread) < 200 {
			res.HotThread = append(res.HotThread, id)
		}
		if time.Since(lastReport) > 2*time.Second {
			lastReport = time.Now()
			fmt.Fprintf(os.Stderr, "  seeding: %d/%d threads, %d posts, %.0f posts/s\n", i+1, plan.Threads, res.Posts, float64(res.Posts)/time.Since(start).Seconds())
		}
	}
	if plan.BigThread > 0 {
		id, err := seedThread(ctx, st, r, render, boards[0], users, plan.BigThread, t0)
		if err != nil {
			return nil, err
		}
		res.BigThread = id
		res.Threads++
		res.Posts += plan.BigThread
	}
	// The seeded posts are history, not news: move the notifier's checkpoint past them,
	// as it stands past the posts that were there when the store was first opened, so
	// the server does not spend the run notifying for months-old replies.
	last, err := st.LastPostID(ctx)
	if err != nil {
		return nil, err
	}
	cp, err := st.NotifyCheckpoint(ctx)
	if err != nil {
		return nil, err
	}
	if _, err := st.AdvanceNotifyCheckpoint(ctx, cp, last); err != nil {
		return nil, err
	}
	res.Took = time.Since(start)
	return res, nil
}

// seedThread makes one thread of size posts whose replies form a plausible tree.
func seedThread(ctx context.Context, st *sqlstore.Store, r *rand.Rand, render *markup.Renderer, b *forum.Board, users []int64, size int, start time.Time) (int64, error) {
	title := benchTitles[r.IntN(len(benchTitles))]
	if strings.Contains(title, "%d") {
		title = fmt.Sprintf(title, 1+r.IntN(52))
	} else {
		title = fmt.Sprintf(title, benchWords[r.IntN(len(benchWords))])
	}
	t := &forum.Thread{BoardID: b.ID, Title: title, AuthorID: users[r.IntN(len(users))], CreatedAt: start}
	posts := make([]*forum.Post, size)
	at := start
	for i := range posts {
		body := benchText(r, 100+r.IntN(300))
		p := &forum.Post{AuthorID: users[r.IntN(len(users))], Body: body, HTML: render.Render(body), CreatedAt: at}
		if i == 0 {
			p.AuthorID = t.AuthorID
		} else if r.IntN(3) == 0 {
			// Answer an earlier post; the tree logic matches forum.Service.Reply.
			seq := int64(r.IntN(i) + 1)
			pp := posts[seq-1]
			p.ReplyToSeq = seq
			if seq > 1 {
				p.PathPrefix, p.Depth = pp.PathPrefix+forum.PathSegment(seq), pp.Depth+1
				if pp.Depth >= forum.MaxDepth {
					p.PathPrefix, p.Depth = pp.PathPrefix, pp.Depth
				}
			}
		}
		posts[i] = p
		at = at.Add(time.Duration(1+r.IntN(600)) * time.Second)
	}
	if err := st.ImportThread(ctx, t, posts); err != nil {
		return 0, err
	}
	return t.ID, nil
}
