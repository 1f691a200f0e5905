import Foundation
import Testing

@testable import Handlers

struct AdminConfirmSignUpTests {
    @Test func confirmsAndDropsTheSignUpCode() throws {
        let h = try Harness()
        let poolId = AdminUsers.pool(h)
        let secret = h.store.secret
        let random = h.services.random
        let now = h.clock.now()
        try AdminUsers.user(h, poolId, "alice", ["email": "alice@example.com"], status: .unconfirmed) { user in
            _ = try VerificationCode.issue(
                .signUp, in: &user.codes, now: now, random: random, secret: secret, request: .counted)
        }
        h.clock.advance(30)

        #expect(h.ok("AdminConfirmSignUp", AdminUsers.ids(poolId, "alice")) == [:])

        let user = try #require(try AdminUsers.record(h, poolId, "alice"))
        #expect(user.status == .confirmed)
        #expect(user.codes.isEmpty)
        #expect(user.modified == h.clock.now())
        // Confirming the sign-up verifies nothing.
        #expect(user.attributes["email_verified"] == nil)
        #expect(h.ok("AdminGetUser", AdminUsers.ids(poolId, "alice"))["UserStatus"] == "CONFIRMED")
    }

    @Test func withClientMetadata() throws {
        let h = try Harness()
        let poolId = AdminUsers.pool(h)
        try AdminUsers.user(h, poolId, "alice", status: .unconfirmed)
        h.ok("AdminConfirmSignUp", AdminUsers.ids(poolId, "alice", ["ClientMetadata": ["source": "test"]]))
        #expect(try AdminUsers.record(h, poolId, "alice")?.status == .confirmed)
    }

    @Test(arguments: [UserStatusType.confirmed, .forceChangePassword, .resetRequired])
    func onlyUnconfirmedUsers(status: UserStatusType) throws {
        let h = try Harness()
        let poolId = AdminUsers.pool(h)
        try AdminUsers.user(h, poolId, "alice", status: status)
        Clients.refused(h, "AdminConfirmSignUp", AdminUsers.ids(poolId, "alice"), "NotAuthorizedException",
                        "User cannot be confirmed. Current status is \(status.rawValue)")
    }

    @Test func aSecondConfirmationIsRefused() throws {
        let h = try Harness()
        let poolId = AdminUsers.pool(h)
        try AdminUsers.user(h, poolId, "alice", status: .unconfirmed)
        h.ok("AdminConfirmSignUp", AdminUsers.ids(poolId, "alice"))
        Clients.refused(h, "AdminConfirmSignUp", AdminUsers.ids(poolId, "alice"), "NotAuthorizedException",
                        "User cannot be confirmed. Current status is CONFIRMED")
    }

    @Test func unknownUserAndPool() throws {
        try AdminUsers.checkUnknownPoolAndUser("AdminConfirmSignUp")
    }

    @Test func queryForm() throws {
        let h = try Harness()
        let poolId = AdminUsers.pool(h)
        try AdminUsers.user(h, poolId, "alice", status: .unconfirmed)
        let (status, _) = h.query("AdminConfirmSignUp", [("UserPoolId", poolId), ("Username", "alice")])
        #expect(status == 200)
        Clients.queryRefused(h, "AdminConfirmSignUp", [("UserPoolId", poolId), ("Username", "alice")],
                             "NotAuthorizedException", "User cannot be confirmed. Current status is CONFIRMED")
    }
}
