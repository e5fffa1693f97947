package config

// Accounts says how logins become wxgate users.
type Accounts struct {
	// Merge is what happens when a login shows that two users are one
	// person (an identity without unionid, say from an official
	// account's snsapi_base login, gets the unionid another user holds):
	// auto (the default) merges them in that login; manual records a
	// merge_conflict event for an operator and keeps them apart.
	Merge string `yaml:"merge"`
}

// Merge policies.
const (
	MergeAuto   = "auto"
	MergeManual = "manual"
)

func (c *Config) defaultAccounts() {
	if c.Accounts.Merge == "" {
		c.Accounts.Merge = MergeAuto
	}
}

func (c *Config) checkAccounts(r *report) {
	switch c.Accounts.Merge {
	case MergeAuto, MergeManual:
	default:
		r.add("accounts.merge", shown(c.Accounts.Merge)+" is not a merge policy; use auto (one person, one user: merge at once) or manual (an operator merges)")
	}
}
