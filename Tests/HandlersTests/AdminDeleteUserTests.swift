import Foundation
import Testing

@testable import Handlers

struct AdminDeleteUserTests {
    @Test func removesTheRecordAndItsAliases() throws {
        let h = try Harness()
        let poolId = AdminUsers.pool(h, ["AliasAttributes": ["email", "preferred_username"]])
        try AdminUsers.user(
            h, poolId, "alice", ["email": "alice@example.com", "email_verified": "true", "preferred_username": "ally"]
        ) { user in
            user.refreshTokens = [["Hash": "abc", "ClientId": "c1"]]
        }
        let bob = try AdminUsers.user(h, poolId, "bob", ["email": "bob@example.com", "email_verified": "true"])
        #expect(AdminUsers.aliasFiles(h, poolId).count == 5)

        #expect(h.ok("AdminDeleteUser", AdminUsers.ids(poolId, "alice")) == [:])

        #expect(try AdminUsers.record(h, poolId, "alice") == nil)
        for name in ["alice@example.com", "ally"] { #expect(try AdminUsers.stored(h, poolId, name) == nil) }
        // Only bob's sub and email entries are left; bob is untouched.
        #expect(AdminUsers.aliasFiles(h, poolId).count == 2)
        #expect(try AdminUsers.record(h, poolId, "bob") == bob)
        h.fails("AdminGetUser", AdminUsers.ids(poolId, "alice"), "UserNotFoundException")
    }

    @Test func byAliasOrSub() throws {
        let h = try Harness()
        let poolId = AdminUsers.pool(h, ["AliasAttributes": ["email"]])
        try AdminUsers.user(h, poolId, "alice", ["email": "alice@example.com", "email_verified": "true"])
        let bob = try AdminUsers.user(h, poolId, "bob")

        h.ok("AdminDeleteUser", AdminUsers.ids(poolId, "ALICE@example.com"))
        h.ok("AdminDeleteUser", AdminUsers.ids(poolId, bob.sub))

        #expect(try AdminUsers.record(h, poolId, "alice") == nil)
        #expect(try AdminUsers.record(h, poolId, "bob") == nil)
        #expect(AdminUsers.aliasFiles(h, poolId).isEmpty)
    }

    @Test func theNameIsFreeAgain() throws {
        let h = try Harness()
        let poolId = AdminUsers.pool(h, ["AliasAttributes": ["email"]])
        let first = try AdminUsers.user(h, poolId, "alice", ["email": "alice@example.com", "email_verified": "true"])
        h.ok("AdminDeleteUser", AdminUsers.ids(poolId, "alice"))
        let second = try AdminUsers.user(h, poolId, "alice", ["email": "alice@example.com", "email_verified": "true"])
        #expect(first.sub != second.sub)
        #expect(try AdminUsers.stored(h, poolId, "alice@example.com")?.sub == second.sub)
        #expect(try AdminUsers.stored(h, poolId, first.sub) == nil)
    }

    @Test func aSecondDeleteIsNotFound() throws {
        let h = try Harness()
        let poolId = AdminUsers.pool(h)
        try AdminUsers.user(h, poolId, "alice")
        h.ok("AdminDeleteUser", AdminUsers.ids(poolId, "alice"))
        Clients.refused(h, "AdminDeleteUser", AdminUsers.ids(poolId, "alice"), "UserNotFoundException",
                        "User does not exist.")
    }

    @Test func unknownUserAndPool() throws {
        try AdminUsers.checkUnknownPoolAndUser("AdminDeleteUser")
    }

    @Test func queryForm() throws {
        let h = try Harness()
        let poolId = AdminUsers.pool(h)
        try AdminUsers.user(h, poolId, "alice")
        let (status, body) = h.query("AdminDeleteUser", [("UserPoolId", poolId), ("Username", "alice")])
        #expect(status == 200 && body == [:])
        #expect(try AdminUsers.record(h, poolId, "alice") == nil)
    }
}
