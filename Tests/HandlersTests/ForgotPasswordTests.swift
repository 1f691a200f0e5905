import Foundation
import Testing

@testable import Handlers

/// A pool, an app client and users written straight into the store, for ForgotPassword and ConfirmForgotPassword.
struct Recovery {
    static let password = "Old-passw0rd"
    static let newPassword = "New-passw0rd!"

    let h: Harness
    let poolId: String
    let clientId: String
    /// The client's secret, when it was created with one.
    let secret: String?

    /// `pool` adds CreateUserPool members, `client` CreateUserPoolClient members.
    init(pool: [String: JSON] = [:], client: [String: JSON] = [:], sourceLocation: SourceLocation = #_sourceLocation)
        throws
    {
        h = try Harness()
        poolId = CreateUserPoolTests.create(h, "recovery", pool, sourceLocation: sourceLocation)
        let made = Clients.create(h, poolId, client, sourceLocation: sourceLocation)
        clientId = try #require(made["ClientId"]?.stringValue, sourceLocation: sourceLocation)
        secret = made["ClientSecret"]?.stringValue
    }

    /// Writes a user with password `password` straight into the store (as SignUp + confirmation would leave one).
    @discardableResult
    func addUser(
        _ username: String = "alice", email: String? = "alice@example.com", emailVerified: Bool = true,
        phone: String? = nil, phoneVerified: Bool = false, status: UserStatusType = .confirmed, enabled: Bool = true,
        password: String = Recovery.password, edit: (inout UserRecord) throws -> Void = { _ in }
    ) throws -> UserRecord {
        var attributes: [String: String] = [:]
        if let email {
            attributes["email"] = email
            attributes["email_verified"] = emailVerified ? "true" : "false"
        }
        if let phone {
            attributes["phone_number"] = phone
            attributes["phone_number_verified"] = phoneVerified ? "true" : "false"
        }
        var user = UserRecord(
            username: username, sub: h.services.random.uuid(), attributes: attributes, status: status,
            now: h.clock.now())
        user.passwordHash = try h.services.passwords.hash(password, random: h.services.random)
        user.enabled = enabled
        try edit(&user)
        try h.store.withPool(poolId, .exclusive) { tx in
            try tx.saveUser(user, previous: nil, in: try tx.pool())
        }
        return user
    }

    /// The user as stored now.
    func user(_ username: String = "alice") throws -> UserRecord {
        try #require(try h.store.withPool(poolId, .shared) { tx in try tx.user(named: username, in: try tx.pool()) })
    }

    /// The pending reset code's stored record.
    func pendingCode(_ username: String = "alice") throws -> VerificationCode? {
        try user(username).codes[CodePurpose.forgotPassword.key].map { try VerificationCode(json: $0) }
    }

    func secretHash(_ username: String) -> String? {
        secret.map { PublicClient.secretHash(username: username, clientId: clientId, secret: $0) }
    }

    /// ForgotPassword's input for `username` (with the right SecretHash when the client has a secret).
    func forgotInput(_ username: String = "alice") -> JSON {
        var input: [String: JSON] = ["ClientId": .string(clientId), "Username": .string(username)]
        if let hash = secretHash(username) { input["SecretHash"] = .string(hash) }
        return .object(input)
    }

    /// Calls ForgotPassword and returns the code it delivered.
    func requestCode(_ username: String = "alice", sourceLocation: SourceLocation = #_sourceLocation) throws -> String {
        let before = h.outbox().count
        h.ok("ForgotPassword", forgotInput(username), sourceLocation: sourceLocation)
        let sent = h.outbox()
        #expect(sent.count == before + 1, "no message was sent", sourceLocation: sourceLocation)
        return try #require(sent.last?.code, sourceLocation: sourceLocation)
    }

    /// ConfirmForgotPassword's input.
    func confirmInput(
        _ username: String = "alice", code: String, password: String = Recovery.newPassword
    ) -> JSON {
        var input: [String: JSON] = [
            "ClientId": .string(clientId), "Username": .string(username), "ConfirmationCode": .string(code),
            "Password": .string(password),
        ]
        if let hash = secretHash(username) { input["SecretHash"] = .string(hash) }
        return .object(input)
    }

    func verifies(_ password: String, _ username: String = "alice") throws -> Bool {
        let hash = try #require(try user(username).passwordHash)
        return h.services.passwords.verify(password, against: hash)
    }
}

struct ForgotPasswordTests {
    // MARK: Success

    @Test func sendsAOneHourCodeToTheVerifiedEmail() throws {
        let r = try Recovery()
        try r.addUser()
        let out = r.h.ok("ForgotPassword", r.forgotInput())

        #expect(
            out == [
                "CodeDeliveryDetails": [
                    "Destination": "a***@e***", "DeliveryMedium": "EMAIL", "AttributeName": "email",
                ]
            ])
        let message = try #require(r.h.outbox().last)
        #expect(r.h.outbox().count == 1)
        #expect(message.kind == .forgotPassword)
        #expect(message.medium == .email)
        #expect(message.destination == "alice@example.com")
        #expect(message.poolId == r.poolId)
        #expect(message.username == "alice")
        let code = try #require(message.code)
        #expect(code.wholeMatch(of: /[0-9]{6}/) != nil)
        #expect(message.body == "Your verification code is \(code). ")
        #expect(message.subject == "Your verification code")

        let pending = try #require(try r.pendingCode())
        #expect(pending.purpose == .forgotPassword)
        #expect(pending.issuedAt == r.h.clock.now())
        #expect(pending.expiresAt == r.h.clock.now().addingTimeInterval(3600))
        #expect(pending.attempts == 0)
        // Only the code changed: status, password and attributes are as they were.
        let user = try r.user()
        #expect(user.status == .confirmed)
        #expect(try r.verifies(Recovery.password))
        // The code itself is never stored.
        #expect(!(try r.user().toJSON().serializedString().contains(code)))
    }

    @Test func aNewRequestReplacesTheCode() throws {
        let r = try Recovery()
        try r.addUser()
        let first = try r.requestCode()
        r.h.clock.advance(600)
        let second = try r.requestCode()
        let pending = try #require(try r.pendingCode())
        #expect(pending.issuedAt == r.h.clock.now())
        #expect(pending.expiresAt == r.h.clock.now().addingTimeInterval(3600))
        if first != second {
            r.h.fails("ConfirmForgotPassword", r.confirmInput(code: first), "ExpiredCodeException")
        }
        r.h.ok("ConfirmForgotPassword", r.confirmInput(code: second))
    }

    @Test func resetRequiredUsersGetACode() throws {
        let r = try Recovery()
        try r.addUser(status: .resetRequired)
        _ = try r.requestCode()
        #expect(try r.user().status == .resetRequired)
    }

    @Test func usesThePoolsTemplate() throws {
        let r = try Recovery(pool: [
            "VerificationMessageTemplate": [
                "EmailSubject": "Reset for {username}", "EmailMessage": "Code {####} for {username}",
                "DefaultEmailOption": "CONFIRM_WITH_CODE",
            ]
        ])
        try r.addUser()
        let code = try r.requestCode()
        let message = try #require(r.h.outbox().last)
        #expect(message.subject == "Reset for alice")
        #expect(message.body == "Code \(code) for alice")
    }

    // MARK: Where the code goes

    @Test func withoutARecoverySettingAVerifiedPhoneComesFirst() throws {
        let r = try Recovery()
        try r.addUser(phone: "+15555550123", phoneVerified: true)
        let out = r.h.ok("ForgotPassword", r.forgotInput())
        #expect(
            out["CodeDeliveryDetails"]
                == ["Destination": "+*******0123", "DeliveryMedium": "SMS", "AttributeName": "phone_number"])
        let message = try #require(r.h.outbox().last)
        #expect(message.medium == .sms)
        #expect(message.destination == "+15555550123")
        #expect(message.subject == nil)
    }

    @Test func anUnverifiedPhoneFallsBackToTheEmail() throws {
        let r = try Recovery()
        try r.addUser(phone: "+15555550123", phoneVerified: false)
        let out = r.h.ok("ForgotPassword", r.forgotInput())
        #expect(out["CodeDeliveryDetails"]?["DeliveryMedium"] == "EMAIL")
    }

    @Test func theRecoverySettingsPriorityDecides() throws {
        let r = try Recovery(pool: [
            "AccountRecoverySetting": [
                "RecoveryMechanisms": [
                    ["Name": "verified_phone_number", "Priority": 2], ["Name": "verified_email", "Priority": 1],
                ]
            ]
        ])
        try r.addUser(phone: "+15555550123", phoneVerified: true)
        let out = r.h.ok("ForgotPassword", r.forgotInput())
        #expect(out["CodeDeliveryDetails"]?["DeliveryMedium"] == "EMAIL")
        #expect(r.h.outbox().last?.destination == "alice@example.com")
    }

    @Test func aSingleMechanismIsTheOnlyOne() throws {
        let r = try Recovery(pool: [
            "AccountRecoverySetting": ["RecoveryMechanisms": [["Name": "verified_phone_number", "Priority": 1]]]
        ])
        try r.addUser()  // a verified email, no phone
        Clients.refused(
            r.h, "ForgotPassword", r.forgotInput(), "InvalidParameterException",
            "Cannot reset password for the user as there is no registered/verified email or phone_number")
        #expect(r.h.outbox().isEmpty)
    }

    // MARK: Who

    @Test func anEmailAliasNamesTheUser() throws {
        let r = try Recovery(pool: ["AliasAttributes": ["email"]])
        try r.addUser()
        _ = try r.requestCode("Alice@Example.com")
        #expect(try r.pendingCode() != nil)
        #expect(r.h.outbox().last?.username == "alice")
    }

    @Test func theSubNamesTheUser() throws {
        let r = try Recovery()
        let user = try r.addUser()
        _ = try r.requestCode(user.sub)
        #expect(try r.pendingCode() != nil)
    }

    @Test func noVerifiedDestination() throws {
        let r = try Recovery()
        try r.addUser(emailVerified: false)
        Clients.refused(
            r.h, "ForgotPassword", r.forgotInput(), "InvalidParameterException",
            "Cannot reset password for the user as there is no registered/verified email or phone_number")
        #expect(r.h.outbox().isEmpty)
    }

    @Test func noVerifiedDestinationIsNotHiddenWhenExistenceErrorsArePrevented() throws {
        let r = try Recovery(
            pool: ["AutoVerifiedAttributes": ["email"]], client: ["PreventUserExistenceErrors": "ENABLED"])
        try r.addUser(emailVerified: false, status: .unconfirmed)
        Clients.refused(r.h, "ForgotPassword", r.forgotInput(), "InvalidParameterException")
    }

    @Test func unknownUser() throws {
        let r = try Recovery()
        try r.addUser()
        Clients.refused(
            r.h, "ForgotPassword", r.forgotInput("bob"), "UserNotFoundException",
            "Username/client id combination not found.")
        #expect(r.h.outbox().isEmpty)
    }

    @Test func unknownUserWithExistenceErrorsPrevented() throws {
        let r = try Recovery(
            pool: ["AutoVerifiedAttributes": ["email"]], client: ["PreventUserExistenceErrors": "ENABLED"])
        try r.addUser()
        let before = r.h.snapshot()
        let first = r.h.ok("ForgotPassword", r.forgotInput("bob"))
        let again = r.h.ok("ForgotPassword", r.forgotInput("bob"))
        let details = try #require(first["CodeDeliveryDetails"])
        #expect(first == again)
        #expect(details["DeliveryMedium"] == "EMAIL")
        #expect(details["AttributeName"] == "email")
        let destination = try #require(details["Destination"]?.stringValue)
        #expect(destination.wholeMatch(of: /[a-z]\*\*\*@[a-z]\*\*\*/) != nil)
        // Nothing was written and nothing was sent.
        #expect(r.h.snapshot() == before)
        #expect(r.h.outbox().isEmpty)

        // A name shaped like an address or a number is masked as one.
        let email = r.h.ok("ForgotPassword", r.forgotInput("carol@example.org"))["CodeDeliveryDetails"]
        #expect(email == ["Destination": "c***@e***", "DeliveryMedium": "EMAIL", "AttributeName": "email"])
        let phone = r.h.ok("ForgotPassword", r.forgotInput("+15555550199"))["CodeDeliveryDetails"]
        #expect(phone == ["Destination": "+*******0199", "DeliveryMedium": "SMS", "AttributeName": "phone_number"])
        #expect(r.h.snapshot() == before)
    }

    /// Under ENABLED a simulated code costs the file system what a real one does: where a user's record is written and
    /// a message delivered, an unknown name's answer makes the same durable writes, of files removed again, request
    /// by request (the hourly limit included), so that the time an answer takes does not tell who exists.
    @Test func simulatedCodesDoTheWritesRealOnesDo() throws {
        let r = try Recovery(
            pool: ["AutoVerifiedAttributes": ["email"]], client: ["PreventUserExistenceErrors": "ENABLED"])
        try r.addUser()
        func steps(_ name: String) -> [String] {
            (0...VerificationCode.hourlyLimit).map { _ in
                var answer = "ok"
                let wrote = r.h.writes(in: r.poolId) {
                    let (status, body) = r.h.call("ForgotPassword", r.forgotInput(name))
                    if status != 200 { answer = body["__type"]?.stringValue ?? "?" }
                }
                return "\(answer) users:\(wrote.users) outbox:\(wrote.outbox)"
            }
        }
        let user = steps("alice")
        #expect(user.first == "ok users:true outbox:true")
        #expect(user.last == "LimitExceededException users:false outbox:false")
        let before = r.h.snapshot()
        #expect(steps("bob") == user)
        #expect(r.h.snapshot() == before, "the simulated codes left something behind")
        #expect(r.h.outbox().count == VerificationCode.hourlyLimit)
    }

    @Test func unknownUserInAPoolThatVerifiesNothing() throws {
        // No real user of this pool can have been sent a code to a destination the pool verified: no simulated one.
        let r = try Recovery(client: ["PreventUserExistenceErrors": "ENABLED"])
        Clients.refused(
            r.h, "ForgotPassword", r.forgotInput("bob"), "InvalidParameterException",
            "Cannot reset password for the user as there is no registered/verified email or phone_number")
    }

    @Test func aPhoneVerifyingPoolSimulatesAnSMS() throws {
        let r = try Recovery(
            pool: ["AutoVerifiedAttributes": ["phone_number"]], client: ["PreventUserExistenceErrors": "ENABLED"])
        let details = try #require(r.h.ok("ForgotPassword", r.forgotInput("bob"))["CodeDeliveryDetails"])
        #expect(details["DeliveryMedium"] == "SMS")
        #expect(details["Destination"]?.stringValue?.wholeMatch(of: /\+\*{7}[0-9]{4}/) != nil)
        #expect(r.h.outbox().isEmpty)
    }

    @Test func disabledUsersAreAnsweredAsUnknownOnes() throws {
        let r = try Recovery()
        try r.addUser(enabled: false)
        Clients.refused(
            r.h, "ForgotPassword", r.forgotInput(), "UserNotFoundException",
            "Username/client id combination not found.")

        let hidden = try Recovery(
            pool: ["AutoVerifiedAttributes": ["email"]], client: ["PreventUserExistenceErrors": "ENABLED"])
        try hidden.addUser(enabled: false)
        let before = hidden.h.snapshot()
        let out = hidden.h.ok("ForgotPassword", hidden.forgotInput())
        #expect(out == hidden.h.ok("ForgotPassword", hidden.forgotInput("alice")))
        #expect(out["CodeDeliveryDetails"]?["DeliveryMedium"] == "EMAIL")
        #expect(hidden.h.snapshot() == before)
        #expect(hidden.h.outbox().isEmpty)
    }

    @Test func forceChangePasswordUsersCannotReset() throws {
        let r = try Recovery()
        try r.addUser(status: .forceChangePassword)
        Clients.refused(
            r.h, "ForgotPassword", r.forgotInput(), "NotAuthorizedException",
            "User password cannot be reset in the current state.")
        #expect(r.h.outbox().isEmpty)

        let hidden = try Recovery(
            pool: ["AutoVerifiedAttributes": ["email"]], client: ["PreventUserExistenceErrors": "ENABLED"])
        try hidden.addUser(status: .forceChangePassword)
        let before = hidden.h.snapshot()
        hidden.h.ok("ForgotPassword", hidden.forgotInput())
        #expect(hidden.h.snapshot() == before)
        #expect(hidden.h.outbox().isEmpty)
    }

    @Test func adminOnlyRecovery() throws {
        let r = try Recovery(pool: [
            "AccountRecoverySetting": ["RecoveryMechanisms": [["Name": "admin_only", "Priority": 1]]]
        ])
        try r.addUser()
        Clients.refused(
            r.h, "ForgotPassword", r.forgotInput(), "NotAuthorizedException",
            "Contact administrator to reset password.")
        Clients.refused(
            r.h, "ForgotPassword", r.forgotInput("bob"), "NotAuthorizedException",
            "Contact administrator to reset password.")
    }

    // MARK: The client

    @Test func unknownClient() throws {
        let r = try Recovery()
        try r.addUser()
        Clients.refused(
            r.h, "ForgotPassword", ["ClientId": "nosuchclient", "Username": "alice"], "ResourceNotFoundException",
            "User pool client nosuchclient does not exist.")
    }

    @Test func aClientWithASecretNeedsTheSecretHash() throws {
        let r = try Recovery(client: ["GenerateSecret": true])
        try r.addUser()
        Clients.refused(
            r.h, "ForgotPassword", ["ClientId": .string(r.clientId), "Username": "alice"], "NotAuthorizedException",
            "Client \(r.clientId) is configured with secret but SECRET_HASH was not received")
        Clients.refused(
            r.h, "ForgotPassword", ["ClientId": .string(r.clientId), "Username": "alice", "SecretHash": "d3Jvbmc="],
            "NotAuthorizedException", "Unable to verify secret hash for client \(r.clientId)")
        // The hash of another username does not do either.
        let other = try #require(r.secretHash("bob"))
        Clients.refused(
            r.h, "ForgotPassword",
            ["ClientId": .string(r.clientId), "Username": "alice", "SecretHash": .string(other)],
            "NotAuthorizedException", "Unable to verify secret hash for client \(r.clientId)")
        // The secret is checked before the user: an unknown user with a bad hash learns nothing.
        Clients.refused(
            r.h, "ForgotPassword", ["ClientId": .string(r.clientId), "Username": "bob"], "NotAuthorizedException")
        _ = try r.requestCode()
    }

    // MARK: The seed's query form

    @Test func queryForm() throws {
        let r = try Recovery()
        try r.addUser()
        let (status, body) = r.h.query("ForgotPassword", [("ClientId", r.clientId), ("Username", "alice")])
        #expect(status == 200)
        #expect(
            body == [
                "CodeDeliveryDetails": [
                    "Destination": "a***@e***", "DeliveryMedium": "EMAIL", "AttributeName": "email",
                ]
            ])
        #expect(r.h.outbox().count == 1)
        Clients.queryRefused(
            r.h, "ForgotPassword", [("ClientId", r.clientId), ("Username", "bob")], "UserNotFoundException",
            "Username/client id combination not found.")
        Clients.queryRefused(
            r.h, "ForgotPassword", [("Username", "alice")], "InvalidParameterException",
            "1 validation error detected: Value null at 'clientId' failed to satisfy constraint: Member must not be null")
    }
}
