package forum

import (
	"context"
	"errors"
	"time"

	"jiayuan/app/fault"
)

// DefaultBoards are the eight 家· boards every community starts with.
var DefaultBoards = []Board{
	{Slug: "xinyu", Name: "家·心语", NameHant: "家·心語", NameEn: "Heart to Heart",
		Description: "入党积极分子的工作周记，培养联系人与同事的回应", DescriptionHant: "入黨積極分子的工作周記，培養聯繫人與同事的回應", DescriptionEn: "Weekly journals of membership applicants, with replies from mentors and peers"},
	{Slug: "yanglian", Name: "家·养廉", NameHant: "家·養廉", NameEn: "Integrity",
		Description: "廉洁文化：员工征集的廉洁格言、节日廉洁提醒", DescriptionHant: "廉潔文化：員工徵集的廉潔格言、節日廉潔提醒", DescriptionEn: "Integrity culture: mottos collected from staff, holiday integrity reminders"},
	{Slug: "shijiao", Name: "家·视角", NameHant: "家·視角", NameEn: "Perspectives",
		Description: "改革热点面对面，领导讲话精神的讨论", DescriptionHant: "改革熱點面對面，領導講話精神的討論", DescriptionEn: "Reform hot topics face to face, leaders' talks discussed"},
	{Slug: "nianhua", Name: "家·年华", NameHant: "家·年華", NameEn: "Good Years",
		Description: "员工的生活与文化，微电影，祝福", DescriptionHant: "員工的生活與文化，微電影，祝福", DescriptionEn: "Staff life and culture, micro-films, greetings"},
	{Slug: "leyou", Name: "家·乐游", NameHant: "家·樂遊", NameEn: "Leisure & Travel",
		Description: "旅行与休闲", DescriptionHant: "旅行與休閒", DescriptionEn: "Travel and leisure"},
	{Slug: "jiangtan", Name: "家·讲坛", NameHant: "家·講壇", NameEn: "Lectures",
		Description: "党课讲坛与“我与传媒共奋进”视频宣讲", DescriptionHant: "黨課講壇與「我與傳媒共奮進」視頻宣講", DescriptionEn: "Party lectures and the \"Forward with the company\" video talks"},
	{Slug: "shuying", Name: "家·书影", NameHant: "家·書影", NameEn: "Books & Films",
		Description: "每周一书、每周一文、传媒放映厅", DescriptionHant: "每週一書、每週一文、傳媒放映廳", DescriptionEn: "Book of the week, article of the week, the film hall"},
	{Slug: "shanxing", Name: "家·善行", NameHant: "家·善行", NameEn: "Good Deeds",
		Description: "善行榜与志愿者招募", DescriptionHant: "善行榜與志願者招募", DescriptionEn: "The good-deeds board and volunteer recruitment"},
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
