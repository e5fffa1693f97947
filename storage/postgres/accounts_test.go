package postgres_test

import (
	"fmt"
	"sync"
	"testing"

	"github.com/wxgate/wxgate/storage"
	"github.com/wxgate/wxgate/storage/postgres"
)

// Split people (each one user from an official account's snsapi_base,
// without unionid, and one from the website, with it) log in on four
// instances at once through the official account (now with the unionid),
// the website and a mini-program, while a fifth instance merges some of
// them by hand: every person ends as one user, no identity or session is
// lost, and one user_merged event is recorded per person.
func TestMergesOnInstances(t *testing.T) {
	const instances, people, rounds = 4, 4, 3
	ctx := t.Context()
	url := withParam(testURL(), "schema", freshSchema(t))
	stores := make([]*postgres.Store, instances+1)
	for i := range stores {
		stores[i] = open(t, url)
	}
	s := stores[0]
	oa := func(n int, union bool) storage.LinkRequest { return request("wxoa", n, union) }
	var oaUsers, webUsers []string
	for n := range people {
		a := must(s.LinkIdentity(ctx, oa(n, false)))
		b := must(s.LinkIdentity(ctx, request("wxweb", n, true)))
		oaUsers, webUsers = append(oaUsers, a.User.ID), append(webUsers, b.User.ID)
	}

	var wg sync.WaitGroup
	start := make(chan struct{})
	var mu sync.Mutex
	var errs []error
	fail := func(err error) {
		mu.Lock()
		errs = append(errs, err)
		mu.Unlock()
	}
	sessions := 0
	for n := range people {
		for r := range rounds {
			for k, req := range []storage.LinkRequest{oa(n, true), request("wxweb", n, true), request("wxmini", n, true)} {
				// Ids of their own, as the gateway gives every login: the
				// openid decides which identity a login finds.
				req.Identity.ID, req.NewUser.ID = fmt.Sprint("idn-", n, "-", r, "-", k), fmt.Sprint("usr-", n, "-", r, "-", k)
				req.Session = &storage.Session{ID: fmt.Sprint("ses-", n, "-", r, "-", k), TokenHash: sum(fmt.Sprint("tok", n, r, k))}
				sessions++
				st := stores[(n+r+k)%instances]
				wg.Go(func() {
					<-start
					if _, err := st.LinkIdentity(ctx, req); err != nil {
						fail(fmt.Errorf("login of person %d: %w", n, err))
					}
				})
			}
		}
		if n%2 == 0 {
			wg.Go(func() {
				<-start
				if _, _, err := stores[instances].MergeUsers(ctx, oaUsers[n], webUsers[n], request("x", 0, false).Identity.CreatedAt, nil); err != nil {
					fail(fmt.Errorf("merge of person %d: %w", n, err))
				}
			})
		}
	}
	close(start)
	wg.Wait()
	for _, err := range errs {
		t.Error(err)
	}
	if n := len(must(s.ScanUsers(ctx, "", 100))); n != people {
		t.Errorf("%d users, want %d", n, people)
	}
	if n := len(must(s.ScanIdentities(ctx, "", 100))); n != people*3 {
		t.Errorf("%d identities, want %d", n, people*3)
	}
	total := 0
	for n := range people {
		u := must(s.GetUser(ctx, oaUsers[n]))
		if v := must(s.GetUser(ctx, webUsers[n])); v.ID != u.ID {
			t.Errorf("person %d: the two old ids resolve to %q and %q", n, u.ID, v.ID)
		}
		if k := len(must(s.ListIdentities(ctx, u.ID))); k != 3 {
			t.Errorf("person %d has %d identities, want 3", n, k)
		}
		total += must(s.DeleteUserSessions(ctx, u.ID))
	}
	if total != sessions {
		t.Errorf("%d sessions, want %d", total, sessions)
	}
	evs := must(s.ListEvents(ctx, storage.EventFilter{Type: storage.EventUserMerged}))
	if len(evs) != people {
		t.Errorf("%d user_merged events, want %d", len(evs), people)
	}
}
