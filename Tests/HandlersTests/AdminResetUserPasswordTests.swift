import Foundation
import Testing

@testable import Handlers

struct AdminResetUserPasswordTests {
    static let nowhere = "Cannot reset password for the user as there is no registered/verified email or phone_number"

    @Test func codeToTheVerifiedEmail() throws {
        let h = try Harness()
        let poolId = AdminUsers.pool(h)
        let before = try AdminUsers.user(h, poolId, "alice", ["email": "alice@example.com", "email_verified": "true"])

        #expect(h.ok("AdminResetUserPassword", AdminUsers.ids(poolId, "alice")) == [:])

        let user = try #require(try AdminUsers.record(h, poolId, "alice"))
        #expect(user.status == .resetRequired)
        // The hash stays: sign-in answers PasswordResetRequiredException by the status.
        #expect(user.passwordHash == before.passwordHash)
        let messages = h.outbox()
        #expect(messages.count == 1)
        let message = try #require(messages.first)
        #expect(message.kind == .forgotPassword)
        #expect(message.medium == .email)
        #expect(message.destination == "alice@example.com")
        #expect(message.attributeName == "email")
        #expect(message.subject == MessageTemplates.defaultVerificationSubject)
        let code = try #require(message.code)
        #expect(code.wholeMatch(of: /[0-9]{6}/) != nil)
        #expect(message.body == "Your verification code is \(code). ")

        var codes = user.codes
        let stored = try #require(try AdminUsers.code(user, .forgotPassword))
        #expect(stored.expiresAt == h.clock.now().addingTimeInterval(3600))
        #expect(
            VerificationCode.check(code, for: .forgotPassword, in: &codes, now: h.clock.now(), secret: h.store.secret)
                == .ok)
        #expect(h.ok("AdminGetUser", AdminUsers.ids(poolId, "alice"))["UserStatus"] == "RESET_REQUIRED")
    }

    @Test func thePoolsTemplate() throws {
        let h = try Harness()
        let poolId = AdminUsers.pool(
            h, ["VerificationMessageTemplate": ["EmailSubject": "Reset", "EmailMessage": "Hi {username}: {####}"]])
        try AdminUsers.user(h, poolId, "alice", ["email": "alice@example.com", "email_verified": "true"])
        h.ok("AdminResetUserPassword", AdminUsers.ids(poolId, "alice"))
        let message = try #require(h.outbox().first)
        #expect(message.subject == "Reset")
        #expect(message.body == "Hi alice: \(message.code ?? "")")
    }

    @Test func aVerifiedPhoneNumberFirstWithoutARecoverySetting() throws {
        let h = try Harness()
        let poolId = AdminUsers.pool(h)
        try AdminUsers.user(
            h, poolId, "alice",
            ["email": "alice@example.com", "email_verified": "true", "phone_number": "+15555550123",
             "phone_number_verified": "true"])
        h.ok("AdminResetUserPassword", AdminUsers.ids(poolId, "alice"))
        let message = try #require(h.outbox().first)
        #expect(message.medium == .sms)
        #expect(message.destination == "+15555550123")
        #expect(message.attributeName == "phone_number")
    }

    @Test func theRecoverySettingsOrder() throws {
        let h = try Harness()
        let poolId = AdminUsers.pool(
            h,
            ["AccountRecoverySetting": ["RecoveryMechanisms": [
                ["Name": "verified_phone_number", "Priority": 2], ["Name": "verified_email", "Priority": 1],
            ]]])
        try AdminUsers.user(
            h, poolId, "alice",
            ["email": "alice@example.com", "email_verified": "true", "phone_number": "+15555550123",
             "phone_number_verified": "true"])
        // Email is first; without a verified email the next mechanism applies.
        try AdminUsers.user(
            h, poolId, "bob",
            ["email": "bob@example.com", "email_verified": "false", "phone_number": "+15555550199",
             "phone_number_verified": "true"])
        h.ok("AdminResetUserPassword", AdminUsers.ids(poolId, "alice"))
        h.ok("AdminResetUserPassword", AdminUsers.ids(poolId, "bob"))
        #expect(h.outbox().map(\.destination) == ["alice@example.com", "+15555550199"])
    }

    @Test func aNewCodeSupersedesTheLast() throws {
        let h = try Harness()
        let poolId = AdminUsers.pool(h)
        try AdminUsers.user(h, poolId, "alice", ["email": "alice@example.com", "email_verified": "true"])
        h.ok("AdminResetUserPassword", AdminUsers.ids(poolId, "alice"))
        h.clock.advance(60)
        h.ok("AdminResetUserPassword", AdminUsers.ids(poolId, "alice"))
        let codes = h.outbox().compactMap(\.code)
        #expect(codes.count == 2)

        let user = try #require(try AdminUsers.record(h, poolId, "alice"))
        #expect(user.status == .resetRequired)
        var pending = user.codes
        let secret = h.store.secret
        if codes[0] != codes[1] {
            #expect(VerificationCode.check(codes[0], for: .forgotPassword, in: &pending, now: h.clock.now(),
                                           secret: secret) == .expired)
        }
        #expect(VerificationCode.check(codes[1], for: .forgotPassword, in: &pending, now: h.clock.now(),
                                       secret: secret) == .ok)
    }

    @Test func nothingVerifiedToSendTo() throws {
        let h = try Harness()
        let poolId = AdminUsers.pool(h)
        try AdminUsers.user(
            h, poolId, "alice",
            ["email": "alice@example.com", "email_verified": "false", "phone_number": "+15555550123"])
        try AdminUsers.user(h, poolId, "bob")
        for name in ["alice", "bob"] {
            Clients.refused(h, "AdminResetUserPassword", AdminUsers.ids(poolId, name), "InvalidParameterException",
                            Self.nowhere)
        }
        #expect(h.outbox().isEmpty)
    }

    @Test func adminOnlyRecovery() throws {
        let h = try Harness()
        let poolId = AdminUsers.pool(
            h, ["AccountRecoverySetting": ["RecoveryMechanisms": [["Name": "admin_only", "Priority": 1]]]])
        try AdminUsers.user(h, poolId, "alice", ["email": "alice@example.com", "email_verified": "true"])
        Clients.refused(h, "AdminResetUserPassword", AdminUsers.ids(poolId, "alice"), "InvalidParameterException",
                        Self.nowhere)
    }

    @Test(arguments: [UserStatusType.forceChangePassword, .unconfirmed])
    func onlyConfirmedUsers(status: UserStatusType) throws {
        let h = try Harness()
        let poolId = AdminUsers.pool(h)
        try AdminUsers.user(
            h, poolId, "alice", ["email": "alice@example.com", "email_verified": "true"], status: status)
        Clients.refused(h, "AdminResetUserPassword", AdminUsers.ids(poolId, "alice"), "NotAuthorizedException",
                        "User password cannot be reset in the current state.")
    }

    @Test func notADisabledUser() throws {
        let h = try Harness()
        let poolId = AdminUsers.pool(h)
        try AdminUsers.user(h, poolId, "alice", ["email": "alice@example.com", "email_verified": "true"]) {
            $0.enabled = false
        }
        Clients.refused(h, "AdminResetUserPassword", AdminUsers.ids(poolId, "alice"), "NotAuthorizedException",
                        "User is disabled.")
    }

    @Test func unknownUserAndPool() throws {
        try AdminUsers.checkUnknownPoolAndUser("AdminResetUserPassword")
    }

    @Test func queryForm() throws {
        let h = try Harness()
        let poolId = AdminUsers.pool(h)
        try AdminUsers.user(h, poolId, "alice", ["email": "alice@example.com", "email_verified": "true"])
        let (status, _) = h.query("AdminResetUserPassword", [("UserPoolId", poolId), ("Username", "alice")])
        #expect(status == 200)
        #expect(h.outbox().count == 1)
    }
}
