package search

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/longbridgeapp/opencc"

	"jiayuan/app/fold"
)

// corpusWords are what the community writes about, in Simplified characters; the
// generator turns some posts into Traditional characters and full-width letters.
var corpusWords = strings.Fields(`党员 学习 廉洁 志愿者 家园 传媒 周记 党章 支部 组织生活 三会一课 党课 讲坛 心得 体会 初心
使命 服务 群众 基层 创新 发展 改革 热点 面对面 领导 讲话 精神 员工 青年 同事 文化 建设 责任 担当 奉献 善行 公益
活动 读书 电影 放映厅 每周一书 旅行 休闲 摄影 生日 祝福 贺卡 格言 清白 做人 干净 做事 制度 监督 科技 防腐
宣讲 视频 微电影 航空 服务 品牌 质量 安全 团队 合作 沟通 成长 进步 思想 汇报 入党 积极分子 培养 联系人 考察
民主 评议 整改 方案 公示 反馈 意见 建议 落实 推进 总结 头发 发展 干部 乾坤 后来 皇后 云彩 说话 里面 面条`)

var corpusLatin = strings.Fields(`OA QQ WeChat team report culture volunteer Shanghai airline media party meeting weekly`)

// GenerateCorpus makes n posts of mixed text: Simplified and Traditional characters,
// Latin words, full-width letters and digits, punctuation. The same seed gives the
// same corpus.
func GenerateCorpus(seed uint64, n int) ([]Doc, error) {
	s2t, err := opencc.New("s2t")
	if err != nil {
		return nil, err
	}
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	docs := make([]Doc, n)
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	boards := []string{"xinyu", "yanglian", "shijiao", "nianhua", "leyou", "jiangtan", "shuying", "shanxing"}
	for i := range docs {
		body := corpusText(r, 20+r.IntN(120))
		title := ""
		if r.IntN(5) == 0 {
			title = corpusText(r, 5+r.IntN(15))
		}
		switch r.IntN(3) {
		case 0: // Traditional script
			if body, err = s2t.Convert(body); err != nil {
				return nil, err
			}
			if title, err = s2t.Convert(title); err != nil {
				return nil, err
			}
		case 1: // full-width Latin letters and digits
			body = toFullWidth(body)
		}
		docs[i] = Doc{PostID: int64(i + 1), Board: boards[r.IntN(len(boards))],
			Author: fmt.Sprintf("user%d", r.IntN(50)), Title: title, Body: body, Created: start.Add(time.Duration(i) * time.Minute)}
	}
	return docs, nil
}

func corpusText(r *rand.Rand, words int) string {
	var b strings.Builder
	for i := 0; i < words; i++ {
		switch r.IntN(12) {
		case 0:
			b.WriteString(" " + corpusLatin[r.IntN(len(corpusLatin))] + " ")
		case 1:
			b.WriteString([]string{"，", "。", "！", "、", " ", "；", "2026", "（", "）"}[r.IntN(9)])
		default:
			b.WriteString(corpusWords[r.IntN(len(corpusWords))])
		}
	}
	return b.String()
}

func toFullWidth(s string) string {
	out := []rune(s)
	for i, c := range out {
		if c > ' ' && c <= '~' {
			out[i] = c + 0xFEE0
		}
	}
	return string(out)
}

// CJKRuns returns the runs of consecutive CJK characters of rs: what Chinese queries
// are cut from in the relevance suite and the benchmark.
func CJKRuns(rs []rune) [][]rune {
	var out [][]rune
	start := -1
	for i := 0; i <= len(rs); i++ {
		if i < len(rs) && fold.IsCJK(rs[i]) {
			if start < 0 {
				start = i
			}
			continue
		}
		if start >= 0 {
			out = append(out, rs[start:i])
			start = -1
		}
	}
	return out
}
