import Foundation
import Testing

@testable import Handlers

struct AdminUserGlobalSignOutTests {
    @Test func endsEverySessionOfTheNamedUser() throws {
        let f = try TokenFixture()
        try f.addUser()
        try f.addUser("bob")
        let other = try #require(Clients.create(f.h, f.poolId, name: "other")["ClientId"]?.stringValue)
        let first = try f.signIn().result
        let second = try f.signIn(clientId: other).result
        let bob = try f.signIn("bob").result
        f.clock.advance(5)
        let before = try #require(try f.user())

        #expect(f.h.ok("AdminUserGlobalSignOut", AdminUsers.ids(f.poolId, "alice")) == [:])

        try SignOuts.recorded(f, "alice", at: f.clock.now(), unchanged: before)
        try SignOuts.over(f, [first])
        try SignOuts.over(f, [second], clientId: other)
        try SignOuts.alive(f, [bob])
        // Signing in again works.
        f.clock.advance(1)
        try SignOuts.alive(f, [try f.signIn().result])
    }

    @Test func byAliasOrSub() throws {
        let f = try TokenFixture()
        let alice = try f.addUser()
        let session = try f.signIn().result
        f.h.ok("AdminUserGlobalSignOut", AdminUsers.ids(f.poolId, alice.sub))
        try SignOuts.over(f, [session])
    }

    @Test func aDisabledUserStaysSignedOutWhenEnabledAgain() throws {
        let f = try TokenFixture()
        try f.addUser()
        let session = try f.signIn().result
        f.h.ok("AdminDisableUser", AdminUsers.ids(f.poolId, "alice"))
        f.h.ok("AdminUserGlobalSignOut", AdminUsers.ids(f.poolId, "alice"))
        f.h.ok("AdminEnableUser", AdminUsers.ids(f.poolId, "alice"))
        try SignOuts.over(f, [session])
    }

    @Test func aUserWithoutSessions() throws {
        let h = try Harness()
        let poolId = AdminUsers.pool(h)
        try AdminUsers.user(h, poolId, "carol", status: .unconfirmed)
        h.clock.advance(30)
        h.ok("AdminUserGlobalSignOut", AdminUsers.ids(poolId, "carol"))
        let user = try #require(try AdminUsers.record(h, poolId, "carol"))
        #expect(user.signedOutAt == h.clock.now() && user.refreshTokens.isEmpty)
        #expect(user.modified == user.created)
    }

    @Test func unknownUserAndPool() throws {
        try AdminUsers.checkUnknownPoolAndUser("AdminUserGlobalSignOut")
    }

    @Test func queryForm() throws {
        let f = try TokenFixture()
        try f.addUser()
        let session = try f.signIn().result
        let (status, body) = f.h.query("AdminUserGlobalSignOut", [("UserPoolId", f.poolId), ("Username", "alice")])
        #expect(status == 200 && body == [:])
        try SignOuts.over(f, [session])
        Clients.queryRefused(f.h, "AdminUserGlobalSignOut", [("UserPoolId", f.poolId), ("Username", "nobody")],
                             "UserNotFoundException", "User does not exist.")
    }

    @Test func usernameIsRequired() throws {
        let h = try Harness()
        let poolId = AdminUsers.pool(h)
        Clients.refused(h, "AdminUserGlobalSignOut", ["UserPoolId": .string(poolId)], "InvalidParameterException")
    }
}
