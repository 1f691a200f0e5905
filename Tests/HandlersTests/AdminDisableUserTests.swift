import Foundation
import Testing

@testable import Handlers

struct AdminDisableUserTests {
    @Test func disables() throws {
        let h = try Harness()
        let poolId = AdminUsers.pool(h)
        try AdminUsers.user(h, poolId, "alice")
        h.clock.advance(60)

        #expect(h.ok("AdminDisableUser", AdminUsers.ids(poolId, "alice")) == [:])

        let user = try #require(try AdminUsers.record(h, poolId, "alice"))
        #expect(!user.enabled)
        #expect(user.status == .confirmed)
        #expect(user.modified == h.clock.now())
        let got = h.ok("AdminGetUser", AdminUsers.ids(poolId, "alice"))
        #expect(got["Enabled"] == false)
        #expect(got["UserLastModifiedDate"] == 1_790_000_060)
    }

    @Test func disablingTwiceChangesNothing() throws {
        let h = try Harness()
        let poolId = AdminUsers.pool(h)
        try AdminUsers.user(h, poolId, "alice")
        h.ok("AdminDisableUser", AdminUsers.ids(poolId, "alice"))
        let before = h.snapshot()
        h.clock.advance(60)
        h.ok("AdminDisableUser", AdminUsers.ids(poolId, "alice"))
        #expect(h.snapshot() == before)
    }

    @Test func byAlias() throws {
        let h = try Harness()
        let poolId = AdminUsers.pool(h, ["UsernameAttributes": ["email"]])
        let user = try AdminUsers.user(h, poolId, h.services.random.uuid(), ["email": "alice@example.com"])
        h.ok("AdminDisableUser", AdminUsers.ids(poolId, "alice@example.com"))
        #expect(try AdminUsers.record(h, poolId, user.username)?.enabled == false)
    }

    /// AWS: AdminDisableUser "revokes all access tokens for the user": enabling the user again does not bring back the
    /// sessions of before (a global sign-out), while a new sign-in works.
    @Test func revokesTheSessionsForGood() throws {
        let f = try TokenFixture()
        try f.addUser()
        let sessions = [try f.signIn().result, try f.signIn().result]
        f.clock.advance(10)
        f.h.ok("AdminDisableUser", AdminUsers.ids(f.poolId, "alice"))
        f.getUserRefused(sessions[0].accessToken, "User is disabled.")
        f.h.ok("AdminEnableUser", AdminUsers.ids(f.poolId, "alice"))
        try SignOuts.over(f, sessions)
        f.clock.advance(1)
        try SignOuts.alive(f, [try f.signIn().result])
    }

    @Test func unknownUserAndPool() throws {
        try AdminUsers.checkUnknownPoolAndUser("AdminDisableUser")
    }
}
