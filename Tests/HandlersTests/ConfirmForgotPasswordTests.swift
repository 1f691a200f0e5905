import Foundation
import Testing

@testable import Handlers

struct ConfirmForgotPasswordTests {
    static let mismatch = "Invalid verification code provided, please try again."
    static let expired = "Invalid code provided, please request a code again."
    static let limit = "Attempt limit exceeded, please try after some time."

    /// A code that is not `code` (and still six digits).
    static func wrong(_ code: String) -> String { code == "000000" ? "000001" : "000000" }

    // MARK: Success

    @Test func setsThePasswordAndUsesUpTheCode() throws {
        let r = try Recovery()
        try r.addUser { user in
            user.failedSignIns = 4
            user.lockedUntil = Date(timeIntervalSince1970: 1_790_000_600)
        }
        let code = try r.requestCode()
        r.h.clock.advance(120)

        #expect(r.h.ok("ConfirmForgotPassword", r.confirmInput(code: code)) == [:])

        let user = try r.user()
        #expect(try r.verifies(Recovery.newPassword))
        #expect(!(try r.verifies(Recovery.password)))
        #expect(user.status == .confirmed)
        #expect(user.codes[CodePurpose.forgotPassword.key] == nil)
        #expect(user.failedSignIns == 0)
        #expect(user.lockedUntil == nil)
        #expect(user.temporaryPasswordExpires == nil)
        #expect(user.modified == r.h.clock.now())
        // Attributes, sub and creation date are untouched; nothing else was sent.
        #expect(user.attributes["email_verified"] == "true")
        #expect(r.h.outbox().count == 1)
    }

    @Test func aUsedCodeIsExpired() throws {
        let r = try Recovery()
        try r.addUser()
        let code = try r.requestCode()
        r.h.ok("ConfirmForgotPassword", r.confirmInput(code: code))
        Clients.refused(
            r.h, "ConfirmForgotPassword", r.confirmInput(code: code, password: "Third-passw0rd!"),
            "ExpiredCodeException", Self.expired)
        #expect(try r.verifies(Recovery.newPassword))
    }

    @Test func resetRequiredBecomesConfirmed() throws {
        let r = try Recovery()
        try r.addUser(status: .resetRequired)
        let code = try r.requestCode()
        r.h.ok("ConfirmForgotPassword", r.confirmInput(code: code))
        #expect(try r.user().status == .confirmed)
        #expect(try r.verifies(Recovery.newPassword))
    }

    @Test func aCodeFromAdminResetUserPasswordWorks() throws {
        let r = try Recovery()
        try r.addUser()
        r.h.ok("AdminResetUserPassword", ["UserPoolId": .string(r.poolId), "Username": "alice"])
        #expect(try r.user().status == .resetRequired)
        let code = try #require(r.h.outbox().last?.code)
        r.h.ok("ConfirmForgotPassword", r.confirmInput(code: code))
        #expect(try r.user().status == .confirmed)
    }

    @Test func anUnconfirmedUserWithAVerifiedEmailIsConfirmed() throws {
        let r = try Recovery()
        try r.addUser(status: .unconfirmed) { user in
            user.codes[CodePurpose.signUp.key] =
                try VerificationCode.issue(
                    .signUp, now: r.h.clock.now(), random: r.h.services.random, secret: r.h.store.secret
                ).record.toJSON()
        }
        let code = try r.requestCode()
        r.h.ok("ConfirmForgotPassword", r.confirmInput(code: code))
        let user = try r.user()
        #expect(user.status == .confirmed)
        #expect(user.codes.isEmpty)
    }

    @Test func temporaryPasswordExpiryIsCleared() throws {
        let r = try Recovery()
        try r.addUser(status: .resetRequired) { user in
            user.temporaryPasswordExpires = Date(timeIntervalSince1970: 1_790_600_000)
        }
        let code = try r.requestCode()
        r.h.ok("ConfirmForgotPassword", r.confirmInput(code: code))
        #expect(try r.user().temporaryPasswordExpires == nil)
    }

    @Test func anEmailAliasNamesTheUser() throws {
        let r = try Recovery(pool: ["AliasAttributes": ["email"]])
        try r.addUser()
        let code = try r.requestCode("alice@example.com")
        r.h.ok("ConfirmForgotPassword", r.confirmInput("ALICE@example.com", code: code))
        #expect(try r.verifies(Recovery.newPassword))
    }

    @Test func emailAsUsername() throws {
        let r = try Recovery(pool: ["UsernameAttributes": ["email"]])
        try r.addUser("4f6a3b1e-0000-4000-8000-000000000001")
        let code = try r.requestCode("alice@example.com")
        r.h.ok("ConfirmForgotPassword", r.confirmInput("alice@example.com", code: code))
        #expect(try r.verifies(Recovery.newPassword, "4f6a3b1e-0000-4000-8000-000000000001"))
    }

    @Test func theRightSecretHash() throws {
        let r = try Recovery(client: ["GenerateSecret": true])
        try r.addUser()
        let code = try r.requestCode()
        r.h.ok("ConfirmForgotPassword", r.confirmInput(code: code))
        #expect(try r.verifies(Recovery.newPassword))
    }

    // MARK: The code

    @Test func aWrongCodeCountsAnAttempt() throws {
        let r = try Recovery()
        try r.addUser()
        let code = try r.requestCode()
        let before = try r.user()
        #expect(
            r.h.fails("ConfirmForgotPassword", r.confirmInput(code: Self.wrong(code)), "CodeMismatchException")
                == Self.mismatch)
        var after = try r.user()
        #expect(try r.pendingCode()?.attempts == 1)
        // The attempt is the only change.
        after.codes = before.codes
        #expect(after == before)
        #expect(try r.verifies(Recovery.password))
        // The right code still works afterwards.
        r.h.ok("ConfirmForgotPassword", r.confirmInput(code: code))
    }

    @Test func anExpiredCode() throws {
        let r = try Recovery()
        try r.addUser()
        let code = try r.requestCode()
        r.h.clock.advance(3601)
        Clients.refused(r.h, "ConfirmForgotPassword", r.confirmInput(code: code), "ExpiredCodeException", Self.expired)
        // A wrong code after expiry is "expired" too, and counts nothing.
        Clients.refused(
            r.h, "ConfirmForgotPassword", r.confirmInput(code: Self.wrong(code)), "ExpiredCodeException", Self.expired)
        #expect(try r.verifies(Recovery.password))
    }

    @Test func theCodeIsGoodForExactlyOneHour() throws {
        let r = try Recovery()
        try r.addUser()
        let code = try r.requestCode()
        r.h.clock.advance(3600)
        Clients.refused(r.h, "ConfirmForgotPassword", r.confirmInput(code: code), "ExpiredCodeException", Self.expired)

        let s = try Recovery()
        try s.addUser()
        let fresh = try s.requestCode()
        s.h.clock.advance(3599)
        s.h.ok("ConfirmForgotPassword", s.confirmInput(code: fresh))
    }

    @Test func neverRequested() throws {
        let r = try Recovery()
        try r.addUser()
        Clients.refused(
            r.h, "ConfirmForgotPassword", r.confirmInput(code: "123456"), "ExpiredCodeException", Self.expired)
    }

    @Test func aSupersededCodeIsExpired() throws {
        let r = try Recovery()
        try r.addUser()
        let first = try r.requestCode()
        var second = try r.requestCode()
        while second == first { second = try r.requestCode() }
        #expect(
            r.h.fails("ConfirmForgotPassword", r.confirmInput(code: first), "ExpiredCodeException") == Self.expired)
        #expect(try r.verifies(Recovery.password))
        r.h.ok("ConfirmForgotPassword", r.confirmInput(code: second))
    }

    @Test func attemptLimit() throws {
        let r = try Recovery()
        try r.addUser()
        let code = try r.requestCode()
        for attempt in 1...5 {
            #expect(
                r.h.fails("ConfirmForgotPassword", r.confirmInput(code: Self.wrong(code)), "CodeMismatchException")
                    == Self.mismatch)
            #expect(try r.pendingCode()?.attempts == attempt)
        }
        // The code is dead now, even the right one; nothing more is written.
        Clients.refused(r.h, "ConfirmForgotPassword", r.confirmInput(code: code), "LimitExceededException", Self.limit)
        Clients.refused(
            r.h, "ConfirmForgotPassword", r.confirmInput(code: Self.wrong(code)), "LimitExceededException", Self.limit)
        #expect(try r.verifies(Recovery.password))
        // A new code starts afresh.
        let fresh = try r.requestCode()
        r.h.ok("ConfirmForgotPassword", r.confirmInput(code: fresh))
        #expect(try r.verifies(Recovery.newPassword))
    }

    // MARK: The password

    @Test func aWeakPasswordDoesNotUseTheCode() throws {
        let r = try Recovery()
        try r.addUser()
        let code = try r.requestCode()
        Clients.refused(
            r.h, "ConfirmForgotPassword", r.confirmInput(code: code, password: "Sh0rt!"),
            "InvalidPasswordException", "Password does not conform to policy: Password not long enough")
        Clients.refused(
            r.h, "ConfirmForgotPassword", r.confirmInput(code: code, password: "nouppercase1!"),
            "InvalidPasswordException", "Password does not conform to policy: Password must have uppercase characters")
        // Checked before the code: a weak password with a wrong code counts no attempt either.
        Clients.refused(
            r.h, "ConfirmForgotPassword", r.confirmInput(code: Self.wrong(code), password: "nosymbols1A"),
            "InvalidPasswordException", "Password does not conform to policy: Password must have symbol characters")
        #expect(try r.pendingCode()?.attempts == 0)
        r.h.ok("ConfirmForgotPassword", r.confirmInput(code: code))
    }

    @Test func thePoolsOwnPolicy() throws {
        let r = try Recovery(pool: [
            "Policies": [
                "PasswordPolicy": [
                    "MinimumLength": 12, "RequireUppercase": false, "RequireLowercase": true, "RequireNumbers": false,
                    "RequireSymbols": false,
                ]
            ]
        ])
        try r.addUser()
        let code = try r.requestCode()
        Clients.refused(
            r.h, "ConfirmForgotPassword", r.confirmInput(code: code, password: "Passw0rd!"), "InvalidPasswordException",
            "Password does not conform to policy: Password not long enough")
        r.h.ok("ConfirmForgotPassword", r.confirmInput(code: code, password: "only lowercase words"))
        #expect(try r.verifies("only lowercase words"))
    }

    // MARK: Password history

    @Test func aRecentPasswordIsRefusedAndTheCodeStaysUsable() throws {
        let r = try Recovery(pool: Histories.pool(2))
        let older = try Histories.hashes(r.h)
        try r.addUser(edit: { $0.previousPasswordHashes = older })
        let code = try r.requestCode()
        // The last 2: the current password and the one before it. Refused as a weak password is: nothing is written.
        for reused in [Recovery.password, Histories.older[0]] {
            Clients.refused(
                r.h, "ConfirmForgotPassword", r.confirmInput(code: code, password: reused),
                "PasswordHistoryPolicyViolationException", Histories.violation(2))
        }
        #expect(try r.verifies(Recovery.password))
        #expect(try r.pendingCode()?.attempts == 0)
        // One older than the history, with the same code.
        r.h.ok("ConfirmForgotPassword", r.confirmInput(code: code, password: Histories.older[1]))
        let user = try r.user()
        #expect(user.codes[CodePurpose.forgotPassword.key] == nil)
        #expect(Histories.remembered(r.h, user, among: [Recovery.password] + Histories.older)
                == [Histories.older[1], Recovery.password])
    }

    @Test func aWrongCodeIsAnsweredBeforeTheHistory() throws {
        let r = try Recovery(pool: Histories.pool(2))
        try r.addUser()
        let code = try r.requestCode()
        // Whether a password was the user's is only told to the code's holder.
        r.h.fails(
            "ConfirmForgotPassword", r.confirmInput(code: Self.wrong(code), password: Recovery.password),
            "CodeMismatchException")
        #expect(try r.pendingCode()?.attempts == 1)
    }

    @Test func withoutAHistorySizeThePasswordMayBeReused() throws {
        for size in [nil, 0] as [Int?] {
            let r = try Recovery(pool: Histories.pool(size))
            try r.addUser()
            r.h.ok("ConfirmForgotPassword", r.confirmInput(code: try r.requestCode(), password: Recovery.password))
            #expect(try r.verifies(Recovery.password))
            #expect(try r.user().previousPasswordHashes == [])
        }
    }

    @Test func theHistoryFollowsTheSizeDown() throws {
        let r = try Recovery(pool: Histories.pool(24))
        let older = try Histories.hashes(r.h)
        try r.addUser(edit: { $0.previousPasswordHashes = older })
        r.h.ok("UpdateUserPool", Histories.resize(r.poolId, 3))
        r.h.ok("ConfirmForgotPassword", r.confirmInput(code: try r.requestCode()))
        let user = try r.user()
        #expect(Histories.remembered(r.h, user, among: [Recovery.newPassword, Recovery.password] + Histories.older)
                == [Recovery.newPassword, Recovery.password, Histories.older[0]])
    }

    @Test func aPasswordSetMeanwhileIsCheckedToo() throws {
        let r = try Recovery(pool: Histories.pool(2))
        try r.addUser()
        let code = try r.requestCode()
        let (services, random) = Histories.hooked(r.h)
        // While the new password is hashed, an administrator sets that very password.
        random.hook = {
            r.h.ok("AdminSetUserPassword", AdminUsers.ids(r.poolId, "alice", [
                "Password": .string(Recovery.newPassword), "Permanent": true,
            ]))
        }
        let input = try ConfirmForgotPasswordInput(json: r.confirmInput(code: code))
        #expect(throws: PasswordHistory.violation(size: 2)) { try ConfirmForgotPassword(services).run(input) }
        #expect(random.hook == nil)
        // The administrator's change stands, and the code is still there to choose another password with.
        #expect(try r.verifies(Recovery.newPassword))
        #expect(try r.pendingCode()?.attempts == 0)
        r.h.ok("ConfirmForgotPassword", r.confirmInput(code: code, password: "Third-passw0rd!"))
    }

    @Test func aPasswordTheModelRefuses() throws {
        let r = try Recovery()
        try r.addUser()
        let code = try r.requestCode()
        Clients.refused(
            r.h, "ConfirmForgotPassword", r.confirmInput(code: code, password: " Leading-passw0rd"),
            "InvalidParameterException")
    }

    // MARK: The user

    @Test func unknownUser() throws {
        let r = try Recovery()
        try r.addUser()
        Clients.refused(
            r.h, "ConfirmForgotPassword", r.confirmInput("bob", code: "123456"), "UserNotFoundException",
            "Username/client id combination not found.")
    }

    @Test func unknownUserWithExistenceErrorsPrevented() throws {
        let r = try Recovery(client: ["PreventUserExistenceErrors": "ENABLED"])
        try r.addUser()
        Clients.refused(
            r.h, "ConfirmForgotPassword", r.confirmInput("bob", code: "123456"), "CodeMismatchException", Self.mismatch)
        // The password policy is checked before the user, so it answers alike whether the user exists or not.
        Clients.refused(
            r.h, "ConfirmForgotPassword", r.confirmInput("bob", code: "123456", password: "weak"),
            "InvalidPasswordException")
    }

    /// Under ENABLED, wrong codes for a name that was "sent" a simulated code cost the file system what a user's do:
    /// where the user's record is written (an attempt counted), the same durable write is made, of a file removed
    /// again, step by step, so that the time an answer takes does not tell who exists.
    @Test func wrongCodesForUnknownNamesDoTheWritesAUsersDo() throws {
        let r = try Recovery(
            pool: ["AutoVerifiedAttributes": ["email"]], client: ["PreventUserExistenceErrors": "ENABLED"])
        try r.addUser()
        let code = try r.requestCode()
        r.h.ok("ForgotPassword", r.forgotInput("bob"))
        func steps(_ name: String) -> [String] {
            (0..<7).map { _ in
                var answer = ""
                let wrote = r.h.writes(in: r.poolId) {
                    answer = r.h.call("ConfirmForgotPassword", r.confirmInput(name, code: Self.wrong(code)))
                        .body["message"]?.stringValue ?? "?"
                }
                return "\(answer) users:\(wrote.users)"
            }
        }
        let user = steps("alice")
        #expect(user.first == Self.mismatch + " users:true")
        #expect(user.last == Self.limit + " users:false")
        let before = r.h.snapshot()
        #expect(steps("bob") == user)
        #expect(r.h.snapshot() == before, "the simulated checks left something behind")
        // A name never "sent" a code has nothing to count, as a user without one.
        #expect(steps("carol").allSatisfy { $0 == Self.mismatch + " users:false" })
    }

    @Test func aDisabledUserIsAnsweredAsAnUnknownOne() throws {
        let r = try Recovery()
        try r.addUser()
        let code = try r.requestCode()
        try r.h.store.withPool(r.poolId, .exclusive) { tx in
            let pool = try tx.pool()
            let user = try #require(try tx.user(named: "alice", in: pool))
            var disabled = user
            disabled.enabled = false
            try tx.saveUser(disabled, previous: user, in: pool)
        }
        Clients.refused(
            r.h, "ConfirmForgotPassword", r.confirmInput(code: code), "UserNotFoundException",
            "Username/client id combination not found.")
        #expect(try r.verifies(Recovery.password))
    }

    // MARK: The client

    @Test func unknownClient() throws {
        let r = try Recovery()
        try r.addUser()
        let code = try r.requestCode()
        var input = r.confirmInput(code: code).objectValue ?? [:]
        input["ClientId"] = "nosuchclient"
        Clients.refused(
            r.h, "ConfirmForgotPassword", .object(input), "ResourceNotFoundException",
            "User pool client nosuchclient does not exist.")
    }

    @Test func aClientOfAnotherPoolDoesNotReachTheUser() throws {
        let r = try Recovery()
        try r.addUser()
        let code = try r.requestCode()
        let otherPool = CreateUserPoolTests.create(r.h, "other")
        let other = try #require(Clients.create(r.h, otherPool)["ClientId"]?.stringValue)
        var input = r.confirmInput(code: code).objectValue ?? [:]
        input["ClientId"] = .string(other)
        Clients.refused(r.h, "ConfirmForgotPassword", .object(input), "UserNotFoundException")
    }

    @Test func secretHash() throws {
        let r = try Recovery(client: ["GenerateSecret": true])
        try r.addUser()
        let code = try r.requestCode()
        var input = r.confirmInput(code: code).objectValue ?? [:]
        input["SecretHash"] = nil
        Clients.refused(
            r.h, "ConfirmForgotPassword", .object(input), "NotAuthorizedException",
            "Client \(r.clientId) is configured with secret but SECRET_HASH was not received")
        input["SecretHash"] = .string(try #require(r.secretHash("bob")))
        Clients.refused(
            r.h, "ConfirmForgotPassword", .object(input), "NotAuthorizedException",
            "Unable to verify secret hash for client \(r.clientId)")
        // Checked before the code: a wrong code with a wrong hash counts no attempt.
        input["ConfirmationCode"] = .string(Self.wrong(code))
        Clients.refused(r.h, "ConfirmForgotPassword", .object(input), "NotAuthorizedException")
        #expect(try r.pendingCode()?.attempts == 0)
    }

    // MARK: The seed's query form

    /// `input` as the seed's GET parameters.
    static func params(_ input: JSON) -> [(String, String)] {
        (input.objectValue ?? [:]).sorted { $0.key < $1.key }.compactMap { key, value in
            value.stringValue.map { (key, $0) }
        }
    }

    @Test func queryFormSucceeds() throws {
        let r = try Recovery(client: ["GenerateSecret": true])
        try r.addUser()
        let code = try r.requestCode()
        let params = Self.params(r.confirmInput(code: code))
        #expect(params.map(\.0) == ["ClientId", "ConfirmationCode", "Password", "SecretHash", "Username"])
        let (status, body) = r.h.query("ConfirmForgotPassword", params)
        #expect(status == 200)
        #expect(body == [:])
        #expect(try r.verifies(Recovery.newPassword))
        #expect(try r.user().status == .confirmed)
    }

    @Test func queryFormErrorsAreTheJSONErrors() throws {
        let r = try Recovery(client: ["GenerateSecret": true])
        try r.addUser()
        let code = try r.requestCode()
        var noHash = r.confirmInput(code: code).objectValue ?? [:]
        noHash["SecretHash"] = nil
        var unknownClient = r.confirmInput(code: code).objectValue ?? [:]
        unknownClient["ClientId"] = "nosuchclient"
        var noCode = r.confirmInput(code: code).objectValue ?? [:]
        noCode["ConfirmationCode"] = nil
        let cases: [(JSON, String)] = [
            (.object(noHash), "NotAuthorizedException"),
            (.object(unknownClient), "ResourceNotFoundException"),
            (r.confirmInput(code: code, password: "weak"), "InvalidPasswordException"),
            (r.confirmInput(code: code, password: " Leading-passw0rd"), "InvalidParameterException"),
            (.object(noCode), "InvalidParameterException"),
            (r.confirmInput("bob", code: code), "UserNotFoundException"),
        ]
        for (input, type) in cases {
            let before = r.h.snapshot()
            let json = r.h.call("ConfirmForgotPassword", input)
            let (status, body) = r.h.query("ConfirmForgotPassword", Self.params(input))
            #expect(json.status == 400)
            #expect(json.body["__type"]?.stringValue == type, "\(json.body.serializedString())")
            #expect(status == json.status)
            #expect(body == json.body)
            #expect(r.h.snapshot() == before)
        }

        // A wrong code: the same answer both ways, each counting one attempt.
        let wrong = r.confirmInput(code: Self.wrong(code))
        let json = r.h.call("ConfirmForgotPassword", wrong)
        let (status, body) = r.h.query("ConfirmForgotPassword", Self.params(wrong))
        #expect(json.body == ["__type": "CodeMismatchException", "message": .string(Self.mismatch)])
        #expect(status == 400 && body == json.body)
        #expect(try r.pendingCode()?.attempts == 2)

        // The code still works through the query form, once; then it is expired both ways.
        let (ok, _) = r.h.query("ConfirmForgotPassword", Self.params(r.confirmInput(code: code)))
        #expect(ok == 200)
        let again = r.confirmInput(code: code, password: "Third-passw0rd!")
        let used = r.h.call("ConfirmForgotPassword", again)
        let (usedStatus, usedBody) = r.h.query("ConfirmForgotPassword", Self.params(again))
        #expect(used.body == ["__type": "ExpiredCodeException", "message": .string(Self.expired)])
        #expect(usedStatus == 400 && usedBody == used.body)
    }
}
