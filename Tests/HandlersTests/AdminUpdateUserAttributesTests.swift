import Foundation
import Testing

@testable import Handlers

struct AdminUpdateUserAttributesTests {
    func update(_ poolId: String, _ username: String, _ attributes: [(String, String)]) -> JSON {
        AdminUsers.ids(
            poolId, username,
            ["UserAttributes": .array(attributes.map { ["Name": .string($0.0), "Value": .string($0.1)] })])
    }

    /// A pool that sends codes for changed emails and phone numbers; `extra` adds CreateUserPool members.
    func verifyingPool(_ h: Harness, _ extra: [String: JSON] = [:]) -> String {
        var members = extra
        members["AutoVerifiedAttributes"] = ["email", "phone_number"]
        members["Schema"] = [
            ["Name": "team", "AttributeDataType": "String"],
            ["Name": "badge", "AttributeDataType": "String", "Mutable": false],
            ["Name": "level", "AttributeDataType": "Number",
             "NumberAttributeConstraints": ["MinValue": "1", "MaxValue": "10"]],
        ]
        return AdminUsers.pool(h, members)
    }

    // MARK: Plain attributes

    @Test func setsAttributes() throws {
        let h = try Harness()
        let poolId = verifyingPool(h)
        try AdminUsers.user(h, poolId, "alice", ["name": "Alice"])
        h.clock.advance(60)

        let out = h.ok("AdminUpdateUserAttributes",
                       update(poolId, "alice", [("name", "Alice B"), ("custom:team", "blue"), ("custom:level", "3")]))

        #expect(out == [:])
        let user = try #require(try AdminUsers.record(h, poolId, "alice"))
        #expect(user.attributes["name"] == "Alice B")
        #expect(user.attributes["custom:team"] == "blue")
        #expect(user.attributes["custom:level"] == "3")
        #expect(user.modified == h.clock.now())
        #expect(h.outbox().isEmpty)
        #expect(h.ok("AdminGetUser", AdminUsers.ids(poolId, "alice"))["UserLastModifiedDate"] == 1_790_000_060)
    }

    @Test func aBlankValueDeletes() throws {
        let h = try Harness()
        let poolId = verifyingPool(h)
        try AdminUsers.user(h, poolId, "alice", ["name": "Alice", "custom:team": "blue", "birthdate": "2000-01-01"])
        h.ok("AdminUpdateUserAttributes", update(poolId, "alice", [("name", ""), ("birthdate", "")]))
        let user = try #require(try AdminUsers.record(h, poolId, "alice"))
        #expect(user.attributes["name"] == nil && user.attributes["birthdate"] == nil)
        #expect(user.attributes["custom:team"] == "blue")
    }

    @Test func theLastEntryForANameWins() throws {
        let h = try Harness()
        let poolId = verifyingPool(h)
        try AdminUsers.user(h, poolId, "alice", ["name": "Alice"])
        h.ok("AdminUpdateUserAttributes", update(poolId, "alice", [("name", ""), ("name", "Al")]))
        #expect(try AdminUsers.record(h, poolId, "alice")?.attributes["name"] == "Al")
        h.ok("AdminUpdateUserAttributes", update(poolId, "alice", [("name", "Bo"), ("name", "")]))
        #expect(try AdminUsers.record(h, poolId, "alice")?.attributes["name"] == nil)
    }

    // MARK: Email and phone number

    @Test func aNewEmailIsUnverifiedAndGetsACode() throws {
        let h = try Harness()
        let poolId = verifyingPool(h)
        try AdminUsers.user(h, poolId, "alice", ["email": "old@example.com", "email_verified": "true"])

        h.ok("AdminUpdateUserAttributes", update(poolId, "alice", [("email", "new@example.com")]))

        let user = try #require(try AdminUsers.record(h, poolId, "alice"))
        #expect(user.attributes["email"] == "new@example.com")
        #expect(user.attributes["email_verified"] == "false")
        let message = try #require(h.outbox().first)
        #expect(h.outbox().count == 1)
        #expect(message.kind == .updateUserAttribute)
        #expect(message.medium == .email)
        #expect(message.destination == "new@example.com")
        #expect(message.attributeName == "email")
        let code = try #require(message.code)
        let stored = try #require(try AdminUsers.code(user, .attribute("email")))
        #expect(stored.expiresAt == h.clock.now().addingTimeInterval(24 * 3600))
        var codes = user.codes
        #expect(VerificationCode.check(code, for: .attribute("email"), in: &codes, now: h.clock.now(),
                                       secret: h.store.secret) == .ok)
    }

    @Test func aNewPhoneNumberGetsAnSMS() throws {
        let h = try Harness()
        let poolId = verifyingPool(h)
        try AdminUsers.user(h, poolId, "alice")
        h.ok("AdminUpdateUserAttributes", update(poolId, "alice", [("phone_number", "+15555550123")]))
        let user = try #require(try AdminUsers.record(h, poolId, "alice"))
        #expect(user.attributes["phone_number_verified"] == "false")
        let message = try #require(h.outbox().first)
        #expect(message.medium == .sms && message.destination == "+15555550123")
        #expect(message.attributeName == "phone_number")
        #expect(try AdminUsers.code(user, .attribute("phone_number")) != nil)
    }

    @Test func noCodeWhenTheAttributeIsNotAutoVerified() throws {
        let h = try Harness()
        let poolId = AdminUsers.pool(h)
        let secret = h.store.secret
        let random = h.services.random
        let now = h.clock.now()
        // A code sent to the old address must not verify the new one.
        try AdminUsers.user(h, poolId, "alice", ["email": "old@example.com", "email_verified": "true"]) { user in
            _ = try VerificationCode.issue(
                .attribute("email"), in: &user.codes, now: now, random: random, secret: secret, request: .counted)
        }
        h.ok("AdminUpdateUserAttributes", update(poolId, "alice", [("email", "new@example.com")]))
        let user = try #require(try AdminUsers.record(h, poolId, "alice"))
        #expect(user.attributes["email"] == "new@example.com")
        #expect(user.attributes["email_verified"] == "false")
        #expect(user.codes.isEmpty)
        #expect(h.outbox().isEmpty)
    }

    @Test func theSameValueChangesNothing() throws {
        let h = try Harness()
        let poolId = verifyingPool(h)
        try AdminUsers.user(h, poolId, "alice", ["email": "alice@example.com", "email_verified": "true"])
        let before = h.snapshot()
        h.clock.advance(60)
        h.ok("AdminUpdateUserAttributes", update(poolId, "alice", [("email", "alice@example.com")]))
        #expect(h.snapshot() == before)
        #expect(h.outbox().isEmpty)
    }

    @Test func anAdminCanSetAVerifiedValue() throws {
        let h = try Harness()
        let poolId = verifyingPool(h)
        try AdminUsers.user(h, poolId, "alice", ["email": "old@example.com", "email_verified": "false"])
        h.ok("AdminUpdateUserAttributes",
             update(poolId, "alice", [("email", "new@example.com"), ("email_verified", "true")]))
        let user = try #require(try AdminUsers.record(h, poolId, "alice"))
        #expect(user.attributes["email"] == "new@example.com")
        #expect(user.attributes["email_verified"] == "true")
        #expect(user.codes.isEmpty)
        #expect(h.outbox().isEmpty)
    }

    @Test func anAdminCanVerifyTheCurrentValue() throws {
        let h = try Harness()
        let poolId = AdminUsers.pool(h, ["AliasAttributes": ["email", "phone_number"]])
        try AdminUsers.user(h, poolId, "alice", ["email": "alice@example.com", "phone_number": "+15555550123"])
        #expect(try AdminUsers.stored(h, poolId, "alice@example.com") == nil)

        h.ok("AdminUpdateUserAttributes",
             update(poolId, "alice", [("email_verified", "true"), ("phone_number_verified", "true")]))

        let user = try #require(try AdminUsers.record(h, poolId, "alice"))
        #expect(user.emailVerified && user.phoneNumberVerified)
        // Verified, both are sign-in aliases now.
        #expect(try AdminUsers.stored(h, poolId, "alice@example.com")?.username == "alice")
        #expect(try AdminUsers.stored(h, poolId, "+15555550123")?.username == "alice")

        h.ok("AdminUpdateUserAttributes", update(poolId, "alice", [("email_verified", "false")]))
        #expect(try AdminUsers.record(h, poolId, "alice")?.attributes["email_verified"] == "false")
        #expect(try AdminUsers.stored(h, poolId, "alice@example.com") == nil)
    }

    @Test func theEmailAliasMovesWithTheVerifiedValue() throws {
        let h = try Harness()
        let poolId = AdminUsers.pool(h, ["AliasAttributes": ["email"]])
        try AdminUsers.user(h, poolId, "alice", ["email": "old@example.com", "email_verified": "true"])
        h.ok("AdminUpdateUserAttributes",
             update(poolId, "alice", [("email", "new@example.com"), ("email_verified", "true")]))
        #expect(try AdminUsers.stored(h, poolId, "old@example.com") == nil)
        #expect(try AdminUsers.stored(h, poolId, "new@example.com")?.username == "alice")
        // An unverified change removes the alias until the new value is verified.
        h.ok("AdminUpdateUserAttributes", update(poolId, "alice", [("email", "newer@example.com")]))
        #expect(try AdminUsers.stored(h, poolId, "new@example.com") == nil)
        #expect(try AdminUsers.stored(h, poolId, "newer@example.com") == nil)
    }

    // MARK: AttributesRequireVerificationBeforeUpdate

    func keepingPool(_ h: Harness) -> String {
        verifyingPool(
            h,
            ["AliasAttributes": ["email"],
             "UserAttributeUpdateSettings": ["AttributesRequireVerificationBeforeUpdate": ["email"]]])
    }

    @Test func theVerifiedValueStaysUntilTheNewOneIsVerified() throws {
        let h = try Harness()
        let poolId = keepingPool(h)
        try AdminUsers.user(h, poolId, "alice", ["email": "old@example.com", "email_verified": "true"])

        h.ok("AdminUpdateUserAttributes", update(poolId, "alice", [("email", "new@example.com")]))

        var user = try #require(try AdminUsers.record(h, poolId, "alice"))
        #expect(user.attributes["email"] == "old@example.com")
        #expect(user.attributes["email_verified"] == "true")
        #expect(user.pendingAttributes == ["email": "new@example.com"])
        #expect(h.outbox().map(\.destination) == ["new@example.com"])
        #expect(try AdminUsers.code(user, .attribute("email")) != nil)
        // The old address still signs in; AdminGetUser shows it.
        #expect(try AdminUsers.stored(h, poolId, "old@example.com")?.username == "alice")
        let attributes = h.ok("AdminGetUser", AdminUsers.ids(poolId, "alice"))["UserAttributes"]?.arrayValue ?? []
        #expect(attributes.contains(["Name": "email", "Value": "old@example.com"]))

        // An administrator's email_verified=true verifies the pending value.
        h.ok("AdminUpdateUserAttributes", update(poolId, "alice", [("email_verified", "true")]))
        user = try #require(try AdminUsers.record(h, poolId, "alice"))
        #expect(user.attributes["email"] == "new@example.com")
        #expect(user.attributes["email_verified"] == "true")
        #expect(user.pendingAttributes.isEmpty)
        #expect(user.codes.isEmpty)
        #expect(try AdminUsers.stored(h, poolId, "old@example.com") == nil)
        #expect(try AdminUsers.stored(h, poolId, "new@example.com")?.username == "alice")
    }

    @Test func theCurrentValueGivenAgainWithdrawsTheChange() throws {
        let h = try Harness()
        let poolId = keepingPool(h)
        try AdminUsers.user(h, poolId, "alice", ["email": "old@example.com", "email_verified": "true"])
        h.ok("AdminUpdateUserAttributes", update(poolId, "alice", [("email", "new@example.com")]))
        h.ok("AdminUpdateUserAttributes", update(poolId, "alice", [("email", "old@example.com")]))
        let user = try #require(try AdminUsers.record(h, poolId, "alice"))
        #expect(user.attributes["email"] == "old@example.com" && user.emailVerified)
        #expect(user.pendingAttributes.isEmpty && user.codes.isEmpty)
        #expect(h.outbox().count == 1)
    }

    @Test func verifiedInTheSameRequestAppliesAtOnce() throws {
        let h = try Harness()
        let poolId = keepingPool(h)
        try AdminUsers.user(h, poolId, "alice", ["email": "old@example.com", "email_verified": "true"])
        h.ok("AdminUpdateUserAttributes",
             update(poolId, "alice", [("email", "new@example.com"), ("email_verified", "true")]))
        let user = try #require(try AdminUsers.record(h, poolId, "alice"))
        #expect(user.attributes["email"] == "new@example.com" && user.emailVerified)
        #expect(user.pendingAttributes.isEmpty)
        #expect(h.outbox().isEmpty)
    }

    @Test func anUnverifiedValueIsReplacedAtOnce() throws {
        let h = try Harness()
        let poolId = keepingPool(h)
        try AdminUsers.user(h, poolId, "alice", ["email": "old@example.com", "email_verified": "false"])
        h.ok("AdminUpdateUserAttributes", update(poolId, "alice", [("email", "new@example.com")]))
        let user = try #require(try AdminUsers.record(h, poolId, "alice"))
        #expect(user.attributes["email"] == "new@example.com")
        #expect(user.pendingAttributes.isEmpty)
        #expect(h.outbox().map(\.destination) == ["new@example.com"])
    }

    // MARK: Aliases

    @Test func aVerifiedEmailAnotherUserHolds() throws {
        let h = try Harness()
        let poolId = AdminUsers.pool(h, ["AliasAttributes": ["email", "phone_number"]])
        try AdminUsers.user(
            h, poolId, "alice",
            ["email": "alice@example.com", "email_verified": "true", "phone_number": "+15555550123",
             "phone_number_verified": "true"])
        try AdminUsers.user(h, poolId, "bob")
        Clients.refused(h, "AdminUpdateUserAttributes",
                        update(poolId, "bob", [("email", "ALICE@example.com"), ("email_verified", "true")]),
                        "AliasExistsException", "An account with the given email already exists.")
        Clients.refused(h, "AdminUpdateUserAttributes",
                        update(poolId, "bob", [("phone_number", "+15555550123"), ("phone_number_verified", "true")]),
                        "AliasExistsException", "An account with the given phone_number already exists.")
        // Unverified, the value is no alias and may be shared.
        h.ok("AdminUpdateUserAttributes", update(poolId, "bob", [("email", "alice@example.com")]))
        #expect(try AdminUsers.stored(h, poolId, "alice@example.com")?.username == "alice")
    }

    @Test func emailAsUsernameIsAlwaysUnique() throws {
        let h = try Harness()
        let poolId = AdminUsers.pool(h, ["UsernameAttributes": ["email"]])
        let alice = try AdminUsers.user(h, poolId, h.services.random.uuid(), ["email": "alice@example.com"])
        let bob = try AdminUsers.user(h, poolId, h.services.random.uuid(), ["email": "bob@example.com"])
        Clients.refused(h, "AdminUpdateUserAttributes",
                        update(poolId, "bob@example.com", [("email", "alice@example.com")]),
                        "AliasExistsException", "An account with the given email already exists.")
        h.ok("AdminUpdateUserAttributes", update(poolId, "bob@example.com", [("email", "robert@example.com")]))
        #expect(try AdminUsers.stored(h, poolId, "robert@example.com")?.username == bob.username)
        #expect(try AdminUsers.stored(h, poolId, "bob@example.com") == nil)
        #expect(try AdminUsers.stored(h, poolId, "alice@example.com")?.username == alice.username)
    }

    @Test func aPreferredUsernameAnotherUserHolds() throws {
        let h = try Harness()
        let poolId = AdminUsers.pool(h, ["AliasAttributes": ["preferred_username"]])
        try AdminUsers.user(h, poolId, "alice", ["preferred_username": "ally"])
        try AdminUsers.user(h, poolId, "bob")
        Clients.refused(h, "AdminUpdateUserAttributes", update(poolId, "bob", [("preferred_username", "Ally")]),
                        "AliasExistsException", "An account with the given preferred_username already exists.")
    }

    // MARK: Schema errors

    @Test(arguments: [
        ("nickname_x", "x", "Invalid user attributes: nickname_x: Attribute does not exist in the schema.\n"),
        ("custom:nope", "x", "Invalid user attributes: custom:nope: Attribute does not exist in the schema.\n"),
        ("sub", "x", "user.sub: Attribute cannot be updated."),
        ("custom:badge", "x", "user.custom:badge: Attribute cannot be updated."),
        ("custom:level", "11", "Invalid user attributes: custom:level: Number must be less than or equal to 10.\n"),
        // Swift's Double(_:) reads these; a Number attribute does not (NaN also slipped past MinValue/MaxValue).
        ("custom:level", "nan", "Invalid user attributes: custom:level: Number attribute value must be a number.\n"),
        ("custom:level", "inf", "Invalid user attributes: custom:level: Number attribute value must be a number.\n"),
        ("custom:level", "0x5", "Invalid user attributes: custom:level: Number attribute value must be a number.\n"),
        ("custom:level", "1e400", "Invalid user attributes: custom:level: Number attribute value must be a number.\n"),
        ("custom:level", ".", "Invalid user attributes: custom:level: Number attribute value must be a number.\n"),
        ("custom:level", "5e", "Invalid user attributes: custom:level: Number attribute value must be a number.\n"),
        ("custom:level", " 5", "Invalid user attributes: custom:level: Number attribute value must be a number.\n"),
        ("birthdate", "abcdefghij",
         "Invalid user attributes: birthdate: Attribute value must be a valid date in the format YYYY-MM-DD.\n"),
        ("birthdate", "1990-13-01",
         "Invalid user attributes: birthdate: Attribute value must be a valid date in the format YYYY-MM-DD.\n"),
        ("birthdate", "2023-02-29",
         "Invalid user attributes: birthdate: Attribute value must be a valid date in the format YYYY-MM-DD.\n"),
        ("birthdate", "1990/01/31",
         "Invalid user attributes: birthdate: Attribute value must be a valid date in the format YYYY-MM-DD.\n"),
        ("birthdate", "1990-1-31", "Invalid user attributes: birthdate: String must be no shorter than 10 characters.\n"),
        ("email_verified", "yes",
         "Invalid user attributes: email_verified: Attribute value must be \"true\" or \"false\".\n"),
        ("email", "not-an-email", "Invalid email address format."),
        ("phone_number", "5555550123", "Invalid phone number format."),
        ("sub", "", "user.sub: Attribute cannot be updated."),
    ])
    func refusedBySchema(name: String, value: String, message: String) throws {
        let h = try Harness()
        let poolId = verifyingPool(h)
        try AdminUsers.user(h, poolId, "alice", ["custom:badge": "b1"])
        Clients.refused(h, "AdminUpdateUserAttributes", update(poolId, "alice", [("name", "A"), (name, value)]),
                        "InvalidParameterException", message)
    }

    @Test(arguments: [
        ("custom:level", ["1", "10", "+7", "5.5", "5.", "05", ".5e1", "1E1", "0.1e+1"]),
        ("birthdate", ["1990-01-31", "2024-02-29", "2000-02-29", "0000-12-31"]),
    ])
    func formatsTheSchemaAccepts(name: String, values: [String]) throws {
        let h = try Harness()
        let poolId = verifyingPool(h)
        try AdminUsers.user(h, poolId, "alice")
        for value in values {
            h.ok("AdminUpdateUserAttributes", update(poolId, "alice", [(name, value)]))
            #expect(try AdminUsers.stored(h, poolId, "alice")?.attributes[name] == value)
        }
    }

    /// Deleting `email` removes its flag; a flag set in the same request does not bring it back (no verified flag
    /// without the value it speaks of).
    @Test func aDeletedEmailTakesItsFlagEvenWhenTheRequestSetsIt() throws {
        let h = try Harness()
        let poolId = verifyingPool(h)
        try AdminUsers.user(h, poolId, "alice", ["email": "alice@example.com", "email_verified": "true"])
        h.ok("AdminUpdateUserAttributes", update(poolId, "alice", [("email", ""), ("email_verified", "true")]))
        let alice = try #require(try AdminUsers.stored(h, poolId, "alice"))
        #expect(alice.attributes["email"] == nil && alice.attributes["email_verified"] == nil)
    }

    @Test func aRequiredAttributeCannotBeBlanked() throws {
        let h = try Harness()
        let poolId = AdminUsers.pool(h, ["Schema": [["Name": "name", "Required": true]]])
        try AdminUsers.user(h, poolId, "alice", ["name": "Alice"])
        Clients.refused(h, "AdminUpdateUserAttributes", update(poolId, "alice", [("name", "")]),
                        "InvalidParameterException", "Invalid user attributes: name: The attribute is required\n")
    }

    @Test func unknownUserAndPool() throws {
        try AdminUsers.checkUnknownPoolAndUser(
            "AdminUpdateUserAttributes", ["UserAttributes": [["Name": "name", "Value": "X"]]])
    }

    // MARK: Query form

    @Test func queryFormMembersAndJSON() throws {
        let h = try Harness()
        let poolId = verifyingPool(h)
        try AdminUsers.user(h, poolId, "alice")
        var (status, _) = h.query(
            "AdminUpdateUserAttributes",
            [("UserPoolId", poolId), ("Username", "alice"), ("UserAttributes.member.1.Name", "name"),
             ("UserAttributes.member.1.Value", "Alice"), ("UserAttributes.member.2.Name", "custom:team"),
             ("UserAttributes.member.2.Value", "red")])
        #expect(status == 200)
        (status, _) = h.query(
            "AdminUpdateUserAttributes",
            [("UserPoolId", poolId), ("Username", "alice"),
             ("UserAttributes", #"[{"Name":"email","Value":"alice@example.com"}]"#)])
        #expect(status == 200)
        let user = try #require(try AdminUsers.record(h, poolId, "alice"))
        #expect(user.attributes["name"] == "Alice" && user.attributes["custom:team"] == "red")
        #expect(user.attributes["email"] == "alice@example.com")
        #expect(h.outbox().count == 1)
        Clients.queryRefused(
            h, "AdminUpdateUserAttributes",
            [("UserPoolId", poolId), ("Username", "alice"), ("UserAttributes", #"[{"Name":"sub","Value":"x"}]"#)],
            "InvalidParameterException", "user.sub: Attribute cannot be updated.")
    }
}
