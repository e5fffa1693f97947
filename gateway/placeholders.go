package gateway

import (
	"strings"

	"github.com/wxgate/wxgate/storage"
	"github.com/wxgate/wxgate/wechat"
)

// What WeChat answers today instead of a person's profile: since
// 2021-10-20 sns/userinfo and mini-program user info give sex 0 and empty
// province, city and country; since late 2022 getUserProfile gives the
// nickname "微信用户" and a grey default avatar. These placeholders never
// overwrite what the gateway already knows of a person (from an older
// login, or from POST /auth/profile).
const placeholderNickname = "微信用户"

// placeholderAvatarPath is the path of WeChat's grey default avatar (on
// thirdwx.qlogo.cn), whatever the size suffix.
const placeholderAvatarPath = "/mmopen/vi_32/POgEwh4mIHO4nibH0KlMECNjjGxQUq24ZEaGT4poC6icRiccVGKSyXwibcPq4BWmiaIGuG1icwxaQX6grC9VemZoJ8rg/"

func isPlaceholderAvatar(u string) bool { return strings.Contains(u, placeholderAvatarPath) }

// applyProfile copies WeChat's profile fields onto the user, keeping what
// the user has where WeChat answers a placeholder. The avatar is
// copyAvatar's business: WeChat's avatar URL is not kept as is.
func applyProfile(u *storage.User, p *wechat.UserInfo) {
	mergeProfile(u, p.Nickname, p.Sex, p.Province, p.City, p.Country)
}

// mergeProfile sets the nickname unless it is the placeholder (or empty)
// and the user has one, and sex and place unless WeChat's are all the
// post-2021 blanks and the user has some.
func mergeProfile(u *storage.User, nickname string, sex int, province, city, country string) {
	if nickname != "" && (nickname != placeholderNickname || u.Nickname == "") {
		u.Nickname = nickname
	}
	blank := sex == 0 && province == "" && city == "" && country == ""
	known := u.Sex != 0 || u.Province != "" || u.City != "" || u.Country != ""
	if !blank || !known {
		u.Sex = sex
		u.Province, u.City, u.Country = province, city, country
	}
}
