import Foundation
import Testing

@testable import Handlers

struct AdminSetUserPasswordTests {
    static let newPassword = "N3w-Secret!"

    func input(_ poolId: String, _ username: String, _ password: String = newPassword, permanent: Bool? = nil) -> JSON {
        var extra: [String: JSON] = ["Password": .string(password)]
        if let permanent { extra["Permanent"] = .bool(permanent) }
        return AdminUsers.ids(poolId, username, extra)
    }

    @Test(arguments: [UserStatusType.confirmed, .unconfirmed, .resetRequired, .forceChangePassword])
    func permanentConfirms(from status: UserStatusType) throws {
        let h = try Harness()
        let poolId = AdminUsers.pool(h)
        try AdminUsers.user(h, poolId, "alice", status: status) { user in
            user.failedSignIns = 7
            user.lockedUntil = user.created.addingTimeInterval(900)
            user.temporaryPasswordExpires = user.created.addingTimeInterval(86_400)
        }
        h.clock.advance(10)

        #expect(h.ok("AdminSetUserPassword", input(poolId, "alice", permanent: true)) == [:])

        let user = try #require(try AdminUsers.record(h, poolId, "alice"))
        #expect(user.status == .confirmed)
        let hash = try #require(user.passwordHash)
        #expect(h.services.passwords.verify(Self.newPassword, against: hash))
        #expect(!h.services.passwords.verify(AdminUsers.password, against: hash))
        #expect(user.temporaryPasswordExpires == nil)
        #expect(user.failedSignIns == 0 && user.lockedUntil == nil)
        #expect(user.modified == h.clock.now())
    }

    @Test func temporaryByDefault() throws {
        let h = try Harness()
        let poolId = AdminUsers.pool(h)
        try AdminUsers.user(h, poolId, "alice")

        h.ok("AdminSetUserPassword", input(poolId, "alice"))

        let user = try #require(try AdminUsers.record(h, poolId, "alice"))
        #expect(user.status == .forceChangePassword)
        #expect(user.temporaryPasswordExpires == h.clock.now().addingTimeInterval(7 * 86_400))
        #expect(h.services.passwords.verify(Self.newPassword, against: user.passwordHash ?? ""))
        #expect(h.ok("AdminGetUser", AdminUsers.ids(poolId, "alice"))["UserStatus"] == "FORCE_CHANGE_PASSWORD")
    }

    @Test func temporaryExpiresPerThePoolsValidity() throws {
        let h = try Harness()
        let poolId = AdminUsers.pool(
            h, ["Policies": ["PasswordPolicy": ["MinimumLength": 6, "TemporaryPasswordValidityDays": 2]]])
        try AdminUsers.user(h, poolId, "alice")
        h.ok("AdminSetUserPassword", input(poolId, "alice", "simple", permanent: false))
        let user = try #require(try AdminUsers.record(h, poolId, "alice"))
        #expect(user.status == .forceChangePassword)
        #expect(user.temporaryPasswordExpires == h.clock.now().addingTimeInterval(2 * 86_400))
    }

    @Test func byAlias() throws {
        let h = try Harness()
        let poolId = AdminUsers.pool(h, ["AliasAttributes": ["email"]])
        try AdminUsers.user(h, poolId, "alice", ["email": "alice@example.com", "email_verified": "true"])
        h.ok("AdminSetUserPassword", input(poolId, "alice@example.com", permanent: true))
        let user = try #require(try AdminUsers.record(h, poolId, "alice"))
        #expect(h.services.passwords.verify(Self.newPassword, against: user.passwordHash ?? ""))
    }

    // MARK: Password history

    @Test(arguments: [true, false])
    func aRecentPasswordIsRefused(permanent: Bool) throws {
        let h = try Harness()
        let poolId = AdminUsers.pool(h, Histories.pool(3))
        let older = try Histories.hashes(h)
        try AdminUsers.user(h, poolId, "alice") { $0.previousPasswordHashes = older }
        // The last 3: the current password and the two before it, whether the new one is temporary or not.
        for reused in [AdminUsers.password, Histories.older[0], Histories.older[1]] {
            Clients.refused(h, "AdminSetUserPassword", input(poolId, "alice", reused, permanent: permanent),
                            "PasswordHistoryPolicyViolationException", Histories.violation(3))
        }
        h.ok("AdminSetUserPassword", input(poolId, "alice", Histories.older[2], permanent: permanent))
        let user = try #require(try AdminUsers.record(h, poolId, "alice"))
        #expect(user.status == (permanent ? .confirmed : .forceChangePassword))
        #expect(Histories.remembered(h, user, among: [AdminUsers.password] + Histories.older)
                == [Histories.older[2], AdminUsers.password, Histories.older[0]])
    }

    @Test func withoutAHistorySizeAnyPasswordMaybeSetAgain() throws {
        for size in [nil, 0] as [Int?] {
            let h = try Harness()
            let poolId = AdminUsers.pool(h, Histories.pool(size))
            try AdminUsers.user(h, poolId, "alice")
            h.ok("AdminSetUserPassword", input(poolId, "alice", AdminUsers.password, permanent: true))
            let user = try #require(try AdminUsers.record(h, poolId, "alice"))
            #expect(h.services.passwords.verify(AdminUsers.password, against: user.passwordHash ?? ""))
            #expect(user.previousPasswordHashes == [])
        }
    }

    @Test func theHistoryFollowsTheSizeDown() throws {
        let h = try Harness()
        let poolId = AdminUsers.pool(h, Histories.pool(24))
        try AdminUsers.user(h, poolId, "alice")
        for password in Histories.older {
            h.ok("AdminSetUserPassword", input(poolId, "alice", password, permanent: true))
        }
        var user = try #require(try AdminUsers.record(h, poolId, "alice"))
        #expect(user.previousPasswordHashes.count == 4)
        h.ok("UpdateUserPool", Histories.resize(poolId, 2))
        h.ok("AdminSetUserPassword", input(poolId, "alice", Self.newPassword, permanent: true))
        user = try #require(try AdminUsers.record(h, poolId, "alice"))
        #expect(Histories.remembered(h, user, among: [Self.newPassword] + Histories.older)
                == [Self.newPassword, Histories.older[3]])
    }

    @Test func aPasswordSetMeanwhileIsCheckedToo() throws {
        let h = try Harness()
        let poolId = AdminUsers.pool(h, Histories.pool(2))
        try AdminUsers.user(h, poolId, "alice")
        let (services, random) = Histories.hooked(h)
        // While this request hashes the new password, another administrator sets the same one first.
        random.hook = { h.ok("AdminSetUserPassword", input(poolId, "alice", permanent: true)) }
        let request = try AdminSetUserPasswordInput(json: input(poolId, "alice", permanent: false))
        #expect(throws: PasswordHistory.violation(size: 2)) { try AdminSetUserPassword(services).run(request) }
        #expect(random.hook == nil)
        let user = try #require(try AdminUsers.record(h, poolId, "alice"))
        #expect(user.status == .confirmed)
        #expect(Histories.remembered(h, user, among: [Self.newPassword, AdminUsers.password])
                == [Self.newPassword, AdminUsers.password])
    }

    @Test(arguments: [
        ("Sh0rt!", "Password not long enough"),
        ("n0-uppercase", "Password must have uppercase characters"),
        ("N0-LOWERCASE", "Password must have lowercase characters"),
        ("No-Numbers!", "Password must have numeric characters"),
        ("N0Symbols", "Password must have symbol characters"),
    ])
    func thePoolsPolicy(password: String, rule: String) throws {
        let h = try Harness()
        let poolId = AdminUsers.pool(h)
        try AdminUsers.user(h, poolId, "alice")
        Clients.refused(h, "AdminSetUserPassword", input(poolId, "alice", password, permanent: true),
                        "InvalidPasswordException", "Password does not conform to policy: " + rule)
    }

    @Test func aPasswordTheModelRefuses() throws {
        let h = try Harness()
        let poolId = AdminUsers.pool(h)
        try AdminUsers.user(h, poolId, "alice")
        Clients.refused(h, "AdminSetUserPassword", input(poolId, "alice", " Spaced-0ut! ", permanent: true),
                        "InvalidParameterException")
    }

    @Test func unknownUserAndPool() throws {
        try AdminUsers.checkUnknownPoolAndUser("AdminSetUserPassword", ["Password": .string(Self.newPassword)])
    }

    @Test func anUnknownUserIsReportedBeforeAWeakPassword() throws {
        let h = try Harness()
        let poolId = AdminUsers.pool(h)
        Clients.refused(h, "AdminSetUserPassword", input(poolId, "nobody", "weak", permanent: true),
                        "UserNotFoundException", "User does not exist.")
    }

    @Test func queryForm() throws {
        let h = try Harness()
        let poolId = AdminUsers.pool(h)
        try AdminUsers.user(h, poolId, "alice", status: .forceChangePassword)
        let params = [("UserPoolId", poolId), ("Username", "alice"), ("Password", Self.newPassword),
                      ("Permanent", "true")]
        let (status, _) = h.query("AdminSetUserPassword", params)
        #expect(status == 200)
        #expect(try AdminUsers.record(h, poolId, "alice")?.status == .confirmed)
        Clients.queryRefused(h, "AdminSetUserPassword",
                             [("UserPoolId", poolId), ("Username", "alice"), ("Password", "password")],
                             "InvalidPasswordException",
                             "Password does not conform to policy: Password must have uppercase characters")
    }
}
