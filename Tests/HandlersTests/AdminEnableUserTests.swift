import Foundation
import Testing

@testable import Handlers

struct AdminEnableUserTests {
    @Test func enablesADisabledUser() throws {
        let h = try Harness()
        let poolId = AdminUsers.pool(h)
        try AdminUsers.user(h, poolId, "alice")
        h.ok("AdminDisableUser", AdminUsers.ids(poolId, "alice"))
        h.clock.advance(60)

        #expect(h.ok("AdminEnableUser", AdminUsers.ids(poolId, "alice")) == [:])

        let user = try #require(try AdminUsers.record(h, poolId, "alice"))
        #expect(user.enabled)
        #expect(user.modified == h.clock.now())
        #expect(h.ok("AdminGetUser", AdminUsers.ids(poolId, "alice"))["Enabled"] == true)
    }

    @Test func anEnabledUserIsLeftAlone() throws {
        let h = try Harness()
        let poolId = AdminUsers.pool(h)
        try AdminUsers.user(h, poolId, "alice")
        let before = h.snapshot()
        h.clock.advance(60)
        h.ok("AdminEnableUser", AdminUsers.ids(poolId, "alice"))
        #expect(h.snapshot() == before)
    }

    @Test func unknownUserAndPool() throws {
        try AdminUsers.checkUnknownPoolAndUser("AdminEnableUser")
    }

    @Test func queryForm() throws {
        let h = try Harness()
        let poolId = AdminUsers.pool(h)
        try AdminUsers.user(h, poolId, "alice") { $0.enabled = false }
        let (status, _) = h.query("AdminEnableUser", [("UserPoolId", poolId), ("Username", "alice")])
        #expect(status == 200)
        #expect(try AdminUsers.record(h, poolId, "alice")?.enabled == true)
    }
}
