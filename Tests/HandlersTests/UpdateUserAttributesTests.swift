import Foundation
import Synchronization
import Testing

@testable import Handlers

/// A signed-in user for the operations a user calls with their own access token (DeleteUser, UpdateUserAttributes,
/// DeleteUserAttributes, GetUserAttributeVerificationCode, VerifyUserAttribute): TokenFixture's pool, adjusted before
/// any user exists, its client, and alice (`TokenFixture.attributes`: a verified email, an unverified phone number)
/// signed in.
struct SelfService {
    let f: TokenFixture
    let tokens: AuthenticationResultType

    init(pool adjust: (inout UserPoolType) -> Void = { _ in }, client: [String: JSON] = [:]) throws {
        f = try TokenFixture(client: client)
        var pool = try f.pool()
        adjust(&pool)
        try f.h.store.withPool(f.poolId, .exclusive) { tx in try tx.savePool(pool) }
        try f.addUser()
        tokens = try f.signIn().result
    }

    var h: Harness { f.h }
    var access: String { tokens.accessToken ?? "" }

    /// `members` plus alice's AccessToken.
    func input(_ members: [String: JSON] = [:], token: String? = nil) -> JSON {
        var o = members
        o["AccessToken"] = .string(token ?? access)
        return .object(o)
    }

    /// Alice as stored.
    func alice() throws -> UserRecord { try #require(try f.user()) }

    /// A pool that sends codes for new emails and phone numbers.
    static func autoVerify(_ pool: inout UserPoolType) {
        pool.autoVerifiedAttributes = [.email, .phoneNumber]
    }

    /// A pool that keeps a verified email until its replacement is verified (and sends codes).
    static func keepVerifiedEmail(_ pool: inout UserPoolType) {
        autoVerify(&pool)
        pool.userAttributeUpdateSettings = UserAttributeUpdateSettingsType(
            attributesRequireVerificationBeforeUpdate: [.email])
    }

    /// A pool with an immutable custom attribute, `custom:badge`.
    static func immutableBadge(_ pool: inout UserPoolType) {
        pool.schemaAttributes?.append(
            SchemaAttributeType(name: "custom:badge", attributeDataType: .string, mutable: false))
    }

    /// AWS's message for a required member left out.
    static func missing(_ member: String) -> String {
        "1 validation error detected: Value null at '\(member)' failed to satisfy constraint: Member must not be null"
    }

    /// `UserAttributes` as the JSON protocol carries them.
    static func attributes(_ pairs: [(String, String)]) -> JSON {
        .array(pairs.map { ["Name": .string($0.0), "Value": .string($0.1)] })
    }

    /// Every refusal of the access-token check, each with AWS's message and nothing written: a token that is not
    /// one (malformed, the ID token, the refresh token), expired, revoked by a global sign-out, of a disabled user,
    /// of a deleted user. `members` completes an otherwise valid request.
    func checkTokenRefusals(
        _ operation: String, _ members: [String: JSON], sourceLocation: SourceLocation = #_sourceLocation
    ) throws {
        func refused(_ token: String?, _ expected: AWSError) {
            Clients.refused(h, operation, input(members, token: token), "NotAuthorizedException", expected.message,
                            sourceLocation: sourceLocation)
        }
        for token in ["abc", "a.b.c", tokens.idToken ?? "", tokens.refreshToken ?? ""] {
            refused(token, TokenCheck.invalid)
        }
        h.clock.advance(3600)
        refused(nil, TokenCheck.expired)
        h.clock.advance(-3600)

        try f.update { $0.enabled = false }
        refused(nil, TokenCheck.userDisabled)
        try f.update { $0.enabled = true }

        let now = h.clock.now()
        try f.update { $0.signedOutAt = now.addingTimeInterval(5) }
        refused(nil, TokenCheck.revoked)
        try f.update { $0.signedOutAt = nil }

        let pool = try f.pool()
        try h.store.withPool(f.poolId, .exclusive) { tx in
            try tx.deleteUser(try #require(try tx.user(named: "alice", in: pool)), in: pool)
        }
        refused(nil, TokenCheck.userDoesNotExist)
        // The same name made again is another user: the old token stays refused.
        try f.addUser()
        refused(nil, TokenCheck.userDoesNotExist)

        // Not a token at all, by the model's pattern; or none.
        let badPattern = Clients.refused(h, operation, input(members, token: "not a token"), "InvalidParameterException",
                                         sourceLocation: sourceLocation)
        #expect(badPattern.hasSuffix(
            "at 'accessToken' failed to satisfy constraint: Member must satisfy regular expression pattern: [A-Za-z0-9-_=.]+"),
                sourceLocation: sourceLocation)
        #expect(!badPattern.contains("not a token"), "a sensitive value is never echoed", sourceLocation: sourceLocation)
        Clients.refused(h, operation, .object(members), "InvalidParameterException", Self.missing("accessToken"),
                        sourceLocation: sourceLocation)
    }

    /// The JSON protocol and the seed's query form answer `operation` alike: same status, same body.
    func sameInBothForms(
        _ operation: String, json: JSON, query: [(String, String)], sourceLocation: SourceLocation = #_sourceLocation
    ) -> (status: Int, body: JSON) {
        let before = h.snapshot()
        let byJSON = h.call(operation, json)
        #expect(h.snapshot() == before, "a refused call changed the store", sourceLocation: sourceLocation)
        let byQuery = h.query(operation, query)
        #expect(byQuery.status == byJSON.status && byQuery.body == byJSON.body,
                "JSON: \(byJSON.body.serializedString()), query: \(byQuery.body.serializedString())",
                sourceLocation: sourceLocation)
        return byJSON
    }
}

struct UpdateUserAttributesTests {
    func update(_ s: SelfService, _ pairs: [(String, String)], _ extra: [String: JSON] = [:]) -> JSON {
        var members = extra
        members["UserAttributes"] = SelfService.attributes(pairs)
        return s.input(members)
    }

    // MARK: Success

    @Test func setsPlainAttributesAndAnswersEmpty() throws {
        let s = try SelfService()
        s.h.clock.advance(60)
        let out = s.h.ok("UpdateUserAttributes", update(s, [("name", "Alice B"), ("custom:team", "blue"), ("locale", "fr")]))
        #expect(out == [:])
        let alice = try s.alice()
        #expect(alice.attributes["name"] == "Alice B" && alice.attributes["custom:team"] == "blue")
        #expect(alice.attributes["locale"] == "fr" && alice.attributes["email_verified"] == "true")
        #expect(alice.modified == s.h.clock.now())
        #expect(s.h.outbox().isEmpty)
    }

    @Test func aNewEmailIsUnverifiedAndGetsACode() throws {
        let s = try SelfService(pool: SelfService.autoVerify)
        let out = s.h.ok("UpdateUserAttributes", update(s, [("email", "new@example.org")]))
        #expect(out == ["CodeDeliveryDetailsList": [
            ["Destination": "n***@e***", "DeliveryMedium": "EMAIL", "AttributeName": "email"],
        ]])
        let alice = try s.alice()
        #expect(alice.email == "new@example.org" && alice.attributes["email_verified"] == "false")
        let code = try #require(try AdminUsers.code(alice, .attribute("email")))
        #expect(code.expiresAt.timeIntervalSince(code.issuedAt) == 24 * 3600)
        let message = try #require(s.h.outbox().last)
        #expect(message.kind == .updateUserAttribute && message.destination == "new@example.org")
        #expect(message.attributeName == "email" && message.code?.count == 6)
        // The code proves the new address.
        s.h.ok("VerifyUserAttribute", s.input(["AttributeName": "email", "Code": .string(message.code ?? "")]))
        #expect(try s.alice().attributes["email_verified"] == "true")
    }

    @Test func aNewPhoneNumberGetsAnSMSAndBothAreListed() throws {
        let s = try SelfService(pool: SelfService.autoVerify)
        let out = s.h.ok("UpdateUserAttributes", update(s, [("phone_number", "+15555550199"), ("email", "b@c.de")]))
        #expect(out["CodeDeliveryDetailsList"] == [
            ["Destination": "b***@c***", "DeliveryMedium": "EMAIL", "AttributeName": "email"],
            ["Destination": "+*******0199", "DeliveryMedium": "SMS", "AttributeName": "phone_number"],
        ])
        #expect(s.h.outbox().map(\.medium) == [.email, .sms])
        #expect(try s.alice().attributes["phone_number_verified"] == "false")
    }

    @Test func noCodeWhenTheAttributeIsNotAutoVerified() throws {
        let s = try SelfService()
        let out = s.h.ok("UpdateUserAttributes", update(s, [("email", "new@example.org")]))
        #expect(out == [:])
        let alice = try s.alice()
        #expect(alice.email == "new@example.org" && alice.attributes["email_verified"] == "false")
        #expect(alice.codes.isEmpty && s.h.outbox().isEmpty)
    }

    @Test func theVerifiedEmailStaysUntilTheNewOneIsVerified() throws {
        let s = try SelfService(pool: SelfService.keepVerifiedEmail)
        let out = s.h.ok("UpdateUserAttributes", update(s, [("email", "new@example.org")]))
        #expect(out["CodeDeliveryDetailsList"]?.arrayValue?.first?["Destination"] == "n***@e***")
        var alice = try s.alice()
        #expect(alice.email == "alice@example.com" && alice.emailVerified)
        #expect(alice.pendingAttributes == ["email": "new@example.org"])
        let code = try #require(s.h.outbox().last?.code)
        s.h.ok("VerifyUserAttribute", s.input(["AttributeName": "email", "Code": .string(code)]))
        alice = try s.alice()
        #expect(alice.email == "new@example.org" && alice.emailVerified && alice.pendingAttributes.isEmpty)
    }

    @Test func aBlankValueDeletes() throws {
        let s = try SelfService()
        s.h.ok("UpdateUserAttributes", update(s, [("name", ""), ("address", "")]))
        let alice = try s.alice()
        #expect(alice.attributes["name"] == nil && alice.attributes["address"] == nil)
        #expect(alice.attributes["custom:team"] == "red")
    }

    @Test func clientMetadataIsAccepted() throws {
        let s = try SelfService()
        s.h.ok("UpdateUserAttributes", update(s, [("name", "A")], ["ClientMetadata": ["source": "test"]]))
        #expect(try s.alice().attributes["name"] == "A")
    }

    @Test func theSameValueChangesNothing() throws {
        let s = try SelfService(pool: SelfService.autoVerify)
        let before = s.h.snapshot()
        let same = update(s, [("email", "alice@example.com"), ("name", "Alice Liddell")])
        #expect(s.h.ok("UpdateUserAttributes", same) == [:])
        #expect(s.h.snapshot() == before)
    }

    // MARK: Refusals

    @Test(arguments: [
        ("nickname_x", "x", "Invalid user attributes: nickname_x: Attribute does not exist in the schema.\n"),
        ("custom:undefined", "x", "Invalid user attributes: custom:undefined: Attribute does not exist in the schema.\n"),
        ("sub", "00000000-0000-4000-8000-000000000000", "user.sub: Attribute cannot be updated."),
        ("custom:badge", "gold", "user.custom:badge: Attribute cannot be updated."),
        ("email", "not-an-email", "Invalid email address format."),
        ("phone_number", "5555", "Invalid phone number format."),
    ])
    func refusedByTheSchema(name: String, value: String, message: String) throws {
        let s = try SelfService(pool: SelfService.immutableBadge)
        Clients.refused(s.h, "UpdateUserAttributes", update(s, [(name, value)]), "InvalidParameterException", message)
        // A refused token is answered first, whatever the attributes.
        try s.f.update { $0.enabled = false }
        Clients.refused(s.h, "UpdateUserAttributes", update(s, [(name, value)]), "NotAuthorizedException",
                        TokenCheck.userDisabled.message)
    }

    @Test func onlyTheClientsWriteAttributes() throws {
        let s = try SelfService(client: ["WriteAttributes": ["name", "email"]])
        for pairs in [[("custom:team", "blue")], [("name", "ok"), ("locale", "fr")], [("email_verified", "true")],
                      [("phone_number_verified", "true")], [("dev:custom:secret", "x")], [("address", "")]] {
            Clients.refused(s.h, "UpdateUserAttributes", update(s, pairs), "NotAuthorizedException",
                            "A client attempted to write unauthorized attribute")
        }
        s.h.ok("UpdateUserAttributes", update(s, [("name", "ok"), ("email", "x@y.z")]))
    }

    @Test func theVerifiedFlagsAreNeverWritableByAClient() throws {
        let s = try SelfService()
        for name in ["email_verified", "phone_number_verified"] {
            Clients.refused(s.h, "UpdateUserAttributes", update(s, [(name, "true")]), "NotAuthorizedException",
                            "A client attempted to write unauthorized attribute")
        }
    }

    @Test func anAliasAnotherUserHolds() throws {
        let s = try SelfService { $0.aliasAttributes = [.email, .preferredUsername] }
        try s.f.addUser(
            "bob", attributes: ["email": "bob@example.com", "email_verified": "true", "preferred_username": "rabbit"])
        Clients.refused(s.h, "UpdateUserAttributes", update(s, [("preferred_username", "Rabbit")]),
                        "AliasExistsException", "An account with the given preferred_username already exists.")
        // An unverified email is no alias yet: taking bob's address waits for VerifyUserAttribute.
        s.h.ok("UpdateUserAttributes", update(s, [("email", "BOB@example.com")]))
        #expect(try s.alice().attributes["email_verified"] == "false")
    }

    @Test func emailAsUsernameIsAlwaysAnAlias() throws {
        let s = try SelfService { $0.usernameAttributes = [.email] }
        try s.f.addUser("bob", attributes: ["email": "bob@example.com"])
        Clients.refused(s.h, "UpdateUserAttributes", update(s, [("email", "bob@example.com")]),
                        "AliasExistsException", "An account with the given email already exists.")
    }

    @Test func everyTokenRefusal() throws {
        let s = try SelfService()
        try s.checkTokenRefusals("UpdateUserAttributes", ["UserAttributes": SelfService.attributes([("name", "x")])])
    }

    @Test func missingOrMalformedAttributes() throws {
        let s = try SelfService()
        Clients.refused(s.h, "UpdateUserAttributes", s.input(), "InvalidParameterException",
                        SelfService.missing("userAttributes"))
        let long = String(repeating: "n", count: 33)
        let message = Clients.refused(s.h, "UpdateUserAttributes", update(s, [(long, "x")]), "InvalidParameterException")
        #expect(message.contains("at 'userAttributes.1.member.name' failed to satisfy constraint"))
    }

    @Test func aFailedDeliveryIsReportedAfterTheChange() throws {
        let s = try SelfService(pool: SelfService.autoVerify)
        let failing = UpdateUserAttributes(SignUps.services(s.h, sender: FailingSender()))
        #expect(throws: AWSError.deliveryFailed) {
            try failing.run(UpdateUserAttributesInput(
                userAttributes: [AttributeType(name: "email", value: "new@example.org")], accessToken: s.access))
        }
        // The change is durable before delivery: the code can be sent again.
        let alice = try s.alice()
        #expect(alice.email == "new@example.org" && alice.attributes["email_verified"] == "false")
        s.h.ok("GetUserAttributeVerificationCode", s.input(["AttributeName": "email"]))
    }

    // MARK: The seed's query form

    @Test func queryFormByJSONStringAndByMembersMatchesJSON() throws {
        let twins = try (0..<3).map { _ in try SelfService(pool: SelfService.autoVerify) }
        let pairs = [("email", "a@b.c"), ("name", "Ann")]
        let byJSON = twins[0].h.call("UpdateUserAttributes", update(twins[0], pairs))
        let byString = twins[1].h.query("UpdateUserAttributes", [
            ("AccessToken", twins[1].access),
            ("UserAttributes", #"[{"Name":"email","Value":"a@b.c"},{"Name":"name","Value":"Ann"}]"#),
        ])
        let byMembers = twins[2].h.query("UpdateUserAttributes", [
            ("AccessToken", twins[2].access),
            ("UserAttributes.member.1.Name", "email"), ("UserAttributes.member.1.Value", "a@b.c"),
            ("UserAttributes.member.2.Name", "name"), ("UserAttributes.member.2.Value", "Ann"),
        ])
        #expect(byJSON.status == 200)
        #expect(byJSON.body == ["CodeDeliveryDetailsList": [
            ["Destination": "a***@b***", "DeliveryMedium": "EMAIL", "AttributeName": "email"],
        ]])
        for (s, result) in zip(twins, [byJSON, byString, byMembers]) {
            #expect(result.status == byJSON.status && result.body == byJSON.body)
            let alice = try s.alice()
            #expect(alice.email == "a@b.c" && alice.attributes["name"] == "Ann")
            #expect(alice.attributes["email_verified"] == "false")
        }
    }

    @Test func queryFormErrorsMatchJSON() throws {
        let s = try SelfService(client: ["WriteAttributes": ["name", "email"]])
        try s.f.addUser("bob", attributes: ["email": "bob@example.com"])
        let cases: [([(String, String)], String)] = [
            ([("custom:nope", "x")], "InvalidParameterException"),
            ([("sub", "x")], "InvalidParameterException"),
            ([("custom:team", "x")], "NotAuthorizedException"),
        ]
        for (pairs, type) in cases {
            var members: [(String, String)] = [("AccessToken", s.access)]
            for (i, pair) in pairs.enumerated() {
                members += [("UserAttributes.member.\(i + 1).Name", pair.0), ("UserAttributes.member.\(i + 1).Value", pair.1)]
            }
            let result = s.sameInBothForms("UpdateUserAttributes", json: update(s, pairs), query: members)
            #expect(result.status == 400 && result.body["__type"]?.stringValue == type)
            let asString = [("AccessToken", s.access),
                            ("UserAttributes", SelfService.attributes(pairs).serializedString())]
            #expect(s.h.query("UpdateUserAttributes", asString).body == result.body)
        }
        for token in ["abc", s.tokens.idToken ?? ""] {
            let json = s.input(["UserAttributes": SelfService.attributes([("name", "x")])], token: token)
            let result = s.sameInBothForms(
                "UpdateUserAttributes", json: json,
                query: [("AccessToken", token), ("UserAttributes", #"[{"Name":"name","Value":"x"}]"#)])
            #expect(result.body == ["__type": "NotAuthorizedException", "message": "Invalid Access Token"])
        }
        let missing = s.sameInBothForms("UpdateUserAttributes", json: s.input(), query: [("AccessToken", s.access)])
        #expect(missing.body["__type"] == "InvalidParameterException")
        let malformed = s.h.query("UpdateUserAttributes", [("AccessToken", s.access), ("UserAttributes", "[{")])
        #expect(malformed.status == 400 && malformed.body["__type"] == "SerializationException")
    }

    /// Changes to one user's record are made under the user's own lock, not the pool's exclusive one: concurrent
    /// updates of the same user, each setting its own attribute, must still lose none of them; and a change that
    /// moves an alias (taken under the pool's exclusive lock) runs among them.
    @Test func concurrentUpdatesOfOneUserLoseNothing() throws {
        let s = try SelfService { $0.aliasAttributes = [.preferredUsername] }
        let names = ["given_name", "family_name", "middle_name", "nickname", "locale", "zoneinfo", "website", "profile"]
        let rounds = 8
        // Each thread's request bodies, made before the threads start: the last thread moves the alias.
        let bodies: [[[UInt8]]] = (0...names.count).map { thread in
            (0..<rounds).map { round in
                let pairs = thread < names.count
                    ? [(names[thread], "v\(round)")] : [("preferred_username", "alias\(round)")]
                return s.input(["UserAttributes": SelfService.attributes(pairs)]).serialized()
            }
        }
        let service = s.h.service
        let failures = Mutex<[String]>([])
        DispatchQueue.concurrentPerform(iterations: bodies.count) { thread in
            for body in bodies[thread] {
                let response = service.handle(Request(
                    method: "POST", path: "/",
                    headers: [
                        "X-Amz-Target": Service.targetPrefix + "UpdateUserAttributes",
                        "Content-Type": "application/x-amz-json-1.1",
                    ],
                    body: body))
                if response.status != 200 { failures.withLock { $0.append(response.bodyString) } }
            }
        }
        #expect(failures.withLock { $0 } == [])
        let alice = try s.alice()
        for name in names {
            #expect(alice.attributes[name] == "v\(rounds - 1)", "\(name)")
        }
        #expect(alice.attributes["preferred_username"] == "alias\(rounds - 1)")
        // The alias index follows: the last value finds alice, an earlier one nobody.
        let lookups = try s.h.store.withPool(s.f.poolId, .shared) { tx -> [String?] in
            let pool = try tx.pool()
            return try ["alias\(rounds - 1)", "alias0"].map { try tx.findUser($0, in: pool)?.username }
        }
        #expect(lookups == ["alice", nil])
    }
}
