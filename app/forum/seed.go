package forum

import (
	"context"
	"errors"
	"time"

	"jiayuan/app/fault"
	"jiayuan/app/l10n"
)

// DefaultBoards are the eight 家· boards every community starts with.
var DefaultBoards = []Board{
	{Slug: "xinyu", Name: l10n.Text{"zh-Hans": "家·心语", "zh-Hant": "家·心語", "en": "Heart to Heart"},
		Description: l10n.Text{"zh-Hans": "入党积极分子的工作周记，培养联系人与同事的回应", "zh-Hant": "入黨積極分子的工作周記，培養聯繫人與同事的回應", "en": "Weekly journals of membership applicants, with replies from mentors and peers"}},
	{Slug: "yanglian", Name: l10n.Text{"zh-Hans": "家·养廉", "zh-Hant": "家·養廉", "en": "Integrity"},
		Description: l10n.Text{"zh-Hans": "廉洁文化：员工征集的廉洁格言、节日廉洁提醒", "zh-Hant": "廉潔文化：員工徵集的廉潔格言、節日廉潔提醒", "en": "Integrity culture: mottos collected from staff, holiday integrity reminders"}},
	{Slug: "shijiao", Name: l10n.Text{"zh-Hans": "家·视角", "zh-Hant": "家·視角", "en": "Perspectives"},
		Description: l10n.Text{"zh-Hans": "改革热点面对面，领导讲话精神的讨论", "zh-Hant": "改革熱點面對面，領導講話精神的討論", "en": "Reform hot topics face to face, leaders' talks discussed"}},
	{Slug: "nianhua", Name: l10n.Text{"zh-Hans": "家·年华", "zh-Hant": "家·年華", "en": "Good Years"},
		Description: l10n.Text{"zh-Hans": "员工的生活与文化，微电影，祝福", "zh-Hant": "員工的生活與文化，微電影，祝福", "en": "Staff life and culture, micro-films, greetings"}},
	{Slug: "leyou", Name: l10n.Text{"zh-Hans": "家·乐游", "zh-Hant": "家·樂遊", "en": "Leisure & Travel"},
		Description: l10n.Text{"zh-Hans": "旅行与休闲", "zh-Hant": "旅行與休閒", "en": "Travel and leisure"}},
	{Slug: "jiangtan", Name: l10n.Text{"zh-Hans": "家·讲坛", "zh-Hant": "家·講壇", "en": "Lectures"},
		Description: l10n.Text{"zh-Hans": "党课讲坛与“我与传媒共奋进”视频宣讲", "zh-Hant": "黨課講壇與「我與傳媒共奮進」視頻宣講", "en": "Party lectures and the \"Forward with the company\" video talks"}},
	{Slug: "shuying", Name: l10n.Text{"zh-Hans": "家·书影", "zh-Hant": "家·書影", "en": "Books & Films"},
		Description: l10n.Text{"zh-Hans": "每周一书、每周一文、传媒放映厅", "zh-Hant": "每週一書、每週一文、傳媒放映廳", "en": "Book of the week, article of the week, the film hall"}},
	{Slug: "shanxing", Name: l10n.Text{"zh-Hans": "家·善行", "zh-Hant": "家·善行", "en": "Good Deeds"},
		Description: l10n.Text{"zh-Hans": "善行榜与志愿者招募", "zh-Hant": "善行榜與志願者招募", "en": "The good-deeds board and volunteer recruitment"}},
}

// SeedBoards creates the default boards when there are no boards at all, so boards an
// admin later renames or archives are never brought back.
func SeedBoards(ctx context.Context, store Store, now time.Time) error {
	existing, err := store.ListBoards(ctx)
	if err != nil || len(existing) > 0 {
		return err
	}
	for i, b := range DefaultBoards {
		b := b
		b.Position, b.CreatedAt = i+1, now
		// A concurrent first start of a second node may have won the race: fine.
		if err := store.CreateBoard(ctx, &b); err != nil && !errors.Is(err, fault.ErrConflict) {
			return err
		}
	}
	return nil
}
