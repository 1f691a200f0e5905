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

    @Test func unknownUserAndPool() throws {
        try AdminUsers.checkUnknownPoolAndUser("AdminDisableUser")
    }
}
