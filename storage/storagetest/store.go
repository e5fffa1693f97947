package storagetest

import (
	"testing"

	"github.com/wxgate/wxgate/storage"
)

// RunStoreTests checks that the Stores newStore returns meet the contract
// of storage.Store. newStore is called once per subtest and must return a
// new, empty store; it should close it in t.Cleanup (one subtest closes the
// store itself first, so Close must tolerate a second call).
func RunStoreTests(t *testing.T, newStore func(t *testing.T) storage.Store) {
	tests := []struct {
		name string
		run  func(*testing.T, storage.Store)
	}{
		{"LinkIdentity/NewUser", testLinkNewUser},
		{"LinkIdentity/NewUserWithUnionID", testLinkNewUserWithUnionID},
		{"LinkIdentity/ExistingIdentity", testLinkExistingIdentity},
		{"LinkIdentity/AttachUnionID", testLinkAttachUnionID},
		{"LinkIdentity/UnionIDHeldByOtherUserMerges", testLinkMergeAuto},
		{"LinkIdentity/UnionIDHeldByOtherUserManual", testLinkMergeManual},
		{"LinkIdentity/Blocked", testLinkBlocked},
		{"LinkIdentity/NoNewUser", testLinkNoNewUser},
		{"Merge/Values", testMergeValues},
		{"Merge/OldIDResolves", testMergeOldIDResolves},
		{"Merge/BadInput", testMergeBadInput},
		{"Merge/ConcurrentSamePair", testMergeConcurrentSamePair},
		{"Merge/RacingLogins", testMergeRacingLogins},
		{"Merge/ManyAppsAtOnce", testMergeManyAppsAtOnce},
		{"Admin/SearchUsers", testSearchUsers},
		{"Admin/ListUserSessions", testListUserSessions},
		{"Admin/SetBlocked", testSetBlocked},
		{"Admin/UnlinkIdentity", testUnlinkIdentity},
		{"Admin/DeleteUser", testDeleteUser},
		{"Admin/DeleteRacingLogins", testDeleteRacingLogins},
		{"LinkIdentity/UnionIDNotReplaced", testLinkUnionIDNotReplaced},
		{"LinkIdentity/SecondAppJoinsByUnionID", testLinkSecondApp},
		{"LinkIdentity/NoUnionIDNewUser", testLinkNoUnionID},
		{"LinkIdentity/Conflict", testLinkConflict},
		{"LinkIdentity/ConcurrentSameOpenID", testLinkConcurrentSameOpenID},
		{"LinkIdentity/ConcurrentSharedUnionID", testLinkConcurrentSharedUnionID},
		{"LinkIdentity/UpdateNewIdentity", testLinkUpdateNewIdentity},
		{"LinkIdentity/UpdateExistingIdentity", testLinkUpdateExistingIdentity},
		{"LinkIdentity/UpdateUnionID", testLinkUpdateUnionID},
		{"LinkIdentity/UpdateErrorStoresNothing", testLinkUpdateError},
		{"LinkIdentity/Session", testLinkSession},
		{"LinkIdentity/SessionConflictStoresNothing", testLinkSessionConflict},
		{"LinkIdentity/ConcurrentLogins", testLinkConcurrentLogins},
		{"LinkIdentity/Event", testLinkEvent},
		{"Users/Get", testGetUser},
		{"Users/Update", testUpdateUser},
		{"Users/Scan", testScanUsers},
		{"Identities/Get", testGetIdentity},
		{"Identities/ListOldestFirst", testListIdentities},
		{"Identities/Update", testUpdateIdentity},
		{"Identities/UpdateUnionID", testUpdateIdentityUnionID},
		{"Identities/Scan", testScanIdentities},
		{"Updates/Concurrent", testConcurrentUpdates},
		{"Sessions/CreateGet", testCreateSession},
		{"Sessions/Touch", testTouchSession},
		{"Sessions/Delete", testDeleteSession},
		{"Sessions/DeleteUserSessions", testDeleteUserSessions},
		{"Sessions/DeleteExpired", testDeleteExpiredSessions},
		{"Events/Append", testAppendEvent},
		{"Events/List", testListEvents},
		{"Events/DefaultLimit", testListEventsLimit},
		{"Avatars/PutGet", testAvatarPutGet},
		{"Avatars/Replace", testAvatarReplace},
		{"Avatars/Errors", testAvatarErrors},
		{"Times", testTimes},
		{"HostileInput", testHostileInput},
		{"CancelledContext", testCancelledContext},
		{"Close", testClose},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.run(t, newStore(t))
		})
	}
}
